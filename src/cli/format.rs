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
