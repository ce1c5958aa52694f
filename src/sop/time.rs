//! Standard times (mutu baku waktu) as the SOP writes them: "10 menit",
//! "1 jam", "1 hari", "1 minggu". English units are read too.

use std::fmt;
use std::str::FromStr;

use super::fault::TimeFault;
use crate::domain::Lang;

/// The unit of a standard time. Days and weeks mean working days and weeks on
/// a working calendar, and calendar days on the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeUnit {
    Minute,
    Hour,
    Day,
    Week,
}

/// The longest standard time, in days: a year.
const MAX_DAYS: u32 = 365;

fn unit_word(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Minute => "menit",
        TimeUnit::Hour => "jam",
        TimeUnit::Day => "hari",
        TimeUnit::Week => "minggu",
    }
}

/// A step's standard time: an amount of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StandardTime {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl StandardTime {
    /// The time in the source's words (`lang = Id`) or in English.
    pub fn describe(&self, lang: Lang) -> String {
        let n = self.amount;
        let word = match (lang, self.unit) {
            (Lang::Id, TimeUnit::Minute) => "menit",
            (Lang::Id, TimeUnit::Hour) => "jam",
            (Lang::Id, TimeUnit::Day) => "hari",
            (Lang::Id, TimeUnit::Week) => "minggu",
            (Lang::En, TimeUnit::Minute) if n == 1 => "minute",
            (Lang::En, TimeUnit::Minute) => "minutes",
            (Lang::En, TimeUnit::Hour) if n == 1 => "hour",
            (Lang::En, TimeUnit::Hour) => "hours",
            (Lang::En, TimeUnit::Day) if n == 1 => "working day",
            (Lang::En, TimeUnit::Day) => "working days",
            (Lang::En, TimeUnit::Week) if n == 1 => "working week",
            (Lang::En, TimeUnit::Week) => "working weeks",
        };
        format!("{n} {word}")
    }
}

impl fmt::Display for StandardTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::Id))
    }
}

impl FromStr for StandardTime {
    type Err = TimeFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeFault::NotATime {
            text: s.to_string(),
        };
        let mut parts = s.split_whitespace();
        let (Some(amount), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let amount: u32 = amount.parse().map_err(|_| bad())?;
        if amount == 0 {
            return Err(TimeFault::Zero {
                text: s.to_string(),
            });
        }
        let unit = match unit.to_lowercase().as_str() {
            "menit" | "minute" | "minutes" => TimeUnit::Minute,
            "jam" | "hour" | "hours" => TimeUnit::Hour,
            "hari" | "day" | "days" => TimeUnit::Day,
            "minggu" | "pekan" | "week" | "weeks" => TimeUnit::Week,
            _ => return Err(bad()),
        };
        let longest = match unit {
            TimeUnit::Minute => MAX_DAYS * 24 * 60,
            TimeUnit::Hour => MAX_DAYS * 24,
            TimeUnit::Day => MAX_DAYS,
            TimeUnit::Week => MAX_DAYS / 7,
        };
        if amount > longest {
            return Err(TimeFault::TooLong {
                text: s.to_string(),
                longest,
                unit: unit_word(unit),
            });
        }
        Ok(StandardTime { amount, unit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sources_times() {
        for (text, amount, unit) in [
            ("10 menit", 10, TimeUnit::Minute),
            ("1 jam", 1, TimeUnit::Hour),
            ("3 jam", 3, TimeUnit::Hour),
            ("1 hari", 1, TimeUnit::Day),
            ("1 minggu", 1, TimeUnit::Week),
            ("2 hours", 2, TimeUnit::Hour),
        ] {
            assert_eq!(
                text.parse::<StandardTime>().unwrap(),
                StandardTime { amount, unit }
            );
        }
        assert_eq!(
            "1 minggu"
                .parse::<StandardTime>()
                .unwrap()
                .describe(Lang::En),
            "1 working week"
        );
    }

    #[test]
    fn refuses_a_time_longer_than_a_year() {
        for text in [
            "4294967295 minggu",
            "53 minggu",
            "366 hari",
            "8761 jam",
            "525601 menit",
        ] {
            let error = text.parse::<StandardTime>().unwrap_err();
            assert!(
                matches!(error, TimeFault::TooLong { .. }),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("longer than a step can take"));
        }
        assert!("52 minggu".parse::<StandardTime>().is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for text in ["", "jam", "1", "1 tahun", "0 jam", "-1 jam", "1 jam lagi"] {
            assert!(text.parse::<StandardTime>().is_err(), "{text}");
        }
    }
}
