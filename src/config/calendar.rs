//! The working calendar a config describes: time zone, working week and
//! hours, and the holidays (shipped, or the LSP's own file).

use std::path::PathBuf;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;

use super::ConfigError;
use super::raw::RawCalendar;
use crate::workflow::calendar::{DEFAULT_HOLIDAYS, parse_holidays};
use crate::workflow::{Calendar, CalendarMode, WorkingWeek};

pub(super) fn read_calendar(
    raw: &RawCalendar,
    resolve: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<Calendar, ConfigError> {
    let tz_name = raw.timezone.as_deref().unwrap_or("Asia/Jakarta");
    let tz: Tz = tz_name.parse().map_err(|_| {
        ConfigError::Invalid(format!(
            "calendar.timezone '{tz_name}' is not a time zone name such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura"
        ))
    })?;
    let mode = match raw.mode.as_deref().unwrap_or("working") {
        "working" => {
            let mut week = WorkingWeek {
                holidays: std::collections::BTreeMap::new(),
                ..WorkingWeek::default()
            };
            if let Some(days) = &raw.working_days {
                week.days = days
                    .iter()
                    .map(|d| {
                        d.parse::<Weekday>().map_err(|_| {
                            ConfigError::Invalid(format!(
                                "calendar.working_days: '{d}' is not a day name (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                if week.days.is_empty() {
                    return Err(ConfigError::Invalid(
                        "calendar.working_days needs at least one day".into(),
                    ));
                }
            }
            let time = |value: &Option<String>, name: &str, default: NaiveTime| match value {
                None => Ok(default),
                Some(v) => NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| {
                    ConfigError::Invalid(format!(
                        "calendar.{name} '{v}' is not a time such as 08:00"
                    ))
                }),
            };
            week.opens = time(&raw.opens, "opens", week.opens)?;
            week.closes = time(&raw.closes, "closes", week.closes)?;
            if week.closes <= week.opens {
                return Err(ConfigError::Invalid(
                    "calendar.closes must be later than calendar.opens".into(),
                ));
            }
            week.holidays = match &raw.holidays_file {
                None => parse_holidays(DEFAULT_HOLIDAYS).map_err(ConfigError::Invalid)?,
                Some(file) => {
                    let path = resolve(file.clone());
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        ConfigError::Invalid(format!(
                            "cannot read the holiday file {}: {e}",
                            path.display()
                        ))
                    })?;
                    parse_holidays(&text).map_err(|m| {
                        ConfigError::Invalid(format!("holiday file {}: {m}", path.display()))
                    })?
                }
            };
            CalendarMode::Working(week)
        }
        "wall-clock" => CalendarMode::WallClock,
        other => {
            return Err(ConfigError::Invalid(format!(
                "calendar.mode '{other}' must be \"working\" or \"wall-clock\""
            )));
        }
    };
    Ok(Calendar { tz, mode })
}
