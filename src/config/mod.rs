//! Settings: a TOML file (default `sertibot.toml`, if present) with
//! environment overrides. Secrets (the bot token, the SMTP URL with its
//! password) are kept in [`SecretString`] and never printed. Relative paths
//! in the file are read relative to the file's folder.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::documents::Letterhead;
use crate::documents::numbers::NumberPatterns;
use crate::domain::Lang;
use crate::sop::Procedure;
use crate::templates::{LspInfo, TemplateError, Templates};
use crate::workflow::Calendar;

/// The config file read when `--config` is not given and the file exists.
mod calendar;
mod channels;
mod documents;
mod intake;
mod raw;
mod records;
mod schedule;

pub use intake::{DEFAULT_WEBHOOK_LISTEN, IntakeMode, MIN_SECRET_LEN, WebhookConfig, fresh_secret};
pub use records::{BackupSchedule, Records};

use calendar::read_calendar;
use channels::{read_mail, read_telegram};
use raw::*;

/// The settings read from the environment (over the config file's), by
/// variable name. A command finding none of them set, no config file and
/// no database has nothing set up; other variables do not count.
pub const ENVIRONMENT_SETTINGS: &[&str] = &[
    "SERTIBOT_DATABASE",
    "SERTIBOT_MAIL_FROM",
    "SERTIBOT_SMTP_URL",
    "SERTIBOT_TYPESETTER",
    "SERTIBOT_WEBHOOK_SECRET",
    "TELOXIDE_API_URL",
    "TELOXIDE_TOKEN",
];

/// The config file sertibot reads when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "sertibot.toml";

/// The commented example `sertibot init --lang en` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("example.toml");

/// The same example commented in Indonesian, as `sertibot init` writes it
/// by default: the same settings (a test holds them equal).
pub const EXAMPLE_CONFIG_ID: &str = include_str!("example.id.toml");

/// A setting that cannot be used, in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Parse {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Procedure(#[from] crate::sop::ProcedureError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Telegram settings.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// The bot's username (without `@`), for registration links; asked of
    /// Telegram (getMe) when not set.
    pub bot_username: Option<String>,
    /// The bot token (`TELOXIDE_TOKEN` overrides the file).
    pub token: Option<SecretString>,
    /// The Bot API's base URL (`TELOXIDE_API_URL`), for a local Bot API server or tests.
    pub api_url: Option<String>,
    /// How updates reach sertibot: long polling or a webhook.
    pub intake: IntakeMode,
}

/// Email settings (the email issue's transport reads them).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP server as a URL (`SERTIBOT_SMTP_URL` overrides); none means `.eml` files.
    pub smtp_url: Option<SecretString>,
    /// The sender (`SERTIBOT_MAIL_FROM` overrides).
    pub from: Option<String>,
    /// Where `.eml` files go when no SMTP server is set.
    pub eml_dir: PathBuf,
    /// Allow SMTP without TLS to a host other than this machine (a trusted relay).
    pub allow_plain: bool,
}

/// Everything sertibot is configured with, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the settings came from, if any.
    pub source: Option<PathBuf>,
    pub language: Lang,
    pub lsp: LspInfo,
    /// The SQLite database file.
    pub database: PathBuf,
    /// The operator's procedure file; none means the embedded default.
    pub procedure_file: Option<PathBuf>,
    /// The operator's template folder; none means the embedded templates.
    pub templates_dir: Option<PathBuf>,
    pub telegram: TelegramConfig,
    /// How long a registration link stays valid.
    pub link_valid: chrono::Duration,
    pub calendar: Calendar,
    pub mail: MailConfig,
    /// The morning digest's schedule, a cron expression with seconds (WIB).
    pub digest_schedule: String,
    /// The weekly summary's schedule (share of steps done within standard time).
    pub weekly_schedule: String,
    /// How long before the meeting invitees who have not answered are reminded.
    pub rsvp_reminder_lead: chrono::Duration,
    /// When heads-ups and overdue reminders go.
    pub alerts: crate::workflow::alerts::AlertSettings,
    /// Working days after a document is ready before a participant who has
    /// not collected it gets one reminder email; none: never.
    pub collect_reminder_after: Option<u32>,
    /// The documents' letterhead facts beyond [`LspInfo`].
    pub letterhead: Letterhead,
    /// The letterhead's logo file, if set.
    pub logo: Option<PathBuf>,
    /// Letter number patterns, the defaults where the file is silent.
    pub numbers: NumberPatterns,
    /// The operator's copy of BNSP's participants template, if set.
    pub bnsp_template: Option<PathBuf>,
    /// The program that typesets (this sertibot, or the one
    /// `SERTIBOT_TYPESETTER` names) and its limits per document.
    pub typesetter: crate::documents::sandbox::Typesetter,
    /// Backups and how long records are kept.
    pub records: Records,
}

impl Config {
    /// Reads the config: `path` if given (it must exist), else
    /// `sertibot.toml` in the working directory if present, else defaults;
    /// then the environment (`env` returns a variable's value).
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, the line where known, and the setting.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let (raw, source) = match path {
            Some(p) => (read_file(p)?, Some(p.to_path_buf())),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => (
                read_file(Path::new(DEFAULT_CONFIG_FILE))?,
                Some(PathBuf::from(DEFAULT_CONFIG_FILE)),
            ),
            None => (RawConfig::default(), None),
        };
        let base = source
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let env = |name: &str| {
            // Every variable read here is one `ENVIRONMENT_SETTINGS` names
            // (it decides whether a folder counts as set up).
            debug_assert!(ENVIRONMENT_SETTINGS.contains(&name), "{name}");
            env(name).filter(|v| !v.trim().is_empty())
        };

        let calendar = read_calendar(&raw.calendar, &resolve)?;
        let limits = Limits::read(&raw)?;
        let (digest, weekly) = schedule::read_schedules(&raw.schedule)?;
        let records = records::read_records(&raw.schedule, &raw.records, &resolve)?;
        let telegram = read_telegram(raw.telegram, &env)?;
        let mail = read_mail(raw.mail, &env, &resolve)?;
        let numbers = documents::read_numbers(&raw.documents)?;
        let letterhead = documents::read_letterhead(&raw.lsp);
        let logo = raw.lsp.logo.clone().map(resolve);
        let bnsp_template = raw.documents.bnsp_template.clone().map(resolve);
        let typesetter = documents::read_typesetter(
            &raw.documents,
            env("SERTIBOT_TYPESETTER").map(PathBuf::from),
        )?;
        let lsp = read_lsp(raw.lsp, raw.language.unwrap_or_default());
        let config = Config {
            source,
            language: raw.language.unwrap_or_default(),
            lsp,
            database: env("SERTIBOT_DATABASE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    resolve(raw.database.path.unwrap_or_else(|| "sertibot.db".into()))
                }),
            procedure_file: raw.procedure.file.map(resolve),
            templates_dir: raw.templates.dir.map(resolve),
            telegram,
            link_valid: chrono::Duration::hours(limits.link_hours),
            calendar,
            mail,
            digest_schedule: digest,
            weekly_schedule: weekly,
            rsvp_reminder_lead: chrono::Duration::hours(limits.reminder_hours),
            alerts: crate::workflow::alerts::AlertSettings {
                heads_up_share: limits.heads_up_share,
                reminder_every: limits.reminder_every_hours * 60,
            },
            collect_reminder_after: (limits.collect_reminder_days > 0)
                .then(|| u32::try_from(limits.collect_reminder_days).unwrap_or(5)),
            letterhead,
            records,
            logo,
            numbers,
            bnsp_template,
            typesetter,
        };
        // From here on no log line, error or message shows them, whoever loaded the config.
        config.hide_secrets();
        Ok(config)
    }

    /// The next moment after `after` that a schedule (cron with seconds, in the
    /// LSP's time zone) names.
    pub fn next_on_schedule(
        &self,
        schedule: &str,
        after: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let schedule = cron::Schedule::try_from(schedule).ok()?;
        schedule
            .after(&after.with_timezone(&self.calendar.tz))
            .next()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// Registers the token and the SMTP password with the log scrubber
    /// (done by [`Config::load`]).
    pub fn hide_secrets(&self) {
        if let Some(token) = &self.telegram.token {
            crate::logging::hide(token.expose_secret());
        }
        if let Some(secret) = self.telegram.intake.secret() {
            crate::logging::hide(secret);
        }
        if let Some(smtp) = &self.mail.smtp_url {
            crate::logging::hide(smtp.expose_secret());
            if let Ok(url) = url::Url::parse(smtp.expose_secret())
                && let Some(password) = url.password()
            {
                crate::logging::hide(password);
                if let Ok(decoded) = percent_encoding::percent_decode_str(password).decode_utf8() {
                    crate::logging::hide(&decoded);
                }
            }
        }
    }

    /// The procedure new batches start with: the operator's file, or the embedded default.
    ///
    /// # Errors
    /// [`ProcedureError`](crate::sop::ProcedureError) naming the file, line and problem.
    pub fn procedure(&self) -> Result<Procedure, crate::sop::ProcedureError> {
        Ok(match &self.procedure_file {
            Some(path) => Procedure::load(path)?,
            None => Procedure::embedded_default(),
        })
    }

    /// The message templates: the operator's folder over the embedded ones.
    ///
    /// # Errors
    /// [`ConfigError::Template`] naming the template that fails.
    pub fn templates(&self) -> Result<Templates, ConfigError> {
        if let Some(dir) = &self.templates_dir
            && !dir.is_dir()
        {
            return Err(ConfigError::Invalid(format!(
                "templates.dir {} is not a folder",
                dir.display()
            )));
        }
        Ok(Templates::load(
            self.lsp.clone(),
            self.calendar.tz,
            self.templates_dir.as_deref(),
        )?)
    }
}

/// The numbers a config may set, each checked against its range.
struct Limits {
    link_hours: i64,
    reminder_hours: i64,
    heads_up_share: f64,
    reminder_every_hours: i64,
    collect_reminder_days: i64,
}

impl Limits {
    fn read(raw: &RawConfig) -> Result<Limits, ConfigError> {
        let link_hours = raw.registration.link_valid_hours.unwrap_or(72);
        if !(1..=24 * 60).contains(&link_hours) {
            return Err(ConfigError::Invalid(format!(
                "registration.link_valid_hours must be between 1 and 1440 hours, not {link_hours}"
            )));
        }
        let reminder_hours = raw.meeting.reminder_hours_before.unwrap_or(24);
        if !(1..=24 * 14).contains(&reminder_hours) {
            return Err(ConfigError::Invalid(format!(
                "meeting.reminder_hours_before must be between 1 and 336 hours, not {reminder_hours}"
            )));
        }
        let heads_up_share = raw.alerts.heads_up_share.unwrap_or(0.8);
        if !(0.1..=0.99).contains(&heads_up_share) {
            return Err(ConfigError::Invalid(format!(
                "alerts.heads_up_share must be between 0.1 and 0.99 (a share of the standard time), not {heads_up_share}"
            )));
        }
        let reminder_every_hours = raw.alerts.reminder_every_hours.unwrap_or(4);
        if !(1..=24 * 7).contains(&reminder_every_hours) {
            return Err(ConfigError::Invalid(format!(
                "alerts.reminder_every_hours must be between 1 and 168, not {reminder_every_hours}"
            )));
        }
        let collect_reminder_days = raw.alerts.collect_reminder_after_days.unwrap_or(5);
        if !(0..=60).contains(&collect_reminder_days) {
            return Err(ConfigError::Invalid(format!(
                "alerts.collect_reminder_after_days must be between 0 (never) and 60 working days, not {collect_reminder_days}"
            )));
        }
        Ok(Limits {
            link_hours,
            reminder_hours,
            heads_up_share,
            reminder_every_hours,
            collect_reminder_days,
        })
    }
}

/// The LSP's facts; office hours, when not set, in the configured language.
fn read_lsp(raw: RawLsp, language: Lang) -> LspInfo {
    let office_hours = match language {
        Lang::Id => "Senin–Jumat, 08.00–16.00 WIB",
        Lang::En => "Monday–Friday, 08:00–16:00 WIB",
    };
    LspInfo {
        name: raw.name.unwrap_or_else(|| "LSP".to_string()),
        address: raw.address.unwrap_or_default(),
        office_hours: raw.office_hours.unwrap_or_else(|| office_hours.to_string()),
        email: raw.email.unwrap_or_default(),
    }
}

/// Shows a secret's presence, never its value.
pub fn describe_secret(secret: &Option<SecretString>) -> &'static str {
    match secret {
        Some(s) if !s.expose_secret().is_empty() => "set (hidden)",
        _ => "not set",
    }
}

#[cfg(test)]
mod tests;
