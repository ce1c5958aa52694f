//! Choosing the worker's next unit of work: the first queued row whose
//! chat may receive now (each chat's rows in order, within Telegram's
//! limits), or a row that goes no chat's way and is settled without sending.

use std::collections::HashSet;

use tokio::time::Instant;

use super::{CLAIM_FOR, Delivery, Progress, READ_GAP, Route, Unit, WAIT_FOR_REGISTRATION};
use crate::domain::{Member, MemberId};
use crate::outbox::Claimed;
use crate::store::{Fenced, OutboxRow, Store};

impl Delivery {
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

    /// Chooses the next unit of work: the first queued row whose chat may
    /// receive now (recorded with the limiter as sent), a row settled
    /// without sending, or nothing until then.
    pub(super) async fn next_unit(&mut self) -> anyhow::Result<Unit> {
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
        let Some(i) = self.startable() else {
            // Nothing startable: wake for the limiter, the next row to fall
            // due, or the read that was put off.
            let put_off = too_soon.filter(|_| wants_read);
            let next = [self.held_until, self.read_again_at, put_off]
                .into_iter()
                .flatten()
                .min();
            return Ok(Unit::Idle(next));
        };
        let row = self.queue.remove(i).expect("the chosen row is queued");
        let members = self.members.clone();
        let progress = match Self::route(&row, &members, &self.unreachable) {
            Route::Chat(chat, member) => {
                tracing::debug!(key = %row.key, chat, "telegram send starts");
                self.limiter.record(chat, Instant::now());
                let member = member.cloned();
                return Ok(Unit::Send {
                    row: Box::new(row),
                    chat,
                    member,
                });
            }
            route => self.settle_unsent(&row, route).await?,
        };
        Ok(Unit::Settled(progress))
    }

    /// Settles a row that goes no chat's way, under a claim like a send:
    /// by email instead (an unreachable member), later (a member not yet
    /// registered in Telegram), or given up (no recipient any more).
    async fn settle_unsent(
        &mut self,
        row: &OutboxRow,
        route: Route<'_>,
    ) -> anyhow::Result<Progress> {
        let deferred = Progress::Deferred(row.key.clone());
        if let Route::Chat(..) = route {
            // A row for a chat is sent, not settled here.
            return Ok(deferred);
        }
        let now = self.sender.clock.now();
        let claim = {
            let mut conn = self.sender.store.write().await?;
            let until = now + CLAIM_FOR;
            Store::claim_message(&mut conn, row.id, self.sender.store.instance(), until, now)
                .await?
        };
        let Some(claim) = claim else {
            return Ok(deferred);
        };
        let row = Claimed { row, claim };
        let settled = match route {
            Route::Chat(..) => Ok(deferred.clone()),
            Route::Unreachable(m) => {
                self.stale = true;
                self.sender.fall_back(&row, m, "unreachable").await
            }
            Route::AwaitingRegistration => {
                let mut conn = self.sender.store.write().await?;
                let why = "waiting for the member to register in Telegram";
                Store::mark_retry(&mut conn, claim, now + WAIT_FOR_REGISTRATION, why, false)
                    .await
                    .map(|()| deferred.clone())
            }
            Route::NoRecipient => {
                let mut conn = self.sender.store.write().await?;
                let why = "the recipient is no longer a member";
                Store::mark_failed(&mut conn, claim, why, now)
                    .await
                    .map(|()| Progress::Failed(row.key.clone()))
            }
        };
        match settled {
            Err(e) if Fenced::is(&e) => Ok(deferred),
            settled => settled,
        }
    }

    /// The first queued row that can be taken now: one that goes no chat's
    /// way, or whose chat has no send under way and may receive. Sets
    /// [`Self::held_until`] to when the earliest held chat may receive.
    fn startable(&mut self) -> Option<usize> {
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
        self.held_until = earliest;
        chosen
    }
}
