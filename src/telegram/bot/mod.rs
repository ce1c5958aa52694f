//! The bot's handlers, by concern: `registration` (`/start`),
//! `commands` (`/tugas`, `/status`, …), `dialogues` (the answers typed
//! in a conversation), `files` (documents sent in a conversation) and
//! `buttons` (presses) with the `lists` they show; the groups are [`super::groups`]. Here: the
//! dispatch tree, the context every handler gets, and the message router.
//! Every handler identifies the sender by numeric Telegram user id, asks the
//! application (which asks the workflow), and answers through the outbox,
//! all in the update's one unit of work ([`crate::store::unit`]); only a
//! button's short acknowledgement (answerCallbackQuery) and leaving a group
//! are direct, and both wait for that unit's commit.
//!
//! A sample exchange:
//! ```text
//! bot:   Tugas SOP Penerbitan Sertifikat · Langkah 1: Membuat undangan rapat komite teknis …
//!        [✋ Saya kerjakan] [✅ Selesai] [📝 Isi waktu & tempat rapat] [⚠️ Laporkan kendala]
//! Siti:  (presses 📝)
//! bot:   Tanggal rapat komite teknis? Tulis seperti 25-11-2026.
//! Siti:  26-11-2026
//! bot:   Jam mulai rapat (WIB)? Tulis seperti 09.00.
//! Siti:  09.00
//! bot:   Tempat rapat, atau tautan rapat daring?
//! Siti:  Ruang Rapat LSP, Gedung B lt. 2
//! bot:   Tercatat: rapat Kamis, 26 November 2026 pukul 09.00 WIB di Ruang Rapat LSP, Gedung B lt. 2. …
//! Siti:  (presses ✅ Selesai) → the invitation goes to Ketua LSP and the committee
//! ```

use std::sync::Arc;

use serde_json::{Value, json};
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, Chat, User};

use crate::app::{App, AppError};
use crate::domain::{Lang, Member, Role, TelegramUserId};
use crate::notify::{self, views};
use crate::workflow::{Actor, Decision, Staff};

mod admin;
mod attendance;
mod buttons;
mod commands;
mod dialogues;
mod documents;
mod files;
mod lists;
mod registration;
mod report;
mod typed;

use buttons::on_callback;
use dialogues::answer;
use files::document_sent;
use registration::start;
pub use typed::{ChatCommand, Typed};

/// What every handler needs.
pub struct BotContext {
    pub app: Arc<App>,
    pub lang: Lang,
}

type Ctx = Arc<BotContext>;
type HandlerResult = anyhow::Result<()>;

/// The dispatch tree: messages, button presses and the bot's own
/// membership go to their handlers (each update runs in its unit of work,
/// which drops one handled before: see [`crate::store::unit`]).
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_my_chat_member().endpoint(on_my_chat_member))
}

/// The commands shown in Telegram's menu, with their descriptions.
pub fn menu(ctx: &BotContext) -> Vec<BotCommand> {
    [
        "bantuan",
        "tugas",
        "status",
        "dokumen",
        "laporan",
        "batch",
        "batchbaru",
        "ubahrapat",
        "batalrapat",
        "batal",
    ]
    .into_iter()
    .map(|c| BotCommand::new(c, ctx.phrase(&format!("command_{c}"), json!({}))))
    .collect()
}

/// The bot's own membership of a chat changed (added, removed).
async fn on_my_chat_member(
    bot: Bot,
    change: teloxide::types::ChatMemberUpdated,
    ctx: Ctx,
) -> HandlerResult {
    crate::telegram::groups::on_my_chat_member(bot, change, ctx).await
}

impl BotContext {
    fn phrase(&self, key: &str, context: Value) -> String {
        self.app.templates.phrase(self.lang, key, context)
    }

    /// Queues a reply in `chat`, a private chat (group chats get only
    /// [`crate::notify::GroupMessage`]s, through [`super::groups`]); `key` is
    /// unique to the occasion.
    async fn say(
        &self,
        chat: i64,
        member: Option<&Member>,
        key: String,
        message: notify::Message,
        edit_of: Option<String>,
    ) -> Result<(), AppError> {
        let Some(chat) = crate::notify::PrivateChat::new(chat) else {
            return Err(AppError::Invalid(self.phrase("private_only", json!({}))));
        };
        self.app
            .reply(chat, member.map(|m| m.id), key, message, edit_of)
            .await?;
        Ok(())
    }

    /// Queues a one-line reply.
    async fn say_text(
        &self,
        chat: i64,
        member: Option<&Member>,
        key: String,
        text: String,
    ) -> Result<(), AppError> {
        let reply = notify::Message::Reply(views::Reply { text });
        self.say(chat, member, key, reply, None).await
    }

    /// Queues a one-line reply from `phrases.toml`.
    async fn say_phrase(
        &self,
        chat: i64,
        member: Option<&Member>,
        key: String,
        phrase: &str,
        context: Value,
    ) -> Result<(), AppError> {
        let text = self.phrase(phrase, context);
        self.say_text(chat, member, key, text).await
    }

    fn explain(&self, error: &AppError) -> String {
        self.app.explain(error, self.lang)
    }

    /// The one sentence a member reads for an error, wherever it arose (a
    /// command, a press, an answer, a file): a refusal or a rejection
    /// explained in their language, or, for a failure of ours, the plain
    /// apology (the failure is logged with its causes).
    fn reading(&self, error: &AppError, update_id: i64) -> String {
        if error.is_users_to_fix() {
            self.explain(error)
        } else {
            tracing::error!(update = update_id, error = %format!("{error:#}"), "a Telegram update failed");
            self.phrase("failure", json!({}))
        }
    }

    /// Answers an error that is the user's to fix with its sentence. A
    /// failure of ours is returned: the update's work is then rolled back
    /// whole and the update handled again (or, at last, passed over with
    /// an apology).
    async fn say_error(
        &self,
        chat: i64,
        member: Option<&Member>,
        update_id: i64,
        error: AppError,
    ) -> Result<(), AppError> {
        if !error.is_users_to_fix() {
            return Err(error);
        }
        let text = self.reading(&error, update_id);
        self.say_text(chat, member, format!("u{update_id}:refused"), text)
            .await
    }

    /// The apology for an update passed over after every attempt failed,
    /// in its chat when that is a private one (a group hears nothing).
    ///
    /// # Errors
    /// When the database refuses the reply.
    pub(crate) async fn apologize(&self, chat: i64, update_id: i64) -> Result<(), AppError> {
        if crate::notify::PrivateChat::new(chat).is_none() {
            return Ok(());
        }
        let text = self.phrase("failure", json!({}));
        self.say_text(chat, None, format!("u{update_id}:failure"), text)
            .await
    }
}

fn actor(member: &Member) -> Actor {
    Actor::Staff(Staff {
        id: member.id,
        name: member.name.clone(),
        roles: member.roles.clone(),
    })
}

fn user_id(user: &User) -> TelegramUserId {
    TelegramUserId(user.id.0 as i64)
}

fn is_private(chat: &Chat) -> bool {
    chat.is_private()
}

// ------------------------------------------------------------------ messages

async fn on_message(bot: Bot, update: Update, msg: Message, ctx: Ctx) -> HandlerResult {
    let update_id = i64::from(update.id.0);
    let chat = msg.chat.id.0;
    if let Some(to) = msg.migrate_to_chat_id() {
        let mut conn = ctx.app.store.write().await?;
        crate::store::Store::migrate_chat(&mut conn, chat, to.0).await?;
    }
    if let Some(group) = crate::notify::GroupChat::new(chat) {
        in_group(&bot, &ctx, &msg, group, update_id).await?;
        return Ok(());
    }
    if let (Some(from), Some(document)) = (msg.from.as_ref(), msg.document()) {
        document_sent(&bot, &ctx, &msg, from, document, update_id).await?;
        return Ok(());
    }
    let (Some(from), Some(text)) = (msg.from.as_ref(), msg.text()) else {
        return Ok(());
    };
    let user = user_id(from);
    let key = |what: &str| format!("u{update_id}:{what}");
    let typed = Typed::read(text);
    if let Typed::Command(ChatCommand::Start(token)) = &typed {
        start(&ctx, chat, user, token, key("start")).await?;
        return Ok(());
    }
    let Some(member) = ctx.app.member_by_telegram(user).await? else {
        if ctx.app.stranger_refused(user, "message").await? {
            ctx.say_phrase(chat, None, key("stranger"), "not_registered", json!({}))
                .await?;
        }
        return Ok(());
    };
    ctx.app.member_seen(member.id).await?;
    let outcome = commands::route(
        &ctx,
        Said {
            chat,
            user,
            member: &member,
            update_id,
        },
        typed,
        text,
    )
    .await;
    if let Err(e) = outcome {
        ctx.say_error(chat, Some(&member), update_id, e).await?;
    }
    Ok(())
}

/// Who said something, where, in which update: what every command needs.
pub(super) struct Said<'a> {
    pub(super) chat: i64,
    pub(super) user: TelegramUserId,
    pub(super) member: &'a Member,
    pub(super) update_id: i64,
}

impl Said<'_> {
    /// The outbox key of the reply `what`.
    pub(super) fn key(&self, what: &str) -> String {
        format!("u{}:{what}", self.update_id)
    }
}

/// A message in a group chat: the bot joining or leaving, or a member's
/// command. Nothing in a group starts a conversation or reads a file.
async fn in_group(
    bot: &Bot,
    ctx: &BotContext,
    msg: &Message,
    group: crate::notify::GroupChat,
    update_id: i64,
) -> HandlerResult {
    if crate::telegram::groups::membership_message(bot, ctx, msg).await? {
        return Ok(());
    }
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let typed = msg.text().map(Typed::read);
    let command = typed.as_ref().filter(|t| !matches!(t, Typed::Text(_)));
    let Some(member) = ctx.app.member_by_telegram(user_id(from)).await? else {
        if command.is_some() || msg.document().is_some() {
            ctx.app
                .stranger_refused(user_id(from), "group message")
                .await?;
        }
        return Ok(());
    };
    let said = match command {
        Some(typed) => Some(typed.clone()),
        // A file sent in a group: pointed to the private chat, like a command.
        None => msg.document().map(|_| Typed::Unknown),
    };
    crate::telegram::groups::group_message(bot, ctx, group, &member, said.as_ref(), update_id).await
}

/// Replies with `phrase` when `result` was accepted, or with the refusal.
async fn finish(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    key: String,
    result: Result<Vec<Decision>, AppError>,
    phrase: &str,
    context: Value,
) -> Result<(), AppError> {
    match result {
        Ok(_) => {
            ctx.say_phrase(chat, Some(member), key, phrase, context)
                .await
        }
        Err(e) if e.is_users_to_fix() => {
            let text = ctx.explain(&e);
            ctx.say_text(chat, Some(member), key, text).await
        }
        Err(e) => Err(e),
    }
}
