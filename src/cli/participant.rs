//! `sertibot participant …`: correct a participant's name, email or
//! registration number, or remove one before the batch starts; and their
//! rights under UU 27/2022: find them, show all that is held about them,
//! erase them. Each is in the audit log (with its reason where it has one).
//! `sertibot records purge` erases those past the retention period.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{Failure, ParticipantCommand};
use crate::app::{App, ParticipantChange, Via};
use crate::domain::ParticipantId;
use crate::workflow::Actor;

pub async fn run(app: &App, command: ParticipantCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let explain = |e| voice.explain(app, &e);
    match command {
        ParticipantCommand::Correct {
            batch,
            participant,
            name,
            email,
            registration_no,
            resend,
            reason,
        } => {
            let change = ParticipantChange {
                name,
                email,
                registration_no,
                resend,
            };
            let done = app
                .correct_participant(
                    batch,
                    &participant,
                    &change,
                    &reason,
                    &Actor::Operator,
                    Via::Cli,
                )
                .await
                .map_err(explain)?;
            say_corrected(&voice, batch.0, &done);
            Ok(ExitCode::SUCCESS)
        }
        ParticipantCommand::Find { text } => {
            let found = app.find_people(&text).await.map_err(explain)?;
            if found.is_empty() {
                voice.say("cli_people_none", json!({"text": text}));
            }
            for p in found {
                let erased = if p.erased { " (erased)" } else { "" };
                say!(
                    "{}\tbatch {}\t{}\t{}{erased}",
                    p.id,
                    p.batch,
                    p.name,
                    p.email
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ParticipantCommand::Show { id, out } => show(app, &voice, id, out).await,
        ParticipantCommand::Erase { id, reason, force } => {
            let done = app
                .erase_participant(ParticipantId(id), &reason, force, Via::Cli)
                .await
                .map_err(explain)?;
            say_erased(&voice, id, &done);
            Ok(ExitCode::SUCCESS)
        }
        ParticipantCommand::Remove {
            batch,
            participant,
            reason,
        } => {
            let name = app
                .remove_participant(batch, &participant, &reason, &Actor::Operator, Via::Cli)
                .await
                .map_err(explain)?;
            voice.say(
                "cli_participant_removed",
                json!({"name": name, "batch": batch.0}),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What a correction changed, and the emails it redirected or sent again.
fn say_corrected(voice: &Voice, batch: i64, done: &crate::app::Corrected) {
    let fields = if done.fields.is_empty() {
        voice.line("cli_nothing_changed", json!({}))
    } else {
        let words: Vec<String> = done
            .fields
            .iter()
            .map(|f| voice.line("cli_field", json!({"f": f})))
            .collect();
        words.join(", ")
    };
    let context = json!({"name": done.name, "batch": batch, "fields": fields});
    voice.say("cli_participant_corrected", context);
    if done.redirected > 0 {
        voice.say("cli_redirected", json!({"count": done.redirected}));
    }
    if done.resent > 0 {
        voice.say("cli_resent", json!({"count": done.resent}));
    }
}

/// What an erasure removed, scrubbed and compacted, file by file.
fn say_erased(voice: &Voice, id: i64, done: &crate::app::Erased) {
    voice.say(
        "cli_participant_erased",
        json!({
            "id": id,
            "batch": done.batch,
            "files": done.files_deleted,
            "scrubbed": done.scrubbed,
            "compacted": done.compacted,
            "copies": done.copies.iter().map(|(file, done)| match done {
                Ok(records) => json!({"file": file.display().to_string(), "records": records}),
                Err(e) => json!({"file": file.display().to_string(), "error": e}),
            }).collect::<Vec<_>>(),
        }),
    );
}

/// `participant show`: the record as JSON on standard output, or into a
/// new private file, JSON or PDF by its extension.
async fn show(
    app: &App,
    voice: &Voice,
    id: i64,
    out: Option<std::path::PathBuf>,
) -> Result<ExitCode, Failure> {
    let explain = |e| voice.explain(app, &e);
    let kind = out.as_ref().map(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
    });
    if let Some(kind) = &kind
        && !matches!(kind.as_deref(), Some("json" | "pdf"))
    {
        return Err(voice.fail("cli_show_extension", json!({})));
    }
    let record = app
        .personal_record(ParticipantId(id), Via::Cli)
        .await
        .map_err(explain)?;
    let json_text = serde_json::to_string_pretty(&record).unwrap_or_default();
    let Some(path) = out else {
        say!("{json_text}");
        return Ok(ExitCode::SUCCESS);
    };
    let bytes = if matches!(kind.flatten().as_deref(), Some("pdf")) {
        app.personal_record_pdf(&record).await.map_err(explain)?
    } else {
        json_text.into_bytes()
    };
    crate::files::write_new_private(&path, &bytes).map_err(|e| {
        voice.fail(
            "cli_export_unwritable",
            json!({"path": path.display().to_string(), "error": voice.io_problem(&e)}),
        )
    })?;
    voice.say(
        "cli_shown",
        json!({"id": id, "path": path.display().to_string()}),
    );
    Ok(ExitCode::SUCCESS)
}

/// `records purge`: who has passed the retention period, then (unless a
/// dry run) their erasure.
pub async fn purge(app: &App, dry_run: bool) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let due = app
        .purge_records(!dry_run)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    for (id, batch, ended) in &due {
        let ended = ended.with_timezone(&app.config.calendar.tz).date_naive();
        voice.say(
            "cli_purge_row",
            json!({"participant": id.0, "batch": batch, "ended": ended.to_string()}),
        );
    }
    voice.say(
        "cli_purged",
        json!({
            "count": due.len(),
            "years": app.config.records.retain_years,
            "dry_run": dry_run,
        }),
    );
    Ok(ExitCode::SUCCESS)
}
