//! `sertibot check`: validates the config, the procedure file, the
//! templates, the calendar and the database, and says what is in use.

use std::process::ExitCode;

use super::Failure;
use crate::config::{Config, IntakeMode, describe_secret};
use crate::store::Store;
use crate::workflow::CalendarMode;

/// The example config's LSP name: left in place, participants would get
/// emails under another LSP's name.
const EXAMPLE_LSP_NAME: &str = "LSP P1 Politeknik STMI Jakarta";

pub async fn run(config: Config, strict: bool) -> Result<ExitCode, Failure> {
    let mut failed = 0;
    let mut report = |what: &str, outcome: Result<String, String>| match outcome {
        Ok(text) => println!("ok     {what}: {text}"),
        Err(text) => {
            failed += 1;
            println!("FAILED {what}: {text}");
        }
    };
    report(
        "config",
        Ok(config.source.as_ref().map_or_else(
            || "no file; defaults".to_string(),
            |p| p.display().to_string(),
        )),
    );
    report("procedure", procedure(&config));
    report("templates", templates(&config));
    report(
        "calendar",
        calendar_fits(&config).map(|()| calendar(&config)),
    );
    report("telegram", Ok(telegram(&config)));
    report(
        "mail",
        crate::mail::transport::Mailer::from_config(&config.mail)
            .map(|(mailer, from)| format!("{}, from {from}", mailer.describe()))
            .map_err(|e| e.to_string()),
    );
    let mut warned = 0;
    for warning in warnings(&config) {
        warned += 1;
        println!("WARN   {warning}");
    }
    report("database", database(&config).await);
    if failed > 0 {
        return Err(Failure(format!("{failed} check(s) failed")));
    }
    if strict && warned > 0 {
        return Err(Failure(format!(
            "{warned} warning(s), and --strict treats them as failures"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Settings that work but would surprise: left at the example's, unset
/// where participants or staff would notice, files others may read.
fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let name = config.lsp.name.trim();
    if name == EXAMPLE_LSP_NAME || name == "LSP" || name.is_empty() {
        out.push(format!(
            "lsp.name: \"{name}\" is the example's (or the default); participants' emails would go out under that name: set your LSP's name"
        ));
    }
    if config.lsp.email.trim().is_empty() {
        out.push(
            "lsp.email is not set: emails ask participants to reply but carry no Reply-To address"
                .into(),
        );
    }
    if config.mail.from.is_none() {
        out.push("mail.from is not set: emails have no sender address to send from (SERTIBOT_MAIL_FROM or mail.from)".into());
    }
    if config.telegram.token.is_none() {
        out.push("telegram: no bot token (telegram.token or TELOXIDE_TOKEN): `sertibot run` cannot reach Telegram".into());
    }
    for (path, mode) in looser_files(config) {
        out.push(format!(
            "files: {} is readable by others (mode {mode:03o}); it holds personal data or secrets: chmod {} {}",
            path.display(),
            if path.is_dir() { "700" } else { "600" },
            path.display()
        ));
    }
    out
}

/// The procedure in use: its name, version and steps, and where it comes from.
fn procedure(config: &Config) -> Result<String, String> {
    config.procedure().map_err(|e| e.to_string()).map(|p| {
        format!(
            "{} {} ({} steps, {})",
            p.name,
            p.version,
            p.steps.len(),
            config.procedure_file.as_ref().map_or_else(
                || "embedded default".to_string(),
                |f| f.display().to_string()
            )
        )
    })
}

/// The templates in use, every message's checked.
fn templates(config: &Config) -> Result<String, String> {
    config.templates().map_err(|e| e.to_string()).map(|_| {
        config.templates_dir.as_ref().map_or_else(
            || "embedded".to_string(),
            |d| format!("{} over the embedded ones", d.display()),
        )
    })
}

/// The calendar in use: time zone, working week and hours, holidays.
fn calendar(config: &Config) -> String {
    match &config.calendar.mode {
        CalendarMode::WallClock => format!("wall clock, {}", config.calendar.tz),
        CalendarMode::Working(w) => {
            let days: Vec<String> = w.days.iter().map(|d| d.to_string()).collect();
            let range = match (w.holidays.keys().next(), w.holidays.keys().last()) {
                (Some(a), Some(b)) => format!(" from {a} to {b}"),
                _ => String::new(),
            };
            format!(
                "working time, {}, {} {}–{}, {} holidays{range}",
                config.calendar.tz,
                days.join(" "),
                w.opens.format("%H:%M"),
                w.closes.format("%H:%M"),
                w.holidays.len()
            )
        }
    }
}

/// The Telegram settings, the token and the webhook's secret never shown.
fn telegram(config: &Config) -> String {
    let intake = match &config.telegram.intake {
        IntakeMode::Polling { timeout } => {
            format!("long polling ({} s a request)", timeout.as_secs())
        }
        IntakeMode::Webhook(w) => format!(
            "webhook {} served on {} (secret set, hidden)",
            w.url, w.listen
        ),
    };
    format!(
        "token {}, bot username {}, updates by {intake}",
        describe_secret(&config.telegram.token),
        config
            .telegram
            .bot_username
            .as_deref()
            .unwrap_or("asked of Telegram")
    )
}

/// The database: its integrity, or that it is created on first use.
async fn database(config: &Config) -> Result<String, String> {
    let db = &config.database;
    if db.exists() {
        match Store::open(db).await {
            Ok(store) => {
                let findings = store.integrity_check().await;
                store.close().await;
                match findings {
                    Ok(f) if f == ["ok"] => Ok(format!("{} (integrity ok)", db.display())),
                    Ok(f) => Err(format!(
                        "{}: integrity check found: {}",
                        db.display(),
                        f.join("; ")
                    )),
                    Err(e) => Err(format!("{e:#}")),
                }
            }
            Err(e) => Err(format!("{e:#}")),
        }
    } else {
        Ok(format!(
            "{} does not exist yet; it is created on first use",
            db.display()
        ))
    }
}

/// The files sertibot keeps personal data or secrets in (the config, the
/// database and its logs, the email folder and up to a thousand of its
/// files) that others than their owner may read.
fn looser_files(config: &Config) -> Vec<(std::path::PathBuf, u32)> {
    let mut paths: Vec<std::path::PathBuf> = config.source.iter().cloned().collect();
    paths.extend(crate::files::database_files(&config.database));
    paths.push(config.mail.eml_dir.clone());
    if let Ok(entries) = std::fs::read_dir(&config.mail.eml_dir) {
        paths.extend(entries.take(1000).flatten().map(|e| e.path()));
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
