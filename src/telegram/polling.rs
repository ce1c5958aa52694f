//! Long polling through teloxide's dispatcher: the bot's command menu,
//! the dispatch tree of [`mod@super::bot`], and a stop that never waits past
//! its deadline.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::update_listeners::Polling as Listener;
use tokio::sync::watch;

use super::bot::{BotContext, menu, schema};
use crate::app::App;

/// The polling task, running.
pub struct Polling {
    task: tokio::task::JoinHandle<()>,
    token: teloxide::dispatching::ShutdownToken,
    stop: watch::Sender<bool>,
}

impl Polling {
    /// Sets the command menu and starts polling; Telegram out of reach at
    /// start-up is tried again, gently, until it answers or the stop.
    pub async fn start(app: Arc<App>, bot: Bot, poll_timeout: Duration) -> Polling {
        let ctx = Arc::new(BotContext {
            lang: app.config.language,
            app,
        });
        if let Err(e) = bot.set_my_commands(menu(&ctx)).await {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot set the bot's command menu");
        }
        let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
            .dependencies(dptree::deps![ctx])
            .default_handler(|_| async {})
            .error_handler(Arc::new(|error: anyhow::Error| async move {
                tracing::error!(error = %crate::logging::redact(&format!("{error:#}")), "handling an update failed");
            }))
            .build();
        let token = dispatcher.shutdown_token();
        let (stop, mut polling_stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            // Telegram may be out of reach at start-up (getMe fails): keep
            // trying, gently, until it answers or the service stops.
            let mut wait = Duration::from_secs(1);
            loop {
                let listener = Listener::builder(bot.clone())
                    .timeout(poll_timeout)
                    .delete_webhook()
                    .await
                    .build();
                let errors = Arc::new(|error: teloxide::RequestError| async move {
                    tracing::warn!(error = %crate::logging::redact(&error.to_string()), "getting updates failed; retrying");
                });
                match dispatcher
                    .try_dispatch_with_listener(listener, errors)
                    .await
                {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot reach Telegram; trying again");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = polling_stopped.changed() => return,
                }
                wait = (wait * 2).min(Duration::from_secs(60));
            }
        });
        tracing::info!("the bot is polling for updates");
        Polling { task, token, stop }
    }

    /// Stops polling (the update in hand is finished) within `within`.
    pub async fn stop_within(self, within: Duration) {
        let _ = self.stop.send(true);
        stop_polling_within(self.task, &self.token, within).await;
    }

    /// Waits until the polling task ends (unexpectedly, unless stopped).
    pub async fn ended(&mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Asks the dispatcher to stop until it hears (it may be between attempts,
/// or not started yet), and waits for whichever comes first: the polling
/// task ending, or teloxide's "done" signal (which it may never send: it
/// listens for its own signal only after it has logged that it is shutting
/// down, and the signal is not kept). After `within`, the task is aborted.
async fn stop_polling_within(
    mut polling: tokio::task::JoinHandle<()>,
    token: &teloxide::dispatching::ShutdownToken,
    within: Duration,
) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let asked = token.shutdown();
        let wait = async {
            match asked {
                Ok(done) => done.await,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        tokio::select! {
            _ = &mut polling => return,
            () = wait => {}
            () = tokio::time::sleep_until(deadline) => {
                tracing::warn!("the bot did not stop polling in time; stopping it");
                polling.abort();
                let _ = polling.await;
                return;
            }
        }
        if polling.is_finished() {
            let _ = polling.await;
            return;
        }
    }
}
