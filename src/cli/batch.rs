//! `sertibot batch …`: create, import participants, start, status, list.

use std::process::ExitCode;

use super::format::{short_time, span, when, when_or_dash};
use super::{BatchCommand, Failure};
use crate::app::{App, AppError, Via};
use crate::domain::{BatchId, Competence, Lang, MemberId};
use crate::participants::ListError;
use crate::workflow::{Actor, HandoverStage, StepState};

pub async fn run(app: &App, command: BatchCommand) -> Result<ExitCode, Failure> {
    match command {
        BatchCommand::Create {
            scheme,
            assessed_on,
            place,
        } => create(app, &scheme, assessed_on, place.as_deref()).await,
        BatchCommand::Import { batch, file } => import(app, batch, &file).await,
        BatchCommand::Start { batch } => start(app, batch).await,
        BatchCommand::Status { batch } => status(app, batch).await,
        BatchCommand::List => list(app).await,
        BatchCommand::CorrectResult {
            batch,
            participant,
            result,
            reason,
            by,
        } => correct_result(app, batch, &participant, result, &reason, by).await,
        BatchCommand::CorrectDecree {
            batch,
            number,
            date,
            reason,
            by,
        } => {
            let decree = crate::workflow::Decree { number, date };
            let command = crate::workflow::Command::CorrectDecree { decree, reason };
            act_as(app, batch, by, command).await?;
            println!("Corrected the decree of batch {batch}.");
            Ok(ExitCode::SUCCESS)
        }
        BatchCommand::Cancel { batch, reason } => {
            let command = crate::workflow::Command::CancelBatch { reason };
            app.act(batch, &Actor::Operator, &[command], Via::Cli)
                .await
                .map_err(explain(app))?;
            println!("Cancelled batch {batch}; staff with an open task are told.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `command` on `batch` as the member `by` (the command line acting
/// for them, as the audit log records).
async fn act_as(
    app: &App,
    batch: BatchId,
    by: MemberId,
    command: crate::workflow::Command,
) -> Result<Vec<crate::workflow::Decision>, Failure> {
    let explain = explain(app);
    let actor = app.member_actor(by).await.map_err(&explain)?;
    app.act(batch, &actor, &[command], Via::Cli)
        .await
        .map_err(explain)
}

/// `batch correct-result`: a participant's K/BK corrected, with a reason.
async fn correct_result(
    app: &App,
    batch: BatchId,
    participant: &str,
    result: Competence,
    reason: &str,
    by: MemberId,
) -> Result<ExitCode, Failure> {
    let p = app
        .find_participant(batch, participant)
        .await
        .map_err(explain(app))?;
    let command = crate::workflow::Command::CorrectResult {
        participant: p.id,
        result,
        reason: reason.to_string(),
    };
    let decisions = act_as(app, batch, by, command).await?;
    let told = decisions
        .iter()
        .flat_map(|d| &d.effects)
        .any(|e| matches!(e, crate::workflow::Effect::ResultCorrection { .. }));
    if decisions.iter().all(|d| d.events.is_empty()) {
        println!("{}'s result is {} already.", p.name, result.code());
    } else {
        println!("Corrected {}'s result to {}.", p.name, result.code());
        if told {
            println!("{} is told by email that the result was corrected.", p.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(app: &App) -> impl Fn(AppError) -> Failure + '_ {
    |e| Failure(app.explain(&e, Lang::En))
}

/// `batch create`: a new batch, its id printed last for scripts.
async fn create(
    app: &App,
    scheme: &str,
    assessed_on: chrono::NaiveDate,
    place: Option<&str>,
) -> Result<ExitCode, Failure> {
    let explain = explain(app);
    let id = app
        .create_batch(scheme, assessed_on, place, &Actor::Operator, Via::Cli)
        .await
        .map_err(explain)?;
    println!(
        "Created batch {id} ({}, assessed on {}).",
        scheme.trim(),
        // In words, so that the day and the month cannot be mistaken.
        assessed_on.format("%-d %B %Y")
    );
    println!("Next: sertibot batch import {id} participants.csv");
    println!("{id}");
    Ok(ExitCode::SUCCESS)
}

/// `batch import`: the participants from a CSV or XLSX file, all or none.
async fn import(app: &App, batch: BatchId, file: &std::path::Path) -> Result<ExitCode, Failure> {
    let explain = explain(app);
    let bytes =
        std::fs::read(file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    match app
        .import_participants(batch, &bytes, &Actor::Operator, Via::Cli)
        .await
    {
        Ok(count) => {
            println!("Imported {count} participant(s) into batch {batch}.");
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::List(ListError::BadRows(rows))) => {
            for row in &rows {
                eprintln!("{}: {row}", file.display());
            }
            Err(Failure(format!(
                "{} has {} bad row(s); nothing was imported",
                file.display(),
                rows.len()
            )))
        }
        Err(AppError::List(ListError::Unusable(why))) => Err(Failure(format!(
            "{}: {why}; nothing was imported",
            file.display()
        ))),
        Err(e) => Err(explain(e)),
    }
}

/// `batch start`: the first steps' tasks go out.
async fn start(app: &App, batch: BatchId) -> Result<ExitCode, Failure> {
    let explain = explain(app);
    let decision = app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .map_err(explain)?;
    let tasks = decision
        .effects
        .iter()
        .filter(|e| matches!(e, crate::workflow::Effect::StepTask { .. }))
        .count();
    println!(
        "Started batch {batch}; {tasks} step(s) active. Their people get the task in Telegram."
    );
    status(app, batch).await
}

/// `batch list`: every batch, newest first (the same lines as the bot's `/batch`).
async fn list(app: &App) -> Result<ExitCode, Failure> {
    let batches = app.batches().await.map_err(explain(app))?;
    if batches.is_empty() {
        println!(
            "No batches yet. Create one with: sertibot batch create --scheme NAME --assessed-on YYYY-MM-DD"
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<4} {:<36} {:<10} {:>12} {:<9} ACTIVE STEPS",
        "ID", "SCHEME", "ASSESSED", "PARTICIPANTS", "STATUS"
    );
    for b in batches.iter().map(crate::notify::reports::batch_line) {
        let active: Vec<String> = b.active_steps.iter().map(|s| s.to_string()).collect();
        println!(
            "{:<4} {:<36} {:<10} {:>12} {:<9} {}",
            b.id,
            truncate(&b.scheme, 36),
            b.assessed_on,
            b.participants,
            b.status,
            if active.is_empty() {
                "-".into()
            } else {
                active.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(app: &App, batch: BatchId) -> Result<ExitCode, Failure> {
    let now = app.now();
    let (info, state, members) = app
        .batch(batch)
        .await
        .map_err(|e| Failure(app.explain(&e, Lang::En)))?;
    print_summary(app, &info, &state);
    print_steps(app, &state, &members, now);
    Ok(ExitCode::SUCCESS)
}

/// The batch, its procedure, its participants' results and receipts, the
/// meeting and the decree.
fn print_summary(app: &App, info: &crate::domain::BatchInfo, state: &crate::workflow::BatchState) {
    let tz = app.config.calendar.tz;
    println!(
        "Batch {} · {} · assessed {}{}",
        info.id,
        info.scheme,
        info.assessed_on,
        info.place
            .as_deref()
            .map(|p| format!(" · {p}"))
            .unwrap_or_default()
    );
    println!(
        "Status: {} · procedure {} {} ({})",
        state.status.as_str(),
        state.procedure.name,
        state.procedure.version,
        &state.procedure.fingerprint[..12]
    );
    let count = |v: Option<Competence>| {
        state
            .participants
            .values()
            .filter(|p| p.result == v)
            .count()
    };
    let received = state.handovers_at(HandoverStage::Received);
    println!(
        "Participants: {} (K {}, BK {}, no result {}) · receipts {}/{}",
        state.participants.len(),
        count(Some(Competence::Kompeten)),
        count(Some(Competence::BelumKompeten)),
        count(None),
        received,
        state.participants.len()
    );
    if let Some(m) = &state.meeting {
        let attending = state.rsvps.values().filter(|r| r.attend).count();
        let absent = state.rsvps.len() - attending;
        println!(
            "Meeting: {}, {} · attending {attending}, not attending {absent}",
            when(m.starts_at, tz),
            m.place
        );
    }
    if let Some(d) = &state.decree {
        println!("Decree: {} of {}", d.number, d.date);
    }
}

/// One line per step: its time, state, start, due time, end and marks;
/// for the active ones, what and who, a pause, the handovers, how late.
fn print_steps(
    app: &App,
    state: &crate::workflow::BatchState,
    members: &[crate::domain::Member],
    now: chrono::DateTime<chrono::Utc>,
) {
    let tz = app.config.calendar.tz;
    let name_of = |id: &MemberId| crate::notify::reports::member_name(members, *id);
    println!();
    println!(
        "{:<5} {:<8} {:<9} {:<21} {:<21} {:<21} ACKNOWLEDGED / DONE BY",
        "STEP", "TIME", "STATE", "STARTED", "DUE", "DONE"
    );
    for step in &state.procedure.steps {
        let run = state.run(step.no);
        let mut word = run.state.as_str().to_string();
        if run.is_overdue(now) {
            word = "OVERDUE".into();
        }
        if run.pause.is_some() {
            word = "paused".into();
        }
        let stamp = |m: &MemberId, at: &chrono::DateTime<chrono::Utc>| {
            format!(
                "{} {}",
                name_of(m),
                at.with_timezone(&tz).format("%d/%m %H:%M")
            )
        };
        let mut acks: Vec<String> = run.acks.iter().map(|(m, at)| stamp(m, at)).collect();
        acks.extend(
            run.dones
                .iter()
                .map(|(m, d)| format!("done: {}", stamp(m, &d.at))),
        );
        println!(
            "{:<5} {:<8} {:<9} {:<21} {:<21} {:<21} {}",
            step.no.to_string(),
            short_time(step.standard_time),
            word,
            when_or_dash(run.started_at, tz),
            when_or_dash(run.due_at, tz),
            when_or_dash(run.finished_at, tz),
            if acks.is_empty() {
                "-".into()
            } else {
                acks.join(", ")
            }
        );
        if run.state == StepState::Active {
            print_active(state, step, now, tz);
        }
    }
}

/// The lines under an active step: what and who, a pause, the handovers,
/// how late.
fn print_active(
    state: &crate::workflow::BatchState,
    step: &crate::sop::Step,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) {
    let run = state.run(step.no);
    let roles: Vec<&str> = step.roles.iter().map(|r| r.title()).collect();
    println!("      {} · {}", step.activity, roles.join(", "));
    if let Some(pause) = &run.pause {
        println!(
            "      paused since {}: {}",
            when(pause.at, tz),
            pause.reason
        );
    }
    if step.per_participant {
        let stage = |s: HandoverStage| state.handovers_at(s);
        println!(
            "      handovers: {} waiting for their document, {} ready, {} open, {} received",
            stage(HandoverStage::Waiting),
            stage(HandoverStage::Ready),
            stage(HandoverStage::Open),
            stage(HandoverStage::Received)
        );
    }
    if let Some(due) = run.due_at.filter(|_| run.is_overdue(now)) {
        println!("      late by {}", span(now - due));
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
