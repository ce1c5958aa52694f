//! `sertibot backup FILE` and `sertibot restore FILE`: a consistent copy
//! of the database made while the service runs, checked as a restore
//! would check it; and a checked copy put back in place while no service
//! runs, the database it replaces kept aside.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::Failure;
use super::voice::Voice;
use crate::app::App;
use crate::config::Config;
use crate::store::backup::{self, CopyCheck};

/// The facts of a checked copy, for the sentences that report it.
fn facts(file: &Path, check: &CopyCheck) -> serde_json::Value {
    let (rows, head) = match &check.chain {
        Ok(head) => (head.rows, head.hash.clone()),
        Err(_) => (0, String::new()),
    };
    json!({
        "file": file.display().to_string(),
        "kib": check.bytes.div_ceil(1024),
        "rows": rows,
        "head": head,
        "integrity": check.integrity.join("; "),
        "broken": check.chain.as_ref().err(),
        "unsealed": check.unsealed,
    })
}

pub async fn backup(app: &App, file: &Path) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    if file.exists() {
        return Err(voice.fail(
            "cli_backup_exists",
            json!({"path": file.display().to_string()}),
        ));
    }
    let check = app
        .store
        .backup_to(file)
        .await
        .map_err(|e| Failure(format!("{e:#}")))?;
    if !check.sound() {
        return Err(voice.fail("cli_backup_unsound", facts(file, &check)));
    }
    voice.say("cli_backup_made", facts(file, &check));
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: &Config, file: &Path) -> Result<ExitCode, Failure> {
    let voice = Voice::embedded(config.language);
    if !file.is_file() {
        return Err(voice.fail(
            "cli_restore_no_file",
            json!({"file": file.display().to_string()}),
        ));
    }
    // Held until the copy is in place: no service starts meanwhile.
    let _lock = crate::store::ServiceLock::acquire(&config.database).map_err(|e| match e {
        crate::store::LockError::Held { pid, .. } => voice.fail(
            "cli_restore_service_runs",
            json!({"database": config.database.display().to_string(), "pid": pid}),
        ),
        other => Failure(other.to_string()),
    })?;
    let restored = backup::restore(&config.database, file, chrono::Utc::now())
        .await
        .map_err(
            |e| match e.downcast_ref::<crate::store::schema::Foreign>() {
                Some(foreign) => voice.fail(
                    "cli_restore_foreign",
                    json!({"file": file.display().to_string(), "found": foreign}),
                ),
                None => Failure(format!("{e:#}")),
            },
        )?;
    let mut context = facts(file, &restored.check);
    context["database"] = json!(config.database.display().to_string());
    context["aside"] = json!(restored.kept_aside.map(|p| p.display().to_string()));
    voice.say("cli_restored", context);
    Ok(ExitCode::SUCCESS)
}
