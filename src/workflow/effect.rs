//! What must happen outside the workflow because of events: messages to
//! staff and participants, and due times to set or clear. The store turns
//! these into outbox rows and deadline rows in the same transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::event::Event;
use super::state::BatchState;
use crate::domain::{Competence, MemberId, ParticipantId};
use crate::sop::{RecordKind, StepNo};

/// One consequence of an accepted command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Give every member of the step's roles its task (Telegram, with buttons).
    StepTask { step: StepNo },
    /// Show on the step's task messages who acknowledged, who is done, and
    /// whether the step is finished (an edit of the messages already sent).
    TaskChanged { step: StepNo },
    /// Tell Ketua LSP a step's clock was paused or runs again.
    PauseNotice { step: StepNo, paused: bool },
    /// Update the live tally of answers to the meeting invitation.
    RsvpChanged,
    /// Tell every invitee the meeting moved (`cancelled: false`) or was
    /// cancelled; the calendar copy is updated or cancelled.
    MeetingChanged {
        cancelled: bool,
        reason: Option<String>,
    },
    /// Send the meeting invitation to every invitee (Telegram; email where
    /// the member has an address).
    MeetingInvitation,
    /// Email a participant their own result after the decree.
    ResultNotice { participant: ParticipantId },
    /// Email a participant that their certificate or letter is ready.
    HandoverNotice { participant: ParticipantId },
    /// Email a participant that their receipt is recorded.
    ReceiptConfirmation { participant: ParticipantId },
    /// Tell those who hand documents over which participants' documents
    /// just became ready to collect.
    HandoversReady { participants: Vec<ParticipantId> },
    /// Tell Ketua LSP and Kabag Sertifikasi the batch is finished (every
    /// receipt is in), with its lead time.
    BatchFinished,
    /// Email a participant that their result, already told, was corrected.
    ResultCorrection {
        participant: ParticipantId,
        from: Competence,
        to: Competence,
        reason: String,
        at: DateTime<Utc>,
    },
    /// Tell everyone with an open task, Ketua LSP and Kabag Sertifikasi
    /// that the batch was cancelled, and why.
    BatchCancelled { reason: String },
    /// Pass a staff member's problem report to Ketua LSP.
    ProblemReport {
        step: StepNo,
        from: MemberId,
        text: String,
        at: DateTime<Utc>,
    },
    /// A clock starts (at `from`, now or later): the step (or a
    /// participant's handover) is due at `due_at`.
    SetDeadline {
        step: StepNo,
        participant: Option<ParticipantId>,
        from: DateTime<Utc>,
        due_at: DateTime<Utc>,
    },
    /// A clock stops: the step (or a participant's handover) is finished.
    ClearDeadline {
        step: StepNo,
        participant: Option<ParticipantId>,
    },
}

/// The effects of `events`, judged on the state after them.
pub fn effects_of(state: &BatchState, events: &[Event]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for event in events {
        step_effects(state, event, &mut effects);
        meeting_effects(event, &mut effects);
        participant_effects(state, event, &mut effects);
        match event {
            Event::BatchFinished { .. } => effects.push(Effect::BatchFinished),
            Event::BatchCancelled { reason, .. } => effects.push(Effect::BatchCancelled {
                reason: reason.clone(),
            }),
            // Told only when the first result went out (the decree's step is done).
            Event::ResultCorrected {
                participant,
                from,
                to,
                reason,
                at,
                ..
            } if state
                .procedure
                .step_recording(RecordKind::Decree)
                .is_some_and(|s| state.run(s.no).state == crate::workflow::StepState::Done) =>
            {
                effects.push(Effect::ResultCorrection {
                    participant: *participant,
                    from: *from,
                    to: *to,
                    reason: reason.clone(),
                    at: *at,
                });
            }
            _ => {}
        }
    }
    let ready: Vec<ParticipantId> = events
        .iter()
        .filter_map(|e| match e {
            Event::HandoverReady { participant, .. } => Some(*participant),
            _ => None,
        })
        .collect();
    if !ready.is_empty() {
        effects.push(Effect::HandoversReady {
            participants: ready,
        });
    }
    // A card sent in this decision already shows its state: no edit of it.
    let sent: Vec<StepNo> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::StepTask { step } => Some(*step),
            _ => None,
        })
        .collect();
    effects.retain(|e| !matches!(e, Effect::TaskChanged { step } if sent.contains(step)));
    effects
}

/// What a step's events call for: its task, its clock, notices of a pause, the invitation and the results once their steps are done, a problem report.
fn step_effects(state: &BatchState, event: &Event, effects: &mut Vec<Effect>) {
    let procedure = &state.procedure;
    let records = |step: StepNo, kind: RecordKind| {
        procedure
            .step(step)
            .is_some_and(|s| s.records == Some(kind))
    };
    match event {
        Event::StepActivated {
            step,
            clock_from,
            due_at,
            ..
        } => {
            effects.push(Effect::StepTask { step: *step });
            if let Some(due_at) = due_at {
                effects.push(deadline(*step, *clock_from, *due_at));
            }
        }
        Event::StepClockMoved {
            step,
            clock_from,
            due_at,
            ..
        } => {
            match clock_from.zip(*due_at) {
                Some((from, due_at)) => effects.push(deadline(*step, from, due_at)),
                None => effects.push(no_deadline(*step)),
            }
            push_once(effects, Effect::TaskChanged { step: *step });
        }
        Event::Acknowledged { step, .. } | Event::DoneMarked { step, .. } => {
            push_once(effects, Effect::TaskChanged { step: *step });
        }
        Event::StepPaused { step, .. } => {
            effects.push(no_deadline(*step));
            effects.push(Effect::PauseNotice {
                step: *step,
                paused: true,
            });
        }
        Event::StepResumed {
            step, due_at, at, ..
        } => {
            effects.push(deadline(*step, *at, *due_at));
            effects.push(Effect::PauseNotice {
                step: *step,
                paused: false,
            });
        }
        Event::StepReopened { step, .. } => effects.push(no_deadline(*step)),
        Event::StepCompleted { step, .. } => {
            effects.push(no_deadline(*step));
            push_once(effects, Effect::TaskChanged { step: *step });
            if records(*step, RecordKind::Meeting) {
                effects.push(Effect::MeetingInvitation);
            }
            if records(*step, RecordKind::Decree) {
                effects.extend(
                    state
                        .participants
                        .keys()
                        .map(|p| Effect::ResultNotice { participant: *p }),
                );
            }
        }
        Event::ProblemReported {
            step,
            member,
            text,
            at,
        } => effects.push(Effect::ProblemReport {
            step: *step,
            from: *member,
            text: text.clone(),
            at: *at,
        }),
        _ => {}
    }
}

/// A step's deadline set: its clock runs from `from` to `due_at`.
fn deadline(step: StepNo, from: DateTime<Utc>, due_at: DateTime<Utc>) -> Effect {
    Effect::SetDeadline {
        step,
        participant: None,
        from,
        due_at,
    }
}

/// A step's deadline cleared (paused, reopened, done).
fn no_deadline(step: StepNo) -> Effect {
    Effect::ClearDeadline {
        step,
        participant: None,
    }
}

/// What the meeting's events call for: the tally, the change of time or place.
fn meeting_effects(event: &Event, effects: &mut Vec<Effect>) {
    match event {
        Event::RsvpRecorded { .. } => push_once(effects, Effect::RsvpChanged),
        Event::MeetingRescheduled { .. } => {
            push_once(
                effects,
                Effect::MeetingChanged {
                    cancelled: false,
                    reason: None,
                },
            );
            push_once(effects, Effect::RsvpChanged);
        }
        Event::MeetingCancelled { reason, .. } => {
            push_once(
                effects,
                Effect::MeetingChanged {
                    cancelled: true,
                    reason: Some(reason.clone()),
                },
            );
            push_once(effects, Effect::RsvpChanged);
        }
        _ => {}
    }
}

/// What a participant's handover calls for: their emails and the handover's clock.
fn participant_effects(state: &BatchState, event: &Event, effects: &mut Vec<Effect>) {
    let receipts_step = state
        .procedure
        .step_recording(RecordKind::Receipts)
        .map(|s| s.no);
    let card_changed = |effects: &mut Vec<Effect>| {
        if let Some(step) = receipts_step {
            push_once(effects, Effect::TaskChanged { step });
        }
    };
    match event {
        Event::HandoverReady { participant, .. } => {
            effects.push(Effect::HandoverNotice {
                participant: *participant,
            });
            card_changed(effects);
        }
        Event::HandoverOpened {
            participant,
            due_at,
            at,
            ..
        } => {
            if let Some(step) = receipts_step {
                effects.push(Effect::SetDeadline {
                    step,
                    participant: Some(*participant),
                    from: *at,
                    due_at: *due_at,
                });
            }
            card_changed(effects);
        }
        // A corrected participant's handover starts over: an open one's clock stops.
        Event::ResultCorrected { participant, .. } => {
            if let Some(step) = receipts_step {
                effects.push(Effect::ClearDeadline {
                    step,
                    participant: Some(*participant),
                });
            }
            card_changed(effects);
        }
        // The blank numbers' card lists each K participant's number: it
        // shows the numbers as soon as they are recorded.
        Event::BlankNumberRecorded { .. } => {
            if let Some(step) = state
                .procedure
                .step_recording(RecordKind::BlankNumbers)
                .filter(|s| state.run(s.no).state == crate::workflow::StepState::Active)
            {
                push_once(effects, Effect::TaskChanged { step: step.no });
            }
        }
        Event::ReceiptRecorded { participant, .. } => {
            if let Some(step) = receipts_step {
                effects.push(Effect::ClearDeadline {
                    step,
                    participant: Some(*participant),
                });
            }
            effects.push(Effect::ReceiptConfirmation {
                participant: *participant,
            });
            card_changed(effects);
        }
        _ => {}
    }
}

fn push_once(effects: &mut Vec<Effect>, effect: Effect) {
    if !effects.contains(&effect) {
        effects.push(effect);
    }
}
