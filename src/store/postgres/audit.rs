//! The audit chain on PostgreSQL. Every writer, whichever instance it
//! runs in, appends in its own transaction after locking the chain's head
//! row (`audit_head`, `SELECT … FOR UPDATE`): appends queue on that lock,
//! each seals onto the head the previous one left, and the unique index on
//! `prev_hash` refuses a second successor to any seal even from a writer
//! that skipped the lock. The seal is [`chain::seal`], the same as on SQLite,
//! so a log copied from SQLite goes on from its head unchanged.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::PgConnection;

use crate::store::AuditEntry;
use crate::store::audit::{SELECT_LINKS, link_of};
use crate::store::chain::{Break, GENESIS, Head, Misfit, Walk};
use crate::store::time::ms;

/// Appends `entries` to the chain, in order, inside the caller's
/// transaction (the head stays locked until it ends).
///
/// # Errors
/// When PostgreSQL refuses (a fork refused by the unique `prev_hash`).
pub async fn append(
    conn: &mut PgConnection,
    entries: &[AuditEntry],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // The head row, made once from the log's last row (none: the genesis).
    sqlx::query(
        "INSERT INTO audit_head (id, last_id, last_hash)
         SELECT 1, COALESCE(MAX(id), 0),
                COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), $1)
           FROM audit_log
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(GENESIS)
    .execute(&mut *conn)
    .await?;
    let head: (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *conn)
            .await?;
    let (id, prev) =
        crate::store::dialect::append_sealed::<sqlx::Postgres>(conn, entries, ms(now), head)
            .await?;
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
        .bind(id)
        .bind(&prev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Walks the chain as PostgreSQL holds it, row by row in constant
/// memory: its head, or the first row that does not hold.
///
/// # Errors
/// The outer error when the log cannot be read.
pub async fn chain(conn: &mut PgConnection) -> anyhow::Result<Result<Head, Break>> {
    let mut found = sqlx::query(SELECT_LINKS).fetch(&mut *conn);
    let mut walk = Walk::default();
    while let Some(row) = found.try_next().await? {
        if let Err(misfit) = walk.step(&link_of(&row)?) {
            return Ok(Err(match misfit {
                Misfit::Found(found) => found,
                Misfit::OutOfPlace { link, head } => Break::Inserted {
                    row: link.id,
                    before: head.last_id,
                },
            }));
        }
    }
    Ok(Ok(walk.head()))
}
