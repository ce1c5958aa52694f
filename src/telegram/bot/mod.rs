//! The bot's handlers, by concern: `registration` (`/start`),
//! `commands` (`/tugas`, `/status`, …), `dialogues` (the answers typed
//! in a conversation), `files` (documents sent in a conversation) and
//! `buttons` (presses) with the `lists` they show; the groups are [`super::groups`]. Here: the
//! dispatch tree, the context every handler gets, and the message router.
//! Every handler identifies the sender by numeric Telegram user id, asks the
//! application (which asks the workflow), and answers through the outbox;
//! only a button's short acknowledgement (answerCallbackQuery) is direct.
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
use crate::notify::{self, views};
use crate::domain::{Lang, Member, Role, TelegramUserId};
use crate::workflow::{Actor, Decision, Staff};

mod buttons;
mod commands;
mod dialogues;
mod files;
mod lists;
mod registration;

use buttons::on_callback;
use dialogues::answer;
use files::document_sent;
use registration::start;

/// What every handler needs.
pub struct BotContext {
    pub app: Arc<App>,
    pub lang: Lang,
}

type Ctx = Arc<BotContext>;
type HandlerResult = anyhow::Result<()>;

/// The dispatch tree: updates already handled are dropped; messages and
/// button presses go to their handlers.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .filter_async(|update: Update, ctx: Ctx| async move {
            !ctx.app
                .update_handled(i64::from(update.id.0))
                .await
                .unwrap_or(false)
        })
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
    update: Update,
    change: teloxide::types::ChatMemberUpdated,
    ctx: Ctx,
) -> HandlerResult {
    crate::telegram::groups::on_my_chat_member(bot, change, ctx.clone()).await?;
    ctx.app.mark_update_handled(i64::from(update.id.0)).await?;
    Ok(())
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
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    }
    if let (Some(from), Some(document)) = (msg.from.as_ref(), msg.document()) {
        document_sent(&bot, &ctx, &msg, from, document, update_id).await?;
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    }
    let (Some(from), Some(text)) = (msg.from.as_ref(), msg.text()) else {
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    };
    let user = user_id(from);
    let key = |what: &str| format!("u{update_id}:{what}");
    let (command, argument) = split_command(text);

    if command.as_deref() == Some("start") {
        start(&ctx, chat, user, argument.trim(), key("start")).await?;
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    }
    let Some(member) = ctx.app.member_by_telegram(user).await? else {
        if ctx.app.stranger_refused(user, "message").await? {
            ctx.say_phrase(chat, None, key("stranger"), "not_registered", json!({}))
                .await?;
        }
        ctx.app.mark_update_handled(update_id).await?;
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
        command.as_deref(),
        argument.trim(),
        text,
    )
    .await;
    match outcome {
        Ok(()) => {}
        // A batch that does not exist, a refusal: a sentence in their language.
        Err(e) if e.is_users_to_fix() => {
            let text = ctx.explain(&e);
            ctx.say_text(
                chat,
                Some(&member),
                key("refused"),
                text)
            .await?;
        }
        Err(e) => report_failure(&ctx, chat, Some(&member), update_id, &e).await?,
    }
    ctx.app.mark_update_handled(update_id).await?;
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
    let command = msg.text().and_then(|t| split_command(t).0);
    let Some(member) = ctx.app.member_by_telegram(user_id(from)).await? else {
        if command.is_some() || msg.document().is_some() {
            ctx.app
                .stranger_refused(user_id(from), "group message")
                .await?;
        }
        return Ok(());
    };
    let command = command.or_else(|| msg.document().map(|_| "file".to_string()));
    crate::telegram::groups::group_message(bot, ctx, group, &member, command.as_deref(), update_id)
        .await
}

/// "/status 3" → (Some("status"), "3"); plain text → (None, text).
fn split_command(text: &str) -> (Option<String>, String) {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('/') else {
        return (None, text.to_string());
    };
    let (word, argument) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let word = word.split('@').next().unwrap_or_default().to_lowercase();
    (Some(word), argument.to_string())
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
            ctx.say_text(
                chat,
                Some(member),
                key,
                text)
            .await
        }
        Err(e) => Err(e),
    }
}

/// Logs an unexpected failure with its causes and tells the user plainly.
async fn report_failure(
    ctx: &BotContext,
    chat: i64,
    member: Option<&Member>,
    update_id: i64,
    error: &AppError,
) -> HandlerResult {
    tracing::error!(update = update_id, error = %format!("{error:#}"), "a Telegram update failed");
    ctx.say_phrase(
        chat,
        member,
        format!("u{update_id}:failure"),
        "failure",
        json!({}),
    )
    .await?;
    Ok(())
}
