//! The blank request to BNSP: the list of assessed participants as XLSX in
//! the columns BNSP's online request asks for (NOMOR URUT, NAMA ASESI, NIK
//! first, K and BK alike), and the package zipped with the request letter
//! and the berita acara.

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
use zip::write::SimpleFileOptions;

use super::Document;
use super::facts::BatchFacts;

/// BNSP's request form takes a request letter of at most 2 MB.
pub const MAX_REQUEST_LETTER: usize = 2 * 1000 * 1000;
/// … and a berita acara of at most 5 MB.
pub const MAX_MINUTES: usize = 5 * 1000 * 1000;

/// The list's columns, BNSP's three first.
pub const COLUMNS: [&str; 11] = [
    "NOMOR URUT",
    "NAMA ASESI",
    "NIK",
    "TEMPAT LAHIR",
    "TANGGAL LAHIR",
    "NO HP",
    "NOMOR REGISTRASI",
    "SKEMA SERTIFIKASI",
    "TANGGAL ASESMEN",
    "TUK",
    "REKOMENDASI",
];

/// The column of [`COLUMNS`] a header of BNSP's template names, if any
/// (`No. Urut`, `Nama Lengkap`, `No KTP` …); BNSP's coded columns name none
/// and stay empty, for the LSP to fill.
fn column_of(header: &str) -> Option<usize> {
    let h: String = header
        .to_uppercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let is = |names: &[&str]| names.contains(&h.as_str());
    Some(match () {
        () if is(&["NOMOR URUT", "NO URUT", "NO", "NOMOR"]) => 0,
        () if is(&["NAMA ASESI", "NAMA", "NAMA LENGKAP", "NAMA PESERTA"]) => 1,
        () if is(&["NIK", "NO KTP", "NOMOR KTP", "NOMOR INDUK KEPENDUDUKAN"]) => 2,
        () if is(&["TEMPAT LAHIR"]) => 3,
        () if is(&["TANGGAL LAHIR", "TGL LAHIR"]) => 4,
        () if is(&["NO HP", "NOMOR HP", "TELEPON", "NO TELEPON", "HP"]) => 5,
        () if is(&["NOMOR REGISTRASI", "NO REGISTRASI", "NO REG"]) => 6,
        () if is(&["SKEMA SERTIFIKASI", "SKEMA", "NAMA SKEMA"]) => 7,
        () if is(&["TANGGAL ASESMEN", "TANGGAL UJI", "TGL ASESMEN", "TGL UJI"]) => 8,
        () if is(&["TUK", "TEMPAT UJI KOMPETENSI"]) => 9,
        () if is(&["REKOMENDASI", "HASIL", "K BK", "HASIL ASESMEN"]) => 10,
        () => return None,
    })
}

/// Excel's paper size code for A4.
const A4: u8 = 9;

/// The participants' list as an XLSX workbook, dated by the facts (the
/// same facts give the same bytes): in [`COLUMNS`], or under `headers` (the
/// operator's copy of BNSP's template) with each column BNSP's template
/// names filled by its header. Every cell is text: a NIK keeps its 16
/// digits, never becoming a number in scientific notation.
pub fn participant_list(facts: &BatchFacts, headers: Option<&[String]>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let dated = facts
        .due()
        .into_iter()
        .find(|d| d.kind == super::Kind::DaftarPeserta)
        .map_or(
            facts
                .state
                .steps
                .values()
                .filter_map(|r| r.started_at)
                .max(),
            |d| Some(d.dated),
        );
    let mut properties = DocProperties::new()
        .set_title("Daftar peserta asesmen")
        .set_author("sertibot");
    if let Some(at) = dated.and_then(excel_time) {
        properties = properties.set_creation_datetime(&at);
    }
    workbook.set_properties(&properties);
    let sheet = workbook.add_worksheet();
    let _ = sheet.set_name("Peserta");
    let bold = Format::new().set_bold();
    let own: Vec<String> = COLUMNS.iter().map(|c| (*c).to_string()).collect();
    let headers = headers.unwrap_or(&own);
    let fields: Vec<Option<usize>> = headers.iter().map(|h| column_of(h)).collect();
    for (col, name) in headers.iter().enumerate().take(usize::from(u16::MAX)) {
        let _ = sheet.write_string_with_format(0, col as u16, name, &bold);
    }
    let assessed = facts.info.assessed_on.format("%Y-%m-%d").to_string();
    for (i, p) in facts.state.participants.values().enumerate() {
        let person = facts.people.get(&p.id);
        let details = person.map(|x| x.details.clone()).unwrap_or_default();
        let cells = [
            (i + 1).to_string(),
            p.name.clone(),
            details.nik.unwrap_or_default(),
            details.birth_place.unwrap_or_default(),
            details
                .birth_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            details.phone.unwrap_or_default(),
            person
                .and_then(|x| x.registration_no.clone())
                .unwrap_or_default(),
            facts.info.scheme.clone(),
            assessed.clone(),
            facts.info.place.clone().unwrap_or_default(),
            p.result.map(|r| r.code().to_string()).unwrap_or_default(),
        ];
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (col, field) in fields.iter().enumerate().take(usize::from(u16::MAX)) {
            if let Some(text) = field.and_then(|f| cells.get(f)) {
                let _ = sheet.write_string(row, col as u16, text);
            }
        }
    }
    let _ = sheet.autofit();
    // Printed as one sheet wide on A4 landscape, the header on every page.
    sheet
        .set_paper_size(A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    let _ = sheet.set_repeat_rows(0, 0);
    workbook.save_to_buffer().unwrap_or_default()
}

fn excel_time(at: DateTime<Utc>) -> Option<ExcelDateTime> {
    ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)
        .and_then(|d| d.and_hms(at.hour() as u16, at.minute() as u8, at.second()))
        .ok()
}

/// The package: each part under its own name, stored with the document's
/// date (so the same parts make the same ZIP).
pub fn package(parts: &[Document], dated: DateTime<Utc>) -> Vec<u8> {
    let entries = parts
        .iter()
        .map(|p| (p.file_name.as_str(), p.bytes.as_slice()));
    zip_entries(entries, dated.naive_utc()).unwrap_or_default()
}

/// A ZIP of `(name, bytes)` entries, deflated, each stored with the time
/// `at` and the owner's modes alone: the same entries and time make the
/// same bytes.
///
/// # Errors
/// When an entry cannot be written (a name ZIP refuses).
pub fn zip_entries<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    at: chrono::NaiveDateTime,
) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let time = zip::DateTime::from_date_and_time(
        at.year() as u16,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o600);
    for (name, bytes) in entries {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}
