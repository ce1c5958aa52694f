//! The email delivery worker: takes due email rows from the outbox, builds
//! and sends them. Temporary failures (connection refused, 4xx, timeouts)
//! are retried with backoff until delivered; a permanent one (5xx) marks
//! the row failed and tells Kabag Sertifikasi and Ketua LSP in Telegram
//! with the address and the server's reason.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::compose::Composer;
use super::transport::{Mailer, SendError};
use crate::clock::Clock;
use crate::notify::Channel;
use crate::outbox::{Claimed, Progress, RetryPolicy, Waker};
use crate::store::{Fenced, Store};

/// When a failed email is tried again, and when it is given up.
pub const POLICY: RetryPolicy = RetryPolicy::EMAIL;

/// How long a claim on a row lasts: longer than any one send takes.
const CLAIM_FOR: chrono::Duration = chrono::Duration::minutes(10);

/// How many emails are sent at once, each by a lane of its own over the
/// transport's pool. A mail server acknowledges each message after a delay
/// (40 ms on a local one, more over the internet); lanes overlap those waits.
pub const LANES: usize = 4;

/// The worker (one lane of it; [`EmailDelivery::run`] runs [`LANES`]).
#[derive(Clone)]
pub struct EmailDelivery {
    store: Store,
    mailer: Mailer,
    composer: Composer,
    clock: Arc<dyn Clock>,
    /// Wakes the Telegram worker for the reports this worker queues.
    waker: Waker,
    /// Who this lane claims rows as: no two lanes (or processes) send the same row.
    claimant: String,
    /// Tells the other lanes that a row was settled (the next email to the
    /// same address may be theirs to send now).
    siblings: std::sync::Arc<tokio::sync::Notify>,
    /// Makes the documents emails carry (the invitation's letter).
    documents: Option<crate::documents::issue::Issuer>,
}

impl EmailDelivery {
    /// A worker sending through `mailer`.
    pub fn new(store: Store, mailer: Mailer, composer: Composer, clock: Arc<dyn Clock>) -> Self {
        EmailDelivery {
            mailer,
            composer,
            claimant: store.instance().to_string(),
            siblings: std::sync::Arc::default(),
            documents: None,
            clock,
            waker: Waker::default(),
            store,
        }
    }

    /// The worker, waking the others through `waker` when it queues a
    /// report for them.
    pub fn waking(self, waker: Waker) -> Self {
        EmailDelivery { waker, ..self }
    }

    /// Runs [`LANES`] lanes until `shutdown` turns true, then lets each
    /// finish the email in hand.
    pub async fn run(self, changes: watch::Receiver<u64>, shutdown: watch::Receiver<bool>) {
        tracing::info!(to = %self.mailer.describe(), lanes = LANES, "email delivery is running");
        let mut lanes = tokio::task::JoinSet::new();
        for lane in 0..LANES {
            let worker = EmailDelivery {
                claimant: format!("{}:mail{lane}", self.store.instance()),
                ..self.clone()
            };
            lanes.spawn(worker.lane(changes.clone(), shutdown.clone()));
        }
        while lanes.join_next().await.is_some() {}
    }

    /// One lane: sleeps until the next due row, at most a minute, and wakes
    /// at once on `changes`.
    async fn lane(
        mut self,
        mut changes: watch::Receiver<u64>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let longest = Duration::from_secs(60);
        let mut failures = crate::logging::FailureLog::new("email delivery");
        loop {
            if *shutdown.borrow() {
                return;
            }
            let looked = Instant::now();
            let sleep = match self.process_next().await {
                Ok(Progress::Idle(next)) => {
                    failures.recovered();
                    next.map_or(longest, |at| at.saturating_duration_since(Instant::now()))
                        .min(longest)
                }
                Ok(_) => {
                    failures.recovered();
                    self.siblings.notify_waiters();
                    continue;
                }
                Err(e) => failures.failed(&format!("{e:#}")),
            };
            let siblings = self.siblings.clone();
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = siblings.notified() => {}
                Ok(()) = changes.changed() => crate::outbox::settle(looked, &mut shutdown).await,
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Sends (or defers, or gives up) the oldest due email: one unit of
    /// work, and what happened to it.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn process_next(&mut self) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut conn = self.store.pool().acquire().await?;
        let instance = self.claimant.clone();
        let Some(row) = Store::due_email(&mut conn, &instance, now).await? else {
            // A due email another lane is sending (or whose address waits
            // for one) is looked at again soon; a later one when it is due.
            let next = Store::next_message_due(&mut conn, Channel::Email).await?;
            let wait = next.map(|at| {
                let wait = match (at - now).to_std() {
                    Ok(wait) if !wait.is_zero() => wait,
                    _ => Duration::from_millis(250),
                };
                Instant::now() + wait
            });
            return Ok(Progress::Idle(wait));
        };
        drop(conn);
        // Only the sender holding the row's claim sends it and settles it.
        let claim = {
            let mut conn = self.store.write().await?;
            let until = now + CLAIM_FOR;
            Store::claim_message(&mut conn, row.id, &instance, until, now).await?
        };
        let Some(claim) = claim else {
            return Ok(Progress::Deferred(row.key));
        };
        let row = Claimed { row: &row, claim };
        match self.send_claimed(&row, now).await {
            Err(e) if Fenced::is(&e) => {
                tracing::warn!(key = %row.key, "the email was claimed by another sender or settled meanwhile (its participant erased, say); this attempt's outcome is dropped");
                Ok(Progress::Deferred(row.key.clone()))
            }
            done => done,
        }
    }

    /// Sends a claimed email and settles it under its claim.
    async fn send_claimed(
        &self,
        row: &Claimed<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Progress> {
        let files = match self.attachments(row).await {
            Ok(files) => files,
            // The database was busy: tried again like a server away.
            Err((true, why)) if POLICY.next_attempt(row.attempts, now).is_some() => {
                let at = POLICY.next_attempt(row.attempts, now).unwrap_or(now);
                let mut conn = self.store.write().await?;
                Store::mark_retry(&mut conn, row.claim, at, &why, true).await?;
                return Ok(Progress::Deferred(row.key.clone()));
            }
            Err((_, reason)) => return self.give_up(row, &reason).await,
        };
        let message = match self.composer.compose_with(row, &files) {
            Ok(message) => message,
            Err(e) => return self.give_up(row, &e.0).await,
        };
        match self.mailer.send(&message, &row.key).await {
            Ok(response) => {
                let mut conn = self.store.write().await?;
                Store::mark_sent(&mut conn, row.claim, now).await?;
                tracing::info!(key = %row.key, server = %response, "email sent");
                Ok(Progress::Sent(row.key.clone()))
            }
            Err(SendError::Temporary(why)) if POLICY.next_attempt(row.attempts, now).is_some() => {
                let at = POLICY.next_attempt(row.attempts, now).unwrap_or(now);
                let mut conn = self.store.write().await?;
                Store::mark_retry(&mut conn, row.claim, at, &why, true).await?;
                // The server's words may name the recipient: they go to the outbox row, not the log.
                tracing::warn!(key = %row.key, "email will be retried");
                Ok(Progress::Deferred(row.key.clone()))
            }
            Err(SendError::Temporary(why) | SendError::Permanent(why)) => {
                self.give_up(row, &why).await
            }
        }
    }

    /// The documents an email carries, made now from the records: the
    /// invitation's letter with the meeting invitation, and the file of a
    /// document message sent by email to a member Telegram cannot reach.
    /// `Err((passing, why))`, passing when trying again later may succeed.
    async fn attachments(
        &self,
        row: &crate::store::OutboxRow,
    ) -> Result<Vec<crate::documents::issue::File>, (bool, String)> {
        use crate::notify::Message;
        let Some(issuer) = &self.documents else {
            return Ok(Vec::new());
        };
        let (batch, kind, participant, picture) = match row.message() {
            Ok(Message::MeetingInvitationEmail(view)) => {
                (view.batch.id, crate::documents::Kind::Undangan, None, false)
            }
            // A staff member Telegram cannot reach gets the file by email.
            Ok(Message::StaffFallback(crate::notify::views::StaffFallback {
                document: Some(view),
                ..
            })) => {
                let kind = crate::documents::Kind::from_slug(&view.kind).ok_or_else(|| {
                    let kind = crate::limits::clip(&view.kind, 40);
                    (false, format!("no kind of document '{kind}'"))
                })?;
                (view.batch.id, kind, view.participant, view.picture)
            }
            _ => return Ok(Vec::new()),
        };
        let file = issuer
            .file(
                crate::domain::BatchId(batch),
                kind,
                participant.map(crate::domain::ParticipantId),
                picture,
                "email",
            )
            .await
            .map_err(|e| (e.is_passing(), e.to_string()))?;
        Ok(file.into_iter().collect())
    }

    /// Lets the worker attach documents, made by `issuer`.
    #[must_use]
    pub fn with_documents(mut self, issuer: crate::documents::issue::Issuer) -> Self {
        self.documents = Some(issuer);
        self
    }

    /// Gives an email up for good and tells Kabag Sertifikasi and Ketua LSP.
    async fn give_up(&self, row: &Claimed<'_>, reason: &str) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        Store::mark_failed(&mut tx, row.claim, reason, now).await?;
        let members = Store::members(&mut tx).await?;
        let recipient = row
            .message()
            .ok()
            .and_then(|m| m.addressee().map(str::to_string));
        let failure = crate::notify::views::DeliveryFailure {
            channel: "email".into(),
            recipient: recipient.unwrap_or_default(),
            address: row.address.clone().unwrap_or_default(),
            what: row.template.clone(),
            reason: reason.to_string(),
        };
        let reports = crate::notify::delivery_failed(&members, &row.key, None, &failure);
        Store::enqueue(&mut tx, &reports, now).await?;
        tx.commit().await?;
        self.waker.wake();
        tracing::error!(key = %row.key, "email given up; Kabag Sertifikasi and Ketua LSP are told");
        Ok(Progress::Failed(row.key.clone()))
    }
}
