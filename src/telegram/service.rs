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
        let (database_gone, mut gone) = watch::channel(false);
        let checkpoints = tokio::spawn(checkpoint(
            self.app.clone(),
            worker_stopped.clone(),
            database_gone,
        ));

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

        let lost = tokio::select! {
            () = shutdown => false,
            _ = gone.wait_for(|g| *g) => true,
        };
        tracing::info!("stopping the bot");
        let _ = stop_polling.send(true);
        stop_polling_within(polling, &token, POLLING_STOPS_WITHIN).await;
        let _ = stop_worker.send(true);
        // The workers finish the sends in hand (so nothing is sent twice
        // after a restart), but a send that hangs is not waited for past
        // the service manager's patience: its row stays pending.
        let tasks = [
            Some(worker),
            Some(timers),
            Some(pokes),
            Some(checkpoints),
            mail,
        ];
        for task in tasks.into_iter().flatten() {
            let abort = task.abort_handle();
            if tokio::time::timeout(WORKERS_STOP_WITHIN, task)
                .await
                .is_err()
            {
                tracing::warn!("a worker did not stop in time; stopping it");
                abort.abort();
            }
        }
        if lost {
            anyhow::bail!(
                "the database file {} was deleted or replaced while the service ran; the service stopped so that nothing more is written where nobody can read it: restore the file from a backup and start again",
                self.app.config.database.display()
            );
        }
        Ok(())
    }
}

/// How long the dispatcher gets to finish the update in hand and stop
/// polling; the rest of the 10 s a service manager waits is for the workers.
const POLLING_STOPS_WITHIN: Duration = Duration::from_secs(6);
/// How long each worker gets to finish what it has in hand after that.
const WORKERS_STOP_WITHIN: Duration = Duration::from_millis(600);

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
    let mut failures = crate::logging::FailureLog::new("scheduler");
    loop {
        // Listen for a moved clock before looking at the time, so a move in
        // between is not missed.
        let clock_moved = moved.notified();
        tokio::pin!(clock_moved);
        clock_moved.as_mut().enable();
        let looked = tokio::time::Instant::now();
        // Both wake the delivery workers themselves when they queue messages.
        let fired = async {
            app.fire_due_timers().await?;
            app.fire_due_alerts().await?;
            app.next_scheduled().await
        };
        let sleep = match fired.await {
            Ok(Some(next)) => {
                failures.recovered();
                (next - clock.now())
                    .to_std()
                    .unwrap_or_default()
                    .min(LONGEST_SLEEP)
            }
            Ok(None) => {
                failures.recovered();
                LONGEST_SLEEP
            }
            // A due timer that cannot be fired (a full disk) is due again at
            // once: pause, longer while it goes on, instead of spinning.
            Err(e) => failures.failed(&format!("{e:#}")),
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
/// Once an hour (and at start) it also forgets handled update ids past
/// [`HANDLED_UPDATES_KEPT`], so a flood of updates does not grow the database for good.
///
/// Every second it also checks that the database file is still the one
/// opened, and says so on `gone` when it is not.
async fn checkpoint(app: Arc<App>, mut stop: watch::Receiver<bool>, gone: watch::Sender<bool>) {
    const EVERY: Duration = Duration::from_secs(1);
    const PRUNE_EVERY: u32 = 3600;
    let mut ticks = 0u32;
    let mut failures = crate::logging::FailureLog::new("checkpoint");
    loop {
        if ticks.is_multiple_of(PRUNE_EVERY) {
            let before = app.now() - HANDLED_UPDATES_KEPT;
            let pruned = match app.store.write().await {
                Ok(mut conn) => crate::store::Store::prune_handled_updates(&mut conn, before).await,
                Err(e) => Err(e),
            };
            if let Err(e) = pruned {
                tracing::warn!(error = %format!("{e:#}"), "cannot forget old handled updates");
            }
        }
        ticks = ticks.wrapping_add(1);
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
        if !app.store.still_on_disk() {
            tracing::error!(database = %app.config.database.display(), "the database file was deleted or replaced");
            let _ = gone.send(true);
            return;
        }
        match app.store.checkpoint().await {
            Ok(_) => failures.recovered(),
            Err(e) => {
                failures.failed(&format!("{e:#}"));
            }
        }
    }
}

/// How long a handled update's id is kept (Telegram offers an update again for a day at most).
pub const HANDLED_UPDATES_KEPT: chrono::Duration = chrono::Duration::days(7);
