//! What Ketua LSP and Kabag Sertifikasi do from Telegram without the
//! command line: the staff list (`/anggota`, `/tambahanggota`,
//! `/nonaktifkan`, `/aktifkan`, `/peran`, `/emailanggota`) and corrections
//! (`/emailpeserta`, `/koreksihasil`, `/koreksisk`, `/batalkanbatch`). Each
//! is checked again in the application (who may), answered in one
//! sentence, and recorded in the audit log with who and why.

use serde_json::{Value, json};

use super::{BotContext, Said, actor};
use crate::app::{AppError, ParticipantChange, Via};
use crate::domain::{BatchId, MemberId, Role, RoleSet};
use crate::notify::{self, views};
use crate::workflow::{Command, Decree, Effect};

/// A staff or correction command, with its argument.
pub(super) enum Admin<'a> {
    Members,
    AddMember(&'a str),
    Deactivate(&'a str),
    Reactivate(&'a str),
    Role(&'a str),
    MemberEmail(&'a str),
    MemberNip(&'a str),
    ParticipantEmail(&'a str),
    CorrectResult(&'a str),
    CorrectDecree(&'a str),
    CancelBatch(&'a str),
}

/// Runs one command and answers it.
pub(super) async fn run(
    ctx: &BotContext,
    s: &Said<'_>,
    command: Admin<'_>,
) -> Result<(), AppError> {
    let outcome = match command {
        Admin::Members => return members(ctx, s).await,
        Admin::AddMember(argument) => return add_member(ctx, s, argument).await,
        Admin::Deactivate(argument) => active(ctx, s, argument, false).await,
        Admin::Reactivate(argument) => active(ctx, s, argument, true).await,
        Admin::Role(argument) => role(ctx, s, argument).await,
        Admin::MemberEmail(argument) => member_email(ctx, s, argument).await,
        Admin::MemberNip(argument) => member_nip(ctx, s, argument).await,
        Admin::ParticipantEmail(argument) => participant_email(ctx, s, argument).await,
        Admin::CorrectResult(argument) => correct_result(ctx, s, argument).await,
        Admin::CorrectDecree(argument) => correct_decree(ctx, s, argument).await,
        Admin::CancelBatch(argument) => cancel(ctx, s, argument).await,
    };
    let text = match outcome {
        Ok((phrase, context)) => ctx.phrase(phrase, context),
        Err(e) if e.is_users_to_fix() => ctx.explain(&e),
        Err(e) => return Err(e),
    };
    ctx.say_text(s.chat, Some(s.member), s.key("admin"), text)
        .await
}

type Answer = Result<(&'static str, Value), AppError>;

/// `/anggota`: every member with number, roles, and whether registered.
async fn members(ctx: &BotContext, s: &Said<'_>) -> Result<(), AppError> {
    if let Err(e) = may_manage(s) {
        let text = ctx.explain(&e);
        return ctx
            .say_text(s.chat, Some(s.member), s.key("admin"), text)
            .await;
    }
    let active = ctx.app.members().await?;
    let inactive = ctx.app.inactive_members().await?;
    let list = views::MemberList {
        members: active
            .iter()
            .map(|(m, _)| views::MemberLine {
                id: m.id.0,
                name: m.name.clone(),
                roles: m.roles.iter().map(|r| r.title().to_string()).collect(),
                registered: m.telegram_user_id.is_some(),
                has_email: m.email.is_some(),
                nip: m.nip.clone(),
            })
            .collect(),
        inactive: inactive
            .iter()
            .map(|(id, name)| views::MemberLine {
                id: id.0,
                name: name.clone(),
                roles: Vec::new(),
                registered: false,
                has_email: false,
                nip: None,
            })
            .collect(),
    };
    let message = notify::Message::MemberList(list);
    ctx.say(s.chat, Some(s.member), s.key("members"), message, None)
        .await
}

/// `/tambahanggota <peran>[,<peran>] <nama lengkap> [email]`: the member,
/// and their one-time link for the sender to forward.
async fn add_member(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Result<(), AppError> {
    let say = |phrase: &'static str, context: Value| async move {
        ctx.say_phrase(s.chat, Some(s.member), s.key("admin"), phrase, context)
            .await
    };
    let mut words: Vec<&str> = argument.split_whitespace().collect();
    let email = words.last().filter(|w| w.contains('@')).copied();
    if email.is_some() {
        words.pop();
    }
    let roles: Option<RoleSet> = words.first().and_then(|first| {
        first
            .split(',')
            .map(|r| r.parse::<Role>().ok())
            .collect::<Option<RoleSet>>()
    });
    let (Some(roles), true) = (roles, words.len() >= 2) else {
        return say("admin_add_usage", json!({})).await;
    };
    let name = words[1..].join(" ");
    // The bot's username first, so a member is never added without a link.
    let username = crate::telegram::bot_username(&ctx.app.config.telegram)
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
    let added = match ctx
        .app
        .add_member_as(&name, &roles, email, None, &actor(s.member), Via::Telegram)
        .await
    {
        Ok(added) => added,
        Err(e) if e.is_users_to_fix() => {
            let text = ctx.explain(&e);
            return ctx
                .say_text(s.chat, Some(s.member), s.key("admin"), text)
                .await;
        }
        Err(e) => return Err(e),
    };
    let link = views::RegistrationLink {
        member: added.id.0,
        name: name.split_whitespace().collect::<Vec<_>>().join(" "),
        roles: roles.iter().map(|r| r.title().to_string()).collect(),
        link: crate::telegram::registration_link(&username, &added.token.token),
        expires_at: added.token.expires_at.to_rfc3339(),
        namesakes: added.namesakes.iter().map(|m| m.0).collect(),
    };
    let message = notify::Message::RegistrationLink(link);
    ctx.say(s.chat, Some(s.member), s.key("link"), message, None)
        .await
}

/// `/nonaktifkan <nomor>` and `/aktifkan <nomor>`.
async fn active(ctx: &BotContext, s: &Said<'_>, argument: &str, on: bool) -> Answer {
    let Some(member) = member_number(argument) else {
        let command = if on { "aktifkan" } else { "nonaktifkan" };
        return Ok(("admin_member_usage", json!({"command": command})));
    };
    let name = ctx
        .app
        .set_member_active_as(member, on, &actor(s.member), Via::Telegram)
        .await?;
    let phrase = if on {
        "member_reactivated_ok"
    } else {
        "member_deactivated_ok"
    };
    Ok((phrase, json!({"name": name})))
}

/// `/peran <nomor> tambah|hapus <peran>`.
async fn role(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let words: Vec<&str> = argument.split_whitespace().collect();
    let parsed = match words.as_slice() {
        [member, change, role] => member_number(member)
            .zip(match change.to_lowercase().as_str() {
                "tambah" | "add" => Some(true),
                "hapus" | "remove" => Some(false),
                _ => None,
            })
            .zip(role.parse::<Role>().ok()),
        _ => None,
    };
    let Some(((member, holds), role)) = parsed else {
        return Ok(("admin_role_usage", json!({})));
    };
    let name = ctx
        .app
        .set_member_role_as(member, role, holds, &actor(s.member), Via::Telegram)
        .await?;
    let phrase = if holds {
        "role_added_ok"
    } else {
        "role_removed_ok"
    };
    Ok((phrase, json!({"name": name, "role": role.title()})))
}

/// `/emailanggota <nomor> <email|->`.
async fn member_email(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let words: Vec<&str> = argument.split_whitespace().collect();
    let [member, email] = words.as_slice() else {
        return Ok(("admin_email_usage", json!({})));
    };
    let Some(member) = member_number(member) else {
        return Ok(("admin_email_usage", json!({})));
    };
    let email = (*email != "-").then_some(*email);
    let name = ctx
        .app
        .set_member_email(member, email, &actor(s.member), Via::Telegram)
        .await?;
    Ok((
        "member_email_ok",
        json!({"name": name, "cleared": email.is_none()}),
    ))
}

/// `/nipanggota <nomor> <NIP|->`: the NIP printed under a member's
/// signature (a NIP may hold spaces: everything after the number).
async fn member_nip(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let argument = argument.trim();
    let (member, nip) = argument
        .split_once(char::is_whitespace)
        .unwrap_or((argument, ""));
    let (Some(member), false) = (member_number(member), nip.trim().is_empty()) else {
        return Ok(("admin_nip_usage", json!({})));
    };
    let nip = (nip.trim() != "-").then_some(nip);
    let name = ctx
        .app
        .set_member_nip(member, nip, &actor(s.member), Via::Telegram)
        .await?;
    Ok((
        "member_nip_ok",
        json!({"name": name, "cleared": nip.is_none()}),
    ))
}

/// `/emailpeserta <batch> <peserta> <email baru> <alasan>`: the address is
/// corrected, emails waiting go there, and those sent to the old address
/// are sent again to the new one.
async fn participant_email(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let mut words = argument.split_whitespace();
    let (Some(batch), Some(participant), Some(email)) = (
        words.next().and_then(|w| w.parse::<BatchId>().ok()),
        words.next(),
        words.next(),
    ) else {
        return Ok(("participant_email_usage", json!({})));
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let change = ParticipantChange {
        email: Some(email.to_string()),
        resend: true,
        ..ParticipantChange::default()
    };
    let done = ctx
        .app
        .correct_participant(
            batch,
            participant,
            &change,
            &reason,
            &actor(s.member),
            Via::Telegram,
        )
        .await?;
    Ok((
        "participant_email_ok",
        json!({"name": done.name, "redirected": done.redirected, "resent": done.resent}),
    ))
}

/// `/koreksihasil <batch> <peserta> <K|BK> <alasan>`.
async fn correct_result(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let mut words = argument.split_whitespace();
    let (Some(batch), Some(participant), Some(result)) = (
        words.next().and_then(|w| w.parse::<BatchId>().ok()),
        words.next(),
        words
            .next()
            .and_then(|w| w.parse::<crate::domain::Competence>().ok()),
    ) else {
        return Ok(("correct_result_usage", json!({})));
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let p = ctx.app.find_participant(batch, participant).await?;
    let command = Command::CorrectResult {
        participant: p.id,
        result,
        reason,
    };
    let decisions = act(ctx, s, batch, command).await?;
    if decisions.iter().all(|d| d.events.is_empty()) {
        return Ok(("already_recorded", json!({})));
    }
    let told = decisions
        .iter()
        .flat_map(|d| &d.effects)
        .any(|e| matches!(e, Effect::ResultCorrection { .. }));
    Ok((
        "result_corrected",
        json!({"name": p.name, "result": result.code(), "told": told}),
    ))
}

/// `/koreksisk <batch> <nomor> <tanggal> <alasan>`.
async fn correct_decree(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let mut words = argument.split_whitespace();
    let (Some(batch), Some(number), Some(date)) = (
        words.next().and_then(|w| w.parse::<BatchId>().ok()),
        words.next(),
        words.next().and_then(|w| crate::dates::read_date(w).ok()),
    ) else {
        return Ok(("correct_decree_usage", json!({})));
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let decree = Decree {
        number: number.to_string(),
        date,
    };
    let decisions = act(ctx, s, batch, Command::CorrectDecree { decree, reason }).await?;
    if decisions.iter().all(|d| d.events.is_empty()) {
        return Ok(("already_recorded", json!({})));
    }
    Ok((
        "decree_corrected",
        json!({"batch": batch.0, "number": number, "date": date.to_string()}),
    ))
}

/// `/batalkanbatch <batch> <alasan>`.
async fn cancel(ctx: &BotContext, s: &Said<'_>, argument: &str) -> Answer {
    let mut words = argument.split_whitespace();
    let Some(batch) = words.next().and_then(|w| w.parse::<BatchId>().ok()) else {
        return Ok(("cancel_batch_usage", json!({})));
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    act(ctx, s, batch, Command::CancelBatch { reason }).await?;
    Ok(("batch_cancelled_ok", json!({"batch": batch.0})))
}

async fn act(
    ctx: &BotContext,
    s: &Said<'_>,
    batch: BatchId,
    command: Command,
) -> Result<Vec<crate::workflow::Decision>, AppError> {
    ctx.app
        .act(batch, &actor(s.member), &[command], Via::Telegram)
        .await
}

/// Only Ketua LSP and Kabag Sertifikasi see the staff list.
fn may_manage(s: &Said<'_>) -> Result<(), AppError> {
    let allowed: RoleSet = [Role::KetuaLsp, Role::KabagSertifikasi].into();
    if s.member.roles.is_disjoint(&allowed) {
        return Err(AppError::Refused(crate::workflow::Refusal::RoleRequired {
            step: None,
            roles: allowed.iter().map(|r| r.title().to_string()).collect(),
        }));
    }
    Ok(())
}

/// A member's number as `/anggota` shows it ("3" or "#3").
fn member_number(text: &str) -> Option<MemberId> {
    text.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(MemberId)
}
