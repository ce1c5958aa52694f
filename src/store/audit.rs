//! The append-only audit log: who did what, when, through which channel.
//! The table refuses UPDATE and DELETE by trigger.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

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
        for e in entries {
            sqlx::query(
                "INSERT INTO audit_log (at, channel, actor, member_id, telegram_user_id, batch_id, action, detail)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(ms(now))
            .bind(e.channel)
            .bind(e.actor)
            .bind(e.member.map(|m| m.0))
            .bind(e.telegram_user.map(|t| t.0))
            .bind(e.batch.map(|b| b.0))
            .bind(&e.action)
            .bind(e.detail.to_string())
            .execute(&mut *conn)
            .await?;
        }
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
