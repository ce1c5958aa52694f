//! `sertibot report --from --to [--out FILE]`: the performance report as
//! FILE.xlsx (with charts) and FILE.pdf.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::json;

use super::Failure;
use super::voice::Voice;
use crate::app::App;

pub async fn run(
    app: &App,
    from: NaiveDate,
    to: NaiveDate,
    out: Option<PathBuf>,
) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let made = app
        .report_files(from, to)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    let base = out.unwrap_or_else(|| format!("laporan-{from}-{to}").into());
    // "laporan.pdf" and "laporan" name the same pair.
    let base = match base.extension().and_then(|e| e.to_str()) {
        Some("pdf" | "xlsx") => base.with_extension(""),
        _ => base,
    };
    let paths = [base.with_extension("xlsx"), base.with_extension("pdf")];
    if let Some(taken) = paths.iter().find(|p| p.exists()) {
        return Err(voice.fail(
            "cli_export_unwritable",
            json!({
                "path": taken.display().to_string(),
                "error": voice.io_problem(&std::io::ErrorKind::AlreadyExists.into()),
            }),
        ));
    }
    for (path, bytes) in paths.iter().zip([&made.xlsx, &made.pdf]) {
        crate::files::write_new_private(path, bytes).map_err(|e| {
            voice.fail(
                "cli_export_unwritable",
                json!({"path": path.display().to_string(), "error": voice.io_problem(&e)}),
            )
        })?;
    }
    let r = &made.report;
    voice.say(
        "cli_report_written",
        json!({
            "xlsx": paths[0].display().to_string(),
            "pdf": paths[1].display().to_string(),
            "done": r.overall.done,
            "percent": r.overall.percent,
            "batches": r.batches,
        }),
    );
    Ok(ExitCode::SUCCESS)
}
