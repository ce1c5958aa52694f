//! The Telegram delivery worker: takes due rows from the outbox, renders
//! them, and sends (or edits) them within Telegram's limits (its
//! `limiter`; each send is one `sender` task). A 429 waits its
//! retry_after; 5xx and network errors retry with backoff and jitter; a
//! member who blocked the bot (or never started it) is marked unreachable,
//! Ketua LSP and Kabag Sertifikasi are told, and the message goes by email
//! where the member has one. It makes no domain decisions.

mod choose;
mod failure;
mod files;
mod limiter;
mod sender;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::keyboards;
use crate::clock::Clock;
use crate::domain::{Lang, Member, MemberId};
use crate::notify::Channel;
pub use crate::outbox::Progress;
use crate::outbox::SETTLE;
use crate::store::{OutboxRow, Store};
use crate::templates::Templates;
use limiter::Limiter;
use sender::Sender;

/// How long a claim on a row lasts: longer than any one send takes.
const CLAIM_FOR: chrono::Duration = chrono::Duration::minutes(5);

pub use super::html::MAX_TEXT;
use super::html::{split, to_text as html_to_text};
/// The longest the worker sleeps without looking at the outbox.
const LONGEST_SLEEP: Duration = Duration::from_secs(60);
/// When a failed message is tried again, and when it is given up.
pub const POLICY: crate::outbox::RetryPolicy = crate::outbox::RetryPolicy::TELEGRAM;
/// How long a message for a member who has not registered yet waits before it is looked at again.
const WAIT_FOR_REGISTRATION: chrono::Duration = chrono::Duration::minutes(10);

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
    /// When the earliest chat held back by Telegram's limits may receive.
    held_until: Option<Instant>,
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

/// The next unit of work the worker chose.
enum Unit {
    /// Send (or edit) this row to this chat.
    Send {
        row: Box<OutboxRow>,
        chat: i64,
        member: Option<Member>,
    },
    /// A row was settled without sending (by email instead, put off until
    /// its member registers, or failed for want of a recipient).
    Settled(Progress),
    /// Nothing can be done now; look again then (if known).
    Idle(Option<Instant>),
}

/// What one turn of the worker did.
enum Turn {
    /// Started a send, or settled a row without sending.
    Worked,
    /// Nothing can be started now; look again then (if known).
    Idle(Option<Instant>),
}

impl Delivery {
    /// A worker sending with `bot`, waking the others through `waker` when
    /// it queues rows for them (an email in place of a message, a report).
    pub fn new(
        store: Store,
        bot: Bot,
        templates: Arc<Templates>,
        lang: Lang,
        clock: Arc<dyn Clock>,
        waker: crate::outbox::Waker,
    ) -> Self {
        Delivery {
            sender: Arc::new(Sender {
                store,
                bot,
                templates,
                lang,
                clock,
                later_parts: std::sync::Mutex::new(Vec::new()),
                waker,
                documents: None,
            }),
            limiter: Limiter::default(),
            queue: VecDeque::new(),
            members: Arc::new(Vec::new()),
            unreachable: HashSet::new(),
            stale: true,
            more: false,
            last_read: None,
            read_again_at: None,
            held_until: None,
            sending: HashMap::new(),
            running: JoinSet::new(),
            failures: crate::logging::FailureLog::new("telegram delivery"),
        }
    }

    /// Lets the worker send documents as files, made by `issuer`.
    ///
    /// # Panics
    /// When called after the worker started sending.
    #[must_use]
    pub fn with_documents(mut self, issuer: crate::documents::issue::Issuer) -> Self {
        Arc::get_mut(&mut self.sender)
            .expect("documents are set before the worker runs")
            .documents = Some(issuer);
        self
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
        let rows =
            Store::due_telegram_fairly(&mut conn, self.sender.store.instance(), now, QUEUE_LENGTH)
                .await?;
        self.members = Arc::new(Store::members(&mut conn).await?);
        self.unreachable = Store::unreachable_members(&mut conn).await?;
        let later = Store::next_message_due_after(&mut conn, Channel::Telegram, now).await?;
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

    /// Starts the send of the first queued row whose chat may receive now
    /// (as a task of its own), or settles a row that goes no chat's way.
    async fn turn(&mut self) -> anyhow::Result<Turn> {
        match self.next_unit().await? {
            Unit::Send { row, chat, member } => {
                let members = self.members.clone();
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
                Ok(Turn::Worked)
            }
            Unit::Settled(_) => Ok(Turn::Worked),
            Unit::Idle(next) => Ok(Turn::Idle(next)),
        }
    }

    /// Does one unit of work and says what happened: sends (or edits) the
    /// first row whose chat may receive now and waits for the outcome, or
    /// settles a row that goes no chat's way, or says when to look again.
    /// What the loop of [`Delivery::run`] does, one step at a time, for
    /// tests to step the worker instead of watching it.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn process_next(&mut self) -> anyhow::Result<Progress> {
        match self.next_unit().await? {
            Unit::Send { row, chat, member } => {
                let members = self.members.clone();
                let (progress, hold) = self
                    .sender
                    .send(&row, chat, member.as_ref(), &members)
                    .await?;
                if let Some(hold) = hold {
                    self.limiter.block(chat, Instant::now() + hold);
                }
                if !matches!(progress, Progress::Sent(_)) {
                    self.stale = true;
                }
                Ok(progress)
            }
            Unit::Settled(progress) => Ok(progress),
            Unit::Idle(next) => Ok(Progress::Idle(next)),
        }
    }
}
