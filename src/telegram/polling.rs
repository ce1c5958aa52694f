//! The durable inbox's intake by long polling. sertibot fetches updates
//! itself (`getUpdates`, read within [`MAX_ANSWER`] bytes), writes each
//! fetched batch into the `inbox` table together with the next offset in
//! one transaction, and only then asks Telegram for more: Telegram forgets
//! an update only when it is asked for the offset after it, so an update
//! is either still Telegram's or already in the inbox, whatever moment the
//! process dies. A second task handles the inbox in order through the
//! bot's dispatch tree ([`mod@super::bot`]); an update is marked handled in
//! the same transaction as its effects, so one handled before a crash is
//! not handled again.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::{Notify, watch};

use super::bot::{BotContext, menu, schema};
use crate::app::App;

/// The most of one getUpdates answer sertibot reads: 100 updates of a few
/// kilobytes each fit many times over.
pub const MAX_ANSWER: usize = 8 * 1024 * 1024;
/// The most of one update the inbox keeps; a larger one is recorded as
/// too large and not handled.
pub const MAX_UPDATE: usize = 256 * 1024;
/// Updates asked for at once.
const BATCH: u32 = 100;
/// How many inbox updates are read at once for handling.
const HANDLE_BATCH: i64 = 100;

/// The intake, running: the fetching task and the handling task.
pub struct Polling {
    fetch: tokio::task::JoinHandle<()>,
    handle: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Polling {
    /// Sets the command menu, drops a webhook left from webhook mode, and
    /// starts fetching and handling. Telegram out of reach is tried again,
    /// gently, until it answers or the stop.
    pub async fn start(app: Arc<App>, bot: Bot, poll_timeout: Duration) -> Polling {
        let ctx = Arc::new(BotContext {
            lang: app.config.language,
            app: app.clone(),
        });
        if let Err(e) = bot.set_my_commands(menu(&ctx)).await {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot set the bot's command menu");
        }
        if let Err(e) = bot.delete_webhook().await {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot remove a webhook; polling may be refused until it is");
        }
        let (stop, stopped) = watch::channel(false);
        let arrived = Arc::new(Notify::new());
        let fetch = tokio::spawn(fetch(
            app.clone(),
            bot.clone(),
            poll_timeout,
            stopped.clone(),
            arrived.clone(),
        ));
        let handle = tokio::spawn(handle(ctx, bot, stopped, arrived));
        tracing::info!("the bot is polling for updates");
        Polling {
            fetch,
            handle,
            stop,
        }
    }

    /// Stops fetching at once and lets the handler finish the updates in
    /// hand, within `within`; what is left stays in the inbox for the next
    /// start.
    pub async fn stop_within(self, within: Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + within;
        for (name, mut task) in [("fetching", self.fetch), ("handling", self.handle)] {
            // A task that already ended (and may have been awaited by
            // `ended`) is not awaited again.
            if task.is_finished() {
                continue;
            }
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!(task = name, "updates: did not stop in time; stopping it");
                task.abort();
            }
        }
    }

    /// Waits until either task ends (unexpectedly, unless stopped).
    pub async fn ended(&mut self) {
        tokio::select! {
            _ = &mut self.fetch => {}
            _ = &mut self.handle => {}
        }
    }
}

/// Fetches updates until the stop, each batch stored with its next offset
/// before the next is asked for.
async fn fetch(
    app: Arc<App>,
    bot: Bot,
    poll_timeout: Duration,
    mut stop: watch::Receiver<bool>,
    arrived: Arc<Notify>,
) {
    // After a failure: 1 s, doubling to a minute, each attempt logged.
    let mut pause = Duration::from_secs(1);
    loop {
        if *stop.borrow() {
            return;
        }
        let outcome = async {
            let offset = app.inbox_offset().await?;
            let updates = get_updates(&bot, offset, poll_timeout).await?;
            app.store_updates(&updates).await?;
            anyhow::Ok(updates.len())
        };
        let failed = tokio::select! {
            outcome = outcome => match outcome {
                Ok(n) => {
                    pause = Duration::from_secs(1);
                    if n > 0 {
                        arrived.notify_one();
                    }
                    false
                }
                Err(e) => {
                    let e = crate::limits::clip(&crate::logging::redact(&format!("{e:#}")), crate::limits::MAX_LOGGED_ERROR);
                    tracing::warn!(error = %e, retry_in = ?pause, "cannot reach Telegram for updates (or it refused); trying again");
                    true
                }
            },
            _ = stop.changed() => return,
        };
        if failed {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
            pause = (pause * 2).min(Duration::from_secs(60));
        }
    }
}

/// One update as fetched: its id and its JSON, as Telegram sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub update_id: i64,
    pub body: String,
}

/// Asks Telegram for the updates from `offset` on, waiting up to
/// `poll_timeout` for the first; reads at most [`MAX_ANSWER`] bytes of the
/// answer whatever it claims.
///
/// # Errors
/// When Telegram cannot be reached, answers an error, or answers too much.
pub async fn get_updates(
    bot: &Bot,
    offset: i64,
    poll_timeout: Duration,
) -> anyhow::Result<Vec<Fetched>> {
    let url = bot
        .api_url()
        .join(&format!("/bot{}/getUpdates", bot.token()))?;
    let body = serde_json::json!({
        "offset": offset,
        "timeout": poll_timeout.as_secs(),
        "limit": BATCH,
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
    });
    let mut response = bot
        .client()
        .post(url)
        .json(&body)
        .timeout(poll_timeout + Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?
    {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            anyhow::bail!("Telegram's answer to getUpdates is over {MAX_ANSWER} bytes; not read");
        }
        bytes.extend_from_slice(&chunk);
    }
    read_updates(&bytes)
}

/// The updates of a getUpdates answer, each kept as its own JSON.
///
/// # Errors
/// When the answer is not Telegram's JSON or says an error.
pub fn read_updates(bytes: &[u8]) -> anyhow::Result<Vec<Fetched>> {
    #[derive(serde::Deserialize)]
    struct Answer {
        ok: bool,
        #[serde(default)]
        result: Vec<serde_json::Value>,
        description: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("Telegram's answer to getUpdates is not JSON: {e}"))?;
    if !answer.ok {
        let why = answer.description.unwrap_or_default();
        anyhow::bail!(
            "Telegram refused getUpdates: {}",
            crate::limits::clip(&why, crate::limits::MAX_LOGGED_ERROR)
        );
    }
    let mut updates = Vec::with_capacity(answer.result.len());
    for value in answer.result {
        let Some(update_id) = value["update_id"].as_i64() else {
            anyhow::bail!("an update from Telegram has no update_id");
        };
        updates.push(Fetched {
            update_id,
            body: value.to_string(),
        });
    }
    Ok(updates)
}

/// Handles the inbox in order until the stop, then finishes the updates in hand.
async fn handle(
    ctx: Arc<BotContext>,
    bot: Bot,
    mut stop: watch::Receiver<bool>,
    arrived: Arc<Notify>,
) {
    let mut failures = crate::logging::FailureLog::new("handling updates");
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
        if pending.is_empty() {
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                () = arrived.notified() => {}
                _ = stop.changed() => return,
                // Another process may have left updates (a crash before handling).
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
            continue;
        }
        handle_by_chat(&ctx, &bot, &tree, pending).await;
    }
}

/// Handles a read of the inbox: each chat's updates in order, different
/// chats' at once (each update in its own transaction), as teloxide's
/// dispatcher did. Returns when all are handled.
async fn handle_by_chat(
    ctx: &Arc<BotContext>,
    bot: &Bot,
    tree: &teloxide::dispatching::UpdateHandler<anyhow::Error>,
    pending: Vec<Fetched>,
) {
    let mut by_chat: std::collections::BTreeMap<i64, Vec<Fetched>> = Default::default();
    for fetched in pending {
        by_chat.entry(chat_of(&fetched)).or_default().push(fetched);
    }
    let chats = by_chat.into_values().map(|updates| {
        let (ctx, bot, tree) = (ctx.clone(), bot.clone(), tree.clone());
        async move {
            for fetched in &updates {
                handle_one(&ctx, &bot, &tree, fetched).await;
            }
        }
    });
    futures_util::future::join_all(chats).await;
}

/// The chat an update belongs to (its sender's, when it names no chat);
/// updates of one chat are handled in the order Telegram sent them.
fn chat_of(fetched: &Fetched) -> i64 {
    #[derive(serde::Deserialize)]
    struct Peek {
        message: Option<Inner>,
        callback_query: Option<Callback>,
        my_chat_member: Option<Inner>,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        chat: Id,
    }
    #[derive(serde::Deserialize)]
    struct Callback {
        from: Id,
        message: Option<Inner>,
    }
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    match serde_json::from_str::<Peek>(&fetched.body) {
        Ok(Peek {
            message: Some(m), ..
        })
        | Ok(Peek {
            my_chat_member: Some(m),
            ..
        }) => m.chat.id,
        Ok(Peek {
            callback_query: Some(q),
            ..
        }) => q.message.map_or(q.from.id, |m| m.chat.id),
        _ => 0,
    }
}

/// Handles one update from the inbox, and marks it handled whatever its
/// handlers did (they mark it in their own transaction when they change
/// something; a failure of theirs is logged, and retrying would fail again).
/// Only a database that cannot record the mark leaves it for another try.
async fn handle_one(
    ctx: &Arc<BotContext>,
    bot: &Bot,
    tree: &teloxide::dispatching::UpdateHandler<anyhow::Error>,
    fetched: &Fetched,
) {
    match serde_json::from_str::<Update>(&fetched.body) {
        Ok(update) => {
            let deps = dptree::deps![bot.clone(), update, ctx.clone()];
            if let std::ops::ControlFlow::Break(Err(e)) = tree.dispatch(deps).await {
                tracing::error!(update = fetched.update_id, error = %crate::logging::redact(&format!("{e:#}")), "handling an update failed");
            }
        }
        Err(e) => {
            tracing::warn!(update = fetched.update_id, error = %e, "an update sertibot cannot read was passed over");
        }
    }
    // Most handlers mark the update themselves, with their effects (which
    // takes it out of the inbox); a read spares the single writer a second
    // write for those.
    if !ctx.app.inbox_holds(fetched.update_id).await.unwrap_or(true) {
        return;
    }
    if let Err(e) = ctx.app.mark_update_handled(fetched.update_id).await {
        tracing::error!(update = fetched.update_id, error = %format!("{e:#}"), "cannot mark an update handled; it will be handled again");
    }
}
