//! Due times: a step's start plus its standard time, counted on a working
//! calendar (a working week, office hours and a holiday list, in the LSP's
//! time zone) or on the plain wall clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::sop::{StandardTime, TimeUnit};

/// Indonesia's national holidays and cuti bersama for 2026–2027, shipped as
/// the default holiday list (`date,name,kind`).
pub const DEFAULT_HOLIDAYS: &str = include_str!("hari-libur-2026-2027.csv");

/// How standard times are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarMode {
    /// Every minute counts; "1 day" is 24 hours, "1 week" 7 days.
    WallClock,
    /// Only office hours on working days count.
    Working(WorkingWeek),
}

/// The office's working time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingWeek {
    /// The working days of the week (default Monday to Friday).
    pub days: Vec<Weekday>,
    /// When the office opens (default 08:00).
    pub opens: NaiveTime,
    /// When the office closes (default 16:00).
    pub closes: NaiveTime,
    /// Days off: national holidays and cuti bersama, with their names.
    pub holidays: BTreeMap<NaiveDate, String>,
}

impl Default for WorkingWeek {
    fn default() -> Self {
        WorkingWeek {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            opens: NaiveTime::from_hms_opt(8, 0, 0).expect("valid time"),
            closes: NaiveTime::from_hms_opt(16, 0, 0).expect("valid time"),
            holidays: parse_holidays(DEFAULT_HOLIDAYS).expect("the shipped holiday list is valid"),
        }
    }
}

/// The calendar due times are counted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The LSP's time zone (default Asia/Jakarta, WIB).
    pub tz: Tz,
    /// Working time or wall clock.
    pub mode: CalendarMode,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            tz: chrono_tz::Asia::Jakarta,
            mode: CalendarMode::Working(WorkingWeek::default()),
        }
    }
}

impl Calendar {
    /// A wall-clock calendar in the given zone.
    pub fn wall_clock(tz: Tz) -> Self {
        Calendar {
            tz,
            mode: CalendarMode::WallClock,
        }
    }

    /// When a step started at `start` with standard time `time` is due.
    pub fn due(&self, start: DateTime<Utc>, time: StandardTime) -> DateTime<Utc> {
        self.add_minutes(start, self.minutes_of(time))
    }

    /// A standard time in counted minutes: working minutes on a working
    /// calendar ("1 hari" = one office day), plain minutes on the wall clock.
    pub fn minutes_of(&self, time: StandardTime) -> i64 {
        let (day, week) = match &self.mode {
            CalendarMode::WallClock => (24 * 60, 7 * 24 * 60),
            CalendarMode::Working(w) => {
                let day = (w.closes - w.opens).num_minutes().max(1);
                (day, day * w.days.len().max(1) as i64)
            }
        };
        i64::from(time.amount)
            * match time.unit {
                TimeUnit::Minute => 1,
                TimeUnit::Hour => 60,
                TimeUnit::Day => day,
                TimeUnit::Week => week,
            }
    }

    /// The instant `minutes` counted minutes after `start`. Where the
    /// working week and holidays leave no room for them within ten years
    /// (see [`Calendar::try_add_minutes`], which `check` asks), the plain sum.
    pub fn add_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        self.try_add_minutes(start, minutes)
            .unwrap_or_else(|| start + Duration::minutes(minutes.clamp(0, 10 * 366 * 24 * 60)))
    }

    /// The instant `minutes` counted minutes after `start`, if the calendar
    /// has that many working minutes within ten years.
    pub fn try_add_minutes(&self, start: DateTime<Utc>, minutes: i64) -> Option<DateTime<Utc>> {
        let week = match &self.mode {
            CalendarMode::WallClock => {
                return start.checked_add_signed(Duration::try_minutes(minutes)?);
            }
            CalendarMode::Working(week) => week,
        };
        let mut remaining = Duration::minutes(minutes.max(0));
        let local_start = start.with_timezone(&self.tz).naive_local();
        let mut date = local_start.date();
        // Ten years: past that, the holidays have left no room.
        for _ in 0..3660 {
            if week.is_working_day(date) {
                let opens = date.and_time(week.opens);
                let closes = date.and_time(week.closes);
                let from = opens.max(local_start);
                if from < closes {
                    let available = closes - from;
                    if remaining <= available {
                        return Some(self.to_utc(from + remaining));
                    }
                    remaining -= available;
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The working days after `from` up to and including `to` (every day on
    /// the wall clock): a lead time in days as the office counts them.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut days = 0;
        let mut date = from;
        while date < to {
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
            let counts = match &self.mode {
                CalendarMode::WallClock => true,
                CalendarMode::Working(week) => week.is_working_day(date),
            };
            days += i64::from(counts);
        }
        days
    }

    /// Counted minutes from `from` to `to` (negative when `to` is earlier):
    /// how late a step is, in working time.
    pub fn minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to < from {
            return -self.minutes_between(to, from);
        }
        let week = match &self.mode {
            CalendarMode::WallClock => return (to - from).num_minutes(),
            CalendarMode::Working(week) => week,
        };
        let (a, b) = (
            from.with_timezone(&self.tz).naive_local(),
            to.with_timezone(&self.tz).naive_local(),
        );
        let mut total = 0;
        let mut date = a.date();
        while date <= b.date() {
            if week.is_working_day(date) {
                let start = date.and_time(week.opens).max(a);
                let end = date.and_time(week.closes).min(b);
                if end > start {
                    total += (end - start).num_minutes();
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total
    }

    fn to_utc(&self, local: chrono::NaiveDateTime) -> DateTime<Utc> {
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| Utc.from_utc_datetime(&local).with_timezone(&self.tz))
            .with_timezone(&Utc)
    }
}

impl WorkingWeek {
    /// Whether the office works on `date` (a working weekday, not a holiday).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days.contains(&date.weekday()) && !self.holidays.contains_key(&date)
    }
}

/// Reads a holiday list (`date,name,kind`, header first; `kind` optional).
///
/// # Errors
/// A sentence naming the row (as a spreadsheet numbers it) and what is wrong.
pub fn parse_holidays(text: &str) -> Result<BTreeMap<NaiveDate, String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut days = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| format!("row {row}: {e}"))?;
        let date_text = record.get(0).unwrap_or_default();
        let date = crate::dates::read_date(date_text).map_err(|problem| match problem {
            crate::dates::DateProblem::NotADate => {
                format!("row {row}: '{date_text}' is not a date in the form YYYY-MM-DD")
            }
            crate::dates::DateProblem::NoSuchDay => {
                format!("row {row}: '{date_text}' is not a real date (check the day and the month)")
            }
        })?;
        days.insert(date, record.get(1).unwrap_or_default().to_string());
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wib(text: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Jakarta
            .from_local_datetime(&local)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn time(text: &str) -> StandardTime {
        text.parse().unwrap()
    }

    #[test]
    fn working_time_cases() {
        let cal = Calendar::default();
        let cases = [
            // Friday 15:30 + 1 hour: 30 minutes today, 30 on Monday.
            ("2026-11-27 15:30", "1 jam", "2026-11-30 08:30"),
            // 15:55 + 10 minutes: the next working day at 08:05.
            ("2026-11-24 15:55", "10 menit", "2026-11-25 08:05"),
            // Exactly to closing time stays on the same day.
            ("2026-11-24 13:00", "3 jam", "2026-11-24 16:00"),
            // Started at night: counting begins when the office opens.
            ("2026-11-24 21:10", "1 jam", "2026-11-25 09:00"),
            // Started on a Sunday.
            ("2026-11-29 10:00", "2 jam", "2026-11-30 10:00"),
            // Started on a holiday (Natal, Friday 25 December 2026, after cuti bersama on the 24th).
            ("2026-12-24 09:00", "1 jam", "2026-12-28 09:00"),
            // One working day from mid-morning: the same time the next working day.
            ("2026-11-24 10:00", "1 hari", "2026-11-25 10:00"),
            // One week = five working days, across Natal and its cuti bersama.
            ("2026-12-21 10:00", "1 minggu", "2026-12-30 10:00"),
            // Idul Fitri 2026 and its cuti bersama (18–24 March) are skipped whole.
            ("2026-03-17 15:00", "2 jam", "2026-03-25 09:00"),
        ];
        for (start, standard, due) in cases {
            assert_eq!(
                cal.due(wib(start), time(standard)),
                wib(due),
                "{start} + {standard}"
            );
        }
    }

    #[test]
    fn working_minutes_between_two_instants() {
        let cal = Calendar::default();
        // Friday 15:00 to Monday 09:00: one hour on Friday, one on Monday.
        assert_eq!(
            cal.minutes_between(wib("2026-11-27 15:00"), wib("2026-11-30 09:00")),
            120
        );
        assert_eq!(
            cal.minutes_between(wib("2026-11-30 09:00"), wib("2026-11-27 15:00")),
            -120
        );
        // Across Natal and its cuti bersama: 24–25 December do not count.
        assert_eq!(
            cal.minutes_between(wib("2026-12-23 15:00"), wib("2026-12-28 08:30")),
            90
        );
        // Adding and measuring agree.
        let start = wib("2026-11-24 10:17");
        for minutes in [0, 1, 59, 480, 481, 2400, 5000] {
            assert_eq!(
                cal.minutes_between(start, cal.add_minutes(start, minutes)),
                minutes,
                "{minutes}"
            );
        }
    }

    #[test]
    fn wall_clock_counts_every_minute() {
        let cal = Calendar::wall_clock(chrono_tz::Asia::Jakarta);
        assert_eq!(
            cal.due(wib("2026-11-27 15:30"), time("1 jam")),
            wib("2026-11-27 16:30")
        );
        assert_eq!(
            cal.due(wib("2026-11-27 15:30"), time("1 minggu")),
            wib("2026-12-04 15:30")
        );
    }

    #[test]
    fn the_shipped_holidays_are_read() {
        let days = parse_holidays(DEFAULT_HOLIDAYS).unwrap();
        assert_eq!(
            days.get(&NaiveDate::from_ymd_opt(2026, 8, 17).unwrap())
                .map(String::as_str),
            Some("Hari Kemerdekaan Republik Indonesia")
        );
        assert!(days.len() > 40);
        let err = parse_holidays("date,name\n2026-13-01,Salah\n").unwrap_err();
        assert_eq!(
            err,
            "row 2: '2026-13-01' is not a real date (check the day and the month)"
        );
    }
}
