//! Erasing a participant's personal data (UU 27/2022): their row made a
//! tombstone, their emails emptied, and the copies of their data in other
//! rows of their batch scrubbed, in the caller's transaction.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::TOMBSTONE;
use crate::domain::ParticipantId;
use crate::store::time::ms;

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

impl crate::store::Store {
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
