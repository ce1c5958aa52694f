//! The plenary's attendance checklist: every invitee, present as marked at
//! the meeting or, while not marked, as expected (the chair, and those who
//! said they would come).

use super::views::{AttendanceLine, AttendanceList, BatchRef};
use crate::domain::{Member, Role};
use crate::sop::RecordKind;
use crate::workflow::BatchState;

/// Most invitees the checklist shows, within Telegram's 100 buttons.
pub const MAX_INVITEES: usize = 90;

/// The invitees among `members`: the roles of the plenary (the step that
/// records the results), Ketua LSP first, then in the order added.
pub fn invitees<'a>(state: &BatchState, members: &'a [Member]) -> Vec<&'a Member> {
    let roles = state
        .procedure
        .step_recording(RecordKind::Results)
        .map(|s| s.roles.clone())
        .unwrap_or_default();
    let mut rows: Vec<&Member> = members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&roles))
        .collect();
    rows.sort_by_key(|m| (!m.roles.contains(&Role::KetuaLsp), m.id.0));
    rows
}

/// The checklist as recorded now.
pub fn attendance_list(state: &BatchState, members: &[Member]) -> AttendanceList {
    let invitees: Vec<AttendanceLine> = invitees(state, members)
        .into_iter()
        .take(MAX_INVITEES)
        .map(|m| {
            let chair = m.roles.contains(&Role::KetuaLsp);
            AttendanceLine {
                id: m.id.0,
                name: m.name.clone(),
                present: state.attended(m.id, chair),
                marked: state.attendance.contains_key(&m.id),
                answer: state
                    .rsvps
                    .get(&m.id)
                    .map(|r| if r.attend { "attend" } else { "absent" }.to_string()),
                chair,
            }
        })
        .collect();
    AttendanceList {
        batch: BatchRef { id: state.id.0 },
        present: invitees.iter().filter(|i| i.present).count(),
        invitees,
    }
}
