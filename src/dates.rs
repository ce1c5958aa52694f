//! Dates as people type them. Staff in Telegram write the day first
//! (25-11-2026, 25/11/2026, 25.11.2026); the command line and files write
//! the year first (2026-11-25). Both forms are read everywhere; there is
//! no month-first form, so neither can be mistaken for the other. A date
//! in one of the forms that does not exist (30-02-2026) is told apart
//! from text that is not a date at all.

use chrono::NaiveDate;

/// Why a text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Neither DD-MM-YYYY nor YYYY-MM-DD.
    NotADate,
    /// In one of the forms, but no such day (30 February, month 13).
    NoSuchDay,
}

/// Reads DD-MM-YYYY (with `-`, `/` or `.`) or YYYY-MM-DD.
///
/// # Errors
/// [`DateProblem`].
pub fn read_date(text: &str) -> Result<NaiveDate, DateProblem> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [a, b, c] = parts[..] else {
        return Err(DateProblem::NotADate);
    };
    let number = |p: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 && text.contains('-') {
        (number(a, 4..=4), number(b, 1..=2), number(c, 1..=2))
    } else {
        (number(c, 4..=4), number(b, 1..=2), number(a, 1..=2))
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(DateProblem::NotADate);
    };
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or(DateProblem::NoSuchDay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_read_and_a_day_that_does_not_exist_is_told_apart() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        for text in [
            "25-11-2026",
            "25/11/2026",
            "25.11.2026",
            " 2026-11-25 ",
            "2026-11-25",
        ] {
            assert_eq!(read_date(text), Ok(day), "{text}");
        }
        assert_eq!(
            read_date("5-6-2026"),
            Ok(NaiveDate::from_ymd_opt(2026, 6, 5).unwrap())
        );
        for text in [
            "2026-02-30",
            "30-02-2026",
            "31/04/2026",
            "2026-13-01",
            "00-01-2026",
        ] {
            assert_eq!(read_date(text), Err(DateProblem::NoSuchDay), "{text}");
        }
        for text in [
            "besok",
            "",
            "25-11",
            "2026/11/25",
            "25-11-26",
            "25-11-2026-1",
            "+5-11-2026",
            "2026-11-25T10:00",
        ] {
            assert_eq!(read_date(text), Err(DateProblem::NotADate), "{text}");
        }
    }
}
