//! What can be wrong with a procedure file, as data: each broken rule with
//! the step and the words it concerns. The English sentences below are the
//! log's and the library's; the command line says the same in the
//! configured language through the `procedure_error` phrase, which reads
//! these fields (`what` names the variant).

use serde::Serialize;

use super::{RecordKind, StepNo};

/// One broken rule of a procedure file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Fault {
    /// The file could not be read from disk.
    #[error("cannot read the file: {error}")]
    Unreadable { error: String },
    /// TOML the parser could not read; `message` is the parser's own.
    #[error("{message}")]
    Syntax { message: String },
    /// A required field is absent (`step` is none for `[procedure]` itself).
    #[error("missing field `{field}`")]
    MissingField { field: String },
    /// A field the procedure format does not have.
    #[error("unknown field `{field}`")]
    UnknownField { field: String },
    /// A value that is not one of the words a field takes.
    #[error("unknown variant `{value}`, expected one of: {}", expected.join(", "))]
    UnknownValue {
        value: String,
        expected: Vec<String>,
    },
    #[error("[procedure] needs a name")]
    NoName,
    #[error("the procedure has no [[steps]]")]
    NoSteps,
    #[error("a step number must be 1 or more")]
    StepZero,
    #[error("step {step} is listed twice")]
    ListedTwice { step: StepNo },
    #[error("step {step} needs an activity")]
    NoActivity { step: StepNo },
    #[error("step {step} needs an output")]
    NoOutput { step: StepNo },
    #[error("step {step}, {field}: unknown role '{role}'")]
    UnknownRole {
        step: StepNo,
        field: &'static str,
        role: String,
    },
    #[error("step {step} needs at least one role")]
    NoRoles { step: StepNo },
    #[error("step {step}: done_by must name one or more of the step's own roles")]
    DoneByNotOwn { step: StepNo },
    #[error("step {step}: entry_roles cannot be empty")]
    NoEntryRoles { step: StepNo },
    #[error("step {step}, standard_time: {time}")]
    StandardTime { step: StepNo, time: TimeFault },
    #[error("step {step} cannot come after itself")]
    AfterItself { step: StepNo },
    #[error(
        "step {step} comes after step {before}, which is not listed before it; list every step after the steps it needs"
    )]
    AfterUnlisted { step: StepNo, before: StepNo },
    #[error("step {step} cannot come after step {before}, which runs per participant")]
    AfterPerParticipant { step: StepNo, before: StepNo },
    #[error("step {step}: a step runs per participant exactly when it records receipts")]
    PerParticipantWithoutReceipts { step: StepNo },
    #[error("step {step} records {records} but step {first} already does; only one step may")]
    RecordedTwice {
        step: StepNo,
        records: RecordKind,
        first: StepNo,
    },
    #[error(
        "no step records results (records = \"results\"): the K/BK verdicts must be recorded somewhere"
    )]
    NoResults,
    #[error("step {step} records the results, so it must apply always")]
    ResultsNotAlways { step: StepNo },
    #[error(
        "step {step} records blank numbers, which only K participants get, so it must apply to some-k"
    )]
    BlanksNotSomeK { step: StepNo },
    #[error("step {step} has clock = \"meeting\" but step {first} already does; only one step may")]
    MeetingClockTwice { step: StepNo, first: StepNo },
    #[error(
        "step {step} has clock = \"meeting\", so it must come (directly or through other steps) after the step that records the meeting, and not run per participant"
    )]
    MeetingClockMisplaced { step: StepNo },
    #[error(
        "step {step} depends on the K/BK results, so it must come (directly or through other steps) after step {results}"
    )]
    BeforeResults { step: StepNo, results: StepNo },
    #[error(
        "step {step} runs per participant but none of the steps it comes after concerns {verdict} participants"
    )]
    VerdictUnreached { step: StepNo, verdict: &'static str },
}

/// A standard time that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum TimeFault {
    #[error(
        "'{text}' is not a standard time: write an amount and a unit, such as \"10 menit\", \"1 jam\", \"1 hari\" or \"1 minggu\""
    )]
    NotATime { text: String },
    #[error("'{text}': a standard time must be more than zero")]
    Zero { text: String },
    #[error("'{text}' is longer than a step can take: at most a year ({longest} {unit})")]
    TooLong {
        text: String,
        longest: u32,
        unit: &'static str,
    },
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = match self {
            RecordKind::Meeting => "meeting",
            RecordKind::Results => "results",
            RecordKind::Decree => "decree",
            RecordKind::BlankNumbers => "blank-numbers",
            RecordKind::Receipts => "receipts",
        };
        f.write_str(word)
    }
}

/// The fault in a TOML reader's message: serde's usual three (a missing
/// field, an unknown field, an unknown word) as data, anything else as the
/// parser said it.
pub(super) fn of_toml(message: &str) -> Fault {
    let message = message.trim();
    if let Some((field, _)) = quoted_after(message, "missing field ") {
        return Fault::MissingField { field };
    }
    if let Some((field, _)) = quoted_after(message, "unknown field ") {
        return Fault::UnknownField { field };
    }
    if let Some((value, rest)) = quoted_after(message, "unknown variant ") {
        // The words between backquotes: "expected `a` or `b`", "expected one of `a`, `b`, `c`".
        let expected = rest
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        return Fault::UnknownValue { value, expected };
    }
    Fault::Syntax {
        message: message.to_string(),
    }
}

/// The word between backquotes right after `prefix`, and what follows it.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<(String, &'a str)> {
    let inner = message.strip_prefix(prefix)?.strip_prefix('`')?;
    let end = inner.find('`')?;
    Some((inner[..end].to_string(), &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serdes_usual_messages_become_data() {
        assert_eq!(
            of_toml("missing field `activity`"),
            Fault::MissingField {
                field: "activity".into()
            }
        );
        assert_eq!(
            of_toml("unknown field `colour`, expected one of `no`, `activity`"),
            Fault::UnknownField {
                field: "colour".into()
            }
        );
        assert_eq!(
            of_toml("unknown variant `rapat`, expected `start` or `meeting`"),
            Fault::UnknownValue {
                value: "rapat".into(),
                expected: vec!["start".into(), "meeting".into()]
            }
        );
        assert!(matches!(
            of_toml("invalid array\nexpected `]`"),
            Fault::Syntax { .. }
        ));
    }
}
