//! `sertibot member …`: the staff register and registration links.

use std::process::ExitCode;

use serde_json::json;

use super::format::when;
use super::voice::Voice;
use super::{Failure, MemberCommand, RoleCommand};
use crate::app::{App, Via};
use crate::domain::RoleSet;
use crate::telegram::{bot_username, registration_link};
use crate::workflow::Actor;

pub async fn run(app: &App, command: MemberCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let explain = |e| voice.explain(app, &e);
    match command {
        MemberCommand::Add {
            name,
            roles,
            email,
            nip,
        } => {
            let roles = roles.into_iter().collect();
            add(app, &voice, &name, roles, email.as_deref(), nip.as_deref()).await
        }
        MemberCommand::Link { member } => link(app, &voice, member).await,
        MemberCommand::Deactivate { member } => {
            app.set_member_active(member, false)
                .await
                .map_err(explain)?;
            voice.say("cli_member_deactivated", json!({"member": member.0}));
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Reactivate { member } => {
            app.set_member_active(member, true).await.map_err(explain)?;
            voice.say("cli_member_reactivated", json!({"member": member.0}));
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Role(change) => {
            let (member, role, given) = match change {
                RoleCommand::Add { member, role } => (member, role, true),
                RoleCommand::Remove { member, role } => (member, role, false),
            };
            app.set_member_role(member, role, given)
                .await
                .map_err(explain)?;
            let key = if given {
                "cli_role_added"
            } else {
                "cli_role_removed"
            };
            voice.say(key, json!({"member": member.0, "role": role.slug()}));
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::List => list(app, &voice).await,
        MemberCommand::Email {
            member,
            email,
            clear,
        } => set_detail(app, &voice, member, Detail::Email, email, clear).await,
        MemberCommand::Nip { member, nip, clear } => {
            set_detail(app, &voice, member, Detail::Nip, nip, clear).await
        }
    }
}

/// A member's detail set from the command line.
#[derive(Clone, Copy)]
enum Detail {
    Email,
    Nip,
}

/// `member email`, `member nip`: a member's detail set to `value`, or
/// cleared with `--clear` (one of the two is needed).
async fn set_detail(
    app: &App,
    voice: &Voice,
    member: crate::domain::MemberId,
    detail: Detail,
    value: Option<String>,
    clear: bool,
) -> Result<ExitCode, Failure> {
    let (needed, changed, cleared) = match detail {
        Detail::Email => ("cli_email_needed", "cli_email_changed", "cli_email_cleared"),
        Detail::Nip => ("cli_nip_needed", "cli_nip_changed", "cli_nip_cleared"),
    };
    if value.is_none() && !clear {
        return Err(voice.fail(needed, json!({})));
    }
    let value = if clear { None } else { value };
    let set = match detail {
        Detail::Email => {
            app.set_member_email(member, value.as_deref(), &Actor::Operator, Via::Cli)
                .await
        }
        Detail::Nip => {
            app.set_member_nip(member, value.as_deref(), &Actor::Operator, Via::Cli)
                .await
        }
    };
    let name = set.map_err(|e| voice.explain(app, &e))?;
    voice.say(
        if value.is_some() { changed } else { cleared },
        json!({"name": name}),
    );
    Ok(ExitCode::SUCCESS)
}

/// `member add`: the member, and their one-use registration link.
async fn add(
    app: &App,
    voice: &Voice,
    name: &str,
    roles: RoleSet,
    email: Option<&str>,
    nip: Option<&str>,
) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    // Learn the bot's username first, so a member is never added without a link.
    let bot = bot_username(&app.config.telegram)
        .await
        .map_err(|e| voice.username_problem(&e))?;
    let added = app
        .add_member_with_nip(name, &roles, email, nip)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    let titles: Vec<&str> = roles.iter().map(|r| r.title()).collect();
    voice.say(
        "cli_member_added",
        json!({"id": added.id.0, "name": name.trim(), "roles": titles.join(", ")}),
    );
    for other in &added.namesakes {
        voice.say("cli_member_namesake", json!({"other": other.0}));
    }
    voice.say(
        "cli_link_intro",
        json!({
            "span": voice.span(app.config.link_valid),
            "until": when(added.token.expires_at, tz),
        }),
    );
    say!("{}", registration_link(&bot, &added.token.token));
    voice.say("cli_link_send", json!({}));
    Ok(ExitCode::SUCCESS)
}

/// `member link`: a new registration link for a member.
async fn link(
    app: &App,
    voice: &Voice,
    member: crate::domain::MemberId,
) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    let bot = bot_username(&app.config.telegram)
        .await
        .map_err(|e| voice.username_problem(&e))?;
    let token = app
        .new_registration_link(member)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    voice.say(
        "cli_link_new",
        json!({"member": member.0, "until": when(token.expires_at, tz)}),
    );
    say!("{}", registration_link(&bot, &token.token));
    Ok(ExitCode::SUCCESS)
}

/// The width of a column: its widest text, at most `cap` characters.
fn column_width<'a>(texts: impl Iterator<Item = &'a str>, cap: usize) -> usize {
    texts.map(|t| t.chars().count()).max().unwrap_or(0).min(cap)
}

/// `member list`: the register, with each member's Telegram state.
async fn list(app: &App, voice: &Voice) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    let explain = |e| voice.explain(app, &e);
    let members = app.members().await.map_err(explain)?;
    if members.is_empty() {
        voice.say("cli_no_members", json!({}));
        return Ok(ExitCode::SUCCESS);
    }
    let inactive = app.inactive_members().await.map_err(explain)?;
    let now = app.now();
    let rows: Vec<[String; 6]> = members
        .into_iter()
        .map(|(m, token)| {
            let roles: Vec<&str> = m.roles.iter().map(|r| r.slug()).collect();
            let telegram = match (m.telegram_user_id, token) {
                (Some(_), _) => voice.line("cli_registered", json!({})),
                (None, Some(t)) if t.used_at.is_none() && t.expires_at > now => voice.line(
                    "cli_link_valid_until",
                    json!({"until": when(t.expires_at, tz)}),
                ),
                (None, _) => voice.line("cli_link_expired", json!({})),
            };
            let email = voice.line(
                if m.email.is_some() {
                    "cli_yes"
                } else {
                    "cli_no"
                },
                json!({}),
            );
            let nip = m.nip.unwrap_or_else(|| "-".into());
            [
                m.id.0.to_string(),
                m.name,
                roles.join(","),
                nip,
                email,
                telegram,
            ]
        })
        .collect();
    let c = voice.columns("cli_members_columns");
    let header: [String; 6] = std::array::from_fn(|i| c.get(i).cloned().unwrap_or_default());
    // Each column as wide as its widest entry (a name up to 48 characters;
    // a longer one shifts only its own line).
    let inactive_ids: Vec<String> = inactive.iter().map(|(id, _)| id.0.to_string()).collect();
    let column = |i: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(move |r| r[i].as_str())
    };
    let w0 = column_width(column(0).chain(inactive_ids.iter().map(String::as_str)), 8);
    let w1 = column_width(
        column(1).chain(inactive.iter().map(|(_, n)| n.as_str())),
        48,
    );
    let w2 = column_width(column(2), 80);
    let w3 = column_width(column(3), 30);
    let w4 = column_width(column(4), 12);
    for [id, name, roles, nip, email, telegram] in std::iter::once(&header).chain(&rows) {
        say!("{id:<w0$} {name:<w1$} {roles:<w2$} {nip:<w3$} {email:<w4$} {telegram}");
    }
    for (id, name) in &inactive {
        let line = voice.line("cli_member_inactive_line", json!({"id": id.0}));
        say!("{:<w0$} {name:<w1$} {line}", id.0);
    }
    Ok(ExitCode::SUCCESS)
}
