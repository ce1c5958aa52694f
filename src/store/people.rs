//! Participants as data subjects (UU 27/2022): finding a person, all that
//! is held about them, erasing their personal data, and whose records have
//! passed the retention period.
//!
//! Personal data (name, email, registration number, NIK, birth place and
//! date, phone) live in the `participants` row; everything else refers to
//! the row by id, and the audit log carries ids and facts. The copies that
//! messages need (an email's address and the facts its template renders,
//! a staff card listing names) are scrubbed when the person is erased.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::ParticipantId;

mod erasure;
pub use erasure::Erasure;

/// What an erased participant's name reads as.
pub const TOMBSTONE: &str = "[dihapus]";

/// A participant found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: i64,
    pub batch: i64,
    pub name: String,
    pub email: String,
    pub erased: bool,
}

/// The rows `sql` (one `?`, the participant's id) selects about a
/// participant, each as `json` makes it.
async fn about(
    conn: &mut SqliteConnection,
    id: ParticipantId,
    sql: &'static str,
    json: impl Fn(&sqlx::sqlite::SqliteRow) -> Value,
) -> anyhow::Result<Vec<Value>> {
    let rows = sqlx::query(sql).bind(id.0).fetch_all(conn).await?;
    Ok(rows.iter().map(json).collect())
}

impl super::Store {
    /// Participants whose name, email or registration number contains
    /// `text` (case-insensitive), at most 50.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn find_people(
        conn: &mut SqliteConnection,
        text: &str,
    ) -> anyhow::Result<Vec<Found>> {
        let pattern = format!("%{}%", text.trim().to_lowercase().replace(['%', '_'], ""));
        let rows = sqlx::query(
            "SELECT id, batch_id, name, email, erased_at FROM participants
             WHERE lower(name) LIKE ?1 OR email_key LIKE ?1 OR lower(IFNULL(registration_no, '')) LIKE ?1
             ORDER BY id LIMIT 50",
        )
        .bind(pattern)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Found {
                id: r.get("id"),
                batch: r.get("batch_id"),
                name: r.get("name"),
                email: r.get("email"),
                erased: r.get::<Option<i64>, _>("erased_at").is_some(),
            })
            .collect())
    }

    /// Everything held about a participant, as JSON (times in UTC): their
    /// row, their batch, their documents, the messages sent to them, and
    /// the audit lines about them. None for no such participant.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn personal_record(
        conn: &mut SqliteConnection,
        id: ParticipantId,
    ) -> anyhow::Result<Option<Value>> {
        let Some(p) = sqlx::query(
            "SELECT p.*, b.scheme, b.assessed_on, b.place,
                    CASE WHEN b.cancelled_at IS NULL THEN b.status ELSE 'cancelled' END AS batch_status
             FROM participants p JOIN batches b ON b.id = p.batch_id WHERE p.id = ?",
        )
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let documents = about(&mut *conn, id,
            "SELECT kind, number, issued_at, sha256 FROM documents WHERE participant_id = ? ORDER BY id",
            |r| {
            json!({
                "kind": r.get::<String, _>("kind"),
                "number": r.get::<Option<String>, _>("number"),
                "issued_at": r.get::<Option<i64>, _>("issued_at").map(from_ms),
                "sha256": r.get::<Option<String>, _>("sha256"),
            })
            },
        )
        .await?;
        let messages = about(
            &mut *conn,
            id,
            "SELECT channel, address, template, status, created_at, sent_at FROM outbox
             WHERE participant_id = ? ORDER BY id",
            |r| {
                json!({
                    "channel": r.get::<String, _>("channel"),
                    "address": r.get::<Option<String>, _>("address"),
                    "template": r.get::<String, _>("template"),
                    "status": r.get::<String, _>("status"),
                    "created_at": from_ms(r.get("created_at")),
                    "sent_at": r.get::<Option<i64>, _>("sent_at").map(from_ms),
                })
            },
        )
        .await?;
        let former = about(
            &mut *conn,
            id,
            "SELECT column_name, value FROM participant_former WHERE participant_id = ?",
            |r| json!({"field": r.get::<String, _>("column_name"), "value": r.get::<String, _>("value")}),
        )
        .await?;
        let audit = about(&mut *conn, id,
            "SELECT id, at, channel, actor, action, detail FROM audit_log
             WHERE json_valid(detail) AND json_extract(detail, '$.participant') = ? ORDER BY id",
            |r| {
            json!({
                "row": r.get::<i64, _>("id"),
                "at": from_ms(r.get("at")),
                "channel": r.get::<String, _>("channel"),
                "actor": r.get::<String, _>("actor"),
                "action": r.get::<String, _>("action"),
                "detail": serde_json::from_str::<Value>(&r.get::<String, _>("detail")).unwrap_or_default(),
            })
            },
        )
        .await?;
        Ok(Some(record_json(&p, former, documents, messages, audit)))
    }

    /// Participants not yet erased with one of these email addresses
    /// (lower-case) or this NIK.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn participants_known_by(
        conn: &mut SqliteConnection,
        emails: &[String],
        nik: Option<&str>,
    ) -> anyhow::Result<Vec<ParticipantId>> {
        let mut ids = Vec::new();
        for email in emails {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM participants WHERE erased_at IS NULL AND email_key = ?",
            )
            .bind(email)
            .fetch_all(&mut *conn)
            .await?;
            ids.extend(found);
        }
        if let Some(nik) = nik {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM participants WHERE erased_at IS NULL AND nik = ?",
            )
            .bind(nik)
            .fetch_all(&mut *conn)
            .await?;
            ids.extend(found);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.into_iter().map(ParticipantId).collect())
    }

    /// Participants not yet erased whose batch finished (or was cancelled)
    /// before `before`, or never started and was made before then (a draft
    /// left behind holds personal data too): (participant, batch, ended).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn past_retention(
        conn: &mut SqliteConnection,
        before: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(ParticipantId, i64, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT p.id, p.batch_id, ended FROM (
                 SELECT p.id, p.batch_id, p.erased_at, COALESCE(
                     b.cancelled_at, b.finished_at,
                     CASE WHEN b.status = 'draft' THEN b.created_at END) AS ended
                 FROM participants p JOIN batches b ON b.id = p.batch_id) p
             WHERE p.erased_at IS NULL AND ended < ?
             ORDER BY p.id",
        )
        .bind(ms(before))
        .fetch_all(conn)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    ParticipantId(r.get("id")),
                    r.get("batch_id"),
                    from_ms(r.get("ended")),
                )
            })
            .collect())
    }
}

/// A participant's record as `personal_record` gives it: their row
/// (`p`, joined with their batch), what they were called before, and what
/// else is held about them.
fn record_json(
    p: &sqlx::sqlite::SqliteRow,
    former: Vec<Value>,
    documents: Vec<Value>,
    messages: Vec<Value>,
    audit: Vec<Value>,
) -> Value {
    let at = |column: &str| p.get::<Option<i64>, _>(column).map(from_ms);
    let text = |column: &str| p.get::<Option<String>, _>(column);
    json!({
        "participant": {
            "id": p.get::<i64, _>("id"),
            "name": text("name"),
            "email": text("email"),
            "registration_no": text("registration_no"),
            "nik": text("nik"),
            "birth_place": text("birth_place"),
            "birth_date": text("birth_date"),
            "phone": text("phone"),
            "row": p.get::<i64, _>("row_no"),
            "result": text("result"),
            "result_at": at("result_at"),
            "blank_number": text("blank_number"),
            "handover_ready_at": at("handover_ready_at"),
            "handover_opened_at": at("handover_opened_at"),
            "received_at": at("received_at"),
            "erased_at": at("erased_at"),
            "former": former,
        },
        "batch": {
            "id": p.get::<i64, _>("batch_id"),
            "scheme": text("scheme"),
            "assessed_on": text("assessed_on"),
            "place": text("place"),
            "status": text("batch_status"),
        },
        "documents": documents,
        "messages": messages,
        "audit": audit,
    })
}
