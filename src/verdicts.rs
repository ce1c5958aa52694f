//! Reading per-participant tables: a results list (berita acara penetapan
//! as a table: K or BK per participant) and a blank numbers list (one BNSP
//! blank number per participant). Each row names a participant by
//! registration number, email or name. All or nothing, like the
//! participant import.

use std::collections::{BTreeMap, HashMap};

use crate::domain::{Competence, Participant, ParticipantId};
use crate::participants::{
    EMAIL, ListError, ListKind, NAME, REGISTRATION_NO, RawRow, RowError, RowProblem, column,
    header_names, wrong_header,
};

/// Header names the result column may go by.
pub const RESULT: &[&str] = &["result", "hasil", "rekomendasi", "k/bk", "k_bk"];

/// Header names of the optional column of units not yet competent (for
/// a BK row: unit codes separated by `;`).
pub const UNITS_BK: &[&str] = &["unit_bk", "units_bk", "unit_belum_kompeten", "kode_unit_bk"];

/// Most unit codes one participant's row may name.
pub const MAX_UNITS: usize = 60;
/// Longest unit code (BNSP's look like `TIK.OP02.001.01`).
pub const MAX_UNIT_CODE: usize = 40;

/// One row of a results list: the verdict and, when the file has the
/// `unit_bk` column, the units not yet competent (empty for a K).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub participant: ParticipantId,
    pub result: Competence,
    pub units_bk: Option<Vec<String>>,
}

/// Header names the blank number column may go by.
pub const BLANK_NUMBER: &[&str] = &["blank_number", "no_blangko", "nomor_blangko", "blangko"];

/// Checks a results list against the batch's participants.
///
/// # Errors
/// [`ListError::Unusable`] for a wrong header or no rows; [`ListError::BadRows`]
/// naming every bad row.
pub fn validate(
    rows: &[RawRow],
    participants: &BTreeMap<ParticipantId, Participant>,
) -> Result<Vec<Verdict>, ListError> {
    let units_col = rows.first().and_then(|header| {
        let names = header_names(header, ListKind::Results).ok()?;
        column(&names, UNITS_BK)
    });
    let verdicts = read(
        rows,
        participants,
        RESULT,
        ListKind::Results,
        |text, cells, _| {
            let result = text
                .parse::<Competence>()
                .map_err(|_| RowProblem::BadResult {
                    text: text.trim().into(),
                })?;
            let units = units_col
                .and_then(|c| cells.get(c))
                .map(|cell| units_bk(cell))
                .transpose()?;
            if result == Competence::Kompeten && units.as_ref().is_some_and(|u| !u.is_empty()) {
                return Err(RowProblem::UnitsForK);
            }
            Ok((result, units))
        },
    )?;
    Ok(verdicts
        .into_iter()
        .map(|(participant, (result, units_bk))| Verdict {
            participant,
            result,
            units_bk,
        })
        .collect())
}

/// The unit codes of a cell: separated by `;` (or `,`, or a line break),
/// each trimmed, empty ones dropped; a code too long or holding a control
/// character, or too many codes, refuses the row.
fn units_bk(cell: &str) -> Result<Vec<String>, RowProblem> {
    let codes: Vec<String> = cell
        .split([';', ',', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let bad = |code: &String| {
        code.chars().count() > MAX_UNIT_CODE
            || code
                .chars()
                .any(|c| c.is_control() || crate::domain::is_bidi_control(c))
    };
    if codes.len() > MAX_UNITS || codes.iter().any(bad) {
        return Err(RowProblem::BadUnits {
            text: crate::limits::clip(cell.trim(), 60),
            max_units: MAX_UNITS,
            max_code: MAX_UNIT_CODE,
        });
    }
    Ok(codes)
}

/// Checks a blank numbers list against the batch's participants; a number
/// may stand once.
///
/// # Errors
/// As [`validate`].
pub fn blank_numbers(
    rows: &[RawRow],
    participants: &BTreeMap<ParticipantId, Participant>,
) -> Result<Vec<(ParticipantId, String)>, ListError> {
    let seen = std::cell::RefCell::new(HashMap::<String, usize>::new());
    read(
        rows,
        participants,
        BLANK_NUMBER,
        ListKind::BlankNumbers,
        |text, _, row| {
            let number = text.trim().to_string();
            if number.is_empty() || number.chars().count() > crate::workflow::MAX_BLANK_NUMBER {
                return Err(RowProblem::BadBlankNumber { text: number });
            }
            if let Some(first) = seen.borrow_mut().insert(number.clone(), row) {
                return Err(RowProblem::BlankTwice { number, row: first });
            }
            Ok(number)
        },
    )
}

/// Reads a table of (participant, value) rows; `value` parses a cell of the
/// `value_aliases` column given the row's cells and number.
fn read<T>(
    rows: &[RawRow],
    participants: &BTreeMap<ParticipantId, Participant>,
    value_aliases: &[&str],
    list: ListKind,
    value: impl Fn(&str, &[String], usize) -> Result<T, RowProblem>,
) -> Result<Vec<(ParticipantId, T)>, ListError> {
    let Some((header, body)) = rows.split_first() else {
        return Err(ListError::Unusable(crate::participants::FileProblem::Empty));
    };
    let names = header_names(header, list)?;
    let value_col = column(&names, value_aliases).ok_or_else(|| wrong_header(header, list))?;
    let lookup = Lookup::new(&names, participants).ok_or_else(|| wrong_header(header, list))?;
    let mut seen: HashMap<ParticipantId, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for raw in body {
        let cells = match cells_of(raw, &names) {
            None => continue,
            Some(Err(error)) => {
                errors.push(error);
                continue;
            }
            Some(Ok(cells)) => cells,
        };
        let mut reasons = Vec::new();
        let participant = lookup.find(&cells[lookup.column], &mut reasons);
        if let Some(p) = participant {
            if let Some(first) = seen.get(&p) {
                reasons.push(RowProblem::ParticipantTwice { row: *first });
            } else {
                seen.insert(p, raw.row);
            }
        }
        let parsed = value(&cells[value_col], cells, raw.row);
        if let Err(problem) = &parsed {
            reasons.push(problem.clone());
        }
        match (participant, parsed, reasons.is_empty()) {
            (Some(p), Ok(v), true) => out.push((p, v)),
            _ => errors.push(RowError {
                row: raw.row,
                reasons,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ListError::BadRows(errors));
    }
    if out.is_empty() {
        return Err(ListError::Unusable(
            crate::participants::FileProblem::NoRows,
        ));
    }
    Ok(out)
}

/// A row's cells, when it has the header's width; `None` for an empty
/// spreadsheet row.
fn cells_of<'a>(raw: &'a RawRow, names: &[String]) -> Option<Result<&'a [String], RowError>> {
    let Some(cells) = &raw.cells else {
        return Some(Err(RowError {
            row: raw.row,
            reasons: vec![RowProblem::NotUtf8],
        }));
    };
    if cells.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    if cells.len() != names.len() {
        return Some(Err(RowError {
            row: raw.row,
            reasons: vec![RowProblem::Columns {
                expected: names.len(),
                names: names.join(", "),
                found: cells.len(),
            }],
        }));
    }
    Some(Ok(cells))
}

/// How a participant is keyed in a lookup.
type KeyOf = fn(&Participant) -> Option<String>;

/// Finds a row's participant by the column the file names them in: the
/// registration number (as written), else the email or the name (in any case).
struct Lookup {
    column: usize,
    exact: bool,
    index: HashMap<String, Vec<ParticipantId>>,
}

impl Lookup {
    /// The lookup for a header; `None` when it names no participant column.
    fn new(
        names: &[String],
        participants: &BTreeMap<ParticipantId, Participant>,
    ) -> Option<Lookup> {
        let (column, exact, key): (usize, bool, KeyOf) =
            if let Some(c) = column(names, REGISTRATION_NO) {
                (c, true, |p| p.registration_no.clone())
            } else if let Some(c) = column(names, EMAIL) {
                (c, false, |p| Some(p.email.normalized()))
            } else {
                (column(names, NAME)?, false, |p| Some(p.name.to_lowercase()))
            };
        let mut index: HashMap<String, Vec<ParticipantId>> = HashMap::new();
        for p in participants.values() {
            if let Some(k) = key(p) {
                index.entry(k).or_default().push(p.id);
            }
        }
        Some(Lookup {
            column,
            exact,
            index,
        })
    }

    /// The one participant `text` names; why not, into `reasons`.
    fn find(&self, text: &str, reasons: &mut Vec<RowProblem>) -> Option<ParticipantId> {
        let text = text.trim();
        let key = if self.exact {
            text.to_string()
        } else {
            text.to_lowercase()
        };
        match self.index.get(&key).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            Some([_, _, ..]) => {
                reasons.push(RowProblem::AmbiguousParticipant { text: text.into() });
                None
            }
            _ => {
                reasons.push(RowProblem::UnknownParticipant { text: text.into() });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
