//! The handover's messages to staff and the reminder to participants: which
//! documents just became ready (to those who hand them over), one reminder
//! email to a participant who has not collected theirs, and the notice that
//! a batch is finished with its lead time.

use super::participants::{participant_view, participant_with_result, to_participant};
use super::views::{BatchFinished, CardParticipant, HandoverNotice, HandoversReady};
use super::*;
use crate::domain::{Competence, ParticipantId, Role};
use crate::sop::RecordKind;
use crate::workflow::{BatchState, ReceiptVia};

/// Tells those who hand documents over (the receipts step's entry roles)
/// which participants' documents became ready in this decision.
pub(super) fn handovers_ready(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    ready: &[ParticipantId],
) {
    let Some(step) = state.procedure.step_recording(RecordKind::Receipts) else {
        return;
    };
    let participants: Vec<CardParticipant> = ready
        .iter()
        .filter_map(|id| {
            let (p, result) = participant_with_result(state, audience, *id)?;
            Some(CardParticipant {
                name: p.name.clone(),
                registration_no: p.registration_no.clone(),
                result: Some(result.code().to_string()),
                blank_number: state.participants.get(id)?.blank_number.clone(),
                handover: Some("ready".into()),
            })
        })
        .collect();
    if participants.is_empty() {
        return;
    }
    let (listed, tally) = super::views::ParticipantTally::screenful(participants);
    let b = state.id.0;
    let first = ready.first().map_or(0, |p| p.0);
    // When they became ready: a participant ready again after a correction
    // makes a new notice.
    let at = ready
        .first()
        .and_then(|p| state.participants.get(p))
        .and_then(|p| p.handover.ready_at)
        .map_or(0, |t| t.timestamp_millis());
    for member in holders(audience, &|m| !m.roles.is_disjoint(&step.entry_roles)) {
        let key = format!("b{b}:ready:{at}:p{first}:n{}:m{}", ready.len(), member.id);
        let message = Message::HandoversReady(HandoversReady {
            batch: batch_view(audience.batch),
            participants: listed.clone(),
            tally: tally.clone(),
        });
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}

/// The one reminder to a participant who has not collected their document,
/// by email; none when they have (or have no result).
pub fn collect_reminder(
    state: &BatchState,
    audience: &Audience<'_>,
    participant: ParticipantId,
) -> Option<Outgoing> {
    let (p, result) = participant_with_result(state, audience, participant)?;
    let record = state.participants.get(&participant)?;
    if record.handover.received_at.is_some() {
        return None;
    }
    let message = Message::CollectReminder(HandoverNotice {
        batch: batch_view(audience.batch),
        participant: participant_view(p),
        result: result.code().to_string(),
        blank_number: record.blank_number.clone(),
        reminder: true,
        ready_on: record.handover.ready_at.map(|at| {
            at.with_timezone(&audience.calendar.tz)
                .date_naive()
                .to_string()
        }),
    });
    // Per verdict: a corrected participant's new document gets its own reminder.
    let key = format!(
        "b{}:collect-reminder:p{}:{}",
        state.id.0,
        p.id,
        result.code()
    );
    Some(to_participant(state, p, key, message))
}

/// Ketua LSP and Kabag Sertifikasi hear that every receipt is in, with the
/// lead time from the assessment to the last receipt.
pub(super) fn batch_finished(state: &BatchState, audience: &Audience<'_>, plan: &mut Plan) {
    let last = state
        .participants
        .values()
        .filter_map(|p| p.handover.received_at)
        .max();
    let Some(last) = last else {
        return;
    };
    let calendar = audience.calendar;
    let last_day = last.with_timezone(&calendar.tz).date_naive();
    let assessed = audience.batch.assessed_on;
    let count = |f: &dyn Fn(&crate::workflow::ParticipantState) -> bool| {
        state.participants.values().filter(|p| f(p)).count()
    };
    let notice = BatchFinished {
        batch: batch_view(audience.batch),
        finished_at: when(last),
        lead_days: (last_day - assessed).num_days().max(0),
        lead_working_days: calendar.working_days_between(assessed, last_day),
        participants: state.participants.len(),
        k: count(&|p| p.result == Some(Competence::Kompeten)),
        bk: count(&|p| p.result == Some(Competence::BelumKompeten)),
        by_courier: count(&|p| matches!(p.handover.via, Some(ReceiptVia::Courier { .. }))),
        by_representative: count(&|p| {
            matches!(p.handover.via, Some(ReceiptVia::Representative { .. }))
        }),
    };
    let b = state.id.0;
    super::documents::with_finish(state, audience, plan);
    for member in holders(audience, &|m| {
        m.roles.contains(&Role::KetuaLsp) || m.roles.contains(&Role::KabagSertifikasi)
    }) {
        let key = format!("b{b}:finished:m{}", member.id);
        let message = Message::BatchFinished(notice.clone());
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}
