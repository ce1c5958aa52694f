//! The meeting's messages: the invitation (Telegram, email with .ics,
//! each group), the RSVP tally and reminders, a moved or cancelled meeting.

use serde_json::{Value, json};

use super::group::{BatchFacts, MeetingFacts};
use super::*;
use crate::domain::{Member, Role};
use crate::sop::RecordKind;
use crate::workflow::BatchState;

/// The RSVP tally, edited for the meeting step's people when an answer came.
pub(super) fn rsvp_changed(state: &BatchState, audience: &Audience<'_>, plan: &mut Plan) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(meeting) = &state.meeting else {
        return;
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
        plan.messages.push(Outgoing {
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

/// The meeting moved or was cancelled: every invitee (and each group) is told, invitees with an address by email with the calendar change.
pub(super) fn meeting_changed(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    cancelled: bool,
    reason: &Option<String>,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(meeting) = &state.meeting else {
        return;
    };
    let sequence = state.meeting_changes.sequence;
    let invitees = state
        .procedure
        .step_recording(RecordKind::Results)
        .map(|s| s.roles.clone())
        .unwrap_or_default();
    for member in holders(audience, &|m| !m.roles.is_disjoint(&invitees)) {
        let whom = format!("m{}", member.id);
        let context = json!({
            "batch": batch,
            "meeting": meeting_view(state, meeting),
            "recipient": member.name,
            "cancelled": cancelled,
            "reason": reason,
            "sequence": sequence,
        });
        plan.messages.push(Outgoing {
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
            plan.messages.push(Outgoing {
                key: format!("b{b}:invite:{whom}:email:s{sequence}"),
                channel: Channel::Email,
                batch: Some(state.id),
                member: Some(member.id),
                participant: None,
                address: Some(email.as_str().to_string()),
                template: if cancelled {
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
        plan.posts.push(GroupPost {
            key: format!("b{b}:meeting-change:s{sequence}:g{}", group.id()),
            batch: Some(state.id),
            chat: *group,
            message: GroupMessage::MeetingChanged {
                batch: BatchFacts::of(audience.batch),
                meeting: meeting_facts(state, meeting),
                cancelled,
                reason: reason.clone(),
                sequence,
            },
            edit_of: None,
        });
    }
}

/// The meeting's invitation: to every invitee in Telegram (and by email with an .ics where they have an address), to each group, and the tally for the meeting step's people.
pub(super) fn invitation(state: &BatchState, audience: &Audience<'_>, plan: &mut Plan) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(meeting) = &state.meeting else {
        return;
    };
    let invitees = state
        .procedure
        .step_recording(RecordKind::Results)
        .map(|s| s.roles.clone())
        .unwrap_or_else(|| [Role::KetuaLsp, Role::KomiteTeknis].into());
    for member in holders(audience, &|m| !m.roles.is_disjoint(&invitees)) {
        let context = json!({
            "batch": batch,
            "meeting": meeting_view(state, meeting),
            "recipient": member.name,
            "participant_count": state.participants.len(),
        });
        plan.messages.push(Outgoing {
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
            plan.messages.push(Outgoing {
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
        plan.posts.push(GroupPost {
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
        plan.messages.push(Outgoing {
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

/// The meeting's facts for templates (and its calendar invite).
pub(super) fn meeting_view(state: &BatchState, meeting: &crate::workflow::Meeting) -> Value {
    serde_json::to_value(meeting_facts(state, meeting)).unwrap_or_default()
}

pub(super) fn meeting_facts(
    state: &BatchState,
    meeting: &crate::workflow::Meeting,
) -> MeetingFacts {
    MeetingFacts {
        starts_at: when(meeting.starts_at),
        place: meeting.place.clone(),
        minutes: meeting_minutes(state),
    }
}

/// How long the meeting is planned to take: the plenary step's standard time.
pub(super) fn meeting_minutes(state: &BatchState) -> i64 {
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

/// Who sends the invitation and watches the tally: the meeting step's people.
pub(super) fn inviters<'a>(state: &BatchState, audience: &'a Audience<'_>) -> Vec<&'a Member> {
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
pub(super) fn rsvp_tally(state: &BatchState, audience: &Audience<'_>) -> Vec<Value> {
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
