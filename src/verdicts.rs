//! Reading per-participant tables: a results list (berita acara penetapan
//! as a table: K or BK per participant) and a blank numbers list (one BNSP
//! blank number per participant). Each row names a participant by
//! registration number, email or name. All or nothing, like the
//! participant import.

use std::collections::{BTreeMap, HashMap};

use crate::domain::{Competence, Participant, ParticipantId};
use crate::participants::{
    EMAIL, ListError, NAME, REGISTRATION_NO, RawRow, RowError, RowProblem, column, header_names,
    wrong_header,
};

/// Header names the result column may go by.
pub const RESULT: &[&str] = &["result", "hasil", "rekomendasi", "k/bk", "k_bk"];

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
) -> Result<Vec<(ParticipantId, Competence)>, ListError> {
    read(
        rows,
        participants,
        RESULT,
        "registration_no (or email, or name) and result",
        |text, _| {
            text.parse::<Competence>()
                .map_err(|_| RowProblem::BadResult {
                    text: text.trim().into(),
                })
        },
    )
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
        "registration_no (or email, or name) and blank_number",
        |text, row| {
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
/// `value_aliases` column given the row number.
fn read<T>(
    rows: &[RawRow],
    participants: &BTreeMap<ParticipantId, Participant>,
    value_aliases: &[&str],
    expected: &str,
    value: impl Fn(&str, usize) -> Result<T, RowProblem>,
) -> Result<Vec<(ParticipantId, T)>, ListError> {
    let Some((header, body)) = rows.split_first() else {
        return Err(ListError::Unusable(crate::participants::FileProblem::Empty));
    };
    let names = header_names(header, expected)?;
    let value_col = column(&names, value_aliases).ok_or_else(|| wrong_header(header, expected))?;
    let lookup = Lookup::new(&names, participants).ok_or_else(|| wrong_header(header, expected))?;
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
        let parsed = value(&cells[value_col], raw.row);
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
mod tests {
    use super::*;
    use crate::domain::Email;
    use crate::participants::read_csv;

    fn batch() -> BTreeMap<ParticipantId, Participant> {
        [
            (1, "Ayu", "ayu@example.com", "R-1"),
            (2, "Budi", "budi@example.com", "R-2"),
            (3, "Citra", "citra@example.com", "R-3"),
        ]
        .into_iter()
        .map(|(id, name, email, number)| {
            (
                ParticipantId(id),
                Participant {
                    id: ParticipantId(id),
                    name: name.into(),
                    email: Email::parse(email).unwrap(),
                    registration_no: Some(number.into()),
                },
            )
        })
        .collect()
    }

    #[test]
    fn results_by_registration_number_email_or_name() {
        let by_number = read_csv(b"registration_no,result\nR-1,K\nR-2,bk\n").unwrap();
        assert_eq!(
            validate(&by_number, &batch()).unwrap(),
            vec![
                (ParticipantId(1), Competence::Kompeten),
                (ParticipantId(2), Competence::BelumKompeten)
            ]
        );
        let by_email = read_csv(b"email;hasil\nCITRA@example.com;Kompeten\n").unwrap();
        assert_eq!(
            validate(&by_email, &batch()).unwrap(),
            vec![(ParticipantId(3), Competence::Kompeten)]
        );
        let by_name = read_csv(b"nama,hasil\nbudi,K\n").unwrap();
        assert_eq!(
            validate(&by_name, &batch()).unwrap(),
            vec![(ParticipantId(2), Competence::Kompeten)]
        );
    }

    #[test]
    fn every_bad_row_is_named() {
        let rows =
            read_csv(b"registration_no,result\nR-1,K\nR-9,K\nR-2,lulus\nR-1,BK\nR-3\n").unwrap();
        match validate(&rows, &batch()) {
            Err(ListError::BadRows(bad)) => {
                let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
                assert_eq!(
                    shown,
                    vec![
                        "row 3: no participant 'R-9' in this batch",
                        "row 4: 'lulus' is not a result: use K or BK",
                        "row 5: this participant is also on row 2",
                        "row 6: expected 2 columns (registration_no, result) but found 1",
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        let blanks = read_csv(b"registration_no,no_blangko\nR-1,B-7\nR-2,B-7\n").unwrap();
        match blank_numbers(&blanks, &batch()) {
            Err(ListError::BadRows(bad)) => {
                assert_eq!(
                    bad[0].to_string(),
                    "row 3: the blank number B-7 is also on row 2"
                )
            }
            other => panic!("{other:?}"),
        }
        let wrong = read_csv(b"peserta,nilai\nAyu,90\n").unwrap();
        assert!(
            validate(&wrong, &batch())
                .unwrap_err()
                .to_string()
                .starts_with("row 1 must be the header")
        );
    }
}
