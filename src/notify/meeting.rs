//! The meeting's messages: the invitation (Telegram, email with .ics,
//! each group), the RSVP tally and reminders, a moved or cancelled meeting.

use super::group::{BatchFacts, MeetingFacts};
use super::views::{Invitation, InviteeAnswer, MeetingChange, RsvpReminder, RsvpTally};
use super::*;
use crate::domain::Member;
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
        let message = Message::RsvpTally(RsvpTally {
            batch: batch.clone(),
            meeting: meeting_facts(state, meeting),
            invitees: tally.clone(),
        });
        let key = format!("{original}:{version}");
        plan.messages.push(
            Outgoing::to_member(key, Some(state.id), member.id, message).editing(Some(original)),
        );
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
    let invitees = invitee_roles(state);
    for member in holders(audience, &|m| !m.roles.is_disjoint(&invitees)) {
        let whom = format!("m{}", member.id);
        let change = MeetingChange {
            batch: batch.clone(),
            meeting: meeting_facts(state, meeting),
            recipient: member.name.clone(),
            cancelled,
            reason: reason.clone(),
            sequence,
        };
        let key = format!("b{b}:meeting-change:s{sequence}:{whom}");
        let message = Message::MeetingChanged(change.clone());
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
        if let Some(email) = &member.email {
            let key = format!("b{b}:invite:{whom}:email:s{sequence}");
            let message = if cancelled {
                Message::MeetingCancelEmail(change)
            } else {
                Message::MeetingUpdateEmail(change)
            };
            plan.messages.push(Outgoing::email_to_member(
                key,
                Some(state.id),
                member.id,
                email.as_str(),
                message,
            ));
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
    let invitees = invitee_roles(state);
    for member in holders(audience, &|m| !m.roles.is_disjoint(&invitees)) {
        let invitation = Invitation {
            batch: batch.clone(),
            meeting: meeting_facts(state, meeting),
            recipient: member.name.clone(),
            participant_count: state.participants.len(),
        };
        let key = format!("b{b}:invite:m{}:telegram", member.id);
        let message = Message::MeetingInvitation(invitation.clone());
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
        if let Some(email) = &member.email {
            let key = format!("b{b}:invite:m{}:email", member.id);
            let message = Message::MeetingInvitationEmail(invitation);
            plan.messages.push(Outgoing::email_to_member(
                key,
                Some(state.id),
                member.id,
                email.as_str(),
                message,
            ));
        }
    }
    super::documents::with_invitation(state, audience, plan, &invitees);
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
        let message = Message::RsvpTally(RsvpTally {
            batch: batch.clone(),
            meeting: meeting_facts(state, meeting),
            invitees: tally.clone(),
        });
        let key = format!("b{b}:tally:m{}", member.id);
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
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
        .map(|m| {
            let key = format!(
                "b{b}:rsvp-reminder:s{}:m{}",
                state.meeting_changes.sequence, m.id
            );
            let message = Message::RsvpReminder(RsvpReminder {
                batch: batch_view(audience.batch),
                meeting: meeting_facts(state, meeting),
                recipient: m.name.clone(),
            });
            Outgoing::to_member(key, Some(state.id), m.id, message)
        })
        .collect()
}

/// The meeting's facts for templates (and its calendar invite).
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

/// Who is invited to the meeting: the roles of the step that records the
/// results (the plenary; every procedure has one).
fn invitee_roles(state: &BatchState) -> crate::domain::RoleSet {
    state
        .procedure
        .step_recording(RecordKind::Results)
        .map(|s| s.roles.clone())
        .unwrap_or_default()
}

/// Every invitee and their answer so far.
pub(super) fn rsvp_tally(state: &BatchState, audience: &Audience<'_>) -> Vec<InviteeAnswer> {
    let invitees = invitee_roles(state);
    audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&invitees))
        .map(|m| {
            let answer = state.rsvps.get(&m.id);
            InviteeAnswer {
                name: m.name.clone(),
                answer: answer.map(|r| if r.attend { "attend" } else { "absent" }.to_string()),
                reason: answer.and_then(|r| r.reason.clone()),
            }
        })
        .collect()
}
