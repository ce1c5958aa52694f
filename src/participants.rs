//! Reading a participant list: CSV as Excel writes it (UTF-8, `,` or `;`),
//! header `name,email,registration_no`. All or nothing: every bad row is
//! named with its row number as a spreadsheet shows it (the header is row 1)
//! and the reasons, and nothing is imported while any row is bad.

use std::collections::HashSet;
use std::fmt;

use crate::domain::{Email, InvalidEmail};
use crate::store::NewParticipant;

/// Longest participant name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest registration number.
pub const MAX_REGISTRATION_NO: usize = 60;

/// One spreadsheet row as read: its number and its cells, or why its text is unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The row number a spreadsheet shows (the header is row 1).
    pub row: usize,
    /// The cells, or `None` when the row is not valid UTF-8.
    pub cells: Option<Vec<String>>,
}

/// One thing wrong with one row. The English sentence is the `Display`;
/// staff in chat read `row_<name>` from `phrases.toml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum RowProblem {
    #[error("the text is not valid UTF-8 (save the file as \"CSV UTF-8\")")]
    NotUtf8,
    #[error("expected {expected} columns ({names}) but found {found}")]
    Columns {
        expected: usize,
        names: String,
        found: usize,
    },
    #[error("the name is empty")]
    EmptyName,
    #[error("the name is longer than {max} characters")]
    LongName { max: usize },
    #[error(
        "the {field} holds an invisible control character (such as NUL or a right-to-left mark); type it again"
    )]
    ControlCharacter { field: String },
    #[error("the email is empty")]
    EmptyEmail,
    #[error("'{text}' is not a valid email address")]
    BadEmail { text: String },
    #[error("the email {email} is also on row {row}")]
    EmailTwice { email: String, row: usize },
    #[error("the email {email} is already in this batch")]
    EmailInBatch { email: String },
    #[error("the registration number is longer than {max} characters")]
    LongNumber { max: usize },
    #[error("the registration number {number} is also on row {row}")]
    NumberTwice { number: String, row: usize },
    #[error("the registration number {number} is already in this batch")]
    NumberInBatch { number: String },
    #[error("no participant '{text}' in this batch")]
    UnknownParticipant { text: String },
    #[error("'{text}' names more than one participant")]
    AmbiguousParticipant { text: String },
    #[error("this participant is also on row {row}")]
    ParticipantTwice { row: usize },
    #[error("the NIK '{text}' is not 16 digits")]
    BadNik { text: String },
    #[error("the NIK {nik} is also on row {row}")]
    NikTwice { nik: String, row: usize },
    #[error("'{text}' is not a date of birth (write it as YYYY-MM-DD or DD-MM-YYYY)")]
    BadBirthDate { text: String },
    #[error("'{text}' is not a phone number")]
    BadPhone { text: String },
    #[error("the {field} is longer than {max} characters")]
    LongField { field: String, max: usize },
    #[error("'{text}' is not a result: use K or BK")]
    BadResult { text: String },
    #[error(
        "'{text}' is not a list of unit codes: separate the codes with ';', at most {max_units} codes of at most {max_code} characters"
    )]
    BadUnits {
        text: String,
        max_units: usize,
        max_code: usize,
    },
    #[error(
        "units not yet competent (unit_bk) are only for a BK result; leave the cell empty for K"
    )]
    UnitsForK,
    #[error("'{text}' is not a blank number")]
    BadBlankNumber { text: String },
    #[error("the blank number {number} is also on row {row}")]
    BlankTwice { number: String, row: usize },
}

/// A bad row and everything wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub reasons: Vec<RowProblem>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reasons: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        write!(f, "row {}: {}", self.row, reasons.join("; "))
    }
}

/// The kinds of per-participant list a file may be, each with its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// The participant list of an import.
    Participants,
    /// A results list (K or BK per participant).
    Results,
    /// A list of BNSP blank numbers.
    BlankNumbers,
}

impl ListKind {
    /// The header it needs, with the columns it may add, in English (the
    /// phrase `file_header` says it in the configured language).
    pub fn header(self) -> &'static str {
        match self {
            ListKind::Participants => {
                "name,email,registration_no (and optionally nik,birth_place,birth_date,phone)"
            }
            ListKind::Results => {
                "registration_no (or email, or name) and result (and optionally unit_bk)"
            }
            ListKind::BlankNumbers => "registration_no (or email, or name) and blank_number",
        }
    }
}

/// Why a whole file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum FileProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not CSV: {detail}")]
    NotCsv { detail: String },
    #[error("the file is not a readable XLSX workbook: {detail}")]
    NotXlsx { detail: String },
    #[error("row 1 must be the header {} (found: {found})", list.header())]
    Header {
        /// Which list it was meant to be: each phrase names its columns in
        /// its own language.
        list: ListKind,
        found: String,
    },
    #[error("the file has a header but no rows")]
    NoRows,
}

/// Why a list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// The file is not a list at all (format, header, emptiness).
    #[error(transparent)]
    Unusable(FileProblem),
    /// Some rows are bad; nothing was imported.
    #[error("{} bad row(s); nothing was imported", .0.len())]
    BadRows(Vec<RowError>),
}

/// The columns a list must have, and those it may have, where they were found.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    email: usize,
    registration_no: usize,
    nik: Option<usize>,
    birth_place: Option<usize>,
    birth_date: Option<usize>,
    phone: Option<usize>,
    /// How many columns the header has.
    width: usize,
}

/// What a batch already holds, so duplicates across imports are caught.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// Lower-case emails already in the batch.
    pub emails: HashSet<String>,
    /// Registration numbers already in the batch.
    pub registration_nos: HashSet<String>,
}

/// Reads a CSV file's bytes into rows, choosing `;` or `,` from the header.
///
/// # Errors
/// [`ListError::Unusable`] when the file is empty or not CSV at all.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, ListError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let semicolons = header_line.iter().filter(|b| **b == b';').count();
    let commas = header_line.iter().filter(|b| **b == b',').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut embedded_newlines = 0usize;
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            ListError::Unusable(FileProblem::NotCsv {
                detail: e.to_string(),
            })
        })?;
        // The line a record starts on, counted from its first byte: the csv
        // crate's own line count lags one behind after a CRLF ending (it
        // notes a record's start between the CR and the LF), which made
        // every row of a file Excel saved on Windows one too low.
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let line = 1 + bytes[..(start + 1).min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let row = line.saturating_sub(embedded_newlines).max(1);
        embedded_newlines += record
            .iter()
            .map(|f| f.iter().filter(|b| **b == b'\n').count())
            .sum::<usize>();
        let cells = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(str::to_string))
            .collect::<Result<Vec<_>, _>>()
            .ok();
        rows.push(RawRow { row, cells });
    }
    Ok(rows)
}

/// Reads the first sheet of an XLSX workbook into rows (the header is row 1).
///
/// # Errors
/// [`ListError::Unusable`] when the bytes are not a readable workbook.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, ListError> {
    let rows = crate::xlsx::first_sheet(bytes).map_err(|e| {
        ListError::Unusable(match e {
            crate::xlsx::XlsxProblem::NoSheet => FileProblem::Empty,
            other => FileProblem::NotXlsx {
                detail: other.to_string(),
            },
        })
    })?;
    // A spreadsheet has no column count per row: every row is as wide as the header.
    let width = rows.first().map_or(0, |(_, h)| h.len());
    Ok(rows
        .into_iter()
        .map(|(row, mut cells)| {
            if cells.len() < width {
                cells.resize(width, String::new());
            }
            RawRow {
                row,
                cells: Some(cells),
            }
        })
        .collect())
}

/// Reads a CSV or XLSX file (told apart by its first bytes) into rows.
///
/// # Errors
/// [`ListError::Unusable`] when the file is neither.
pub fn read_table(bytes: &[u8]) -> Result<Vec<RawRow>, ListError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// Header names a participant's name may go by.
pub const NAME: &[&str] = &["name", "nama"];
/// Header names an email column may go by.
pub const EMAIL: &[&str] = &["email", "e_mail", "surel"];
/// Header names a registration number column may go by.
pub const REGISTRATION_NO: &[&str] = &[
    "registration_no",
    "no_registrasi",
    "nomor_registrasi",
    "no_reg",
];

/// Header names of the optional NIK column.
pub const NIK: &[&str] = &["nik", "no_ktp", "nomor_induk_kependudukan"];
/// Header names of the optional place of birth.
pub const BIRTH_PLACE: &[&str] = &["birth_place", "place_of_birth", "tempat_lahir"];
/// Header names of the optional date of birth.
pub const BIRTH_DATE: &[&str] = &["birth_date", "date_of_birth", "tanggal_lahir", "tgl_lahir"];
/// Header names of the optional phone number.
pub const PHONE: &[&str] = &["phone", "telepon", "no_hp", "no_telepon", "hp"];

/// The header's names, normalized (`No Registrasi` → `no_registrasi`).
///
/// # Errors
/// [`FileProblem::Header`] (naming the `list` it should be) when the
/// header is not text.
pub fn header_names(header: &RawRow, list: ListKind) -> Result<Vec<String>, ListError> {
    let Some(cells) = &header.cells else {
        return Err(ListError::Unusable(FileProblem::Header {
            list,
            found: "text that is not valid UTF-8".into(),
        }));
    };
    Ok(cells
        .iter()
        .map(|c| c.trim().to_lowercase().replace([' ', '-'], "_"))
        .collect())
}

/// The position of the column going by one of `aliases`.
pub fn column(names: &[String], aliases: &[&str]) -> Option<usize> {
    names.iter().position(|n| aliases.contains(&n.as_str()))
}

/// The refusal for a header that is not the expected one.
pub fn wrong_header(header: &RawRow, list: ListKind) -> ListError {
    ListError::Unusable(FileProblem::Header {
        list,
        found: header
            .cells
            .as_ref()
            .map(|c| c.join(","))
            .unwrap_or_default(),
    })
}

fn read_header(header: &RawRow) -> Result<Columns, ListError> {
    let names = header_names(header, ListKind::Participants)?;
    let known = [
        NAME,
        EMAIL,
        REGISTRATION_NO,
        NIK,
        BIRTH_PLACE,
        BIRTH_DATE,
        PHONE,
    ];
    // Every column is one the list may have, and none comes twice.
    let each_once = names
        .iter()
        .all(|n| known.iter().any(|aliases| aliases.contains(&n.as_str())))
        && known.iter().all(|aliases| {
            names
                .iter()
                .filter(|n| aliases.contains(&n.as_str()))
                .count()
                <= 1
        });
    match (
        each_once,
        column(&names, NAME),
        column(&names, EMAIL),
        column(&names, REGISTRATION_NO),
    ) {
        (true, Some(name), Some(email), Some(registration_no)) => Ok(Columns {
            name,
            email,
            registration_no,
            nik: column(&names, NIK),
            birth_place: column(&names, BIRTH_PLACE),
            birth_date: column(&names, BIRTH_DATE),
            phone: column(&names, PHONE),
            width: names.len(),
        }),
        _ => Err(wrong_header(header, ListKind::Participants)),
    }
}

mod rows;

pub use rows::validate;

#[cfg(test)]
mod tests;
