//! Letter numbers: a pattern per kind of document with a yearly counter,
//! such as `{seq:03}/LSP-STMI/UND/{month_roman}/{year}`. The counter lives
//! in the database; a number once given stays with its document and is
//! never given to another.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

/// A checked pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern(String);

/// What a pattern may hold.
const PLACEHOLDERS: &str = "{seq}, {seq:0N}, {month}, {month_roman}, {year}";

/// Longest pattern, in characters.
const MAX_PATTERN: usize = 120;

impl NumberPattern {
    /// Checks a pattern: it must hold `{seq}` (or `{seq:0N}`) once, and
    /// only the known placeholders.
    ///
    /// # Errors
    /// One English sentence naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() || text.chars().count() > MAX_PATTERN {
            return Err(format!(
                "a number pattern must be 1 to {MAX_PATTERN} characters"
            ));
        }
        if crate::domain::has_hidden_control(text) {
            return Err("a number pattern holds an invisible control character".into());
        }
        let mut seqs = 0;
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("'{text}' has a '{{' without its '}}'"));
            };
            let name = &rest[open + 1..open + close];
            match name {
                "seq" => seqs += 1,
                "month" | "month_roman" | "year" => {}
                _ if seq_width(name).is_some() => seqs += 1,
                _ => {
                    return Err(format!(
                        "'{{{name}}}' is not a placeholder of a number pattern (use {PLACEHOLDERS})"
                    ));
                }
            }
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("'{text}' has a '}}' without its '{{'"));
        }
        if seqs != 1 {
            return Err(format!("'{text}' must hold {{seq}} exactly once"));
        }
        Ok(NumberPattern(text.to_string()))
    }

    /// The number for counter value `seq` on `date` (shown in `tz`).
    pub fn format(&self, seq: i64, date: DateTime<Utc>, tz: Tz) -> String {
        let local = date.with_timezone(&tz);
        let mut out = String::new();
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap_or(0);
            let name = &rest[open + 1..close];
            match name {
                "seq" => out.push_str(&seq.to_string()),
                "month" => out.push_str(&format!("{:02}", local.month())),
                "month_roman" => out.push_str(ROMAN[local.month0() as usize]),
                "year" => out.push_str(&local.year().to_string()),
                _ => {
                    let width = seq_width(name).unwrap_or(0);
                    out.push_str(&format!("{seq:0width$}"));
                }
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `seq:03` → 3.
fn seq_width(name: &str) -> Option<usize> {
    let width = name.strip_prefix("seq:0")?;
    width.parse().ok().filter(|w| (1..=9).contains(w))
}

const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// The pattern of every numbered kind of document, the defaults where the
/// config is silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPatterns(pub BTreeMap<super::Kind, NumberPattern>);

impl Default for NumberPatterns {
    fn default() -> Self {
        NumberPatterns(
            super::Kind::ALL
                .iter()
                .filter_map(|kind| {
                    let code = kind.number_code()?;
                    let pattern = format!("{{seq:03}}/LSP/{code}/{{month_roman}}/{{year}}");
                    Some((*kind, NumberPattern(pattern)))
                })
                .collect(),
        )
    }
}

impl NumberPatterns {
    /// The pattern of `kind`, if it is numbered.
    pub fn of(&self, kind: super::Kind) -> Option<&NumberPattern> {
        self.0.get(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_pattern_makes_numbers_with_the_month_in_roman_and_the_year() {
        let pattern = NumberPattern::parse("{seq:03}/LSP-STMI/UND/{month_roman}/{year}").unwrap();
        // 31 December 20:00 UTC is already 1 January in Jakarta.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 20, 0, 0).unwrap();
        assert_eq!(
            pattern.format(7, at, chrono_tz::Asia::Jakarta),
            "007/LSP-STMI/UND/I/2027"
        );
        let plain = NumberPattern::parse("UND-{year}-{month}-{seq}").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();
        assert_eq!(
            plain.format(12, at, chrono_tz::Asia::Jakarta),
            "UND-2026-11-12"
        );
    }

    #[test]
    fn a_bad_pattern_is_refused_with_what_is_wrong() {
        let no_seq = NumberPattern::parse("LSP/{year}").unwrap_err();
        assert!(no_seq.contains("{seq} exactly once"), "{no_seq}");
        let unknown = NumberPattern::parse("{seq}/{tahun}").unwrap_err();
        assert!(
            unknown.contains("'{tahun}' is not a placeholder"),
            "{unknown}"
        );
        assert!(NumberPattern::parse("{seq}/{year").is_err());
        assert!(NumberPattern::parse("{seq}{seq}").is_err());
        assert!(NumberPattern::parse("").is_err());
    }
}
