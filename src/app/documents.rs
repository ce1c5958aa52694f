//! Issuing a batch's documents for the command line, the bot and the
//! rehearsal (see [`crate::documents::issue`]).

use super::{App, AppError, Via};
use crate::documents::Document;
use crate::documents::facts::Due;
use crate::documents::issue::{IssueError, Issuer};
use crate::domain::BatchId;

impl App {
    /// Issues documents: letters get numbers, each issue an audit line.
    pub fn issuer(&self) -> Issuer {
        Issuer {
            store: self.store.clone(),
            kit: self.documents.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Every document batch `batch` has so far, issued.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown batch; [`AppError::Invalid`]
    /// when a template fails on this batch's facts (its file and line).
    pub async fn batch_documents(
        &self,
        batch: BatchId,
        via: Via,
    ) -> Result<Vec<Document>, AppError> {
        self.issue(batch, via, |_| true).await
    }

    /// The documents of `batch` that `keep` wants, issued.
    ///
    /// # Errors
    /// As [`App::batch_documents`].
    pub async fn issue(
        &self,
        batch: BatchId,
        via: Via,
        keep: impl Fn(&Due) -> bool,
    ) -> Result<Vec<Document>, AppError> {
        self.issuer()
            .issue(batch, via.as_str(), keep)
            .await
            .map_err(|e| match e {
                IssueError::NoBatch(batch) => {
                    AppError::Rejected(super::rejection::Rejection::NoBatch { batch })
                }
                IssueError::Template(_) => AppError::Invalid(e.to_string()),
                IssueError::Store(e) => AppError::Unexpected(e),
            })
    }
}

/// The kinds of document a batch has for one reader.
#[derive(Debug, Clone)]
pub struct DocumentKinds {
    pub info: crate::domain::BatchInfo,
    /// What the reader's roles may hold, in the SOP's order.
    pub yours: Vec<crate::documents::Kind>,
    /// What the batch has beyond those (named to nobody, counted).
    pub withheld: Vec<crate::documents::Kind>,
}

impl App {
    /// The kinds of document batch `batch` has so far, in the SOP's order,
    /// split by whether `reader`'s roles may hold them
    /// ([`Kind::readers`](crate::documents::Kind::readers) of the batch's
    /// own procedure).
    ///
    /// # Errors
    /// [`Rejection::NoBatch`](super::rejection::Rejection) for an unknown batch.
    pub async fn document_kinds(
        &self,
        batch: BatchId,
        reader: &crate::domain::RoleSet,
    ) -> Result<DocumentKinds, AppError> {
        let mut conn = self.conn().await?;
        let facts = crate::documents::facts::BatchFacts::load(&mut conn, batch)
            .await?
            .ok_or(AppError::Rejected(super::rejection::Rejection::NoBatch {
                batch: batch.0,
            }))?;
        let mut kinds: Vec<crate::documents::Kind> = facts.due().iter().map(|d| d.kind).collect();
        kinds.dedup();
        let (yours, withheld) = kinds
            .into_iter()
            .partition(|k| !k.readers(&facts.state.procedure).is_disjoint(reader));
        Ok(DocumentKinds {
            info: facts.info,
            yours,
            withheld,
        })
    }
}
