//! Participants' emails: their own result, the handover notice, the
//! receipt confirmation.

use super::views::{DecreeFacts, HandoverNotice, ParticipantFacts, ReceiptNotice, ResultNotice};

use super::*;
use crate::domain::{Competence, Participant, ParticipantId};
use crate::sop::RecordKind;
use crate::workflow::BatchState;

/// A participant's own result (K or BK), by email.
pub(super) fn result_notice(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    participant: ParticipantId,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some((p, result)) = participant_with_result(state, audience, participant) else {
        return;
    };
    let notice = ResultNotice {
        batch,
        participant: participant_view(p),
        result: result.code().to_string(),
        decree: state.decree.as_ref().map(|d| DecreeFacts {
            number: d.number.clone(),
            date: d.date.to_string(),
        }),
        working_days_until_ready: working_days_until_ready(state, result),
    };
    let message = match result {
        Competence::Kompeten => Message::ResultK(notice),
        Competence::BelumKompeten => Message::ResultBk(notice),
    };
    let key = format!("b{b}:result:p{}", p.id);
    plan.messages.push(to_participant(state, p, key, message));
}

/// A participant's document is ready to collect, by email.
pub(super) fn handover_notice(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    participant: ParticipantId,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some((p, result)) = participant_with_result(state, audience, participant) else {
        return;
    };
    let record = state.participants.get(&participant);
    let message = Message::HandoverNotice(HandoverNotice {
        batch,
        participant: participant_view(p),
        result: result.code().to_string(),
        blank_number: record.and_then(|r| r.blank_number.clone()),
        reminder: false,
        ready_on: record.and_then(|r| r.handover.ready_at).map(|at| {
            at.with_timezone(&audience.calendar.tz)
                .date_naive()
                .to_string()
        }),
    });
    // Per verdict: a corrected participant's new document gets its own notice.
    let key = format!("b{b}:handover:p{}:{}", p.id, result.code());
    plan.messages.push(to_participant(state, p, key, message));
}

/// A participant's receipt was recorded, by email.
pub(super) fn receipt(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    participant: ParticipantId,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some((p, result)) = participant_with_result(state, audience, participant) else {
        return;
    };
    let record = state.participants.get(&participant);
    let via = record.and_then(|r| r.handover.via.as_ref());
    let message = Message::ReceiptConfirmation(ReceiptNotice {
        batch,
        participant: participant_view(p),
        result: result.code().to_string(),
        received_at: record.and_then(|r| r.handover.received_at).map(when),
        via: via.map(|v| v.as_str().to_string()),
        via_detail: via.and_then(|v| v.detail()).map(str::to_string),
        blank_number: record.and_then(|r| r.blank_number.clone()),
        letter_number: (result == Competence::BelumKompeten)
            .then(|| {
                let key = (crate::documents::Kind::SuratBk, Some(participant));
                audience.letters.get(&key).cloned()
            })
            .flatten(),
    });
    let key = format!("b{b}:receipt:p{}", p.id);
    plan.messages.push(to_participant(state, p, key, message));
}

/// Roughly how many working days, by the SOP's standard times, until a
/// participant with `result` can collect their document: the steps after
/// the decree that concern them, before the handover.
pub(super) fn working_days_until_ready(state: &BatchState, result: Competence) -> i64 {
    use crate::sop::TimeUnit;
    const DAY: i64 = 8 * 60;
    let Some(decree) = state.procedure.step_recording(RecordKind::Decree) else {
        return 1;
    };
    let minutes: i64 = state
        .procedure
        .steps
        .iter()
        .filter(|s| !s.per_participant)
        .filter(|s| s.applies != crate::sop::Applies::Always && s.applies.concerns(result))
        .filter(|s| s.no > decree.no)
        .map(|s| {
            let n = i64::from(s.standard_time.amount);
            match s.standard_time.unit {
                TimeUnit::Minute => n,
                TimeUnit::Hour => n * 60,
                TimeUnit::Day => n * DAY,
                TimeUnit::Week => n * 5 * DAY,
            }
        })
        .sum();
    ((minutes + DAY - 1) / DAY).max(1)
}

pub(super) fn participant_with_result<'a>(
    state: &BatchState,
    audience: &'a Audience<'_>,
    id: ParticipantId,
) -> Option<(&'a Participant, Competence)> {
    let result = state.participants.get(&id)?.result?;
    Some((audience.participants.get(&id)?, result))
}

pub(super) fn participant_view(p: &Participant) -> ParticipantFacts {
    ParticipantFacts {
        name: p.name.clone(),
        registration_no: p.registration_no.clone(),
    }
}

pub(super) fn to_participant(
    state: &BatchState,
    p: &Participant,
    key: String,
    message: Message,
) -> Outgoing {
    Outgoing {
        key,
        channel: Channel::Email,
        batch: Some(state.id),
        member: None,
        participant: Some(p.id),
        address: Some(p.email.as_str().to_string()),
        message,
        edit_of: None,
        chat: None,
    }
}
