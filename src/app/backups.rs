//! The nightly backup: a checked copy of the database into the configured
//! folder, the oldest copies beyond the retention count deleted.

use super::App;

/// The nightly backup's timer kind.
pub(super) const BACKUP_TIMER: &str = "backup_nightly";

/// The name of a nightly copy made at `now` (local time): `sertibot-2026-11-28-0200.db`.
fn backup_name(now: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "sertibot-{}.db",
        now.with_timezone(&tz).format("%Y-%m-%d-%H%M")
    )
}

/// Whether a file name is one of the nightly copies (the only files the
/// retention count ever deletes).
fn is_nightly_copy(name: &str) -> bool {
    name.len() == "sertibot-2026-11-28-0200.db".len()
        && name.starts_with("sertibot-")
        && name.ends_with(".db")
        && name
            .get(9..24)
            .is_some_and(|stamp| stamp.chars().all(|c| c.is_ascii_digit() || c == '-'))
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
        let name = backup_name(now, self.config.calendar.tz);
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

/// The database files sertibot keeps beside the one in use: those a
/// restore moved aside (`<database>.replaced-<time>`) and the nightly
/// copies in the backup folder. An erasure reaches each of them.
pub(super) fn kept_copies(
    database: &std::path::Path,
    backup: Option<&crate::config::BackupSchedule>,
) -> Vec<std::path::PathBuf> {
    let mut copies = Vec::new();
    let folder = match database.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let prefix = database
        .file_name()
        .map(|n| format!("{}.replaced-", n.to_string_lossy()))
        .unwrap_or_default();
    let names = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    for name in names(&folder) {
        if name.starts_with(&prefix) && !name.ends_with("-wal") && !name.ends_with("-shm") {
            copies.push(folder.join(name));
        }
    }
    if let Some(backup) = backup {
        for name in names(&backup.dir) {
            if is_nightly_copy(&name) {
                copies.push(backup.dir.join(name));
            }
        }
    }
    copies.sort();
    copies
}
