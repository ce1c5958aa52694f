//! What the bot asks of the application: identities, replies, group
//! chats, handled updates, conversations and strangers, each in its own
//! small transaction.

use serde_json::json;

use super::*;
use crate::domain::{Member, MemberId, TelegramUserId};
use crate::notify::{self};
use crate::store::{AuditEntry, Store};

/// What the bot asks of the application: identities, replies, handled
/// updates and conversations, each in its own small transaction.
impl App {
    /// The active member bound to a Telegram account.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn member_by_telegram(
        &self,
        user: TelegramUserId,
    ) -> Result<Option<Member>, AppError> {
        Ok(self
            .register()
            .await?
            .iter()
            .find(|m| m.telegram_user_id == Some(user))
            .cloned())
    }

    /// Queues a bot reply to a chat; `key` names the occasion (the update
    /// it answers), so a re-delivered update is answered once.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn reply(
        &self,
        chat: notify::PrivateChat,
        member: Option<MemberId>,
        key: String,
        message: notify::Message,
        edit_of: Option<String>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let reply = notify::Outgoing {
            key,
            channel: notify::Channel::Telegram,
            batch: None,
            member,
            participant: None,
            address: None,
            message,
            edit_of,
            chat: Some(chat),
        };
        Store::enqueue(&mut tx, &[reply], now).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Queues a post to a group chat: only a [`notify::GroupMessage`] can go there.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn post_to_group(
        &self,
        chat: notify::GroupChat,
        key: String,
        message: notify::GroupMessage,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let post = notify::GroupPost {
            key,
            batch: None,
            chat,
            message,
            edit_of: None,
        };
        Store::enqueue_posts(&mut tx, &[post], now).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// The bot was added to a group by `by` (a Telegram user): registered
    /// when `by` is an active member with the authority (Ketua LSP or Kabag
    /// Sertifikasi), refused otherwise (the bot must then leave it); either
    /// way audited.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn group_added(
        &self,
        chat: notify::GroupChat,
        title: Option<&str>,
        by: TelegramUserId,
    ) -> Result<GroupAdmission, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let member = Store::member_by_telegram(&mut tx, by).await?;
        let allowed = member.as_ref().is_some_and(may_manage_groups);
        if allowed && Store::is_group(&mut tx, chat.id()).await? {
            // Telegram tells of one addition twice (a service message and
            // a membership update): the second changes nothing.
            return Ok(GroupAdmission::AlreadyRegistered);
        }
        if allowed {
            Store::add_group(&mut tx, chat.id(), title, now).await?;
        }
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: if member.is_some() {
                    "member"
                } else {
                    "stranger"
                },
                member: member.as_ref().map(|m| m.id),
                telegram_user: Some(by),
                batch: None,
                action: if allowed {
                    "group_registered"
                } else {
                    "group_refused"
                }
                .into(),
                detail: json!({ "chat": chat.id() }),
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(if allowed {
            GroupAdmission::Registered
        } else {
            GroupAdmission::Refused
        })
    }

    /// Forgets a group: the bot left, was removed, or was asked to leave by
    /// `by`. Audited once; returns whether the group was known.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn group_removed(
        &self,
        chat: i64,
        by: Option<TelegramUserId>,
        why: &str,
    ) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let member = match by {
            Some(user) => Store::member_by_telegram(&mut tx, user).await?,
            None => None,
        };
        let known = Store::remove_group(&mut tx, chat, now).await?;
        if known {
            Store::audit(
                &mut tx,
                &[AuditEntry {
                    channel: Via::Telegram.as_str(),
                    actor: if member.is_some() { "member" } else { "system" },
                    member: member.as_ref().map(|m| m.id),
                    telegram_user: by,
                    batch: None,
                    action: "group_forgotten".into(),
                    detail: json!({ "chat": chat, "why": why }),
                }],
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if known {
            tracing::info!(chat, why, "group chat forgotten");
        }
        Ok(known)
    }

    /// The conversation a user is in, in a chat.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn conversation<T: serde::de::DeserializeOwned>(
        &self,
        user: TelegramUserId,
        chat_id: i64,
    ) -> Result<Option<T>, AppError> {
        let mut conn = self.conn().await?;
        let Some(stored) = Store::conversation(&mut conn, user, chat_id).await? else {
            return Ok(None);
        };
        drop(conn);
        match serde_json::from_value(stored) {
            Ok(state) => Ok(Some(state)),
            Err(e) => {
                // Written by another version: the conversation is over.
                tracing::warn!(error = %e, "a conversation's state cannot be read; it is ended");
                self.set_conversation::<()>(user, chat_id, None).await?;
                Ok(None)
            }
        }
    }

    /// Sets or ends a user's conversation in a chat.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_conversation<T: serde::Serialize>(
        &self,
        user: TelegramUserId,
        chat_id: i64,
        state: Option<&T>,
    ) -> Result<(), AppError> {
        let state = state
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?;
        let mut conn = self.store.write().await?;
        Store::set_conversation(&mut conn, user, chat_id, state.as_ref(), self.now()).await?;
        Ok(())
    }

    /// A registered member wrote to the bot: Telegram reaches them again.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn member_seen(&self, member: MemberId) -> Result<(), AppError> {
        let mut conn = self.conn().await?;
        if Store::unreachable_since(&mut conn, member).await?.is_some() {
            drop(conn);
            let mut conn = self.store.write().await?;
            Store::member_reachable(&mut conn, member, self.now()).await?;
            self.changed();
        }
        Ok(())
    }

    /// Someone who is not a registered member tried to use the bot. The
    /// first [`STRANGER_BURST`] attempts of a stranger in each
    /// [`STRANGER_WINDOW`] are audited and answered (the first of a window
    /// says how many were passed over before it); later ones in the window
    /// are only counted, so a flood from one stranger costs neither audit
    /// rows nor messages. Returns whether to answer this attempt.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn stranger_refused(
        &self,
        user: TelegramUserId,
        what: &str,
    ) -> Result<bool, AppError> {
        let admitted = self
            .strangers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(user, std::time::Instant::now());
        let Some(passed_over) = admitted else {
            return Ok(false);
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: "stranger",
                member: None,
                telegram_user: Some(user),
                batch: None,
                action: "stranger_refused".into(),
                detail: json!({ "attempt": what, "passed_over_before": passed_over }),
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The steps waiting on a member now, across running batches: (batch, step, due).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn open_tasks(
        &self,
        member: &Member,
    ) -> Result<Vec<notify::views::OpenTask>, AppError> {
        let now = self.now();
        let mut conn = self.conn().await?;
        let mut tasks = Vec::new();
        for (info, state) in &Store::running_batches(&mut conn).await? {
            tasks.extend(notify::reports::open_tasks(info, state, member, now));
        }
        Ok(tasks)
    }
}
