//! The running service: it starts the bot's intake, both delivery
//! workers (Telegram and email), the scheduler, the wake listener and the
//! database's upkeep, supervises them, and stops them all on shutdown,
//! within the 10 s a service manager waits. A task that ends while the
//! service runs is reported and stops the service with an error, so that
//! the service manager starts it again.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::app::App;
use crate::clock::Clock;
use crate::config::IntakeMode;
use crate::telegram::delivery::Delivery;
use crate::telegram::intake::Intake;

/// Everything the service runs on.
pub struct Service {
    pub app: Arc<App>,
    pub bot: Bot,
    pub clock: Arc<dyn Clock>,
    /// How updates arrive: long polling or a webhook.
    pub intake: IntakeMode,
}

/// How long the intake gets to stop taking updates and finish those in
/// hand; the rest of the 10 s a service manager waits is for the workers.
const INTAKE_STOPS_WITHIN: Duration = Duration::from_secs(6);
/// How long each worker gets to finish what it has in hand after that.
const WORKERS_STOP_WITHIN: Duration = Duration::from_millis(600);

/// The tasks the service runs, by name; each tells `ended` when it ends.
struct Tasks {
    running: Vec<(&'static str, JoinHandle<()>)>,
    ended: mpsc::UnboundedSender<&'static str>,
}

impl Tasks {
    fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let ended = self.ended.clone();
        self.running.push((
            name,
            tokio::spawn(async move {
                task.await;
                let _ = ended.send(name);
            }),
        ));
    }
}

/// Why the service stopped.
enum Stop {
    Asked,
    DatabaseGone,
    Ended(&'static str),
}

impl Service {
    /// Runs until `shutdown` resolves: stops taking updates, finishes
    /// those in hand, then stops the workers.
    ///
    /// # Errors
    /// When the webhook cannot listen, the database file was deleted or
    /// replaced under the service, or one of its tasks ended on its own.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (stop_tasks, stopped) = watch::channel(false);
        let (ended, mut ended_rx) = mpsc::unbounded_channel();
        let mut tasks = Tasks {
            running: Vec::new(),
            ended,
        };
        self.start_workers(&mut tasks, &stopped);
        if let Err(e) = self.app.ensure_digest_timers().await {
            tracing::error!(error = %format!("{e:#}"), "cannot schedule the digests");
        }
        tasks.spawn(
            "scheduler",
            crate::scheduler::run(self.app.clone(), stopped.clone()),
        );
        let (database_gone, mut gone) = watch::channel(false);
        tasks.spawn(
            "database upkeep",
            maintain(self.app.clone(), stopped.clone(), database_gone),
        );
        // Without the wake socket the service still sees the command line's
        // writes within a minute: its end is no reason to stop.
        let pokes = {
            let (app, stop) = (self.app.clone(), stopped.clone());
            tokio::spawn(async move {
                if let Err(e) = crate::wake::listen(app, stop).await {
                    tracing::warn!(error = %e, "the command line cannot wake this service; its writes are seen within a minute");
                }
            })
        };
        let mut intake = match Intake::start(self.app.clone(), self.bot.clone(), &self.intake).await
        {
            Ok(intake) => intake,
            Err(e) => {
                let _ = stop_tasks.send(true);
                tasks.running.push(("wake listener", pokes));
                tasks.stop_within(WORKERS_STOP_WITHIN).await;
                return Err(e);
            }
        };

        let why = tokio::select! {
            biased;
            () = shutdown => Stop::Asked,
            _ = gone.wait_for(|g| *g) => Stop::DatabaseGone,
            () = intake.ended() => Stop::Ended("telegram intake"),
            Some(name) = ended_rx.recv() => Stop::Ended(name),
        };
        tracing::info!("stopping the bot");
        // A document being typeset is given up (its worker killed) rather
        // than holding the stop for as long as a template may take.
        self.app.documents.stop_typesetting();
        intake.stop_within(INTAKE_STOPS_WITHIN).await;
        let _ = stop_tasks.send(true);
        // The workers finish the sends in hand (so nothing is sent twice
        // after a restart), but a send that hangs is not waited for past
        // the service manager's patience: its row stays pending.
        tasks.running.push(("wake listener", pokes));
        tasks.stop_within(WORKERS_STOP_WITHIN).await;
        match why {
            Stop::Asked => Ok(()),
            Stop::DatabaseGone => anyhow::bail!(
                "the database file {} was deleted or replaced while the service ran; the service stopped so that nothing more is written where nobody can read it: restore the file from a backup and start again",
                self.app.config.database.display()
            ),
            Stop::Ended(name) => {
                tracing::error!(task = name, "a task of the service ended on its own");
                anyhow::bail!(
                    "the service's {name} task ended on its own; the service stopped so that it can be started again"
                )
            }
        }
    }
}

impl Service {
    /// Starts both delivery workers (email only when the mail settings
    /// work; rows wait in the outbox otherwise).
    fn start_workers(&self, tasks: &mut Tasks, stopped: &watch::Receiver<bool>) {
        let lang = self.app.config.language;
        let delivery = Delivery::new(
            self.app.store.clone(),
            self.bot.clone(),
            self.app.templates.clone(),
            lang,
            self.clock.clone(),
            self.app.waker(),
        )
        .with_documents(self.app.issuer());
        tasks.spawn(
            "telegram delivery",
            delivery.run(self.app.watch_changes(), stopped.clone()),
        );
        match crate::mail::transport::Mailer::from_config(&self.app.config.mail) {
            Ok((mailer, from)) => {
                let composer = crate::mail::compose::Composer {
                    templates: self.app.templates.clone(),
                    lang,
                    from,
                    reply_to: self.app.config.lsp.email.parse().ok(),
                    installation: self.app.store.installation().to_string(),
                };
                let email = crate::mail::delivery::EmailDelivery::new(
                    self.app.store.clone(),
                    mailer,
                    composer,
                    self.clock.clone(),
                )
                .waking(self.app.waker())
                .with_documents(self.app.issuer());
                tasks.spawn(
                    "email delivery",
                    email.run(self.app.watch_changes(), stopped.clone()),
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "emails will wait in the outbox until the mail settings are fixed");
            }
        }
    }
}

impl Tasks {
    /// Lets every task finish what it has in hand (so nothing is sent
    /// twice after a restart), but not past `patience`: a send that hangs
    /// is stopped, its row left pending.
    async fn stop_within(self, patience: std::time::Duration) {
        for (name, task) in self.running {
            let abort = task.abort_handle();
            if tokio::time::timeout(patience, task).await.is_err() {
                tracing::warn!(task = name, "a task did not stop in time; stopping it");
                abort.abort();
            }
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
async fn maintain(app: Arc<App>, mut stop: watch::Receiver<bool>, gone: watch::Sender<bool>) {
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
            // Not an end of its own: the service stops for the lost file.
            let _ = stop.changed().await;
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
