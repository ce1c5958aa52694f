//! Timers: moments the service must act at, kept in the database so they
//! survive restarts, and fired once.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::BatchId;

/// A timer that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: i64,
    pub key: String,
    pub batch: Option<BatchId>,
    pub kind: String,
    pub due_at: DateTime<Utc>,
}

impl super::Store {
    /// Sets (or moves, if not fired yet) the timer `key`.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_timer(
        conn: &mut SqliteConnection,
        key: &str,
        batch: Option<BatchId>,
        kind: &str,
        due_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO timers (key, batch_id, kind, due_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(key) DO UPDATE SET due_at = excluded.due_at WHERE fired_at IS NULL",
        )
        .bind(key)
        .bind(batch.map(|b| b.0))
        .bind(kind)
        .bind(ms(due_at))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Timers due at `now` that have not fired, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_timers(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Timer>> {
        let rows = sqlx::query(
            "SELECT id, key, batch_id, kind, due_at FROM timers WHERE fired_at IS NULL AND due_at <= ? ORDER BY due_at",
        )
        .bind(ms(now))
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Timer {
                id: r.get("id"),
                key: r.get("key"),
                batch: r.get::<Option<i64>, _>("batch_id").map(BatchId),
                kind: r.get("kind"),
                due_at: from_ms(r.get("due_at")),
            })
            .collect())
    }

    /// Whether a timer of `kind` waits to fire.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn timer_waiting(conn: &mut SqliteConnection, kind: &str) -> anyhow::Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM timers WHERE kind = ? AND fired_at IS NULL LIMIT 1")
                .bind(kind)
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    /// When the next timer is due, if any waits.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_timer(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL")
                .fetch_one(conn)
                .await?;
        Ok(at.map(from_ms))
    }

    /// Marks a timer fired; `false` if it had fired already.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn fire_timer(
        conn: &mut SqliteConnection,
        id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL")
            .bind(ms(now))
            .bind(id)
            .execute(conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
