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
