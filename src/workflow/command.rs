//! What someone asks the workflow to do, and who is asking.

use serde::{Deserialize, Serialize};

use super::state::{Decree, Meeting, ReceiptVia};
use crate::domain::{Competence, MemberId, ParticipantId, Role, RoleSet};
use crate::sop::StepNo;

/// A registered staff member acting through Telegram (or a rehearsal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: MemberId,
    pub name: String,
    /// The roles the member holds now (read from the store for every action).
    pub roles: RoleSet,
}

impl Staff {
    /// Whether the member holds any of `roles`.
    pub fn holds_any(&self, roles: &RoleSet) -> bool {
        !self.roles.is_disjoint(roles)
    }

    /// Whether the member holds `role`.
    pub fn holds(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "actor", rename_all = "snake_case")]
pub enum Actor {
    /// The operator at the command line: may start a batch, not act in a step.
    Operator,
    /// A staff member.
    Staff(Staff),
}

/// One request to the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Start the SOP for the batch.
    Start,
    /// "I'm on it."
    Acknowledge { step: StepNo },
    /// Report a problem with a step; Ketua LSP is told.
    ReportProblem { step: StepNo, text: String },
    /// Stop a step's clock while it waits on something outside the LSP.
    PauseStep { step: StepNo, reason: String },
    /// Run a paused step's clock again.
    ResumeStep { step: StepNo },
    /// "Done": the step's output exists.
    MarkDone { step: StepNo },
    /// Set the meeting's time and place (the invitation's content).
    SetMeeting { meeting: Meeting },
    /// Move the meeting after the invitation went out.
    RescheduleMeeting { meeting: Meeting },
    /// Cancel the meeting after the invitation went out.
    CancelMeeting { reason: String },
    /// Answer the meeting invitation.
    Rsvp {
        attend: bool,
        reason: Option<String>,
    },
    /// Mark an invitee present at (or absent from) the plenary, from its
    /// start until it is over (Ketua LSP or Kabag Sertifikasi).
    MarkAttendance { member: MemberId, present: bool },
    /// Record one participant's verdict.
    RecordResult {
        participant: ParticipantId,
        result: Competence,
    },
    /// Record the units of competence a BK participant is not yet
    /// competent in (codes, as the results file gives them; empty clears).
    RecordUnitsBk {
        participant: ParticipantId,
        units: Vec<String>,
    },
    /// Record the decree's number and date.
    RecordDecree { decree: Decree },
    /// Record one K participant's BNSP blank number.
    RecordBlankNumber {
        participant: ParticipantId,
        number: String,
    },
    /// Open a participant's handover (they have come to collect).
    OpenHandover { participant: ParticipantId },
    /// Correct a participant's recorded result, with a reason: before the
    /// decree by those who enter results, after it only by Ketua LSP (the
    /// participant is told by email).
    CorrectResult {
        participant: ParticipantId,
        result: Competence,
        reason: String,
    },
    /// Correct the decree's number or date, with a reason (Ketua LSP).
    CorrectDecree { decree: Decree, reason: String },
    /// Cancel the batch, with a reason (Ketua LSP, or the operator):
    /// everyone with an open task is told, and nothing more is sent.
    CancelBatch { reason: String },
    /// Record a participant's receipt (tanda terima), and how the document
    /// reached them.
    RecordReceipt {
        participant: ParticipantId,
        via: ReceiptVia,
    },
}
