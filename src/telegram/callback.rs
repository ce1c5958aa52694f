//! What a button carries: a small, versioned value of ids only, at most 64
//! bytes. Anyone can read and forge callback data, so it says only *which*
//! action on *what*; the presser is authorized again on the server.

use std::fmt;
use std::str::FromStr;

use crate::domain::{BatchId, Competence, MemberId, ParticipantId};
use crate::sop::StepNo;

/// The format version written first in every button's data.
const VERSION: &str = "1";

/// Telegram's limit on callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// A button's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// "Saya kerjakan": acknowledge a step.
    Acknowledge { batch: BatchId, step: StepNo },
    /// "Selesai": mark a step done.
    Done { batch: BatchId, step: StepNo },
    /// "Laporkan kendala": the bot asks for a short text.
    Problem { batch: BatchId, step: StepNo },
    /// "Isi undangan": start the meeting conversation (step 1).
    Meeting { batch: BatchId },
    /// "Hadir" on the invitation.
    Attend { batch: BatchId },
    /// "Tidak dapat hadir": the bot asks for a reason.
    Absent { batch: BatchId },
    /// "Isi hasil K/BK": show the verdict keyboard.
    Results { batch: BatchId },
    /// A page (from 1) of the verdict keyboard, for batches of more than one page.
    ResultsPage { batch: BatchId, page: u32 },
    /// K or BK for one participant.
    Verdict {
        batch: BatchId,
        participant: ParticipantId,
        result: Competence,
    },
    /// "Isi SK": start the decree conversation.
    Decree { batch: BatchId },
    /// "Isi nomor blangko": start the blank numbers conversation.
    Blanks { batch: BatchId },
    /// "Daftar serah terima": list the participants ready to collect.
    Handovers { batch: BatchId },
    /// "Buka" for one participant: they arrived (or their document is
    /// packed for a courier); the handover's clock starts.
    OpenHandover {
        batch: BatchId,
        participant: ParticipantId,
    },
    /// "Terima" for one participant: they received it themselves.
    Receipt {
        batch: BatchId,
        participant: ParticipantId,
    },
    /// "Kurir": sent by courier; the bot asks for the tracking number.
    Courier {
        batch: BatchId,
        participant: ParticipantId,
    },
    /// "Kuasa": a representative took it; the bot asks for their name.
    Proxy {
        batch: BatchId,
        participant: ParticipantId,
    },
    /// "Mulai": start the SOP for a batch created in chat.
    Start { batch: BatchId },
    /// "Daftar hadir": show the plenary's attendance checklist.
    Attendance { batch: BatchId },
    /// One invitee on the checklist marked present or absent.
    MarkPresent {
        batch: BatchId,
        member: MemberId,
        present: bool,
    },
}

impl fmt::Display for Button {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Button::Acknowledge { batch, step } => write!(f, "{VERSION}|a|{batch}|{step}"),
            Button::Done { batch, step } => write!(f, "{VERSION}|d|{batch}|{step}"),
            Button::Problem { batch, step } => write!(f, "{VERSION}|p|{batch}|{step}"),
            Button::Meeting { batch } => write!(f, "{VERSION}|m|{batch}"),
            Button::Attend { batch } => write!(f, "{VERSION}|y|{batch}"),
            Button::Absent { batch } => write!(f, "{VERSION}|n|{batch}"),
            Button::Results { batch } => write!(f, "{VERSION}|r|{batch}"),
            Button::ResultsPage { batch, page } => write!(f, "{VERSION}|q|{batch}|{page}"),
            Button::Verdict {
                batch,
                participant,
                result,
            } => {
                let code = match result {
                    Competence::Kompeten => "k",
                    Competence::BelumKompeten => "b",
                };
                write!(f, "{VERSION}|{code}|{batch}|{participant}")
            }
            Button::Decree { batch } => write!(f, "{VERSION}|s|{batch}"),
            Button::Blanks { batch } => write!(f, "{VERSION}|l|{batch}"),
            Button::Handovers { batch } => write!(f, "{VERSION}|h|{batch}"),
            Button::OpenHandover { batch, participant } => {
                write!(f, "{VERSION}|o|{batch}|{participant}")
            }
            Button::Receipt { batch, participant } => {
                write!(f, "{VERSION}|t|{batch}|{participant}")
            }
            Button::Courier { batch, participant } => {
                write!(f, "{VERSION}|c|{batch}|{participant}")
            }
            Button::Proxy { batch, participant } => {
                write!(f, "{VERSION}|w|{batch}|{participant}")
            }
            Button::Start { batch } => write!(f, "{VERSION}|g|{batch}"),
            Button::Attendance { batch } => write!(f, "{VERSION}|v|{batch}"),
            Button::MarkPresent {
                batch,
                member,
                present,
            } => write!(f, "{VERSION}|x|{batch}|{member}|{}", u8::from(*present)),
        }
    }
}

/// Callback data this version of the bot does not understand (an old
/// button, or a forged one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown button data")]
pub struct UnknownButton;

impl FromStr for Button {
    type Err = UnknownButton;

    /// Only the canonical form is accepted: what [`Button`]'s `Display`
    /// writes, within 64 bytes (no `+1`, `01` or other spellings).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_CALLBACK_BYTES {
            return Err(UnknownButton);
        }
        let parts: Vec<&str> = s.split('|').collect();
        let number = |i: usize| -> Result<i64, UnknownButton> {
            parts
                .get(i)
                .and_then(|p| p.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or(UnknownButton)
        };
        if parts.first() != Some(&VERSION) {
            return Err(UnknownButton);
        }
        let batch = BatchId(number(2)?);
        let step = || {
            number(3)
                .and_then(|n| u32::try_from(n).map_err(|_| UnknownButton))
                .map(StepNo)
        };
        let participant = || number(3).map(ParticipantId);
        let expect = |len: usize| {
            if parts.len() == len {
                Ok(())
            } else {
                Err(UnknownButton)
            }
        };
        let button = match parts.get(1).copied() {
            Some("a") => Button::Acknowledge {
                batch,
                step: step()?,
            },
            Some("d") => Button::Done {
                batch,
                step: step()?,
            },
            Some("p") => Button::Problem {
                batch,
                step: step()?,
            },
            Some("q") => Button::ResultsPage {
                batch,
                page: step()?.0,
            },
            Some(code @ ("k" | "b")) => Button::Verdict {
                batch,
                participant: participant()?,
                result: if code == "k" {
                    Competence::Kompeten
                } else {
                    Competence::BelumKompeten
                },
            },
            Some(code @ ("o" | "t" | "c" | "w")) => handover_button(code, batch, participant()?),
            Some("x") => Button::MarkPresent {
                batch,
                member: MemberId(number(3)?),
                present: match parts.get(4).copied() {
                    Some("1") => true,
                    Some("0") => false,
                    _ => return Err(UnknownButton),
                },
            },
            Some(code) => batch_button(code, batch).ok_or(UnknownButton)?,
            None => return Err(UnknownButton),
        };
        expect(button.to_string().split('|').count())?;
        if button.to_string() != s {
            return Err(UnknownButton);
        }
        Ok(button)
    }
}

/// The button of `code` that names only its batch, if `code` is one.
fn batch_button(code: &str, batch: BatchId) -> Option<Button> {
    Some(match code {
        "m" => Button::Meeting { batch },
        "y" => Button::Attend { batch },
        "n" => Button::Absent { batch },
        "r" => Button::Results { batch },
        "s" => Button::Decree { batch },
        "l" => Button::Blanks { batch },
        "h" => Button::Handovers { batch },
        "g" => Button::Start { batch },
        "v" => Button::Attendance { batch },
        _ => return None,
    })
}

/// The handover button of `code` ("o", "t", "c" or "w") for a participant.
fn handover_button(code: &str, batch: BatchId, participant: ParticipantId) -> Button {
    match code {
        "o" => Button::OpenHandover { batch, participant },
        "t" => Button::Receipt { batch, participant },
        "c" => Button::Courier { batch, participant },
        _ => Button::Proxy { batch, participant },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_round_trips_within_64_bytes() {
        let big = i64::MAX;
        let buttons = [
            Button::Acknowledge {
                batch: BatchId(big),
                step: StepNo(u32::MAX),
            },
            Button::Done {
                batch: BatchId(3),
                step: StepNo(10),
            },
            Button::Problem {
                batch: BatchId(3),
                step: StepNo(2),
            },
            Button::Meeting {
                batch: BatchId(big),
            },
            Button::Attend { batch: BatchId(3) },
            Button::Absent { batch: BatchId(3) },
            Button::Results { batch: BatchId(3) },
            Button::ResultsPage {
                batch: BatchId(big),
                page: u32::MAX,
            },
            Button::Verdict {
                batch: BatchId(big),
                participant: ParticipantId(big),
                result: Competence::BelumKompeten,
            },
            Button::Verdict {
                batch: BatchId(3),
                participant: ParticipantId(9),
                result: Competence::Kompeten,
            },
            Button::Decree { batch: BatchId(3) },
            Button::Blanks { batch: BatchId(3) },
            Button::Handovers { batch: BatchId(3) },
            Button::Start {
                batch: BatchId(big),
            },
            Button::Receipt {
                batch: BatchId(big),
                participant: ParticipantId(big),
            },
            Button::OpenHandover {
                batch: BatchId(big),
                participant: ParticipantId(big),
            },
            Button::Courier {
                batch: BatchId(big),
                participant: ParticipantId(big),
            },
            Button::Proxy {
                batch: BatchId(big),
                participant: ParticipantId(big),
            },
            Button::Attendance {
                batch: BatchId(big),
            },
            Button::MarkPresent {
                batch: BatchId(big),
                member: MemberId(big),
                present: true,
            },
            Button::MarkPresent {
                batch: BatchId(3),
                member: MemberId(4),
                present: false,
            },
        ];
        for button in buttons {
            let data = button.to_string();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(data.parse::<Button>(), Ok(button), "{data}");
        }
    }

    #[test]
    fn foreign_or_damaged_data_is_refused() {
        let long = format!("1|a|1|1{}", "0".repeat(70));
        assert_eq!(long.parse::<Button>(), Err(UnknownButton));
        for data in [
            "",
            "2|a|1|1",
            "1|a|1",
            "1|a|x|1",
            "1|a|1|1|1",
            "1|z|1",
            "1|a|-1|1",
            "1|m|1|2",
            "1|a|+1|1",
            "1|a|01|1",
            "1|a|1|007",
            "1|q|1|0",
            "1|x|1|2",
            "1|x|1|2|2",
            "1|x|1|2|1|1",
            "1|v|1|2",
            "hello",
        ] {
            assert_eq!(data.parse::<Button>(), Err(UnknownButton), "{data}");
        }
    }
}
