//! `sertibot init`: writes the commented example config.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::Failure;
use super::voice::Voice;
use crate::config::{DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG, EXAMPLE_CONFIG_ID};
use crate::domain::Lang;

/// Writes the example config, commented in `voice`'s language (the one
/// asked for, else that of the config already there, else Indonesian);
/// in English it sets `language = "en"` too.
pub fn run(path: Option<&Path>, force: bool, voice: &Voice) -> Result<ExitCode, Failure> {
    let path = path.unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
    let shown = path.display().to_string();
    if path.exists() && !force {
        return Err(voice.fail("cli_init_exists", json!({"path": shown})));
    }
    // It will hold the bot token and the SMTP password: the owner's alone.
    // A webhook secret of its own, ready for when the webhook is turned on.
    let example = match voice.lang() {
        Lang::Id => EXAMPLE_CONFIG_ID.to_string(),
        Lang::En => EXAMPLE_CONFIG.replacen("language = \"id\"", "language = \"en\"", 1),
    };
    let example = example.replace(
        "WEBHOOK_SECRET_MADE_BY_INIT",
        &crate::config::fresh_secret(),
    );
    crate::files::write_private(path, example.as_bytes()).map_err(|e| {
        voice.fail(
            "cli_cannot_write",
            json!({"path": shown, "error": voice.io_problem(&e)}),
        )
    })?;
    voice.say("cli_init_done", json!({"path": shown}));
    Ok(ExitCode::SUCCESS)
}
