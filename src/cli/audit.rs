//! `sertibot audit verify`: recomputes the audit log's hash chain, names
//! the first row that breaks it, and checks that a head recorded earlier
//! (in an export or a backup's report) is still in the chain.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{AuditCommand, Failure};
use crate::app::App;
use crate::store::chain::GENESIS;

pub async fn run(app: &App, command: AuditCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let AuditCommand::Verify { head } = command;
    let found = app
        .store
        .verify_audit()
        .await
        .map_err(|e| Failure(format!("{e:#}")))?;
    let sound = found.map_err(|broken| {
        voice.fail(
            "cli_audit_broken",
            json!({"row": broken.row(), "found": broken}),
        )
    })?;
    if let Some(earlier) = head {
        let earlier = earlier.trim().to_ascii_lowercase();
        let known = earlier == GENESIS
            || app
                .store
                .audit_row_sealed(&earlier)
                .await
                .map_err(|e| Failure(format!("{e:#}")))?
                .is_some();
        if !known {
            return Err(voice.fail("cli_audit_head_missing", json!({"head": earlier})));
        }
    }
    voice.say(
        "cli_audit_sound",
        json!({"rows": sound.rows, "last": sound.last_id, "head": sound.hash}),
    );
    Ok(ExitCode::SUCCESS)
}
