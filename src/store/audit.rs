//! The append-only audit log: who did what, when, through which channel.
//! The table refuses UPDATE and DELETE by trigger, and each row is sealed
//! into a hash chain ([`super::chain`]) so that a change made with the
//! triggers dropped is still found.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

use super::chain::{self, Break, GENESIS, Head, Link, Misfit, Walk};
use super::time::{from_ms, ms};
use crate::domain::{BatchId, MemberId, TelegramUserId};

/// One line to append.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// cli, telegram, scheduler or simulation.
    pub channel: &'static str,
    /// operator, member, stranger or system.
    pub actor: &'static str,
    pub member: Option<MemberId>,
    pub telegram_user: Option<TelegramUserId>,
    pub batch: Option<BatchId>,
    /// What happened, as a short name (`step_completed`, `member_added`).
    pub action: String,
    /// The facts, as JSON.
    pub detail: Value,
}

impl AuditEntry {
    /// The row this entry becomes as row `id` written at `at`
    /// (milliseconds), before its seal.
    pub fn link(&self, id: i64, at: i64) -> Link {
        Link {
            id,
            at,
            channel: self.channel.to_string(),
            actor: self.actor.to_string(),
            member_id: self.member.map(|m| m.0),
            telegram_user_id: self.telegram_user.map(|t| t.0),
            batch_id: self.batch.map(|b| b.0),
            action: self.action.clone(),
            detail: self.detail.to_string(),
            prev_hash: None,
            hash: None,
        }
    }
}

/// A stored line.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub channel: String,
    pub actor: String,
    pub member_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub action: String,
    pub detail: Value,
}

impl super::Store {
    /// Appends lines to the audit log.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn audit(
        conn: &mut SqliteConnection,
        entries: &[AuditEntry],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        // The caller's transaction holds the write lock: nobody appends
        // between reading the last seal and writing the next.
        let last = sqlx::query(
            "SELECT id, at, channel, actor, member_id, telegram_user_id, batch_id, action, detail, prev_hash, hash
             FROM audit_log ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| link_of(&row))
        .transpose()?;
        // A last row added outside sertibot without a seal does not stop
        // the records: the chain goes on from the seal it would have had,
        // and `audit verify` names that row.
        let head = match last {
            Some(link) => {
                let hash = link.hash.clone().unwrap_or_else(|| {
                    chain::seal(&link, link.prev_hash.as_deref().unwrap_or(GENESIS))
                });
                (link.id, hash)
            }
            None => (0, GENESIS.to_string()),
        };
        super::dialect::append_sealed::<sqlx::Sqlite>(conn, entries, ms(now), head).await?;
        Ok(())
    }

    /// Every audit row as sealed, in id order (to seal an older log once;
    /// the chain itself is checked row by row, [`Store::audit_chain`]).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn audit_links(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Link>> {
        let rows = sqlx::query(SELECT_LINKS).fetch_all(conn).await?;
        Ok(rows.iter().map(link_of).collect::<sqlx::Result<_>>()?)
    }

    /// A batch's audit rows as sealed, in id order (for its export).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn audit_links_of(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<Link>> {
        let rows = sqlx::query(
            "SELECT id, at, channel, actor, member_id, telegram_user_id, batch_id, action, detail, prev_hash, hash
             FROM audit_log WHERE batch_id = ? ORDER BY id",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?;
        Ok(rows.iter().map(link_of).collect::<sqlx::Result<_>>()?)
    }

    /// Walks the audit chain row by row (constant memory, however long the
    /// log): its head, or the first row that breaks it and how.
    ///
    /// # Errors
    /// The outer error when the database cannot be read.
    pub async fn audit_chain(conn: &mut SqliteConnection) -> anyhow::Result<Result<Head, Break>> {
        use futures_util::TryStreamExt;
        let mut walk = Walk::default();
        let misfit = {
            let mut rows = sqlx::query(SELECT_LINKS).fetch(&mut *conn);
            let mut misfit = None;
            while let Some(row) = rows.try_next().await? {
                if let Err(m) = walk.step(&link_of(&row)?) {
                    misfit = Some(m);
                    break;
                }
            }
            misfit
        };
        let Some(misfit) = misfit else {
            return Ok(Ok(walk.head()));
        };
        // Told why with what the rest of the log holds: every id, and who
        // carries the two seals in question.
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
        let mut holders = std::collections::HashMap::new();
        if let Misfit::OutOfPlace { link, .. } = &misfit {
            for seal in [&link.prev_hash, &link.hash].into_iter().flatten() {
                let holder: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM audit_log WHERE hash = ? ORDER BY id LIMIT 1",
                )
                .bind(seal)
                .fetch_optional(&mut *conn)
                .await?;
                holders.insert(seal.clone(), holder);
            }
        }
        let sealed_by = |seal: &str| holders.get(seal).copied().flatten();
        Ok(Err(chain::diagnose(misfit, &ids, sealed_by)))
    }

    /// Recomputes the audit chain: its head, or the first row that breaks it.
    ///
    /// # Errors
    /// The outer error when the database cannot be read.
    pub async fn verify_audit(&self) -> anyhow::Result<Result<Head, Break>> {
        let mut conn = self.pool.acquire().await?;
        Self::audit_chain(&mut conn).await
    }

    /// Seals, in order, the rows written before the log was a chain (once,
    /// when the database is first opened by a version with the chain).
    ///
    /// # Errors
    /// When the database refuses the write.
    pub(super) async fn seal_legacy_audit(&self) -> anyhow::Result<()> {
        let upto: Option<i64> = sqlx::query_scalar("SELECT MAX(upto) FROM audit_chain_legacy")
            .fetch_one(&self.pool)
            .await?;
        let Some(upto) = upto else {
            return Ok(());
        };
        let mut tx = self.begin().await?;
        let mut links = Self::audit_links(&mut tx).await?;
        links.retain(|l| l.id <= upto);
        let mut prev = GENESIS.to_string();
        for link in &links {
            let hash = match (&link.prev_hash, &link.hash) {
                (Some(_), Some(hash)) => hash.clone(),
                _ => {
                    let hash = chain::seal(link, &prev);
                    sqlx::query("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?")
                        .bind(&prev)
                        .bind(&hash)
                        .bind(link.id)
                        .execute(&mut *tx)
                        .await?;
                    hash
                }
            };
            prev = hash;
        }
        sqlx::query("DELETE FROM audit_chain_legacy")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit lines of a batch (or, with `None`, those of no batch), oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn audit_of(
        conn: &mut SqliteConnection,
        batch: Option<BatchId>,
    ) -> anyhow::Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, channel, actor, member_id, batch_id, action, detail FROM audit_log
             WHERE batch_id IS ? ORDER BY id",
        )
        .bind(batch.map(|b| b.0))
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.get("id"),
                    at: from_ms(r.get("at")),
                    channel: r.get("channel"),
                    actor: r.get("actor"),
                    member_id: r.get("member_id"),
                    batch_id: r.get("batch_id"),
                    action: r.get("action"),
                    detail: serde_json::from_str(&r.get::<String, _>("detail"))?,
                })
            })
            .collect()
    }
}

/// Every audit row's sealed fields, in id order.
pub(crate) const SELECT_LINKS: &str = "SELECT id, at, channel, actor, member_id, telegram_user_id, batch_id, action, detail, prev_hash, hash
     FROM audit_log ORDER BY id";

/// An audit row's fields as sealed, from a row of either backend holding
/// the columns of [`SELECT_LINKS`].
///
/// # Errors
/// When a column is missing or not of its type (a file edited by hand).
pub fn link_of<R>(r: &R) -> sqlx::Result<Link>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Link {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        channel: r.try_get("channel")?,
        actor: r.try_get("actor")?,
        member_id: r.try_get("member_id")?,
        telegram_user_id: r.try_get("telegram_user_id")?,
        batch_id: r.try_get("batch_id")?,
        action: r.try_get("action")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}
