//! `sertibot run`: the service. It holds the database open and waits for
//! SIGINT or SIGTERM; the bot, delivery workers and scheduler join it here.

use std::process::ExitCode;

use super::Failure;
use crate::app::App;

pub async fn run(app: &App) -> Result<ExitCode, Failure> {
    // Listen before saying we run, so a signal sent right after is never lost.
    let shutdown = Shutdown::listen()
        .map_err(|e| Failure(format!("cannot listen for shutdown signals: {e}")))?;
    tracing::info!(
        database = %app.config.database.display(),
        procedure = %app.procedure.name,
        "sertibot is running; stop it with Ctrl+C or SIGTERM"
    );
    shutdown.wait().await;
    tracing::info!("shutting down");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT and SIGTERM, listened for from the moment this exists.
struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> std::io::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Shutdown {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Shutdown {})
        }
    }

    /// Resolves at the first of the signals.
    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
