//! The plenary's attendance checklist as the bot shows it (private chats
//! only): each invitee, present or not, and why when not yet marked.

use serde::{Deserialize, Serialize};

use super::BatchRef;

/// An invitee on the plenary's attendance checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceLine {
    /// The member's id (the button's target).
    pub id: i64,
    pub name: String,
    /// Present as marked, or as expected while not marked.
    pub present: bool,
    /// Marked at the meeting (not only expected).
    pub marked: bool,
    /// Their answer to the invitation: `attend`, `absent`, or none.
    pub answer: Option<String>,
    /// Ketua LSP, who chairs the plenary.
    pub chair: bool,
}

/// The plenary's attendance checklist, a button per invitee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceList {
    pub batch: BatchRef,
    pub invitees: Vec<AttendanceLine>,
    /// How many are present.
    pub present: usize,
}
