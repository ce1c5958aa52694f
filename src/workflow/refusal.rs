//! Why the workflow will not do what was asked. Each refusal carries the
//! facts a sentence needs; the sentences themselves, in Indonesian and
//! English, live in `message-templates/<lang>/refusals.toml`, keyed by the
//! refusal's name.

use serde::Serialize;

use chrono::{DateTime, NaiveDate, Utc};

use crate::sop::{RecordKind, StepNo};

/// A step's missing input: the step that has not produced it yet, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingInput {
    pub step: StepNo,
    pub output: String,
}

/// A text field a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ProblemText,
    Place,
    DecreeNumber,
    BlankNumber,
    Reason,
    /// A courier's tracking number (nomor resi).
    TrackingNo,
    /// The name of the representative who collected a document.
    RepresentativeName,
}

/// A refused command. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
#[error("{}", self.key())]
pub enum Refusal {
    /// The batch has not been started.
    BatchNotStarted,
    /// The batch was started already.
    BatchAlreadyStarted,
    /// Every step of the batch is done.
    BatchFinished,
    /// A batch without participants cannot start.
    NoParticipants,
    /// The procedure has no such step.
    UnknownStep { step: StepNo },
    /// Only these roles may do this (for a step, or to start a batch).
    RoleRequired {
        step: Option<StepNo>,
        roles: Vec<String>,
    },
    /// Staff act in steps from Telegram; the operator cannot.
    StaffOnly,
    /// The step's inputs are not ready.
    StepWaiting {
        step: StepNo,
        waiting_for: Vec<MissingInput>,
    },
    /// The step is done already.
    StepAlreadyDone { step: StepNo },
    /// The step does not apply to this batch.
    StepNotApplicable { step: StepNo },
    /// The step cannot be done before its record is entered.
    RecordMissing { step: StepNo, record: RecordKind },
    /// Some participants still have no K/BK.
    ResultsMissing { step: StepNo, missing: usize },
    /// Some K participants still have no blank number.
    BlankNumbersMissing { step: StepNo, missing: usize },
    /// A per-participant step finishes by itself with the last receipt.
    FinishesByReceipts { step: StepNo },
    /// The procedure has no step that records this.
    NothingRecords { record: RecordKind },
    /// No such participant in this batch.
    UnknownParticipant { participant: i64 },
    /// Blank numbers are only for K participants.
    NotKompeten { participant: String },
    /// Units not yet competent are only for BK participants.
    NotBelumKompeten { participant: String },
    /// Another participant holds that blank number.
    BlankNumberTaken { number: String, holder: String },
    /// A required text is empty.
    EmptyField { field: Field },
    /// A text is longer than the field takes.
    TooLong { field: Field, max: usize },
    /// The meeting must start in the future.
    MeetingInPast,
    /// The invitation has not been sent yet.
    InvitationNotSent,
    /// The meeting has ended; answers are closed.
    MeetingOver,
    /// The meeting was cancelled; there is nothing to answer.
    MeetingCancelled,
    /// Only invitees answer the invitation.
    NotInvited,
    /// The participant's document is not ready yet.
    ParticipantNotReady { participant: String },
    /// The participant's receipt is recorded already.
    AlreadyReceived { participant: String },
    /// The batch was cancelled; nothing more happens in it.
    BatchCancelled,
    /// A result can be corrected only once one is recorded.
    NoResultYet { participant: String },
    /// There is no decree to correct yet.
    NoDecreeYet,
    /// A decree dated before the assessment or more than a year ahead.
    DecreeDateOutOfRange {
        earliest: Option<NaiveDate>,
        latest: NaiveDate,
    },
    /// A meeting set more than a year ahead.
    MeetingTooFar { latest: NaiveDate },
    /// The step held at the meeting (the plenary) cannot be finished
    /// before the meeting starts; a meeting held earlier is moved first.
    MeetingNotStarted {
        step: StepNo,
        starts_at: DateTime<Utc>,
    },
    /// The plenary's attendance is kept from the meeting's start while its
    /// step is open: not before (the meeting has not begun, or the step
    /// before it is not done).
    AttendanceNotOpen {
        step: StepNo,
        starts_at: Option<DateTime<Utc>>,
    },
}

impl Refusal {
    /// The refusal's name: the key of its sentence in `refusals.toml`.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::BatchNotStarted => "batch_not_started",
            Refusal::BatchAlreadyStarted => "batch_already_started",
            Refusal::BatchFinished => "batch_finished",
            Refusal::NoParticipants => "no_participants",
            Refusal::UnknownStep { .. } => "unknown_step",
            Refusal::RoleRequired { .. } => "role_required",
            Refusal::StaffOnly => "staff_only",
            Refusal::StepWaiting { .. } => "step_waiting",
            Refusal::StepAlreadyDone { .. } => "step_already_done",
            Refusal::StepNotApplicable { .. } => "step_not_applicable",
            Refusal::RecordMissing { .. } => "record_missing",
            Refusal::ResultsMissing { .. } => "results_missing",
            Refusal::BlankNumbersMissing { .. } => "blank_numbers_missing",
            Refusal::FinishesByReceipts { .. } => "finishes_by_receipts",
            Refusal::NothingRecords { .. } => "nothing_records",
            Refusal::UnknownParticipant { .. } => "unknown_participant",
            Refusal::NotKompeten { .. } => "not_kompeten",
            Refusal::NotBelumKompeten { .. } => "not_belum_kompeten",
            Refusal::BlankNumberTaken { .. } => "blank_number_taken",
            Refusal::EmptyField { .. } => "empty_field",
            Refusal::TooLong { .. } => "too_long",
            Refusal::MeetingInPast => "meeting_in_past",
            Refusal::InvitationNotSent => "invitation_not_sent",
            Refusal::MeetingOver => "meeting_over",
            Refusal::MeetingCancelled => "meeting_cancelled",
            Refusal::NotInvited => "not_invited",
            Refusal::ParticipantNotReady { .. } => "participant_not_ready",
            Refusal::AlreadyReceived { .. } => "already_received",
            Refusal::BatchCancelled => "batch_cancelled",
            Refusal::NoResultYet { .. } => "no_result_yet",
            Refusal::NoDecreeYet => "no_decree_yet",
            Refusal::DecreeDateOutOfRange { .. } => "decree_date_out_of_range",
            Refusal::MeetingTooFar { .. } => "meeting_too_far",
            Refusal::MeetingNotStarted { .. } => "meeting_not_started",
            Refusal::AttendanceNotOpen { .. } => "attendance_not_open",
        }
    }

    /// Every refusal's key, so a test can check each has a sentence.
    pub const KEYS: [&'static str; 35] = [
        "batch_not_started",
        "batch_already_started",
        "batch_finished",
        "no_participants",
        "unknown_step",
        "role_required",
        "staff_only",
        "step_waiting",
        "step_already_done",
        "step_not_applicable",
        "record_missing",
        "results_missing",
        "blank_numbers_missing",
        "finishes_by_receipts",
        "nothing_records",
        "unknown_participant",
        "not_kompeten",
        "not_belum_kompeten",
        "blank_number_taken",
        "empty_field",
        "too_long",
        "meeting_in_past",
        "invitation_not_sent",
        "meeting_over",
        "meeting_cancelled",
        "not_invited",
        "participant_not_ready",
        "already_received",
        "batch_cancelled",
        "no_result_yet",
        "no_decree_yet",
        "decree_date_out_of_range",
        "meeting_too_far",
        "meeting_not_started",
        "attendance_not_open",
    ];
}
