//! The config file as written: every setting optional, unknown ones
//! refused. [`super::Config::load`] checks them and fills in defaults.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;
use crate::domain::Lang;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) language: Option<Lang>,
    #[serde(default)]
    pub(super) lsp: RawLsp,
    #[serde(default)]
    pub(super) database: RawDatabase,
    #[serde(default)]
    pub(super) procedure: RawProcedure,
    #[serde(default)]
    pub(super) templates: RawTemplates,
    #[serde(default)]
    pub(super) telegram: RawTelegram,
    #[serde(default)]
    pub(super) registration: RawRegistration,
    #[serde(default)]
    pub(super) calendar: RawCalendar,
    #[serde(default)]
    pub(super) mail: RawMail,
    #[serde(default)]
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) meeting: RawMeeting,
    #[serde(default)]
    pub(super) alerts: RawAlerts,
    #[serde(default)]
    pub(super) documents: RawDocuments,
    #[serde(default)]
    pub(super) records: RawRecords,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    pub(super) heads_up_share: Option<f64>,
    pub(super) reminder_every_hours: Option<i64>,
    pub(super) collect_reminder_after_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeeting {
    pub(super) reminder_hours_before: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLsp {
    pub(super) name: Option<String>,
    pub(super) address: Option<String>,
    pub(super) office_hours: Option<String>,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) website: Option<String>,
    /// The LSP's BNSP licence number, on the letterhead.
    pub(super) license_no: Option<String>,
    /// The city on letters' date line.
    pub(super) city: Option<String>,
    /// The logo on the letterhead: a PNG file.
    pub(super) logo: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDocuments {
    /// Letter number patterns by kind of document (`undangan = "…"`).
    #[serde(default)]
    pub(super) numbers: std::collections::BTreeMap<String, String>,
    /// The operator's copy of BNSP's participants template (XLSX): the
    /// list is written in its columns, matched by their header.
    pub(super) bnsp_template: Option<PathBuf>,
    /// Seconds one document may take to typeset.
    pub(super) typeset_seconds: Option<u64>,
    /// MiB of memory the typesetting worker may use.
    pub(super) typeset_memory_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub(super) path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcedure {
    pub(super) file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplates {
    pub(super) dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    pub(super) bot_username: Option<String>,
    pub(super) token: Option<String>,
    pub(super) api_url: Option<String>,
    pub(super) poll_timeout_secs: Option<u64>,
    /// "polling" (default) or "webhook".
    pub(super) mode: Option<String>,
    pub(super) webhook: Option<RawWebhook>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub(super) url: Option<String>,
    pub(super) listen: Option<String>,
    pub(super) secret: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegistration {
    pub(super) link_valid_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    pub(super) timezone: Option<String>,
    pub(super) mode: Option<String>,
    pub(super) working_days: Option<Vec<String>>,
    pub(super) opens: Option<String>,
    pub(super) closes: Option<String>,
    pub(super) holidays_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMail {
    pub(super) smtp_url: Option<String>,
    pub(super) from: Option<String>,
    pub(super) eml_dir: Option<PathBuf>,
    pub(super) allow_plain: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) digest: Option<String>,
    pub(super) weekly: Option<String>,
    pub(super) backup: Option<String>,
    pub(super) backup_dir: Option<PathBuf>,
    pub(super) backup_keep: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecords {
    pub(super) retain_years: Option<i64>,
}

pub(super) fn read_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.display().to_string(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message: e.message().trim().to_string(),
    })
}
