//! `sertibot check`: validates the config, the procedure file, the
//! templates, the calendar and the database, and says what is in use.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use super::Failure;
use super::voice::Voice;
use crate::config::{Config, IntakeMode};
use crate::store::Store;
use crate::store::backup::Inspection;
use crate::workflow::CalendarMode;

/// The example config's own LSP name (read from the example `init`
/// writes, so that only its placeholder is warned about, never a real
/// LSP's name): left in place, participants would get emails under it.
fn example_lsp_name() -> String {
    toml::from_str::<toml::Value>(crate::config::EXAMPLE_CONFIG)
        .ok()
        .and_then(|v| v.get("lsp")?.get("name")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub async fn run(config: Config, strict: bool) -> Result<ExitCode, Failure> {
    // The config's own templates, or (when they are what is broken) the embedded ones.
    let voice = match config.templates() {
        Ok(t) => Voice::new(Arc::new(t), config.language),
        Err(_) => Voice::embedded(config.language),
    };
    let ok = voice.line("cli_check_ok", json!({}));
    let failed_word = voice.line("cli_check_failed", json!({}));
    let warn = voice.line("cli_check_warn", json!({}));
    let width = [&ok, &failed_word, &warn]
        .iter()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut failed = 0;
    let mut report = |what: &str, outcome: Result<String, String>| {
        let what = voice.line("cli_check_what", json!({"w": what}));
        match outcome {
            Ok(text) => say!("{ok:<width$} {what}: {text}"),
            Err(text) => {
                failed += 1;
                say!("{failed_word:<width$} {what}: {text}");
            }
        }
    };
    let source = config.source.as_ref().map_or_else(
        || voice.line("cli_check_no_config", json!({})),
        |p| p.display().to_string(),
    );
    report("config", Ok(source));
    report("procedure", procedure(&config, &voice));
    report("templates", templates(&config, &voice));
    report("documents", documents(&config, &voice));
    report(
        "calendar",
        calendar_fits(&config).map(|()| calendar(&config, &voice)),
    );
    report("telegram", Ok(telegram(&config, &voice)));
    report("mail", mail(&config, &voice));
    let mut warned = 0;
    for warning in warnings(&config, &voice) {
        warned += 1;
        say!("{warn:<width$} {warning}");
    }
    report("database", database(&config, &voice).await);
    report("backups", backups(&config, &voice).await);
    if failed > 0 {
        return Err(voice.fail("cli_check_failures", json!({"count": failed})));
    }
    if strict && warned > 0 {
        return Err(voice.fail("cli_check_strict", json!({"count": warned})));
    }
    Ok(ExitCode::SUCCESS)
}

/// Settings that work but would surprise: left at the example's, unset
/// where participants or staff would notice, files others may read.
fn warnings(config: &Config, voice: &Voice) -> Vec<String> {
    let mut out = Vec::new();
    let name = config.lsp.name.trim();
    if name == example_lsp_name() || name == "LSP" || name.is_empty() {
        out.push(voice.line("cli_warn_lsp_name", json!({"name": name})));
    }
    if config.lsp.email.trim().is_empty() {
        out.push(voice.line("cli_warn_lsp_email", json!({})));
    }
    let missing = config.letterhead_missing();
    if !missing.is_empty() {
        out.push(voice.line(
            "cli_warn_letterhead",
            json!({"missing": missing.join(", ")}),
        ));
    }
    if config.mail.from.is_none() {
        out.push(voice.line("cli_warn_mail_from", json!({})));
    }
    if config.telegram.token.is_none() {
        out.push(voice.line("cli_warn_token", json!({})));
    }
    if let IntakeMode::Webhook(webhook) = &config.telegram.intake
        && webhook.listens_publicly()
    {
        out.push(voice.line(
            "cli_warn_webhook_public",
            json!({"listen": webhook.listen.to_string()}),
        ));
    }
    for (path, mode) in looser_files(config) {
        out.push(voice.line(
            "cli_warn_file",
            json!({
                "path": path.display().to_string(),
                "mode": format!("{mode:03o}"),
                "want": if path.is_dir() { "700" } else { "600" },
            }),
        ));
    }
    out
}

/// The procedure in use: its name, version and steps, and where it comes from.
fn procedure(config: &Config, voice: &Voice) -> Result<String, String> {
    config
        .procedure()
        .map_err(|e| voice.procedure_error(&e))
        .map(|p| {
            voice.line(
                "cli_check_procedure",
                json!({
                    "name": p.name,
                    "version": p.version,
                    "steps": p.steps.len(),
                    "file": config.procedure_file.as_ref().map(|f| f.display().to_string()),
                }),
            )
        })
}

/// The templates in use, every message's checked.
fn templates(config: &Config, voice: &Voice) -> Result<String, String> {
    config.templates().map_err(|e| e.to_string()).map(|_| {
        voice.line(
            "cli_check_templates",
            json!({"dir": config.templates_dir.as_ref().map(|d| d.display().to_string())}),
        )
    })
}

/// The document templates, each tried on a sample batch, and the logo.
fn documents(config: &Config, voice: &Voice) -> Result<String, String> {
    config.document_kit().map_err(|e| e.to_string()).map(|_| {
        voice.line(
            "cli_check_documents",
            json!({
                "dir": config.templates_dir.as_ref().map(|d| d.join("documents").display().to_string()),
                "logo": config.logo.as_ref().map(|l| l.display().to_string()),
            }),
        )
    })
}

/// The calendar in use: time zone, working week and hours, holidays.
fn calendar(config: &Config, voice: &Voice) -> String {
    let tz = config.calendar.tz.to_string();
    match &config.calendar.mode {
        CalendarMode::WallClock => voice.line("cli_check_wall_clock", json!({"tz": tz})),
        CalendarMode::Working(w) => {
            let days: Vec<String> = w
                .days
                .iter()
                .map(|d| voice.line("cli_weekday", json!({"d": d.to_string()})))
                .collect();
            voice.line(
                "cli_check_working",
                json!({
                    "tz": tz,
                    "days": days.join(" "),
                    "opens": w.opens.format("%H:%M").to_string(),
                    "closes": w.closes.format("%H:%M").to_string(),
                    "count": w.holidays.len(),
                    "first": w.holidays.keys().next().map(|d| d.to_string()),
                    "last": w.holidays.keys().last().map(|d| d.to_string()),
                }),
            )
        }
    }
}

/// The Telegram settings, the token and the webhook's secret never shown.
fn telegram(config: &Config, voice: &Voice) -> String {
    use secrecy::ExposeSecret;
    let token = config
        .telegram
        .token
        .as_ref()
        .is_some_and(|t| !t.expose_secret().is_empty());
    let mut context = json!({
        "token": token,
        "username": config.telegram.bot_username,
        "webhook": false,
    });
    match &config.telegram.intake {
        IntakeMode::Polling { timeout } => context["timeout"] = json!(timeout.as_secs()),
        IntakeMode::Webhook(w) => {
            context["webhook"] = json!(true);
            context["url"] = json!(w.url.to_string());
            context["listen"] = json!(w.listen.to_string());
        }
    }
    voice.line("cli_check_telegram", context)
}

/// Where emails go, and from whom.
fn mail(config: &Config, voice: &Voice) -> Result<String, String> {
    use crate::mail::transport::Mailer;
    let (mailer, from) = Mailer::from_config(&config.mail).map_err(|e| e.to_string())?;
    let context = json!({"mailer": voice.mailer(&mailer), "from": from.to_string()});
    Ok(voice.line("cli_check_mail", context))
}

/// The database, opened read-only: its integrity, its schema (nothing
/// planted, no protection dropped) and its audit chain, or that it is
/// created on first use.
async fn database(config: &Config, voice: &Voice) -> Result<String, String> {
    let db = &config.database;
    if !db.exists() {
        return Ok(voice.line(
            "cli_check_database_new",
            json!({"path": db.display().to_string()}),
        ));
    }
    let mut file = Inspection::open(db, true)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let found = file.check().await;
    file.close().await;
    let found = found.map_err(|e| format!("{e:#}"))?;
    let path = db.display().to_string();
    if found.integrity != ["ok"] {
        return Err(voice.line(
            "cli_check_integrity",
            json!({"path": path, "findings": found.integrity.join("; ")}),
        ));
    }
    let head = found.chain.map_err(|broken| {
        voice.line(
            "cli_audit_broken",
            json!({"row": broken.row(), "found": broken}),
        )
    })?;
    if let Some(foreign) = &found.foreign {
        return Err(voice.line("cli_audit_schema", json!({"found": foreign})));
    }
    Ok(voice.line(
        "cli_check_database",
        json!({"path": path, "rows": head.rows, "head": head.hash}),
    ))
}

/// The nightly backup: where, how many are kept, and how the last one went
/// (a failed or unsound one fails the check).
async fn backups(config: &Config, voice: &Voice) -> Result<String, String> {
    let Some(backup) = &config.records.backup else {
        return Ok(voice.line("cli_check_backups_off", json!({})));
    };
    let mut last = serde_json::Value::Null;
    if config.database.exists()
        && let Ok(store) = Store::open(&config.database).await
    {
        let found = match store.read().await {
            Ok(mut conn) => Store::last_nightly_backup(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        store.close().await;
        last = found
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .map(|d| d["backup"].clone())
            .unwrap_or_default();
    }
    let context = json!({
        "schedule": backup.schedule,
        "dir": backup.dir.display().to_string(),
        "keep": backup.keep,
        "last": last,
    });
    if last.get("error").is_some() || last.get("sound") == Some(&json!(false)) {
        return Err(voice.line("cli_check_backups_failed", context));
    }
    Ok(voice.line("cli_check_backups", context))
}

/// The files sertibot keeps personal data or secrets in (the config, the
/// database and its logs, the email and backup folders and up to a
/// thousand files of each) that others than their owner may read.
fn looser_files(config: &Config) -> Vec<(std::path::PathBuf, u32)> {
    let mut paths: Vec<std::path::PathBuf> = config.source.iter().cloned().collect();
    paths.extend(crate::files::database_files(&config.database));
    let mut folders = vec![config.mail.eml_dir.clone()];
    folders.extend(config.records.backup.as_ref().map(|b| b.dir.clone()));
    for folder in folders {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            paths.extend(entries.take(1000).flatten().map(|e| e.path()));
        }
        paths.push(folder);
    }
    paths
        .into_iter()
        .filter_map(|p| crate::files::looser_than_private(&p).map(|m| (p, m)))
        .collect()
}

/// Whether every step of the procedure, started now, falls due within a
/// year of its standard time: a holiday list that covers every working day
/// would push due times years away (or past what the calendar can count).
fn calendar_fits(config: &Config) -> Result<(), String> {
    let Ok(procedure) = config.procedure() else {
        return Ok(()); // reported on its own line
    };
    let now = chrono::Utc::now();
    for step in &procedure.steps {
        let minutes = config.calendar.minutes_of(step.standard_time);
        let due = config.calendar.try_add_minutes(now, minutes);
        let plain = now + chrono::Duration::minutes(minutes);
        match due {
            Some(due) if due <= plain + chrono::Duration::days(366) => {}
            _ => {
                return Err(format!(
                    "step {} ({}) started now would not fall due within a year: the working week and holidays leave too few working days; check calendar.holidays_file",
                    step.no, step.standard_time
                ));
            }
        }
    }
    Ok(())
}
