//! The report as a workbook: a sheet per view, numbers as numbers, and a
//! column chart of the share within standard time (waktu baku) by step and
//! by month, its categories short ("Langkah 3") so a spreadsheet can
//! print them under the columns.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::{Report, Share};

/// Writes a share table (label, done, within, percent, lateness) from row 0
/// and a chart of its percentages beside it.
fn shares(sheet: &mut Worksheet, name: &str, rows: &[Share], title: &str) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name(name)?;
    let header = [
        "Langkah / bulan",
        "Selesai",
        "Dalam waktu baku",
        "% dalam waktu baku",
        "Median lewat waktu baku (menit kerja)",
        "P90 lewat waktu baku (menit kerja)",
        "Label grafik",
    ];
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, s) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, &s.label)?;
        sheet.write_number(r, 1, s.done as f64)?;
        sheet.write_number(r, 2, s.within as f64)?;
        sheet.write_number(r, 3, f64::from(s.percent))?;
        sheet.write_number(r, 4, s.late_median as f64)?;
        sheet.write_number(r, 5, s.late_p90 as f64)?;
        sheet.write_string(r, 6, chart_label(s))?;
    }
    sheet.autofit();
    if !rows.is_empty() {
        let last = rows.len() as u32;
        let mut chart = Chart::new(ChartType::Column);
        chart
            .add_series()
            .set_categories((name, 1, 6, last, 6))
            .set_values((name, 1, 3, last, 3))
            .set_name("% dalam waktu baku");
        chart.title().set_name(title);
        chart.y_axis().set_min(0).set_max(100);
        chart.legend().set_hidden();
        sheet.insert_chart(1, 8, &chart)?;
    }
    Ok(())
}

/// A chart category short enough to print under its column: "Langkah 3"
/// for a step; a month or "Semua langkah" as they are.
fn chart_label(share: &Share) -> String {
    match share.step {
        Some(no) => format!("Langkah {no}"),
        None => share.label.clone(),
    }
}

/// The workbook's bytes.
///
/// # Errors
/// When the workbook cannot be written (not expected with these contents).
pub fn workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut steps = report.by_step.clone();
    steps.push(report.overall.clone());
    shares(
        book.add_worksheet(),
        "Per langkah",
        &steps,
        "Dalam waktu baku per langkah",
    )?;
    shares(
        book.add_worksheet(),
        "Per bulan",
        &report.by_month,
        "Dalam waktu baku per bulan",
    )?;

    let sheet = book.add_worksheet();
    sheet.set_name("Konfirmasi")?;
    for (col, h) in [
        "Anggota",
        "Konfirmasi",
        "Median (menit kerja)",
        "P90 (menit kerja)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, a) in report.acks.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, &a.member)?;
        sheet.write_number(r, 1, a.count as f64)?;
        sheet.write_number(r, 2, a.median_minutes as f64)?;
        sheet.write_number(r, 3, a.p90_minutes as f64)?;
    }
    sheet.autofit();

    let sheet = book.add_worksheet();
    sheet.set_name("Lama penyelesaian")?;
    for (col, h) in [
        "Batch",
        "Skema",
        "Tanggal asesmen",
        "Tanda terima terakhir",
        "Lama (hari)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, l) in report.lead_times.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, l.batch as f64)?;
        sheet.write_string(r, 1, &l.scheme)?;
        sheet.write_string(r, 2, l.assessed_on.to_string())?;
        sheet.write_string(r, 3, l.last_receipt.to_string())?;
        sheet.write_number(r, 4, l.days as f64)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}
