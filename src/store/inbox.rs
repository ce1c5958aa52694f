//! The inbox: every update Telegram handed over, kept until it is handled,
//! and the offset to ask Telegram for next. An update leaves the inbox in
//! the same transaction that marks it handled ([`super::Store::claim_update`]).
//! The statements are shared by SQLite and PostgreSQL ([`super::dialect`]):
//! SQLite's callers name the backend (`inbox::put::<Sqlite>`), as
//! PostgreSQL's will.

use chrono::{DateTime, Utc};
use sqlx::{Database, Row};

use super::dialect::shared;
use super::time::ms;

shared! {
    /// Keeps an update as fetched, with the chat it belongs to; one over
    /// `max` bytes is kept as a note that it was too large (handling passes
    /// over it). An update already kept, or already handled (Telegram
    /// handing it over again), is left as it is.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn put<DB: Database>(
        conn: &mut DB::Connection,
        update_id: i64,
        chat: i64,
        body: &str,
        max: usize,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let body = if body.len() > max {
            tracing::warn!(
                update = update_id,
                bytes = body.len(),
                "an update over the inbox's limit is passed over"
            );
            serde_json::json!({ "update_id": update_id, "too_large": true }).to_string()
        } else {
            body.to_string()
        };
        sqlx::query::<DB>(
            "INSERT INTO inbox (update_id, body, received_at, chat_id)
             SELECT $1, $2, $3, $4
             WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = $1)
             ON CONFLICT DO NOTHING",
        )
        .bind(update_id)
        .bind(body)
        .bind(ms(now))
        .bind(chat)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

shared! {
    /// The offset to ask Telegram for next (0 before the first update).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn offset<DB: Database>(conn: &mut DB::Connection) -> anyhow::Result<i64> {
        let row = sqlx::query::<DB>("SELECT next_offset FROM inbox_offset WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
        Ok(match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        })
    }
}

shared! {
    /// Records the offset to ask Telegram for next; it only moves forward.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_offset<DB: Database>(conn: &mut DB::Connection, next: i64) -> anyhow::Result<()> {
        sqlx::query::<DB>(
            "INSERT INTO inbox_offset (id, next_offset) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET next_offset = CASE
                 WHEN excluded.next_offset > inbox_offset.next_offset THEN excluded.next_offset
                 ELSE inbox_offset.next_offset END",
        )
        .bind(next)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

shared! {
    /// The updates waiting to be handled, oldest first: (update id, JSON).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn pending<DB: Database>(
        conn: &mut DB::Connection,
        limit: i64,
    ) -> anyhow::Result<Vec<(i64, String)>> {
        let rows = sqlx::query::<DB>("SELECT update_id, body FROM inbox ORDER BY update_id LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("update_id")?, r.try_get("body")?)))
            .collect()
    }
}

shared! {
    /// Marks an update handled and takes it out of the inbox, in the
    /// transaction of its handling; `false` if it was handled before.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn handled<DB: Database>(
        conn: &mut DB::Connection,
        update_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let first = sqlx::query::<DB>(
            "INSERT INTO processed_updates (update_id, handled_at) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING update_id",
        )
        .bind(update_id)
        .bind(ms(now))
        .fetch_optional(&mut *conn)
        .await?;
        sqlx::query::<DB>("DELETE FROM inbox WHERE update_id = $1")
            .bind(update_id)
            .execute(&mut *conn)
            .await?;
        Ok(first.is_some())
    }
}
