//! `sertibot audit verify`: recomputes the audit log's hash chain, names
//! the first row that breaks it, checks that a head recorded earlier (in
//! an export or a backup's report) is still in the chain, that the file is
//! sound (`integrity_check`), and that the protection of the log (its
//! triggers) and the rest of the schema are sertibot's own. The database is opened read-only: verifying never
//! seals, migrates or writes anything.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{AuditCommand, Failure};
use crate::config::Config;
use crate::store::backup::Inspection;
use crate::store::chain::GENESIS;

pub async fn run(config: &Config, command: AuditCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::embedded(config.language);
    let AuditCommand::Verify { head } = command;
    let database = &config.database;
    if !database.is_file() {
        return Err(voice.fail(
            "cli_audit_no_database",
            json!({"database": database.display().to_string()}),
        ));
    }
    let unexpected = |e: anyhow::Error| Failure(format!("{e:#}"));
    let mut file = Inspection::open(database, true).await.map_err(unexpected)?;
    let found = file.check().await.map_err(unexpected);
    let earlier = head.map(|h| h.trim().to_ascii_lowercase());
    let known = match &earlier {
        Some(h) if h != GENESIS => file.row_sealed(h).await.map_err(unexpected)?.is_some(),
        _ => true,
    };
    file.close().await;
    let found = found?;
    if found.integrity != ["ok"] {
        return Err(voice.fail(
            "cli_check_integrity",
            json!({"path": database.display().to_string(), "findings": found.integrity.join("; ")}),
        ));
    }
    let sound = found.chain.map_err(|broken| {
        voice.fail(
            "cli_audit_broken",
            json!({"row": broken.row(), "found": broken}),
        )
    })?;
    if let Some(foreign) = &found.foreign {
        return Err(voice.fail("cli_audit_schema", json!({"found": foreign})));
    }
    if !known {
        return Err(voice.fail("cli_audit_head_missing", json!({"head": earlier})));
    }
    if found.unsealed {
        voice.say("cli_audit_unsealed", json!({"rows": sound.rows}));
    } else {
        voice.say(
            "cli_audit_sound",
            json!({"rows": sound.rows, "last": sound.last_id, "head": sound.hash}),
        );
    }
    Ok(ExitCode::SUCCESS)
}
