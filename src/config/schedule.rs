//! The `[schedule]` section's times: the morning digest and the weekly
//! summary, each a cron expression with seconds, checked when read (the
//! nightly backup's, in the same section, is read with the records'
//! settings).

use super::ConfigError;
use super::raw::RawSchedule;

/// What the cron crate found wrong, as one line: its message repeats the
/// expression and points at it with a caret on lines of their own.
pub(super) fn cron_problem(error: &cron::error::Error) -> String {
    let text = error.to_string();
    text.lines()
        .map(str::trim)
        .rfind(|l| l.len() > 1)
        .unwrap_or(&text)
        .to_string()
}

/// A `[schedule]` setting: its value, or `default` where the file is
/// silent, checked as a cron expression with seconds.
pub(super) fn read_cron(
    name: &str,
    value: Option<&String>,
    default: &str,
) -> Result<String, ConfigError> {
    let cron = value.cloned().unwrap_or_else(|| default.to_string());
    cron::Schedule::try_from(cron.as_str()).map_err(|e| {
        ConfigError::Invalid(format!(
            "schedule.{name} '{cron}' is not a cron expression with seconds (such as \"{default}\"): {}",
            cron_problem(&e)
        ))
    })?;
    Ok(cron)
}

/// The daily and weekly digests' schedules (cron with seconds).
pub(super) fn read_schedules(raw: &RawSchedule) -> Result<(String, String), ConfigError> {
    let digest = read_cron("digest", raw.digest.as_ref(), "0 30 7 * * Mon-Fri")?;
    let weekly = read_cron("weekly", raw.weekly.as_ref(), "0 0 8 * * Mon")?;
    Ok((digest, weekly))
}
