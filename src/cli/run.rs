//! `sertibot run`: the service. It holds the database open and waits for
//! SIGINT or SIGTERM; the bot, delivery workers and scheduler join it here.

use std::process::ExitCode;

use super::Failure;
use crate::app::App;

pub async fn run(app: &App) -> Result<ExitCode, Failure> {
    tracing::info!(
        database = %app.config.database.display(),
        procedure = %app.procedure.name,
        "sertibot is running; stop it with Ctrl+C or SIGTERM"
    );
    shutdown_signal()
        .await
        .map_err(|e| Failure(format!("cannot listen for shutdown signals: {e}")))?;
    tracing::info!("shutting down");
    Ok(ExitCode::SUCCESS)
}

/// Resolves at the first SIGINT or SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
