//! How the command line shows times: in the LSP's time zone, with its abbreviation.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// "2026-11-24 09:00 WIB".
pub fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// "2026-11-24 09:00 WIB", or "-" when there is no time.
pub fn when_or_dash(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map_or_else(|| "-".to_string(), |t| when(t, tz))
}

/// "3 days 2 hours", "45 minutes": a length of time, coarsely.
pub fn span(d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (days, hours, mins) {
        (0, 0, m) => plural(m, "minute"),
        (0, h, 0) => plural(h, "hour"),
        (0, h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
        (d, 0, _) => plural(d, "day"),
        (d, h, _) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// A standard time in a few letters: "10 min", "1 h", "1 day", "1 wk".
pub fn short_time(time: crate::sop::StandardTime) -> String {
    use crate::sop::TimeUnit;
    let unit = match time.unit {
        TimeUnit::Minute => "min",
        TimeUnit::Hour => "h",
        TimeUnit::Day if time.amount == 1 => "day",
        TimeUnit::Day => "days",
        TimeUnit::Week => "wk",
    };
    format!("{} {unit}", time.amount)
}

/// Reads a calendar date typed on the command line: YYYY-MM-DD or
/// DD-MM-YYYY (as staff write it in Telegram).
///
/// # Errors
/// A sentence: not a date (naming both forms), or no such day.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    crate::dates::read_date(text).map_err(|problem| match problem {
        crate::dates::DateProblem::NotADate => {
            format!("'{text}' is not a date: write it as YYYY-MM-DD or DD-MM-YYYY")
        }
        crate::dates::DateProblem::NoSuchDay => {
            format!("'{text}' is not a real date (check the day and the month)")
        }
    })
}
