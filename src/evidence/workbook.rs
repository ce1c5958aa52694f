//! The evidence workbook: one sheet per kind of record a BNSP surveillance
//! asks to see for a batch, each cell text (a NIK keeps its 16 digits),
//! times in WIB.

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::Records;

/// A time as the sheets show it: `2026-11-24 09:00` WIB.
pub(super) fn wib(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| {
        t.with_timezone(&chrono_tz::Asia::Jakarta)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

/// One sheet: its name, its header, and its rows of text.
struct Sheet<'a> {
    name: &'a str,
    header: &'a [&'a str],
    rows: Vec<Vec<String>>,
}

fn write(sheet: &mut Worksheet, content: &Sheet<'_>) {
    let bold = Format::new().set_bold();
    let _ = sheet.set_name(content.name);
    for (col, name) in content.header.iter().enumerate() {
        let _ = sheet.write_string_with_format(0, col as u16, *name, &bold);
    }
    for (i, row) in content.rows.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (col, text) in row.iter().enumerate().take(usize::from(u16::MAX)) {
            let _ = sheet.write_string(r, col as u16, text);
        }
    }
    let _ = sheet.set_freeze_panes(1, 0);
    let _ = sheet.autofit();
}

/// The workbook's bytes.
pub(super) fn workbook(records: &Records) -> Vec<u8> {
    let mut book = Workbook::new();
    for content in sheets(records) {
        write(book.add_worksheet(), &content);
    }
    book.save_to_buffer().unwrap_or_default()
}

fn sheets(r: &Records) -> Vec<Sheet<'static>> {
    vec![
        Sheet {
            name: "Peserta",
            header: &[
                "No",
                "ID",
                "Nama",
                "Email",
                "No. Registrasi",
                "NIK",
                "Tempat Lahir",
                "Tanggal Lahir",
                "Telepon",
                "Hasil",
                "Nomor Blangko",
                "Siap Diambil",
                "Diterima",
                "Cara Terima",
            ],
            rows: r.participants.clone(),
        },
        Sheet {
            name: "Langkah",
            header: &[
                "No",
                "Kegiatan",
                "Waktu Standar",
                "Status",
                "Mulai",
                "Batas",
                "Selesai",
                "Terlambat (menit kerja)",
                "Diselesaikan Oleh",
            ],
            rows: r.steps.clone(),
        },
        Sheet {
            name: "Konfirmasi",
            header: &["Langkah", "Anggota", "Waktu"],
            rows: r.acknowledgements.clone(),
        },
        Sheet {
            name: "RSVP",
            header: &["Anggota", "Jawaban", "Alasan", "Waktu"],
            rows: r.rsvps.clone(),
        },
        Sheet {
            name: "Masalah",
            header: &["Langkah", "Anggota", "Isi", "Waktu"],
            rows: r.problems.clone(),
        },
        Sheet {
            name: "Jeda",
            header: &["Langkah", "Dijeda", "Alasan", "Dilanjutkan"],
            rows: r.pauses.clone(),
        },
        Sheet {
            name: "Pesan",
            header: &[
                "Kunci",
                "Saluran",
                "Untuk",
                "Pesan",
                "Status",
                "Percobaan",
                "Dibuat",
                "Terkirim",
                "Galat Terakhir",
            ],
            rows: r.messages.clone(),
        },
        Sheet {
            name: "Audit",
            header: &[
                "Baris",
                "Waktu",
                "Saluran",
                "Pelaku",
                "Anggota",
                "Aksi",
                "Keterangan",
                "Rincian",
                "Rincian (JSON tersimpan)",
                "Segel",
            ],
            rows: r.audit.clone(),
        },
    ]
}
