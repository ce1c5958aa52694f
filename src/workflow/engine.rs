//! The decision: given a batch, who asks, what they ask and the time, either
//! the events that follow (and the steps that open or are skipped because of
//! them) or a refusal. Every check happens before the first event, so a
//! refused command changes nothing.

use chrono::{DateTime, Utc};

use super::calendar::Calendar;
use super::command::{Actor, Command, Staff};
use super::effect::{Effect, effects_of};
use super::event::Event;
use super::refusal::{Field, MissingInput, Refusal};
use super::state::{BatchState, BatchStatus, HandoverStage, Meeting, StepState};
use crate::domain::{Competence, ParticipantId, Role, RoleSet};
use crate::sop::{RecordKind, Step, StepNo};

/// Longest problem report, in characters.
pub const MAX_PROBLEM_TEXT: usize = 1000;
/// Longest meeting place or link.
pub const MAX_PLACE: usize = 300;
/// Longest decree number.
pub const MAX_DECREE_NUMBER: usize = 100;
/// Longest BNSP blank number.
pub const MAX_BLANK_NUMBER: usize = 60;
/// Longest reason for not attending.
pub const MAX_REASON: usize = 500;

/// What an accepted command did: the events (already applied to the state)
/// and what must happen outside because of them. No events means the
/// command repeated something already recorded (a double press).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub events: Vec<Event>,
    pub effects: Vec<Effect>,
}

/// Runs one command against `state`. On success the state has changed and
/// the decision says how; on refusal the state is as it was.
///
/// # Errors
/// A [`Refusal`] saying why the command cannot be done now.
pub fn execute(
    state: &mut BatchState,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<Decision, Refusal> {
    let mut run = Run {
        state: state.clone(),
        events: Vec::new(),
        now,
        calendar,
    };
    run.command(actor, command)?;
    let effects = effects_of(&run.state, &run.events);
    *state = run.state;
    Ok(Decision {
        events: run.events,
        effects,
    })
}

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
        Intent::EnterNow(kind) => run.entry_step(staff, kind).map(|_| ()),
        Intent::Enter(_) => Ok(()),
    }
}

struct Run<'a> {
    state: BatchState,
    events: Vec<Event>,
    now: DateTime<Utc>,
    calendar: &'a Calendar,
}

impl Run<'_> {
    fn emit(&mut self, event: Event) {
        self.state.apply(&event);
        self.events.push(event);
    }

    fn command(&mut self, actor: &Actor, command: &Command) -> Result<(), Refusal> {
        if let Command::Start = command {
            return self.start(actor);
        }
        self.require_running()?;
        let staff = match actor {
            Actor::Staff(staff) => staff,
            Actor::Operator => return Err(Refusal::StaffOnly),
        };
        match command {
            Command::Start => unreachable!("handled above"),
            Command::Acknowledge { step } => self.acknowledge(staff, *step),
            Command::ReportProblem { step, text } => self.report_problem(staff, *step, text),
            Command::MarkDone { step } => self.mark_done(staff, *step),
            Command::PauseStep { step, reason } => {
                let step = self.step(*step)?;
                Self::require_role(staff, &step, &step.roles)?;
                self.require_active(&step)?;
                let reason = required(reason, Field::Reason, MAX_REASON)?;
                if step.per_participant || self.state.run(step.no).pause.is_some() {
                    return Ok(());
                }
                let due = self.state.run(step.no).due_at.unwrap_or(self.now);
                let remaining_minutes = self.calendar.minutes_between(self.now, due).max(0);
                self.emit(Event::StepPaused {
                    step: step.no,
                    reason,
                    by: staff.id,
                    at: self.now,
                    remaining_minutes,
                });
                Ok(())
            }
            Command::ResumeStep { step } => {
                let step = self.step(*step)?;
                Self::require_role(staff, &step, &step.roles)?;
                self.require_active(&step)?;
                let Some(pause) = self.state.run(step.no).pause.clone() else {
                    return Ok(());
                };
                self.emit(Event::StepResumed {
                    step: step.no,
                    by: staff.id,
                    at: self.now,
                    due_at: self.calendar.add_minutes(self.now, pause.remaining_minutes),
                });
                Ok(())
            }
            Command::SetMeeting { meeting } => {
                self.entry_step(staff, RecordKind::Meeting)?;
                let place = required(&meeting.place, Field::Place, MAX_PLACE)?;
                if meeting.starts_at <= self.now {
                    return Err(Refusal::MeetingInPast);
                }
                if self.state.meeting.as_ref() == Some(meeting) {
                    return Ok(());
                }
                let mut meeting = meeting.clone();
                meeting.place = place;
                self.emit(Event::MeetingSet {
                    meeting,
                    by: staff.id,
                    at: self.now,
                });
                Ok(())
            }
            Command::Rsvp { attend, reason } => self.rsvp(staff, *attend, reason.as_deref()),
            Command::RescheduleMeeting { meeting } => {
                self.require_changeable_meeting(staff)?;
                let place = required(&meeting.place, Field::Place, MAX_PLACE)?;
                if meeting.starts_at <= self.now {
                    return Err(Refusal::MeetingInPast);
                }
                let meeting = Meeting {
                    starts_at: meeting.starts_at,
                    place,
                };
                if self.state.meeting.as_ref() == Some(&meeting)
                    && !self.state.meeting_changes.cancelled
                {
                    return Ok(());
                }
                self.emit(Event::MeetingRescheduled {
                    meeting,
                    sequence: self.state.meeting_changes.sequence + 1,
                    by: staff.id,
                    at: self.now,
                });
                Ok(())
            }
            Command::CancelMeeting { reason } => {
                self.require_changeable_meeting(staff)?;
                let reason = required(reason, Field::Reason, MAX_REASON)?;
                if self.state.meeting_changes.cancelled {
                    return Ok(());
                }
                self.emit(Event::MeetingCancelled {
                    sequence: self.state.meeting_changes.sequence + 1,
                    reason,
                    by: staff.id,
                    at: self.now,
                });
                Ok(())
            }
            Command::RecordResult {
                participant,
                result,
            } => {
                self.entry_step(staff, RecordKind::Results)?;
                let p = self.participant(*participant)?;
                if p.result == Some(*result) {
                    return Ok(());
                }
                self.emit(Event::ResultRecorded {
                    participant: *participant,
                    result: *result,
                    by: staff.id,
                    at: self.now,
                });
                Ok(())
            }
            Command::RecordDecree { decree } => {
                self.entry_step(staff, RecordKind::Decree)?;
                let number = required(&decree.number, Field::DecreeNumber, MAX_DECREE_NUMBER)?;
                let mut decree = decree.clone();
                decree.number = number;
                if self.state.decree.as_ref() == Some(&decree) {
                    return Ok(());
                }
                self.emit(Event::DecreeRecorded {
                    decree,
                    by: staff.id,
                    at: self.now,
                });
                Ok(())
            }
            Command::RecordBlankNumber {
                participant,
                number,
            } => self.record_blank_number(staff, *participant, number),
            Command::OpenHandover { participant } => self.handover(staff, *participant, false),
            Command::RecordReceipt { participant } => self.handover(staff, *participant, true),
        }
    }

    fn start(&mut self, actor: &Actor) -> Result<(), Refusal> {
        if let Actor::Staff(staff) = actor {
            let allowed: RoleSet = [Role::KetuaLsp, Role::KabagSertifikasi].into();
            if !staff.holds_any(&allowed) {
                return Err(Refusal::RoleRequired {
                    step: None,
                    roles: titles(&allowed),
                });
            }
        }
        match self.state.status {
            BatchStatus::Draft => {}
            BatchStatus::Running => return Err(Refusal::BatchAlreadyStarted),
            BatchStatus::Finished => return Err(Refusal::BatchFinished),
        }
        if self.state.participants.is_empty() {
            return Err(Refusal::NoParticipants);
        }
        self.emit(Event::BatchStarted { at: self.now });
        self.advance();
        Ok(())
    }

    fn require_running(&self) -> Result<(), Refusal> {
        match self.state.status {
            BatchStatus::Draft => Err(Refusal::BatchNotStarted),
            BatchStatus::Running => Ok(()),
            BatchStatus::Finished => Err(Refusal::BatchFinished),
        }
    }

    fn step(&self, no: StepNo) -> Result<Step, Refusal> {
        self.state
            .procedure
            .step(no)
            .cloned()
            .ok_or(Refusal::UnknownStep { step: no })
    }

    /// The step must be active now; otherwise says why not.
    fn require_active(&self, step: &Step) -> Result<(), Refusal> {
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

    fn missing_inputs(&self, step: &Step) -> Vec<MissingInput> {
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

    fn require_role(staff: &Staff, step: &Step, roles: &RoleSet) -> Result<(), Refusal> {
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
    fn recording(&self, kind: RecordKind) -> Result<Step, Refusal> {
        self.state
            .procedure
            .step_recording(kind)
            .cloned()
            .ok_or(Refusal::NothingRecords { record: kind })
    }

    /// The active step that records `kind`, checked for the staff's entry role.
    fn entry_step(&self, staff: &Staff, kind: RecordKind) -> Result<Step, Refusal> {
        let step = self.recording(kind)?;
        Self::require_role(staff, &step, &step.entry_roles)?;
        self.require_active(&step)?;
        Ok(step)
    }

    fn participant(&self, id: ParticipantId) -> Result<&super::state::ParticipantState, Refusal> {
        self.state
            .participants
            .get(&id)
            .ok_or(Refusal::UnknownParticipant { participant: id.0 })
    }

    fn acknowledge(&mut self, staff: &Staff, no: StepNo) -> Result<(), Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.roles)?;
        self.require_active(&step)?;
        if self.state.run(no).acks.contains_key(&staff.id) {
            return Ok(());
        }
        self.emit(Event::Acknowledged {
            step: no,
            member: staff.id,
            at: self.now,
        });
        Ok(())
    }

    /// Whether `staff` may report a problem on step `no`: one of its people, while it runs.
    fn may_report_problem(&self, staff: &Staff, no: StepNo) -> Result<Step, Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.roles)?;
        self.require_active(&step)?;
        Ok(step)
    }

    fn report_problem(&mut self, staff: &Staff, no: StepNo, text: &str) -> Result<(), Refusal> {
        self.may_report_problem(staff, no)?;
        let text = required(text, Field::ProblemText, MAX_PROBLEM_TEXT)?;
        self.emit(Event::ProblemReported {
            step: no,
            member: staff.id,
            text,
            at: self.now,
        });
        Ok(())
    }

    fn mark_done(&mut self, staff: &Staff, no: StepNo) -> Result<(), Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.done_by)?;
        if step.per_participant {
            return Err(Refusal::FinishesByReceipts { step: no });
        }
        self.require_active(&step)?;
        if self.state.run(no).dones.contains_key(&staff.id) {
            return Ok(());
        }
        if let Some(kind) = step.records {
            self.require_record(&step, kind)?;
        }
        let roles: RoleSet = staff.roles.intersection(&step.done_by).copied().collect();
        self.emit(Event::DoneMarked {
            step: no,
            member: staff.id,
            roles,
            at: self.now,
        });
        let covered: RoleSet = self
            .state
            .run(no)
            .dones
            .values()
            .flat_map(|d| d.roles.iter().copied())
            .collect();
        if step.done_by.is_subset(&covered) {
            self.emit(Event::StepCompleted {
                step: no,
                at: self.now,
            });
            self.advance();
        }
        Ok(())
    }

    /// A step that records something is done only once the record is whole.
    fn require_record(&self, step: &Step, kind: RecordKind) -> Result<(), Refusal> {
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

    /// The meeting may be moved or cancelled by the meeting step's people
    /// after the invitation went out and until the plenary is over.
    fn require_changeable_meeting(&self, staff: &Staff) -> Result<(), Refusal> {
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
    fn may_rsvp(&self, staff: &Staff) -> Result<(), Refusal> {
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

    fn rsvp(&mut self, staff: &Staff, attend: bool, reason: Option<&str>) -> Result<(), Refusal> {
        self.may_rsvp(staff)?;
        let reason = if attend {
            None
        } else {
            Some(required(
                reason.unwrap_or_default(),
                Field::Reason,
                MAX_REASON,
            )?)
        };
        if let Some(previous) = self.state.rsvps.get(&staff.id)
            && previous.attend == attend
            && previous.reason == reason
        {
            return Ok(());
        }
        self.emit(Event::RsvpRecorded {
            member: staff.id,
            attend,
            reason,
            at: self.now,
        });
        Ok(())
    }

    fn record_blank_number(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        number: &str,
    ) -> Result<(), Refusal> {
        self.entry_step(staff, RecordKind::BlankNumbers)?;
        let number = required(number, Field::BlankNumber, MAX_BLANK_NUMBER)?;
        let p = self.participant(participant)?;
        if p.result != Some(Competence::Kompeten) {
            return Err(Refusal::NotKompeten {
                participant: p.name.clone(),
            });
        }
        if p.blank_number.as_deref() == Some(number.as_str()) {
            return Ok(());
        }
        if let Some(holder) = self
            .state
            .participants
            .values()
            .find(|o| o.id != participant && o.blank_number.as_deref() == Some(number.as_str()))
        {
            return Err(Refusal::BlankNumberTaken {
                number,
                holder: holder.name.clone(),
            });
        }
        self.emit(Event::BlankNumberRecorded {
            participant,
            number,
            by: staff.id,
            at: self.now,
        });
        Ok(())
    }

    /// Opens a participant's handover, and with `receipt` records the receipt
    /// too (opening it first if staff went straight to the receipt).
    fn handover(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        receipt: bool,
    ) -> Result<(), Refusal> {
        let step = self.recording(RecordKind::Receipts)?;
        Self::require_role(staff, &step, &step.entry_roles)?;
        let p = self.participant(participant)?;
        let name = p.name.clone();
        match p.handover.stage() {
            HandoverStage::Waiting => {
                return Err(Refusal::ParticipantNotReady { participant: name });
            }
            HandoverStage::Received if receipt => return Ok(()),
            HandoverStage::Received => {
                return Err(Refusal::AlreadyReceived { participant: name });
            }
            HandoverStage::Open if !receipt => return Ok(()),
            HandoverStage::Open => {}
            HandoverStage::Ready => {
                self.emit(Event::HandoverOpened {
                    participant,
                    by: staff.id,
                    at: self.now,
                    due_at: self.calendar.due(self.now, step.standard_time),
                });
            }
        }
        if !receipt {
            return Ok(());
        }
        self.emit(Event::ReceiptRecorded {
            participant,
            by: staff.id,
            at: self.now,
        });
        let all_received = self
            .state
            .participants
            .values()
            .all(|p| p.handover.stage() == HandoverStage::Received);
        if all_received {
            self.emit(Event::StepCompleted {
                step: step.no,
                at: self.now,
            });
            self.advance();
        }
        Ok(())
    }

    /// Opens or skips every step whose inputs are now finished, opens each
    /// participant's handover whose document is ready, and finishes the
    /// batch when nothing is left; repeats until nothing changes.
    fn advance(&mut self) {
        loop {
            let before = self.events.len();
            let procedure = self.state.procedure.clone();
            for step in &procedure.steps {
                let run_state = self.state.run(step.no).state;
                if step.per_participant {
                    self.advance_per_participant(step);
                    continue;
                }
                if run_state != StepState::Waiting {
                    continue;
                }
                let inputs_finished = step
                    .after
                    .iter()
                    .all(|p| self.state.run(*p).state.is_finished());
                if !inputs_finished {
                    continue;
                }
                let applies = match step.applies {
                    crate::sop::Applies::Always => true,
                    crate::sop::Applies::SomeBk => {
                        self.state.has_verdict(Competence::BelumKompeten)
                    }
                    crate::sop::Applies::SomeK => self.state.has_verdict(Competence::Kompeten),
                };
                if applies {
                    self.emit(Event::StepActivated {
                        step: step.no,
                        at: self.now,
                        due_at: Some(self.calendar.due(self.now, step.standard_time)),
                    });
                } else {
                    self.emit(Event::StepSkipped {
                        step: step.no,
                        at: self.now,
                    });
                }
            }
            let all_finished = self.state.steps.values().all(|r| r.state.is_finished());
            if all_finished && self.state.status == BatchStatus::Running {
                self.emit(Event::BatchFinished { at: self.now });
            }
            if self.events.len() == before {
                break;
            }
        }
    }

    /// A per-participant step opens for a participant when every step it
    /// comes after that concerns that participant's verdict is done.
    fn advance_per_participant(&mut self, step: &Step) {
        let ready: Vec<ParticipantId> = self
            .state
            .participants
            .values()
            .filter(|p| p.handover.stage() == HandoverStage::Waiting)
            .filter_map(|p| p.result.map(|verdict| (p.id, verdict)))
            .filter(|(_, verdict)| {
                step.after.iter().all(|pred| {
                    let concerns = self
                        .state
                        .procedure
                        .step(*pred)
                        .is_some_and(|s| s.applies.concerns(*verdict));
                    !concerns || self.state.run(*pred).state == StepState::Done
                })
            })
            .map(|(id, _)| id)
            .collect();
        if ready.is_empty() {
            return;
        }
        if self.state.run(step.no).state == StepState::Waiting {
            self.emit(Event::StepActivated {
                step: step.no,
                at: self.now,
                due_at: None,
            });
        }
        for participant in ready {
            self.emit(Event::HandoverReady {
                participant,
                at: self.now,
            });
        }
    }
}

/// A required text, trimmed; refused when empty or too long.
fn required(text: &str, field: Field, max: usize) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::EmptyField { field });
    }
    if text.chars().count() > max {
        return Err(Refusal::TooLong { field, max });
    }
    Ok(text.to_string())
}

fn titles(roles: &RoleSet) -> Vec<String> {
    roles.iter().map(|r| r.title().to_string()).collect()
}
