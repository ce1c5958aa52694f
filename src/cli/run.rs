//! `sertibot run`: the service. The Telegram bot (long polling or a
//! webhook) and the delivery workers run until SIGINT or SIGTERM; taking
//! updates stops, those in hand are finished, and the process exits 0.

use std::process::ExitCode;
use std::sync::Arc;

use super::Failure;
use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::service::Service;

pub async fn run(app: App, shutdown: Shutdown) -> Result<ExitCode, Failure> {
    // Room for the webhook's connections beside the database and Telegram's.
    crate::telegram::intake::raise_open_files_limit();
    // One service per database, for as long as this one runs.
    let _lock = crate::store::ServiceLock::acquire(&app.config.database)
        .map_err(|e| Failure(e.to_string()))?;
    {
        // Claims left by a service that died: nobody else sends now.
        let mut conn = app
            .store
            .write()
            .await
            .map_err(|e| Failure(format!("{e:#}")))?;
        crate::store::Store::release_claims(&mut conn)
            .await
            .map_err(|e| Failure(format!("{e:#}")))?;
    }
    let bot = crate::telegram::bot(&app.config.telegram).map_err(|e| {
        Failure(match e {
            crate::telegram::UsernameError::NotConfigured => {
                super::voice::Voice::of(&app).line("cli_run_needs_token", serde_json::json!({}))
            }
            other => other.to_string(),
        })
    })?;
    // An unusable mail setting is refused now, not at the first email.
    let (mailer, _) = crate::mail::transport::Mailer::from_config(&app.config.mail)
        .map_err(|e| Failure(e.to_string()))?;
    tracing::info!(to = %mailer.describe(), "emails go here");
    let intake = app.config.telegram.intake.clone();
    tracing::info!(
        database = %app.config.database.display(),
        procedure = %app.procedure.name,
        "sertibot is running; stop it with Ctrl+C or SIGTERM"
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = Arc::new(app);
    // The audit chain is checked beside the running service (a long log
    // takes seconds): a break is logged loudly and told to Ketua LSP, and
    // the service runs on.
    let checker = app.clone();
    tokio::spawn(async move {
        if let Err(e) = checker.watch_audit_chain().await {
            tracing::error!(error = %format!("{e:#}"), "cannot check the audit log's chain");
        }
    });
    let service = Service {
        app,
        bot,
        clock,
        intake,
    };
    service
        .run(shutdown.wait())
        .await
        .map_err(|e| Failure(format!("{e:#}")))?;
    tracing::info!("shutting down");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT and SIGTERM, listened for from the moment this exists: made
/// before the database is opened, so a signal sent at any moment of the
/// start is never lost.
pub struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Starts listening.
    ///
    /// # Errors
    /// When the signal handlers cannot be installed.
    pub fn listen() -> Result<Shutdown, Failure> {
        Self::handlers().map_err(|e| Failure(format!("cannot listen for shutdown signals: {e}")))
    }

    fn handlers() -> std::io::Result<Shutdown> {
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
