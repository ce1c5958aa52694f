//! Who attended the plenary: marked at the meeting, one invitee at a time,
//! by those who keep its attendance. The minutes (berita acara) list who
//! attended from these marks, not from who said they would come.

use super::Run;
use crate::domain::{MemberId, Role, RoleSet};
use crate::sop::RecordKind;
use crate::workflow::command::Staff;
use crate::workflow::event::Event;
use crate::workflow::refusal::Refusal;
use crate::workflow::state::StepState;

/// Who keeps the plenary's attendance: Ketua LSP, who chairs it, and Kabag
/// Sertifikasi, who enters its results.
pub fn attendance_keepers() -> RoleSet {
    [Role::KetuaLsp, Role::KabagSertifikasi].into()
}

impl Run<'_> {
    /// Whether `staff` may mark attendance now: one of its keepers, the
    /// plenary open (not waiting, not over) and its meeting begun, not
    /// cancelled.
    pub(super) fn may_keep_attendance(&self, staff: &Staff) -> Result<(), Refusal> {
        let plenary = self.recording(RecordKind::Results)?;
        Self::require_role(staff, &plenary, &attendance_keepers())?;
        if self.state.meeting_changes.cancelled {
            return Err(Refusal::MeetingCancelled);
        }
        let starts_at = self.state.meeting.as_ref().map(|m| m.starts_at);
        let not_open = Refusal::AttendanceNotOpen {
            step: plenary.no,
            starts_at,
        };
        match self.state.run(plenary.no).state {
            StepState::Active => {}
            StepState::Done | StepState::Skipped => return Err(Refusal::MeetingOver),
            StepState::Waiting => return Err(not_open),
        }
        match starts_at {
            Some(starts_at) if self.now >= starts_at => Ok(()),
            _ => Err(not_open),
        }
    }

    /// Marks `member` present or absent; marking what is already marked
    /// records nothing. Whether `member` is an invitee is the caller's to
    /// check: the workflow knows members only by id.
    pub(super) fn mark_attendance(
        &mut self,
        staff: &Staff,
        member: MemberId,
        present: bool,
    ) -> Result<(), Refusal> {
        self.may_keep_attendance(staff)?;
        if self.state.attendance.get(&member) == Some(&present) {
            return Ok(());
        }
        self.emit(Event::AttendanceMarked {
            member,
            present,
            by: staff.id,
            at: self.now,
        });
        Ok(())
    }
}
