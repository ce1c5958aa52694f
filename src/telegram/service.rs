//! The running bot: long polling through teloxide's dispatcher, and the
//! delivery worker beside it, both stopped cleanly on shutdown.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::update_listeners::Polling;
use tokio::sync::{Notify, watch};

use super::bot::{BotContext, menu, schema};
use super::delivery::Delivery;
use crate::app::App;
use crate::clock::Clock;

/// Everything the service runs on.
pub struct Service {
    pub app: Arc<App>,
    pub bot: Bot,
    pub clock: Arc<dyn Clock>,
    /// How long one getUpdates call waits for updates.
    pub poll_timeout: Duration,
}

impl Service {
    /// Runs until `shutdown` resolves: finishes the update being handled,
    /// stops polling, then stops the delivery worker.
    ///
    /// # Errors
    /// Only when the service cannot start.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let lang = self.app.config.language;
        let ctx = Arc::new(BotContext {
            app: self.app.clone(),
            lang,
        });
        if let Err(e) = self.bot.set_my_commands(menu(&ctx)).await {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot set the bot's command menu");
        }

        let (stop_worker, worker_stopped) = watch::channel(false);
        let delivery = Delivery::new(
            self.app.store.clone(),
            self.bot.clone(),
            self.app.templates.clone(),
            lang,
            self.clock.clone(),
        );
        let worker = tokio::spawn(delivery.run(self.app.watch_changes(), worker_stopped.clone()));
        let mail = match crate::mail::transport::Mailer::from_config(&self.app.config.mail) {
            Ok((mailer, from)) => {
                let reply_to = self.app.config.lsp.email.parse().ok();
                let composer = crate::mail::compose::Composer {
                    templates: self.app.templates.clone(),
                    lang,
                    from,
                    reply_to,
                };
                let email = crate::mail::delivery::EmailDelivery::new(
                    self.app.store.clone(),
                    mailer,
                    composer,
                    self.clock.clone(),
                );
                Some(tokio::spawn(
                    email.run(self.app.watch_changes(), worker_stopped.clone()),
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "emails will wait in the outbox until the mail settings are fixed");
                None
            }
        };
        if let Err(e) = self.app.ensure_digest_timers().await {
            tracing::error!(error = %format!("{e:#}"), "cannot schedule the digests");
        }
        let timers = tokio::spawn(fire_timers(self.app.clone(), worker_stopped.clone()));
        let pokes = {
            let app = self.app.clone();
            let stop = worker_stopped.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::wake::listen(app, stop).await {
                    tracing::warn!(error = %e, "the command line cannot wake this service; its writes are seen within a minute");
                }
            })
        };
        let checkpoints = tokio::spawn(checkpoint(self.app.clone(), worker_stopped.clone()));

        let mut dispatcher = Dispatcher::builder(self.bot.clone(), schema())
            .dependencies(dptree::deps![ctx])
            .default_handler(|_| async {})
            .error_handler(Arc::new(|error: anyhow::Error| async move {
                tracing::error!(error = %crate::logging::redact(&format!("{error:#}")), "handling an update failed");
            }))
            .build();
        let token = dispatcher.shutdown_token();
        let (stop_polling, mut polling_stopped) = watch::channel(false);
        let bot = self.bot.clone();
        let poll_timeout = self.poll_timeout;
        let polling = tokio::spawn(async move {
            // Telegram may be out of reach at start-up (getMe fails): keep
            // trying, gently, until it answers or the service stops.
            let mut wait = Duration::from_secs(1);
            loop {
                let listener = Polling::builder(bot.clone())
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

        shutdown.await;
        tracing::info!("stopping the bot");
        let _ = stop_polling.send(true);
        // The dispatcher may be between attempts, or not started yet; ask until it hears.
        while !polling.is_finished() {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let _ = polling.await;
        let _ = stop_worker.send(true);
        let _ = worker.await;
        let _ = timers.await;
        let _ = pokes.await;
        let _ = checkpoints.await;
        if let Some(mail) = mail {
            let _ = mail.await;
        }
        Ok(())
    }
}

/// The scheduler: fires due timers (reminders, digests) and deadline
/// alerts, then sleeps until the next one is due, never longer than a
/// minute (so another process's writes and a changed system clock are
/// caught), and wakes at once when this process writes a due time or a
/// rehearsal's clock is moved. Timers and alerts live in the database, so
/// one missed while the service was down fires at the next start.
async fn fire_timers(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    const LONGEST_SLEEP: Duration = Duration::from_secs(60);
    let clock = app.clock();
    let moved = clock.moved().unwrap_or_else(|| Arc::new(Notify::new()));
    let mut changes = app.watch_changes();
    loop {
        // Listen for a moved clock before looking at the time, so a move in
        // between is not missed.
        let clock_moved = moved.notified();
        tokio::pin!(clock_moved);
        clock_moved.as_mut().enable();
        let looked = tokio::time::Instant::now();
        // Both wake the delivery workers themselves when they queue messages.
        if let Err(e) = app.fire_due_timers().await {
            tracing::error!(error = %format!("{e:#}"), "firing timers failed");
        }
        if let Err(e) = app.fire_due_alerts().await {
            tracing::error!(error = %format!("{e:#}"), "sending deadline alerts failed");
        }
        let sleep = match app.next_scheduled().await {
            Ok(Some(next)) => (next - clock.now())
                .to_std()
                .unwrap_or_default()
                .min(LONGEST_SLEEP),
            Ok(None) => LONGEST_SLEEP,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot read the next due time");
                LONGEST_SLEEP
            }
        };
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            Ok(()) = changes.changed() => crate::outbox::settle(looked, &mut stop).await,
            () = &mut clock_moved => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Checkpoints the database's write-ahead log every second, off the writers'
/// path (commits do not checkpoint; see [`crate::store::Store::open`]).
async fn checkpoint(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    const EVERY: Duration = Duration::from_secs(1);
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = app.store.checkpoint().await {
            tracing::warn!(error = %format!("{e:#}"), "cannot checkpoint the database");
        }
    }
}
