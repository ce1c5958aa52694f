//! What a step's card says of the step's people and participants, and a
//! line of the handover list: who finishes, takes part and enters, what
//! one reader may press, and the participants with what was recorded.

use serde::{Deserialize, Serialize};

/// The roles of a step, by what they do in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepPeople {
    /// Whose "Selesai" finishes it.
    pub done_by: Vec<String>,
    /// The step's other roles: they take part.
    pub take_part: Vec<String>,
    /// Who enters what the step records (none when it records nothing).
    pub entry_by: Vec<String>,
}

/// The buttons one reader of a card may press.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRights {
    /// "Saya kerjakan" (a role of the step, and not a declined invitee).
    pub acknowledge: bool,
    /// "Selesai" (a role in `done_by`).
    pub finish: bool,
    /// The step's entry (a role in `entry_roles`).
    pub enter: bool,
    /// Declined the meeting this step is held at: not asked to take part.
    pub declined: bool,
    /// "Laporkan kendala" (a role of the step, and not a declined invitee).
    #[serde(default)]
    pub report: bool,
    /// "Daftar hadir": mark who attended (the plenary's card, for those
    /// who keep its attendance).
    #[serde(default)]
    pub attendance: bool,
}

/// A participant on a step's card (private chat only), with what the
/// step needs to know of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardParticipant {
    pub name: String,
    pub registration_no: Option<String>,
    /// "K" or "BK" once recorded.
    pub result: Option<String>,
    /// The BNSP blank number, for K once recorded.
    pub blank_number: Option<String>,
    /// The handover's stage: `"ready"`, `"open"`, `"received"`.
    pub handover: Option<String>,
}

/// A participant on the handover list: ready, or with the handover open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverLine {
    pub id: i64,
    pub name: String,
    /// The handover is open (its clock runs); the receipt is next.
    #[serde(default)]
    pub open: bool,
}
