//! The commands: `/tugas`, `/batch`, `/status`, `/jeda` and `/lanjut`,
//! `/ubahrapat` and `/batalrapat`.

use serde_json::{Value, json};

use crate::app::{AppError, Via};
use crate::domain::{BatchId, Member, TelegramUserId};
use crate::telegram::conversation::Awaiting;
use crate::workflow::{BatchStatus, Command, HandoverStage, StepState};

use super::*;

pub(super) async fn tasks(
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    key: String,
) -> Result<(), AppError> {
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

pub(super) async fn status(
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
        .act(batch, &actor(member), &[command], Via::Update(update_id))
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
    let intent = crate::workflow::Intent::ChangeMeeting;
    if let Err(e) = ctx.app.may(batch, &actor(member), intent).await {
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

/// A member's message in their private chat: a command, or an answer in
/// the conversation they are in.
pub(super) async fn route(
    ctx: &BotContext,
    s: Said<'_>,
    command: Option<&str>,
    argument: &str,
    text: &str,
) -> Result<(), AppError> {
    match command {
        Some("batal") => {
            let had = ctx.app.conversation(s.user, s.chat).await?.is_some();
            ctx.app.set_conversation(s.user, s.chat, None).await?;
            let phrase = if had {
                "cancelled"
            } else {
                "nothing_to_cancel"
            };
            ctx.say_phrase(s.chat, Some(s.member), s.key("cancel"), phrase, json!({}))
                .await
        }
        Some("bantuan") | Some("help") => {
            let commands: Vec<Value> = menu(ctx)
                .into_iter()
                .map(|c| json!({"command": c.command, "description": c.description}))
                .collect();
            ctx.say(
                s.chat,
                Some(s.member),
                s.key("help"),
                "help",
                json!({ "commands": commands }),
                None,
            )
            .await
        }
        Some("tugas") => tasks(ctx, s.chat, s.member, s.key("tasks")).await,
        Some(word @ ("jeda" | "lanjut")) => {
            pause_or_resume(ctx, s.chat, s.member, argument, word == "jeda", s.update_id).await
        }
        Some(word @ ("ubahrapat" | "batalrapat")) => {
            change_meeting(
                ctx,
                s.chat,
                s.user,
                s.member,
                argument,
                word == "batalrapat",
                s.update_id,
            )
            .await
        }
        Some("batchbaru") => {
            if s.member.roles.contains(&Role::KabagSertifikasi)
                || s.member.roles.contains(&Role::KetuaLsp)
            {
                let state = serde_json::to_value(Awaiting::NewBatchScheme).unwrap_or_default();
                ctx.app
                    .set_conversation(s.user, s.chat, Some(&state))
                    .await?;
                ctx.say_phrase(
                    s.chat,
                    Some(s.member),
                    s.key("ask"),
                    "ask_scheme",
                    json!({}),
                )
                .await
            } else {
                ctx.say_phrase(
                    s.chat,
                    Some(s.member),
                    s.key("refused"),
                    "only_sertifikasi",
                    json!({}),
                )
                .await
            }
        }
        Some("batch") => batches(ctx, s.chat, s.member, s.key("batches")).await,
        Some("status") => status(ctx, s.chat, s.member, argument, s.key("status")).await,
        Some(_) => {
            ctx.say_phrase(
                s.chat,
                Some(s.member),
                s.key("unknown"),
                "unknown_message",
                json!({}),
            )
            .await
        }
        None => match ctx.app.conversation(s.user, s.chat).await? {
            Some(state) => match serde_json::from_value::<Awaiting>(state) {
                Ok(awaiting) => {
                    answer(ctx, s.chat, s.user, s.member, awaiting, text, s.update_id).await
                }
                Err(_) => ctx.app.set_conversation(s.user, s.chat, None).await,
            },
            None => {
                ctx.say_phrase(
                    s.chat,
                    Some(s.member),
                    s.key("unknown"),
                    "unknown_message",
                    json!({}),
                )
                .await
            }
        },
    }
}
