//! What each staff command records: acknowledgements and "done", problem
//! reports, pauses, the meeting and the answers to it, results, the
//! decree, blank numbers and handovers.

use super::{
    MAX_BLANK_NUMBER, MAX_DECREE_NUMBER, MAX_PLACE, MAX_PROBLEM_TEXT, MAX_REASON,
    MAX_REPRESENTATIVE, MAX_TRACKING_NO, Run, required,
};
use chrono::DateTime;

use crate::domain::{Competence, ParticipantId, RoleSet};
use crate::sop::{RecordKind, StepNo};
use crate::workflow::command::Staff;
use crate::workflow::event::Event;
use crate::workflow::refusal::{Field, Refusal};
use crate::workflow::state::{Decree, HandoverStage, Meeting, ReceiptVia};

impl Run<'_> {
    pub(super) fn acknowledge(&mut self, staff: &Staff, no: StepNo) -> Result<(), Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.roles)?;
        // A repeat of one's own mark is recorded already, even once the step is done.
        if self.state.run(no).acks.contains_key(&staff.id) {
            return Ok(());
        }
        self.require_active(&step)?;
        self.emit(Event::Acknowledged {
            step: no,
            member: staff.id,
            at: self.now,
        });
        Ok(())
    }

    pub(super) fn report_problem(
        &mut self,
        staff: &Staff,
        no: StepNo,
        text: &str,
    ) -> Result<(), Refusal> {
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

    pub(super) fn mark_done(&mut self, staff: &Staff, no: StepNo) -> Result<(), Refusal> {
        let step = self.step(no)?;
        Self::require_role(staff, &step, &step.done_by)?;
        if step.per_participant {
            return Err(Refusal::FinishesByReceipts { step: no });
        }
        if self.state.run(no).dones.contains_key(&staff.id) {
            return Ok(());
        }
        self.require_active(&step)?;
        if let Some(kind) = step.records {
            self.require_record(&step, kind)?;
        }
        self.require_meeting_begun(&step)?;
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

    pub(super) fn rsvp(
        &mut self,
        staff: &Staff,
        attend: bool,
        reason: Option<&str>,
    ) -> Result<(), Refusal> {
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

    pub(super) fn record_blank_number(
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

    /// Opens a participant's handover, and with a `receipt` records it too
    /// (opening it first if staff went straight to the receipt, as an old
    /// button or the courier may).
    pub(super) fn handover(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        receipt: Option<&ReceiptVia>,
    ) -> Result<(), Refusal> {
        let step = self.recording(RecordKind::Receipts)?;
        Self::require_role(staff, &step, &step.entry_roles)?;
        let via = match receipt {
            None => None,
            Some(ReceiptVia::InPerson) => Some(ReceiptVia::InPerson),
            Some(ReceiptVia::Courier { tracking_no }) => Some(ReceiptVia::Courier {
                tracking_no: required(tracking_no, Field::TrackingNo, MAX_TRACKING_NO)?,
            }),
            Some(ReceiptVia::Representative { name }) => Some(ReceiptVia::Representative {
                name: required(name, Field::RepresentativeName, MAX_REPRESENTATIVE)?,
            }),
        };
        let receipt = via.is_some();
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
        let Some(via) = via else {
            return Ok(());
        };
        self.emit(Event::ReceiptRecorded {
            participant,
            via,
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

    pub(super) fn pause(
        &mut self,
        staff: &Staff,
        step: StepNo,
        reason: &str,
    ) -> Result<(), Refusal> {
        let step = self.step(step)?;
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

    pub(super) fn resume(&mut self, staff: &Staff, step: StepNo) -> Result<(), Refusal> {
        let step = self.step(step)?;
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

    pub(super) fn set_meeting(&mut self, staff: &Staff, meeting: &Meeting) -> Result<(), Refusal> {
        self.entry_step(staff, RecordKind::Meeting)?;
        let place = required(&meeting.place, Field::Place, MAX_PLACE)?;
        if meeting.starts_at <= self.now {
            return Err(Refusal::MeetingInPast);
        }
        self.meeting_within_a_year(meeting)?;
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

    pub(super) fn reschedule_meeting(
        &mut self,
        staff: &Staff,
        meeting: &Meeting,
    ) -> Result<(), Refusal> {
        self.require_changeable_meeting(staff)?;
        let place = required(&meeting.place, Field::Place, MAX_PLACE)?;
        // A meeting held earlier than planned is moved to when it was
        // really held: a time already past, but not before the minute its
        // invitation went out (times are typed to the minute).
        let invited_at = self
            .recording(RecordKind::Meeting)
            .ok()
            .and_then(|s| self.state.run(s.no).finished_at)
            .and_then(|sent| {
                DateTime::from_timestamp(sent.timestamp() - sent.timestamp().rem_euclid(60), 0)
            });
        if invited_at.is_none_or(|sent| meeting.starts_at < sent) {
            return Err(Refusal::MeetingInPast);
        }
        self.meeting_within_a_year(meeting)?;
        let meeting = Meeting {
            starts_at: meeting.starts_at,
            place,
        };
        if self.state.meeting.as_ref() == Some(&meeting) && !self.state.meeting_changes.cancelled {
            return Ok(());
        }
        self.emit(Event::MeetingRescheduled {
            meeting,
            sequence: self.state.meeting_changes.sequence + 1,
            by: staff.id,
            at: self.now,
        });
        self.move_meeting_clock();
        Ok(())
    }

    pub(super) fn cancel_meeting(&mut self, staff: &Staff, reason: &str) -> Result<(), Refusal> {
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
        self.move_meeting_clock();
        Ok(())
    }

    pub(super) fn record_result(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        result: Competence,
    ) -> Result<(), Refusal> {
        self.entry_step(staff, RecordKind::Results)?;
        let p = self.participant(participant)?;
        if p.result == Some(result) {
            return Ok(());
        }
        self.emit(Event::ResultRecorded {
            participant,
            result,
            by: staff.id,
            at: self.now,
        });
        Ok(())
    }

    /// The units a BK participant is not yet competent in, as the
    /// results file names them (at the meeting, with the results).
    pub(super) fn record_units_bk(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        units: &[String],
    ) -> Result<(), Refusal> {
        self.entry_step(staff, RecordKind::Results)?;
        let p = self.participant(participant)?;
        if p.result != Some(Competence::BelumKompeten) && !units.is_empty() {
            return Err(Refusal::NotBelumKompeten {
                participant: p.name.clone(),
            });
        }
        if p.units_bk == units {
            return Ok(());
        }
        self.emit(Event::UnitsBkRecorded {
            participant,
            units: units.to_vec(),
            by: staff.id,
            at: self.now,
        });
        Ok(())
    }

    pub(super) fn record_decree(&mut self, staff: &Staff, decree: &Decree) -> Result<(), Refusal> {
        self.entry_step(staff, RecordKind::Decree)?;
        let number = required(&decree.number, Field::DecreeNumber, MAX_DECREE_NUMBER)?;
        self.decree_date_in_range(decree.date)?;
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

    /// The last day a date may name: a year from today, in the calendar's zone.
    fn a_year_ahead(&self) -> chrono::NaiveDate {
        let today = self.now.with_timezone(&self.calendar.tz).date_naive();
        today
            .checked_add_months(chrono::Months::new(12))
            .unwrap_or(today)
    }

    /// A decree is dated between the assessment and a year from today.
    pub(super) fn decree_date_in_range(&self, date: chrono::NaiveDate) -> Result<(), Refusal> {
        let earliest = self.state.assessed_on;
        let latest = self.a_year_ahead();
        if date > latest || earliest.is_some_and(|e| date < e) {
            return Err(Refusal::DecreeDateOutOfRange { earliest, latest });
        }
        Ok(())
    }

    /// A meeting is at most a year ahead.
    fn meeting_within_a_year(&self, meeting: &Meeting) -> Result<(), Refusal> {
        let latest = self.a_year_ahead();
        if meeting
            .starts_at
            .with_timezone(&self.calendar.tz)
            .date_naive()
            > latest
        {
            return Err(Refusal::MeetingTooFar { latest });
        }
        Ok(())
    }
}
