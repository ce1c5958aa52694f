//! `/start <token>`: binding a Telegram account to a member by their
//! one-time registration link.

use serde_json::json;

use crate::domain::TelegramUserId;
use crate::store::Redemption;

use super::*;

pub(super) async fn start(
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
