//! The Telegram delivery worker: takes due rows from the outbox, renders
//! them, and sends (or edits) them within Telegram's limits. A 429 waits its
//! retry_after; 5xx and network errors retry with backoff and jitter; a
//! member who blocked the bot (or never started it) is marked unreachable,
//! Ketua LSP and Kabag Sertifikasi are told, and the message goes by email
//! where the member has one. It makes no domain decisions.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::keyboards;
use crate::clock::Clock;
use crate::domain::{Lang, Member, MemberId};
use crate::notify::{Channel, Outgoing};
pub use crate::outbox::Progress;
use crate::outbox::{SETTLE, backoff};
use crate::store::{OutboxRow, Store};
use crate::templates::Templates;

/// How long a claim on a row lasts: longer than any one send takes.
const CLAIM_FOR: chrono::Duration = chrono::Duration::minutes(5);

pub use super::html::MAX_TEXT;
use super::html::{split, to_text as html_to_text};
/// The longest the worker sleeps without looking at the outbox.
const LONGEST_SLEEP: Duration = Duration::from_secs(60);
/// Failed attempts before a message is given up and reported.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a message for a member who has not registered yet waits before it is looked at again.
const WAIT_FOR_REGISTRATION: chrono::Duration = chrono::Duration::minutes(10);

/// Telegram counts a message when it arrives, the limiter when it leaves;
/// windows are this much longer than Telegram's so that a message that
/// travels faster than the one 30 sends (or one send) before it still
/// arrives within the limit.
const IN_TRANSIT: Duration = Duration::from_millis(25);

/// Telegram's rate limits, kept per chat.
#[derive(Debug, Default)]
struct Limiter {
    /// The last send per private chat (at most one a second).
    last: HashMap<i64, Instant>,
    /// Recent sends per group chat (at most 20 a minute).
    groups: HashMap<i64, VecDeque<Instant>>,
    /// Recent sends overall (at most 30 a second).
    all: VecDeque<Instant>,
    /// Chats Telegram asked us to leave alone (retry_after).
    blocked: HashMap<i64, Instant>,
}

impl Limiter {
    /// When a message to `chat` may go out.
    fn ready_at(&mut self, chat: i64, now: Instant) -> Instant {
        let minute = Duration::from_secs(60) + IN_TRANSIT;
        let second = Duration::from_secs(1) + IN_TRANSIT;
        while self
            .all
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            self.all.pop_front();
        }
        let mut at = now;
        if self.all.len() >= 30 {
            at = at.max(self.all[self.all.len() - 30] + second);
        }
        if chat < 0 {
            let window = self.groups.entry(chat).or_default();
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= minute)
            {
                window.pop_front();
            }
            if window.len() >= 20 {
                at = at.max(window[window.len() - 20] + minute);
            }
        } else if let Some(last) = self.last.get(&chat) {
            at = at.max(*last + second);
        }
        if let Some(until) = self.blocked.get(&chat) {
            at = at.max(*until);
        }
        at
    }

    fn record(&mut self, chat: i64, now: Instant) {
        // Kept in order: a long message's later parts are told afterwards.
        let at = self.all.partition_point(|t| *t <= now);
        self.all.insert(at, now);
        if chat < 0 {
            self.groups.entry(chat).or_default().push_back(now);
        } else {
            let last = self.last.entry(chat).or_insert(now);
            *last = (*last).max(now);
        }
    }

    fn block(&mut self, chat: i64, until: Instant) {
        self.blocked.insert(chat, until);
    }
}

/// Why a send failed, as far as what to do next.
enum Failure {
    /// Try again later; `after` is Telegram's retry_after when it gave one.
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// The group moved to a new chat id.
    Migrated(i64),
    /// The member cannot be reached (blocked, never started, deleted).
    Unreachable(String),
    /// This message can never be sent (bad content).
    Permanent(String),
}

/// How many sends may be under way at once (each to a different chat). A
/// send can take long (teloxide waits 10 s after a 5xx before it answers),
/// and one slow chat must not hold the others back.
const MAX_SENDING: usize = 16;
/// How many due rows are read at once.
const QUEUE_LENGTH: i64 = 200;
/// The shortest time between two reads of the outbox (see [`SETTLE`]).
const READ_GAP: Duration = SETTLE;

/// The worker: reads due rows, routes each to its chat, and starts a send
/// for every row whose chat Telegram's limits let through now, one send per
/// chat at a time so each chat's messages keep their order.
pub struct Delivery {
    sender: Arc<Sender>,
    limiter: Limiter,
    /// Due rows read from the outbox and not yet taken, oldest first.
    queue: VecDeque<OutboxRow>,
    /// The member register and who is unreachable, as of the last read.
    members: Arc<Vec<Member>>,
    unreachable: HashSet<MemberId>,
    /// Whether the queue must be read again before it is used.
    stale: bool,
    /// Whether the last read found rows (more may be waiting behind them).
    more: bool,
    /// When the queue was last read.
    last_read: Option<Instant>,
    /// When a row not due at the last read becomes due.
    read_again_at: Option<Instant>,
    /// The sends under way: (chat, row) by task.
    sending: HashMap<tokio::task::Id, (i64, i64)>,
    running: JoinSet<Finished>,
    /// The worker's own failures (the database), logged once per minute and paused after.
    failures: crate::logging::FailureLog,
}

/// What a send task reports when it ends.
struct Finished {
    /// Telegram asked to leave the chat alone until then (429).
    hold_until: Option<Instant>,
    progress: anyhow::Result<Progress>,
}

/// Where a row goes.
enum Route<'a> {
    /// To this chat, for this member (if it is a member's message).
    Chat(i64, Option<&'a Member>),
    /// The member cannot be reached in Telegram: by email instead.
    Unreachable(&'a Member),
    /// The member has not opened their registration link yet.
    AwaitingRegistration,
    /// The member was removed.
    NoRecipient,
}

/// What one turn of the worker did.
enum Turn {
    /// Started a send, or settled a row without sending.
    Worked,
    /// Nothing can be started now; look again then (if known).
    Idle(Option<Instant>),
}

impl Delivery {
    /// A worker sending with `bot`.
    pub fn new(
        store: Store,
        bot: Bot,
        templates: Arc<Templates>,
        lang: Lang,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Delivery {
            sender: Arc::new(Sender {
                store,
                bot,
                templates,
                lang,
                clock,
                later_parts: std::sync::Mutex::new(Vec::new()),
            }),
            limiter: Limiter::default(),
            queue: VecDeque::new(),
            members: Arc::new(Vec::new()),
            unreachable: HashSet::new(),
            stale: true,
            more: false,
            last_read: None,
            read_again_at: None,
            sending: HashMap::new(),
            running: JoinSet::new(),
            failures: crate::logging::FailureLog::new("telegram delivery"),
        }
    }

    /// Runs until `shutdown` turns true, then lets the sends under way
    /// finish and be recorded (so nothing is sent twice after a restart).
    /// It sleeps until the next due row or rate limit, at most a minute,
    /// and wakes at once on `changes` and when a send ends.
    pub async fn run(
        mut self,
        mut changes: watch::Receiver<u64>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            while let Some(done) = self.running.try_join_next_with_id() {
                self.finished(done);
            }
            if changes.has_changed().unwrap_or(false) {
                changes.borrow_and_update();
                self.stale = true;
            }
            let next = if self.running.len() >= MAX_SENDING {
                None
            } else {
                match self.turn().await {
                    Ok(Turn::Worked) => {
                        self.failures.recovered();
                        continue;
                    }
                    Ok(Turn::Idle(next)) => {
                        self.failures.recovered();
                        next
                    }
                    Err(e) => {
                        let pause = self.failures.failed(&self.sender.redact(&format!("{e:#}")));
                        self.stale = true;
                        Some(Instant::now() + pause)
                    }
                }
            };
            let sleep = next
                .map_or(LONGEST_SLEEP, |at| {
                    at.saturating_duration_since(Instant::now())
                })
                .min(LONGEST_SLEEP);
            tracing::debug!(
                ?sleep,
                sending = self.running.len(),
                "telegram worker waits"
            );
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                Ok(()) = changes.changed() => self.stale = true,
                _ = shutdown.changed() => {}
                Some(done) = self.running.join_next_with_id(), if !self.running.is_empty() => self.finished(done),
            }
        }
        while let Some(done) = self.running.join_next_with_id().await {
            self.finished(done);
        }
    }

    /// Records what a send task reported.
    fn finished(&mut self, done: Result<(tokio::task::Id, Finished), tokio::task::JoinError>) {
        let done = match done {
            Ok((task, done)) => {
                let chat = self.sending.remove(&task).map(|(chat, _)| chat);
                if let (Some(chat), Some(until)) = (chat, done.hold_until) {
                    self.limiter.block(chat, until);
                }
                done
            }
            Err(e) => {
                // A send task that panicked: its row stays pending and is
                // tried again after the next read.
                self.sending.remove(&e.id());
                tracing::error!(error = %e, "a telegram send stopped unexpectedly");
                self.stale = true;
                return;
            }
        };
        match done.progress {
            Ok(Progress::Sent(_)) => {}
            // A deferred or failed row, and what it queued (reports, an
            // email instead), must be read again.
            Ok(_) => self.stale = true,
            Err(e) => {
                self.failures.failed(&self.sender.redact(&format!("{e:#}")));
                self.stale = true;
            }
        }
    }

    /// Reads the due rows (leaving out those being sent), the member
    /// register and who is unreachable.
    async fn read(&mut self) -> anyhow::Result<()> {
        tracing::debug!("telegram outbox read starts");
        let now = self.sender.clock.now();
        let mut conn = self.sender.store.pool().acquire().await?;
        let rows = Store::due_messages_fairly(
            &mut conn,
            Channel::Telegram.as_str(),
            self.sender.store.instance(),
            now,
            QUEUE_LENGTH,
        )
        .await?;
        self.members = Arc::new(Store::members(&mut conn).await?);
        self.unreachable = Store::unreachable_members(&mut conn).await?;
        let later =
            Store::next_message_due_after(&mut conn, Channel::Telegram.as_str(), now).await?;
        // A read holds at most a few rows of each chat: once they are
        // taken, read again for the rest.
        self.more = !rows.is_empty();
        self.last_read = Some(Instant::now());
        self.queue = rows
            .into_iter()
            .filter(|r| !self.sending.values().any(|(_, row)| *row == r.id))
            .collect();
        self.read_again_at = later
            .map(|at| Instant::now() + (at - self.sender.clock.now()).to_std().unwrap_or_default());
        self.stale = false;
        tracing::debug!(
            due = self.queue.len(),
            sending = self.sending.len(),
            "telegram outbox read"
        );
        Ok(())
    }

    fn route<'a>(
        row: &OutboxRow,
        members: &'a [Member],
        unreachable: &HashSet<MemberId>,
    ) -> Route<'a> {
        let member = row
            .member_id
            .and_then(|id| members.iter().find(|m| m.id.0 == id));
        match (row.chat_id, member) {
            (Some(chat), member) => Route::Chat(chat, member),
            (None, Some(m)) if unreachable.contains(&m.id) => Route::Unreachable(m),
            (None, Some(m)) => match m.telegram_user_id {
                Some(user) => Route::Chat(user.0, Some(m)),
                None => Route::AwaitingRegistration,
            },
            (None, None) => Route::NoRecipient,
        }
    }

    /// Starts the send of the first queued row whose chat may receive now,
    /// or settles a row that goes no chat's way.
    async fn turn(&mut self) -> anyhow::Result<Turn> {
        if let Ok(mut parts) = self.sender.later_parts.lock() {
            for (chat, at) in parts.drain(..) {
                self.limiter.record(chat, at);
            }
        }
        let now = Instant::now();
        let wants_read = self.stale
            || (self.queue.is_empty() && self.more)
            || self.read_again_at.is_some_and(|at| at <= now);
        let too_soon = self
            .last_read
            .map(|at| at + READ_GAP)
            .filter(|at| *at > now);
        if wants_read && too_soon.is_none() {
            self.read().await?;
        }
        let now = Instant::now();
        let mut earliest: Option<Instant> = None;
        let mut held: HashSet<i64> = HashSet::new();
        let mut chosen = None;
        for (i, row) in self.queue.iter().enumerate() {
            let chat = match Self::route(row, &self.members, &self.unreachable) {
                Route::Chat(chat, _) => chat,
                _ => {
                    chosen = Some(i);
                    break;
                }
            };
            if held.contains(&chat) || self.sending.values().any(|(c, _)| *c == chat) {
                // Keep each chat's messages in order.
                held.insert(chat);
                continue;
            }
            let ready = self.limiter.ready_at(chat, now);
            if ready > now {
                held.insert(chat);
                earliest = Some(earliest.map_or(ready, |e: Instant| e.min(ready)));
                continue;
            }
            chosen = Some(i);
            break;
        }
        let Some(i) = chosen else {
            // Nothing startable: wake for the limiter, the next row to fall
            // due, or the read that was put off.
            let put_off = too_soon.filter(|_| wants_read);
            let next = [earliest, self.read_again_at, put_off]
                .into_iter()
                .flatten()
                .min();
            return Ok(Turn::Idle(next));
        };
        let row = self.queue.remove(i).expect("the chosen row is queued");
        let members = self.members.clone();
        match Self::route(&row, &members, &self.unreachable) {
            Route::Chat(chat, member) => {
                let member = member.cloned();
                tracing::debug!(key = %row.key, chat, "telegram send starts");
                self.limiter.record(chat, now);
                let row_id = row.id;
                let sender = self.sender.clone();
                let task = self.running.spawn(async move {
                    let (progress, hold) =
                        match sender.send(&row, chat, member.as_ref(), &members).await {
                            Ok((progress, hold)) => (Ok(progress), hold),
                            Err(e) => (Err(e), None),
                        };
                    Finished {
                        hold_until: hold.map(|d| Instant::now() + d),
                        progress,
                    }
                });
                self.sending.insert(task.id(), (chat, row_id));
            }
            Route::Unreachable(m) => {
                self.sender.fall_back(&row, m, "unreachable").await?;
                self.stale = true;
            }
            Route::AwaitingRegistration => {
                let mut conn = self.sender.store.write().await?;
                Store::mark_retry(
                    &mut conn,
                    row.id,
                    self.sender.clock.now() + WAIT_FOR_REGISTRATION,
                    "waiting for the member to register in Telegram",
                    false,
                )
                .await?;
            }
            Route::NoRecipient => {
                let mut conn = self.sender.store.write().await?;
                Store::mark_failed(
                    &mut conn,
                    row.id,
                    "the recipient is no longer a member",
                    self.sender.clock.now(),
                )
                .await?;
            }
        }
        Ok(Turn::Worked)
    }
}

/// What a send needs, shared by the worker and its send tasks.
struct Sender {
    store: Store,
    bot: Bot,
    templates: Arc<Templates>,
    lang: Lang,
    clock: Arc<dyn Clock>,
    /// The later parts of long messages, sent by the tasks, for the
    /// worker's limiter: (chat, when).
    later_parts: std::sync::Mutex<Vec<(i64, Instant)>>,
}

impl Sender {
    /// Sends (or edits) one row and records the outcome; how long Telegram
    /// asked to leave the chat alone, if it did.
    async fn send(
        &self,
        row: &OutboxRow,
        chat: i64,
        member: Option<&Member>,
        members: &[Member],
    ) -> anyhow::Result<(Progress, Option<Duration>)> {
        let now = self.clock.now();
        {
            // Only the sender holding the row's claim sends it.
            let mut conn = self.store.write().await?;
            let until = now + CLAIM_FOR;
            if !Store::claim_message(&mut conn, row.id, self.store.instance(), until, now).await? {
                return Ok((Progress::Deferred(row.key.clone()), None));
            }
        }
        let text =
            match self
                .templates
                .render(self.lang, &format!("{}.html", row.template), &row.context)
            {
                Ok(text) => text,
                Err(e) => {
                    let reason = format!("template {}: {e}", row.template);
                    return Ok((self.give_up(row, member, &reason).await?, None));
                }
            };
        let keyboard =
            keyboards::for_message(&self.templates, self.lang, &row.template, &row.context);
        let outcome = match &row.edit_of {
            Some(original) => self.edit(original, &text, keyboard).await,
            None => self.post(chat, &text, keyboard).await,
        };
        let mut conn = self.store.write().await?;
        let progress = match outcome {
            Ok(Some(message_id)) => {
                Store::save_telegram_message(&mut conn, &row.key, chat, message_id, now).await?;
                Store::mark_sent(&mut conn, row.id, now).await?;
                Progress::Sent(row.key.clone())
            }
            Ok(None) => {
                Store::mark_sent(&mut conn, row.id, now).await?;
                Progress::Sent(row.key.clone())
            }
            Err(Failure::Retry { after, why }) => {
                let why = self.redact(&why);
                // A 429 holds the whole chat back for retry_after (a physical
                // wait, kept by the worker's limiter); other failures back
                // off per row.
                if after.is_none() && row.attempts + 1 >= MAX_ATTEMPTS {
                    drop(conn);
                    return Ok((self.give_up(row, member, &why).await?, None));
                }
                let delay = after.map_or_else(|| backoff(row.attempts), |_| Duration::ZERO);
                let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                Store::mark_retry(&mut conn, row.id, at, &why, after.is_none()).await?;
                tracing::warn!(key = %row.key, error = %why, "telegram send will be retried");
                return Ok((Progress::Deferred(row.key.clone()), after));
            }
            Err(Failure::Migrated(to)) => {
                Store::migrate_chat(&mut conn, chat, to).await?;
                Store::mark_retry(
                    &mut conn,
                    row.id,
                    now,
                    "the group moved to a new chat id",
                    false,
                )
                .await?;
                Progress::Deferred(row.key.clone())
            }
            Err(Failure::Unreachable(reason)) if chat < 0 => {
                drop(conn);
                self.forget_group(row, chat, &reason).await?
            }
            Err(Failure::Unreachable(reason)) => {
                drop(conn);
                match member {
                    Some(m) if row.chat_id.is_none() => {
                        self.mark_unreachable(m, members, &reason).await?;
                        self.fall_back(row, m, &reason).await?
                    }
                    _ => self.give_up(row, member, &reason).await?,
                }
            }
            Err(Failure::Permanent(reason)) => {
                drop(conn);
                let reason = self.redact(&reason);
                self.give_up(row, member, &reason).await?
            }
        };
        Ok((progress, None))
    }

    /// Sends a text, split at line ends when longer than Telegram takes; the
    /// keyboard goes under the last part. Returns the last part's message id.
    async fn post(
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

    async fn edit(
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
        let text = super::html::shorten(text, MAX_TEXT, &note);
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

    /// Marks the member unreachable and, the first time, tells Ketua LSP and Kabag Sertifikasi.
    async fn mark_unreachable(
        &self,
        member: &Member,
        members: &[Member],
        reason: &str,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if Store::mark_unreachable(&mut tx, member.id, now).await? {
            let notices = crate::notify::member_unreachable(members, member, reason, now);
            Store::enqueue(&mut tx, &notices, now).await?;
        }
        tx.commit().await?;
        tracing::warn!(member = %member.id, reason, "member unreachable in Telegram");
        Ok(())
    }

    /// Sends a member's message by email instead (if they have one), and closes the row.
    async fn fall_back(
        &self,
        row: &OutboxRow,
        member: &Member,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if let Some(email) = &member.email {
            let text = self
                .templates
                .render(self.lang, &format!("{}.html", row.template), &row.context)
                .map(|html| html_to_text(&html))
                .unwrap_or_default();
            let fallback = Outgoing {
                key: format!("{}:fallback-email", row.key),
                channel: Channel::Email,
                batch: None,
                member: Some(member.id),
                participant: None,
                address: Some(email.as_str().to_string()),
                template: "staff_fallback".into(),
                context: json!({ "recipient": member.name, "text": text }),
                edit_of: None,
                chat: None,
            };
            Store::enqueue(&mut tx, &[fallback], now).await?;
            Store::mark_failed(
                &mut tx,
                row.id,
                &format!("{reason}; sent by email instead"),
                now,
            )
            .await?;
        } else {
            Store::mark_failed(&mut tx, row.id, reason, now).await?;
        }
        tx.commit().await?;
        Ok(Progress::Failed(row.key.clone()))
    }

    /// The bot is no longer in a group (kicked, the group deleted): the
    /// group is forgotten, with whatever else waited for it, said once in
    /// the log and the audit log, and nobody is told of each lost message.
    async fn forget_group(
        &self,
        row: &OutboxRow,
        chat: i64,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        Store::mark_failed(&mut tx, row.id, reason, now).await?;
        if Store::remove_group(&mut tx, chat, now).await? {
            Store::audit(
                &mut tx,
                &[crate::store::AuditEntry {
                    channel: "telegram",
                    actor: "system",
                    member: None,
                    telegram_user: None,
                    batch: None,
                    action: "group_forgotten".into(),
                    detail: json!({ "chat": chat, "why": reason }),
                }],
                now,
            )
            .await?;
            tracing::warn!(
                chat,
                reason,
                "the bot is no longer in a group; the group is forgotten"
            );
        }
        tx.commit().await?;
        Ok(Progress::Failed(row.key.clone()))
    }

    /// Gives a row up for good and tells Kabag Sertifikasi and Ketua LSP.
    async fn give_up(
        &self,
        row: &OutboxRow,
        member: Option<&Member>,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        Store::mark_failed(&mut tx, row.id, reason, now).await?;
        let is_report = matches!(
            row.template.as_str(),
            "delivery_failed" | "member_unreachable"
        );
        if !is_report && row.edit_of.is_none() {
            let members = Store::members(&mut tx).await?;
            let context = json!({
                "channel": "telegram",
                "recipient": member.map(|m| m.name.clone()).unwrap_or_default(),
                "address": "",
                "what": row.template,
                "reason": reason,
            });
            let reports =
                crate::notify::delivery_failed(&members, &row.key, member.map(|m| m.id), context);
            Store::enqueue(&mut tx, &reports, now).await?;
        }
        tx.commit().await?;
        tracing::error!(key = %row.key, reason, "telegram message given up");
        Ok(Progress::Failed(row.key.clone()))
    }

    fn redact(&self, text: &str) -> String {
        super::redact(text, self.bot.token())
    }
}

/// What a failed request means for its row. Every text it keeps of the
/// error is cut to [`crate::limits::MAX_LOGGED_ERROR`]: an answer may be
/// huge, and the text is logged and stored.
fn classify(error: RequestError) -> Failure {
    let clip = |text: String| crate::limits::clip(&text, crate::limits::MAX_LOGGED_ERROR);
    match classify_whole(error) {
        Failure::Retry { after, why } => Failure::Retry {
            after,
            why: clip(why),
        },
        Failure::Unreachable(why) => Failure::Unreachable(clip(why)),
        Failure::Permanent(why) => Failure::Permanent(clip(why)),
        migrated @ Failure::Migrated(_) => migrated,
    }
}

fn classify_whole(error: RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(seconds) => Failure::Retry {
            after: Some(seconds.duration()),
            why: format!("Telegram asked to wait {} s (429)", seconds.seconds()),
        },
        RequestError::MigrateToChatId(to) => Failure::Migrated(to.0),
        RequestError::Api(
            e @ (ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::GroupDeactivated),
        ) => Failure::Unreachable(e.to_string()),
        // Wordings teloxide does not know, among them a basic group's
        // "Forbidden: bot was kicked from the group chat".
        RequestError::Api(ApiError::Unknown(description)) if gone_for_good(&description) => {
            Failure::Unreachable(description)
        }
        RequestError::Api(ApiError::Unknown(description)) => Failure::Retry {
            after: None,
            why: format!("Telegram answered: {description}"),
        },
        RequestError::Api(e) => Failure::Permanent(e.to_string()),
        other => Failure::Retry {
            after: None,
            why: other.to_string(),
        },
    }
}

/// Whether Telegram's description says the chat will never take a message again.
fn gone_for_good(description: &str) -> bool {
    let d = description.to_lowercase();
    [
        "bot was kicked",
        "bot is not a member",
        "group chat was deleted",
        "chat was deleted",
        "bot was blocked",
        "user is deactivated",
    ]
    .iter()
    .any(|w| d.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_chat_gets_one_message_a_second_and_everyone_thirty() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        assert_eq!(limiter.ready_at(5, start), start);
        limiter.record(5, start);
        assert_eq!(
            limiter.ready_at(5, start),
            start + Duration::from_secs(1) + IN_TRANSIT
        );
        for chat in 100..129 {
            limiter.record(chat, start);
        }
        // 30 messages in this second: a new chat waits for the window.
        assert_eq!(
            limiter.ready_at(1000, start),
            start + Duration::from_secs(1) + IN_TRANSIT
        );
    }

    #[test]
    fn a_group_gets_twenty_messages_a_minute() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for i in 0..20 {
            let at = start + Duration::from_secs(i * 2);
            assert!(limiter.ready_at(-42, at) <= at);
            limiter.record(-42, at);
        }
        let now = start + Duration::from_secs(40);
        assert_eq!(
            limiter.ready_at(-42, now),
            start + Duration::from_secs(60) + IN_TRANSIT
        );
    }
}
