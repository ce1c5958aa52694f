//! The evidence export of one batch, for a BNSP surveillance: a ZIP with
//! a workbook of every record (participants, steps with their standard
//! time and lateness, acknowledgements, RSVPs, problems, pauses, every
//! message sent, the batch's audit lines), every document the batch has,
//! and `manifest.json` with each file's SHA-256 and the audit chain's head.
//! An export of a batch still running is marked interim.

mod rows;
mod workbook;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::documents::Document;
use crate::documents::facts::BatchFacts;
use crate::store::chain::{Break, Head, hex};
use crate::workflow::{BatchStatus, Calendar};

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
    let records = rows::records(conn, facts, calendar).await?;
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

/// The export's ZIP, its entries dated `now` in WIB.
fn zip(files: &[(String, Vec<u8>)], now: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    let at = now.with_timezone(&chrono_tz::Asia::Jakarta).naive_local();
    let entries = files.iter().map(|(n, b)| (n.as_str(), b.as_slice()));
    Ok(crate::documents::bnsp::zip_entries(entries, at)?)
}
