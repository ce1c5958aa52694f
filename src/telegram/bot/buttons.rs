//! Button presses: each is authorized again on the server, and answered
//! (answerCallbackQuery) once what it did is committed; in a group only
//! the plain marks.

use serde_json::{Value, json};
use teloxide::prelude::*;

use crate::app::{AppError, Via};
use crate::domain::{BatchId, Competence, Member, TelegramUserId};
use crate::telegram::callback::Button;
use crate::telegram::conversation::Awaiting;
use crate::workflow::{Actor, Command, Decision, ReceiptVia, Refusal};

use super::*;
use crate::domain::ParticipantId;
use crate::sop::RecordKind;
use crate::workflow::Intent;

pub(super) async fn on_callback(
    bot: Bot,
    update: Update,
    query: CallbackQuery,
    ctx: Ctx,
) -> HandlerResult {
    let update_id = i64::from(update.id.0);
    let user = user_id(&query.from);
    // The chat the button sat in, even when the message itself is too old
    // to read; without a message (an inline button) the presser's own chat.
    let message = query.message.as_ref();
    let chat = message.map_or(user.0, |m| m.chat().id.0);
    let private = message.is_none_or(|m| is_private(m.chat()));
    let pressed_on = message.map(|m| format!("msg:{}:{}", m.chat().id.0, m.id().0));
    // The pop-up is answered once the press's work is committed (never
    // for work rolled back: the press is handled again, and answered then).
    let toast = |text: String, alert: bool| {
        let bot = bot.clone();
        let id = query.id.clone();
        crate::store::unit::when_committed(move || {
            tokio::spawn(async move {
                // An answer that fails (the query expired) changes nothing recorded.
                let _ = bot
                    .answer_callback_query(id)
                    .text(crate::telegram::html::pop_up(&text))
                    .show_alert(alert)
                    .await;
            });
        });
    };
    let Some(member) = ctx.app.member_by_telegram(user).await? else {
        ctx.app.stranger_refused(user, "button").await?;
        toast(ctx.phrase("not_registered", json!({})), true);
        return Ok(());
    };
    ctx.app.member_seen(member.id).await?;
    let Some(button) = query.data.as_deref().and_then(|d| d.parse::<Button>().ok()) else {
        toast(ctx.phrase("unknown_button", json!({})), true);
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
        // A step done already is news, not a mistake: a note like a repeat's.
        Err(e @ AppError::Refused(Refusal::StepAlreadyDone { .. })) => {
            (ctx.reading(&e, update_id), false)
        }
        // A failure of ours: nothing of the press is kept, and it is
        // handled again.
        Err(e) if !e.is_users_to_fix() => return Err(e.into()),
        Err(e) => (ctx.reading(&e, update_id), true),
    };
    toast(text, alert);
    Ok(())
}

/// One button press by a registered member.
pub(super) struct Press<'a> {
    pub(super) ctx: &'a BotContext,
    pub(super) user: TelegramUserId,
    pub(super) member: &'a Member,
    pub(super) staff: &'a Actor,
    pub(super) chat: i64,
    pub(super) private: bool,
    pub(super) update_id: i64,
    /// The message the button sat on, as an edit target.
    pub(super) pressed_on: Option<String>,
}

impl Press<'_> {
    pub(super) async fn act(
        &self,
        batch: BatchId,
        commands: Vec<Command>,
    ) -> Result<Vec<Decision>, AppError> {
        self.ctx
            .app
            .act(batch, self.staff, &commands, Via::Telegram)
            .await
    }

    /// Refused unless the member may do `intent` on the batch now.
    pub(super) async fn may(&self, batch: BatchId, intent: Intent) -> Result<(), AppError> {
        self.ctx.app.may(batch, self.staff, intent).await
    }

    /// Starts a conversation and asks its first question.
    async fn ask(&self, awaiting: Awaiting, context: Value) -> Result<String, AppError> {
        self.ctx
            .app
            .set_conversation(self.user, self.chat, Some(&awaiting))
            .await?;
        let text = self.ctx.phrase(awaiting.prompt(), context);
        self.ctx
            .say_text(
                self.chat,
                Some(self.member),
                format!("u{}:ask", self.update_id),
                text.clone(),
            )
            .await?;
        Ok(text)
    }

    pub(super) fn phrase(&self, key: &str, context: Value) -> String {
        self.ctx.phrase(key, context)
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
            Button::Done { batch, step } => self.done(batch, step).await,
            Button::Problem { batch, step } => {
                self.may(batch, Intent::ReportProblem { step }).await?;
                self.ask(
                    Awaiting::ProblemText { batch, step },
                    json!({"step": step.0}),
                )
                .await
            }
            Button::Meeting { batch } => {
                self.may(batch, Intent::SetMeeting).await?;
                self.ask(
                    Awaiting::MeetingDate {
                        batch,
                        moving: false,
                    },
                    json!({}),
                )
                .await
            }
            Button::Attend { batch } => self.attend(batch).await,
            Button::Absent { batch } => {
                self.may(batch, Intent::Rsvp).await?;
                self.ask(Awaiting::AbsenceReason { batch }, json!({})).await
            }
            Button::Decree { batch } => {
                self.may(batch, Intent::EnterNow(RecordKind::Decree))
                    .await?;
                self.ask(Awaiting::DecreeNumber { batch }, json!({})).await
            }
            Button::Blanks { batch } => self.blanks(batch).await,
            Button::Results { batch } => self.results(batch).await,
            Button::ResultsPage { batch, page } => self.results_page(batch, page).await,
            Button::Verdict {
                batch,
                participant,
                result,
            } => self.verdict(batch, participant, result).await,
            Button::Handovers { batch } => {
                self.may(batch, Intent::Enter(RecordKind::Receipts)).await?;
                self.show_handovers(batch, None).await
            }
            Button::Start { batch } => self.start(batch).await,
            Button::Attendance { batch } => self.attendance(batch).await,
            Button::MarkPresent {
                batch,
                member,
                present,
            } => self.mark_present(batch, member, present).await,
            Button::OpenHandover { batch, participant } => {
                self.open_handover(batch, participant).await
            }
            Button::Receipt { batch, participant } => self.receipt(batch, participant).await,
            Button::Courier { batch, participant } => {
                self.ask_receipt_detail(batch, participant, true).await
            }
            Button::Proxy { batch, participant } => {
                self.ask_receipt_detail(batch, participant, false).await
            }
        }
    }

    /// "Hadir": the member comes to the meeting.
    async fn attend(&self, batch: BatchId) -> Result<String, AppError> {
        let rsvp = Command::Rsvp {
            attend: true,
            reason: None,
        };
        let decisions = self.act(batch, vec![rsvp]).await?;
        Ok(self.recorded(&decisions, "rsvp_attend", json!({})))
    }

    /// A page turn on the K/BK keyboard: the same message shows the page.
    async fn results_page(&self, batch: BatchId, page: u32) -> Result<String, AppError> {
        self.may(batch, Intent::Enter(RecordKind::Results)).await?;
        let (page, pages) = self
            .show_results(batch, self.pressed_on.clone(), page)
            .await?;
        Ok(self.phrase("results_page", json!({"page": page, "pages": pages})))
    }

    /// "Mulai": a new batch starts; its first steps' tasks go out.
    async fn start(&self, batch: BatchId) -> Result<String, AppError> {
        let decision = self
            .ctx
            .app
            .start_batch(batch, self.staff, Via::Telegram)
            .await?;
        Ok(self.recorded(&[decision], "batch_started", json!({"batch": batch.0})))
    }

    /// "Selesai": the step is done once every role that finishes it has.
    async fn done(&self, batch: BatchId, step: crate::sop::StepNo) -> Result<String, AppError> {
        let decisions = self.act(batch, vec![Command::MarkDone { step }]).await?;
        let completed = decisions.iter().flat_map(|d| &d.events).any(
            |e| matches!(e, crate::workflow::Event::StepCompleted { step: s, .. } if *s == step),
        );
        let phrase = if completed {
            "recorded_done"
        } else {
            "recorded_done_waiting"
        };
        Ok(self.recorded(&decisions, phrase, json!({"step": step.0})))
    }

    /// "Isi nomor blangko": asks for the numbers of the K participants still without one.
    async fn blanks(&self, batch: BatchId) -> Result<String, AppError> {
        self.may(batch, Intent::Enter(RecordKind::BlankNumbers))
            .await?;
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let waiting = state
            .participants
            .values()
            .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
            .count();
        if waiting > 0 {
            self.may(batch, Intent::EnterNow(RecordKind::BlankNumbers))
                .await?;
        }
        self.ask(Awaiting::BlankNumbers { batch }, json!({"count": waiting}))
            .await
    }

    /// "Isi hasil K/BK": the keyboard's first page, and a results file is awaited.
    async fn results(&self, batch: BatchId) -> Result<String, AppError> {
        self.may(batch, Intent::EnterNow(RecordKind::Results))
            .await?;
        self.show_results(batch, None, 1).await?;
        let awaiting = Awaiting::ResultsFile {
            batch,
            keyboard: Some(format!("u{}:results", self.update_id)),
        };
        self.ctx
            .app
            .set_conversation(self.user, self.chat, Some(&awaiting))
            .await?;
        Ok(self.phrase("results_title", json!({"batch": batch.0})))
    }

    /// K or BK for one participant; the keyboard's page is edited to show it.
    async fn verdict(
        &self,
        batch: BatchId,
        participant: ParticipantId,
        result: Competence,
    ) -> Result<String, AppError> {
        self.private_only()?;
        let command = Command::RecordResult {
            participant,
            result,
        };
        let decisions = self.act(batch, vec![command]).await?;
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let index = state
            .participants
            .keys()
            .position(|p| *p == participant)
            .unwrap_or(0);
        let page = u32::try_from(index / crate::notify::reports::RESULTS_PAGE + 1).unwrap_or(1);
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

    /// "Buka": the participant arrived; the handover's clock starts and the
    /// list is edited to offer the ways to record the receipt.
    async fn open_handover(
        &self,
        batch: BatchId,
        participant: ParticipantId,
    ) -> Result<String, AppError> {
        self.private_only()?;
        let decisions = self
            .act(batch, vec![Command::OpenHandover { participant }])
            .await?;
        self.show_handovers(batch, self.pressed_on.clone()).await?;
        let name = self.ctx.app.participant_name(batch, participant).await?;
        Ok(self.recorded(&decisions, "handover_opened", json!({"name": name})))
    }

    /// "Kurir" or "Kuasa": asks for the tracking number or the
    /// representative's name; the answer records the receipt.
    async fn ask_receipt_detail(
        &self,
        batch: BatchId,
        participant: ParticipantId,
        courier: bool,
    ) -> Result<String, AppError> {
        self.private_only()?;
        self.may(batch, Intent::Enter(RecordKind::Receipts)).await?;
        let name = self.ctx.app.participant_name(batch, participant).await?;
        let awaiting = if courier {
            Awaiting::TrackingNo { batch, participant }
        } else {
            Awaiting::RepresentativeName { batch, participant }
        };
        self.ask(awaiting, json!({"name": name})).await
    }

    /// "Terima": the participant's receipt; the handover list is edited.
    async fn receipt(
        &self,
        batch: BatchId,
        participant: ParticipantId,
    ) -> Result<String, AppError> {
        self.private_only()?;
        let decisions = self
            .act(
                batch,
                vec![Command::RecordReceipt {
                    participant,
                    via: ReceiptVia::InPerson,
                }],
            )
            .await?;
        self.show_handovers(batch, self.pressed_on.clone()).await?;
        let name = self.ctx.app.participant_name(batch, participant).await?;
        Ok(self.recorded(
            &decisions,
            "receipt_set",
            // In person there is no tracking number or representative.
            json!({"name": name, "via": "in_person", "detail": null}),
        ))
    }

    pub(super) fn recorded(&self, decisions: &[Decision], phrase: &str, context: Value) -> String {
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
}
