//! The messages corrections call for: a participant told of a corrected
//! result (only once they had been told the first), and the notice that a
//! batch was cancelled.

use chrono::{DateTime, Utc};

use super::participants::{participant_view, to_participant};
use super::views::{BatchCancelledNotice, DecreeFacts, ResultCorrectionNotice};
use super::*;
use crate::domain::{Competence, ParticipantId, Role};
use crate::workflow::{BatchState, StepState};

/// A corrected result, as the participant is told it.
pub(super) struct Correction<'a> {
    pub participant: ParticipantId,
    pub from: Competence,
    pub to: Competence,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// The email to a participant whose result, already told, was corrected:
/// what it was, what it is, and why. One per correction.
pub(super) fn result_correction(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    correction: &Correction<'_>,
) {
    let Some(p) = audience.participants.get(&correction.participant) else {
        return;
    };
    let notice = ResultCorrectionNotice {
        batch: batch_view(audience.batch),
        participant: participant_view(p),
        from: correction.from.code().to_string(),
        to: correction.to.code().to_string(),
        reason: correction.reason.to_string(),
        decree: state.decree.as_ref().map(|d| DecreeFacts {
            number: d.number.clone(),
            date: d.date.to_string(),
        }),
    };
    let key = format!(
        "b{}:result-correction:p{}:{}",
        state.id.0,
        p.id,
        correction.at.timestamp_millis()
    );
    let message = Message::ResultCorrection(notice);
    plan.messages.push(to_participant(state, p, key, message));
}

/// Everyone with an open task (the people of each active step, and those
/// who make its entry), Ketua LSP and Kabag Sertifikasi hear that the batch
/// was cancelled and why.
pub(super) fn batch_cancelled(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    reason: &str,
) {
    let open: Vec<&crate::sop::Step> = state
        .procedure
        .steps
        .iter()
        .filter(|s| state.run(s.no).state == StepState::Active)
        .collect();
    let notice = BatchCancelledNotice {
        batch: batch_view(audience.batch),
        reason: reason.to_string(),
        open_steps: open.iter().map(|s| step_view(s)).collect(),
    };
    let told = |m: &Member| {
        m.roles.contains(&Role::KetuaLsp)
            || m.roles.contains(&Role::KabagSertifikasi)
            || open
                .iter()
                .any(|s| !m.roles.is_disjoint(&s.roles) || !m.roles.is_disjoint(&s.entry_roles))
    };
    for member in holders(audience, &told) {
        let key = format!("b{}:cancelled:m{}", state.id.0, member.id);
        let message = Message::BatchCancelled(notice.clone());
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}
