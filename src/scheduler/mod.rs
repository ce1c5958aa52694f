//! The scheduler: the loop that fires what falls due. Its use cases —
//! due timers (RSVP reminders, digests) and deadline alerts, each fired
//! once per occasion — are [`crate::app`]'s (`app/scheduler.rs`); here is
//! when they run.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::app::App;

/// The scheduler: fires due timers (reminders, digests) and deadline
/// alerts, then sleeps until the next one is due, never longer than a
/// minute (so another process's writes and a changed system clock are
/// caught), and wakes at once when this process writes a due time or a
/// rehearsal's clock is moved. Timers and alerts live in the database, so
/// one missed while the service was down fires at the next start.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
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
            app.fire_collect_reminders().await?;
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
