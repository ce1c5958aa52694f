//! One send: renders a row, sends or edits it, and records the outcome —
//! sent, retried later (with backoff, or after Telegram's retry_after),
//! given up and reported, the member marked unreachable (email takes
//! over), or the group forgotten (those outcomes in `sender/outcomes.rs`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use teloxide::{ApiError, RequestError};
use tokio::time::Instant;

use super::failure::{Failure, classify};

mod outcomes;
use super::keyboards;
use super::limiter::IN_TRANSIT;
use super::{CLAIM_FOR, MAX_TEXT, split};
use crate::clock::Clock;
use crate::domain::{Lang, Member};
use crate::outbox::Claimed;
pub use crate::outbox::Progress;
use crate::store::{Fenced, OutboxRow, Store};
use crate::templates::Templates;

/// An attempt to send a row: where, for whom, and when it began.
struct Sent<'a> {
    chat: i64,
    member: Option<&'a Member>,
    members: &'a [Member],
    at: chrono::DateTime<chrono::Utc>,
}

/// What a send needs, shared by the worker and its send tasks.
pub(super) struct Sender {
    pub(super) store: Store,
    pub(super) bot: Bot,
    pub(super) templates: Arc<Templates>,
    pub(super) lang: Lang,
    pub(super) clock: Arc<dyn Clock>,
    /// The later parts of long messages, sent by the tasks, for the
    /// worker's limiter: (chat, when).
    pub(super) later_parts: std::sync::Mutex<Vec<(i64, Instant)>>,
    /// Wakes the email worker for the emails this worker queues in place
    /// of a message, and everyone for the reports.
    pub(super) waker: crate::outbox::Waker,
    /// Makes the documents that messages carry as files.
    pub(super) documents: Option<crate::documents::issue::Issuer>,
}

impl Sender {
    /// Sends (or edits) one row and records the outcome; how long Telegram
    /// asked to leave the chat alone, if it did.
    pub(super) async fn send(
        &self,
        row: &OutboxRow,
        chat: i64,
        member: Option<&Member>,
        members: &[Member],
    ) -> anyhow::Result<(Progress, Option<Duration>)> {
        let now = self.clock.now();
        // Only the sender holding the row's claim sends it and settles it.
        let claim = {
            let mut conn = self.store.write().await?;
            let until = now + CLAIM_FOR;
            Store::claim_message(&mut conn, row.id, self.store.instance(), until, now).await?
        };
        let Some(claim) = claim else {
            return Ok((Progress::Deferred(row.key.clone()), None));
        };
        let row = Claimed { row, claim };
        match self.send_claimed(&row, chat, member, members, now).await {
            Err(e) if Fenced::is(&e) => {
                tracing::warn!(key = %row.key, "the row was claimed by another sender or settled meanwhile (its participant erased, say); this attempt's outcome is dropped");
                Ok((Progress::Deferred(row.key.clone()), None))
            }
            done => done,
        }
    }

    /// Sends (or edits) a claimed row and settles it under its claim.
    async fn send_claimed(
        &self,
        row: &Claimed<'_>,
        chat: i64,
        member: Option<&Member>,
        members: &[Member],
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<(Progress, Option<Duration>)> {
        let rendered = row
            .message()
            .map_err(|e| e.to_string())
            .and_then(|message| keyboards::render(&self.templates, self.lang, &message));
        let (text, keyboard) = match rendered {
            Ok(rendered) => (rendered.text, rendered.keyboard),
            Err(reason) => return Ok((self.give_up(row, member, &reason).await?, None)),
        };
        // A document is made now; a busy database is tried again like a
        // failed send, a document that cannot be made is given up.
        let document = match self.file_of(row).await {
            Some(Ok(file)) => Some(Ok(file)),
            Some(Err((true, why))) => Some(Err(Failure::Retry { after: None, why })),
            Some(Err((false, reason))) => {
                return Ok((self.give_up(row, member, &reason).await?, None));
            }
            None => None,
        };
        let outcome = match (&row.edit_of, document) {
            (_, Some(Ok(file))) => self.post_file(chat, &text, file).await,
            (_, Some(Err(failure))) => Err(failure),
            (Some(original), None) => self.edit(original, &text, keyboard).await,
            (None, None) => self.post(chat, &text, keyboard).await,
        };
        let failure = match outcome {
            Ok(message_id) => {
                // The settle: the message's id (for later edits) and the
                // row marked sent, one transaction.
                let mut tx = self.store.begin().await?;
                if let Some(message_id) = message_id {
                    Store::save_telegram_message(&mut tx, &row.key, chat, message_id, now).await?;
                }
                Store::mark_sent(&mut tx, row.claim, now).await?;
                tx.commit().await?;
                return Ok((Progress::Sent(row.key.clone()), None));
            }
            Err(failure) => failure,
        };
        let sent = Sent {
            chat,
            member,
            members,
            at: now,
        };
        self.failed(row, &sent, failure).await
    }

    /// Sends a text, split at line ends when longer than Telegram takes; the
    /// keyboard goes under the last part. Returns the last part's message id.
    pub(super) async fn post(
        &self,
        chat: i64,
        text: &str,
        keyboard: Option<teloxide::types::InlineKeyboardMarkup>,
    ) -> Result<Option<i64>, Failure> {
        let parts = split(text, MAX_TEXT);
        let mut last = None;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                // One message a second to a chat, parts too.
                tokio::time::sleep(Duration::from_secs(1) + IN_TRANSIT).await;
                if let Ok(mut later) = self.later_parts.lock() {
                    later.push((chat, Instant::now()));
                }
            }
            let mut request = self
                .bot
                .send_message(ChatId(chat), part.clone())
                .parse_mode(ParseMode::Html);
            if i + 1 == parts.len()
                && let Some(k) = &keyboard
            {
                request = request.reply_markup(k.clone());
            }
            let message = request.await.map_err(classify)?;
            last = Some(i64::from(message.id.0));
        }
        Ok(last)
    }

    pub(super) async fn edit(
        &self,
        original: &str,
        text: &str,
        keyboard: Option<teloxide::types::InlineKeyboardMarkup>,
    ) -> Result<Option<i64>, Failure> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(|e| Failure::Retry {
                after: None,
                why: e.to_string(),
            })?;
        // "msg:<chat>:<message>" edits a message the bot did not send from
        // the outbox (the one a button was pressed on); other keys name an outbox row.
        let direct = original.strip_prefix("msg:").and_then(|rest| {
            let (chat, message) = rest.split_once(':')?;
            Some((chat.parse().ok()?, message.parse().ok()?))
        });
        let found = match direct {
            Some(found) => Some(found),
            None => Store::telegram_message(&mut conn, original)
                .await
                .map_err(|e| Failure::Retry {
                    after: None,
                    why: e.to_string(),
                })?,
        };
        drop(conn);
        // The original was never sent (it failed for good): nothing to edit.
        let Some((chat, message)) = found else {
            return Ok(None);
        };
        // An edit is one message: shortened at a boundary, with a note.
        let note = self
            .templates
            .phrase(self.lang, "edit_shortened", json!({}));
        let text = crate::telegram::html::shorten(text, MAX_TEXT, &note);
        let mut request = self
            .bot
            .edit_message_text(ChatId(chat), MessageId(message as i32), text)
            .parse_mode(ParseMode::Html);
        request = match keyboard {
            Some(k) => request.reply_markup(k),
            None => request.reply_markup(teloxide::types::InlineKeyboardMarkup::default()),
        };
        match request.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    pub(super) fn redact(&self, text: &str) -> String {
        crate::telegram::redact(text, self.bot.token())
    }
}
