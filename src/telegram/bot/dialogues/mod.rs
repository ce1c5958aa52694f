//! A typed answer in a conversation, routed by what the bot waits for
//! ([`Awaiting`]): one function per state, in a file per conversation —
//! [`meeting`] (date, time, place; moving and cancelling), [`decree`]
//! (number, date), [`blanks`] (blank numbers), [`new_batch`] (scheme,
//! date, place), [`reasons`] (a problem report, an absence), [`receipts`]
//! (a courier's tracking number, a representative's name).

mod blanks;
mod decree;
mod meeting;
mod new_batch;
mod reasons;
mod receipts;

use serde_json::{Value, json};

use super::{BotContext, actor, finish};
use crate::app::{AppError, Via};
use crate::domain::{BatchId, Member, TelegramUserId};
use crate::telegram::conversation::Awaiting;
use crate::workflow::{Command, Decision, ReceiptVia};

/// One typed answer: who wrote it, where, and in answer to which update.
pub(super) struct Dialogue<'a> {
    ctx: &'a BotContext,
    chat: i64,
    user: TelegramUserId,
    member: &'a Member,
    update_id: i64,
}

impl Dialogue<'_> {
    /// The outbox key of this answer's reply `what`.
    fn key(&self, what: &str) -> String {
        format!("u{}:{what}", self.update_id)
    }

    /// Moves the conversation on to `state` and asks its question.
    async fn next(&self, state: Awaiting) -> Result<(), AppError> {
        self.ctx
            .app
            .set_conversation(self.user, self.chat, Some(&state))
            .await?;
        self.say(state.prompt(), "ask", json!({})).await
    }

    /// Ends the conversation.
    async fn done(&self) -> Result<(), AppError> {
        self.ctx
            .app
            .set_conversation::<Awaiting>(self.user, self.chat, None)
            .await
    }

    /// Runs commands on a batch as this member.
    async fn act(&self, batch: BatchId, commands: Vec<Command>) -> Result<Vec<Decision>, AppError> {
        self.ctx
            .app
            .act(batch, &actor(self.member), &commands, Via::Telegram)
            .await
    }

    /// Replies with a phrase.
    async fn say(&self, phrase: &str, what: &str, context: Value) -> Result<(), AppError> {
        self.ctx
            .say_phrase(
                self.chat,
                Some(self.member),
                self.key(what),
                phrase,
                context,
            )
            .await
    }

    /// Replies with `phrase` when `result` was accepted, else explains why not.
    async fn finish(
        &self,
        what: &str,
        result: Result<Vec<Decision>, AppError>,
        phrase: &str,
        context: Value,
    ) -> Result<(), AppError> {
        finish(
            self.ctx,
            self.chat,
            self.member,
            self.key(what),
            result,
            phrase,
            context,
        )
        .await
    }
}

/// A typed answer in a conversation.
pub(super) async fn answer(
    ctx: &BotContext,
    chat: i64,
    user: TelegramUserId,
    member: &Member,
    awaiting: Awaiting,
    text: &str,
    update_id: i64,
) -> Result<(), AppError> {
    let d = Dialogue {
        ctx,
        chat,
        user,
        member,
        update_id,
    };
    match awaiting {
        Awaiting::ProblemText { batch, step } => reasons::problem(&d, batch, step, text).await,
        Awaiting::AbsenceReason { batch } => reasons::absence(&d, batch, text).await,
        Awaiting::MeetingDate { batch, moving } => meeting::date(&d, batch, moving, text).await,
        Awaiting::MeetingTime {
            batch,
            date,
            moving,
        } => meeting::time(&d, batch, date, moving, text).await,
        Awaiting::MeetingPlace {
            batch,
            starts_at,
            moving,
        } => meeting::place(&d, batch, starts_at, moving, text).await,
        Awaiting::CancelReason { batch } => meeting::cancel_reason(&d, batch, text).await,
        Awaiting::DecreeNumber { batch } => decree::number(&d, batch, text).await,
        Awaiting::DecreeDate { batch, number } => decree::date(&d, batch, number, text).await,
        // These wait for a file; a typed text gets the hint.
        Awaiting::ResultsFile { .. } => d.say("results_file_hint", "hint", json!({})).await,
        Awaiting::ParticipantsFile { .. } => {
            d.say("ask_participants_file", "hint", json!({})).await
        }
        Awaiting::NewBatchScheme => new_batch::scheme(&d, text).await,
        Awaiting::NewBatchDate { scheme } => new_batch::date(&d, scheme, text).await,
        Awaiting::NewBatchPlace { scheme, date } => new_batch::place(&d, scheme, date, text).await,
        Awaiting::BlankNumbers { batch } => blanks::numbers(&d, batch, text).await,
        Awaiting::TrackingNo { batch, participant } => {
            let via = ReceiptVia::Courier {
                tracking_no: text.to_string(),
            };
            receipts::detail(&d, batch, participant, via).await
        }
        Awaiting::RepresentativeName { batch, participant } => {
            let via = ReceiptVia::Representative {
                name: text.to_string(),
            };
            receipts::detail(&d, batch, participant, via).await
        }
    }
}
