//! A step's messages: its task card for its people (and each group's
//! announcement), the notice that its clock paused or runs again, and a
//! problem report to Ketua LSP.

use super::card;
use super::group::{BatchFacts, MarkFacts, MarkKind, StepFacts};
use super::views::{PauseNotice, ProblemReport, TaskCard};
use super::*;
use crate::domain::{MemberId, Role};
use crate::sop::StepNo;
use crate::workflow::BatchState;
use chrono::{DateTime, Utc};

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
    // A step not open yet has no card to edit.
    if edit && run.state == crate::workflow::StepState::Waiting {
        return;
    }
    let marks = marks_in_order(run);
    let version = card_version(state, step, run, marks.len());
    let marks: Vec<MarkFacts> = marks
        .iter()
        .map(|(at, kind, m)| MarkFacts {
            kind: *kind,
            name: name_of(audience, *m),
            at: when(*at),
        })
        .collect();
    let (about, participants) = card::participants(state, step, audience);
    let (participants, tally) = super::views::ParticipantTally::screenful(participants);
    let people = card::people(step);
    let clock = card::clock_reason(state, step);
    let readers = card::readers(step);
    // A step opened again runs a new round: new cards, not edits of the old.
    let round = match run.round {
        0 => String::new(),
        n => format!(":r{n}"),
    };
    let keys = |whom: &str| {
        let original = format!("b{b}:s{}{round}:task:{whom}", step.no);
        let key = if edit {
            format!("{original}:v{version}")
        } else {
            original.clone()
        };
        (key, edit.then_some(original))
    };
    for member in holders(audience, &|m| !m.roles.is_disjoint(&readers)) {
        let (key, edit_of) = keys(&format!("m{}", member.id));
        let card = TaskCard {
            batch: batch.clone(),
            step: step_view(step),
            recipient: member.name.clone(),
            started_at: run.started_at.map(when),
            due_at: run.due_at.map(when),
            finished_at: run.finished_at.map(when),
            clock: clock.clone(),
            people: people.clone(),
            rights: card::rights(state, step, member),
            about: about.clone(),
            participants: participants.clone(),
            tally: tally.clone(),
            marks: marks.clone(),
        };
        plan.messages.push(
            Outgoing::to_member(key, Some(state.id), member.id, Message::StepTask(card))
                .editing(edit_of),
        );
    }
    if !edit {
        super::documents::with_task(state, audience, plan, step);
    }
    announce(state, audience, plan, step, &marks, &keys);
}

/// Each group's announcement of a step (or its edit): the step, its marks
/// and its clock, never a participant.
fn announce(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    step: &crate::sop::Step,
    marks: &[MarkFacts],
    keys: &dyn Fn(&str) -> (String, Option<String>),
) {
    let run = state.run(step.no);
    for group in audience.groups {
        let (key, edit_of) = keys(&format!("g{}", group.id()));
        plan.posts.push(GroupPost {
            key,
            batch: Some(state.id),
            chat: *group,
            message: GroupMessage::StepAnnouncement {
                batch: BatchFacts::of(audience.batch),
                step: Box::new(StepFacts::of(step)),
                marks: marks.to_vec(),
                started_at: run.started_at.map(when),
                due_at: run.due_at.map(when),
                finished_at: run.finished_at.map(when),
            },
            edit_of,
        });
    }
}

/// A step's acknowledgements and done marks, oldest first.
fn marks_in_order(run: &crate::workflow::StepRun) -> Vec<(DateTime<Utc>, MarkKind, MemberId)> {
    let mut marks: Vec<(DateTime<Utc>, MarkKind, MemberId)> = run
        .acks
        .iter()
        .map(|(m, at)| (*at, MarkKind::Ack, *m))
        .chain(run.dones.iter().map(|(m, d)| (d.at, MarkKind::Done, *m)))
        .collect();
    marks.sort();
    marks
}

/// The version of a task card, in the key of its edits: it changes with
/// every mark, the finish, the clock (a moved meeting) and each handover's
/// progress, so each change is sent once.
fn card_version(
    state: &BatchState,
    step: &crate::sop::Step,
    run: &crate::workflow::StepRun,
    marks: usize,
) -> String {
    let handovers: usize = if step.per_participant {
        state
            .participants
            .values()
            .map(|p| p.handover.stage() as usize)
            .sum()
    } else {
        0
    };
    format!(
        "{}.{}.{handovers}",
        marks + usize::from(run.state.is_finished()),
        run.due_at.map_or(0, |d| d.timestamp())
    )
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
    let notice = PauseNotice {
        batch,
        step: step_view(step),
        paused,
        reason: run.pause.as_ref().map(|p| p.reason.clone()),
        due_at: run.due_at.map(when),
    };
    let stamp = run.pause.as_ref().map_or_else(
        || run.due_at.map_or(0, |d| d.timestamp_millis()),
        |p| p.at.timestamp_millis(),
    );
    for member in holders(audience, &|m| m.roles.contains(&Role::KetuaLsp)) {
        let key = format!(
            "b{b}:s{}:{}:{stamp}:m{}",
            step.no,
            if paused { "paused" } else { "resumed" },
            member.id
        );
        let message = Message::StepPaused(notice.clone());
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
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
        let key = format!(
            "b{b}:s{}:problem:m{from}:{}:to:m{}",
            step.no,
            at.timestamp_millis(),
            member.id
        );
        let report = ProblemReport {
            batch: batch.clone(),
            step: step_view(step),
            reporter: reporter.clone(),
            text: text.to_string(),
            at: when(at),
        };
        let message = Message::ProblemReport(report);
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}
