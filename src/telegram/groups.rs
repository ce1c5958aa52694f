//! The bot in group chats. A group is registered only when an active
//! member with the authority (Ketua LSP or Kabag Sertifikasi) adds the bot;
//! added by anyone else, the bot leaves at once. Either way the attempt is
//! audited. The bot leaves a group on `/keluargrup` from such a member, and
//! forgets a group it was removed from. In a group the bot answers only
//! with [`GroupMessage`]s: help, and a pointer to the private chat for
//! everything else.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatMemberUpdated, User};

use super::bot::{BotContext, ChatCommand, Typed};
use crate::app::may_manage_groups;
use crate::domain::TelegramUserId;
use crate::notify::{GroupChat, GroupMessage, GroupNotice};

/// The bot's own user id: the number before the colon in its token.
pub fn own_id(bot: &Bot) -> Option<u64> {
    bot.token().split(':').next()?.parse().ok()
}

fn is_me(bot: &Bot, user: &User) -> bool {
    user.is_bot && own_id(bot) == Some(user.id.0)
}

/// The bot was added to a group by `by`: registers it, or leaves.
async fn added(
    bot: &Bot,
    ctx: &BotContext,
    chat: GroupChat,
    title: Option<&str>,
    by: &User,
) -> anyhow::Result<()> {
    let user = TelegramUserId(by.id.0 as i64);
    use crate::app::GroupAdmission;
    match ctx.app.group_added(chat, title, user).await? {
        GroupAdmission::Registered => {
            ctx.app
                .post_to_group(
                    chat,
                    format!(
                        "group:{}:registered:{}",
                        chat.id(),
                        ctx.app.now().timestamp_millis()
                    ),
                    GroupMessage::Notice(GroupNotice::Registered),
                )
                .await?
        }
        GroupAdmission::AlreadyRegistered => {}
        GroupAdmission::Refused => leave(bot, chat.id()),
    }
    Ok(())
}

/// Leaves a group once the update's work (the refusal or the group
/// forgotten) is committed: a leave for work rolled back would leave the
/// group registered with the bot gone from it.
fn leave(bot: &Bot, chat: i64) {
    let bot = bot.clone();
    crate::store::unit::when_committed(move || {
        tokio::spawn(async move {
            if let Err(e) = bot.leave_chat(ChatId(chat)).await {
                tracing::warn!(chat, error = %crate::logging::redact(&e.to_string()), "cannot leave a group");
            }
        });
    });
}

/// A `my_chat_member` update: the bot's own membership of a chat changed.
pub async fn on_my_chat_member(
    bot: Bot,
    update: ChatMemberUpdated,
    ctx: Arc<BotContext>,
) -> anyhow::Result<()> {
    let Some(chat) = GroupChat::new(update.chat.id.0) else {
        return Ok(());
    };
    let now_in = update.new_chat_member.is_present();
    let was_in = update.old_chat_member.is_present();
    if now_in && !was_in {
        added(&bot, &ctx, chat, update.chat.title(), &update.from).await?;
    } else if !now_in && was_in {
        ctx.app
            .group_removed(
                chat.id(),
                Some(TelegramUserId(update.from.id.0 as i64)),
                "removed",
            )
            .await?;
    }
    Ok(())
}

/// Whether `msg` (in a group) says the bot joined or left; handles it if so.
pub async fn membership_message(
    bot: &Bot,
    ctx: &BotContext,
    msg: &Message,
) -> anyhow::Result<bool> {
    let Some(chat) = GroupChat::new(msg.chat.id.0) else {
        return Ok(false);
    };
    if let (Some(joined), Some(by)) = (msg.new_chat_members(), msg.from.as_ref())
        && joined.iter().any(|u| is_me(bot, u))
    {
        added(bot, ctx, chat, msg.chat.title(), by).await?;
        return Ok(true);
    }
    if let Some(left) = msg.left_chat_member()
        && is_me(bot, left)
    {
        let by = msg.from.as_ref().map(|u| TelegramUserId(u.id.0 as i64));
        ctx.app.group_removed(chat.id(), by, "removed").await?;
        return Ok(true);
    }
    Ok(false)
}

/// A command or text in a group chat from someone. Strangers and
/// non-commands get no answer (strangers are audited by the caller's rate
/// limit); members get help, `/keluargrup`, or a pointer to the private chat.
pub async fn group_message(
    bot: &Bot,
    ctx: &BotContext,
    chat: GroupChat,
    member: &crate::domain::Member,
    said: Option<&Typed>,
    update_id: i64,
) -> anyhow::Result<()> {
    let key = |what: &str| format!("u{update_id}:{what}");
    let message = match said {
        None | Some(Typed::Text(_)) => return Ok(()),
        Some(Typed::Command(ChatCommand::Bantuan(_) | ChatCommand::Help(_))) => {
            GroupMessage::Help {
                commands: super::bot::menu(ctx)
                    .into_iter()
                    .map(|c| crate::notify::group::CommandFacts {
                        command: c.command,
                        description: c.description,
                    })
                    .collect(),
            }
        }
        Some(Typed::Command(ChatCommand::Keluargrup(_))) if may_manage_groups(member) => {
            ctx.app
                .group_removed(chat.id(), member.telegram_user_id, "asked to leave")
                .await?;
            leave(bot, chat.id());
            return Ok(());
        }
        Some(Typed::Command(ChatCommand::Keluargrup(_))) => {
            GroupMessage::Notice(GroupNotice::OnlyLeaders)
        }
        Some(_) => GroupMessage::Notice(GroupNotice::PrivateOnly),
    };
    ctx.app.post_to_group(chat, key("group"), message).await?;
    Ok(())
}
