//! The records' settings: the nightly backup (`[schedule] backup`,
//! `backup_dir`, `backup_keep`) and how long participants' records are
//! kept (`[records] retain_years`).

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::raw::{RawRecords, RawSchedule};

/// The nightly backup: when, where, and how many copies are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    /// A cron expression with seconds, in WIB.
    pub schedule: String,
    /// The folder the copies go to.
    pub dir: PathBuf,
    /// How many of the newest copies are kept; older ones are deleted.
    pub keep: usize,
}

/// How long records are kept, and the nightly backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    /// None: `schedule.backup = ""` turned it off.
    pub backup: Option<BackupSchedule>,
    /// Years a finished batch's participants' personal data are kept
    /// (above a certification cycle); `records purge` erases older ones.
    pub retain_years: u32,
}

/// Most copies a nightly backup keeps.
const MAX_KEEP: usize = 366;

pub(super) fn read_records(
    schedule: &RawSchedule,
    records: &RawRecords,
    resolve: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<Records, ConfigError> {
    let cron = schedule
        .backup
        .clone()
        .unwrap_or_else(|| "0 0 2 * * *".to_string());
    let backup = if cron.trim().is_empty() {
        None
    } else {
        cron::Schedule::try_from(cron.as_str()).map_err(|e| {
            ConfigError::Invalid(format!(
                "schedule.backup '{cron}' is not a cron expression with seconds (such as \"0 0 2 * * *\"), nor \"\" for none: {}",
                super::schedule::cron_problem(&e)
            ))
        })?;
        let keep = schedule.backup_keep.unwrap_or(7);
        if !(1..=MAX_KEEP as i64).contains(&keep) {
            return Err(ConfigError::Invalid(format!(
                "schedule.backup_keep is {keep}; keep between 1 and {MAX_KEEP} copies"
            )));
        }
        Some(BackupSchedule {
            schedule: cron,
            dir: resolve(
                schedule
                    .backup_dir
                    .clone()
                    .unwrap_or_else(|| Path::new("backups").to_path_buf()),
            ),
            keep: keep as usize,
        })
    };
    let retain_years = records.retain_years.unwrap_or(5);
    if !(5..=100).contains(&retain_years) {
        return Err(ConfigError::Invalid(format!(
            "records.retain_years is {retain_years}; keep records between 5 years (a full certification cycle and more) and 100"
        )));
    }
    Ok(Records {
        backup,
        retain_years: retain_years as u32,
    })
}
