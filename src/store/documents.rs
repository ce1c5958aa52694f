//! The documents' records: letter numbers (a yearly counter per kind,
//! never reused) and each document's issue, with its SHA-256, in the
//! audit log.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Row, SqliteConnection};

use super::AuditEntry;
use super::time::ms;
use crate::documents::kit::Numbers;
use crate::documents::{Document, Kind};
use crate::domain::{BatchId, ParticipantId};

/// A document that needs a number: its kind, whom it is about, and the
/// year its counter runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToNumber {
    pub kind: Kind,
    pub participant: Option<ParticipantId>,
    pub year: i32,
}

impl super::Store {
    /// The letter numbers a batch's documents were given.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn document_numbers(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Numbers> {
        let rows = sqlx::query(
            "SELECT kind, participant_id, number FROM documents
             WHERE batch_id = ? AND number IS NOT NULL",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let kind = Kind::from_slug(row.get::<String, _>("kind").as_str())?;
                let participant = row
                    .get::<Option<i64>, _>("participant_id")
                    .map(ParticipantId);
                Some(((kind, participant), row.get("number")))
            })
            .collect())
    }

    /// Gives each document in `wanted` that has none its number: the next
    /// value of its kind's counter for its year, formatted by `format`.
    /// Each number given is an audit line. Returns how many were given.
    ///
    /// # Errors
    /// When the database refuses the write (a number taken twice among
    /// them: two patterns that make the same text).
    pub async fn number_documents(
        conn: &mut SqliteConnection,
        batch: BatchId,
        wanted: &[ToNumber],
        format: impl Fn(&ToNumber, i64) -> Option<String>,
        channel: &'static str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut given = 0;
        for item in wanted {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM documents WHERE batch_id = ? AND kind = ? AND IFNULL(participant_id, 0) = ?",
            )
            .bind(batch.0)
            .bind(item.kind.slug())
            .bind(item.participant.map_or(0, |p| p.0))
            .fetch_optional(&mut *conn)
            .await?;
            if exists.is_some() {
                continue;
            }
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO letter_counters (kind, year, last) VALUES (?, ?, 1)
                 ON CONFLICT (kind, year) DO UPDATE SET last = last + 1
                 RETURNING last",
            )
            .bind(item.kind.slug())
            .bind(item.year)
            .fetch_one(&mut *conn)
            .await?;
            let Some(number) = format(item, seq) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO documents (batch_id, kind, participant_id, number, numbered_at)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(batch.0)
            .bind(item.kind.slug())
            .bind(item.participant.map(|p| p.0))
            .bind(&number)
            .bind(ms(now))
            .execute(&mut *conn)
            .await?;
            let entry = entry(
                channel,
                batch,
                "document_numbered",
                json!({
                    "kind": item.kind.slug(),
                    "participant": item.participant.map(|p| p.0),
                    "number": number,
                }),
            );
            super::Store::audit(&mut *conn, &[entry], now).await?;
            given += 1;
        }
        Ok(given)
    }

    /// Records documents as issued: a document issued for the first time,
    /// or whose bytes changed since (facts corrected), gets its SHA-256
    /// kept and an audit line; one issued before unchanged gets nothing.
    /// Returns how many were new or changed.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn record_issued(
        conn: &mut SqliteConnection,
        batch: BatchId,
        documents: &[Document],
        channel: &'static str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut issued = 0;
        for doc in documents {
            let sha = doc.sha256();
            let participant = doc.participant.map_or(0, |p| p.0);
            let before: Option<Option<String>> = sqlx::query_scalar(
                "SELECT sha256 FROM documents WHERE batch_id = ? AND kind = ? AND IFNULL(participant_id, 0) = ?",
            )
            .bind(batch.0)
            .bind(doc.kind.slug())
            .bind(participant)
            .fetch_optional(&mut *conn)
            .await?;
            if before.as_ref().and_then(|b| b.as_deref()) == Some(sha.as_str()) {
                continue;
            }
            if before.is_some() {
                sqlx::query(
                    "UPDATE documents SET sha256 = ?, issued_at = ?
                     WHERE batch_id = ? AND kind = ? AND IFNULL(participant_id, 0) = ?",
                )
                .bind(&sha)
                .bind(ms(now))
                .bind(batch.0)
                .bind(doc.kind.slug())
                .bind(participant)
                .execute(&mut *conn)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO documents (batch_id, kind, participant_id, numbered_at, sha256, issued_at)
                     VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(batch.0)
                .bind(doc.kind.slug())
                .bind(doc.participant.map(|p| p.0))
                .bind(ms(now))
                .bind(&sha)
                .bind(ms(now))
                .execute(&mut *conn)
                .await?;
            }
            let reissued = before.is_some_and(|b| b.is_some());
            let entry = entry(
                channel,
                batch,
                if reissued {
                    "document_reissued"
                } else {
                    "document_issued"
                },
                json!({
                    "kind": doc.kind.slug(),
                    "participant": doc.participant.map(|p| p.0),
                    "number": doc.number,
                    "file": doc.file_name,
                    "bytes": doc.bytes.len(),
                    "sha256": sha,
                }),
            );
            super::Store::audit(&mut *conn, &[entry], now).await?;
            issued += 1;
        }
        Ok(issued)
    }
}

/// An audit line of the system about a batch's document.
fn entry(
    channel: &'static str,
    batch: BatchId,
    action: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        channel,
        actor: "system",
        member: None,
        telegram_user: None,
        batch: Some(batch),
        action: action.into(),
        detail,
    }
}
