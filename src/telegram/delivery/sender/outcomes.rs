//! What a send that did not go through leaves behind: retried later,
//! followed to a group's new chat id, the member marked unreachable (email
//! takes over), the group forgotten, or the message given up and reported.

use std::time::Duration;

use serde_json::json;

use super::super::failure::Failure;
use super::super::{POLICY, html_to_text, keyboards};
use super::{Progress, Sender, Sent};
use crate::domain::Member;
use crate::notify::views::StaffFallback;
use crate::notify::{Message, Outgoing};
use crate::outbox::Claimed;
use crate::store::Store;

impl Sender {
    /// Records a failed send as its failure says: retried later (after
    /// Telegram's retry_after, returned, or with backoff), followed to a
    /// group's new chat id, the member unreachable (by email instead), the
    /// group forgotten, or the message given up and reported.
    pub(super) async fn failed(
        &self,
        row: &Claimed<'_>,
        sent: &Sent<'_>,
        failure: Failure,
    ) -> anyhow::Result<(Progress, Option<Duration>)> {
        // The backoff counts from the attempt's start: a send that failed
        // slowly (teloxide waits after a 5xx) has already waited part of it.
        let (chat, member, members, now) = (sent.chat, sent.member, sent.members, sent.at);
        let mut conn = self.store.write().await?;
        let progress = match failure {
            Failure::Retry { after, why } => {
                let why = self.redact(&why);
                // A 429 holds the whole chat back for retry_after (a physical
                // wait, kept by the worker's limiter); other failures back
                // off per row.
                let at = match after {
                    Some(_) => now,
                    None => match POLICY.next_attempt(row.attempts, now) {
                        Some(at) => at,
                        None => {
                            drop(conn);
                            return Ok((self.give_up(row, member, &why).await?, None));
                        }
                    },
                };
                Store::mark_retry(&mut conn, row.claim, at, &why, after.is_none()).await?;
                tracing::warn!(key = %row.key, error = %why, "telegram send will be retried");
                return Ok((Progress::Deferred(row.key.clone()), after));
            }
            Failure::Migrated(to) => {
                // The group's new id and the row put back, one transaction.
                drop(conn);
                let mut tx = self.store.begin().await?;
                Store::migrate_chat(&mut tx, chat, to).await?;
                Store::mark_retry(
                    &mut tx,
                    row.claim,
                    now,
                    "the group moved to a new chat id",
                    false,
                )
                .await?;
                tx.commit().await?;
                Progress::Deferred(row.key.clone())
            }
            Failure::Unreachable(reason) if chat < 0 => {
                drop(conn);
                self.forget_group(row, chat, &reason).await?
            }
            Failure::Unreachable(reason) => {
                drop(conn);
                match member {
                    Some(m) if row.chat_id.is_none() => {
                        self.mark_unreachable(m, members, &reason).await?;
                        self.fall_back(row, m, &reason).await?
                    }
                    _ => self.give_up(row, member, &reason).await?,
                }
            }
            Failure::Permanent(reason) => {
                drop(conn);
                let reason = self.redact(&reason);
                self.give_up(row, member, &reason).await?
            }
        };
        Ok((progress, None))
    }

    /// Marks the member unreachable and, the first time, tells Ketua LSP and Kabag Sertifikasi.
    pub(in crate::telegram::delivery) async fn mark_unreachable(
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
        self.waker.wake();
        tracing::warn!(member = %member.id, reason, "member unreachable in Telegram");
        Ok(())
    }

    /// Sends a member's message by email instead (if they have one), and closes the row.
    pub(in crate::telegram::delivery) async fn fall_back(
        &self,
        row: &Claimed<'_>,
        member: &Member,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if let Some(email) = &member.email {
            let text = row
                .message()
                .map_err(|e| e.to_string())
                .and_then(|message| keyboards::render(&self.templates, self.lang, &message))
                .map(|rendered| html_to_text(&rendered.text))
                .unwrap_or_default();
            let document = match row.message() {
                Ok(Message::Document(view)) => Some(view),
                _ => None,
            };
            let message = Message::StaffFallback(StaffFallback {
                recipient: member.name.clone(),
                text,
                document,
            });
            let key = format!("{}:fallback-email", row.key);
            let fallback = Outgoing::email_to_member(key, None, member.id, email.as_str(), message);
            Store::enqueue(&mut tx, &[fallback], now).await?;
            Store::mark_failed(
                &mut tx,
                row.claim,
                &format!("{reason}; sent by email instead"),
                now,
            )
            .await?;
        } else {
            Store::mark_failed(&mut tx, row.claim, reason, now).await?;
        }
        tx.commit().await?;
        self.waker.wake();
        Ok(Progress::Failed(row.key.clone()))
    }

    /// The bot is no longer in a group (kicked, the group deleted): the
    /// group is forgotten, with whatever else waited for it, said once in
    /// the log and the audit log, and nobody is told of each lost message.
    pub(in crate::telegram::delivery) async fn forget_group(
        &self,
        row: &Claimed<'_>,
        chat: i64,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        Store::mark_failed(&mut tx, row.claim, reason, now).await?;
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
    pub(in crate::telegram::delivery) async fn give_up(
        &self,
        row: &Claimed<'_>,
        member: Option<&Member>,
        reason: &str,
    ) -> anyhow::Result<Progress> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        Store::mark_failed(&mut tx, row.claim, reason, now).await?;
        let is_report = row.message().is_ok_and(|m| m.is_delivery_report());
        if !is_report && row.edit_of.is_none() {
            let members = Store::members(&mut tx).await?;
            let failure = crate::notify::views::DeliveryFailure {
                channel: "telegram".into(),
                recipient: member.map(|m| m.name.clone()).unwrap_or_default(),
                address: String::new(),
                what: row.template.clone(),
                reason: reason.to_string(),
            };
            let reports =
                crate::notify::delivery_failed(&members, &row.key, member.map(|m| m.id), &failure);
            Store::enqueue(&mut tx, &reports, now).await?;
        }
        tx.commit().await?;
        self.waker.wake();
        tracing::error!(key = %row.key, reason, "telegram message given up");
        Ok(Progress::Failed(row.key.clone()))
    }
}
