//! The views of the office's own business beyond a step's card: documents
//! ready to hand over, a finished or cancelled batch, a corrected result,
//! a step left without anyone to do it, and the staff list with a new
//! member's link.

use serde::{Deserialize, Serialize};

use super::{BatchFacts, CardParticipant, DecreeFacts, ParticipantFacts, StepFacts};

/// A participant's result was corrected after they were told it, by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultCorrectionNotice {
    pub batch: BatchFacts,
    pub participant: ParticipantFacts,
    /// "K" or "BK": what they were told, and what it is now.
    pub from: String,
    pub to: String,
    pub reason: String,
    pub decree: Option<DecreeFacts>,
}

/// A batch was cancelled (to those with an open task and the supervisors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchCancelledNotice {
    pub batch: BatchFacts,
    pub reason: String,
    /// The steps that were open, by number and activity.
    pub open_steps: Vec<StepFacts>,
}

/// An open step that no active member can finish any more (after a
/// deactivation or a role taken away), to Ketua LSP and Kabag Sertifikasi.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnstaffedStep {
    pub batch: BatchFacts,
    pub step: StepFacts,
    /// The roles that finish it and that nobody holds now.
    pub roles: Vec<String>,
}

/// The staff list (`/anggota`), for Ketua LSP and Kabag Sertifikasi.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<MemberLine>,
    pub inactive: Vec<MemberLine>,
}

/// One member on the staff list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub roles: Vec<String>,
    pub registered: bool,
    pub has_email: bool,
    /// Printed under their signature on papers.
    #[serde(default)]
    pub nip: Option<String>,
}

/// A new member's one-time registration link, for the one who added them
/// to forward. The outbox forgets the link once it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationLink {
    pub member: i64,
    pub name: String,
    pub roles: Vec<String>,
    pub link: String,
    pub expires_at: String,
    /// Members with the same name: perhaps the same person twice.
    pub namesakes: Vec<i64>,
}

/// Documents that just became ready to hand over (to Kabag Sertifikasi).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoversReady {
    pub batch: BatchFacts,
    /// Those ready, by name (none past a screenful: see `tally`).
    pub participants: Vec<CardParticipant>,
    #[serde(default)]
    pub tally: Option<super::ParticipantTally>,
}

/// Every receipt of a batch is in (to Ketua LSP and Kabag Sertifikasi).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFinished {
    pub batch: BatchFacts,
    pub finished_at: String,
    /// Days from the assessment to the last receipt, and of them working days.
    pub lead_days: i64,
    pub lead_working_days: i64,
    pub participants: usize,
    pub k: usize,
    pub bk: usize,
    pub by_courier: usize,
    pub by_representative: usize,
}

/// A document sent as a file in a private chat. The file is made when the
/// message is sent, from the batch's records (the same records give the
/// same bytes, so a retry sends the same file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentFile {
    pub batch: BatchFacts,
    /// The kind's name (`berita-acara`).
    pub kind: String,
    /// The kind's title, for the caption.
    pub title: String,
    /// One participant's document; none: the batch's (the BK letters of a
    /// batch travel together, zipped).
    pub participant: Option<i64>,
    /// The picture (PNG) instead of the PDF: the timeline.
    #[serde(default)]
    pub picture: bool,
    /// Why it comes: `invitation`, `task`, `finished` or `asked`.
    pub occasion: String,
}

/// The audit log's hash chain is broken: someone changed the database
/// file directly. Told to Ketua LSP when the service starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditBroken {
    /// The first row that does not hold, and how.
    pub found: crate::store::chain::Break,
}

/// The performance report as a file for Ketua LSP: the PDF, or its chart
/// as a picture (made when sent, from these figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFile {
    pub report: crate::report::Report,
    pub picture: bool,
    /// `asked` (`/laporan`) or `weekly` (with the weekly summary).
    pub occasion: String,
}
