//! The durable inbox, as the intake uses it: the next offset, storing a
//! fetched batch with its offset in one transaction, and what waits to be
//! handled.

use super::*;

impl App {
    /// The offset to ask Telegram for next: one past the last update stored.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_offset(&self) -> anyhow::Result<i64> {
        let mut conn = self.store.pool().acquire().await?;
        Store::inbox_offset(&mut conn).await
    }

    /// Stores fetched updates and the next offset, in one transaction.
    ///
    /// # Errors
    /// When the database refuses the write (nothing is stored, and the
    /// same updates are fetched again).
    pub async fn store_updates(
        &self,
        updates: &[crate::telegram::polling::Fetched],
    ) -> anyhow::Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for u in updates {
            Store::inbox_put(
                &mut tx,
                u.update_id,
                &u.body,
                crate::telegram::polling::MAX_UPDATE,
                now,
            )
            .await?;
        }
        let next = updates.iter().map(|u| u.update_id).max().unwrap_or(0) + 1;
        Store::set_inbox_offset(&mut tx, next).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The inbox's updates not yet handled, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_pending(
        &self,
        limit: i64,
    ) -> anyhow::Result<Vec<crate::telegram::polling::Fetched>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(Store::inbox_pending(&mut conn, limit)
            .await?
            .into_iter()
            .map(|(update_id, body)| crate::telegram::polling::Fetched { update_id, body })
            .collect())
    }

    /// Whether the update still waits in the inbox (not yet marked handled).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_holds(&self, update_id: i64) -> anyhow::Result<bool> {
        let mut conn = self.store.pool().acquire().await?;
        Store::inbox_holds(&mut conn, update_id).await
    }
}
