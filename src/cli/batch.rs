//! `sertibot batch …`: create, import participants, start, list; the
//! status in `status.rs`, the corrections in `corrections.rs`.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{BatchCommand, Failure};
use crate::app::{App, AppError, Via};
use crate::domain::{BatchId, Lang};
use crate::participants::ListError;
use crate::workflow::Actor;

pub async fn run(app: &App, command: BatchCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    match command {
        BatchCommand::Create {
            scheme,
            assessed_on,
            place,
        } => create(app, &voice, &scheme, assessed_on, place.as_deref()).await,
        BatchCommand::Import { batch, file } => import(app, &voice, batch, &file).await,
        BatchCommand::Start { batch } => start(app, &voice, batch).await,
        BatchCommand::Status { batch } => super::status::show(app, &voice, batch).await,
        BatchCommand::List => list(app, &voice).await,
        BatchCommand::Documents { batch, out } => documents(app, &voice, batch, &out).await,
        BatchCommand::Export { batch, out } => export(app, &voice, batch, out).await,
        command => super::corrections::run(app, &voice, command).await,
    }
}

/// `batch create`: a new batch, its id printed last for scripts.
async fn create(
    app: &App,
    voice: &Voice,
    scheme: &str,
    assessed_on: chrono::NaiveDate,
    place: Option<&str>,
) -> Result<ExitCode, Failure> {
    let id = app
        .create_batch(scheme, assessed_on, place, &Actor::Operator, Via::Cli)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    // The date in words, so that the day and the month cannot be mistaken.
    voice.say(
        "cli_batch_created",
        json!({"id": id.0, "scheme": scheme.trim(), "date": assessed_on.to_string()}),
    );
    say!("{id}");
    Ok(ExitCode::SUCCESS)
}

/// `batch import`: the participants from a CSV or XLSX file, all or none.
async fn import(
    app: &App,
    voice: &Voice,
    batch: BatchId,
    file: &std::path::Path,
) -> Result<ExitCode, Failure> {
    let path = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| {
        voice.fail(
            "cli_cannot_read",
            json!({"path": path, "error": voice.io_problem(&e)}),
        )
    })?;
    match app
        .import_participants(batch, &bytes, &Actor::Operator, Via::Cli)
        .await
    {
        Ok(count) => {
            voice.say("cli_imported", json!({"count": count, "batch": batch.0}));
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::List(error)) => Err(list_failure(app, voice, &path, &error)),
        Err(e) => Err(voice.explain(app, &e)),
    }
}

/// A refused participant list: each bad row on standard error, then why
/// nothing was imported.
fn list_failure(app: &App, voice: &Voice, path: &str, error: &ListError) -> Failure {
    let why = match (error, voice.lang()) {
        (ListError::BadRows(rows), Lang::En) => {
            for row in rows {
                eprintln!("{path}: {row}");
            }
            let count = rows.len();
            return voice.fail("cli_bad_rows", json!({"path": path, "count": count}));
        }
        (ListError::BadRows(rows), lang) => {
            // The same sentences staff read in chat, a line a row.
            let text = app.templates.list_error(lang, error);
            for line in text.lines().skip(1) {
                eprintln!("{path}: {line}");
            }
            let count = rows.len();
            return voice.fail("cli_bad_rows", json!({"path": path, "count": count}));
        }
        (ListError::Unusable(why), Lang::En) => why.to_string(),
        (error, lang) => app.templates.list_error(lang, error),
    };
    voice.fail("cli_nothing_imported", json!({"path": path, "why": why}))
}

/// `batch start`: the first steps' tasks go out.
async fn start(app: &App, voice: &Voice, batch: BatchId) -> Result<ExitCode, Failure> {
    let decision = app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    let tasks = decision
        .effects
        .iter()
        .filter(|e| matches!(e, crate::workflow::Effect::StepTask { .. }))
        .count();
    voice.say(
        "cli_batch_started",
        json!({"batch": batch.0, "tasks": tasks}),
    );
    super::status::show(app, voice, batch).await
}

/// `batch list`: every batch, newest first (the same lines as the bot's `/batch`).
async fn list(app: &App, voice: &Voice) -> Result<ExitCode, Failure> {
    let batches = app.batches().await.map_err(|e| voice.explain(app, &e))?;
    if batches.is_empty() {
        voice.say("cli_no_batches", json!({}));
        return Ok(ExitCode::SUCCESS);
    }
    let c = voice.columns("cli_batches_columns");
    let column = |i: usize| c.get(i).cloned().unwrap_or_default();
    say!(
        "{:<4} {:<36} {:<10} {:>12} {:<10} {}",
        column(0),
        column(1),
        column(2),
        column(3),
        column(4),
        column(5)
    );
    for b in batches.iter().map(crate::notify::reports::batch_line) {
        let active: Vec<String> = b.active_steps.iter().map(|s| s.to_string()).collect();
        say!(
            "{:<4} {:<36} {:<10} {:>12} {:<10} {}",
            b.id,
            truncate(&b.scheme, 36),
            b.assessed_on,
            b.participants,
            voice.word(&b.status),
            if active.is_empty() {
                "-".into()
            } else {
                active.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `text` within `max` characters, an ellipsis marking a cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `batch documents`: every document the batch has so far, written into
/// `out` (0600 files in a 0700 folder: they hold personal data), one line
/// per file with its number.
async fn documents(
    app: &App,
    voice: &Voice,
    batch: BatchId,
    out: &std::path::Path,
) -> Result<ExitCode, Failure> {
    let made = app
        .batch_documents(batch, Via::Cli)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    if made.is_empty() {
        voice.say("cli_documents_none", json!({"batch": batch.0}));
        return Ok(ExitCode::SUCCESS);
    }
    let dir = out.display().to_string();
    crate::files::create_private_dir(out).map_err(|e| {
        voice.fail(
            "cli_documents_unwritable",
            json!({"path": dir, "error": voice.io_problem(&e)}),
        )
    })?;
    for doc in &made {
        let path = out.join(&doc.file_name);
        crate::files::write_private(&path, &doc.bytes).map_err(|e| {
            voice.fail(
                "cli_documents_unwritable",
                json!({"path": path.display().to_string(), "error": voice.io_problem(&e)}),
            )
        })?;
        say!(
            "{}\t{}\t{}",
            path.display(),
            doc.kind.title(),
            doc.number.as_deref().unwrap_or("-")
        );
    }
    voice.say(
        "cli_documents_written",
        json!({"count": made.len(), "dir": dir}),
    );
    Ok(ExitCode::SUCCESS)
}

/// `batch export`: the evidence ZIP (workbook, documents, manifest), a
/// file of its own (0600: it holds personal data), never over another.
async fn export(
    app: &App,
    voice: &Voice,
    batch: BatchId,
    out: Option<std::path::PathBuf>,
) -> Result<ExitCode, Failure> {
    let made = app
        .export_batch(batch, Via::Cli)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    let interim = made.manifest.interim;
    let path = out.unwrap_or_else(|| {
        let word = if interim { "-sementara" } else { "" };
        format!("batch-{}-bukti{word}.zip", batch.0).into()
    });
    crate::files::write_new_private(&path, &made.bytes).map_err(|e| {
        voice.fail(
            "cli_export_unwritable",
            json!({"path": path.display().to_string(), "error": voice.io_problem(&e)}),
        )
    })?;
    let head = match &made.manifest.audit_chain {
        crate::evidence::ChainState::Sound { head, last_row, .. } => {
            json!({"row": last_row, "hash": head})
        }
        crate::evidence::ChainState::Broken { .. } => serde_json::Value::Null,
    };
    voice.say(
        "cli_export_written",
        json!({
            "path": path.display().to_string(),
            "files": made.manifest.files.len(),
            "kib": (made.bytes.len() as u64).div_ceil(1024),
            "interim": interim,
            "head": head,
        }),
    );
    Ok(ExitCode::SUCCESS)
}
