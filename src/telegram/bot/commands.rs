//! The commands: `/tugas`, `/batch`, `/status`, `/jeda` and `/lanjut`,
//! `/ubahrapat` and `/batalrapat`.

use serde_json::{Value, json};

use crate::app::{AppError, Via};
use crate::domain::{BatchId, Member};
use crate::notify::reports;
use crate::telegram::conversation::Awaiting;
use crate::workflow::{BatchStatus, Command};

use super::admin::{self, Admin};
use super::*;

pub(super) async fn tasks(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    key: String,
) -> Result<(), AppError> {
    let tasks = ctx.app.open_tasks(member).await?;
    if tasks.is_empty() {
        return ctx
            .say_phrase(chat, Some(member), key, "no_tasks", json!({}))
            .await;
    }
    let message = notify::Message::Tasks(views::Tasks { tasks });
    ctx.say(chat, Some(member), key, message, None).await
}

pub(super) async fn batches(
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
    let batches = list.iter().take(20).map(reports::batch_line).collect();
    let message = notify::Message::Batches(views::Batches { batches });
    ctx.say(chat, Some(member), key, message, None).await
}

/// The batch a command names (`argument`), or the running batch when it
/// names none; `Err` with the phrase to answer when there is no such batch.
pub(super) async fn batch_named(
    ctx: &BotContext,
    argument: &str,
) -> Result<Result<BatchId, (&'static str, Value)>, AppError> {
    if !argument.is_empty() {
        return Ok(argument
            .parse::<BatchId>()
            .map_err(|_| ("bad_batch", json!({"text": argument}))));
    }
    let running = ctx
        .app
        .batches()
        .await?
        .into_iter()
        .find(|b| b.status == BatchStatus::Running);
    Ok(running.map(|b| b.info.id).ok_or(("no_batches", json!({}))))
}

/// The batch a document request names, or when none is named the running
/// batch, else the newest that has begun (a finished batch's papers are
/// still asked for at its handover and audit).
pub(super) async fn batch_with_papers(
    ctx: &BotContext,
    argument: &str,
) -> Result<Result<BatchId, (&'static str, Value)>, AppError> {
    if !argument.is_empty() {
        return batch_named(ctx, argument).await;
    }
    let batches = ctx.app.batches().await?;
    let chosen = batches
        .iter()
        .find(|b| b.status == BatchStatus::Running)
        .or_else(|| {
            batches
                .iter()
                .filter(|b| b.status != BatchStatus::Draft)
                .max_by_key(|b| b.info.id.0)
        });
    Ok(chosen.map(|b| b.info.id).ok_or(("no_batches", json!({}))))
}

pub(super) async fn status(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    argument: &str,
    key: String,
) -> Result<(), AppError> {
    let batch = match batch_named(ctx, argument).await? {
        Ok(batch) => batch,
        Err((phrase, context)) => {
            return ctx
                .say_phrase(chat, Some(member), key, phrase, context)
                .await;
        }
    };
    let (info, state, members) = ctx.app.batch(batch).await?;
    let status = reports::status(&info, &state, &members, ctx.app.now(), ctx.lang);
    ctx.say(
        chat,
        Some(member),
        key,
        notify::Message::Status(status),
        None,
    )
    .await
}

/// `/jeda <batch> <step> <reason>` and `/lanjut <batch> <step>`: pause a
/// step's clock while it waits on something outside the LSP, and run it again.
pub(super) async fn pause_or_resume(
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
pub(super) async fn change_meeting(
    ctx: &BotContext,
    s: &Said<'_>,
    argument: &str,
    cancel: bool,
) -> Result<(), AppError> {
    let (chat, user, member, update_id) = (s.chat, s.user, s.member, s.update_id);
    let key = |what: &str| format!("u{update_id}:{what}");
    let batch = match batch_named(ctx, argument).await? {
        Ok(batch) => batch,
        Err((phrase, context)) => {
            let which = if phrase == "no_batches" {
                "none"
            } else {
                "bad"
            };
            return ctx
                .say_phrase(chat, Some(member), key(which), phrase, context)
                .await;
        }
    };
    let intent = crate::workflow::Intent::ChangeMeeting;
    if let Err(e) = ctx.app.may(batch, &actor(member), intent).await {
        let text = ctx.explain(&e);
        return ctx.say_text(chat, Some(member), key("refused"), text).await;
    }
    let awaiting = if cancel {
        Awaiting::CancelReason { batch }
    } else {
        Awaiting::MeetingDate {
            batch,
            moving: true,
        }
    };
    ctx.app
        .set_conversation(user, chat, Some(&awaiting))
        .await?;
    ctx.say_phrase(chat, Some(member), key("ask"), awaiting.prompt(), json!({}))
        .await
}

/// A member's message in their private chat: a command, or an answer in
/// the conversation they are in.
pub(super) async fn route(
    ctx: &BotContext,
    s: Said<'_>,
    typed: Typed,
    text: &str,
) -> Result<(), AppError> {
    let command = match typed {
        Typed::Command(command) => command,
        Typed::Text(_) => return conversation(ctx, s, text).await,
        Typed::Unknown => return unknown(ctx, &s).await,
    };
    match command {
        ChatCommand::Batal(_) => leave_conversation(ctx, &s).await,
        ChatCommand::Bantuan(_) | ChatCommand::Help(_) => help(ctx, &s).await,
        ChatCommand::Tugas(_) => tasks(ctx, s.chat, s.member, s.key("tasks")).await,
        ChatCommand::Jeda(argument) => {
            pause_or_resume(ctx, s.chat, s.member, argument.trim(), true, s.update_id).await
        }
        ChatCommand::Lanjut(argument) => {
            pause_or_resume(ctx, s.chat, s.member, argument.trim(), false, s.update_id).await
        }
        ChatCommand::Ubahrapat(argument) => change_meeting(ctx, &s, argument.trim(), false).await,
        ChatCommand::Batalrapat(argument) => change_meeting(ctx, &s, argument.trim(), true).await,
        ChatCommand::Batchbaru(_) => new_batch(ctx, &s).await,
        ChatCommand::Batch(_) => batches(ctx, s.chat, s.member, s.key("batches")).await,
        ChatCommand::Status(argument) => {
            status(ctx, s.chat, s.member, argument.trim(), s.key("status")).await
        }
        ChatCommand::Anggota(_) => admin::run(ctx, &s, Admin::Members).await,
        ChatCommand::Tambahanggota(a) => admin::run(ctx, &s, Admin::AddMember(a.trim())).await,
        ChatCommand::Nonaktifkan(a) => admin::run(ctx, &s, Admin::Deactivate(a.trim())).await,
        ChatCommand::Aktifkan(a) => admin::run(ctx, &s, Admin::Reactivate(a.trim())).await,
        ChatCommand::Peran(a) => admin::run(ctx, &s, Admin::Role(a.trim())).await,
        ChatCommand::Emailanggota(a) => admin::run(ctx, &s, Admin::MemberEmail(a.trim())).await,
        ChatCommand::Nipanggota(a) => admin::run(ctx, &s, Admin::MemberNip(a.trim())).await,
        ChatCommand::Emailpeserta(a) => {
            admin::run(ctx, &s, Admin::ParticipantEmail(a.trim())).await
        }
        ChatCommand::Koreksihasil(a) => admin::run(ctx, &s, Admin::CorrectResult(a.trim())).await,
        ChatCommand::Koreksisk(a) => admin::run(ctx, &s, Admin::CorrectDecree(a.trim())).await,
        ChatCommand::Batalkanbatch(a) => admin::run(ctx, &s, Admin::CancelBatch(a.trim())).await,
        ChatCommand::Dokumen(argument) => super::documents::send(ctx, &s, argument.trim()).await,
        ChatCommand::Laporan(argument) => super::report::send(ctx, &s, argument.trim()).await,
        // `/start` is read before the member is known; `/keluargrup`
        // means something in a group only.
        ChatCommand::Start(_) | ChatCommand::Keluargrup(_) => unknown(ctx, &s).await,
    }
}

/// A command the bot does not know, or text outside a conversation.
async fn unknown(ctx: &BotContext, s: &Said<'_>) -> Result<(), AppError> {
    ctx.say_phrase(
        s.chat,
        Some(s.member),
        s.key("unknown"),
        "unknown_message",
        json!({}),
    )
    .await
}

/// `/batal`: leaves the conversation under way, if any.
async fn leave_conversation(ctx: &BotContext, s: &Said<'_>) -> Result<(), AppError> {
    let had = ctx
        .app
        .conversation::<Awaiting>(s.user, s.chat)
        .await?
        .is_some();
    ctx.app
        .set_conversation::<Awaiting>(s.user, s.chat, None)
        .await?;
    let phrase = if had {
        "cancelled"
    } else {
        "nothing_to_cancel"
    };
    ctx.say_phrase(s.chat, Some(s.member), s.key("cancel"), phrase, json!({}))
        .await
}

/// `/bantuan`: the commands and what they do.
async fn help(ctx: &BotContext, s: &Said<'_>) -> Result<(), AppError> {
    let commands = menu(ctx)
        .into_iter()
        .map(|c| views::CommandFacts {
            command: c.command,
            description: c.description,
        })
        .collect();
    let help = notify::Message::Help(views::Help { commands });
    ctx.say(s.chat, Some(s.member), s.key("help"), help, None)
        .await
}

/// `/batchbaru`: asks for the scheme, for Kabag Sertifikasi and Ketua LSP.
async fn new_batch(ctx: &BotContext, s: &Said<'_>) -> Result<(), AppError> {
    let may = s.member.roles.contains(&Role::KabagSertifikasi)
        || s.member.roles.contains(&Role::KetuaLsp);
    if !may {
        return ctx
            .say_phrase(
                s.chat,
                Some(s.member),
                s.key("refused"),
                "only_sertifikasi",
                json!({}),
            )
            .await;
    }
    ctx.app
        .set_conversation(s.user, s.chat, Some(&Awaiting::NewBatchScheme))
        .await?;
    ctx.say_phrase(
        s.chat,
        Some(s.member),
        s.key("ask"),
        "ask_scheme",
        json!({}),
    )
    .await
}

/// Text in a private chat: the answer to the conversation's question, if
/// the member is in one.
async fn conversation(ctx: &BotContext, s: Said<'_>, text: &str) -> Result<(), AppError> {
    match ctx.app.conversation(s.user, s.chat).await? {
        Some(awaiting) => answer(ctx, s.chat, s.user, s.member, awaiting, text, s.update_id).await,
        None => unknown(ctx, &s).await,
    }
}
