//! Batches, their participants and procedure versions; loading a batch's
//! whole state for the workflow.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::{BatchId, BatchInfo, Email, Participant, ParticipantId};
use crate::sop::{Procedure, StepNo};
use crate::workflow::BatchStatus;

/// A batch as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub info: BatchInfo,
    pub status: BatchStatus,
    pub participants: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The steps active now.
    pub active_steps: Vec<StepNo>,
}

/// A participant to import, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParticipant {
    pub name: String,
    pub email: Email,
    pub registration_no: Option<String>,
    /// What BNSP's request asks for beyond the name, when the list has it.
    pub details: crate::domain::ParticipantDetails,
}

impl super::Store {
    /// Records a procedure version (once per fingerprint) and returns its id.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn save_procedure(
        conn: &mut SqliteConnection,
        procedure: &Procedure,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        sqlx::query(
            "INSERT INTO procedures (fingerprint, name, version, source, first_used_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(fingerprint) DO NOTHING",
        )
        .bind(&procedure.fingerprint)
        .bind(&procedure.name)
        .bind(&procedure.version)
        .bind(&procedure.source)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT id FROM procedures WHERE fingerprint = ?")
                .bind(&procedure.fingerprint)
                .fetch_one(conn)
                .await?,
        )
    }

    /// Creates a draft batch.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn insert_batch(
        conn: &mut SqliteConnection,
        scheme: &str,
        assessed_on: NaiveDate,
        place: Option<&str>,
        procedure_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<BatchId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO batches (scheme, assessed_on, place, procedure_id, status, created_at)
             VALUES (?, ?, ?, ?, 'draft', ?) RETURNING id",
        )
        .bind(scheme)
        .bind(assessed_on.to_string())
        .bind(place)
        .bind(procedure_id)
        .bind(ms(now))
        .fetch_one(conn)
        .await?;
        Ok(BatchId(id))
    }

    /// Ties a batch to the procedure version it runs (set again at start).
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_batch_procedure(
        conn: &mut SqliteConnection,
        batch: BatchId,
        procedure_id: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE batches SET procedure_id = ? WHERE id = ?")
            .bind(procedure_id)
            .bind(batch.0)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// A batch's identity, if it exists.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn batch_info(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Option<BatchInfo>> {
        let row = sqlx::query("SELECT id, scheme, assessed_on, place FROM batches WHERE id = ?")
            .bind(batch.0)
            .fetch_optional(conn)
            .await?;
        row.map(|row| read_info(&row)).transpose()
    }

    /// Every batch, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn batches(conn: &mut SqliteConnection) -> anyhow::Result<Vec<BatchSummary>> {
        let rows = sqlx::query(
            "SELECT b.id, b.scheme, b.assessed_on, b.place,
                    CASE WHEN b.cancelled_at IS NULL THEN b.status ELSE 'cancelled' END AS status, b.created_at, b.started_at, b.finished_at,
                    (SELECT COUNT(*) FROM participants p WHERE p.batch_id = b.id) AS participants,
                    (SELECT group_concat(step_no) FROM (SELECT step_no FROM step_runs s
                        WHERE s.batch_id = b.id AND s.state = 'active' ORDER BY step_no)) AS active
             FROM batches b ORDER BY b.id DESC",
        )
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|row| {
                let active: Option<String> = row.get("active");
                Ok(BatchSummary {
                    info: read_info(row)?,
                    status: read_status(row.get("status"))?,
                    participants: row.get("participants"),
                    created_at: from_ms(row.get("created_at")),
                    started_at: row.get::<Option<i64>, _>("started_at").map(from_ms),
                    finished_at: row.get::<Option<i64>, _>("finished_at").map(from_ms),
                    active_steps: active
                        .unwrap_or_default()
                        .split(',')
                        .filter_map(|n| n.parse().ok().map(StepNo))
                        .collect(),
                })
            })
            .collect()
    }

    /// The emails (lower-case) and registration numbers a batch already has,
    /// and its highest row number.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn participant_keys(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<(HashSet<String>, HashSet<String>, i64)> {
        let rows = sqlx::query(
            "SELECT email_key, registration_no, row_no FROM participants WHERE batch_id = ?",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?;
        let mut emails = HashSet::new();
        let mut numbers = HashSet::new();
        let mut last_row = 0;
        for row in rows {
            emails.insert(row.get::<String, _>("email_key"));
            if let Some(n) = row.get::<Option<String>, _>("registration_no") {
                numbers.insert(n);
            }
            last_row = last_row.max(row.get::<i64, _>("row_no"));
        }
        Ok((emails, numbers, last_row))
    }

    /// Adds participants to a batch, numbering them after `last_row`.
    ///
    /// # Errors
    /// When the database refuses a write (the caller's transaction then rolls back).
    pub async fn insert_participants(
        conn: &mut SqliteConnection,
        batch: BatchId,
        participants: &[NewParticipant],
        last_row: i64,
    ) -> anyhow::Result<()> {
        // Multi-row inserts keep a 10,000-row import well under a second.
        for (chunk_no, chunk) in participants.chunks(150).enumerate() {
            let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO participants (batch_id, row_no, name, email, email_key, registration_no, \
                 nik, birth_place, birth_date, phone) ",
            );
            builder.push_values(chunk.iter().enumerate(), |mut b, (i, p)| {
                b.push_bind(batch.0)
                    .push_bind(last_row + (chunk_no * 150 + i) as i64 + 1)
                    .push_bind(&p.name)
                    .push_bind(p.email.as_str())
                    .push_bind(p.email.normalized())
                    .push_bind(&p.registration_no)
                    .push_bind(&p.details.nik)
                    .push_bind(&p.details.birth_place)
                    .push_bind(p.details.birth_date.map(|d| d.to_string()))
                    .push_bind(&p.details.phone);
            });
            builder.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// A batch's participants with their contact, in import order.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn participants(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<BTreeMap<ParticipantId, Participant>> {
        let rows = sqlx::query(
            "SELECT id, name, email, registration_no FROM participants WHERE batch_id = ? ORDER BY row_no",
        )
        .bind(batch.0)
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|row| {
                let id = ParticipantId(row.get("id"));
                let email: String = row.get("email");
                Ok((
                    id,
                    Participant {
                        id,
                        name: row.get("name"),
                        email: Email::parse(&email)?,
                        registration_no: row.get("registration_no"),
                    },
                ))
            })
            .collect()
    }
}

fn read_info(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<BatchInfo> {
    let assessed_on: String = row.get("assessed_on");
    Ok(BatchInfo {
        id: BatchId(row.get("id")),
        scheme: row.get("scheme"),
        assessed_on: assessed_on
            .parse()
            .context("a stored assessment date is not a date")?,
        place: row.get("place"),
    })
}

pub(super) fn read_status(text: String) -> anyhow::Result<BatchStatus> {
    BatchStatus::from_db(&text)
        .with_context(|| format!("unknown batch status '{text}' in the database"))
}

/// A stored procedure, parsed once per process. Every action loads its
/// batch's state, and parsing the procedure's TOML each time cost more than
/// the rest of the action; the cache is keyed by the source text itself, so
/// a procedure is never mistaken for another.
pub(super) fn parsed_procedure(
    source: String,
    fingerprint: String,
) -> anyhow::Result<Arc<Procedure>> {
    static PARSED: LazyLock<Mutex<HashMap<String, Arc<Procedure>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    if let Some(found) = PARSED.lock().ok().and_then(|p| p.get(&source).cloned()) {
        return Ok(found);
    }
    let procedure = Arc::new(Procedure::parse(
        &source,
        &format!(
            "stored procedure {}",
            &fingerprint[..12.min(fingerprint.len())]
        ),
    )?);
    if let Ok(mut cache) = PARSED.lock() {
        cache.insert(source, procedure.clone());
    }
    Ok(procedure)
}
