//! What a participant's own emails show: their result, that their
//! document is ready (or still waiting, in a reminder), and their receipt.

use serde::{Deserialize, Serialize};

use super::{BatchFacts, DecreeFacts, ParticipantFacts};

/// A participant's own result, by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultNotice {
    pub batch: BatchFacts,
    pub participant: ParticipantFacts,
    /// `K` or `BK`.
    pub result: String,
    pub decree: Option<DecreeFacts>,
    pub working_days_until_ready: i64,
}

/// A participant's document is ready to collect, by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverNotice {
    pub batch: BatchFacts,
    pub participant: ParticipantFacts,
    pub result: String,
    /// The certificate's blank number (K), once recorded.
    #[serde(default)]
    pub blank_number: Option<String>,
    /// A reminder to someone who has not collected it yet.
    #[serde(default)]
    pub reminder: bool,
    /// The day it became ready (a reminder says so), YYYY-MM-DD.
    #[serde(default)]
    pub ready_on: Option<String>,
}

/// A participant's receipt was recorded, by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptNotice {
    pub batch: BatchFacts,
    pub participant: ParticipantFacts,
    pub result: String,
    pub received_at: Option<String>,
    /// `"in_person"`, `"courier"` or `"representative"`.
    #[serde(default)]
    pub via: Option<String>,
    /// The tracking number (courier) or the representative's name.
    #[serde(default)]
    pub via_detail: Option<String>,
    /// The certificate's blank number (K).
    #[serde(default)]
    pub blank_number: Option<String>,
    /// The number of the letter handed over (BK: surat keterangan).
    #[serde(default)]
    pub letter_number: Option<String>,
}
