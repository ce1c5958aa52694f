//! `sertibot init`: writes the commented example config.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::Failure;
use super::voice::Voice;
use crate::config::{DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG};

/// Writes the example config. `voice` speaks the language of the config
/// already there, else Indonesian (the example's default).
pub fn run(path: Option<&Path>, force: bool, voice: &Voice) -> Result<ExitCode, Failure> {
    let path = path.unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
    let shown = path.display().to_string();
    if path.exists() && !force {
        return Err(voice.fail("cli_init_exists", json!({"path": shown})));
    }
    // It will hold the bot token and the SMTP password: the owner's alone.
    // A webhook secret of its own, ready for when the webhook is turned on.
    let example = EXAMPLE_CONFIG.replace(
        "WEBHOOK_SECRET_MADE_BY_INIT",
        &crate::config::fresh_secret(),
    );
    crate::files::write_private(path, example.as_bytes()).map_err(|e| {
        voice.fail(
            "cli_cannot_write",
            json!({"path": shown, "error": e.to_string()}),
        )
    })?;
    voice.say("cli_init_done", json!({"path": shown}));
    Ok(ExitCode::SUCCESS)
}
