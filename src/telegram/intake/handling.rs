//! Handling the inbox: each update in its own unit of work
//! ([`crate::store::UpdateUnit`]), committed once with everything the
//! update caused; each chat's updates in order, different chats' side by
//! side. An update whose handling fails is rolled back and stays in the
//! inbox; it is tried again after a pause that grows (its chat's later
//! updates wait behind it, other chats do not), and after
//! [`MAX_ATTEMPTS`] it is passed over with an apology to the member.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::Instrument;

use super::{Fetched, HANDLE_BATCH, chat_of};
use crate::store::UpdateUnit;
use crate::telegram::bot::{BotContext, schema};

/// How many times an update is handled before it is passed over.
pub const MAX_ATTEMPTS: u32 = 5;
/// The pause before an update's second attempt; it doubles each time.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
/// How long the handler waits when nothing arrives (another process may
/// have left updates: a crash before handling).
const IDLE_LOOK: Duration = Duration::from_secs(30);

type Tree = teloxide::dispatching::UpdateHandler<anyhow::Error>;

/// How handling one update went.
enum Handled {
    /// Committed, or found handled before: it has left the inbox.
    Done,
    /// Rolled back: it stays in the inbox for another attempt.
    Failed,
}

/// Updates that failed: how often, and when each may be tried again.
#[derive(Default)]
struct Retries(HashMap<i64, (u32, Instant)>);

impl Retries {
    /// Whether `update` waits for its next attempt at `now`.
    fn waiting(&self, update: i64, now: Instant) -> bool {
        self.0.get(&update).is_some_and(|(_, at)| *at > now)
    }

    /// The earliest moment after `now` an update waiting may be tried
    /// again (a moment passed is no reason to look again at once: that
    /// update is not among those read).
    fn next_after(&self, now: Instant) -> Option<Instant> {
        self.0
            .values()
            .map(|(_, at)| *at)
            .filter(|at| *at > now)
            .min()
    }

    /// Counts a failure; true when the update has had its last attempt.
    fn failed(&mut self, update: i64) -> bool {
        let entry = self.0.entry(update).or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now() + FIRST_PAUSE * 2u32.pow(entry.0.saturating_sub(1).min(6));
        entry.0 >= MAX_ATTEMPTS
    }

    fn forget(&mut self, update: i64) {
        self.0.remove(&update);
    }
}

/// Handles the inbox in order until the stop, then finishes the updates in hand.
pub(super) async fn handle(
    ctx: Arc<BotContext>,
    bot: Bot,
    mut stop: watch::Receiver<bool>,
    arrived: Arc<Notify>,
) {
    let mut failures = crate::logging::FailureLog::new("handling updates");
    let mut retries = Retries::default();
    let tree = schema();
    loop {
        let pending = match ctx.app.inbox_pending(HANDLE_BATCH).await {
            Ok(pending) => {
                failures.recovered();
                pending
            }
            Err(e) => {
                let pause = failures.failed(&format!("{e:#}"));
                tokio::select! {
                    () = tokio::time::sleep(pause) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        let now = Instant::now();
        let ready = ready_by_chat(pending, &retries, now);
        if ready.is_empty() {
            if *stop.borrow() {
                return;
            }
            let look = retries
                .next_after(now)
                .map_or(now + IDLE_LOOK, |at| at.min(now + IDLE_LOOK));
            tokio::select! {
                () = arrived.notified() => {}
                _ = stop.changed() => return,
                () = tokio::time::sleep_until(look) => {}
            }
            continue;
        }
        for (update, handled) in handle_by_chat(&ctx, &bot, &tree, ready).await {
            match handled {
                Handled::Done => retries.forget(update.update_id),
                Handled::Failed if retries.failed(update.update_id) => {
                    pass_over(&ctx, &update).await;
                    retries.forget(update.update_id);
                }
                Handled::Failed => {}
            }
        }
        // Stopping: the updates in hand are done; the rest wait for the next start.
        if *stop.borrow() {
            return;
        }
    }
}

/// The pending updates by chat, in order, leaving out every chat whose
/// oldest update waits for its next attempt (its later updates wait too).
fn ready_by_chat(
    pending: Vec<Fetched>,
    retries: &Retries,
    now: Instant,
) -> BTreeMap<i64, Vec<Fetched>> {
    let mut by_chat: BTreeMap<i64, Vec<Fetched>> = BTreeMap::new();
    for fetched in pending {
        by_chat.entry(chat_of(&fetched)).or_default().push(fetched);
    }
    by_chat.retain(|_, updates| !retries.waiting(updates[0].update_id, now));
    by_chat
}

/// Handles each chat's updates in order, different chats' at once; a
/// chat stops at its first failure (its later updates wait behind it).
/// Returns what became of each update tried.
async fn handle_by_chat(
    ctx: &Arc<BotContext>,
    bot: &Bot,
    tree: &Tree,
    by_chat: BTreeMap<i64, Vec<Fetched>>,
) -> Vec<(Fetched, Handled)> {
    let chats = by_chat.into_values().map(|updates| {
        let (ctx, bot, tree) = (ctx.clone(), bot.clone(), tree.clone());
        async move {
            let mut tried = Vec::new();
            for fetched in updates {
                let handled = handle_one(&ctx, &bot, &tree, &fetched).await;
                let failed = matches!(handled, Handled::Failed);
                tried.push((fetched, handled));
                if failed {
                    break;
                }
            }
            tried
        }
    });
    futures_util::future::join_all(chats)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Handles one update in its own unit of work: committed when the
/// handlers succeed (what they refused is a success: the refusal is
/// recorded and said), rolled back when they fail. An update that cannot
/// be read is passed over.
async fn handle_one(ctx: &Arc<BotContext>, bot: &Bot, tree: &Tree, fetched: &Fetched) -> Handled {
    // Every line logged while the update is handled names it.
    let span = tracing::info_span!("update", id = fetched.update_id);
    handle_in_unit(ctx, bot, tree, fetched)
        .instrument(span)
        .await
}

async fn handle_in_unit(
    ctx: &Arc<BotContext>,
    bot: &Bot,
    tree: &Tree,
    fetched: &Fetched,
) -> Handled {
    let unit = UpdateUnit::new(&ctx.app.store, fetched.update_id, ctx.app.now());
    let failure = match serde_json::from_str::<Update>(&fetched.body) {
        Ok(update) => {
            let deps = dptree::deps![bot.clone(), update, ctx.clone()];
            match unit.run(tree.dispatch(deps)).await {
                std::ops::ControlFlow::Break(Err(e)) => Some(e),
                _ => None,
            }
        }
        Err(e) => {
            tracing::warn!(update = fetched.update_id, error = %e, "an update sertibot cannot read was passed over");
            None
        }
    };
    if unit.handled_before() {
        unit.rollback().await;
        return Handled::Done;
    }
    if let Some(e) = failure {
        unit.rollback().await;
        tracing::error!(update = fetched.update_id, error = %crate::logging::redact(&format!("{e:#}")), "handling an update failed; nothing of it was kept, and it will be tried again");
        return Handled::Failed;
    }
    match unit.commit().await {
        Ok(()) => Handled::Done,
        Err(e) => {
            tracing::error!(update = fetched.update_id, error = %format!("{e:#}"), "handling an update failed at its commit; it will be tried again");
            Handled::Failed
        }
    }
}

/// An update that failed [`MAX_ATTEMPTS`] times: marked handled, with an
/// apology to its private chat, in one unit of work. Should even that
/// fail, it stays in the inbox and its turn comes again.
async fn pass_over(ctx: &Arc<BotContext>, fetched: &Fetched) {
    tracing::error!(
        update = fetched.update_id,
        attempts = MAX_ATTEMPTS,
        "an update failed every attempt; it is passed over"
    );
    let unit = UpdateUnit::new(&ctx.app.store, fetched.update_id, ctx.app.now());
    let chat = chat_of(fetched);
    let said = unit.run(ctx.apologize(chat, fetched.update_id)).await;
    let kept = match said {
        Ok(()) => unit.commit().await,
        Err(e) => {
            unit.rollback().await;
            Err(anyhow::Error::from(e))
        }
    };
    if let Err(e) = kept {
        tracing::error!(update = fetched.update_id, error = %format!("{e:#}"), "cannot pass over a failed update");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pauses of 1, 2, 4 and 8 s between the five attempts; the fifth
    /// failure is the last; a moment passed is not waited for.
    #[test]
    fn a_failing_update_waits_longer_each_time_and_has_five_attempts() {
        let mut retries = Retries::default();
        let mut pauses = Vec::new();
        for attempt in 1..=MAX_ATTEMPTS {
            let before = Instant::now();
            let last = retries.failed(42);
            assert_eq!(last, attempt == MAX_ATTEMPTS, "attempt {attempt}");
            let at = retries.0[&42].1;
            pauses.push((at - before).as_secs());
            assert!(retries.waiting(42, before));
            assert!(!retries.waiting(42, at));
            assert!(!retries.waiting(7, before), "another update does not wait");
            assert_eq!(retries.next_after(before), Some(at));
            assert_eq!(retries.next_after(at), None);
        }
        assert_eq!(pauses, [1, 2, 4, 8, 16]);
        retries.forget(42);
        assert!(retries.0.is_empty());
    }
}
