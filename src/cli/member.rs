//! `sertibot member …`: the staff register and registration links.

use std::process::ExitCode;

use super::format::{span, when};
use super::{Failure, MemberCommand, RoleCommand};
use crate::app::App;
use crate::domain::RoleSet;
use crate::telegram::{bot_username, registration_link};

pub async fn run(app: &App, command: MemberCommand) -> Result<ExitCode, Failure> {
    match command {
        MemberCommand::Add { name, roles, email } => {
            add(app, &name, roles.into_iter().collect(), email.as_deref()).await
        }
        MemberCommand::Link { member } => link(app, member).await,
        MemberCommand::Deactivate { member } => {
            app.set_member_active(member, false).await?;
            println!("Member {member} is deactivated: the bot now treats them as a stranger.");
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Reactivate { member } => {
            app.set_member_active(member, true).await?;
            println!("Member {member} is active again.");
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Role(RoleCommand::Add { member, role }) => {
            app.set_member_role(member, role, true).await?;
            println!("Member {member} now has the role {}.", role.slug());
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Role(RoleCommand::Remove { member, role }) => {
            app.set_member_role(member, role, false).await?;
            println!("Member {member} no longer has the role {}.", role.slug());
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::List => list(app).await,
        MemberCommand::Email {
            member,
            email,
            clear,
        } => {
            let email = if clear { None } else { email };
            if email.is_none() && !clear {
                return Err(Failure(
                    "give the new address, or --clear to remove it".into(),
                ));
            }
            let by = &crate::workflow::Actor::Operator;
            let name = app
                .set_member_email(member, email.as_deref(), by, crate::app::Via::Cli)
                .await?;
            match email {
                Some(_) => println!("{name}'s email address is changed."),
                None => println!("{name} has no email address now."),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `member add`: the member, and their one-use registration link.
async fn add(
    app: &App,
    name: &str,
    roles: RoleSet,
    email: Option<&str>,
) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    // Learn the bot's username first, so a member is never added without a link.
    let bot = bot_username(&app.config.telegram)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    let added = app.add_member(name, &roles, email).await?;
    let titles: Vec<&str> = roles.iter().map(|r| r.title()).collect();
    println!(
        "Added member {}: {} ({}).",
        added.id,
        name.trim(),
        titles.join(", ")
    );
    for other in &added.namesakes {
        println!(
            "Warning: member {other} has the same name; if it is the same person, deactivate one (sertibot member deactivate ID)."
        );
    }
    println!(
        "Registration link, for one use, valid for {} (until {}):",
        span(app.config.link_valid),
        when(added.token.expires_at, tz)
    );
    println!("{}", registration_link(&bot, &added.token.token));
    println!("Send it to the member privately; opening it in Telegram binds their account.");
    Ok(ExitCode::SUCCESS)
}

/// `member link`: a new registration link for a member.
async fn link(app: &App, member: crate::domain::MemberId) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    let bot = bot_username(&app.config.telegram)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    let token = app.new_registration_link(member).await?;
    println!(
        "New registration link for member {member}, for one use, valid until {}:",
        when(token.expires_at, tz)
    );
    println!("{}", registration_link(&bot, &token.token));
    Ok(ExitCode::SUCCESS)
}

/// `member list`: the register, with each member's Telegram state.
async fn list(app: &App) -> Result<ExitCode, Failure> {
    let tz = app.config.calendar.tz;
    let members = app.members().await?;
    if members.is_empty() {
        println!("No members yet. Add one with: sertibot member add --name NAME --role ROLE");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<4} {:<28} {:<40} {:<6} TELEGRAM",
        "ID", "NAME", "ROLES", "EMAIL"
    );
    let now = app.now();
    for (m, token) in members {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.slug()).collect();
        let telegram = match (m.telegram_user_id, token) {
            (Some(_), _) => "registered".to_string(),
            (None, Some(t)) if t.used_at.is_none() && t.expires_at > now => {
                format!("link valid until {}", when(t.expires_at, tz))
            }
            (None, _) => "link expired: sertibot member link ID".to_string(),
        };
        println!(
            "{:<4} {:<28} {:<40} {:<6} {}",
            m.id.0,
            m.name,
            roles.join(","),
            if m.email.is_some() { "yes" } else { "no" },
            telegram
        );
    }
    for (id, name) in app.inactive_members().await? {
        println!(
            "{:<4} {:<28} (deactivated: sertibot member reactivate {id})",
            id.0, name
        );
    }
    Ok(ExitCode::SUCCESS)
}
