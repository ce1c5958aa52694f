//! Reading an XLSX workbook that may be hostile. An XLSX file is a zip
//! archive of XML: a file of a few kilobytes can unpack to gigabytes (a zip
//! bomb), or declare a sheet from A1 to XFD1048576 that a spreadsheet
//! library would allocate whole. So the archive is unpacked once, bounded,
//! before the library opens it, and the first sheet is then read cell by
//! cell, refusing a sheet past [`MAX_ROWS`] rows, [`MAX_COLUMNS`] columns or
//! [`MAX_CELLS`] filled cells.

use std::io::{Cursor, Read};

/// The most the whole archive may unpack to.
pub const MAX_UNPACKED: u64 = 32 * 1024 * 1024;
/// The most files the archive may hold.
pub const MAX_ENTRIES: usize = 256;
/// The last row number a sheet may fill.
pub const MAX_ROWS: u32 = 20_001;
/// The most columns a sheet may fill.
pub const MAX_COLUMNS: u32 = 64;
/// The most filled cells a sheet may hold.
pub const MAX_CELLS: usize = 400_000;

/// Why a workbook was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XlsxProblem {
    #[error("{0}")]
    Unreadable(String),
    #[error("the workbook unpacks to more than {} MB", MAX_UNPACKED / (1024 * 1024))]
    TooLarge,
    #[error("the sheet is larger than sertibot reads (at most {} rows, {} columns and {} filled cells)", MAX_ROWS - 1, MAX_COLUMNS, MAX_CELLS)]
    SheetTooLarge,
    #[error("the workbook has no sheet")]
    NoSheet,
}

/// The first sheet's rows as text, from its first filled row and column;
/// each row's number in the spreadsheet (1-based) beside it.
///
/// # Errors
/// [`XlsxProblem`] for a file that is not a workbook or is over the bounds.
pub fn first_sheet(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, XlsxProblem> {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    check_archive(bytes)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| XlsxProblem::Unreadable(e.to_string()))?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(XlsxProblem::NoSheet)?;
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| XlsxProblem::Unreadable(e.to_string()))?;
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| XlsxProblem::Unreadable(e.to_string()))?
    {
        let (row, column) = cell.get_position();
        let text = calamine::Data::from(cell.get_value().clone()).to_string();
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if row >= MAX_ROWS || column >= MAX_COLUMNS || cells.len() >= MAX_CELLS {
            return Err(XlsxProblem::SheetTooLarge);
        }
        cells.push((row, column, text.to_string()));
    }
    let Some(first_row) = cells.iter().map(|c| c.0).min() else {
        return Ok(Vec::new());
    };
    let first_column = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let last_row = cells.iter().map(|c| c.0).max().unwrap_or(first_row);
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); (last_row - first_row + 1) as usize];
    for (row, column, text) in cells {
        let cells = &mut rows[(row - first_row) as usize];
        let at = (column - first_column) as usize;
        if cells.len() <= at {
            cells.resize(at + 1, String::new());
        }
        cells[at] = text;
    }
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, cells)| (first_row as usize + i + 1, cells))
        .collect())
}

/// Unpacks every file of the archive into nothing, counting, and refuses
/// an archive that unpacks past [`MAX_UNPACKED`] or holds too many files,
/// whatever sizes it declares.
fn check_archive(bytes: &[u8]) -> Result<(), XlsxProblem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| XlsxProblem::Unreadable(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(XlsxProblem::TooLarge);
    }
    let mut left = MAX_UNPACKED;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| XlsxProblem::Unreadable(e.to_string()))?;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| XlsxProblem::Unreadable(e.to_string()))?;
        if read > left {
            return Err(XlsxProblem::TooLarge);
        }
        left -= read;
    }
    Ok(())
}
