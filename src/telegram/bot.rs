//! The bot's handlers: registration, commands, buttons and conversations.
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

use chrono::Duration;
use serde_json::{Value, json};
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, Chat, User};

use super::callback::Button;
use super::conversation::{Awaiting, local_instant, read_blank_numbers, read_date, read_time};
use crate::app::{App, AppError, Via};
use crate::domain::{BatchId, Competence, Lang, Member, Role, TelegramUserId};
use crate::store::Redemption;
use crate::workflow::{
    Actor, BatchStatus, Command, Decision, Decree, HandoverStage, Meeting, Staff, StepState,
};

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
    super::groups::on_my_chat_member(bot, change, ctx.clone()).await?;
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
        template: &str,
        context: Value,
        edit_of: Option<String>,
    ) -> Result<(), AppError> {
        let Some(chat) = crate::notify::PrivateChat::new(chat) else {
            return Err(AppError::Invalid(self.phrase("private_only", json!({}))));
        };
        self.app
            .reply(chat, member.map(|m| m.id), key, template, context, edit_of)
            .await?;
        Ok(())
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
        self.say(chat, member, key, "reply", json!({ "text": text }), None)
            .await
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
    let outcome = match command.as_deref() {
        Some("batal") => {
            let had = ctx.app.conversation(user, chat).await?.is_some();
            ctx.app.set_conversation(user, chat, None).await?;
            let phrase = if had {
                "cancelled"
            } else {
                "nothing_to_cancel"
            };
            ctx.say_phrase(chat, Some(&member), key("cancel"), phrase, json!({}))
                .await
        }
        Some("bantuan") | Some("help") => {
            let commands: Vec<Value> = menu(&ctx)
                .into_iter()
                .map(|c| json!({"command": c.command, "description": c.description}))
                .collect();
            ctx.say(
                chat,
                Some(&member),
                key("help"),
                "help",
                json!({ "commands": commands }),
                None,
            )
            .await
        }
        Some("tugas") => tasks(&ctx, chat, &member, key("tasks")).await,
        Some(word @ ("jeda" | "lanjut")) => {
            pause_or_resume(
                &ctx,
                chat,
                &member,
                argument.trim(),
                word == "jeda",
                update_id,
            )
            .await
        }
        Some(word @ ("ubahrapat" | "batalrapat")) => {
            change_meeting(
                &ctx,
                chat,
                user,
                &member,
                argument.trim(),
                word == "batalrapat",
                update_id,
            )
            .await
        }
        Some("batchbaru") => {
            if member.roles.contains(&Role::KabagSertifikasi)
                || member.roles.contains(&Role::KetuaLsp)
            {
                let state = serde_json::to_value(Awaiting::NewBatchScheme).unwrap_or_default();
                ctx.app.set_conversation(user, chat, Some(&state)).await?;
                ctx.say_phrase(chat, Some(&member), key("ask"), "ask_scheme", json!({}))
                    .await
            } else {
                ctx.say_phrase(
                    chat,
                    Some(&member),
                    key("refused"),
                    "only_sertifikasi",
                    json!({}),
                )
                .await
            }
        }
        Some("batch") => batches(&ctx, chat, &member, key("batches")).await,
        Some("status") => status(&ctx, chat, &member, argument.trim(), key("status")).await,
        Some(_) => {
            ctx.say_phrase(
                chat,
                Some(&member),
                key("unknown"),
                "unknown_message",
                json!({}),
            )
            .await
        }
        None => match ctx.app.conversation(user, chat).await? {
            Some(state) => match serde_json::from_value::<Awaiting>(state) {
                Ok(awaiting) => answer(&ctx, chat, user, &member, awaiting, text, update_id).await,
                Err(_) => ctx.app.set_conversation(user, chat, None).await,
            },
            None => {
                ctx.say_phrase(
                    chat,
                    Some(&member),
                    key("unknown"),
                    "unknown_message",
                    json!({}),
                )
                .await
            }
        },
    };
    match outcome {
        Ok(()) => {}
        // A batch that does not exist, a refusal: a sentence in their language.
        Err(e) if e.is_users_to_fix() => {
            let text = ctx.explain(&e);
            ctx.say(
                chat,
                Some(&member),
                key("refused"),
                "reply",
                json!({ "text": text }),
                None,
            )
            .await?;
        }
        Err(e) => report_failure(&ctx, chat, Some(&member), update_id, &e).await?,
    }
    ctx.app.mark_update_handled(update_id).await?;
    Ok(())
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
    if super::groups::membership_message(bot, ctx, msg).await? {
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
    super::groups::group_message(bot, ctx, group, &member, command.as_deref(), update_id).await
}

/// Participants per page of the K/BK keyboard: two buttons each, and a row
/// to turn pages, within Telegram's 100 buttons.
const RESULTS_PAGE: usize = 40;

/// What a document sent in a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Participants,
    Results,
    BlankNumbers,
}

/// The largest file the bot reads.
const MAX_FILE_BYTES: u32 = 5 * 1024 * 1024;

/// A document sent to the bot: a results file, when the sender is in the
/// results conversation, in a private chat.
async fn document_sent(
    bot: &Bot,
    ctx: &BotContext,
    msg: &Message,
    from: &User,
    document: &teloxide::types::Document,
    update_id: i64,
) -> HandlerResult {
    let chat = msg.chat.id.0;
    let user = user_id(from);
    let key = |what: &str| format!("u{update_id}:{what}");
    let Some(member) = ctx.app.member_by_telegram(user).await? else {
        if ctx.app.stranger_refused(user, "document").await? {
            ctx.say_phrase(chat, None, key("stranger"), "not_registered", json!({}))
                .await?;
        }
        return Ok(());
    };
    let awaiting = match ctx.app.conversation(user, chat).await? {
        Some(state) => serde_json::from_value::<Awaiting>(state).ok(),
        None => None,
    };
    let (batch, kind) = match awaiting {
        Some(Awaiting::ResultsFile { batch }) => (batch, FileKind::Results),
        Some(Awaiting::ParticipantsFile { batch }) => (batch, FileKind::Participants),
        Some(Awaiting::BlankNumbers { batch }) => (batch, FileKind::BlankNumbers),
        _ => {
            ctx.say_phrase(
                chat,
                Some(&member),
                key("file"),
                "file_unexpected",
                json!({}),
            )
            .await?;
            return Ok(());
        }
    };
    if !is_private(&msg.chat) {
        ctx.say_phrase(chat, Some(&member), key("file"), "private_only", json!({}))
            .await?;
        return Ok(());
    }
    if document.file.size > MAX_FILE_BYTES {
        ctx.say_phrase(
            chat,
            Some(&member),
            key("file"),
            "file_too_large",
            json!({}),
        )
        .await?;
        return Ok(());
    }
    let bytes = match download(bot, document).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            // The file was larger than it said: refused like a large one.
            ctx.say_phrase(
                chat,
                Some(&member),
                key("file"),
                "file_too_large",
                json!({}),
            )
            .await?;
            return Ok(());
        }
        Err(e) => {
            let e =
                crate::limits::clip(&crate::logging::redact(&e), crate::limits::MAX_LOGGED_ERROR);
            tracing::error!(error = %e, "cannot download a document from Telegram");
            ctx.say_phrase(chat, Some(&member), key("file"), "failure", json!({}))
                .await?;
            return Ok(());
        }
    };
    let who = actor(&member);
    let outcome = match kind {
        FileKind::Participants => {
            ctx.app
                .import_participants(batch, &bytes, &who, Via::Telegram)
                .await
        }
        FileKind::Results => {
            ctx.app
                .record_results_file(batch, &who, &bytes, Via::Telegram)
                .await
        }
        FileKind::BlankNumbers => {
            ctx.app
                .record_blank_numbers_file(batch, &who, &bytes, Via::Telegram)
                .await
        }
    };
    let text = match outcome {
        Ok(count) if kind == FileKind::Participants => {
            ctx.app.set_conversation(user, chat, None).await?;
            let context = json!({"batch": {"id": batch.0}, "count": count});
            ctx.say(
                chat,
                Some(&member),
                key("file"),
                "batch_ready",
                context,
                None,
            )
            .await?;
            return Ok(());
        }
        Ok(count) => {
            ctx.app.set_conversation(user, chat, None).await?;
            let phrase = if kind == FileKind::Results {
                "results_file_set"
            } else {
                "blanks_file_set"
            };
            ctx.phrase(phrase, json!({"count": count}))
        }
        Err(AppError::List(e)) => ctx.app.templates.list_error(ctx.lang, &e),
        Err(e) if e.is_users_to_fix() => ctx.explain(&e),
        Err(e) => return Err(e.into()),
    };
    ctx.say(
        chat,
        Some(&member),
        key("file"),
        "reply",
        json!({ "text": text }),
        None,
    )
    .await?;
    Ok(())
}

/// Downloads a document sent to the bot, reading at most [`MAX_FILE_BYTES`]
/// whatever size it claimed; `None` when it is larger.
async fn download(
    bot: &Bot,
    document: &teloxide::types::Document,
) -> Result<Option<Vec<u8>>, String> {
    use futures_util::StreamExt;
    use teloxide::net::Download;
    let file = bot
        .get_file(document.file.id.clone())
        .await
        .map_err(|e| e.to_string())?;
    let mut stream = bot.download_file_stream(&file.path);
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if bytes.len() + chunk.len() > MAX_FILE_BYTES as usize {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
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

async fn start(
    ctx: &BotContext,
    chat: i64,
    user: TelegramUserId,
    token: &str,
    key: String,
) -> HandlerResult {
    if token.is_empty() {
        let phrase = match ctx.app.member_by_telegram(user).await? {
            Some(m) => {
                return Ok(ctx
                    .say_phrase(
                        chat,
                        Some(&m),
                        key,
                        "already_registered",
                        json!({"name": m.name}),
                    )
                    .await?);
            }
            None => "registration_missing",
        };
        if ctx
            .app
            .stranger_refused(user, "start without a token")
            .await?
        {
            ctx.say_phrase(chat, None, key, phrase, json!({})).await?;
        }
        return Ok(());
    }
    let (phrase, member) = match ctx.app.redeem(token, user).await? {
        Redemption::Registered(m) => ("registered", Some(m)),
        Redemption::Unknown => ("registration_unknown", None),
        Redemption::Used => match ctx.app.member_by_telegram(user).await? {
            Some(m) => ("already_registered", Some(m)),
            None => ("registration_used", None),
        },
        Redemption::Expired => ("registration_expired", None),
        Redemption::AccountTaken => ("registration_taken", None),
    };
    if member.is_none() && !ctx.app.stranger_refused(user, phrase).await? {
        return Ok(());
    }
    let context = member.as_ref().map_or(json!({}), |m| {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.title()).collect();
        json!({"name": m.name, "roles": roles.join(", ")})
    });
    ctx.say_phrase(chat, member.as_ref(), key, phrase, context)
        .await?;
    Ok(())
}

async fn tasks(ctx: &BotContext, chat: i64, member: &Member, key: String) -> Result<(), AppError> {
    let open = ctx.app.open_tasks(member).await?;
    if open.is_empty() {
        return ctx
            .say_phrase(chat, Some(member), key, "no_tasks", json!({}))
            .await;
    }
    let tasks: Vec<Value> = open
        .iter()
        .map(|(info, step, due)| {
            json!({
                "batch": {"id": info.id.0, "scheme": info.scheme},
                "step": {"no": step.no.0, "activity": step.activity},
                "due_at": due.map(|d| d.to_rfc3339()),
                "overdue": due.is_some_and(|d| d < ctx.app.now()),
            })
        })
        .collect();
    ctx.say(
        chat,
        Some(member),
        key,
        "tasks",
        json!({ "tasks": tasks }),
        None,
    )
    .await
}

async fn batches(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    key: String,
) -> Result<(), AppError> {
    let list = ctx.app.batches().await?;
    if list.is_empty() {
        return ctx
            .say_phrase(chat, Some(member), key, "no_batches", json!({}))
            .await;
    }
    let rows: Vec<Value> = list
        .iter()
        .take(20)
        .map(|b| {
            json!({
                "id": b.info.id.0,
                "scheme": b.info.scheme,
                "assessed_on": b.info.assessed_on.to_string(),
                "participants": b.participants,
                "status": b.status.as_str(),
                "active_steps": b.active_steps.iter().map(|s| s.0).collect::<Vec<_>>(),
            })
        })
        .collect();
    ctx.say(
        chat,
        Some(member),
        key,
        "batches",
        json!({ "batches": rows }),
        None,
    )
    .await
}

async fn status(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    argument: &str,
    key: String,
) -> Result<(), AppError> {
    let batch = if argument.is_empty() {
        match ctx
            .app
            .batches()
            .await?
            .into_iter()
            .find(|b| b.status == BatchStatus::Running)
        {
            Some(b) => b.info.id,
            None => {
                return ctx
                    .say_phrase(chat, Some(member), key, "no_batches", json!({}))
                    .await;
            }
        }
    } else {
        match argument.parse::<BatchId>() {
            Ok(id) => id,
            Err(_) => {
                return ctx
                    .say_phrase(
                        chat,
                        Some(member),
                        key,
                        "bad_batch",
                        json!({"text": argument}),
                    )
                    .await;
            }
        }
    };
    let (info, state, members) = ctx.app.batch(batch).await?;
    let now = ctx.app.now();
    let name = |id: &crate::domain::MemberId| {
        members
            .iter()
            .find(|m| m.id == *id)
            .map_or_else(|| format!("#{id}"), |m| m.name.clone())
    };
    let steps: Vec<Value> = state
        .procedure
        .steps
        .iter()
        .map(|step| {
            let run = state.run(step.no);
            let elapsed = run
                .started_at
                .map(|s| run.finished_at.unwrap_or(now) - s)
                .map(|d| d.num_minutes());
            json!({
                "no": step.no.0,
                "activity": step.activity,
                "state": run.state.as_str(),
                "standard_time": step.standard_time.describe(ctx.lang),
                "elapsed_minutes": elapsed,
                "due_at": run.due_at.map(|d| d.to_rfc3339()),
                                "overdue": run.state == StepState::Active && run.pause.is_none() && run.due_at.is_some_and(|d| d < now),
                "paused": run.pause.as_ref().map(|p| p.reason.clone()),
                "acks": run.acks.keys().map(name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let received = state
        .participants
        .values()
        .filter(|p| p.handover.stage() == HandoverStage::Received)
        .count();
    ctx.say(
        chat,
        Some(member),
        key,
        "status",
        json!({
            "batch": {"id": info.id.0, "scheme": info.scheme, "assessed_on": info.assessed_on.to_string()},
            "state": state.status.as_str(),
            "participants": state.participants.len(),
            "received": received,
            "steps": steps,
        }),
        None,
    )
    .await
}

/// `/jeda <batch> <step> <reason>` and `/lanjut <batch> <step>`: pause a
/// step's clock while it waits on something outside the LSP, and run it again.
async fn pause_or_resume(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    argument: &str,
    pause: bool,
    update_id: i64,
) -> Result<(), AppError> {
    let key = format!("u{update_id}:pause");
    let mut words = argument.split_whitespace();
    let (batch, step) = match (
        words.next().and_then(|w| w.parse::<BatchId>().ok()),
        words.next().and_then(|w| w.parse::<u32>().ok()),
    ) {
        (Some(batch), Some(step)) => (batch, crate::sop::StepNo(step)),
        _ => {
            let usage = if pause { "pause_usage" } else { "resume_usage" };
            return ctx
                .say_phrase(chat, Some(member), key, usage, json!({}))
                .await;
        }
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let command = if pause {
        Command::PauseStep { step, reason }
    } else {
        Command::ResumeStep { step }
    };
    let result = ctx
        .app
        .act(batch, &actor(member), &[command], Via::Telegram)
        .await;
    let phrase = if pause { "paused_ok" } else { "resumed_ok" };
    finish(
        ctx,
        chat,
        member,
        key,
        result,
        phrase,
        json!({"step": step.0}),
    )
    .await
}

/// `/ubahrapat [batch]` and `/batalrapat [batch]`: move or cancel the meeting
/// after its invitation went out (the meeting step's people only).
async fn change_meeting(
    ctx: &BotContext,
    chat: i64,
    user: TelegramUserId,
    member: &Member,
    argument: &str,
    cancel: bool,
    update_id: i64,
) -> Result<(), AppError> {
    let key = |what: &str| format!("u{update_id}:{what}");
    let batch = if argument.is_empty() {
        match ctx
            .app
            .batches()
            .await?
            .into_iter()
            .find(|b| b.status == BatchStatus::Running)
        {
            Some(b) => b.info.id,
            None => {
                return ctx
                    .say_phrase(chat, Some(member), key("none"), "no_batches", json!({}))
                    .await;
            }
        }
    } else {
        match argument.parse::<BatchId>() {
            Ok(id) => id,
            Err(_) => {
                return ctx
                    .say_phrase(
                        chat,
                        Some(member),
                        key("bad"),
                        "bad_batch",
                        json!({"text": argument}),
                    )
                    .await;
            }
        }
    };
    let probe = if cancel {
        Command::CancelMeeting { reason: "?".into() }
    } else {
        Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: ctx.app.now() + Duration::days(1),
                place: "?".into(),
            },
        }
    };
    if let Err(e) = ctx.app.would_accept(batch, &actor(member), &probe).await {
        let text = ctx.explain(&e);
        return ctx
            .say(
                chat,
                Some(member),
                key("refused"),
                "reply",
                json!({ "text": text }),
                None,
            )
            .await;
    }
    let awaiting = if cancel {
        Awaiting::CancelReason { batch }
    } else {
        Awaiting::MeetingDate {
            batch,
            moving: true,
        }
    };
    let value = serde_json::to_value(&awaiting).unwrap_or_default();
    ctx.app.set_conversation(user, chat, Some(&value)).await?;
    ctx.say_phrase(chat, Some(member), key("ask"), awaiting.prompt(), json!({}))
        .await
}

/// A typed answer in a conversation.
async fn answer(
    ctx: &BotContext,
    chat: i64,
    user: TelegramUserId,
    member: &Member,
    awaiting: Awaiting,
    text: &str,
    update_id: i64,
) -> Result<(), AppError> {
    let key = |what: &str| format!("u{update_id}:{what}");
    let tz = ctx.app.config.calendar.tz;
    let next = |state: Awaiting| async move {
        let value = serde_json::to_value(&state).unwrap_or_default();
        ctx.app.set_conversation(user, chat, Some(&value)).await?;
        ctx.say_phrase(chat, Some(member), key("ask"), state.prompt(), json!({}))
            .await
    };
    let done = || async { ctx.app.set_conversation(user, chat, None).await };
    let act = |batch: BatchId, commands: Vec<Command>| async move {
        ctx.app
            .act(batch, &actor(member), &commands, Via::Telegram)
            .await
    };
    match awaiting {
        Awaiting::ProblemText { batch, step } => {
            let result = act(
                batch,
                vec![Command::ReportProblem {
                    step,
                    text: text.into(),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("problem"),
                result,
                "problem_sent",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::MeetingDate { batch, moving } => match read_date(text) {
            Some(date) => {
                next(Awaiting::MeetingTime {
                    batch,
                    date,
                    moving,
                })
                .await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::MeetingTime {
            batch,
            date,
            moving,
        } => match read_time(text).and_then(|t| local_instant(date, t, tz)) {
            Some(starts_at) => {
                next(Awaiting::MeetingPlace {
                    batch,
                    starts_at,
                    moving,
                })
                .await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_time", json!({}))
                    .await
            }
        },
        Awaiting::MeetingPlace {
            batch,
            starts_at,
            moving,
        } => {
            let meeting = Meeting {
                starts_at,
                place: text.into(),
            };
            let command = if moving {
                Command::RescheduleMeeting { meeting }
            } else {
                Command::SetMeeting { meeting }
            };
            let result = act(batch, vec![command]).await;
            let shown = json!({
                "starts_at": crate::templates::Templates::instant_text(starts_at, tz, ctx.lang),
                "place": text.trim(),
            });
            let refused = result.is_err();
            let phrase = if moving {
                "meeting_moved"
            } else {
                "meeting_set"
            };
            finish(ctx, chat, member, key("meeting"), result, phrase, shown).await?;
            if refused {
                next(Awaiting::MeetingDate { batch, moving }).await
            } else {
                done().await
            }
        }
        Awaiting::CancelReason { batch } => {
            let result = act(
                batch,
                vec![Command::CancelMeeting {
                    reason: text.into(),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("cancel"),
                result,
                "meeting_cancelled_ok",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::AbsenceReason { batch } => {
            let result = act(
                batch,
                vec![Command::Rsvp {
                    attend: false,
                    reason: Some(text.into()),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("rsvp"),
                result,
                "rsvp_absent",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::DecreeNumber { batch } => {
            next(Awaiting::DecreeDate {
                batch,
                number: text.trim().into(),
            })
            .await
        }
        Awaiting::DecreeDate { batch, number } => match read_date(text) {
            Some(date) => {
                let decree = Decree {
                    number: number.clone(),
                    date,
                };
                let result = act(batch, vec![Command::RecordDecree { decree }]).await;
                let shown = json!({"number": number, "date": date.format("%d-%m-%Y").to_string()});
                finish(
                    ctx,
                    chat,
                    member,
                    key("decree"),
                    result,
                    "decree_set",
                    shown,
                )
                .await?;
                done().await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::ResultsFile { .. } => {
            ctx.say_phrase(
                chat,
                Some(member),
                key("hint"),
                "results_file_hint",
                json!({}),
            )
            .await
        }
        Awaiting::ParticipantsFile { .. } => {
            ctx.say_phrase(
                chat,
                Some(member),
                key("hint"),
                "ask_participants_file",
                json!({}),
            )
            .await
        }
        Awaiting::NewBatchScheme => {
            let scheme = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if scheme.is_empty() || scheme.starts_with('/') {
                return ctx
                    .say_phrase(chat, Some(member), key("ask"), "ask_scheme", json!({}))
                    .await;
            }
            next(Awaiting::NewBatchDate { scheme }).await
        }
        Awaiting::NewBatchDate { scheme } => match read_date(text) {
            Some(date) if date > ctx.app.now().with_timezone(&tz).date_naive() => {
                ctx.say_phrase(chat, Some(member), key("bad"), "future_date", json!({}))
                    .await
            }
            Some(date) => next(Awaiting::NewBatchPlace { scheme, date }).await,
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::NewBatchPlace { scheme, date } => {
            let place = Some(text.trim()).filter(|p| !p.is_empty() && *p != "-");
            match ctx
                .app
                .create_batch(&scheme, date, place, &actor(member), Via::Telegram)
                .await
            {
                Ok(batch) => next(Awaiting::ParticipantsFile { batch }).await,
                Err(e) if e.is_users_to_fix() => {
                    done().await?;
                    let text = ctx.explain(&e);
                    ctx.say(
                        chat,
                        Some(member),
                        key("refused"),
                        "reply",
                        json!({ "text": text }),
                        None,
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
        Awaiting::BlankNumbers { batch } => {
            let (_, state, _) = ctx.app.batch(batch).await?;
            let waiting: Vec<_> = state
                .participants
                .values()
                .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
                .map(|p| p.id)
                .collect();
            let count = waiting.len();
            if count == 0 {
                // Recorded already (by a file, or an answer whose reply was lost).
                done().await?;
                return ctx
                    .say_phrase(
                        chat,
                        Some(member),
                        key("blanks"),
                        "blanks_complete",
                        json!({}),
                    )
                    .await;
            }
            match read_blank_numbers(text, count) {
                Some(numbers) => {
                    let commands = waiting
                        .into_iter()
                        .zip(numbers)
                        .map(|(participant, number)| Command::RecordBlankNumber {
                            participant,
                            number,
                        })
                        .collect();
                    let result = act(batch, commands).await;
                    finish(
                        ctx,
                        chat,
                        member,
                        key("blanks"),
                        result,
                        "blanks_set",
                        json!({"count": count}),
                    )
                    .await?;
                    done().await
                }
                _ => {
                    ctx.say_phrase(
                        chat,
                        Some(member),
                        key("bad"),
                        "bad_blank_numbers",
                        json!({"count": count}),
                    )
                    .await
                }
            }
        }
    }
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
            ctx.say(
                chat,
                Some(member),
                key,
                "reply",
                json!({ "text": text }),
                None,
            )
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

// ------------------------------------------------------------------ buttons

async fn on_callback(bot: Bot, update: Update, query: CallbackQuery, ctx: Ctx) -> HandlerResult {
    let update_id = i64::from(update.id.0);
    let user = user_id(&query.from);
    // The chat the button sat in, even when the message itself is too old
    // to read; without a message (an inline button) the presser's own chat.
    let message = query.message.as_ref();
    let chat = message.map_or(user.0, |m| m.chat().id.0);
    let private = message.is_none_or(|m| is_private(m.chat()));
    let pressed_on = message.map(|m| format!("msg:{}:{}", m.chat().id.0, m.id().0));
    let toast = |text: String, alert: bool| {
        let bot = bot.clone();
        let id = query.id.clone();
        async move {
            // An answer that fails (the query expired) changes nothing recorded.
            let _ = bot
                .answer_callback_query(id)
                .text(super::html::pop_up(&text))
                .show_alert(alert)
                .await;
        }
    };
    let Some(member) = ctx.app.member_by_telegram(user).await? else {
        ctx.app.stranger_refused(user, "button").await?;
        toast(ctx.phrase("not_registered", json!({})), true).await;
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    };
    ctx.app.member_seen(member.id).await?;
    let Some(button) = query.data.as_deref().and_then(|d| d.parse::<Button>().ok()) else {
        toast(ctx.phrase("unknown_button", json!({})), true).await;
        ctx.app.mark_update_handled(update_id).await?;
        return Ok(());
    };
    let staff = actor(&member);
    let press = Press {
        ctx: &ctx,
        user,
        member: &member,
        staff: &staff,
        chat,
        private,
        update_id,
        pressed_on,
    };
    let (text, alert) = match press.handle(button).await {
        Ok(text) => (text, false),
        Err(e) if e.is_users_to_fix() => (ctx.explain(&e), true),
        Err(e) => {
            tracing::error!(update = update_id, error = %format!("{e:#}"), "a button press failed");
            (ctx.phrase("failure", json!({})), true)
        }
    };
    toast(text, alert).await;
    ctx.app.mark_update_handled(update_id).await?;
    Ok(())
}

/// One button press by a registered member.
struct Press<'a> {
    ctx: &'a BotContext,
    user: TelegramUserId,
    member: &'a Member,
    staff: &'a Actor,
    chat: i64,
    private: bool,
    update_id: i64,
    /// The message the button sat on, as an edit target.
    pressed_on: Option<String>,
}

impl Press<'_> {
    async fn act(&self, batch: BatchId, commands: Vec<Command>) -> Result<Vec<Decision>, AppError> {
        self.ctx
            .app
            .act(batch, self.staff, &commands, Via::Telegram)
            .await
    }

    /// Checks that `command` would be accepted now, without recording it.
    async fn check(&self, batch: BatchId, command: Command) -> Result<(), AppError> {
        self.ctx.app.would_accept(batch, self.staff, &command).await
    }

    /// Starts a conversation and asks its first question.
    async fn ask(&self, awaiting: Awaiting, context: Value) -> Result<String, AppError> {
        let value = serde_json::to_value(&awaiting).unwrap_or_default();
        self.ctx
            .app
            .set_conversation(self.user, self.chat, Some(&value))
            .await?;
        let text = self.ctx.phrase(awaiting.prompt(), context);
        self.ctx
            .say(
                self.chat,
                Some(self.member),
                format!("u{}:ask", self.update_id),
                "reply",
                json!({"text": text}),
                None,
            )
            .await?;
        Ok(text)
    }

    fn phrase(&self, key: &str, context: Value) -> String {
        self.ctx.phrase(key, context)
    }

    /// Refused unless the actor may enter what the step recording `kind` records.
    async fn may_enter(
        &self,
        batch: BatchId,
        kind: crate::sop::RecordKind,
    ) -> Result<crate::workflow::BatchState, AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        crate::workflow::may_enter(&state, self.staff, kind).map_err(AppError::Refused)?;
        Ok(state)
    }

    async fn handle(&self, button: Button) -> Result<String, AppError> {
        // In a group only the plain marks are pressed; everything that asks
        // a question or shows participants happens in the private chat.
        if !matches!(
            button,
            Button::Acknowledge { .. } | Button::Done { .. } | Button::Attend { .. }
        ) {
            self.private_only()?;
        }
        match button {
            Button::Acknowledge { batch, step } => {
                let decisions = self.act(batch, vec![Command::Acknowledge { step }]).await?;
                Ok(self.recorded(&decisions, "recorded_acknowledge", json!({"step": step.0})))
            }
            Button::Done { batch, step } => {
                let decisions = self.act(batch, vec![Command::MarkDone { step }]).await?;
                let completed = decisions.iter().flat_map(|d| &d.events).any(|e| {
                    matches!(e, crate::workflow::Event::StepCompleted { step: s, .. } if *s == step)
                });
                let phrase = if completed {
                    "recorded_done"
                } else {
                    "recorded_done_waiting"
                };
                Ok(self.recorded(&decisions, phrase, json!({"step": step.0})))
            }
            Button::Problem { batch, step } => {
                self.check(
                    batch,
                    Command::ReportProblem {
                        step,
                        text: "?".into(),
                    },
                )
                .await?;
                self.ask(
                    Awaiting::ProblemText { batch, step },
                    json!({"step": step.0}),
                )
                .await
            }
            Button::Meeting { batch } => {
                let probe = Meeting {
                    starts_at: self.ctx.app.now() + Duration::days(1),
                    place: "?".into(),
                };
                self.check(batch, Command::SetMeeting { meeting: probe })
                    .await?;
                self.ask(
                    Awaiting::MeetingDate {
                        batch,
                        moving: false,
                    },
                    json!({}),
                )
                .await
            }
            Button::Attend { batch } => {
                let decisions = self
                    .act(
                        batch,
                        vec![Command::Rsvp {
                            attend: true,
                            reason: None,
                        }],
                    )
                    .await?;
                Ok(self.recorded(&decisions, "rsvp_attend", json!({})))
            }
            Button::Absent { batch } => {
                self.check(
                    batch,
                    Command::Rsvp {
                        attend: false,
                        reason: Some("?".into()),
                    },
                )
                .await?;
                self.ask(Awaiting::AbsenceReason { batch }, json!({})).await
            }
            Button::Decree { batch } => {
                let probe = Decree {
                    number: "?".into(),
                    date: self.ctx.app.now().date_naive(),
                };
                self.check(batch, Command::RecordDecree { decree: probe })
                    .await?;
                self.ask(Awaiting::DecreeNumber { batch }, json!({})).await
            }
            Button::Blanks { batch } => {
                let state = self
                    .may_enter(batch, crate::sop::RecordKind::BlankNumbers)
                    .await?;
                let waiting: Vec<_> = state
                    .participants
                    .values()
                    .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
                    .collect();
                if let Some(first) = waiting.first() {
                    self.check(
                        batch,
                        Command::RecordBlankNumber {
                            participant: first.id,
                            number: "?".into(),
                        },
                    )
                    .await?;
                }
                self.ask(
                    Awaiting::BlankNumbers { batch },
                    json!({"count": waiting.len()}),
                )
                .await
            }
            Button::Results { batch } => {
                self.may_enter(batch, crate::sop::RecordKind::Results)
                    .await?;
                self.show_results(batch, None, 1).await?;
                let value =
                    serde_json::to_value(Awaiting::ResultsFile { batch }).unwrap_or_default();
                self.ctx
                    .app
                    .set_conversation(self.user, self.chat, Some(&value))
                    .await?;
                Ok(self.phrase("results_title", json!({"batch": batch.0})))
            }
            Button::ResultsPage { batch, page } => {
                self.may_enter(batch, crate::sop::RecordKind::Results)
                    .await?;
                let (page, pages) = self
                    .show_results(batch, self.pressed_on.clone(), page)
                    .await?;
                Ok(self.phrase("results_page", json!({"page": page, "pages": pages})))
            }
            Button::Verdict {
                batch,
                participant,
                result,
            } => {
                self.private_only()?;
                let decisions = self
                    .act(
                        batch,
                        vec![Command::RecordResult {
                            participant,
                            result,
                        }],
                    )
                    .await?;
                let (_, state, _) = self.ctx.app.batch(batch).await?;
                let index = state
                    .participants
                    .keys()
                    .position(|p| *p == participant)
                    .unwrap_or(0);
                let page = u32::try_from(index / RESULTS_PAGE + 1).unwrap_or(1);
                self.show_results(batch, self.pressed_on.clone(), page)
                    .await?;
                let name = state
                    .participants
                    .get(&participant)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                Ok(self.recorded(
                    &decisions,
                    "verdict_set",
                    json!({"name": name, "result": result.code()}),
                ))
            }
            Button::Handovers { batch } => {
                self.may_enter(batch, crate::sop::RecordKind::Receipts)
                    .await?;
                self.show_handovers(batch, None).await
            }
            Button::Start { batch } => {
                let decision = self
                    .ctx
                    .app
                    .start_batch(batch, self.staff, Via::Telegram)
                    .await?;
                Ok(self.recorded(&[decision], "batch_started", json!({"batch": batch.0})))
            }
            Button::Receipt { batch, participant } => {
                self.private_only()?;
                let decisions = self
                    .act(batch, vec![Command::RecordReceipt { participant }])
                    .await?;
                self.show_handovers(batch, self.pressed_on.clone()).await?;
                let (_, state, _) = self.ctx.app.batch(batch).await?;
                let name = state
                    .participants
                    .get(&participant)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                Ok(self.recorded(&decisions, "receipt_set", json!({"name": name})))
            }
        }
    }

    fn recorded(&self, decisions: &[Decision], phrase: &str, context: Value) -> String {
        if decisions.iter().all(|d| d.events.is_empty()) {
            self.phrase("already_recorded", json!({}))
        } else {
            self.phrase(phrase, context)
        }
    }

    fn private_only(&self) -> Result<(), AppError> {
        if self.private {
            Ok(())
        } else {
            Err(AppError::Invalid(self.phrase("private_only", json!({}))))
        }
    }

    /// Sends (or, after a press, edits) one page of the K/BK keyboard
    /// ([`RESULTS_PAGE`] participants, within Telegram's 100 buttons);
    /// returns the page shown and how many there are.
    async fn show_results(
        &self,
        batch: BatchId,
        edit: Option<String>,
        page: u32,
    ) -> Result<(usize, usize), AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let pages = state.participants.len().div_ceil(RESULTS_PAGE).max(1);
        let page = (page as usize).clamp(1, pages);
        let offset = (page - 1) * RESULTS_PAGE;
        let participants: Vec<Value> = state
            .participants
            .values()
            .skip(offset)
            .take(RESULTS_PAGE)
            .map(
                |p| json!({"id": p.id.0, "name": p.name, "result": p.result.map(Competence::code)}),
            )
            .collect();
        let key = match &edit {
            Some(_) => format!("u{}:results-edit", self.update_id),
            None => format!("u{}:results", self.update_id),
        };
        self.ctx
            .say(
                self.chat,
                Some(self.member),
                key,
                "results_keyboard",
                json!({
                    "batch": {"id": batch.0}, "participants": participants,
                    "offset": offset, "page": page, "pages": pages,
                }),
                edit,
            )
            .await?;
        Ok((page, pages))
    }

    /// Sends (or edits) the list of participants ready to collect, with a button each.
    async fn show_handovers(
        &self,
        batch: BatchId,
        edit: Option<String>,
    ) -> Result<String, AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let ready: Vec<Value> = state
            .participants
            .values()
            .filter(|p| {
                matches!(
                    p.handover.stage(),
                    HandoverStage::Ready | HandoverStage::Open
                )
            })
            .map(|p| json!({"id": p.id.0, "name": p.name}))
            .collect();
        let received = state
            .participants
            .values()
            .filter(|p| p.handover.stage() == HandoverStage::Received)
            .count();
        let key = match &edit {
            Some(_) => format!("u{}:handovers-edit", self.update_id),
            None => format!("u{}:handovers", self.update_id),
        };
        let empty = ready.is_empty();
        self.ctx
            .say(
                self.chat,
                Some(self.member),
                key,
                "handover_list",
                json!({"batch": {"id": batch.0}, "ready": ready, "received": received, "total": state.participants.len()}),
                edit,
            )
            .await?;
        Ok(self.phrase(
            if empty {
                "nobody_ready"
            } else {
                "handovers_title"
            },
            json!({"batch": batch.0}),
        ))
    }
}
