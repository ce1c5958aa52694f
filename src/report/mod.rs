//! The performance report for Ketua LSP over a period: the share of steps
//! done within their standard time, by step and by month; how late the
//! late ones were (median, 90th percentile, in working minutes); how soon
//! each person acknowledged their tasks; and each batch's lead time from
//! the assessment to the last receipt. Built purely from what
//! [`load`](load::load) reads, then written as a workbook with charts
//! ([`workbook`]) and as a PDF and a PNG chart (Typst, through the
//! document kit). No participant appears in it.

pub mod load;
pub mod workbook;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How many of the slowest batches the PDF and a Telegram report list.
pub const SLOWEST_SHOWN: usize = 20;

/// One finished step (or one participant's handover) in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneStep {
    pub step: u32,
    /// The month it finished in, WIB (`2026-11`).
    pub month: String,
    pub within: bool,
    /// Working minutes past its due time (0 when within).
    pub late_minutes: i64,
}

/// One acknowledgement: who, and how many working minutes after the step began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub member: String,
    pub minutes: i64,
}

/// A batch whose last document was received in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTime {
    pub batch: i64,
    pub scheme: String,
    pub assessed_on: NaiveDate,
    pub last_receipt: NaiveDate,
    pub days: i64,
}

/// A share within standard time, with lateness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// The step's number and activity, or the month.
    pub label: String,
    /// The step's number, for a row by step.
    #[serde(default)]
    pub step: Option<u32>,
    pub done: usize,
    pub within: usize,
    pub percent: u32,
    pub late_median: i64,
    pub late_p90: i64,
}

/// One person's acknowledgements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckTimes {
    pub member: String,
    pub count: usize,
    pub median_minutes: i64,
    pub p90_minutes: i64,
}

/// The report, as the PDF, the chart and the workbook show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub made_at: DateTime<Utc>,
    /// Every step of the period together.
    pub overall: Share,
    pub by_step: Vec<Share>,
    pub by_month: Vec<Share>,
    pub acks: Vec<AckTimes>,
    pub batches: usize,
    pub lead_median_days: i64,
    pub lead_p90_days: i64,
    /// The slowest batches first (at most [`SLOWEST_SHOWN`] where shown).
    pub lead_times: Vec<LeadTime>,
}

/// The middle of `sorted`: the mean of the two middle values (rounded
/// half up) when there is an even number of them; 0 for none.
pub fn median(sorted: &[i64]) -> i64 {
    let n = sorted.len();
    match n {
        0 => 0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => {
            let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
            a + (b - a + 1) / 2
        }
    }
}

/// The value at `p` percent of `sorted` (nearest rank); 0 for none.
pub fn percentile(sorted: &[i64], p: u32) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn share(label: String, step: Option<u32>, steps: &[&DoneStep]) -> Share {
    let within = steps.iter().filter(|s| s.within).count();
    let mut late: Vec<i64> = steps
        .iter()
        .filter(|s| !s.within)
        .map(|s| s.late_minutes)
        .collect();
    late.sort_unstable();
    Share {
        label,
        step,
        done: steps.len(),
        within,
        percent: if steps.is_empty() {
            0
        } else {
            (within * 100 / steps.len()) as u32
        },
        late_median: median(&late),
        late_p90: percentile(&late, 90),
    }
}

impl Report {
    /// Aggregates a period's records. `activity` names a step by number.
    pub fn build(
        (from, to): (NaiveDate, NaiveDate),
        steps: &[DoneStep],
        acks: &[Ack],
        mut lead_times: Vec<LeadTime>,
        activity: impl Fn(u32) -> String,
        made_at: DateTime<Utc>,
    ) -> Report {
        let all: Vec<&DoneStep> = steps.iter().collect();
        let mut per_step: BTreeMap<u32, Vec<&DoneStep>> = BTreeMap::new();
        let mut per_month: BTreeMap<&str, Vec<&DoneStep>> = BTreeMap::new();
        for s in steps {
            per_step.entry(s.step).or_default().push(s);
            per_month.entry(&s.month).or_default().push(s);
        }
        let mut per_person: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for a in acks {
            per_person
                .entry(&a.member)
                .or_default()
                .push(a.minutes.max(0));
        }
        let acks = per_person
            .into_iter()
            .map(|(member, mut minutes)| {
                minutes.sort_unstable();
                AckTimes {
                    member: member.to_string(),
                    count: minutes.len(),
                    median_minutes: median(&minutes),
                    p90_minutes: percentile(&minutes, 90),
                }
            })
            .collect();
        let mut days: Vec<i64> = lead_times.iter().map(|l| l.days).collect();
        days.sort_unstable();
        lead_times.sort_by(|a, b| b.days.cmp(&a.days).then(a.batch.cmp(&b.batch)));
        Report {
            from,
            to,
            made_at,
            overall: share("Semua langkah".into(), None, &all),
            by_step: per_step
                .into_iter()
                .map(|(no, s)| share(format!("{no}. {}", activity(no)), Some(no), &s))
                .collect(),
            by_month: per_month
                .into_iter()
                .map(|(month, s)| share(month.to_string(), None, &s))
                .collect(),
            acks,
            batches: lead_times.len(),
            lead_median_days: median(&days),
            lead_p90_days: percentile(&days, 90),
            lead_times,
        }
    }

    /// The same report listing only the slowest batches (for print, and
    /// for a message in the outbox).
    pub fn shortened(&self) -> Report {
        let mut short = self.clone();
        short.lead_times.truncate(SLOWEST_SHOWN);
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: u32, month: &str, late: i64) -> DoneStep {
        DoneStep {
            step,
            month: month.into(),
            within: late == 0,
            late_minutes: late,
        }
    }

    #[test]
    fn shares_lateness_and_lead_times_are_counted_as_ketua_reads_them() {
        let steps = [
            step(1, "2026-10", 0),
            step(1, "2026-11", 30),
            step(1, "2026-11", 0),
            step(2, "2026-11", 0),
            step(2, "2026-11", 600),
        ];
        let acks = [
            Ack {
                member: "Siti".into(),
                minutes: 5,
            },
            Ack {
                member: "Siti".into(),
                minutes: 15,
            },
            Ack {
                member: "Andi".into(),
                minutes: 120,
            },
        ];
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let lead = |batch, days| LeadTime {
            batch,
            scheme: "X".into(),
            assessed_on: day(1),
            last_receipt: day(1) + chrono::Duration::days(days),
            days,
        };
        let report = Report::build(
            (day(1), day(30)),
            &steps,
            &acks,
            vec![lead(1, 9), lead(2, 20), lead(3, 12)],
            |no| format!("Langkah {no}"),
            Utc::now(),
        );
        assert_eq!(report.overall.done, 5);
        assert_eq!(report.overall.within, 3);
        assert_eq!(report.overall.percent, 60);
        // The median of two is their mean.
        assert_eq!(report.overall.late_median, 315);
        assert_eq!(report.overall.late_p90, 600);
        assert_eq!(report.by_step[0].label, "1. Langkah 1");
        assert_eq!(report.by_step[0].percent, 66);
        assert_eq!(report.by_step[1].late_median, 600);
        assert_eq!(
            report
                .by_month
                .iter()
                .map(|m| (m.label.as_str(), m.done))
                .collect::<Vec<_>>(),
            [("2026-10", 1), ("2026-11", 4)]
        );
        assert_eq!(report.acks[0].member, "Andi");
        assert_eq!(report.acks[1].count, 2);
        assert_eq!(report.acks[1].median_minutes, 10);
        assert_eq!(report.acks[1].p90_minutes, 15);
        assert_eq!(report.lead_median_days, 12);
        assert_eq!(report.lead_p90_days, 20);
        assert_eq!(report.lead_times[0].batch, 2, "the slowest first");
        assert_eq!(report.by_step[1].step, Some(2));
        assert_eq!(report.overall.step, None);
        assert_eq!(percentile(&[], 90), 0);
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[3]), 3);
        assert_eq!(median(&[0, 1]), 1);
    }
}

/// The report's data as its templates read it: the report, its period and
/// date in Indonesian words, and the document's title.
pub fn print_data(report: &Report, tz: chrono_tz::Tz) -> serde_json::Value {
    let words = |d: NaiveDate| {
        crate::templates::dates::format_date(&d.to_string(), crate::domain::Lang::Id)
            .unwrap_or_else(|_| d.to_string())
    };
    let mut data = serde_json::to_value(report).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut data {
        map.insert(
            "period".into(),
            format!("{} – {}", words(report.from), words(report.to)).into(),
        );
        map.insert(
            "date".into(),
            words(report.made_at.with_timezone(&tz).date_naive()).into(),
        );
        map.insert("title".into(), "Laporan kinerja".into());
    }
    data
}

/// Why a report cannot be made for a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period ends ({to}) before it begins ({from})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("a report covers at most {MAX_YEARS} years")]
    TooLong,
}

/// Longest period a report covers.
pub const MAX_YEARS: i64 = 10;

/// Checks a period.
///
/// # Errors
/// [`PeriodError`] for a reversed or overlong period.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), PeriodError> {
    if to < from {
        return Err(PeriodError::Reversed { from, to });
    }
    if (to - from).num_days() > MAX_YEARS * 366 {
        return Err(PeriodError::TooLong);
    }
    Ok(())
}
