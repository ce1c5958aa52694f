//! The durable inbox, as the intake uses it: the next offset, storing a
//! fetched batch with its offset in one transaction (or one posted update),
//! what waits to be handled, and webhook requests refused.

use super::*;
use crate::telegram::intake::{Fetched, MAX_UPDATE, chat_of};

impl App {
    /// The offset to ask Telegram for next: one past the last update stored.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_offset(&self) -> anyhow::Result<i64> {
        let mut conn = self.store.pool().acquire().await?;
        crate::store::inbox::offset::<sqlx::Sqlite>(&mut conn).await
    }

    /// Stores fetched updates and the next offset, in one transaction.
    ///
    /// # Errors
    /// When the database refuses the write (nothing is stored, and the
    /// same updates are fetched again).
    pub async fn store_updates(&self, updates: &[Fetched]) -> anyhow::Result<()> {
        let Some(last) = updates.iter().map(|u| u.update_id).max() else {
            return Ok(());
        };
        let mut tx = self.store.begin().await?;
        self.put_in_inbox(&mut tx, updates).await?;
        crate::store::inbox::set_offset::<sqlx::Sqlite>(&mut tx, last + 1).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores one update Telegram posted to the webhook (webhook mode has
    /// no offset: Telegram posts an update again until it is answered 200,
    /// which is said only after this commit).
    ///
    /// # Errors
    /// When the database refuses the write (nothing is stored; Telegram
    /// is answered an error and posts it again).
    pub async fn store_posted(&self, update: &Fetched) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        self.put_in_inbox(&mut tx, std::slice::from_ref(update))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_in_inbox(
        &self,
        conn: &mut sqlx::SqliteConnection,
        updates: &[Fetched],
    ) -> anyhow::Result<()> {
        let now = self.now();
        for u in updates {
            crate::store::inbox::put::<sqlx::Sqlite>(
                conn,
                u.update_id,
                chat_of(u),
                &u.body,
                MAX_UPDATE,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Records a webhook request that was refused (a wrong or missing
    /// secret, a body that is not an update, one too large): what and from
    /// where, never the body.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn webhook_refused(
        &self,
        action: &str,
        detail: serde_json::Value,
    ) -> anyhow::Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: "webhook",
                member: None,
                telegram_user: None,
                batch: None,
                action: action.into(),
                detail,
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The inbox's updates not yet handled, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_pending(&self, limit: i64) -> anyhow::Result<Vec<Fetched>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(
            crate::store::inbox::pending::<sqlx::Sqlite>(&mut conn, limit)
                .await?
                .into_iter()
                .map(|(update_id, body)| Fetched { update_id, body })
                .collect(),
        )
    }
}
