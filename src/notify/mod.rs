//! Who hears about what: turns the workflow's effects into outbox messages
//! for the right members and participants, each with a key unique to its
//! occasion and the facts its template needs. Pure: the caller supplies the
//! register and the participants, and writes the messages in the same
//! transaction as the change that caused them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::{
    BatchId, BatchInfo, Competence, Member, MemberId, Participant, ParticipantId, Role,
};
use crate::sop::{RecordKind, Step, StepNo};
use crate::workflow::{BatchState, Effect};

pub mod group;

use group::{BatchFacts, MarkFacts, MeetingFacts, StepFacts};
pub use group::{GroupChat, GroupMessage, GroupNotice, GroupPost};

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
    /// The template's name under `message-templates/<lang>/`.
    pub template: String,
    /// The facts the template renders.
    pub context: Value,
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
}

/// A step's facts for templates.
pub fn step_view(step: &Step) -> Value {
    serde_json::to_value(StepFacts::of(step)).unwrap_or_default()
}

fn batch_view(batch: &BatchInfo) -> Value {
    serde_json::to_value(BatchFacts::of(batch)).unwrap_or_default()
}

use group::when;

/// The messages and group posts `effects` call for. Effects that are not
/// messages (due times) give none.
pub fn plan(state: &BatchState, effects: &[Effect], audience: &Audience<'_>) -> Plan {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let holders = |roles: &dyn Fn(&Member) -> bool| -> Vec<&Member> {
        audience.members.iter().filter(|m| roles(m)).collect()
    };
    let mut out = Vec::new();
    let mut posts = Vec::new();
    for effect in effects {
        match effect {
            Effect::StepTask { step } | Effect::TaskChanged { step } => {
                let Some(step) = state.procedure.step(*step) else {
                    continue;
                };
                let run = state.run(step.no);
                let mut marks: Vec<(DateTime<Utc>, &str, MemberId)> = run
                    .acks
                    .iter()
                    .map(|(m, at)| (*at, "ack", *m))
                    .chain(run.dones.iter().map(|(m, d)| (d.at, "done", *m)))
                    .collect();
                marks.sort();
                let version = marks.len() + usize::from(run.state.is_finished());
                let marks: Vec<MarkFacts> = marks
                    .iter()
                    .map(|(at, kind, m)| MarkFacts {
                        kind: if *kind == "ack" { "ack" } else { "done" },
                        name: name_of(audience, *m),
                        at: when(*at),
                    })
                    .collect();
                let ready: Vec<Value> = participants_ready(state, audience);
                let edit = matches!(effect, Effect::TaskChanged { .. });
                let keys = |whom: &str| {
                    let original = format!("b{b}:s{}:task:{whom}", step.no);
                    let key = if edit {
                        format!("{original}:v{version}")
                    } else {
                        original.clone()
                    };
                    (key, edit.then_some(original))
                };
                for member in holders(&|m| !m.roles.is_disjoint(&step.roles)) {
                    let (key, edit_of) = keys(&format!("m{}", member.id));
                    out.push(Outgoing {
                        key,
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "step_task".into(),
                        context: json!({
                            "batch": batch,
                            "step": step_view(step),
                            "recipient": member.name,
                            "started_at": run.started_at.map(when),
                            "due_at": run.due_at.map(when),
                            "finished_at": run.finished_at.map(when),
                            "participants_ready": ready,
                            "marks": marks,
                        }),
                        edit_of,
                        chat: None,
                    });
                }
                for group in audience.groups {
                    let (key, edit_of) = keys(&format!("g{}", group.id()));
                    posts.push(GroupPost {
                        key,
                        batch: Some(state.id),
                        chat: *group,
                        message: GroupMessage::StepAnnouncement {
                            batch: BatchFacts::of(audience.batch),
                            step: Box::new(StepFacts::of(step)),
                            marks: marks.clone(),
                            started_at: run.started_at.map(when),
                            due_at: run.due_at.map(when),
                            finished_at: run.finished_at.map(when),
                        },
                        edit_of,
                    });
                }
            }
            Effect::RsvpChanged => {
                let Some(meeting) = &state.meeting else {
                    continue;
                };
                let tally = rsvp_tally(state, audience);
                // Names this state of the answers, so each change edits once.
                let version: String = state
                    .rsvps
                    .iter()
                    .map(|(m, r)| {
                        format!(
                            "{m}{}{}",
                            if r.attend { 'y' } else { 'n' },
                            r.at.timestamp_millis()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("-");
                for member in inviters(state, audience) {
                    let original = format!("b{b}:tally:m{}", member.id);
                    out.push(Outgoing {
                        key: format!("{original}:{version}"),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "rsvp_tally".into(),
                        context: json!({
                            "batch": batch,
                            "meeting": meeting_view(state, meeting),
                            "invitees": tally,
                        }),
                        edit_of: Some(original),
                        chat: None,
                    });
                }
            }
            Effect::PauseNotice { step, paused } => {
                let Some(step) = state.procedure.step(*step) else {
                    continue;
                };
                let run = state.run(step.no);
                let context = json!({
                    "batch": batch,
                    "step": step_view(step),
                    "paused": paused,
                    "reason": run.pause.as_ref().map(|p| p.reason.clone()),
                    "due_at": run.due_at.map(when),
                });
                let stamp = run.pause.as_ref().map_or_else(
                    || run.due_at.map_or(0, |d| d.timestamp_millis()),
                    |p| p.at.timestamp_millis(),
                );
                for member in holders(&|m| m.roles.contains(&Role::KetuaLsp)) {
                    out.push(Outgoing {
                        key: format!(
                            "b{b}:s{}:{}:{stamp}:m{}",
                            step.no,
                            if *paused { "paused" } else { "resumed" },
                            member.id
                        ),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "step_paused".into(),
                        context: context.clone(),
                        edit_of: None,
                        chat: None,
                    });
                }
            }
            Effect::MeetingChanged { cancelled, reason } => {
                let Some(meeting) = &state.meeting else {
                    continue;
                };
                let sequence = state.meeting_changes.sequence;
                let invitees = state
                    .procedure
                    .step_recording(RecordKind::Results)
                    .map(|s| s.roles.clone())
                    .unwrap_or_default();
                for member in holders(&|m| !m.roles.is_disjoint(&invitees)) {
                    let whom = format!("m{}", member.id);
                    let context = json!({
                        "batch": batch,
                        "meeting": meeting_view(state, meeting),
                        "recipient": member.name,
                        "cancelled": cancelled,
                        "reason": reason,
                        "sequence": sequence,
                    });
                    out.push(Outgoing {
                        key: format!("b{b}:meeting-change:s{sequence}:{whom}"),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "meeting_changed".into(),
                        context: context.clone(),
                        edit_of: None,
                        chat: None,
                    });
                    if let Some(email) = &member.email {
                        out.push(Outgoing {
                            key: format!("b{b}:invite:{whom}:email:s{sequence}"),
                            channel: Channel::Email,
                            batch: Some(state.id),
                            member: Some(member.id),
                            participant: None,
                            address: Some(email.as_str().to_string()),
                            template: if *cancelled {
                                "meeting_cancel_email"
                            } else {
                                "meeting_update_email"
                            }
                            .into(),
                            context,
                            edit_of: None,
                            chat: None,
                        });
                    }
                }
                for group in audience.groups {
                    posts.push(GroupPost {
                        key: format!("b{b}:meeting-change:s{sequence}:g{}", group.id()),
                        batch: Some(state.id),
                        chat: *group,
                        message: GroupMessage::MeetingChanged {
                            batch: BatchFacts::of(audience.batch),
                            meeting: meeting_facts(state, meeting),
                            cancelled: *cancelled,
                            reason: reason.clone(),
                            sequence,
                        },
                        edit_of: None,
                    });
                }
            }
            Effect::MeetingInvitation => {
                let Some(meeting) = &state.meeting else {
                    continue;
                };
                let invitees = state
                    .procedure
                    .step_recording(RecordKind::Results)
                    .map(|s| s.roles.clone())
                    .unwrap_or_else(|| [Role::KetuaLsp, Role::KomiteTeknis].into());
                for member in holders(&|m| !m.roles.is_disjoint(&invitees)) {
                    let context = json!({
                        "batch": batch,
                        "meeting": meeting_view(state, meeting),
                        "recipient": member.name,
                        "participant_count": state.participants.len(),
                    });
                    out.push(Outgoing {
                        key: format!("b{b}:invite:m{}:telegram", member.id),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "meeting_invitation".into(),
                        context: context.clone(),
                        edit_of: None,
                        chat: None,
                    });
                    if let Some(email) = &member.email {
                        out.push(Outgoing {
                            key: format!("b{b}:invite:m{}:email", member.id),
                            channel: Channel::Email,
                            batch: Some(state.id),
                            member: Some(member.id),
                            participant: None,
                            address: Some(email.as_str().to_string()),
                            template: "meeting_invitation_email".into(),
                            context,
                            edit_of: None,
                            chat: None,
                        });
                    }
                }
                for group in audience.groups {
                    posts.push(GroupPost {
                        key: format!("b{b}:invite:g{}:telegram", group.id()),
                        batch: Some(state.id),
                        chat: *group,
                        message: GroupMessage::MeetingInvitation {
                            batch: BatchFacts::of(audience.batch),
                            meeting: meeting_facts(state, meeting),
                            participant_count: state.participants.len(),
                        },
                        edit_of: None,
                    });
                }
                let tally = rsvp_tally(state, audience);
                for member in inviters(state, audience) {
                    out.push(Outgoing {
                        key: format!("b{b}:tally:m{}", member.id),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "rsvp_tally".into(),
                        context: json!({
                            "batch": batch,
                            "meeting": meeting_view(state, meeting),
                            "invitees": tally,
                        }),
                        edit_of: None,
                        chat: None,
                    });
                }
            }
            Effect::ResultNotice { participant } => {
                let Some((p, result)) = participant_with_result(state, audience, *participant)
                else {
                    continue;
                };
                let template = match result {
                    Competence::Kompeten => "result_k",
                    Competence::BelumKompeten => "result_bk",
                };
                out.push(to_participant(
                    state,
                    p,
                    format!("b{b}:result:p{}", p.id),
                    template,
                    json!({
                        "batch": batch,
                        "participant": participant_view(p),
                        "result": result.code(),
                        "decree": state.decree.as_ref().map(|d| json!({"number": d.number, "date": d.date.to_string()})),
                        "working_days_until_ready": working_days_until_ready(state, result),
                    }),
                ));
            }
            Effect::HandoverNotice { participant } => {
                let Some((p, result)) = participant_with_result(state, audience, *participant)
                else {
                    continue;
                };
                out.push(to_participant(
                    state,
                    p,
                    format!("b{b}:handover:p{}", p.id),
                    "handover_notice",
                    json!({
                        "batch": batch,
                        "participant": participant_view(p),
                        "result": result.code(),
                    }),
                ));
            }
            Effect::ReceiptConfirmation { participant } => {
                let Some((p, result)) = participant_with_result(state, audience, *participant)
                else {
                    continue;
                };
                let received_at = state
                    .participants
                    .get(participant)
                    .and_then(|s| s.handover.received_at);
                out.push(to_participant(
                    state,
                    p,
                    format!("b{b}:receipt:p{}", p.id),
                    "receipt_confirmation",
                    json!({
                        "batch": batch,
                        "participant": participant_view(p),
                        "result": result.code(),
                        "received_at": received_at.map(when),
                    }),
                ));
            }
            Effect::ProblemReport {
                step,
                from,
                text,
                at,
            } => {
                let Some(step) = state.procedure.step(*step) else {
                    continue;
                };
                let reporter = audience
                    .members
                    .iter()
                    .find(|m| m.id == *from)
                    .map(|m| m.name.clone())
                    .unwrap_or_default();
                for member in holders(&|m| m.roles.contains(&Role::KetuaLsp)) {
                    out.push(Outgoing {
                        key: format!(
                            "b{b}:s{}:problem:m{from}:{}:to:m{}",
                            step.no,
                            at.timestamp_millis(),
                            member.id
                        ),
                        channel: Channel::Telegram,
                        batch: Some(state.id),
                        member: Some(member.id),
                        participant: None,
                        address: None,
                        template: "problem_report".into(),
                        context: json!({
                            "batch": batch,
                            "step": step_view(step),
                            "reporter": reporter,
                            "text": text,
                            "at": when(*at),
                        }),
                        edit_of: None,
                        chat: None,
                    });
                }
            }
            Effect::SetDeadline { .. } | Effect::ClearDeadline { .. } => {}
        }
    }
    Plan {
        messages: out,
        posts,
    }
}

/// Roughly how many working days, by the SOP's standard times, until a
/// participant with `result` can collect their document: the steps after
/// the decree that concern them, before the handover.
fn working_days_until_ready(state: &BatchState, result: Competence) -> i64 {
    use crate::sop::TimeUnit;
    const DAY: i64 = 8 * 60;
    let Some(decree) = state.procedure.step_recording(RecordKind::Decree) else {
        return 1;
    };
    let minutes: i64 = state
        .procedure
        .steps
        .iter()
        .filter(|s| !s.per_participant)
        .filter(|s| s.applies != crate::sop::Applies::Always && s.applies.concerns(result))
        .filter(|s| s.no > decree.no)
        .map(|s| {
            let n = i64::from(s.standard_time.amount);
            match s.standard_time.unit {
                TimeUnit::Minute => n,
                TimeUnit::Hour => n * 60,
                TimeUnit::Day => n * DAY,
                TimeUnit::Week => n * 5 * DAY,
            }
        })
        .sum();
    ((minutes + DAY - 1) / DAY).max(1)
}

/// The meeting's facts for templates (and its calendar invite).
fn meeting_view(state: &BatchState, meeting: &crate::workflow::Meeting) -> Value {
    serde_json::to_value(meeting_facts(state, meeting)).unwrap_or_default()
}

fn meeting_facts(state: &BatchState, meeting: &crate::workflow::Meeting) -> MeetingFacts {
    MeetingFacts {
        starts_at: when(meeting.starts_at),
        place: meeting.place.clone(),
        minutes: meeting_minutes(state),
    }
}

/// How long the meeting is planned to take: the plenary step's standard time.
fn meeting_minutes(state: &BatchState) -> i64 {
    use crate::sop::TimeUnit;
    state
        .procedure
        .step_recording(RecordKind::Results)
        .map_or(180, |s| {
            let n = i64::from(s.standard_time.amount);
            match s.standard_time.unit {
                TimeUnit::Minute => n,
                TimeUnit::Hour => n * 60,
                TimeUnit::Day | TimeUnit::Week => 8 * 60,
            }
        })
}

fn name_of(audience: &Audience<'_>, member: MemberId) -> String {
    audience
        .members
        .iter()
        .find(|m| m.id == member)
        .map_or_else(|| format!("#{member}"), |m| m.name.clone())
}

/// Who sends the invitation and watches the tally: the meeting step's people.
fn inviters<'a>(state: &BatchState, audience: &'a Audience<'_>) -> Vec<&'a Member> {
    let roles = state
        .procedure
        .step_recording(RecordKind::Meeting)
        .map(|s| s.roles.clone())
        .unwrap_or_default();
    audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&roles))
        .collect()
}

/// Every invitee and their answer so far.
fn rsvp_tally(state: &BatchState, audience: &Audience<'_>) -> Vec<Value> {
    let invitees = state
        .procedure
        .step_recording(RecordKind::Results)
        .map(|s| s.roles.clone())
        .unwrap_or_default();
    audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&invitees))
        .map(|m| {
            let answer = state.rsvps.get(&m.id);
            json!({
                "name": m.name,
                "answer": answer.map(|r| if r.attend { "attend" } else { "absent" }),
                "reason": answer.and_then(|r| r.reason.clone()),
            })
        })
        .collect()
}

fn participant_with_result<'a>(
    state: &BatchState,
    audience: &'a Audience<'_>,
    id: ParticipantId,
) -> Option<(&'a Participant, Competence)> {
    let result = state.participants.get(&id)?.result?;
    Some((audience.participants.get(&id)?, result))
}

fn participant_view(p: &Participant) -> Value {
    json!({"name": p.name, "registration_no": p.registration_no})
}

fn participants_ready(state: &BatchState, audience: &Audience<'_>) -> Vec<Value> {
    state
        .participants
        .values()
        .filter(|p| p.handover.ready_at.is_some() && p.handover.received_at.is_none())
        .filter_map(|p| audience.participants.get(&p.id))
        .map(|p| json!({"id": p.id.0, "name": p.name}))
        .collect()
}

fn to_participant(
    state: &BatchState,
    p: &Participant,
    key: String,
    template: &str,
    context: Value,
) -> Outgoing {
    Outgoing {
        key,
        channel: Channel::Email,
        batch: Some(state.id),
        member: None,
        participant: Some(p.id),
        address: Some(p.email.as_str().to_string()),
        template: template.into(),
        context,
        edit_of: None,
        chat: None,
    }
}

/// Reminders to the invitees who have not answered the invitation yet.
pub fn rsvp_reminders(state: &BatchState, audience: &Audience<'_>) -> Vec<Outgoing> {
    let Some(meeting) = &state.meeting else {
        return Vec::new();
    };
    let plenary = state.procedure.step_recording(RecordKind::Results);
    if plenary.is_none_or(|s| state.run(s.no).state.is_finished())
        || state.meeting_changes.cancelled
    {
        return Vec::new();
    }
    let invitees = plenary.map(|s| s.roles.clone()).unwrap_or_default();
    let b = state.id.0;
    audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&invitees) && !state.rsvps.contains_key(&m.id))
        .map(|m| Outgoing {
            key: format!(
                "b{b}:rsvp-reminder:s{}:m{}",
                state.meeting_changes.sequence, m.id
            ),
            channel: Channel::Telegram,
            batch: Some(state.id),
            member: Some(m.id),
            participant: None,
            address: None,
            template: "rsvp_reminder".into(),
            context: json!({
                "batch": batch_view(audience.batch),
                "meeting": meeting_view(state, meeting),
                "recipient": m.name,
            }),
            edit_of: None,
            chat: None,
        })
        .collect()
}

/// The alert for an occasion of a running clock: a heads-up to the step's
/// people, or an overdue alert (and later reminders) to them and Ketua LSP.
/// `late_minutes` is how late in counted (working) time.
pub fn clock_alert(
    state: &BatchState,
    clock: &crate::store::RunningClock,
    occasion: crate::workflow::alerts::Occasion,
    late_minutes: i64,
    audience: &Audience<'_>,
) -> Vec<Outgoing> {
    use crate::workflow::alerts::Occasion;
    let Some(step) = state.procedure.step(clock.step) else {
        return Vec::new();
    };
    let run = state.run(step.no);
    let holders: Vec<&Member> = audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&step.roles))
        .collect();
    let acknowledged: Vec<String> = run.acks.keys().map(|m| name_of(audience, *m)).collect();
    let waiting: Vec<&str> = holders
        .iter()
        .filter(|m| !run.acks.contains_key(&m.id))
        .map(|m| m.name.as_str())
        .collect();
    let participant = clock
        .participant
        .and_then(|p| audience.participants.get(&p))
        .map(|p| p.name.clone());
    let (kind, n, to_ketua) = match occasion {
        Occasion::HeadsUp => ("heads_up", 0, false),
        Occasion::Overdue { n } => ("overdue", n, true),
    };
    let context = json!({
        "batch": batch_view(audience.batch),
        "step": step_view(step),
        "participant": participant,
        "due_at": when(clock.due_at),
        "started_at": when(clock.started_at),
        "late_minutes": late_minutes,
        "reminder": n,
        "responsible": holders.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        "acknowledged": acknowledged,
        "not_acknowledged": waiting,
    });
    let mut recipients: Vec<&Member> = holders.clone();
    if to_ketua {
        recipients.extend(
            audience
                .members
                .iter()
                .filter(|m| m.roles.contains(&Role::KetuaLsp)),
        );
    }
    recipients.sort_by_key(|m| m.id);
    recipients.dedup_by_key(|m| m.id);
    recipients
        .into_iter()
        .map(|m| Outgoing {
            key: format!(
                "{}:due{}:{kind}{n}:m{}",
                clock.key,
                clock.due_at.timestamp_millis(),
                m.id
            ),
            channel: Channel::Telegram,
            batch: Some(state.id),
            member: Some(m.id),
            participant: None,
            address: None,
            template: format!("step_{kind}"),
            context: context.clone(),
            edit_of: None,
            chat: None,
        })
        .collect()
}

/// A digest to every Ketua LSP; `occasion` (the timer's key) makes it once.
pub fn digest(
    members: &[Member],
    occasion: &str,
    template: &str,
    context: &Value,
) -> Vec<Outgoing> {
    members
        .iter()
        .filter(|m| m.roles.contains(&Role::KetuaLsp))
        .map(|m| Outgoing {
            key: format!("{occasion}:m{}", m.id),
            channel: Channel::Telegram,
            batch: None,
            member: Some(m.id),
            participant: None,
            address: None,
            template: template.into(),
            context: context.clone(),
            edit_of: None,
            chat: None,
        })
        .collect()
}

/// Ketua LSP and Kabag Sertifikasi, who hear of delivery trouble, except `skip`.
fn supervisors(members: &[Member], skip: Option<MemberId>) -> impl Iterator<Item = &Member> {
    members.iter().filter(move |m| {
        Some(m.id) != skip
            && (m.roles.contains(&Role::KetuaLsp) || m.roles.contains(&Role::KabagSertifikasi))
    })
}

/// A Telegram message to one member, outside any batch.
fn to_member(member: MemberId, key: String, template: &str, context: Value) -> Outgoing {
    Outgoing {
        key,
        channel: Channel::Telegram,
        batch: None,
        member: Some(member),
        participant: None,
        address: None,
        template: template.into(),
        context,
        edit_of: None,
        chat: None,
    }
}

/// Reports to Kabag Sertifikasi and Ketua LSP that a message could not be
/// delivered for good. `failed_key` is the failed row's key; `skip` a
/// member not to tell (the one the message was for).
pub fn delivery_failed(
    members: &[Member],
    failed_key: &str,
    skip: Option<MemberId>,
    context: Value,
) -> Vec<Outgoing> {
    supervisors(members, skip)
        .map(|to| {
            to_member(
                to.id,
                format!("failed:{failed_key}:to:m{}", to.id),
                "delivery_failed",
                context.clone(),
            )
        })
        .collect()
}

/// Tells Kabag Sertifikasi and Ketua LSP that Telegram cannot reach `member`
/// (blocked the bot, never started it) and whether email takes over.
pub fn member_unreachable(
    members: &[Member],
    member: &Member,
    reason: &str,
    at: DateTime<Utc>,
) -> Vec<Outgoing> {
    let roles: Vec<&str> = member.roles.iter().map(|r| r.title()).collect();
    let context = json!({
        "name": member.name,
        "roles": roles.join(", "),
        "reason": reason,
        "has_email": member.email.is_some(),
    });
    supervisors(members, Some(member.id))
        .map(|to| {
            to_member(
                to.id,
                format!(
                    "unreachable:m{}:{}:to:m{}",
                    member.id,
                    at.timestamp_millis(),
                    to.id
                ),
                "member_unreachable",
                context.clone(),
            )
        })
        .collect()
}

/// The steps whose task would reach nobody: no member holds any of their roles.
pub fn unstaffed_steps(state: &BatchState, members: &[Member]) -> Vec<(StepNo, Vec<Role>)> {
    state
        .procedure
        .steps
        .iter()
        .filter(|s| !members.iter().any(|m| !m.roles.is_disjoint(&s.roles)))
        .map(|s| (s.no, s.roles.iter().copied().collect()))
        .collect()
}
