//! Messages to staff outside a batch's steps: deadline heads-ups and
//! overdue alerts, the digests, and reports of delivery trouble.

use super::views::{AuditBroken, ClockAlert, DeliveryFailure, Unreachable};
use chrono::{DateTime, Utc};

use super::*;
use crate::domain::{Member, MemberId, Role};
use crate::sop::StepNo;
use crate::workflow::BatchState;

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
    // Those who declined the meeting are not chased for the step held at it.
    let holders: Vec<&Member> = audience
        .members
        .iter()
        .filter(|m| !m.roles.is_disjoint(&step.roles))
        .filter(|m| !super::card::declined(state, step, m))
        .collect();
    let acknowledged: Vec<String> = run.acks.keys().map(|m| name_of(audience, *m)).collect();
    let waiting: Vec<String> = holders
        .iter()
        .filter(|m| !run.acks.contains_key(&m.id))
        .map(|m| m.name.clone())
        .collect();
    let participant = clock
        .participant
        .and_then(|p| audience.participants.get(&p))
        .map(|p| p.name.clone());
    let (kind, n, to_ketua) = match occasion {
        Occasion::HeadsUp => ("heads_up", 0, false),
        Occasion::Overdue { n } => ("overdue", n, true),
    };
    let alert = ClockAlert {
        batch: batch_view(audience.batch),
        step: step_view(step),
        participant,
        due_at: when(clock.due_at),
        started_at: when(clock.started_at),
        late_minutes,
        reminder: n,
        responsible: holders.iter().map(|m| m.name.clone()).collect(),
        acknowledged,
        not_acknowledged: waiting,
    };
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
        .map(|m| {
            let key = format!(
                "{}:due{}:{kind}{n}:m{}",
                clock.key,
                clock.due_at.timestamp_millis(),
                m.id
            );
            let message = match occasion {
                Occasion::HeadsUp => Message::StepHeadsUp(alert.clone()),
                Occasion::Overdue { .. } => Message::StepOverdue(alert.clone()),
            };
            Outgoing::to_member(key, Some(state.id), m.id, message)
        })
        .collect()
}

/// A digest to every Ketua LSP; `occasion` (the timer's key) makes it once.
pub fn digest(members: &[Member], occasion: &str, digest: &Message) -> Vec<Outgoing> {
    members
        .iter()
        .filter(|m| m.roles.contains(&Role::KetuaLsp))
        .map(|m| Outgoing::to_member(format!("{occasion}:m{}", m.id), None, m.id, digest.clone()))
        .collect()
}

/// Ketua LSP and Kabag Sertifikasi, who hear of delivery trouble, except `skip`.
pub(super) fn supervisors(
    members: &[Member],
    skip: Option<MemberId>,
) -> impl Iterator<Item = &Member> {
    members.iter().filter(move |m| {
        Some(m.id) != skip
            && (m.roles.contains(&Role::KetuaLsp) || m.roles.contains(&Role::KabagSertifikasi))
    })
}

/// Reports to Kabag Sertifikasi and Ketua LSP that a message could not be
/// delivered for good. `failed_key` is the failed row's key; `skip` a
/// member not to tell (the one the message was for).
pub fn delivery_failed(
    members: &[Member],
    failed_key: &str,
    skip: Option<MemberId>,
    failure: &DeliveryFailure,
) -> Vec<Outgoing> {
    supervisors(members, skip)
        .map(|to| {
            let key = format!("failed:{failed_key}:to:m{}", to.id);
            Outgoing::to_member(key, None, to.id, Message::DeliveryFailed(failure.clone()))
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
    let notice = Unreachable {
        name: member.name.clone(),
        roles: roles.join(", "),
        reason: reason.to_string(),
        has_email: member.email.is_some(),
    };
    supervisors(members, Some(member.id))
        .map(|to| {
            let key = format!(
                "unreachable:m{}:{}:to:m{}",
                member.id,
                at.timestamp_millis(),
                to.id
            );
            Outgoing::to_member(key, None, to.id, Message::MemberUnreachable(notice.clone()))
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

/// Tells each Ketua LSP that the audit log's chain breaks at a row; once
/// per broken row, however often the service starts.
pub fn audit_broken(members: &[Member], broken: &AuditBroken) -> Vec<Outgoing> {
    members
        .iter()
        .filter(|m| m.roles.contains(&Role::KetuaLsp))
        .map(|m| {
            let key = format!("audit_broken:r{}:m{}", broken.found.row(), m.id);
            Outgoing::to_member(key, None, m.id, Message::AuditBroken(broken.clone()))
        })
        .collect()
}
