//! The inbox: every update Telegram handed over, kept until it is handled,
//! and the offset to ask Telegram for next. An update leaves the inbox in
//! the same transaction that marks it handled ([`super::Store::claim_update`]).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::ms;

impl super::Store {
    /// Keeps an update as fetched; one over `max` bytes is kept as a note
    /// that it was too large (handling passes over it). An update already
    /// kept, or already handled (Telegram handing it over again), is left
    /// as it is.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn inbox_put(
        conn: &mut SqliteConnection,
        update_id: i64,
        body: &str,
        max: usize,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let too_large;
        let body = if body.len() > max {
            tracing::warn!(
                update = update_id,
                bytes = body.len(),
                "an update over the inbox's limit is passed over"
            );
            too_large =
                serde_json::json!({ "update_id": update_id, "too_large": true }).to_string();
            too_large.as_str()
        } else {
            body
        };
        sqlx::query(
            "INSERT INTO inbox (update_id, body, received_at)
             SELECT ?1, ?2, ?3
             WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = ?1)
             ON CONFLICT DO NOTHING",
        )
        .bind(update_id)
        .bind(body)
        .bind(ms(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// The offset to ask Telegram for next (0 before the first update).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_offset(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
        let offset: Option<i64> =
            sqlx::query_scalar("SELECT next_offset FROM inbox_offset WHERE id = 1")
                .fetch_optional(conn)
                .await?;
        Ok(offset.unwrap_or(0))
    }

    /// Records the offset to ask Telegram for next.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_inbox_offset(conn: &mut SqliteConnection, next: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO inbox_offset (id, next_offset) VALUES (1, ?)
             ON CONFLICT(id) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)",
        )
        .bind(next)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// The updates waiting to be handled, oldest first: (update id, JSON).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbox_pending(
        conn: &mut SqliteConnection,
        limit: i64,
    ) -> anyhow::Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT update_id, body FROM inbox ORDER BY update_id LIMIT ?")
            .bind(limit)
            .fetch_all(conn)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("update_id"), r.get("body")))
            .collect())
    }
}
