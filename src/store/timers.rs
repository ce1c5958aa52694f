//! Timers: moments the service must act at, kept in the database so they
//! survive restarts, and fired once. Each timer fires only through a
//! conditional update ([`fire`]) that finds it unfired: whichever instance
//! ticks, in the transaction of the firing's effects, only one firing
//! counts. The statements are shared by SQLite and PostgreSQL
//! ([`super::dialect`]): SQLite's callers name the backend
//! (`timers::set::<Sqlite>`), as PostgreSQL's will.

use chrono::{DateTime, Utc};
use sqlx::{Database, Row};

use super::dialect::shared;
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

shared! {
    /// Sets (or moves, if not fired yet) the timer `key`.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set<DB: Database>(
        conn: &mut DB::Connection,
        key: &str,
        batch: Option<BatchId>,
        kind: &str,
        due_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query::<DB>(
            "INSERT INTO timers (key, batch_id, kind, due_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at WHERE timers.fired_at IS NULL",
        )
        .bind(key.to_string())
        .bind(batch.map(|b| b.0))
        .bind(kind.to_string())
        .bind(ms(due_at))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

shared! {
    /// Timers due at `now` that have not fired, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due<DB: Database>(
        conn: &mut DB::Connection,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Timer>> {
        let rows = sqlx::query::<DB>(
            "SELECT id, key, batch_id, kind, due_at FROM timers
              WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id",
        )
        .bind(ms(now))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Timer {
                    id: r.try_get("id")?,
                    key: r.try_get("key")?,
                    batch: r.try_get::<Option<i64>, _>("batch_id")?.map(BatchId),
                    kind: r.try_get("kind")?,
                    due_at: from_ms(r.try_get("due_at")?),
                })
            })
            .collect()
    }
}

shared! {
    /// Whether a timer of `kind` waits to fire.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn waiting<DB: Database>(conn: &mut DB::Connection, kind: &str) -> anyhow::Result<bool> {
        let found = sqlx::query::<DB>("SELECT id FROM timers WHERE kind = $1 AND fired_at IS NULL LIMIT 1")
            .bind(kind.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(found.is_some())
    }
}

shared! {
    /// When the next timer is due, if any waits.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next<DB: Database>(conn: &mut DB::Connection) -> anyhow::Result<Option<DateTime<Utc>>> {
        let row = sqlx::query::<DB>("SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL")
            .fetch_one(&mut *conn)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.map(from_ms))
    }
}

shared! {
    /// Marks a timer fired at `now`; `false` if it had fired already (by
    /// another instance, or before a restart): only a firing that gets
    /// `true` may act, in the same transaction.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn fire<DB: Database>(
        conn: &mut DB::Connection,
        id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let fired = sqlx::query::<DB>(
            "UPDATE timers SET fired_at = $1 WHERE id = $2 AND fired_at IS NULL RETURNING id",
        )
        .bind(ms(now))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(fired.is_some())
    }
}
