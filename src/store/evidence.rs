//! What the evidence workbook, the documents and `check` read besides the
//! batch's state, as typed rows: participants' particulars, problems
//! reported, the batch's messages, and the last nightly backup's report.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::from_ms;
use crate::domain::{BatchId, ParticipantDetails, ParticipantId};

/// A participant's particulars, in import order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Particulars {
    pub id: ParticipantId,
    pub registration_no: Option<String>,
    pub details: ParticipantDetails,
}

/// A problem reported on a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemReported {
    pub step: u32,
    pub member: Option<i64>,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// One message queued for a batch, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub key: String,
    pub channel: String,
    pub member: Option<i64>,
    pub participant: Option<i64>,
    pub chat: Option<i64>,
    pub template: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl super::Store {
    /// A batch's participants' particulars, in import order.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn particulars(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<Particulars>> {
        Ok(sqlx::query(
            "SELECT id, registration_no, nik, birth_place, birth_date, phone
             FROM participants WHERE batch_id = ? ORDER BY row_no",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            let birth_date: Option<String> = row.get("birth_date");
            Particulars {
                id: ParticipantId(row.get("id")),
                registration_no: row.get("registration_no"),
                details: ParticipantDetails {
                    nik: row.get("nik"),
                    birth_place: row.get("birth_place"),
                    birth_date: birth_date.and_then(|d| d.parse().ok()),
                    phone: row.get("phone"),
                },
            }
        })
        .collect())
    }

    /// A batch's problems, in the order reported.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn problems_of(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<ProblemReported>> {
        Ok(sqlx::query(
            "SELECT step_no, member_id, text, at FROM problems WHERE batch_id = ? ORDER BY id",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| ProblemReported {
            step: r.get::<i64, _>("step_no") as u32,
            member: r.get("member_id"),
            text: r.get("text"),
            at: from_ms(r.get("at")),
        })
        .collect())
    }

    /// Every message queued for a batch, in the order queued.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn messages_of(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<MessageRecord>> {
        Ok(sqlx::query(
            "SELECT key, channel, member_id, participant_id, chat_id, template, status,
                    attempts, created_at, sent_at, last_error
             FROM outbox WHERE batch_id = ? ORDER BY id",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| MessageRecord {
            key: r.get("key"),
            channel: r.get("channel"),
            member: r.get("member_id"),
            participant: r.get("participant_id"),
            chat: r.get("chat_id"),
            template: r.get("template"),
            status: r.get("status"),
            attempts: r.get("attempts"),
            created_at: from_ms(r.get("created_at")),
            sent_at: r.get::<Option<i64>, _>("sent_at").map(from_ms),
            last_error: r.get("last_error"),
        })
        .collect())
    }

    /// The detail of the last nightly backup's audit row, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn last_nightly_backup(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT detail FROM audit_log WHERE action = 'backup_nightly_fired' ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(conn)
        .await?)
    }
}
