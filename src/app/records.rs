//! The records themselves: the audit chain checked when the service
//! starts, with Ketua LSP told when it breaks, and a batch's evidence
//! export.

use super::App;
use crate::notify;
use crate::notify::views::AuditBroken;
use crate::store::Store;
use crate::store::chain::{Break, Head};

impl App {
    /// Recomputes the audit chain. A break is logged loudly and told to
    /// every Ketua LSP (once per broken row); the service keeps running,
    /// as the records are still needed. Returns what was found.
    ///
    /// # Errors
    /// When the database cannot be read or the report cannot be queued.
    pub async fn watch_audit_chain(&self) -> anyhow::Result<Result<Head, Break>> {
        let found = self.store.verify_audit().await?;
        match &found {
            Ok(head) => {
                tracing::info!(rows = head.rows, head = %head.hash, "the audit log's chain is sound")
            }
            Err(broken) => {
                let report = AuditBroken {
                    found: broken.clone(),
                };
                let told = async {
                    let now = self.now();
                    let mut tx = self.store.begin().await?;
                    let members = Store::members(&mut tx).await?;
                    let messages = notify::audit_broken(&members, &report);
                    Store::enqueue(&mut tx, &messages, now).await?;
                    tx.commit().await
                }
                .await;
                // Said once the report is queued (or could not be).
                match &told {
                    Ok(()) => {
                        tracing::error!(row = broken.row(), problem = %broken, "THE AUDIT LOG IS BROKEN: someone changed the database file outside sertibot; Ketua LSP is told")
                    }
                    Err(e) => {
                        tracing::error!(row = broken.row(), problem = %broken, error = %format!("{e:#}"), "THE AUDIT LOG IS BROKEN: someone changed the database file outside sertibot; Ketua LSP could not be told")
                    }
                }
                told?;
                self.changed();
            }
        }
        Ok(found)
    }
}

impl App {
    /// The evidence export of `batch` (see [`crate::evidence`]): its
    /// documents are issued as for `batch documents`, and the export
    /// itself is an audit line with the manifest's SHA-256.
    ///
    /// # Errors
    /// [`AppError::Rejected`] for an unknown batch; as
    /// [`App::batch_documents`] for a template that fails.
    pub async fn export_batch(
        &self,
        batch: crate::domain::BatchId,
        via: super::Via,
    ) -> Result<crate::evidence::Export, super::AppError> {
        use sha2::{Digest, Sha256};
        let mut conn = self.conn().await?;
        let Some(facts) = crate::documents::facts::BatchFacts::load(&mut conn, batch).await? else {
            return Err(super::AppError::Rejected(super::Rejection::NoBatch {
                batch: batch.0,
            }));
        };
        drop(conn);
        let documents = if facts.state.status == crate::workflow::BatchStatus::Draft {
            Vec::new()
        } else {
            self.batch_documents(batch, via).await?
        };
        let chain = self.store.verify_audit().await?;
        let now = self.now();
        let mut conn = self.conn().await?;
        let made = crate::evidence::export(
            &mut conn,
            &facts,
            &documents,
            chain,
            &self.config.calendar,
            now,
        )
        .await?;
        drop(conn);
        let manifest = serde_json::to_vec(&made.manifest).unwrap_or_default();
        let detail = serde_json::json!({
            "interim": made.manifest.interim,
            "files": made.manifest.files.len(),
            "bytes": made.bytes.len(),
            "sha256": crate::store::chain::hex(&Sha256::digest(&made.bytes)),
            "manifest_sha256": crate::store::chain::hex(&Sha256::digest(&manifest)),
        });
        let mut tx = self.store.begin().await?;
        let entry = super::entry_for(
            &crate::workflow::Actor::Operator,
            via,
            "batch_exported",
            Some(batch),
            detail,
        );
        Store::audit(&mut tx, &[entry], now).await?;
        tx.commit().await?;
        Ok(made)
    }
}
