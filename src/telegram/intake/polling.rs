//! Long polling into the inbox: sertibot fetches updates itself
//! (`getUpdates`, read within [`MAX_ANSWER`] bytes), writes each fetched
//! batch into the `inbox` together with the next offset in one
//! transaction, and only then asks Telegram for more. Telegram forgets an
//! update only when asked for the offset after it.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::{Notify, watch};

use super::Fetched;
use crate::app::App;

/// The most of one getUpdates answer sertibot reads: 100 updates of a few
/// kilobytes each fit many times over.
pub const MAX_ANSWER: usize = 8 * 1024 * 1024;
/// Updates asked for at once.
const BATCH: u32 = 100;

/// Drops a webhook left from webhook mode: Telegram refuses getUpdates
/// while one is set.
pub(super) async fn forget_webhook(bot: &Bot) {
    match bot.delete_webhook().await {
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %crate::logging::redact(&e.to_string()), "cannot remove a webhook; polling may be refused until it is");
        }
    }
}

/// Fetches updates until the stop, each batch stored with its next offset
/// before the next is asked for.
pub(super) async fn fetch(
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
    let body = serde_json::json!({
        "offset": offset,
        "timeout": poll_timeout.as_secs(),
        "limit": BATCH,
        "allowed_updates": super::ALLOWED_UPDATES,
    });
    let bytes = super::call(
        bot,
        "getUpdates",
        &body,
        poll_timeout + Duration::from_secs(15),
        MAX_ANSWER,
    )
    .await?;
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
