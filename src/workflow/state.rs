//! A batch's state: where each step stands, each participant's verdict,
//! blank number and handover, the meeting, the RSVPs and the decree. The
//! state changes only by applying an [`Event`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BatchId, Competence, MemberId, ParticipantId, RoleSet};
use crate::sop::{Procedure, StepNo};

/// Where a batch stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Created; participants may still be imported.
    Draft,
    /// Started: the SOP is running.
    Running,
    /// Every step that applies is done.
    Finished,
    /// Cancelled with a reason; nothing more happens in it.
    Cancelled,
}

impl BatchStatus {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Draft => "draft",
            BatchStatus::Running => "running",
            BatchStatus::Finished => "finished",
            BatchStatus::Cancelled => "cancelled",
        }
    }

    /// Reads the stored word back.
    pub fn from_db(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(BatchStatus::Draft),
            "running" => Some(BatchStatus::Running),
            "finished" => Some(BatchStatus::Finished),
            "cancelled" => Some(BatchStatus::Cancelled),
            _ => None,
        }
    }
}

/// Where one step stands in one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    /// Its inputs are not ready yet.
    Waiting,
    /// Its people are working on it; its clock runs.
    Active,
    /// Its output is recorded.
    Done,
    /// It does not apply to this batch (no BK, or no K).
    Skipped,
}

impl StepState {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Waiting => "waiting",
            StepState::Active => "active",
            StepState::Done => "done",
            StepState::Skipped => "skipped",
        }
    }

    /// Reads the stored word back.
    pub fn from_db(text: &str) -> Option<Self> {
        match text {
            "waiting" => Some(StepState::Waiting),
            "active" => Some(StepState::Active),
            "done" => Some(StepState::Done),
            "skipped" => Some(StepState::Skipped),
            _ => None,
        }
    }

    /// Done or skipped: nothing more will happen to the step.
    pub fn is_finished(self) -> bool {
        matches!(self, StepState::Done | StepState::Skipped)
    }
}

/// A "done" pressed by one member, and the roles it counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneMark {
    /// The roles of the step's `done_by` that this member holds.
    pub roles: RoleSet,
    /// When it was pressed.
    pub at: DateTime<Utc>,
}

/// One step's run in one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRun {
    pub state: StepState,
    /// When the step became active (its clock's start).
    pub started_at: Option<DateTime<Utc>>,
    /// Start plus standard time on the calendar; none for per-participant steps.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was done or skipped.
    pub finished_at: Option<DateTime<Utc>>,
    /// Who acknowledged ("I'm on it"), and when.
    pub acks: BTreeMap<MemberId, DateTime<Utc>>,
    /// Who pressed "done", and when.
    pub dones: BTreeMap<MemberId, DoneMark>,
    /// The clock is paused (waiting on something outside the LSP).
    pub pause: Option<Pause>,
    /// How often the step was opened again after a corrected result (0:
    /// never); each round's task cards are new messages.
    pub round: u32,
}

impl StepRun {
    /// Whether the step is past its standard time: active, its clock
    /// running (not paused), and its due time gone. The one rule every
    /// view (chat, command line, digest) shows "overdue" by.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == StepState::Active
            && self.pause.is_none()
            && self.due_at.is_some_and(|d| d < now)
    }
}

/// A paused clock: since when, why, and how much of the standard time was left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub at: DateTime<Utc>,
    pub reason: String,
    /// Counted minutes left until the due time when the clock stopped.
    pub remaining_minutes: i64,
}

impl StepRun {
    /// A step whose inputs are not ready.
    pub fn waiting() -> Self {
        StepRun {
            state: StepState::Waiting,
            started_at: None,
            due_at: None,
            finished_at: None,
            acks: BTreeMap::new(),
            dones: BTreeMap::new(),
            pause: None,
            round: 0,
        }
    }
}

/// Where one participant's handover (step 11) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverStage {
    /// The certificate or letter is not ready yet.
    Waiting,
    /// The document is ready; the participant has been told to come.
    Ready,
    /// Staff have opened the handover; its clock runs.
    Open,
    /// The receipt (tanda terima) is recorded.
    Received,
}

/// How a document reached its participant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum ReceiptVia {
    /// The participant collected it and signed the receipt.
    #[default]
    InPerson,
    /// Sent by courier; the courier's tracking number (nomor resi).
    Courier { tracking_no: String },
    /// Collected by a representative with a power of attorney (surat kuasa).
    Representative { name: String },
}

impl ReceiptVia {
    /// The word stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReceiptVia::InPerson => "in_person",
            ReceiptVia::Courier { .. } => "courier",
            ReceiptVia::Representative { .. } => "representative",
        }
    }

    /// The tracking number or the representative's name.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ReceiptVia::InPerson => None,
            ReceiptVia::Courier { tracking_no } => Some(tracking_no),
            ReceiptVia::Representative { name } => Some(name),
        }
    }

    /// Reads the stored word and detail back.
    pub fn from_db(via: &str, detail: Option<String>) -> Option<Self> {
        match (via, detail) {
            ("in_person", _) => Some(ReceiptVia::InPerson),
            ("courier", Some(tracking_no)) => Some(ReceiptVia::Courier { tracking_no }),
            ("representative", Some(name)) => Some(ReceiptVia::Representative { name }),
            _ => None,
        }
    }
}

/// One participant's handover record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handover {
    pub ready_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub opened_by: Option<MemberId>,
    pub due_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub received_by: Option<MemberId>,
    /// How it was handed over, once received.
    pub via: Option<ReceiptVia>,
}

impl Handover {
    /// The stage the record shows.
    pub fn stage(&self) -> HandoverStage {
        if self.received_at.is_some() {
            HandoverStage::Received
        } else if self.opened_at.is_some() {
            HandoverStage::Open
        } else if self.ready_at.is_some() {
            HandoverStage::Ready
        } else {
            HandoverStage::Waiting
        }
    }
}

/// One participant (asesi) as the workflow sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantState {
    pub id: ParticipantId,
    pub name: String,
    /// The plenary's verdict, once recorded.
    pub result: Option<Competence>,
    /// The BNSP blank number, for K participants once recorded.
    pub blank_number: Option<String>,
    /// For a BK participant: the units not yet competent, when given.
    pub units_bk: Vec<String>,
    pub handover: Handover,
}

/// The committee meeting (rapat pleno), as the invitation states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Where: a room, or an online link.
    pub place: String,
}

/// Changes to the meeting after its invitation went out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeetingChanges {
    /// How often the invitation was changed (a calendar's SEQUENCE).
    pub sequence: u32,
    /// The meeting was cancelled (until it is rescheduled).
    pub cancelled: bool,
}

impl MeetingChanges {
    /// No change yet.
    pub fn none() -> Self {
        MeetingChanges::default()
    }
}

/// An invitee's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rsvp {
    pub attend: bool,
    /// Why they cannot attend.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// The decree (SK penetapan hasil asesmen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decree {
    pub number: String,
    pub date: NaiveDate,
}

/// Everything the workflow knows about one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchState {
    pub id: BatchId,
    /// The procedure version the batch started with.
    pub procedure: Arc<Procedure>,
    pub status: BatchStatus,
    pub participants: BTreeMap<ParticipantId, ParticipantState>,
    pub steps: BTreeMap<StepNo, StepRun>,
    pub meeting: Option<Meeting>,
    /// Reschedules and cancellation after the invitation went out.
    pub meeting_changes: MeetingChanges,
    pub rsvps: BTreeMap<MemberId, Rsvp>,
    /// Who attended the plenary, as marked at the meeting by those who keep
    /// its attendance; an invitee not marked is taken as expected (see
    /// [`BatchState::attended`]).
    pub attendance: BTreeMap<MemberId, bool>,
    pub decree: Option<Decree>,
    /// The day of the assessment, the earliest a decree may be dated
    /// (unknown in a batch made up for a test or a sample).
    pub assessed_on: Option<NaiveDate>,
}

impl BatchState {
    /// A draft batch with these participants; every step waiting.
    pub fn new(
        id: BatchId,
        procedure: Arc<Procedure>,
        participants: impl IntoIterator<Item = (ParticipantId, String)>,
    ) -> Self {
        let steps = procedure
            .steps
            .iter()
            .map(|s| (s.no, StepRun::waiting()))
            .collect();
        BatchState {
            id,
            procedure,
            status: BatchStatus::Draft,
            participants: participants
                .into_iter()
                .map(|(id, name)| {
                    (
                        id,
                        ParticipantState {
                            id,
                            name,
                            result: None,
                            blank_number: None,
                            units_bk: Vec::new(),
                            handover: Handover::default(),
                        },
                    )
                })
                .collect(),
            steps,
            meeting: None,
            meeting_changes: MeetingChanges::default(),
            rsvps: BTreeMap::new(),
            attendance: BTreeMap::new(),
            decree: None,
            assessed_on: None,
        }
    }

    /// The run of step `no`; every step of the procedure has one.
    pub fn run(&self, no: StepNo) -> &StepRun {
        &self.steps[&no]
    }

    /// How many participants' handovers are at `stage`.
    pub fn handovers_at(&self, stage: HandoverStage) -> usize {
        self.participants
            .values()
            .filter(|p| p.handover.stage() == stage)
            .count()
    }

    /// Whether `member` attended the plenary: as marked at the meeting;
    /// unmarked, as expected: the chair (who called and leads it) and
    /// those who said they would come.
    pub fn attended(&self, member: MemberId, chair: bool) -> bool {
        self.attendance
            .get(&member)
            .copied()
            .unwrap_or_else(|| chair || self.rsvps.get(&member).is_some_and(|r| r.attend))
    }

    /// Whether at least one participant has this verdict.
    pub fn has_verdict(&self, verdict: Competence) -> bool {
        self.participants
            .values()
            .any(|p| p.result == Some(verdict))
    }
}
