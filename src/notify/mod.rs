//! Who hears about what: turns the workflow's effects into typed messages
//! ([`Message`], each holding its view) for the right members and
//! participants, each with a key unique to its occasion; group chats get
//! only [`GroupMessage`]s. The read views every reader shares (status,
//! batch list, tasks, digests) are in [`reports`]. Pure: the caller
//! supplies the register and the participants, and writes the messages in
//! the same transaction as the change that caused them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{BatchId, BatchInfo, Member, MemberId, Participant, ParticipantId};
use crate::sop::Step;
use crate::workflow::{BatchState, Effect};

pub mod attendance;
mod card;
mod corrections;
mod documents;
pub mod group;
mod handovers;
mod meeting;
mod message;
mod participants;
pub mod reports;
mod staff;
mod steps;
pub mod views;

pub use handovers::collect_reminder;
pub use meeting::rsvp_reminders;
use meeting::*;
use participants::*;
pub use staff::{
    audit_broken, clock_alert, delivery_failed, digest, member_unreachable, unstaffed_steps,
};
use steps::*;

use group::{BatchFacts, StepFacts};
pub use group::{GroupChat, GroupMessage, GroupNotice, GroupPost};
pub use message::{Message, UnknownMessage};

/// A person's private chat with the bot (Telegram gives people positive
/// ids, equal to their user id). An [`Outgoing`] can be addressed only to
/// one of these, never to a group: group chats get [`GroupPost`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrivateChat(i64);

impl PrivateChat {
    /// The private chat with this id; `None` for a group's (negative) id.
    pub fn new(chat: i64) -> Option<PrivateChat> {
        (chat > 0).then_some(PrivateChat(chat))
    }

    /// The chat id.
    pub fn id(self) -> i64 {
        self.0
    }
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Telegram,
    Email,
}

impl Channel {
    /// The word stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Email => "email",
        }
    }

    /// The channel stored as `word`.
    ///
    /// # Errors
    /// When the word is not a channel.
    pub fn from_db(word: &str) -> anyhow::Result<Channel> {
        match word {
            "telegram" => Ok(Channel::Telegram),
            "email" => Ok(Channel::Email),
            other => anyhow::bail!("unknown channel '{}'", crate::limits::clip(other, 40)),
        }
    }
}

impl PartialEq<&str> for Channel {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

/// One message to send, as the outbox stores it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outgoing {
    /// Unique per occasion: queuing the same occasion twice queues it once.
    pub key: String,
    pub channel: Channel,
    pub batch: Option<BatchId>,
    /// The staff recipient (Telegram, or email to a member).
    pub member: Option<MemberId>,
    /// The participant recipient (email).
    pub participant: Option<ParticipantId>,
    /// The email address, as it was when the message was queued.
    pub address: Option<String>,
    /// What is said: the template and the facts it renders.
    pub message: Message,
    /// The key of an earlier row whose message this one edits.
    pub edit_of: Option<String>,
    /// A private chat to send to (a reply to whoever wrote), instead of the member's.
    pub chat: Option<PrivateChat>,
}

/// What effects call for: messages to people, and posts to groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub messages: Vec<Outgoing>,
    pub posts: Vec<GroupPost>,
}

/// What the planner needs to know besides the batch's state.
pub struct Audience<'a> {
    pub batch: &'a BatchInfo,
    /// Every active member, with roles and contact.
    pub members: &'a [Member],
    /// The batch's participants, with contact.
    pub participants: &'a BTreeMap<ParticipantId, Participant>,
    /// Group chats the bot was added to: step announcements and the
    /// invitation go there too, as [`GroupMessage`]s.
    pub groups: &'a [GroupChat],
    /// The working calendar (a lead time in working days).
    pub calendar: &'a crate::workflow::Calendar,
    /// The letter numbers the batch's documents were given (a BK
    /// participant's receipt cites their letter); empty where no message
    /// planned needs one.
    pub letters: &'a crate::documents::Numbers,
}

impl Outgoing {
    /// A Telegram message to a member's private chat.
    pub fn to_member(
        key: String,
        batch: Option<BatchId>,
        member: MemberId,
        message: Message,
    ) -> Self {
        Outgoing {
            key,
            channel: Channel::Telegram,
            batch,
            member: Some(member),
            participant: None,
            address: None,
            message,
            edit_of: None,
            chat: None,
        }
    }

    /// An email to a member at `address`.
    pub fn email_to_member(
        key: String,
        batch: Option<BatchId>,
        member: MemberId,
        address: &str,
        message: Message,
    ) -> Self {
        Outgoing {
            channel: Channel::Email,
            address: Some(address.to_string()),
            ..Outgoing::to_member(key, batch, member, message)
        }
    }

    /// This message as an edit of the earlier one with key `original`.
    pub fn editing(mut self, original: Option<String>) -> Self {
        self.edit_of = original;
        self
    }
}

/// A step's facts for templates.
fn step_view(step: &Step) -> StepFacts {
    StepFacts::of(step)
}

fn batch_view(batch: &BatchInfo) -> BatchFacts {
    BatchFacts::of(batch)
}

use group::when;

/// The messages and group posts `effects` call for, one function per
/// kind of effect. Effects that are not messages (due times) give none.
pub fn plan(state: &BatchState, effects: &[Effect], audience: &Audience<'_>) -> Plan {
    let mut plan = Plan::default();
    for effect in effects {
        match effect {
            Effect::StepTask { step } => task(state, audience, &mut plan, false, *step),
            Effect::TaskChanged { step } => task(state, audience, &mut plan, true, *step),
            Effect::RsvpChanged => rsvp_changed(state, audience, &mut plan),
            Effect::PauseNotice { step, paused } => {
                pause_notice(state, audience, &mut plan, *step, *paused)
            }
            Effect::MeetingChanged { cancelled, reason } => {
                meeting_changed(state, audience, &mut plan, *cancelled, reason)
            }
            Effect::MeetingInvitation => invitation(state, audience, &mut plan),
            Effect::ResultNotice { participant } => {
                result_notice(state, audience, &mut plan, *participant)
            }
            Effect::HandoverNotice { participant } => {
                handover_notice(state, audience, &mut plan, *participant)
            }
            Effect::ReceiptConfirmation { participant } => {
                receipt(state, audience, &mut plan, *participant)
            }
            Effect::ProblemReport {
                step,
                from,
                text,
                at,
            } => problem_report(state, audience, &mut plan, *step, *from, text, *at),
            Effect::HandoversReady { participants } => {
                handovers::handovers_ready(state, audience, &mut plan, participants)
            }
            Effect::BatchFinished => handovers::batch_finished(state, audience, &mut plan),
            Effect::ResultCorrection {
                participant,
                from,
                to,
                reason,
                at,
            } => {
                let correction = corrections::Correction {
                    participant: *participant,
                    from: *from,
                    to: *to,
                    reason,
                    at: *at,
                };
                corrections::result_correction(state, audience, &mut plan, &correction)
            }
            Effect::BatchCancelled { reason } => {
                corrections::batch_cancelled(state, audience, &mut plan, reason)
            }
            Effect::SetDeadline { .. } | Effect::ClearDeadline { .. } => {}
        }
    }
    plan
}

/// The active members `roles` picks.
fn holders<'a>(audience: &'a Audience<'_>, roles: &dyn Fn(&Member) -> bool) -> Vec<&'a Member> {
    audience.members.iter().filter(|m| roles(m)).collect()
}

fn name_of(audience: &Audience<'_>, member: MemberId) -> String {
    reports::member_name(audience.members, member)
}
