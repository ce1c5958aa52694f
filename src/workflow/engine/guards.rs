//! The checks every command meets before its first event: the batch
//! runs, the step exists and is active, the member holds the role, the
//! inputs are there; and [`may`], the same checks asked ahead of a command.

use chrono::{DateTime, Utc};

use super::{Run, titles};
use crate::domain::{Competence, ParticipantId, RoleSet};
use crate::sop::{ClockStart, RecordKind, Step, StepNo};
use crate::workflow::calendar::Calendar;
use crate::workflow::command::{Actor, Staff};
use crate::workflow::refusal::{MissingInput, Refusal};
use crate::workflow::state::{BatchState, BatchStatus, StepState};

/// What a member means to do, asked before the bot starts a conversation
/// or shows a list that ends in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Report a problem on a step.
    ReportProblem { step: StepNo },
    /// Set the meeting's time and place.
    SetMeeting,
    /// Move or cancel the meeting after its invitation went out.
    ChangeMeeting,
    /// Answer the invitation.
    Rsvp,
    /// Mark who attended the plenary.
    KeepAttendance,
    /// Enter what the step recording `kind` records (results, the decree,
    /// blank numbers, receipts), whatever state that step is in.
    Enter(RecordKind),
    /// Enter it now: the step recording it is active.
    EnterNow(RecordKind),
}

/// Whether `actor` may do `intent` on the batch now: the same question the
/// engine asks when the command comes (one answer for both), without
/// recording anything.
///
/// # Errors
/// The [`Refusal`] the command would meet.
pub fn may(
    state: &BatchState,
    actor: &Actor,
    intent: Intent,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<(), Refusal> {
    let run = Run {
        state: state.clone(),
        events: Vec::new(),
        now,
        calendar,
    };
    let Actor::Staff(staff) = actor else {
        return Ok(());
    };
    if let Intent::Enter(kind) = intent {
        let step = run.recording(kind)?;
        return Run::require_role(staff, &step, &step.entry_roles);
    }
    run.require_running()?;
    match intent {
        Intent::ReportProblem { step } => run.may_report_problem(staff, step).map(|_| ()),
        Intent::SetMeeting => run.entry_step(staff, RecordKind::Meeting).map(|_| ()),
        Intent::ChangeMeeting => run.require_changeable_meeting(staff),
        Intent::Rsvp => run.may_rsvp(staff).map(|_| ()),
        Intent::KeepAttendance => run.may_keep_attendance(staff),
        Intent::EnterNow(kind) => run.entry_step(staff, kind).map(|_| ()),
        Intent::Enter(_) => Ok(()),
    }
}

impl Run<'_> {
    pub(super) fn require_running(&self) -> Result<(), Refusal> {
        match self.state.status {
            BatchStatus::Draft => Err(Refusal::BatchNotStarted),
            BatchStatus::Running => Ok(()),
            BatchStatus::Finished => Err(Refusal::BatchFinished),
            BatchStatus::Cancelled => Err(Refusal::BatchCancelled),
        }
    }

    pub(super) fn step(&self, no: StepNo) -> Result<Step, Refusal> {
        self.state
            .procedure
            .step(no)
            .cloned()
            .ok_or(Refusal::UnknownStep { step: no })
    }

    /// The step must be active now; otherwise says why not.
    pub(super) fn require_active(&self, step: &Step) -> Result<(), Refusal> {
        match self.state.run(step.no).state {
            StepState::Active => Ok(()),
            StepState::Done => Err(Refusal::StepAlreadyDone { step: step.no }),
            StepState::Skipped => Err(Refusal::StepNotApplicable { step: step.no }),
            StepState::Waiting => Err(Refusal::StepWaiting {
                step: step.no,
                waiting_for: self.missing_inputs(step),
            }),
        }
    }

    pub(super) fn missing_inputs(&self, step: &Step) -> Vec<MissingInput> {
        step.after
            .iter()
            .filter(|p| !self.state.run(**p).state.is_finished())
            .filter_map(|p| self.state.procedure.step(*p))
            .map(|p| MissingInput {
                step: p.no,
                output: p.output.clone(),
            })
            .collect()
    }

    pub(super) fn require_role(staff: &Staff, step: &Step, roles: &RoleSet) -> Result<(), Refusal> {
        if staff.holds_any(roles) {
            Ok(())
        } else {
            Err(Refusal::RoleRequired {
                step: Some(step.no),
                roles: titles(roles),
            })
        }
    }

    /// The step that records `kind`; refused when the procedure has none.
    pub(super) fn recording(&self, kind: RecordKind) -> Result<Step, Refusal> {
        self.state
            .procedure
            .step_recording(kind)
            .cloned()
            .ok_or(Refusal::NothingRecords { record: kind })
    }

    /// The active step that records `kind`, checked for the staff's entry role.
    pub(super) fn entry_step(&self, staff: &Staff, kind: RecordKind) -> Result<Step, Refusal> {
        let step = self.recording(kind)?;
        Self::require_role(staff, &step, &step.entry_roles)?;
        self.require_active(&step)?;
        Ok(step)
    }

    pub(super) fn participant(
        &self,
        id: ParticipantId,
    ) -> Result<&crate::workflow::state::ParticipantState, Refusal> {
        self.state
            .participants
            .get(&id)
            .ok_or(Refusal::UnknownParticipant { participant: id.0 })
    }

    /// Whether `staff` may report a problem on step `no`: one of its people, while it runs.
    pub(super) fn may_report_problem(&self, staff: &Staff, no: StepNo) -> Result<Step, Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.roles)?;
        self.require_active(&step)?;
        Ok(step)
    }

    /// A step that records something is done only once the record is whole.
    pub(super) fn require_record(&self, step: &Step, kind: RecordKind) -> Result<(), Refusal> {
        let participants = self.state.participants.values();
        match kind {
            RecordKind::Meeting if self.state.meeting.is_none() => Err(Refusal::RecordMissing {
                step: step.no,
                record: kind,
            }),
            RecordKind::Decree if self.state.decree.is_none() => Err(Refusal::RecordMissing {
                step: step.no,
                record: kind,
            }),
            RecordKind::Results => match participants.filter(|p| p.result.is_none()).count() {
                0 => Ok(()),
                missing => Err(Refusal::ResultsMissing {
                    step: step.no,
                    missing,
                }),
            },
            RecordKind::BlankNumbers => match participants
                .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
                .count()
            {
                0 => Ok(()),
                missing => Err(Refusal::BlankNumbersMissing {
                    step: step.no,
                    missing,
                }),
            },
            _ => Ok(()),
        }
    }

    /// The step held at the meeting (clock = "meeting") is finished only once
    /// the meeting has begun: minutes of a plenary not yet held would be
    /// false, and its clock would run backwards.
    pub(super) fn require_meeting_begun(&self, step: &Step) -> Result<(), Refusal> {
        if step.clock != ClockStart::Meeting {
            return Ok(());
        }
        match &self.state.meeting {
            Some(meeting) if self.now < meeting.starts_at => Err(Refusal::MeetingNotStarted {
                step: step.no,
                starts_at: meeting.starts_at,
            }),
            _ => Ok(()),
        }
    }

    /// The meeting may be moved or cancelled by the meeting step's people
    /// after the invitation went out and until the plenary is over.
    pub(super) fn require_changeable_meeting(&self, staff: &Staff) -> Result<(), Refusal> {
        let meeting_step = self.recording(RecordKind::Meeting)?;
        Self::require_role(staff, &meeting_step, &meeting_step.entry_roles)?;
        if self.state.run(meeting_step.no).state != StepState::Done {
            return Err(Refusal::InvitationNotSent);
        }
        let over = self
            .state
            .procedure
            .step_recording(RecordKind::Results)
            .is_some_and(|s| self.state.run(s.no).state.is_finished());
        if over {
            return Err(Refusal::MeetingOver);
        }
        Ok(())
    }

    /// Whether `staff` may answer the invitation: invited, the invitation
    /// sent, the meeting neither over nor cancelled.
    pub(super) fn may_rsvp(&self, staff: &Staff) -> Result<(), Refusal> {
        let meeting_step = self.recording(RecordKind::Meeting)?;
        // The invitees are the people of the step that holds the meeting.
        let plenary = self.recording(RecordKind::Results)?;
        if !staff.holds_any(&plenary.roles) {
            return Err(Refusal::NotInvited);
        }
        if self.state.run(meeting_step.no).state != StepState::Done {
            return Err(Refusal::InvitationNotSent);
        }
        if self.state.run(plenary.no).state.is_finished() {
            return Err(Refusal::MeetingOver);
        }
        if self.state.meeting_changes.cancelled {
            return Err(Refusal::MeetingCancelled);
        }
        Ok(())
    }
}
