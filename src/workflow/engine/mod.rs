//! The decision: given a batch, who asks, what they ask and the time, either
//! the events that follow (and the steps that open or are skipped because of
//! them) or a refusal. Every check happens before the first event, so a
//! refused command changes nothing. The checks are in `guards` (with
//! [`may`], the same checks asked ahead), what each command records in
//! `entries`; here, the dispatch and the steps that open or are skipped.

mod attendance;
mod corrections;
mod entries;
mod guards;

pub use attendance::attendance_keepers;
pub use guards::{Intent, may};

use chrono::{DateTime, Utc};

use super::calendar::Calendar;
use super::command::{Actor, Command};
use super::effect::{Effect, effects_of};
use super::event::Event;
use super::refusal::{Field, Refusal};
use super::state::{BatchState, BatchStatus, HandoverStage, StepState};
use crate::domain::{Competence, ParticipantId, Role, RoleSet};
use crate::sop::{ClockStart, Step};

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
/// Longest courier tracking number.
pub const MAX_TRACKING_NO: usize = 60;
/// Longest representative's name.
pub const MAX_REPRESENTATIVE: usize = 200;

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

struct Run<'a> {
    state: BatchState,
    events: Vec<Event>,
    now: DateTime<Utc>,
    calendar: &'a Calendar,
}

impl Run<'_> {
    pub(super) fn emit(&mut self, event: Event) {
        self.state.apply(&event);
        self.events.push(event);
    }

    fn command(&mut self, actor: &Actor, command: &Command) -> Result<(), Refusal> {
        if let Command::Start = command {
            return self.start(actor);
        }
        if let Command::CancelBatch { reason } = command {
            return self.cancel(actor, reason);
        }
        self.require_running()?;
        let staff = match actor {
            Actor::Staff(staff) => staff,
            Actor::Operator => return Err(Refusal::StaffOnly),
        };
        match command {
            Command::Start | Command::CancelBatch { .. } => unreachable!("handled above"),
            Command::CorrectResult {
                participant,
                result,
                reason,
            } => self.correct_result(staff, *participant, *result, reason),
            Command::CorrectDecree { decree, reason } => self.correct_decree(staff, decree, reason),
            Command::Acknowledge { step } => self.acknowledge(staff, *step),
            Command::ReportProblem { step, text } => self.report_problem(staff, *step, text),
            Command::MarkDone { step } => self.mark_done(staff, *step),
            Command::PauseStep { step, reason } => self.pause(staff, *step, reason),
            Command::ResumeStep { step } => self.resume(staff, *step),
            Command::SetMeeting { meeting } => self.set_meeting(staff, meeting),
            Command::Rsvp { attend, reason } => self.rsvp(staff, *attend, reason.as_deref()),
            Command::MarkAttendance { member, present } => {
                self.mark_attendance(staff, *member, *present)
            }
            Command::RescheduleMeeting { meeting } => self.reschedule_meeting(staff, meeting),
            Command::CancelMeeting { reason } => self.cancel_meeting(staff, reason),
            Command::RecordResult {
                participant,
                result,
            } => self.record_result(staff, *participant, *result),
            Command::RecordUnitsBk { participant, units } => {
                self.record_units_bk(staff, *participant, units)
            }
            Command::RecordDecree { decree } => self.record_decree(staff, decree),
            Command::RecordBlankNumber {
                participant,
                number,
            } => self.record_blank_number(staff, *participant, number),
            Command::OpenHandover { participant } => self.handover(staff, *participant, None),
            Command::RecordReceipt { participant, via } => {
                self.handover(staff, *participant, Some(via))
            }
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
            BatchStatus::Cancelled => return Err(Refusal::BatchCancelled),
        }
        if self.state.participants.is_empty() {
            return Err(Refusal::NoParticipants);
        }
        self.emit(Event::BatchStarted { at: self.now });
        self.advance();
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
                    let clock_from = self.clock_from(step);
                    self.emit(Event::StepActivated {
                        step: step.no,
                        at: self.now,
                        clock_from: clock_from.unwrap_or(self.now),
                        due_at: clock_from.map(|from| self.calendar.due(from, step.standard_time)),
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

    /// When `step`'s clock starts if it opens now: now, or for a step held
    /// at the meeting the meeting's start when that is later; none while
    /// the meeting is cancelled and not yet set again.
    fn clock_from(&self, step: &Step) -> Option<DateTime<Utc>> {
        if step.clock != ClockStart::Meeting {
            return Some(self.now);
        }
        match &self.state.meeting {
            Some(_) if self.state.meeting_changes.cancelled => None,
            Some(meeting) => Some(meeting.starts_at.max(self.now)),
            None => Some(self.now),
        }
    }

    /// After the meeting moved or was cancelled: the open step held at the
    /// meeting (not paused, not yet done) gets its clock from the new time.
    fn move_meeting_clock(&mut self) {
        let procedure = self.state.procedure.clone();
        let Some(step) = procedure.step_at_meeting() else {
            return;
        };
        let run = self.state.run(step.no);
        if run.state != StepState::Active || run.pause.is_some() {
            return;
        }
        let clock_from = self.clock_from(step);
        let due_at = clock_from.map(|from| self.calendar.due(from, step.standard_time));
        if run.started_at == clock_from && run.due_at == due_at {
            return;
        }
        self.emit(Event::StepClockMoved {
            step: step.no,
            clock_from,
            due_at,
            at: self.now,
        });
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
                clock_from: self.now,
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
