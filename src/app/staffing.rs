//! Keeping the open tasks staffed when the staff list changes: a member who
//! gains a role (new, reactivated, or given it) is handed the cards of the
//! open steps of that role in every running batch; when a deactivation or a
//! role taken away leaves an open step with no one of a role that finishes
//! it, Ketua LSP and Kabag Sertifikasi are told.

use chrono::{DateTime, Utc};

use super::audience::Addressees;
use super::{App, AppError};
use crate::notify::views::UnstaffedStep;
use crate::notify::{self, Message, Outgoing};
use crate::store::{Store, Tx};
use crate::workflow::{BatchState, Effect, StepState};

impl App {
    /// Sends the card of every open step to each active member of its
    /// roles who has not had it (a card already sent is not sent again).
    pub(super) async fn hand_open_tasks(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        for (_, state) in Store::running_batches(tx).await? {
            let effects: Vec<Effect> = state
                .procedure
                .steps
                .iter()
                .filter(|s| state.run(s.no).state == StepState::Active)
                .map(|s| Effect::StepTask { step: s.no })
                .collect();
            if effects.is_empty() {
                continue;
            }
            let messages = self.plan_for(tx, &state, &effects).await?;
            Store::enqueue(tx, &messages, now).await?;
        }
        Ok(())
    }

    /// Tells Ketua LSP and Kabag Sertifikasi of each open step that no
    /// active member can finish any more.
    pub(super) async fn report_unstaffed(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let members = Store::members(tx).await?;
        let supervisors: Vec<_> = members
            .iter()
            .filter(|m| {
                m.roles.contains(&crate::domain::Role::KetuaLsp)
                    || m.roles.contains(&crate::domain::Role::KabagSertifikasi)
            })
            .collect();
        let mut messages = Vec::new();
        for (info, state) in Store::running_batches(tx).await? {
            for step in &state.procedure.steps {
                let open = state.run(step.no).state == StepState::Active;
                let missing: Vec<String> = step
                    .done_by
                    .iter()
                    .filter(|role| !members.iter().any(|m| m.roles.contains(role)))
                    .map(|role| role.title().to_string())
                    .collect();
                if !open || missing.is_empty() {
                    continue;
                }
                let notice = UnstaffedStep {
                    batch: notify::group::BatchFacts::of(&info),
                    step: notify::group::StepFacts::of(step),
                    roles: missing,
                };
                for to in &supervisors {
                    let key = format!(
                        "b{}:s{}:unstaffed:{}:m{}",
                        state.id.0,
                        step.no,
                        now.timestamp_millis(),
                        to.id
                    );
                    let message = Message::UnstaffedStep(notice.clone());
                    messages.push(Outgoing::to_member(key, Some(state.id), to.id, message));
                }
            }
        }
        Store::enqueue(tx, &messages, now).await?;
        Ok(())
    }

    /// The messages `effects` call for in `state`, planned as the workflow's are.
    async fn plan_for(
        &self,
        tx: &mut Tx,
        state: &BatchState,
        effects: &[Effect],
    ) -> Result<Vec<Outgoing>, AppError> {
        let Some(to) = Addressees::load(tx, state.id).await? else {
            return Ok(Vec::new());
        };
        Ok(notify::plan(state, effects, &to.private(&self.config.calendar)).messages)
    }
}
