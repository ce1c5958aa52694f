//! What a step's card says beyond the step itself: who finishes it and who
//! takes part, what each reader may press, why its clock starts when it
//! does, and the participants the step is about with what was recorded for
//! them (private chats only: a group's card has no participant).

use super::Audience;
use super::views::{CardParticipant, CardRights, StepPeople};
use crate::domain::{Competence, Member, RoleSet};
use crate::sop::{Applies, ClockStart, RecordKind, Step};
use crate::workflow::{BatchState, HandoverStage};

/// Who receives a step's card: the step's roles and those who enter its
/// record (Kabag Sertifikasi enters the meeting's results without taking
/// part in it).
pub(super) fn readers(step: &Step) -> RoleSet {
    step.roles.union(&step.entry_roles).copied().collect()
}

/// The step's roles by what they do in it.
pub(super) fn people(step: &Step) -> StepPeople {
    let titles = |roles: &mut dyn Iterator<Item = &crate::domain::Role>| {
        roles.map(|r| r.title().to_string()).collect::<Vec<_>>()
    };
    // A per-participant step finishes by its receipts, not by anyone's "done".
    let done_by = if step.per_participant {
        Vec::new()
    } else {
        titles(&mut step.done_by.iter())
    };
    StepPeople {
        done_by,
        take_part: if step.per_participant {
            Vec::new()
        } else {
            titles(&mut step.roles.difference(&step.done_by))
        },
        entry_by: if step.records.is_some() && step.records != Some(RecordKind::Receipts) {
            titles(&mut step.entry_roles.iter())
        } else {
            Vec::new()
        },
    }
}

/// Whether `member` declined the meeting `step` is held at (then they are
/// neither asked to take the step on nor chased for it).
pub(crate) fn declined(state: &BatchState, step: &Step, member: &Member) -> bool {
    step.records == Some(RecordKind::Results)
        && state.rsvps.get(&member.id).is_some_and(|r| !r.attend)
}

/// What `member` may press on `step`'s card.
pub(super) fn rights(state: &BatchState, step: &Step, member: &Member) -> CardRights {
    let declined = declined(state, step, member);
    CardRights {
        acknowledge: !step.per_participant && !declined && !member.roles.is_disjoint(&step.roles),
        finish: !step.per_participant && !member.roles.is_disjoint(&step.done_by),
        enter: !member.roles.is_disjoint(&step.entry_roles),
        declined,
        report: !declined && !member.roles.is_disjoint(&step.roles),
        attendance: step.records == Some(RecordKind::Results)
            && !member
                .roles
                .is_disjoint(&crate::workflow::attendance_keepers()),
    }
}

/// Why the step's clock starts when it does, for the card.
pub(super) fn clock_reason(state: &BatchState, step: &Step) -> Option<String> {
    if step.clock != ClockStart::Meeting {
        return None;
    }
    let run = state.run(step.no);
    if state.meeting_changes.cancelled && run.due_at.is_none() && !run.state.is_finished() {
        return Some("meeting_cancelled".into());
    }
    let at_meeting = state
        .meeting
        .as_ref()
        .is_some_and(|m| Some(m.starts_at) == run.started_at);
    at_meeting.then(|| "meeting".into())
}

/// The participants `step` is about: K for the K branch, BK for the BK
/// branch, those ready to collect for the handover, everyone from the
/// meeting on; none before the meeting.
pub(super) fn participants(
    state: &BatchState,
    step: &Step,
    audience: &Audience<'_>,
) -> (Option<String>, Vec<CardParticipant>) {
    let results_known = step.records == Some(RecordKind::Results)
        || state
            .procedure
            .step_recording(RecordKind::Results)
            .is_some_and(|s| state.run(s.no).state.is_finished());
    let (about, wanted): (&str, &dyn Fn(Option<Competence>, HandoverStage) -> bool) =
        if step.per_participant {
            ("handover", &|_, stage| stage != HandoverStage::Waiting)
        } else {
            match step.applies {
                Applies::SomeK => ("k", &|r, _| r == Some(Competence::Kompeten)),
                Applies::SomeBk => ("bk", &|r, _| r == Some(Competence::BelumKompeten)),
                Applies::Always if results_known => ("all", &|_, _| true),
                Applies::Always => return (None, Vec::new()),
            }
        };
    let listed = state
        .participants
        .values()
        .filter(|p| wanted(p.result, p.handover.stage()))
        .filter_map(|p| {
            let contact = audience.participants.get(&p.id)?;
            Some(CardParticipant {
                name: contact.name.clone(),
                registration_no: contact.registration_no.clone(),
                result: p.result.map(|r| r.code().to_string()),
                blank_number: p.blank_number.clone(),
                handover: match p.handover.stage() {
                    HandoverStage::Waiting => None,
                    HandoverStage::Ready => Some("ready".into()),
                    HandoverStage::Open => Some("open".into()),
                    HandoverStage::Received => Some("received".into()),
                },
            })
        })
        .collect();
    (Some(about.to_string()), listed)
}
