//! A step's messages: its task card for its people (and each group's
//! announcement), the notice that its clock paused or runs again, and a
//! problem report to Ketua LSP.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::group::{BatchFacts, MarkFacts, StepFacts};
use super::*;
use crate::domain::{MemberId, Role};
use crate::sop::StepNo;
use crate::workflow::BatchState;

/// A step's task card for its people (and, as a [`GroupMessage`], for each group), or its edit when a mark changed it.
pub(super) fn task(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    edit: bool,
    step: StepNo,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(step) = state.procedure.step(step) else {
        return;
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
    let keys = |whom: &str| {
        let original = format!("b{b}:s{}:task:{whom}", step.no);
        let key = if edit {
            format!("{original}:v{version}")
        } else {
            original.clone()
        };
        (key, edit.then_some(original))
    };
    for member in holders(audience, &|m| !m.roles.is_disjoint(&step.roles)) {
        let (key, edit_of) = keys(&format!("m{}", member.id));
        plan.messages.push(Outgoing {
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
        plan.posts.push(GroupPost {
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

/// Ketua LSP hears that a step's clock was paused or runs again.
pub(super) fn pause_notice(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    step: StepNo,
    paused: bool,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(step) = state.procedure.step(step) else {
        return;
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
    for member in holders(audience, &|m| m.roles.contains(&Role::KetuaLsp)) {
        plan.messages.push(Outgoing {
            key: format!(
                "b{b}:s{}:{}:{stamp}:m{}",
                step.no,
                if paused { "paused" } else { "resumed" },
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

/// A problem report, to Ketua LSP.
pub(super) fn problem_report(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    step: StepNo,
    from: MemberId,
    text: &str,
    at: DateTime<Utc>,
) {
    let b = state.id.0;
    let batch = batch_view(audience.batch);
    let Some(step) = state.procedure.step(step) else {
        return;
    };
    let reporter = audience
        .members
        .iter()
        .find(|m| m.id == from)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    for member in holders(audience, &|m| m.roles.contains(&Role::KetuaLsp)) {
        plan.messages.push(Outgoing {
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
                "at": when(at),
            }),
            edit_of: None,
            chat: None,
        });
    }
}

pub(super) fn participants_ready(state: &BatchState, audience: &Audience<'_>) -> Vec<Value> {
    state
        .participants
        .values()
        .filter(|p| p.handover.ready_at.is_some() && p.handover.received_at.is_none())
        .filter_map(|p| audience.participants.get(&p.id))
        .map(|p| json!({"id": p.id.0, "name": p.name}))
        .collect()
}
