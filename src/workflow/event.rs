//! What happened to a batch: the facts the workflow decides, the store
//! records (one audit row each) and the state is rebuilt from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::{Decree, Meeting, ReceiptVia};
use crate::domain::{Competence, MemberId, ParticipantId, RoleSet};
use crate::sop::StepNo;

/// One fact about a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The SOP began for this batch.
    BatchStarted { at: DateTime<Utc> },
    /// A step's inputs are ready: its people get the task and its clock
    /// starts, at `clock_from` (later than `at` for a step held at the
    /// meeting, when the meeting is later).
    StepActivated {
        step: StepNo,
        at: DateTime<Utc>,
        clock_from: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
    },
    /// The meeting moved or was cancelled, so the clock of the step held at
    /// it starts at another time (`clock_from`), or waits for a new date
    /// (both none).
    StepClockMoved {
        step: StepNo,
        clock_from: Option<DateTime<Utc>>,
        due_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    /// A step does not apply to this batch (no BK, or no K).
    StepSkipped { step: StepNo, at: DateTime<Utc> },
    /// A member said "I'm on it".
    Acknowledged {
        step: StepNo,
        member: MemberId,
        at: DateTime<Utc>,
    },
    /// A member reported a problem with a step.
    ProblemReported {
        step: StepNo,
        member: MemberId,
        text: String,
        at: DateTime<Utc>,
    },
    /// A step's clock stopped, waiting on something outside the LSP.
    StepPaused {
        step: StepNo,
        reason: String,
        by: MemberId,
        at: DateTime<Utc>,
        remaining_minutes: i64,
    },
    /// A paused clock runs again; the due time moved by the pause.
    StepResumed {
        step: StepNo,
        by: MemberId,
        at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    },
    /// A member pressed "done", counting for these roles.
    DoneMarked {
        step: StepNo,
        member: MemberId,
        roles: RoleSet,
        at: DateTime<Utc>,
    },
    /// The step's output is recorded; its clock stops.
    StepCompleted { step: StepNo, at: DateTime<Utc> },
    /// The meeting's time and place were set (or changed before the invitation went out).
    MeetingSet {
        meeting: Meeting,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// The meeting moved after its invitation went out; invitees answer again.
    MeetingRescheduled {
        meeting: Meeting,
        sequence: u32,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// The meeting was cancelled after its invitation went out.
    MeetingCancelled {
        sequence: u32,
        reason: String,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// An invitee answered the invitation.
    RsvpRecorded {
        member: MemberId,
        attend: bool,
        reason: Option<String>,
        at: DateTime<Utc>,
    },
    /// An invitee was marked present at (or absent from) the plenary.
    AttendanceMarked {
        member: MemberId,
        present: bool,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// A participant's verdict was recorded (or corrected during the meeting).
    ResultRecorded {
        participant: ParticipantId,
        result: Competence,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// The units a BK participant is not yet competent in were recorded.
    UnitsBkRecorded {
        participant: ParticipantId,
        units: Vec<String>,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// The decree's number and date were recorded.
    DecreeRecorded {
        decree: Decree,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// A K participant's BNSP blank number was recorded.
    BlankNumberRecorded {
        participant: ParticipantId,
        number: String,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// A participant's certificate or letter is ready to collect.
    HandoverReady {
        participant: ParticipantId,
        at: DateTime<Utc>,
    },
    /// Staff opened a participant's handover; its clock starts.
    HandoverOpened {
        participant: ParticipantId,
        by: MemberId,
        at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    },
    /// The participant signed the receipt (tanda terima), or the courier or
    /// a representative took the document.
    ReceiptRecorded {
        participant: ParticipantId,
        via: ReceiptVia,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// Every step that applies is done.
    BatchFinished { at: DateTime<Utc> },
    /// A recorded result was corrected, and why (`after_decree`: the
    /// participant had been told the earlier one).
    ResultCorrected {
        participant: ParticipantId,
        from: Competence,
        to: Competence,
        reason: String,
        after_decree: bool,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// A finished step opens again: a corrected result brought a
    /// participant into its branch.
    StepReopened { step: StepNo, at: DateTime<Utc> },
    /// The decree's number or date was corrected, and why.
    DecreeCorrected {
        decree: Decree,
        previous: Decree,
        reason: String,
        by: MemberId,
        at: DateTime<Utc>,
    },
    /// The batch was cancelled, and why (`by` none: the operator).
    BatchCancelled {
        reason: String,
        by: Option<MemberId>,
        at: DateTime<Utc>,
    },
}

impl Event {
    /// The event as the audit log records it: its facts and ids, without
    /// what a staff member typed that may be about a person (a problem's
    /// text, an RSVP's reason, a representative's name). Those live in
    /// their own tables (`problems`, `rsvps`, the participant's receipt),
    /// which an erasure scrubs; the sealed log cannot be, so it never
    /// holds them.
    pub fn audit_detail(&self) -> serde_json::Value {
        let mut detail = serde_json::to_value(self).unwrap_or_default();
        let Some(fields) = detail.as_object_mut() else {
            return detail;
        };
        match self {
            Event::ProblemReported { .. } => {
                fields.remove("text");
                fields.insert("text_kept_in".into(), "problems".into());
            }
            Event::RsvpRecorded { reason, .. } => {
                fields.remove("reason");
                fields.insert("reason_given".into(), reason.is_some().into());
            }
            Event::ReceiptRecorded {
                via: ReceiptVia::Representative { .. },
                ..
            } => {
                fields.insert("via".into(), serde_json::json!({"representative": true}));
            }
            _ => {}
        }
        detail
    }

    /// The event's name as the audit log records it.
    pub fn name(&self) -> &'static str {
        match self {
            Event::BatchStarted { .. } => "batch_started",
            Event::StepActivated { .. } => "step_activated",
            Event::StepSkipped { .. } => "step_skipped",
            Event::StepClockMoved { .. } => "step_clock_moved",
            Event::Acknowledged { .. } => "acknowledged",
            Event::ProblemReported { .. } => "problem_reported",
            Event::DoneMarked { .. } => "done_marked",
            Event::StepPaused { .. } => "step_paused",
            Event::StepResumed { .. } => "step_resumed",
            Event::StepCompleted { .. } => "step_completed",
            Event::MeetingSet { .. } => "meeting_set",
            Event::MeetingRescheduled { .. } => "meeting_rescheduled",
            Event::MeetingCancelled { .. } => "meeting_cancelled",
            Event::RsvpRecorded { .. } => "rsvp_recorded",
            Event::AttendanceMarked { .. } => "attendance_marked",
            Event::ResultRecorded { .. } => "result_recorded",
            Event::UnitsBkRecorded { .. } => "units_bk_recorded",
            Event::DecreeRecorded { .. } => "decree_recorded",
            Event::BlankNumberRecorded { .. } => "blank_number_recorded",
            Event::HandoverReady { .. } => "handover_ready",
            Event::HandoverOpened { .. } => "handover_opened",
            Event::ReceiptRecorded { .. } => "receipt_recorded",
            Event::BatchFinished { .. } => "batch_finished",
            Event::ResultCorrected { .. } => "result_corrected",
            Event::StepReopened { .. } => "step_reopened",
            Event::DecreeCorrected { .. } => "decree_corrected",
            Event::BatchCancelled { .. } => "batch_cancelled",
        }
    }

    /// The step the event concerns, if one.
    pub fn step(&self) -> Option<StepNo> {
        match self {
            Event::StepActivated { step, .. }
            | Event::StepSkipped { step, .. }
            | Event::StepClockMoved { step, .. }
            | Event::StepReopened { step, .. }
            | Event::Acknowledged { step, .. }
            | Event::ProblemReported { step, .. }
            | Event::StepPaused { step, .. }
            | Event::StepResumed { step, .. }
            | Event::DoneMarked { step, .. }
            | Event::StepCompleted { step, .. } => Some(*step),
            _ => None,
        }
    }
}
