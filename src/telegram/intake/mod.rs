//! The durable inbox's intake: every update Telegram hands over is written
//! into the `inbox` table before Telegram is told it arrived, and handled
//! from there. Two ways in, one way through:
//! - [`polling`]: sertibot asks for updates (`getUpdates`) and stores each
//!   batch with the next offset in one transaction before asking for more;
//! - [`webhook`]: Telegram posts each update to sertibot's HTTP server,
//!   which answers 200 only after the update is committed.
//!
//! Either way an update is still Telegram's or already in the inbox,
//! whatever moment the process dies. The handling task here reads the
//! inbox in order and runs each update through the bot's dispatch tree
//! ([`mod@super::bot`]) in a unit of work of its own ([`handling`]): the
//! update is marked handled (and leaves the inbox) in the one transaction
//! that holds all its effects, its reply included, so an update handled
//! before a crash is not handled again, and one whose handling did not
//! commit is handled again, whole.

mod connections;
mod handling;
pub use handling::MAX_ATTEMPTS;
pub mod polling;
pub mod webhook;
pub use connections::raise_open_files_limit;

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::{Notify, watch};

use super::bot::{BotContext, menu};
use crate::app::App;
use crate::config::IntakeMode;

/// The most of one update the inbox keeps; a larger one is recorded as
/// too large and not handled (a webhook refuses it with 413).
pub const MAX_UPDATE: usize = 256 * 1024;
/// The kinds of update sertibot reads (and asks Telegram for).
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "callback_query", "my_chat_member"];
/// How many inbox updates are read at once for handling.
const HANDLE_BATCH: i64 = 100;

/// The intake, running: the task that takes updates from Telegram
/// (fetching or receiving) and the task that handles them.
pub struct Intake {
    source: (&'static str, tokio::task::JoinHandle<()>),
    handle: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Intake {
    /// Sets the command menu and starts taking updates the configured way
    /// and handling them. Telegram out of reach is tried again, gently,
    /// until it answers or the stop.
    ///
    /// # Errors
    /// When the webhook's listen address cannot be bound.
    pub async fn start(app: Arc<App>, bot: Bot, mode: &IntakeMode) -> anyhow::Result<Intake> {
        let ctx = Arc::new(BotContext {
            lang: app.config.language,
            app: app.clone(),
        });
        if let Err(e) = bot.set_my_commands(menu(&ctx)).await {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot set the bot's command menu");
        }
        let (stop, stopped) = watch::channel(false);
        let arrived = Arc::new(Notify::new());
        let source = match mode {
            IntakeMode::Polling { timeout } => {
                polling::forget_webhook(&bot).await;
                let fetch = polling::fetch(
                    app.clone(),
                    bot.clone(),
                    *timeout,
                    stopped.clone(),
                    arrived.clone(),
                );
                tracing::info!("the bot is polling for updates");
                ("fetching", tokio::spawn(fetch))
            }
            IntakeMode::Webhook(config) => {
                let server = webhook::serve(
                    app.clone(),
                    bot.clone(),
                    config,
                    stopped.clone(),
                    arrived.clone(),
                )
                .await?;
                ("receiving", tokio::spawn(server))
            }
        };
        let handle = tokio::spawn(handling::handle(ctx, bot, stopped, arrived));
        Ok(Intake {
            source,
            handle,
            stop,
        })
    }

    /// Stops taking updates at once (a webhook request being committed is
    /// finished) and lets the handler finish the updates in hand, within
    /// `within`; what is left stays in the inbox for the next start.
    pub async fn stop_within(self, within: Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + within;
        for (name, mut task) in [self.source, ("handling", self.handle)] {
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
            _ = &mut self.source.1 => {}
            _ = &mut self.handle => {}
        }
    }
}

/// Calls a Bot API method with a JSON body through the bot's own client,
/// reading at most `max_answer` bytes of the answer whatever it claims;
/// the answer's bytes. (teloxide's methods read answers whole, and send
/// setWebhook as a multipart form; these calls need neither.)
///
/// # Errors
/// When Telegram cannot be reached or answers too much; the error never
/// holds the URL (which holds the token).
pub(crate) async fn call(
    bot: &Bot,
    method: &str,
    body: &serde_json::Value,
    timeout: Duration,
    max_answer: usize,
) -> anyhow::Result<Vec<u8>> {
    let url = bot
        .api_url()
        .join(&format!("/bot{}/{method}", bot.token()))?;
    let mut response = bot
        .client()
        .post(url)
        .json(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?
    {
        if bytes.len() + chunk.len() > max_answer {
            anyhow::bail!("Telegram's answer to {method} is over {max_answer} bytes; not read");
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// One update as fetched: its id and its JSON, as Telegram sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub update_id: i64,
    pub body: String,
}

/// The chat an update belongs to (its sender's, when it names no chat);
/// updates of one chat are handled in the order Telegram sent them.
pub(crate) fn chat_of(fetched: &Fetched) -> i64 {
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
