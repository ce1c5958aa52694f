//! Short guided conversations: what the bot waits for from a user, stored
//! in SQLite (so a restart in the middle loses nothing), and how a typed
//! answer is read.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::{BatchId, ParticipantId};
use crate::sop::StepNo;

/// What the bot waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "awaiting", rename_all = "snake_case")]
pub enum Awaiting {
    /// A short text describing a problem with a step.
    ProblemText { batch: BatchId, step: StepNo },
    /// The meeting's date (`moving`: after the invitation went out).
    MeetingDate {
        batch: BatchId,
        #[serde(default)]
        moving: bool,
    },
    /// The meeting's starting time on that date.
    MeetingTime {
        batch: BatchId,
        date: NaiveDate,
        #[serde(default)]
        moving: bool,
    },
    /// The meeting's place or online link.
    MeetingPlace {
        batch: BatchId,
        starts_at: DateTime<Utc>,
        #[serde(default)]
        moving: bool,
    },
    /// Why the meeting is cancelled.
    CancelReason { batch: BatchId },
    /// Why the member cannot attend.
    AbsenceReason { batch: BatchId },
    /// The decree's number.
    DecreeNumber { batch: BatchId },
    /// The decree's date.
    DecreeDate { batch: BatchId, number: String },
    /// Blank numbers: the first of a range, or one per line.
    BlankNumbers { batch: BatchId },
    /// A results file (CSV or XLSX), besides the K/BK keyboard (the
    /// keyboard's message, to show what the file recorded).
    ResultsFile {
        batch: BatchId,
        #[serde(default)]
        keyboard: Option<String>,
    },
    /// A new batch's certification scheme.
    NewBatchScheme,
    /// The new batch's assessment date.
    NewBatchDate { scheme: String },
    /// Where the assessment was held ("-" for none).
    NewBatchPlace { scheme: String, date: NaiveDate },
    /// The participant list (CSV or XLSX) of a batch created in chat.
    ParticipantsFile { batch: BatchId },
    /// The courier's tracking number for a participant's document.
    TrackingNo {
        batch: BatchId,
        participant: ParticipantId,
    },
    /// The name of the representative who collected a participant's document.
    RepresentativeName {
        batch: BatchId,
        participant: ParticipantId,
    },
}

impl Awaiting {
    /// The phrase that asks for this answer.
    pub fn prompt(&self) -> &'static str {
        match self {
            Awaiting::ProblemText { .. } => "ask_problem",
            Awaiting::MeetingDate { .. } => "ask_meeting_date",
            Awaiting::MeetingTime { .. } => "ask_meeting_time",
            Awaiting::MeetingPlace { .. } => "ask_meeting_place",
            Awaiting::AbsenceReason { .. } => "ask_absence_reason",
            Awaiting::CancelReason { .. } => "ask_cancel_reason",
            Awaiting::DecreeNumber { .. } => "ask_decree_number",
            Awaiting::DecreeDate { .. } => "ask_decree_date",
            Awaiting::BlankNumbers { .. } => "ask_blank_numbers",
            Awaiting::ResultsFile { .. } => "results_file_hint",
            Awaiting::NewBatchScheme => "ask_scheme",
            Awaiting::NewBatchDate { .. } => "ask_assessment_date",
            Awaiting::NewBatchPlace { .. } => "ask_assessment_place",
            Awaiting::ParticipantsFile { .. } => "ask_participants_file",
            Awaiting::TrackingNo { .. } => "ask_tracking_no",
            Awaiting::RepresentativeName { .. } => "ask_representative",
        }
    }
}

/// The phrase that tells staff why a typed text is not a date.
pub fn date_problem_phrase(problem: crate::dates::DateProblem) -> &'static str {
    match problem {
        crate::dates::DateProblem::NotADate => "bad_date",
        crate::dates::DateProblem::NoSuchDay => "no_such_date",
    }
}

/// Reads a time as staff type it: 09:00, 09.00, 9.30.
pub fn read_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim().replace('.', ":");
    NaiveTime::parse_from_str(&t, "%H:%M").ok()
}

/// The instant of a local date and time in the LSP's zone.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Blank numbers for `count` participants: one number per line, or the
/// first of a range whose trailing digits count up ("BNSP-000120" →
/// "BNSP-000121", …). `None` when the text is neither.
pub fn read_blank_numbers(text: &str, count: usize) -> Option<Vec<String>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => None,
        [first] if count != 1 => {
            let digits = first.chars().rev().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let (prefix, number) = first.split_at(first.len() - digits);
            let start: u64 = number.parse().ok()?;
            Some(
                (0..count as u64)
                    .map(|i| format!("{prefix}{:0width$}", start + i, width = digits))
                    .collect(),
            )
        }
        many if many.len() == count => Some(many.iter().map(|s| (*s).to_string()).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_as_staff_type_them() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        for text in ["25-11-2026", "25/11/2026", " 25.11.2026 ", "2026-11-25"] {
            assert_eq!(crate::dates::read_date(text), Ok(d), "{text}");
        }
        assert!(crate::dates::read_date("besok").is_err());
        assert_eq!(read_time("09.30"), NaiveTime::from_hms_opt(9, 30, 0));
        assert_eq!(read_time("9:05"), NaiveTime::from_hms_opt(9, 5, 0));
        assert_eq!(read_time("25:00"), None);
        assert_eq!(
            local_instant(
                d,
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                chrono_tz::Asia::Jakarta
            ),
            Some(Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap())
        );
    }

    #[test]
    fn blank_numbers_from_a_range_start_or_a_list() {
        assert_eq!(
            read_blank_numbers("BNSP-000120", 3).unwrap(),
            vec!["BNSP-000120", "BNSP-000121", "BNSP-000122"]
        );
        assert_eq!(read_blank_numbers("A1\nB2\n", 2).unwrap(), vec!["A1", "B2"]);
        assert_eq!(read_blank_numbers("X-7", 1).unwrap(), vec!["X-7"]);
        assert_eq!(read_blank_numbers("BNSP", 3), None);
        assert_eq!(read_blank_numbers("A1\nB2", 3), None);
    }
}
