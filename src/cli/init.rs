//! `sertibot init`: writes the commented example config.

use std::path::Path;
use std::process::ExitCode;

use super::Failure;
use crate::config::{DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG};

pub fn run(path: Option<&Path>, force: bool) -> Result<ExitCode, Failure> {
    let path = path.unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
    if path.exists() && !force {
        return Err(Failure(format!(
            "{} already exists; use --force to overwrite it",
            path.display()
        )));
    }
    // It will hold the bot token and the SMTP password: the owner's alone.
    crate::files::write_private(path, EXAMPLE_CONFIG.as_bytes())
        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
    println!("Wrote {}.", path.display());
    println!("Next: set lsp.name and telegram.bot_username in it, then add staff with");
    println!("  sertibot member add --name \"NAME\" --role ketua-lsp");
    Ok(ExitCode::SUCCESS)
}
