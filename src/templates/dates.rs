//! Times and dates as the templates show them, in Indonesian or English:
//! "Selasa, 24 November 2026 pukul 09.00 WIB".

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use minijinja::{Error, ErrorKind, State};

use crate::domain::Lang;

pub(super) fn lang_of(state: &State) -> Lang {
    if state.name().starts_with("en/")
        || state
            .lookup("lang")
            .is_some_and(|l| l.as_str() == Some("en"))
    {
        Lang::En
    } else {
        Lang::Id
    }
}

const HARI: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// "Selasa, 24 November 2026 pukul 09.00 WIB" / "Tuesday, 24 November 2026, 09:00 WIB".
pub(crate) fn format_instant(value: &str, tz: Tz, lang: Lang) -> Result<String, Error> {
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(value)
        .map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("'{value}' is not a time"),
            )
        })?
        .with_timezone(&Utc);
    let local = at.with_timezone(&tz);
    let zone = local.format("%Z").to_string();
    Ok(match lang {
        Lang::Id => format!(
            "{}, {} {} {} pukul {:02}.{:02} {zone}",
            HARI[local.weekday().num_days_from_monday() as usize],
            local.day(),
            BULAN[local.month0() as usize],
            local.year(),
            local.hour(),
            local.minute()
        ),
        Lang::En => format!("{} {zone}", local.format("%A, %-d %B %Y, %H:%M")),
    })
}

/// A date as minutes (berita acara) write it, every number in words:
/// "Senin, tanggal tujuh bulan Desember tahun dua ribu dua puluh enam".
pub(crate) fn date_in_words(date: NaiveDate) -> String {
    let words = |n: u32| yaterbilang::from(u64::from(n));
    format!(
        "{}, tanggal {} bulan {} tahun {}",
        HARI[date.weekday().num_days_from_monday() as usize],
        words(date.day()),
        BULAN[date.month0() as usize],
        words(date.year().unsigned_abs())
    )
}

/// "26 November 2026" in either language (the month's name differs).
pub(crate) fn format_date(value: &str, lang: Lang) -> Result<String, Error> {
    let date: NaiveDate = value.parse().map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("'{value}' is not a date"),
        )
    })?;
    Ok(match lang {
        Lang::Id => format!(
            "{} {} {}",
            date.day(),
            BULAN[date.month0() as usize],
            date.year()
        ),
        Lang::En => date.format("%-d %B %Y").to_string(),
    })
}
