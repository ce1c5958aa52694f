//! What each message shows: one struct per kind of message, holding the
//! facts its template renders. They are stored in the outbox as JSON (the
//! row's context) and read back as the same type, so a template always gets
//! the fields it was written for. The facts shared by many views (a batch,
//! a step, the meeting, a staff member's mark) live in [`super::group`],
//! because a group may see them too.

use serde::{Deserialize, Serialize};

pub use super::group::{BatchFacts, CommandFacts, MarkFacts, MarkKind, MeetingFacts, StepFacts};
pub use attendance::*;
pub use card::*;
pub use emails::*;
pub use office::*;
pub use tally::{ParticipantTally, SCREENFUL};

mod attendance;
mod card;
mod emails;
mod office;
mod tally;

/// A batch named by its id only (a list shown in a private chat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRef {
    pub id: i64,
}

/// A participant as their own email addresses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantFacts {
    pub name: String,
    pub registration_no: Option<String>,
}

/// A participant on a staff member's list (private chat only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedParticipant {
    pub id: i64,
    pub name: String,
}

/// A step's task card for one of its people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskCard {
    pub batch: BatchFacts,
    pub step: StepFacts,
    pub recipient: String,
    /// When the clock starts (or started).
    pub started_at: Option<String>,
    pub due_at: Option<String>,
    pub finished_at: Option<String>,
    /// Why the clock starts when it does: `"meeting"` (at the meeting's
    /// start), `"meeting_cancelled"` (waits for a new date), or none.
    #[serde(default)]
    pub clock: Option<String>,
    /// Who finishes the step, who takes part, who enters its record.
    #[serde(default)]
    pub people: StepPeople,
    /// What this reader may press.
    #[serde(default)]
    pub rights: CardRights,
    /// Which participants the step is about: `"k"`, `"bk"`, `"all"`,
    /// `"handover"`, or none (a step before the results).
    #[serde(default)]
    pub about: Option<String>,
    /// Those participants, with what was recorded for them (none when
    /// there are more than a screenful: see `tally`).
    #[serde(default)]
    pub participants: Vec<CardParticipant>,
    /// Counts instead of names, for more than a screenful of participants.
    #[serde(default)]
    pub tally: Option<ParticipantTally>,
    pub marks: Vec<MarkFacts>,
}

/// A step's card in a group: the same facts without any participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCard {
    pub batch: BatchFacts,
    pub step: StepFacts,
    pub marks: Vec<MarkFacts>,
    pub started_at: Option<String>,
    pub due_at: Option<String>,
    pub finished_at: Option<String>,
    /// Always empty: a group has no one recipient.
    pub recipient: String,
}

/// A step's clock paused or runs again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PauseNotice {
    pub batch: BatchFacts,
    pub step: StepFacts,
    pub paused: bool,
    pub reason: Option<String>,
    pub due_at: Option<String>,
}

/// A problem a staff member reported on a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemReport {
    pub batch: BatchFacts,
    pub step: StepFacts,
    pub reporter: String,
    pub text: String,
    pub at: String,
}

/// An invitee and their answer so far (`attend`, `absent`, or none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteeAnswer {
    pub name: String,
    pub answer: Option<String>,
    pub reason: Option<String>,
}

/// Who comes to the meeting, for the people who invited them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RsvpTally {
    pub batch: BatchFacts,
    pub meeting: MeetingFacts,
    pub invitees: Vec<InviteeAnswer>,
}

/// The meeting's invitation (Telegram, or email with an .ics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub batch: BatchFacts,
    pub meeting: MeetingFacts,
    pub recipient: String,
    pub participant_count: usize,
}

/// The meeting moved or was cancelled (Telegram, or email with the calendar change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingChange {
    pub batch: BatchFacts,
    pub meeting: MeetingFacts,
    pub recipient: String,
    pub cancelled: bool,
    pub reason: Option<String>,
    pub sequence: u32,
}

/// A reminder to answer the invitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RsvpReminder {
    pub batch: BatchFacts,
    pub meeting: MeetingFacts,
    pub recipient: String,
}

/// The decree's number and date (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecreeFacts {
    pub number: String,
    pub date: String,
}

/// A heads-up before a step's standard time ends, or an overdue alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockAlert {
    pub batch: BatchFacts,
    pub step: StepFacts,
    /// The participant a per-participant step's clock runs for.
    pub participant: Option<String>,
    pub due_at: String,
    pub started_at: String,
    /// How late, in counted (working) minutes.
    pub late_minutes: i64,
    /// 0 for the first alert, then the reminder's number.
    pub reminder: u32,
    pub responsible: Vec<String>,
    pub acknowledged: Vec<String>,
    pub not_acknowledged: Vec<String>,
}

/// An open step in the daily digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestStep {
    pub no: u32,
    pub activity: String,
    pub due_at: Option<String>,
    pub overdue: bool,
    pub paused: Option<String>,
    pub acknowledged: Vec<String>,
}

/// A running batch in the daily digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestBatch {
    pub id: i64,
    pub scheme: String,
    pub steps: Vec<DigestStep>,
    /// Invitees who have not answered the meeting's invitation.
    pub unanswered: Vec<String>,
}

/// The daily digest for Ketua LSP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyDigest {
    pub batches: Vec<DigestBatch>,
    pub date: String,
}

/// One step's week: how many were done, how many within standard time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyStep {
    pub no: i64,
    pub activity: String,
    pub done: i64,
    pub within: i64,
    pub percent: i64,
}

/// The weekly digest for Ketua LSP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyDigest {
    pub steps: Vec<WeeklyStep>,
}

/// A message that could not be delivered for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryFailure {
    /// `telegram` or `email`.
    pub channel: String,
    pub recipient: String,
    pub address: String,
    /// The failed message's template.
    pub what: String,
    pub reason: String,
}

/// Telegram cannot reach a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unreachable {
    pub name: String,
    pub roles: String,
    pub reason: String,
    pub has_email: bool,
}

/// A staff member's Telegram message, sent by email instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffFallback {
    pub recipient: String,
    pub text: String,
    /// The document the message carried, attached to the email instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentFile>,
}

/// A one-line answer in a private chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
}

/// A batch and step, as `/tugas` lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskBatch {
    pub id: i64,
    pub scheme: String,
}

/// A step, as `/tugas` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStep {
    pub no: u32,
    pub activity: String,
}

/// One open task of a member's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTask {
    pub batch: TaskBatch,
    pub step: TaskStep,
    pub due_at: Option<String>,
    pub overdue: bool,
}

/// `/tugas`: a member's open tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tasks {
    pub tasks: Vec<OpenTask>,
}

/// One batch, as the batch list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchLine {
    pub id: i64,
    pub scheme: String,
    pub assessed_on: String,
    pub participants: usize,
    pub status: String,
    pub active_steps: Vec<u32>,
}

/// `/batch`: the most recent batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batches {
    pub batches: Vec<BatchLine>,
}

/// A batch's id, scheme and date of assessment, as the status shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusBatch {
    pub id: i64,
    pub scheme: String,
    pub assessed_on: String,
}

/// One step's line in a batch's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusStep {
    pub no: u32,
    pub activity: String,
    pub state: String,
    pub standard_time: String,
    /// Minutes since the step's clock started; none before it starts.
    pub elapsed_minutes: Option<i64>,
    /// When a clock that has not started yet starts (the plenary's, at
    /// its meeting).
    #[serde(default)]
    pub clock_starts_at: Option<String>,
    pub due_at: Option<String>,
    pub overdue: bool,
    /// Why the step's clock is paused, when it is.
    pub paused: Option<String>,
    pub acks: Vec<String>,
}

/// `/status`: where a batch stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub batch: StatusBatch,
    pub state: String,
    pub participants: usize,
    pub received: usize,
    pub steps: Vec<StatusStep>,
}

/// A participant and their result so far, on the K/BK keyboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictLine {
    pub id: i64,
    pub name: String,
    pub result: Option<String>,
}

/// One page of the K/BK keyboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsPage {
    pub batch: BatchRef,
    pub participants: Vec<VerdictLine>,
    pub offset: usize,
    pub page: u32,
    pub pages: u32,
}

/// The participants ready to collect their document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverList {
    pub batch: BatchRef,
    pub ready: Vec<HandoverLine>,
    pub received: usize,
    pub total: usize,
}

/// A batch was created from a participants file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReady {
    pub batch: BatchRef,
    pub count: usize,
}

/// The bot's commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Help {
    pub commands: Vec<CommandFacts>,
}

/// A fixed sentence in a group, by its name in `group_notice.html`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupNoticeText {
    pub notice: String,
}

/// The test email of `sertibot mail test`: no facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailTest {}
