//! The command line's voice: every sentence it prints is a `cli_*` phrase
//! from `message-templates/<lang>/phrases.toml`, in the configured language
//! (Indonesian by default, English with `language = "en"`), rendered by the
//! same templates as the bot's. What is said before a config can be read
//! (a config that cannot be read, clap's usage and `--help`) and the log
//! stay in English.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Failure;
use crate::app::{App, AppError};
use crate::domain::Lang;
use crate::templates::Templates;

/// Phrases in one language, for the command line.
#[derive(Clone)]
pub struct Voice {
    templates: Arc<Templates>,
    lang: Lang,
}

impl Voice {
    /// The voice of `templates` in `lang`.
    pub fn new(templates: Arc<Templates>, lang: Lang) -> Voice {
        Voice { templates, lang }
    }

    /// The application's templates in its configured language.
    pub fn of(app: &App) -> Voice {
        Voice::new(app.templates.clone(), app.config.language)
    }

    /// The embedded templates in `lang` (no config in hand).
    pub fn embedded(lang: Lang) -> Voice {
        Voice::new(
            Arc::new(Templates::embedded(
                Default::default(),
                chrono_tz::Asia::Jakarta,
            )),
            lang,
        )
    }

    /// The language spoken.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The phrase `key` with `context`.
    pub fn line(&self, key: &str, context: Value) -> String {
        self.templates.phrase(self.lang, key, context)
    }

    /// Prints the phrase `key` on standard output.
    pub fn say(&self, key: &str, context: Value) {
        say!("{}", self.line(key, context));
    }

    /// A failure worded by the phrase `key`.
    pub fn fail(&self, key: &str, context: Value) -> Failure {
        Failure(self.line(key, context))
    }

    /// What went wrong with a file, in this language: that it exists
    /// already, is missing or may not be touched; the system's own words
    /// for anything else.
    pub fn io_problem(&self, error: &std::io::Error) -> String {
        use std::io::ErrorKind;
        let kind = match error.kind() {
            ErrorKind::AlreadyExists => "exists",
            ErrorKind::NotFound => "missing",
            ErrorKind::PermissionDenied => "denied",
            ErrorKind::IsADirectory => "directory",
            _ => "other",
        };
        self.line(
            "cli_io_problem",
            json!({"kind": kind, "detail": error.to_string()}),
        )
    }

    /// Why the bot's username (for a registration link) is not known.
    pub fn username_problem(&self, error: &crate::telegram::UsernameError) -> Failure {
        use crate::telegram::UsernameError;
        let (kind, detail) = match error {
            UsernameError::NotConfigured => ("not_configured", String::new()),
            UsernameError::BadApiUrl(url) => ("bad_api_url", url.clone()),
            UsernameError::Request(why) => ("request", why.clone()),
            UsernameError::NoUsername => ("no_username", String::new()),
        };
        self.fail(
            "cli_bot_username_unknown",
            json!({"kind": kind, "detail": detail}),
        )
    }

    /// Why the procedure file cannot be used, in this language.
    pub fn procedure_error(&self, error: &crate::sop::ProcedureError) -> String {
        self.line("procedure_error", json!(error))
    }

    /// An application error, explained in this language.
    pub fn explain(&self, app: &App, error: &AppError) -> Failure {
        Failure(app.explain(error, self.lang))
    }

    /// A status or state word ("running", "active", "OVERDUE") in this language.
    pub fn word(&self, word: &str) -> String {
        self.line("cli_word", json!({"word": word}))
    }

    /// A table's column headings, from a phrase of `|`-separated words.
    pub fn columns(&self, key: &str) -> Vec<String> {
        self.line(key, json!({}))
            .split('|')
            .map(str::to_string)
            .collect()
    }

    /// "3 days 2 hours", "45 menit": a length of time, coarsely.
    pub fn span(&self, d: chrono::Duration) -> String {
        let minutes = d.num_minutes().max(0);
        let context = json!({
            "d": minutes / 1440,
            "h": (minutes % 1440) / 60,
            "m": minutes % 60,
        });
        self.line("cli_span", context)
    }

    /// Where emails go: an SMTP server, or a folder of `.eml` files.
    pub fn mailer(&self, mailer: &crate::mail::transport::Mailer) -> String {
        use crate::mail::transport::Mailer;
        let context = match mailer {
            Mailer::Smtp { host, .. } => json!({"smtp": true, "host": host}),
            Mailer::Folder(dir) => json!({"smtp": false, "dir": dir.display().to_string()}),
        };
        self.line("cli_mailer", context)
    }

    /// A standard time in a few letters: "10 min", "1 jam", "1 hari".
    pub fn short_time(&self, time: crate::sop::StandardTime) -> String {
        use crate::sop::TimeUnit;
        let unit = match time.unit {
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        };
        self.line("cli_short_time", json!({"n": time.amount, "unit": unit}))
    }
}
