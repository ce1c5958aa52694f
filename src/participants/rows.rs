//! Checking a participant list's rows: every bad row with every reason,
//! or the participants, all or none.

use std::collections::HashMap;

use super::*;

/// Checks rows (the first is the header) and returns the participants, or
/// every bad row.
///
/// # Errors
/// [`ListError::Unusable`] for a missing or wrong header or no participants;
/// [`ListError::BadRows`] listing every bad row.
pub fn validate(rows: &[RawRow], existing: &Existing) -> Result<Vec<NewParticipant>, ListError> {
    let Some((header, body)) = rows.split_first() else {
        return Err(ListError::Unusable(FileProblem::Empty));
    };
    let mut checker = RowChecker {
        columns: read_header(header)?,
        // The header as written, to name the columns a short row lacks.
        names: header
            .cells
            .iter()
            .flatten()
            .map(|c| c.trim())
            .collect::<Vec<_>>()
            .join(", "),
        existing,
        seen_emails: HashMap::new(),
        seen_numbers: HashMap::new(),
        seen_niks: HashMap::new(),
    };
    let mut participants = Vec::new();
    let mut errors = Vec::new();
    for raw in body {
        match checker.check(raw) {
            Some(Ok(participant)) => participants.push(participant),
            Some(Err(error)) => errors.push(error),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(ListError::BadRows(errors));
    }
    if participants.is_empty() {
        return Err(ListError::Unusable(FileProblem::NoRows));
    }
    Ok(participants)
}

/// Checks a list's rows one by one, remembering the emails and
/// registration numbers of the rows before (each may appear once).
struct RowChecker<'a> {
    columns: Columns,
    /// The header's column names, as written.
    names: String,
    existing: &'a Existing,
    /// Normalized email → the row it first appeared on.
    seen_emails: HashMap<String, usize>,
    /// Registration number → the row it first appeared on.
    seen_numbers: HashMap<String, usize>,
    /// NIK → the row it first appeared on.
    seen_niks: HashMap<String, usize>,
}

impl RowChecker<'_> {
    /// The row's participant, every reason it is bad, or `None` for an
    /// empty spreadsheet row.
    fn check(&mut self, raw: &RawRow) -> Option<Result<NewParticipant, RowError>> {
        let bad = |reasons| {
            Some(Err(RowError {
                row: raw.row,
                reasons,
            }))
        };
        let Some(cells) = &raw.cells else {
            return bad(vec![RowProblem::NotUtf8]);
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        if cells.len() != self.columns.width {
            return bad(vec![RowProblem::Columns {
                expected: self.columns.width,
                names: self.names.clone(),
                found: cells.len(),
            }]);
        }
        let mut reasons = Vec::new();
        let name = self.name(cells, &mut reasons);
        let email = self.email(&cells[self.columns.email], raw.row, &mut reasons);
        let number = self.number(&cells[self.columns.registration_no], raw.row, &mut reasons);
        let details = self.details(cells, raw.row, &mut reasons);
        match (reasons.is_empty(), email) {
            (true, Some(email)) => Some(Ok(NewParticipant {
                name,
                email,
                registration_no: Some(number).filter(|n| !n.is_empty()),
                details,
            })),
            _ => bad(reasons),
        }
    }

    /// The name, spaces folded; no hidden characters in it or the number.
    fn name(&self, cells: &[String], reasons: &mut Vec<RowProblem>) -> String {
        for (field, column) in [
            ("name", self.columns.name),
            ("registration number", self.columns.registration_no),
        ] {
            if crate::domain::has_hidden_control(&cells[column]) {
                reasons.push(RowProblem::ControlCharacter {
                    field: field.into(),
                });
            }
        }
        let name = cells[self.columns.name]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !crate::domain::has_visible_letter(&name) {
            reasons.push(RowProblem::EmptyName);
        } else if name.chars().count() > MAX_NAME {
            reasons.push(RowProblem::LongName { max: MAX_NAME });
        }
        name
    }

    /// The email, once in the list and not yet in the batch.
    fn email(&mut self, cell: &str, row: usize, reasons: &mut Vec<RowProblem>) -> Option<Email> {
        match Email::parse(cell) {
            Ok(email) => {
                let key = email.normalized();
                if let Some(first) = self.seen_emails.get(&key) {
                    reasons.push(RowProblem::EmailTwice {
                        email: email.to_string(),
                        row: *first,
                    });
                } else if self.existing.emails.contains(&key) {
                    reasons.push(RowProblem::EmailInBatch {
                        email: email.to_string(),
                    });
                } else {
                    self.seen_emails.insert(key, row);
                }
                Some(email)
            }
            Err(InvalidEmail::Empty) => {
                reasons.push(RowProblem::EmptyEmail);
                None
            }
            Err(InvalidEmail::Malformed(text)) => {
                reasons.push(RowProblem::BadEmail { text });
                None
            }
        }
    }

    /// The registration number (may be empty), once in the list and not
    /// yet in the batch.
    fn number(&mut self, cell: &str, row: usize, reasons: &mut Vec<RowProblem>) -> String {
        let number = cell.trim().to_string();
        if number.chars().count() > MAX_REGISTRATION_NO {
            reasons.push(RowProblem::LongNumber {
                max: MAX_REGISTRATION_NO,
            });
        } else if !number.is_empty() {
            if let Some(first) = self.seen_numbers.get(&number) {
                reasons.push(RowProblem::NumberTwice {
                    number: number.clone(),
                    row: *first,
                });
            } else if self.existing.registration_nos.contains(&number) {
                reasons.push(RowProblem::NumberInBatch {
                    number: number.clone(),
                });
            } else {
                self.seen_numbers.insert(number.clone(), row);
            }
        }
        number
    }

    /// The optional particulars: a NIK of 16 digits (once in the list), a
    /// place and date of birth, a phone number. Empty cells are fine.
    fn details(
        &mut self,
        cells: &[String],
        row: usize,
        reasons: &mut Vec<RowProblem>,
    ) -> crate::domain::ParticipantDetails {
        let cell = |column: Option<usize>| {
            column
                .map(|c| cells[c].split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|t| !t.is_empty())
        };
        for (field, column) in [
            ("NIK", self.columns.nik),
            ("place of birth", self.columns.birth_place),
            ("date of birth", self.columns.birth_date),
            ("phone", self.columns.phone),
        ] {
            if column.is_some_and(|c| crate::domain::has_hidden_control(&cells[c])) {
                reasons.push(RowProblem::ControlCharacter {
                    field: field.into(),
                });
            }
        }
        let nik = cell(self.columns.nik).map(|n| n.replace(' ', ""));
        if let Some(nik) = &nik {
            if nik.len() != 16 || !nik.bytes().all(|b| b.is_ascii_digit()) {
                reasons.push(RowProblem::BadNik {
                    text: nik.chars().take(40).collect(),
                });
            } else if let Some(first) = self.seen_niks.get(nik) {
                reasons.push(RowProblem::NikTwice {
                    nik: nik.clone(),
                    row: *first,
                });
            } else {
                self.seen_niks.insert(nik.clone(), row);
            }
        }
        let birth_place = cell(self.columns.birth_place);
        if birth_place
            .as_ref()
            .is_some_and(|p| p.chars().count() > MAX_PLACE)
        {
            reasons.push(RowProblem::LongField {
                field: "place of birth".into(),
                max: MAX_PLACE,
            });
        }
        let birth_date = cell(self.columns.birth_date).and_then(|text| {
            let date = parse_birth_date(&text);
            if date.is_none() {
                reasons.push(RowProblem::BadBirthDate {
                    text: text.chars().take(40).collect(),
                });
            }
            date
        });
        let phone = cell(self.columns.phone);
        if let Some(phone) = &phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
            if !allowed || !(6..=15).contains(&digits) {
                reasons.push(RowProblem::BadPhone {
                    text: phone.chars().take(40).collect(),
                });
            }
        }
        crate::domain::ParticipantDetails {
            nik,
            birth_place,
            birth_date,
            phone,
        }
    }
}

/// Longest place of birth, in characters.
const MAX_PLACE: usize = 100;

/// A date of birth as lists write it: `1995-03-01`, `01-03-1995`,
/// `01/03/1995`, or a spreadsheet's date cell (`1995-03-01 00:00:00`).
/// Born within the last 120 years, and not in the future.
fn parse_birth_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.split([' ', 'T']).next().unwrap_or_default();
    let date = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(text, f).ok())?;
    let year = chrono::Datelike::year(&date);
    (1900..=2100).contains(&year).then_some(date)
}
