//! Participants' rights under UU 27/2022 (PDP): to see what is held about
//! them (as JSON and as a PDF on the letterhead), to be erased, and the
//! records of batches past the retention period erased on request.

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Value, json};

use super::{App, AppError, Rejection, TextField, Via, entry_for, required_text};
use crate::domain::ParticipantId;
use crate::store::Store;
use crate::store::people::Found;
use crate::workflow::{Actor, BatchStatus};

/// Longest erasure reason.
pub const MAX_ERASE_REASON: usize = 500;

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub participant: ParticipantId,
    pub batch: i64,
    /// `.eml` files of theirs deleted from the email folder.
    pub files_deleted: usize,
    /// Copies of their data scrubbed from other records.
    pub scrubbed: u64,
    /// The database file was compacted (no erased value left in free pages).
    pub compacted: bool,
    /// The copies sertibot keeps (databases a restore replaced, nightly
    /// backups), each with how many records of the person it held and
    /// erased, or why it could not be reached.
    pub copies: Vec<(std::path::PathBuf, Result<usize, String>)>,
}

impl App {
    /// Participants whose name, email or registration number contains `text`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn find_people(&self, text: &str) -> Result<Vec<Found>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::find_people(&mut conn, text).await?)
    }

    /// Everything held about a participant, as JSON. Reading it is audited.
    ///
    /// # Errors
    /// [`Rejection::NoSuchParticipant`] for an unknown id.
    pub async fn personal_record(&self, id: ParticipantId, via: Via) -> Result<Value, AppError> {
        let record = self.record_of(id).await?;
        let batch = record["batch"]["id"].as_i64().map(crate::domain::BatchId);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let entry = entry_for(
            &Actor::Operator,
            via,
            "personal_data_shown",
            batch,
            json!({"participant": id.0}),
        );
        Store::audit(&mut tx, &[entry], now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Everything held about a participant, unaudited (the callers audit).
    async fn record_of(&self, id: ParticipantId) -> Result<Value, AppError> {
        let mut conn = self.conn().await?;
        Store::personal_record(&mut conn, id)
            .await?
            .ok_or(AppError::Rejected(Rejection::NoSuchParticipant {
                id: id.0,
            }))
    }

    /// The record as a PDF on the letterhead (times in WIB).
    ///
    /// # Errors
    /// When the template fails.
    pub async fn personal_record_pdf(&self, record: &Value) -> Result<Vec<u8>, AppError> {
        let now = self.now();
        let mut conn = self.conn().await?;
        let ketua = Store::members(&mut conn)
            .await?
            .into_iter()
            .find(|m| m.roles.contains(&crate::domain::Role::KetuaLsp));
        drop(conn);
        let mut data =
            crate::words::record_in_words(local_times(record.clone(), self.config.calendar.tz));
        if let Value::Object(map) = &mut data {
            let nip = ketua
                .as_ref()
                .and_then(|m| m.nip.clone())
                .unwrap_or_default();
            map.insert(
                "ketua".into(),
                json!(ketua.map(|m| m.name).unwrap_or_default()),
            );
            map.insert("ketua_nip".into(), json!(nip));
            map.insert("title".into(), json!("Data pribadi yang disimpan"));
            let today = now.with_timezone(&self.config.calendar.tz).date_naive();
            let date =
                crate::templates::dates::format_date(&today.to_string(), crate::domain::Lang::Id)
                    .unwrap_or_else(|_| today.to_string());
            map.insert("date".into(), json!(date));
        }
        // Typesetting waits for a worker process: off the async threads.
        let kit = self.documents.clone();
        tokio::task::spawn_blocking(move || kit.personal_data_pdf(data, now))
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?
            .map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// Erases a participant's personal data (see [`Store::erase_person`]),
    /// deletes their email files, and compacts the database so the values
    /// are not left in free pages. Refused for a running batch unless
    /// `force`; the reason is always required and audited.
    ///
    /// # Errors
    /// A rejection for an unknown participant, an empty reason, or a
    /// running batch without `force`.
    pub async fn erase_participant(
        &self,
        id: ParticipantId,
        reason: &str,
        force: bool,
        via: Via,
    ) -> Result<Erased, AppError> {
        let reason = required_text(reason, TextField::Reason, MAX_ERASE_REASON)?;
        let record = self.record_of(id).await?;
        let batch = record["batch"]["id"].as_i64().unwrap_or_default();
        let status = record["batch"]["status"]
            .as_str()
            .and_then(BatchStatus::from_db);
        if status == Some(BatchStatus::Running) && !force {
            return Err(AppError::Rejected(Rejection::EraseRunning { batch }));
        }
        let person = Identity::of(&record);
        let mut erased = self.erase(id, &reason, force, via).await?;
        erased.compacted = self.store.compact().await;
        for copy in
            super::backups::kept_copies(&self.config.database, self.config.records.backup.as_ref())
        {
            let done = erase_in_copy(&copy, &person, self.now())
                .await
                .map_err(|e| format!("{e:#}"));
            if let Err(e) = &done {
                tracing::warn!(file = %copy.display(), error = %e, "an erasure could not reach a kept copy of the database");
            }
            erased.copies.push((copy, done));
        }
        Ok(erased)
    }

    /// Erases one participant (not yet compacting the file: see
    /// [`crate::store::Store::compact`]).
    async fn erase(
        &self,
        id: ParticipantId,
        reason: &str,
        forced: bool,
        via: Via,
    ) -> Result<Erased, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let erasure = Store::erase_person(&mut tx, id, now)
            .await?
            .ok_or(AppError::Rejected(Rejection::NoSuchParticipant {
                id: id.0,
            }))?;
        let dir = &self.config.mail.eml_dir;
        let files: Vec<std::path::PathBuf> = erasure
            .email_keys
            .iter()
            .map(|k| dir.join(crate::mail::transport::eml_file_name(k)))
            .filter(|p| p.is_file())
            .collect();
        let detail = json!({
            "participant": id.0,
            "reason": reason,
            "forced": forced,
            "scrubbed": erasure.scrubbed,
            "email_files": files.len(),
        });
        let entry = entry_for(
            &Actor::Operator,
            via,
            "participant_erased",
            Some(crate::domain::BatchId(erasure.batch)),
            detail,
        );
        Store::audit(&mut tx, &[entry], now).await?;
        tx.commit().await?;
        let mut files_deleted = 0;
        for file in &files {
            match std::fs::remove_file(file) {
                Ok(()) => files_deleted += 1,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "cannot delete an erased participant's email file")
                }
            }
        }
        self.changed();
        Ok(Erased {
            participant: id,
            batch: erasure.batch,
            files_deleted,
            scrubbed: erasure.scrubbed,
            compacted: false,
            copies: Vec::new(),
        })
    }

    /// Participants of batches that ended more than `records.retain_years`
    /// ago and are not erased yet: (participant, batch, ended). With
    /// `erase`, each is erased (reason: the retention period), audited.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn purge_records(
        &self,
        erase: bool,
    ) -> Result<Vec<(ParticipantId, i64, DateTime<Utc>)>, AppError> {
        let now = self.now();
        let years = self.config.records.retain_years;
        let cutoff = years_before(now, years);
        let mut conn = self.conn().await?;
        let due = Store::past_retention(&mut conn, cutoff).await?;
        drop(conn);
        if erase {
            let reason = format!("masa retensi {years} tahun berakhir");
            for (id, _, _) in &due {
                self.erase(*id, &reason, false, Via::Cli).await?;
            }
            // Once for all of them: the file rewritten without free pages.
            if !due.is_empty() && !self.store.compact().await {
                tracing::warn!(
                    "the database could not be compacted after the purge; erased values are zeroed but the file keeps its free pages until the next purge or erasure"
                );
            }
        }
        Ok(due)
    }
}

/// The same moment `years` calendar years earlier (29 February → 28).
fn years_before(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    let year = now.year() - years as i32;
    now.with_year(year)
        .or_else(|| (now - chrono::Duration::days(1)).with_year(year))
        .unwrap_or(now)
}

/// The record with every UTC time as local text (`2026-11-24 09:00 WIB`), for print.
fn local_times(value: Value, tz: chrono_tz::Tz) -> Value {
    match value {
        Value::String(s) => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Value::String(t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()),
            Err(_) => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| local_times(v, tz)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, local_times(v, tz)))
                .collect(),
        ),
        other => other,
    }
}

/// What tells a person's records in another copy of the database: their
/// email addresses (now and before a correction) and their NIK. A name
/// alone is not enough (two people share one).
#[derive(Debug, Clone, Default)]
struct Identity {
    emails: Vec<String>,
    nik: Option<String>,
}

impl Identity {
    fn of(record: &Value) -> Identity {
        let p = &record["participant"];
        let mut emails: Vec<String> = p["email"]
            .as_str()
            .map(str::to_lowercase)
            .into_iter()
            .collect();
        for former in p["former"].as_array().into_iter().flatten() {
            if former["field"] == "email"
                && let Some(e) = former["value"].as_str()
            {
                emails.push(e.to_lowercase());
            }
        }
        Identity {
            emails,
            nik: p["nik"].as_str().map(str::to_string),
        }
    }
}

/// Erases `person` in a kept copy of the database (opened, brought to this
/// version, each of their records erased and audited there, the file
/// compacted): how many records of theirs it held.
async fn erase_in_copy(
    path: &std::path::Path,
    person: &Identity,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let store = Store::open(path).await?;
    let result = async {
        let mut tx = store.begin().await?;
        let ids =
            Store::participants_known_by(&mut tx, &person.emails, person.nik.as_deref()).await?;
        for id in &ids {
            if let Some(erasure) = Store::erase_person(&mut tx, *id, now).await? {
                let entry = entry_for(
                    &Actor::Operator,
                    Via::Cli,
                    "participant_erased",
                    Some(crate::domain::BatchId(erasure.batch)),
                    json!({"participant": id.0, "in_copy": true, "scrubbed": erasure.scrubbed}),
                );
                Store::audit(&mut tx, &[entry], now).await?;
            }
        }
        tx.commit().await?;
        anyhow::Ok(ids.len())
    }
    .await;
    if matches!(result, Ok(n) if n > 0) {
        store.compact().await;
    }
    store.close().await;
    result
}
