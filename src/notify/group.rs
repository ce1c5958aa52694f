//! What may be said in a group chat. A group (the technical committee's,
//! say) sees step announcements, the meeting's invitation and changes, the
//! bot's help and a few fixed notices, and nothing else: every message to a
//! group is a [`GroupMessage`], whose variants are built from facts about
//! the batch, its steps, the meeting and the staff only. No variant has a
//! place for a participant's name, contact, list or result, so no code path
//! can put one in a group's outbox row: [`super::Outgoing`] cannot address a
//! group at all (its chat is a [`super::PrivateChat`]), and a [`GroupPost`]
//! can carry only a `GroupMessage`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::message::Message;
use super::views::{GroupCard, GroupNoticeText, Help, Invitation, MeetingChange};

use crate::domain::{BatchId, BatchInfo, Lang};
use crate::sop::Step;

/// A group chat's id: Telegram gives groups and supergroups negative ids,
/// people positive ones, so a group id can never name a person's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupChat(i64);

impl GroupChat {
    /// The group with this chat id; `None` for a person's (positive) id.
    pub fn new(chat: i64) -> Option<GroupChat> {
        (chat < 0).then_some(GroupChat(chat))
    }

    /// The chat id.
    pub fn id(self) -> i64 {
        self.0
    }
}

/// A batch as a group may see it: scheme, date and place of assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFacts {
    pub id: i64,
    pub scheme: String,
    pub assessed_on: String,
    pub place: Option<String>,
}

impl BatchFacts {
    pub fn of(batch: &BatchInfo) -> BatchFacts {
        BatchFacts {
            id: batch.id.0,
            scheme: batch.scheme.clone(),
            assessed_on: batch.assessed_on.to_string(),
            place: batch.place.clone(),
        }
    }
}

/// A step's standard time in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardTimeFacts {
    pub id: String,
    pub en: String,
}

/// A step of the procedure, as every template sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFacts {
    pub no: u32,
    pub activity: String,
    pub gloss: String,
    pub roles: Vec<String>,
    pub needs: Vec<String>,
    pub output: String,
    pub related_sop: Option<String>,
    pub standard_time: StandardTimeFacts,
    pub per_participant: bool,
    pub records: Option<crate::sop::RecordKind>,
}

impl StepFacts {
    pub fn of(step: &Step) -> StepFacts {
        StepFacts {
            no: step.no.0,
            activity: step.activity.clone(),
            gloss: step.gloss.clone(),
            roles: step.roles.iter().map(|r| r.title().to_string()).collect(),
            needs: step.needs.clone(),
            output: step.output.clone(),
            related_sop: step.related_sop.clone(),
            standard_time: StandardTimeFacts {
                id: step.standard_time.describe(Lang::Id),
                en: step.standard_time.describe(Lang::En),
            },
            per_participant: step.per_participant,
            records: step.records,
        }
    }
}

/// Which button a staff member pressed on a step's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkKind {
    /// "Saya kerjakan": the member took the step on.
    Ack,
    /// "Selesai": the member marked it done.
    Done,
}

/// Who pressed what on a step's card: a staff member's name and the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkFacts {
    pub kind: MarkKind,
    /// The staff member's name.
    pub name: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// The meeting's time and place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingFacts {
    pub starts_at: String,
    pub place: String,
    pub minutes: i64,
}

/// A command and what it does, for the help text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandFacts {
    pub command: String,
    pub description: String,
}

/// A fixed sentence the bot may say in a group (`group_notice.html`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupNotice {
    /// "This is done in a private chat with the bot."
    PrivateOnly,
    /// The group was registered by an authorised member.
    Registered,
    /// Only Ketua LSP or Kabag Sertifikasi may do this.
    OnlyLeaders,
}

impl GroupNotice {
    /// The notice's name in `group_notice.html`.
    fn name(self) -> &'static str {
        match self {
            GroupNotice::PrivateOnly => "private_only",
            GroupNotice::Registered => "registered",
            GroupNotice::OnlyLeaders => "only_leaders",
        }
    }
}

/// Everything sertibot may send to a group.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupMessage {
    /// A step became active (or its card changed): what, by whom, until when.
    StepAnnouncement {
        batch: BatchFacts,
        step: Box<StepFacts>,
        marks: Vec<MarkFacts>,
        started_at: Option<String>,
        due_at: Option<String>,
        finished_at: Option<String>,
    },
    /// The technical committee's meeting: when and where, and how many participants.
    MeetingInvitation {
        batch: BatchFacts,
        meeting: MeetingFacts,
        participant_count: usize,
    },
    /// The meeting moved or was cancelled.
    MeetingChanged {
        batch: BatchFacts,
        meeting: MeetingFacts,
        cancelled: bool,
        reason: Option<String>,
        sequence: u32,
    },
    /// The bot's commands.
    Help { commands: Vec<CommandFacts> },
    /// A fixed sentence.
    Notice(GroupNotice),
}

impl GroupMessage {
    /// The message as the outbox stores it (its template and view).
    pub fn stored(&self) -> Message {
        match self.clone() {
            GroupMessage::StepAnnouncement {
                batch,
                step,
                marks,
                started_at,
                due_at,
                finished_at,
            } => Message::GroupStep(GroupCard {
                batch,
                step: *step,
                marks,
                started_at,
                due_at,
                finished_at,
                recipient: String::new(),
            }),
            GroupMessage::MeetingInvitation {
                batch,
                meeting,
                participant_count,
            } => Message::MeetingInvitation(Invitation {
                batch,
                meeting,
                recipient: String::new(),
                participant_count,
            }),
            GroupMessage::MeetingChanged {
                batch,
                meeting,
                cancelled,
                reason,
                sequence,
            } => Message::MeetingChanged(MeetingChange {
                batch,
                meeting,
                recipient: String::new(),
                cancelled,
                reason,
                sequence,
            }),
            GroupMessage::Help { commands } => Message::Help(Help { commands }),
            GroupMessage::Notice(notice) => Message::GroupNotice(GroupNoticeText {
                notice: notice.name().to_string(),
            }),
        }
    }
}

/// A message for a group, as queued: its occasion's key, the group, and
/// the message (optionally an edit of an earlier post).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPost {
    /// Unique per occasion.
    pub key: String,
    pub batch: Option<BatchId>,
    pub chat: GroupChat,
    pub message: GroupMessage,
    /// The key of the earlier post this one edits.
    pub edit_of: Option<String>,
}

/// A time for templates: RFC 3339 in UTC, to the second.
pub fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
