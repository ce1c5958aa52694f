//! Documents sent to the bot in a conversation: participant lists, results
//! and blank-number files, downloaded within bounds and read all or nothing.

use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::User;

use crate::app::Via;
use crate::telegram::conversation::Awaiting;

use super::*;

/// What a document sent in a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    Participants,
    Results,
    BlankNumbers,
}

/// The largest file the bot reads.
pub(super) const MAX_FILE_BYTES: u32 = 5 * 1024 * 1024;

/// A document sent to the bot: a results file, when the sender is in the
/// results conversation, in a private chat.
pub(super) async fn document_sent(
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
    let awaiting: Option<Awaiting> = ctx.app.conversation(user, chat).await?;
    let mut keyboard = None;
    let (batch, kind) = match awaiting {
        Some(Awaiting::ResultsFile {
            batch,
            keyboard: shown,
        }) => {
            keyboard = shown;
            (batch, FileKind::Results)
        }
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
    let Some(bytes) = fetch(bot, ctx, chat, &member, document, update_id).await? else {
        return Ok(());
    };
    let read = File {
        batch,
        kind,
        bytes: &bytes,
        keyboard,
    };
    read.record(ctx, chat, user, &member, update_id).await
}

/// Downloads a document within bounds; `None` (the sender told why) when
/// it is larger than it said or cannot be fetched.
async fn fetch(
    bot: &Bot,
    ctx: &BotContext,
    chat: i64,
    member: &Member,
    document: &teloxide::types::Document,
    update_id: i64,
) -> anyhow::Result<Option<Vec<u8>>> {
    let key = format!("u{update_id}:file");
    let phrase = match download(bot, document).await {
        Ok(Some(bytes)) => return Ok(Some(bytes)),
        // The file was larger than it said: refused like a large one.
        Ok(None) => "file_too_large",
        Err(e) => {
            let e =
                crate::limits::clip(&crate::logging::redact(&e), crate::limits::MAX_LOGGED_ERROR);
            tracing::error!(error = %e, "cannot download a document from Telegram");
            "failure"
        }
    };
    ctx.say_phrase(chat, Some(member), key, phrase, json!({}))
        .await?;
    Ok(None)
}

/// A file read in a conversation: what it is for, and its bytes.
struct File<'a> {
    batch: crate::domain::BatchId,
    kind: FileKind,
    bytes: &'a [u8],
    /// The K/BK keyboard shown before a results file, edited to show it.
    keyboard: Option<String>,
}

impl File<'_> {
    /// Records the file (all or nothing) and answers: the new batch's
    /// start button, how many entries were set, or why nothing was.
    async fn record(
        &self,
        ctx: &BotContext,
        chat: i64,
        user: TelegramUserId,
        member: &Member,
        update_id: i64,
    ) -> HandlerResult {
        let (batch, kind, bytes) = (self.batch, self.kind, self.bytes);
        let key = |what: &str| format!("u{update_id}:{what}");
        let who = actor(member);
        let outcome = match kind {
            FileKind::Participants => {
                ctx.app
                    .import_participants(batch, bytes, &who, Via::Telegram)
                    .await
            }
            FileKind::Results => {
                ctx.app
                    .record_results_file(batch, &who, bytes, Via::Telegram)
                    .await
            }
            FileKind::BlankNumbers => {
                ctx.app
                    .record_blank_numbers_file(batch, &who, bytes, Via::Telegram)
                    .await
            }
        };
        let text = match outcome {
            Ok(count) if kind == FileKind::Participants => {
                ctx.app
                    .set_conversation::<Awaiting>(user, chat, None)
                    .await?;
                let ready = notify::Message::BatchReady(views::BatchReady {
                    batch: views::BatchRef { id: batch.0 },
                    count,
                });
                ctx.say(chat, Some(member), key("file"), ready, None)
                    .await?;
                return Ok(());
            }
            Ok(count) => {
                ctx.app
                    .set_conversation::<Awaiting>(user, chat, None)
                    .await?;
                let phrase = if kind == FileKind::Results {
                    self.show_recorded_results(ctx, chat, member, update_id)
                        .await?;
                    "results_file_set"
                } else {
                    "blanks_file_set"
                };
                ctx.phrase(phrase, json!({"count": count}))
            }
            Err(e) if !e.is_users_to_fix() => return Err(e.into()),
            Err(e) => ctx.reading(&e, update_id),
        };
        ctx.say_text(chat, Some(member), key("file"), text).await?;
        Ok(())
    }

    /// After a results file: the K/BK keyboard shown before it is edited
    /// to show what the file recorded.
    async fn show_recorded_results(
        &self,
        ctx: &BotContext,
        chat: i64,
        member: &Member,
        update_id: i64,
    ) -> HandlerResult {
        let Some(keyboard) = &self.keyboard else {
            return Ok(());
        };
        let (_, state, _) = ctx.app.batch(self.batch).await?;
        let (page, _, _) = notify::reports::results_page(&state, 1);
        let message = notify::Message::ResultsKeyboard(page);
        let key = format!("u{update_id}:results-edit");
        ctx.say(chat, Some(member), key, message, Some(keyboard.clone()))
            .await?;
        Ok(())
    }
}

/// Downloads a document sent to the bot, reading at most [`MAX_FILE_BYTES`]
/// whatever size it claimed; `None` when it is larger.
pub(super) async fn download(
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
