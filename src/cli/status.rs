//! `sertibot batch status`: the batch, its participants' results and
//! receipts, the meeting, the decree, and one line per step.

use std::process::ExitCode;

use serde_json::json;

use super::Failure;
use super::format::{when, when_or_dash};
use super::voice::Voice;
use crate::app::App;
use crate::domain::{BatchId, Competence, MemberId};
use crate::workflow::{BatchState, HandoverStage, StepState};

/// Prints where `batch` stands.
pub async fn show(app: &App, voice: &Voice, batch: BatchId) -> Result<ExitCode, Failure> {
    let now = app.now();
    let (info, state, members) = app.batch(batch).await.map_err(|e| voice.explain(app, &e))?;
    print_summary(app, voice, &info, &state);
    print_steps(app, voice, &state, &members, now);
    Ok(ExitCode::SUCCESS)
}

/// The batch, its procedure, its participants' results and receipts, the
/// meeting and the decree.
fn print_summary(app: &App, voice: &Voice, info: &crate::domain::BatchInfo, state: &BatchState) {
    let tz = app.config.calendar.tz;
    voice.say(
        "cli_status_batch",
        json!({
            "id": info.id.0,
            "scheme": info.scheme,
            "assessed": info.assessed_on.to_string(),
            "place": info.place,
        }),
    );
    voice.say(
        "cli_status_line",
        json!({
            "status": voice.word(state.status.as_str()),
            "name": state.procedure.name,
            "version": state.procedure.version,
            "fingerprint": &state.procedure.fingerprint[..12],
        }),
    );
    let count = |v: Option<Competence>| {
        state
            .participants
            .values()
            .filter(|p| p.result == v)
            .count()
    };
    voice.say(
        "cli_status_participants",
        json!({
            "n": state.participants.len(),
            "k": count(Some(Competence::Kompeten)),
            "bk": count(Some(Competence::BelumKompeten)),
            "missing": count(None),
            "received": state.handovers_at(HandoverStage::Received),
        }),
    );
    if let Some(m) = &state.meeting {
        let attending = state.rsvps.values().filter(|r| r.attend).count();
        voice.say(
            "cli_status_meeting",
            json!({
                "when": when(m.starts_at, tz),
                "place": m.place,
                "attending": attending,
                "absent": state.rsvps.len() - attending,
            }),
        );
    }
    if let Some(d) = &state.decree {
        voice.say(
            "cli_status_decree",
            json!({"number": d.number, "date": d.date.to_string()}),
        );
    }
}

/// One line per step: its time, state, start, due time, end and marks;
/// for the active ones, what and who, a pause, the handovers, how late.
fn print_steps(
    app: &App,
    voice: &Voice,
    state: &BatchState,
    members: &[crate::domain::Member],
    now: chrono::DateTime<chrono::Utc>,
) {
    let tz = app.config.calendar.tz;
    let name_of = |id: &MemberId| crate::notify::reports::member_name(members, *id);
    let c = voice.columns("cli_steps_columns");
    let column = |i: usize| c.get(i).cloned().unwrap_or_default();
    say!();
    say!(
        "{:<7} {:<8} {:<10} {:<21} {:<21} {:<21} {}",
        column(0),
        column(1),
        column(2),
        column(3),
        column(4),
        column(5),
        column(6)
    );
    for step in &state.procedure.steps {
        let run = state.run(step.no);
        let mut word = run.state.as_str();
        if run.is_overdue(now) {
            word = "OVERDUE";
        }
        if run.pause.is_some() {
            word = "paused";
        }
        let stamp = |m: &MemberId, at: &chrono::DateTime<chrono::Utc>| {
            format!(
                "{} {}",
                name_of(m),
                at.with_timezone(&tz).format("%d/%m %H:%M")
            )
        };
        let mut marks: Vec<String> = run.acks.iter().map(|(m, at)| stamp(m, at)).collect();
        marks.extend(
            run.dones
                .iter()
                .map(|(m, d)| voice.line("cli_done_by", json!({"who": stamp(m, &d.at)}))),
        );
        say!(
            "{:<7} {:<8} {:<10} {:<21} {:<21} {:<21} {}",
            step.no.to_string(),
            voice.short_time(step.standard_time),
            voice.word(word),
            when_or_dash(run.started_at, tz),
            when_or_dash(run.due_at, tz),
            when_or_dash(run.finished_at, tz),
            if marks.is_empty() {
                "-".into()
            } else {
                marks.join(", ")
            }
        );
        if run.state == StepState::Active {
            print_active(voice, state, step, now, tz);
        }
    }
}

/// The lines under an active step: what and who, a pause, the handovers,
/// how late.
fn print_active(
    voice: &Voice,
    state: &BatchState,
    step: &crate::sop::Step,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) {
    let run = state.run(step.no);
    let roles: Vec<&str> = step.roles.iter().map(|r| r.title()).collect();
    say!("        {} · {}", step.activity, roles.join(", "));
    if let Some(pause) = &run.pause {
        let line = voice.line(
            "cli_paused_since",
            json!({"when": when(pause.at, tz), "reason": pause.reason}),
        );
        say!("        {line}");
    }
    if step.per_participant {
        let stage = |s: HandoverStage| state.handovers_at(s);
        let line = voice.line(
            "cli_handovers_line",
            json!({
                "waiting": stage(HandoverStage::Waiting),
                "ready": stage(HandoverStage::Ready),
                "open": stage(HandoverStage::Open),
                "received": stage(HandoverStage::Received),
            }),
        );
        say!("        {line}");
    }
    if let Some(due) = run.due_at.filter(|_| run.is_overdue(now)) {
        let line = voice.line("cli_late_by", json!({"span": voice.span(now - due)}));
        say!("        {line}");
    }
}
