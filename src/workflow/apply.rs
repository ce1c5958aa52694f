//! Applying an event to a batch's state: what each event changes. Pure
//! and infallible; [`super::execute`] decides which events happen.

use super::event::Event;
use super::state::*;
use crate::domain::Competence;

impl BatchState {
    /// Changes the state as `event` says. Events come from
    /// [`super::execute`], which checked them; applying never fails.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::BatchStarted { .. } => self.status = BatchStatus::Running,
            Event::BatchFinished { .. } => self.status = BatchStatus::Finished,
            Event::BatchCancelled { .. } => self.status = BatchStatus::Cancelled,
            Event::DecreeRecorded { decree, .. } | Event::DecreeCorrected { decree, .. } => {
                self.decree = Some(decree.clone())
            }
            Event::ResultCorrected {
                participant, to, ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.result = Some(*to);
                    if *to == Competence::BelumKompeten {
                        p.blank_number = None;
                    }
                    // The units named for the earlier verdict no longer hold.
                    p.units_bk.clear();
                    // A document made for the earlier verdict is not theirs to collect.
                    p.handover = Handover::default();
                }
            }
            Event::StepReopened { step, .. } => {
                let round = self.steps.get(step).map_or(0, |r| r.round) + 1;
                self.steps.insert(
                    *step,
                    StepRun {
                        round,
                        ..StepRun::waiting()
                    },
                );
            }
            Event::ProblemReported { .. } => {}
            Event::MeetingSet { .. }
            | Event::MeetingRescheduled { .. }
            | Event::MeetingCancelled { .. }
            | Event::RsvpRecorded { .. }
            | Event::AttendanceMarked { .. } => self.apply_to_meeting(event),
            Event::ResultRecorded { .. }
            | Event::UnitsBkRecorded { .. }
            | Event::BlankNumberRecorded { .. }
            | Event::HandoverReady { .. }
            | Event::HandoverOpened { .. }
            | Event::ReceiptRecorded { .. } => self.apply_to_participant(event),
            _ => self.apply_to_step(event),
        }
    }

    /// A step's run: its state, times, marks and pause.
    fn apply_to_step(&mut self, event: &Event) {
        match event {
            Event::StepActivated {
                step,
                clock_from,
                due_at,
                ..
            } => {
                let run = self.steps.entry(*step).or_insert_with(StepRun::waiting);
                run.state = StepState::Active;
                run.started_at = Some(*clock_from);
                run.due_at = *due_at;
            }
            Event::StepClockMoved {
                step,
                clock_from,
                due_at,
                ..
            } => {
                if let Some(run) = self.steps.get_mut(step) {
                    run.started_at = *clock_from;
                    run.due_at = *due_at;
                }
            }
            Event::StepSkipped { step, at } => {
                let run = self.steps.entry(*step).or_insert_with(StepRun::waiting);
                run.state = StepState::Skipped;
                run.finished_at = Some(*at);
            }
            Event::StepCompleted { step, at } => {
                let run = self.steps.entry(*step).or_insert_with(StepRun::waiting);
                run.state = StepState::Done;
                run.finished_at = Some(*at);
                run.pause = None;
            }
            Event::Acknowledged { step, member, at } => {
                if let Some(run) = self.steps.get_mut(step) {
                    run.acks.entry(*member).or_insert(*at);
                }
            }
            Event::DoneMarked {
                step,
                member,
                roles,
                at,
            } => {
                if let Some(run) = self.steps.get_mut(step) {
                    run.dones.entry(*member).or_insert(DoneMark {
                        roles: roles.clone(),
                        at: *at,
                    });
                }
            }
            Event::StepPaused {
                step,
                reason,
                at,
                remaining_minutes,
                ..
            } => {
                if let Some(run) = self.steps.get_mut(step) {
                    run.pause = Some(Pause {
                        at: *at,
                        reason: reason.clone(),
                        remaining_minutes: *remaining_minutes,
                    });
                }
            }
            Event::StepResumed { step, due_at, .. } => {
                if let Some(run) = self.steps.get_mut(step) {
                    run.pause = None;
                    run.due_at = Some(*due_at);
                }
            }
            _ => {}
        }
    }

    /// The meeting and the invitees' answers.
    fn apply_to_meeting(&mut self, event: &Event) {
        match event {
            Event::MeetingSet { meeting, .. } => self.meeting = Some(meeting.clone()),
            Event::MeetingRescheduled {
                meeting, sequence, ..
            } => {
                self.meeting = Some(meeting.clone());
                self.meeting_changes = MeetingChanges {
                    sequence: *sequence,
                    cancelled: false,
                };
                // Everyone answers the new time afresh.
                self.rsvps.clear();
                self.attendance.clear();
            }
            Event::MeetingCancelled { sequence, .. } => {
                self.meeting_changes = MeetingChanges {
                    sequence: *sequence,
                    cancelled: true,
                };
                self.rsvps.clear();
                self.attendance.clear();
            }
            Event::AttendanceMarked {
                member, present, ..
            } => {
                self.attendance.insert(*member, *present);
            }
            Event::RsvpRecorded {
                member,
                attend,
                reason,
                at,
            } => {
                self.rsvps.insert(
                    *member,
                    Rsvp {
                        attend: *attend,
                        reason: reason.clone(),
                        at: *at,
                    },
                );
            }
            _ => {}
        }
    }

    /// A participant's result, blank number and handover.
    fn apply_to_participant(&mut self, event: &Event) {
        match event {
            Event::ResultRecorded {
                participant,
                result,
                ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.result = Some(*result);
                    if *result == Competence::Kompeten {
                        p.units_bk.clear();
                    }
                }
            }
            Event::UnitsBkRecorded {
                participant, units, ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.units_bk = units.clone();
                }
            }
            Event::BlankNumberRecorded {
                participant,
                number,
                ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.blank_number = Some(number.clone());
                }
            }
            Event::HandoverReady { participant, at } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.handover.ready_at = Some(*at);
                }
            }
            Event::HandoverOpened {
                participant,
                by,
                at,
                due_at,
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.handover.opened_at = Some(*at);
                    p.handover.opened_by = Some(*by);
                    p.handover.due_at = Some(*due_at);
                }
            }
            Event::ReceiptRecorded {
                participant,
                via,
                by,
                at,
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.handover.received_at = Some(*at);
                    p.handover.received_by = Some(*by);
                    p.handover.via = Some(via.clone());
                }
            }
            _ => {}
        }
    }
}
