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

/// The daily and weekly digests' schedules (cron with seconds).
pub(super) fn read_schedules(raw: &RawSchedule) -> Result<(String, String), ConfigError> {
    let digest = raw
        .digest
        .clone()
        .unwrap_or_else(|| "0 30 7 * * Mon-Fri".to_string());
    cron::Schedule::try_from(digest.as_str()).map_err(|e| {
        ConfigError::Invalid(format!(
            "schedule.digest '{digest}' is not a cron expression with seconds (such as \"0 30 7 * * Mon-Fri\"): {}",
            cron_problem(&e)
        ))
    })?;
    let weekly = raw
        .weekly
        .clone()
        .unwrap_or_else(|| "0 0 8 * * Mon".to_string());
    cron::Schedule::try_from(weekly.as_str()).map_err(|e| {
        ConfigError::Invalid(format!(
            "schedule.weekly '{weekly}' is not a cron expression with seconds (such as \"0 0 8 * * Mon\"): {}",
            cron_problem(&e)
        ))
    })?;
    Ok((digest, weekly))
}
