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

/// What erasing a participant touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub batch: i64,
    /// The keys of emails queued for them (their `.eml` files, in folder mode).
    pub email_keys: Vec<String>,
    /// Rows elsewhere whose copy of their data was scrubbed.
    pub scrubbed: u64,
}

/// The values to scrub from copies, longest first (a name inside an
/// address is replaced before the name alone), each with whether it is
/// distinctive enough to replace wherever it appears: an email, NIK, phone
/// or registration number, or a name of two words or more. A one-word name
/// is replaced only as a whole JSON string (a name in a list), so that
/// "Budi" never turns "Budiman" into something else. A birth place is not
/// scrubbed: a city's name is everywhere.
fn values_of(row: &sqlx::sqlite::SqliteRow, former: Vec<(String, String)>) -> Vec<(String, bool)> {
    let mut values: Vec<(String, bool)> = ["name", "email", "registration_no", "nik", "phone"]
        .iter()
        .filter_map(|c| row.get::<Option<String>, _>(*c).map(|v| (c.to_string(), v)))
        .chain(former)
        .map(|(column, v)| {
            let v = v.trim().to_string();
            let distinctive = column != "name" || v.split_whitespace().count() >= 2;
            (v, distinctive)
        })
        // Too short to be told from other words.
        .filter(|(v, _)| v.chars().count() >= 4)
        .collect();
    values.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    values.dedup();
    values
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

    /// Replaces a participant's personal data with a tombstone, in the
    /// caller's transaction: their row keeps its id, result and blank
    /// number (facts the audit log and the documents refer to); their
    /// emails lose address and content (those still waiting are given up);
    /// copies of their name, email, registration number, NIK or phone in
    /// other messages, open conversations, problem reports and RSVP reasons
    /// (of their batch) are replaced (a one-word name only where it stands
    /// alone). None for no such participant; an already erased one is
    /// erased again.
    ///
    /// # Errors
    /// When the database refuses a write.
    pub async fn erase_person(
        conn: &mut SqliteConnection,
        id: ParticipantId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Erasure>> {
        let Some(row) = sqlx::query("SELECT * FROM participants WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let batch: i64 = row.get("batch_id");
        // What they were called or reached at before a correction, too.
        let former: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name, value FROM participant_former WHERE participant_id = ?",
        )
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?;
        let values = values_of(&row, former);
        sqlx::query("DELETE FROM participant_former WHERE participant_id = ?")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        tombstone(conn, id, now).await?;
        let email_keys: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM outbox WHERE participant_id = ? AND channel = 'email'",
        )
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE outbox SET address = NULL, context = '{}',
                    status = CASE status WHEN 'pending' THEN 'failed' ELSE status END,
                    last_error = CASE status WHEN 'pending' THEN 'the participant was erased' ELSE last_error END
             WHERE participant_id = ?",
        )
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        let scrubbed = scrub(conn, batch, &values).await?;
        Ok(Some(Erasure {
            batch,
            email_keys,
            scrubbed,
        }))
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

/// Replaces each of `values` (a participant's name, email, numbers;
/// distinctive ones anywhere, the others only as a whole JSON string) with
/// the tombstone in the messages, reports, answers, conversations and
/// updates of their batch (and of no batch). Returns the rows changed.
async fn scrub(
    conn: &mut SqliteConnection,
    batch: i64,
    values: &[(String, bool)],
) -> anyhow::Result<u64> {
    let mut scrubbed = 0;
    let tombstone = serde_json::to_string(TOMBSTONE)?;
    for (value, distinctive) in values {
        // Anywhere (an address "Name <email>", a sentence), as JSON
        // writes it and as typed; or only as a whole JSON string.
        let quoted = serde_json::to_string(value)?;
        let (first, second, instead) = if *distinctive {
            (
                quoted[1..quoted.len() - 1].to_string(),
                value.clone(),
                TOMBSTONE,
            )
        } else {
            (quoted.clone(), quoted, tombstone.as_str())
        };
        // Messages and reports of their batch (and those of no batch);
        // conversations and the inbox are few and short-lived.
        for (table, column, scope) in [
            ("outbox", "context", "(batch_id = ?4 OR batch_id IS NULL)"),
            ("outbox", "address", "(batch_id = ?4 OR batch_id IS NULL)"),
            (
                "outbox",
                "last_error",
                "(batch_id = ?4 OR batch_id IS NULL)",
            ),
            ("problems", "text", "batch_id = ?4"),
            ("rsvps", "reason", "batch_id = ?4"),
            ("conversations", "state", "?4 = ?4"),
            ("inbox", "body", "?4 = ?4"),
        ] {
            let sql = format!(
                "UPDATE {table} SET {column} = replace(replace({column}, ?1, ?3), ?2, ?3)
                 WHERE {scope} AND (instr({column}, ?1) > 0 OR instr({column}, ?2) > 0)"
            );
            scrubbed += sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&first)
                .bind(&second)
                .bind(instead)
                .bind(batch)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
    }
    Ok(scrubbed)
}

/// The participant's own row made a tombstone: their name and the
/// fields that identify them replaced or emptied, the time of erasure kept
/// from the first time.
async fn tombstone(
    conn: &mut SqliteConnection,
    id: ParticipantId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let gone = format!("dihapus-{}@invalid", id.0);
    sqlx::query(
        "UPDATE participants SET name = ?, email = ?, email_key = ?, registration_no = NULL,
                nik = NULL, birth_place = NULL, birth_date = NULL, phone = NULL,
                receipt_detail = NULL, erased_at = IFNULL(erased_at, ?)
         WHERE id = ?",
    )
    .bind(TOMBSTONE)
    .bind(&gone)
    .bind(&gone)
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
