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
        let names = header_names(header, "").ok()?;
        column(&names, UNITS_BK)
    });
    let verdicts = read(
        rows,
        participants,
        RESULT,
        "registration_no (or email, or name) and result|unit_bk",
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
        "registration_no (or email, or name) and blank_number",
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
    expected: &str,
    value: impl Fn(&str, &[String], usize) -> Result<T, RowProblem>,
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
        let plain = |rows: Vec<Verdict>| -> Vec<(ParticipantId, Competence)> {
            rows.into_iter()
                .map(|v| (v.participant, v.result))
                .collect()
        };
        let by_number = read_csv(b"registration_no,result\nR-1,K\nR-2,bk\n").unwrap();
        assert_eq!(
            plain(validate(&by_number, &batch()).unwrap()),
            vec![
                (ParticipantId(1), Competence::Kompeten),
                (ParticipantId(2), Competence::BelumKompeten)
            ]
        );
        let by_email = read_csv(b"email;hasil\nCITRA@example.com;Kompeten\n").unwrap();
        assert_eq!(
            plain(validate(&by_email, &batch()).unwrap()),
            vec![(ParticipantId(3), Competence::Kompeten)]
        );
        let by_name = read_csv(b"nama,hasil\nbudi,K\n").unwrap();
        assert_eq!(
            plain(validate(&by_name, &batch()).unwrap()),
            vec![(ParticipantId(2), Competence::Kompeten)]
        );
    }

    /// A BK row names its units not yet competent, separated by `;`
    /// (inside a quoted cell of a comma-separated file); a K row with
    /// units, or a code too long, is refused with its row.
    #[test]
    fn units_not_yet_competent_go_with_a_bk_row() {
        let rows = read_csv(
            b"registration_no,result,unit_bk\nR-1,K,\nR-2,BK,\"TIK.OP02.001.01; TIK.OP02.004.01\"\n",
        )
        .unwrap();
        let verdicts = validate(&rows, &batch()).unwrap();
        assert_eq!(verdicts[0].units_bk, Some(Vec::new()));
        assert_eq!(
            verdicts[1].units_bk,
            Some(vec![
                "TIK.OP02.001.01".to_string(),
                "TIK.OP02.004.01".to_string()
            ])
        );
        // Without the column, nothing is said about units.
        let plain = read_csv(b"registration_no,result\nR-2,BK\n").unwrap();
        assert_eq!(validate(&plain, &batch()).unwrap()[0].units_bk, None);
        let long = "X".repeat(MAX_UNIT_CODE + 1);
        let bad = format!("registration_no;hasil;unit_bk\nR-1;K;TIK.1\nR-2;BK;{long}\n");
        match validate(&read_csv(bad.as_bytes()).unwrap(), &batch()) {
            Err(ListError::BadRows(bad)) => {
                let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
                assert_eq!(shown.len(), 2, "{shown:?}");
                assert!(
                    shown[0].starts_with("row 2: units not yet competent"),
                    "{shown:?}"
                );
                assert!(
                    shown[1].starts_with("row 3: '")
                        && shown[1].contains("not a list of unit codes"),
                    "{shown:?}"
                );
            }
            other => panic!("expected bad rows, got {other:?}"),
        }
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
