//! The outbox: every message the system will send, queued in the caller's
//! transaction. Delivery workers (Telegram, email) claim rows from here.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::BatchId;
use crate::notify::Outgoing;

/// A queued message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub member_id: Option<i64>,
    pub participant_id: Option<i64>,
    pub address: Option<String>,
    pub template: String,
    pub context: serde_json::Value,
    pub status: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

impl super::Store {
    /// Queues messages; an occasion already queued (same key) is left as it is.
    /// Returns how many rows were new.
    ///
    /// # Errors
    /// When the database refuses a write.
    pub async fn enqueue(
        conn: &mut SqliteConnection,
        messages: &[Outgoing],
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let mut added = 0;
        for m in messages {
            added += sqlx::query(
                "INSERT INTO outbox (key, channel, batch_id, member_id, participant_id, address, template, context,
                                     next_attempt_at, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
            )
            .bind(&m.key)
            .bind(m.channel.as_str())
            .bind(m.batch.map(|b| b.0))
            .bind(m.member.map(|x| x.0))
            .bind(m.participant.map(|x| x.0))
            .bind(&m.address)
            .bind(&m.template)
            .bind(m.context.to_string())
            .bind(ms(now))
            .bind(ms(now))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        }
        Ok(added)
    }

    /// A batch's queued messages, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn outbox_of(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, key, channel, member_id, participant_id, address, template, context, status, attempts, created_at
             FROM outbox WHERE batch_id = ? ORDER BY id",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.get("id"),
                    key: r.get("key"),
                    channel: r.get("channel"),
                    member_id: r.get("member_id"),
                    participant_id: r.get("participant_id"),
                    address: r.get("address"),
                    template: r.get("template"),
                    context: serde_json::from_str(&r.get::<String, _>("context"))?,
                    status: r.get("status"),
                    attempts: r.get("attempts"),
                    created_at: from_ms(r.get("created_at")),
                })
            })
            .collect()
    }
}
