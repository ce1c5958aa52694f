//! The records themselves: the audit chain checked when the service
//! starts, with Ketua LSP told when it breaks.

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
                tracing::error!(row = broken.row(), problem = %broken, "THE AUDIT LOG IS BROKEN: someone changed the database file outside sertibot; Ketua LSP is told");
                let report = AuditBroken {
                    found: broken.clone(),
                };
                let now = self.now();
                let mut tx = self.store.begin().await?;
                let members = Store::members(&mut tx).await?;
                let messages = notify::audit_broken(&members, &report);
                Store::enqueue(&mut tx, &messages, now).await?;
                tx.commit().await?;
                self.changed();
            }
        }
        Ok(found)
    }
}

/// The nightly backup's timer kind.
pub(super) const BACKUP_TIMER: &str = "backup_nightly";

/// The name of a nightly copy made at `now` (WIB): `sertibot-2026-11-28-0200.db`.
fn backup_name(now: chrono::DateTime<chrono::Utc>) -> String {
    let wib = now.with_timezone(&chrono_tz::Asia::Jakarta);
    format!("sertibot-{}.db", wib.format("%Y-%m-%d-%H%M"))
}

/// Whether a file name is one of the nightly copies (the only files the
/// retention count ever deletes).
fn is_nightly_copy(name: &str) -> bool {
    name.len() == "sertibot-2026-11-28-0200.db".len()
        && name.starts_with("sertibot-")
        && name.ends_with(".db")
        && name[9..24].chars().all(|c| c.is_ascii_digit() || c == '-')
}

impl App {
    /// Makes the nightly copy into the configured folder, checks it, and
    /// deletes the oldest copies beyond the retention count. Never fails
    /// the scheduler: a failure is logged and returned as the audit's facts.
    pub(super) async fn nightly_backup(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> serde_json::Value {
        let Some(settings) = self.config.records.backup.clone() else {
            return serde_json::Value::Null;
        };
        let name = backup_name(now);
        let made = async {
            crate::files::create_private_dir(&settings.dir)?;
            let check = self.store.backup_to(&settings.dir.join(&name)).await?;
            let removed = prune_copies(&settings.dir, settings.keep)?;
            anyhow::Ok((check, removed))
        }
        .await;
        match made {
            Ok((check, removed)) => {
                let sound = check.sound();
                if sound {
                    tracing::info!(file = %name, bytes = check.bytes, removed, "nightly backup made and checked");
                } else {
                    tracing::error!(file = %name, integrity = ?check.integrity, chain = ?check.chain, "the nightly backup was made but does not pass its checks");
                }
                serde_json::json!({"file": name, "bytes": check.bytes, "sound": sound, "removed": removed})
            }
            Err(e) => {
                tracing::error!(file = %name, error = %format!("{e:#}"), "the nightly backup failed");
                serde_json::json!({"file": name, "error": format!("{e:#}")})
            }
        }
    }
}

/// Deletes the oldest nightly copies in `dir` beyond the newest `keep`;
/// returns how many went.
fn prune_copies(dir: &std::path::Path, keep: usize) -> std::io::Result<usize> {
    let mut copies: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_nightly_copy(n))
        .collect();
    copies.sort();
    let excess = copies.len().saturating_sub(keep);
    for name in &copies[..excess] {
        std::fs::remove_file(dir.join(name))?;
    }
    Ok(excess)
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
