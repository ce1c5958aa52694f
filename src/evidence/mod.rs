//! The evidence export of one batch, for a BNSP surveillance: a ZIP with
//! a workbook of every record (participants, steps with their standard
//! time and lateness, acknowledgements, RSVPs, problems, pauses, every
//! message sent, the batch's audit lines), every document the batch has,
//! and `manifest.json` with each file's SHA-256 and the audit chain's head.
//! An export of a batch still running is marked interim.

mod workbook;

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};

use crate::documents::Document;
use crate::documents::facts::BatchFacts;
use crate::domain::{BatchId, MemberId};
use crate::store::chain::{Break, Head, hex};
use crate::store::{Store, from_ms};
use crate::workflow::{BatchStatus, Calendar, StepState};
use workbook::wib;

/// The records of a batch, as the workbook's rows.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub participants: Vec<Vec<String>>,
    pub steps: Vec<Vec<String>>,
    pub acknowledgements: Vec<Vec<String>>,
    pub rsvps: Vec<Vec<String>>,
    pub problems: Vec<Vec<String>>,
    pub pauses: Vec<Vec<String>>,
    pub messages: Vec<Vec<String>>,
    pub audit: Vec<Vec<String>>,
}

/// One file of the export, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The audit chain as it stood when the export was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChainState {
    Sound {
        rows: u64,
        last_row: i64,
        head: String,
    },
    Broken {
        broken: Break,
    },
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub batch: i64,
    pub scheme: String,
    pub status: String,
    /// The batch is still running (or not started): the records will grow.
    pub interim: bool,
    pub made_at: DateTime<Utc>,
    pub audit_chain: ChainState,
    pub files: Vec<ManifestFile>,
}

/// A made export.
#[derive(Debug, Clone)]
pub struct Export {
    pub manifest: Manifest,
    /// The ZIP's bytes.
    pub bytes: Vec<u8>,
}

/// The workbook's name inside the export.
pub const WORKBOOK: &str = "rekaman.xlsx";

/// Makes the export from the batch's facts, its documents and the audit
/// chain's state, at `now`.
///
/// # Errors
/// When the database cannot be read.
pub async fn export(
    conn: &mut SqliteConnection,
    facts: &BatchFacts,
    documents: &[Document],
    chain: Result<Head, Break>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> anyhow::Result<Export> {
    let records = records(conn, facts, calendar).await?;
    let mut files: Vec<(String, Vec<u8>)> = vec![(WORKBOOK.into(), workbook::workbook(&records))];
    files.extend(
        documents
            .iter()
            .map(|d| (format!("dokumen/{}", d.file_name), d.bytes.clone())),
    );
    let manifest = Manifest {
        batch: facts.info.id.0,
        scheme: facts.info.scheme.clone(),
        status: facts.state.status.as_str().into(),
        interim: facts.state.status != BatchStatus::Finished
            && facts.state.status != BatchStatus::Cancelled,
        made_at: now,
        audit_chain: match chain {
            Ok(head) => ChainState::Sound {
                rows: head.rows,
                last_row: head.last_id,
                head: head.hash,
            },
            Err(broken) => ChainState::Broken { broken },
        },
        files: files
            .iter()
            .map(|(name, bytes)| ManifestFile {
                name: name.clone(),
                bytes: bytes.len() as u64,
                sha256: hex(&Sha256::digest(bytes)),
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest)?;
    files.push(("manifest.json".into(), json));
    Ok(Export {
        bytes: zip(&files, now)?,
        manifest,
    })
}

fn zip(files: &[(String, Vec<u8>)], now: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let wib = now.with_timezone(&chrono_tz::Asia::Jakarta);
    let time = zip::DateTime::from_date_and_time(
        wib.year() as u16,
        wib.month() as u8,
        wib.day() as u8,
        wib.hour() as u8,
        wib.minute() as u8,
        wib.second() as u8,
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o600);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// A member's name, or their number when unknown.
fn member(facts: &BatchFacts, id: Option<i64>) -> String {
    id.map(|m| {
        facts
            .members
            .iter()
            .find(|x| x.id == MemberId(m))
            .map_or_else(|| format!("anggota #{m}"), |x| x.name.clone())
    })
    .unwrap_or_default()
}

async fn records(
    conn: &mut SqliteConnection,
    facts: &BatchFacts,
    calendar: &Calendar,
) -> anyhow::Result<Records> {
    let batch = facts.info.id;
    let emails = Store::participants(&mut *conn, batch).await?;
    let state = &facts.state;
    let participants = state
        .participants
        .values()
        .enumerate()
        .map(|(i, p)| {
            let person = facts.people.get(&p.id);
            let details = person.map(|x| x.details.clone()).unwrap_or_default();
            vec![
                (i + 1).to_string(),
                p.id.0.to_string(),
                p.name.clone(),
                emails
                    .get(&p.id)
                    .map(|e| e.email.as_str().to_string())
                    .unwrap_or_default(),
                person
                    .and_then(|x| x.registration_no.clone())
                    .unwrap_or_default(),
                details.nik.unwrap_or_default(),
                details.birth_place.unwrap_or_default(),
                details
                    .birth_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                details.phone.unwrap_or_default(),
                p.result.map(|r| r.code().to_string()).unwrap_or_default(),
                p.blank_number.clone().unwrap_or_default(),
                wib(p.handover.ready_at),
                wib(p.handover.received_at),
                p.handover
                    .via
                    .as_ref()
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut steps = Vec::new();
    let mut acknowledgements = Vec::new();
    for (no, run) in &state.steps {
        let step = state.procedure.step(*no);
        let late = match (run.due_at, run.finished_at, run.state) {
            (Some(due), Some(done), StepState::Done) if done > due => {
                calendar.minutes_between(due, done).max(0).to_string()
            }
            (Some(_), Some(_), StepState::Done) => "0".into(),
            _ => String::new(),
        };
        let by: Vec<String> = run.dones.keys().map(|m| member(facts, Some(m.0))).collect();
        steps.push(vec![
            no.0.to_string(),
            step.map(|s| s.activity.clone()).unwrap_or_default(),
            step.map(|s| s.standard_time.to_string())
                .unwrap_or_default(),
            run.state.as_str().into(),
            wib(run.started_at),
            wib(run.due_at),
            wib(run.finished_at),
            late,
            by.join(", "),
        ]);
        for (m, at) in &run.acks {
            acknowledgements.push(vec![
                no.0.to_string(),
                member(facts, Some(m.0)),
                wib(Some(*at)),
            ]);
        }
    }
    let rsvps = state
        .rsvps
        .iter()
        .map(|(m, r)| {
            vec![
                member(facts, Some(m.0)),
                if r.attend { "hadir" } else { "tidak hadir" }.into(),
                r.reason.clone().unwrap_or_default(),
                wib(Some(r.at)),
            ]
        })
        .collect();
    let problems = sqlx::query(
        "SELECT step_no, member_id, text, at FROM problems WHERE batch_id = ? ORDER BY id",
    )
    .bind(batch.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        vec![
            r.get::<i64, _>("step_no").to_string(),
            member(facts, r.get("member_id")),
            r.get("text"),
            wib(Some(from_ms(r.get("at")))),
        ]
    })
    .collect();
    let audit_rows = Store::audit_links_of(&mut *conn, batch).await?;
    let mut pauses: Vec<Vec<String>> = Vec::new();
    for l in &audit_rows {
        let detail: serde_json::Value = serde_json::from_str(&l.detail).unwrap_or_default();
        let step = detail["step"].as_u64().unwrap_or_default().to_string();
        if l.action == "step_paused" {
            let reason = detail["reason"].as_str().unwrap_or_default().to_string();
            pauses.push(vec![step, wib(Some(from_ms(l.at))), reason, String::new()]);
        } else if l.action == "step_resumed"
            && let Some(open) = pauses
                .iter_mut()
                .rev()
                .find(|p| p[0] == step && p[3].is_empty())
        {
            open[3] = wib(Some(from_ms(l.at)));
        }
    }
    let audit = audit_rows
        .iter()
        .map(|l| {
            vec![
                l.id.to_string(),
                wib(Some(from_ms(l.at))),
                l.channel.clone(),
                l.actor.clone(),
                member(facts, l.member_id),
                l.action.clone(),
                l.detail.clone(),
                l.hash.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let messages = messages(conn, facts, batch).await?;
    Ok(Records {
        participants,
        steps,
        acknowledgements,
        rsvps,
        problems,
        pauses,
        messages,
        audit,
    })
}

/// Every message queued for the batch: to whom, what, and how it went.
async fn messages(
    conn: &mut SqliteConnection,
    facts: &BatchFacts,
    batch: BatchId,
) -> anyhow::Result<Vec<Vec<String>>> {
    let rows = sqlx::query(
        "SELECT key, channel, member_id, participant_id, address, chat_id, template, status,
                attempts, created_at, sent_at, last_error
         FROM outbox WHERE batch_id = ? ORDER BY id",
    )
    .bind(batch.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let participant: Option<i64> = r.get("participant_id");
            let chat: Option<i64> = r.get("chat_id");
            let to = if let Some(p) = participant {
                let name = facts
                    .state
                    .participants
                    .get(&crate::domain::ParticipantId(p))
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                format!("peserta #{p} {name}")
            } else if let Some(m) = r.get::<Option<i64>, _>("member_id") {
                member(facts, Some(m))
            } else if let Some(chat) = chat {
                format!("grup {chat}")
            } else {
                String::new()
            };
            vec![
                r.get("key"),
                r.get("channel"),
                to.trim().to_string(),
                r.get("template"),
                r.get("status"),
                r.get::<i64, _>("attempts").to_string(),
                wib(Some(from_ms(r.get("created_at")))),
                wib(r.get::<Option<i64>, _>("sent_at").map(from_ms)),
                r.get::<Option<String>, _>("last_error").unwrap_or_default(),
            ]
        })
        .collect())
}
