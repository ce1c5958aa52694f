//! `sertibot db copy --to postgres://…`: moves an LSP's records from its
//! SQLite file into an empty PostgreSQL database (`store::copy`), while no
//! service runs on the file: the service lock is held for the whole copy,
//! so none starts meanwhile either.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{DbCommand, Failure};
use crate::config::Config;
use crate::store::{CopyError, LockError, ServiceLock, Store, Target};

pub async fn run(config: &Config, command: DbCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::embedded(config.language);
    let DbCommand::Copy { to } = command;
    let database = &config.database;
    let refused = |e: CopyError, place: Option<String>| {
        let mut context = serde_json::to_value(&e).unwrap_or_default();
        context["database"] = json!(database.display().to_string());
        context["place"] = json!(place);
        if let CopyError::SourceBroken { found } = &e {
            // Where the chain breaks, whichever way it broke.
            context["row"] = json!(found.row());
        }
        voice.fail(e.phrase(), context)
    };
    let target = Target::parse(&to).map_err(|e| refused(e, None))?;
    if !database.is_file() {
        return Err(voice.fail(
            "cli_db_copy_no_database",
            json!({"database": database.display().to_string()}),
        ));
    }
    let _lock = ServiceLock::acquire(database).map_err(|e| match e {
        LockError::Held { pid, .. } => voice.fail(
            "cli_db_copy_service_runs",
            json!({"database": database.display().to_string(), "pid": pid}),
        ),
        other => Failure(other.to_string()),
    })?;
    let store = Store::open(database)
        .await
        .map_err(|e| Failure(format!("{e:#}")))?;
    let copied = store.copy_to(&target).await;
    store.close().await;
    let copied = copied.map_err(|e| refused(e, Some(target.place())))?;
    let mut context = serde_json::to_value(&copied).unwrap_or_default();
    context["database"] = json!(database.display().to_string());
    voice.say("cli_db_copied", context);
    Ok(ExitCode::SUCCESS)
}
