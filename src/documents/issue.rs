//! Issuing documents from the records: every document asked for gets its
//! letter number once (a write, with its audit line), is typeset off the
//! async threads from the batch's facts, and is recorded as issued with
//! its SHA-256 when it is new or its facts changed. The command line,
//! `/dokumen` and the delivery workers (a document in the outbox is made
//! when it is sent, from the same facts, so a retry sends the same bytes)
//! all issue through here.

use std::sync::Arc;

use chrono::Datelike;

use super::facts::{BatchFacts, Due};
use super::kit::Numbers;
use super::{Document, DocumentKit, Kind};
use crate::clock::Clock;
use crate::domain::{BatchId, ParticipantId};
use crate::store::{Store, ToNumber};

/// Why documents could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// No such batch.
    #[error("no batch {0}")]
    NoBatch(i64),
    /// A template fails on this batch's facts.
    #[error("document templates: {0}")]
    Template(#[from] super::engine::TemplateFault),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Issues documents; cheap to clone.
#[derive(Clone)]
pub struct Issuer {
    pub store: Store,
    pub kit: Arc<DocumentKit>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer").finish_non_exhaustive()
    }
}

impl Issuer {
    /// The documents of `batch` that `keep` wants, issued; through
    /// `channel` (cli, telegram, …) in the audit log.
    ///
    /// # Errors
    /// [`IssueError`]: no such batch, a template failing, the database.
    pub async fn issue(
        &self,
        batch: BatchId,
        channel: &'static str,
        keep: impl Fn(&Due) -> bool,
    ) -> Result<Vec<Document>, IssueError> {
        let facts = self.facts(batch).await?;
        let due: Vec<Due> = facts.due().into_iter().filter(|d| keep(d)).collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let numbers = self.number(batch, &facts, &due, channel).await?;
        let kit = self.kit.clone();
        let made = tokio::task::spawn_blocking(move || kit.make_all(&facts, &due, &numbers))
            .await
            .map_err(anyhow::Error::from)??;
        let mut tx = self.store.begin().await?;
        Store::record_issued(&mut tx, batch, &made, channel, self.clock.now()).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// The timeline's picture of `batch`, as a PNG (issued as the PDF is).
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub async fn timeline_png(&self, batch: BatchId) -> Result<Option<Vec<u8>>, IssueError> {
        let facts = self.facts(batch).await?;
        let Some(due) = facts.due().into_iter().find(|d| d.kind == Kind::Linimasa) else {
            return Ok(None);
        };
        let kit = self.kit.clone();
        let png = tokio::task::spawn_blocking(move || kit.timeline_png(&facts, &due))
            .await
            .map_err(anyhow::Error::from)??;
        Ok(Some(png))
    }

    /// The batch's facts, read now.
    async fn facts(&self, batch: BatchId) -> Result<BatchFacts, IssueError> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(anyhow::Error::from)?;
        BatchFacts::load(&mut conn, batch)
            .await?
            .ok_or(IssueError::NoBatch(batch.0))
    }

    /// Gives the numbered documents in `due` (and, for the package, the
    /// letters inside it) their numbers; returns every number of the batch.
    async fn number(
        &self,
        batch: BatchId,
        facts: &BatchFacts,
        due: &[Due],
        channel: &'static str,
    ) -> anyhow::Result<Numbers> {
        let tz = self.kit.tz;
        let mut wanted: Vec<(ToNumber, chrono::DateTime<chrono::Utc>)> = Vec::new();
        let mut want = |kind: Kind,
                        participant: Option<ParticipantId>,
                        dated: chrono::DateTime<chrono::Utc>| {
            if self.kit.numbers.of(kind).is_some() {
                let year = dated.with_timezone(&tz).year();
                wanted.push((
                    ToNumber {
                        kind,
                        participant,
                        year,
                    },
                    dated,
                ));
            }
        };
        for d in due {
            want(d.kind, d.participant, d.dated);
            if d.kind == Kind::PaketBnsp {
                for inner in facts.due() {
                    if matches!(inner.kind, Kind::PermohonanBlangko | Kind::BeritaAcara) {
                        want(inner.kind, None, inner.dated);
                    }
                }
            }
        }
        let patterns = &self.kit.numbers;
        let format = |item: &ToNumber, seq: i64| {
            let dated = wanted.iter().find(|(w, _)| w == item).map(|(_, at)| *at)?;
            Some(patterns.of(item.kind)?.format(seq, dated, tz))
        };
        let items: Vec<ToNumber> = wanted.iter().map(|(w, _)| *w).collect();
        let mut tx = self.store.begin().await?;
        Store::number_documents(&mut tx, batch, &items, format, channel, self.clock.now()).await?;
        tx.commit().await?;
        let mut conn = self.store.pool().acquire().await?;
        Store::document_numbers(&mut conn, batch).await
    }
}

/// A file to send: its name and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

impl IssueError {
    /// Whether trying again later may succeed: the database was busy or
    /// away, or the typesetter was stopped with the service. A missing
    /// batch or a broken template stays so.
    pub fn is_passing(&self) -> bool {
        match self {
            IssueError::Store(_) => true,
            IssueError::Template(fault) => fault.passing,
            IssueError::NoBatch(_) => false,
        }
    }
}

impl Issuer {
    /// The file a message names: one document of `kind` (for
    /// `participant`, if given), every document of the kind zipped into
    /// one when there are several (the BK letters of a batch), or the
    /// timeline's `picture`. `None` when the batch has no such document yet.
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub async fn file(
        &self,
        batch: BatchId,
        kind: Kind,
        participant: Option<ParticipantId>,
        picture: bool,
        channel: &'static str,
    ) -> Result<Option<File>, IssueError> {
        if picture {
            return Ok(self.timeline_png(batch).await?.map(|bytes| File {
                name: format!("batch-{}-linimasa.png", batch.0),
                bytes,
                mime: "image/png",
            }));
        }
        let made = self
            .issue(batch, channel, |d| {
                d.kind == kind && (participant.is_none() || d.participant == participant)
            })
            .await?;
        Ok(match made.as_slice() {
            [] => None,
            [one] => Some(File {
                name: one.file_name.clone(),
                bytes: one.bytes.clone(),
                mime: one.mime(),
            }),
            several => {
                let dated = several.iter().map(|d| d.dated).max().unwrap_or_default();
                Some(File {
                    name: format!("batch-{}-{}.zip", batch.0, kind.slug()),
                    bytes: super::bnsp::package(several, dated),
                    mime: "application/zip",
                })
            }
        })
    }
}
