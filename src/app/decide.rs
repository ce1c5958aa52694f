//! One unit of work on a batch: load its state, ask the workflow, and
//! write the state, audit rows, outbox rows and due times together, or,
//! for a refusal, only the recorded attempt.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audience::Addressees;
use super::*;
use crate::domain::BatchId;
use crate::notify;
use crate::store::{AuditEntry, Store, Tx};
use crate::workflow::{self, Actor, BatchState, Command, Decision};

impl App {
    /// Whether `actor` may do `intent` on a batch now (the bot asks before
    /// it starts a conversation or shows a list that ends in a command):
    /// the workflow's one answer, without recording anything.
    ///
    /// # Errors
    /// `Rejected` for no such batch, `Refused` with the refusal.
    pub async fn may(
        &self,
        batch: BatchId,
        actor: &Actor,
        intent: workflow::Intent,
    ) -> Result<(), AppError> {
        let (_, state, _) = self.batch(batch).await?;
        workflow::may(&state, actor, intent, self.now(), &self.config.calendar)
            .map_err(AppError::Refused)
    }

    /// Commits an accepted run; for a refusal, rolls back and records the attempt.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish(
        &self,
        tx: Tx,
        batch: BatchId,
        actor: &Actor,
        commands: &[Command],
        via: Via,
        now: DateTime<Utc>,
        outcome: Result<Vec<Decision>, AppError>,
    ) -> Result<Vec<Decision>, AppError> {
        match outcome {
            Ok(decisions) => {
                tx.commit().await?;
                self.changed();
                Ok(decisions)
            }
            Err(AppError::Refused(refusal)) => {
                tx.rollback().await?;
                let mut tx = self.store.begin().await?;
                let (who, member) = actor_of(actor);
                Store::audit(
                    &mut tx,
                    &[AuditEntry {
                        channel: via.as_str(),
                        actor: who,
                        member,
                        telegram_user: None,
                        batch: Some(batch),
                        action: "refused".into(),
                        detail: json!({"commands": commands, "refusal": refusal}),
                    }],
                    now,
                )
                .await?;
                tx.commit().await?;
                Err(AppError::Refused(refusal))
            }
            Err(other) => Err(other),
        }
    }

    /// Applies commands in order and writes everything they cause.
    pub(super) async fn run(
        &self,
        tx: &mut Tx,
        mut state: BatchState,
        actor: &Actor,
        commands: &[Command],
        via: Via,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, AppError> {
        let mut decisions = Vec::with_capacity(commands.len());
        for command in commands {
            let decision =
                workflow::execute(&mut state, actor, command, now, &self.config.calendar)
                    .map_err(AppError::Refused)?;
            decisions.push(decision);
        }
        let events: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.events.iter().cloned())
            .collect();
        let effects: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.effects.iter().cloned())
            .collect();
        if events.is_empty() {
            return Ok(decisions);
        }
        Store::record(tx, &state, &events, &effects, now).await?;
        self.queue_messages(tx, &state, &effects, now).await?;
        self.remind_invitees(tx, &state, &effects, now).await?;
        let (who, member) = actor_of(actor);
        let entries: Vec<AuditEntry> = events
            .iter()
            .map(|e| AuditEntry {
                channel: via.as_str(),
                actor: who,
                member,
                telegram_user: None,
                batch: Some(state.id),
                action: e.name().into(),
                detail: e.audit_detail(),
            })
            .collect();
        Store::audit(tx, &entries, now).await?;
        Ok(decisions)
    }

    /// Queues the messages and group posts `effects` call for, in the
    /// caller's transaction.
    async fn queue_messages(
        &self,
        tx: &mut Tx,
        state: &BatchState,
        effects: &[workflow::Effect],
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let to = Addressees::load(tx, state.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("there is no batch {}", state.id)))?;
        let groups = Store::groups(tx).await?;
        // Letter numbers only where a message cites one (a BK receipt).
        let letters = if effects
            .iter()
            .any(|e| matches!(e, workflow::Effect::ReceiptConfirmation { .. }))
        {
            Store::document_numbers(tx, state.id).await?
        } else {
            crate::documents::Numbers::new()
        };
        let audience = to.audience(&self.config.calendar, &groups, &letters);
        let plan = notify::plan(state, effects, &audience);
        Store::enqueue(tx, &plan.messages, now).await?;
        Store::enqueue_posts(tx, &plan.posts, now).await?;
        Ok(())
    }

    /// Sets the reminder to the invitees who have not answered, before the
    /// meeting, when the invitation (or a new time) went out.
    async fn remind_invitees(
        &self,
        tx: &mut Tx,
        state: &BatchState,
        effects: &[workflow::Effect],
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let invitation_out = effects.iter().any(|e| {
            matches!(
                e,
                workflow::Effect::MeetingInvitation
                    | workflow::Effect::MeetingChanged {
                        cancelled: false,
                        ..
                    }
            )
        });
        if invitation_out && let Some(meeting) = &state.meeting {
            // Invitees who have not answered are reminded before the meeting.
            let at = meeting.starts_at - self.config.rsvp_reminder_lead;
            if at > now {
                crate::store::timers::set::<sqlx::Sqlite>(
                    tx,
                    &format!(
                        "b{}:rsvp-reminder:s{}",
                        state.id, state.meeting_changes.sequence
                    ),
                    Some(state.id),
                    "rsvp_reminder",
                    at,
                )
                .await?;
            }
        }
        Ok(())
    }
}
