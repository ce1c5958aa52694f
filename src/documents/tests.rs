//! The documents read back as a reader would: the PDF's text, the XLSX's
//! cells, the ZIP's parts.

use std::io::Read;

use chrono::Utc;

use super::facts::BatchFacts;
use super::kit::{KitError, Numbers};
use super::*;
use crate::domain::{Competence, MemberId};

/// The sertibot program beside this test program (cargo builds both into
/// the same target folder): this test program cannot be a typesetter.
pub(crate) fn typesetter() -> sandbox::Typesetter {
    let here = std::env::current_exe().unwrap();
    let program = here.parent().unwrap().parent().unwrap().join("sertibot");
    sandbox::Typesetter::this_program(sandbox::Limits::default(), Some(program))
}

fn kit() -> DocumentKit {
    DocumentKit::embedded(
        Letterhead {
            name: "LSP P1 Contoh".into(),
            address: "Jl. Contoh No. 1, Jakarta".into(),
            phone: "021-555".into(),
            website: "lsp.example.ac.id".into(),
            email: "lsp@example.ac.id".into(),
            license_no: "BNSP-LSP-0001-ID".into(),
            city: "Jakarta".into(),
        },
        chrono_tz::Asia::Jakarta,
    )
    .with_typesetter(typesetter())
}

/// The "Peserta" sheet of an XLSX, read back with calamine, as text.
fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Peserta").unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// The sample batch, its numbers, and every document it has.
fn made() -> (BatchFacts, Numbers, Vec<Document>) {
    let facts = sample::facts();
    let numbers = sample::numbers(&facts);
    let made = kit().make_all(&facts, &facts.due(), &numbers).unwrap();
    (facts, numbers, made)
}

/// With `SERTIBOT_PAPERS_DIR` set, every document of `facts` is written
/// there (names prefixed by `prefix`), to be looked at as pictures
/// (`pdftoppm -png`); without it, nothing is made.
pub(crate) fn keep_for_looking(
    kit: &DocumentKit,
    facts: &BatchFacts,
    numbers: &Numbers,
    prefix: &str,
) {
    let Ok(dir) = std::env::var("SERTIBOT_PAPERS_DIR") else {
        return;
    };
    for doc in kit.make_all(facts, &facts.due(), numbers).unwrap() {
        let path = std::path::Path::new(&dir).join(format!("{prefix}{}", doc.file_name));
        std::fs::write(path, &doc.bytes).unwrap();
    }
}

fn text(doc: &Document) -> String {
    let text = pdf_extract::extract_text_from_mem(&doc.bytes).expect("a readable PDF");
    // Line breaks and justified spacing vary; compare words.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_finished_batch_has_every_kind_of_document() {
    let (_, _, made) = made();
    for kind in Kind::ALL {
        assert!(made.iter().any(|d| d.kind == kind), "no {}", kind.slug());
    }
    // One BK letter (the one BK participant), one receipt (the one received).
    assert_eq!(made.iter().filter(|d| d.kind == Kind::SuratBk).count(), 1);
    assert_eq!(
        made.iter().filter(|d| d.kind == Kind::TandaTerima).count(),
        1
    );
}

#[test]
fn the_berita_acara_lists_every_participant_with_result_number_and_date() {
    let (_, numbers, made) = made();
    let ba = made.iter().find(|d| d.kind == Kind::BeritaAcara).unwrap();
    let text = text(ba);
    assert!(
        text.contains("BERITA ACARA PENETAPAN HASIL ASESMEN"),
        "{text}"
    );
    assert!(
        text.contains(&numbers[&(Kind::BeritaAcara, None)]),
        "{text}"
    );
    // Minutes open with the day in words, name the chair and who came.
    assert!(
        text.contains("Pada hari ini, Selasa, tanggal dua puluh empat bulan November tahun dua ribu dua puluh enam, pukul 09.00 WIB"),
        "{text}"
    );
    assert!(
        text.contains("dipimpin oleh Dr. Andi Wijaya selaku Ketua LSP"),
        "{text}"
    );
    assert!(text.contains("Dr. Andi Wijaya (Ketua LSP)"), "{text}");
    for (name, reg, result) in [
        ("Siti Rahmawati", "REG-001", "K"),
        ("Budi Santoso", "REG-003", "BK"),
        ("Dewi Lestari", "REG-004", "K"),
    ] {
        assert!(
            text.contains(&format!("{name} {reg} {result}")),
            "{name}: {text}"
        );
    }
    // The attendee signs; the member who declined does not appear.
    assert!(text.contains("Dr. Andi Wijaya"));
    assert!(!text.contains("Rina Kusuma"), "{text}");
    assert!(text.contains("Jakarta, 24 November 2026"), "{text}");
}

/// Who attended comes from the marks made at the meeting: a member who
/// declined but came is listed and signs; one who said nothing and was not
/// marked is not; the chair is present unless marked otherwise.
#[test]
fn the_berita_acara_lists_who_was_marked_present_at_the_meeting() {
    let mut facts = sample::facts();
    facts.state.attendance.insert(MemberId(2), true);
    let numbers = sample::numbers(&facts);
    let made = kit().make_all(&facts, &facts.due(), &numbers).unwrap();
    let ba = made.iter().find(|d| d.kind == Kind::BeritaAcara).unwrap();
    let minutes = text(ba);
    assert!(minutes.contains("Rina Kusuma (Komite Teknis)"), "{minutes}");
    assert!(minutes.contains("Dr. Andi Wijaya (Ketua LSP)"), "{minutes}");
    assert!(!minutes.contains("Hadi Pratama"), "{minutes}");
    // The daftar hadir still lists every invitee with their answer.
    let hadir = made.iter().find(|d| d.kind == Kind::DaftarHadir).unwrap();
    let hadir = text(hadir);
    assert!(hadir.contains("Hadi Pratama"), "{hadir}");
    assert!(hadir.contains("Rina Kusuma"), "{hadir}");
}

#[test]
fn hostile_text_prints_as_written() {
    let (_, _, made) = made();
    let ba = made.iter().find(|d| d.kind == Kind::BeritaAcara).unwrap();
    assert!(
        text(ba).contains("Ma'ruf #1 $_*\\ REG-002 K"),
        "{}",
        text(ba)
    );
}

#[test]
fn the_bk_letter_names_its_participant_and_what_comes_next() {
    let (_, numbers, made) = made();
    let letter = made.iter().find(|d| d.kind == Kind::SuratBk).unwrap();
    let text = text(letter);
    assert!(text.contains("Budi Santoso"), "{text}");
    assert!(!text.contains("Siti Rahmawati"), "{text}");
    assert!(text.contains("BELUM KOMPETEN (BK)"));
    assert!(
        text.contains("asesmen ulang") && text.contains("banding"),
        "{text}"
    );
    assert!(text.contains("SK/001/LSP/XI/2026"));
    assert_eq!(
        letter.number.as_deref(),
        Some(numbers[&(Kind::SuratBk, letter.participant)].as_str())
    );
    assert!(text.contains(letter.number.as_deref().unwrap()));
}

#[test]
fn the_same_facts_make_the_same_bytes() {
    let facts = sample::facts();
    let first = kit()
        .make_all(&facts, &facts.due(), &sample::numbers(&facts))
        .unwrap();
    let second = kit()
        .make_all(&facts, &facts.due(), &sample::numbers(&facts))
        .unwrap();
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert!(a.bytes == b.bytes, "{} differs", a.file_name);
        assert_eq!(a.sha256(), b.sha256());
    }
}

#[test]
fn the_bnsp_package_holds_the_letter_the_minutes_and_the_list_in_bnsps_columns() {
    let (_, _, made) = made();
    let package = made.iter().find(|d| d.kind == Kind::PaketBnsp).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&package.bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        names.push(name.clone());
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if name.ends_with("permohonan-blangko.pdf") {
            assert!(bytes.len() <= bnsp::MAX_REQUEST_LETTER);
        }
        if name.ends_with("berita-acara.pdf") {
            assert!(bytes.len() <= bnsp::MAX_MINUTES);
        }
        if name.ends_with(".xlsx") {
            let rows = sheet_rows(bytes);
            assert_eq!(&rows[0][..3], ["NOMOR URUT", "NAMA ASESI", "NIK"]);
            assert_eq!(rows.len(), 5, "header and every participant, K and BK");
            assert_eq!(rows[3][1], "Budi Santoso");
            assert_eq!(
                rows[3][2], "3171010101900002",
                "the NIK keeps its 16 digits"
            );
            assert_eq!(rows[3][10], "BK");
            assert_eq!(rows[1][10], "K");
        }
    }
    assert_eq!(
        names,
        [
            "batch-1-permohonan-blangko.pdf",
            "batch-1-berita-acara.pdf",
            "batch-1-lampiran-sk.pdf",
            "batch-1-daftar-peserta.xlsx"
        ]
    );
}

#[test]
fn the_timeline_shows_every_step_and_renders_to_a_png() {
    let (facts, _, made) = made();
    let timeline = made.iter().find(|d| d.kind == Kind::Linimasa).unwrap();
    let text = text(timeline);
    assert!(
        text.contains("tepat waktu") && text.contains("Sri Wahyuni"),
        "{text}"
    );
    let due = facts
        .due()
        .into_iter()
        .find(|d| d.kind == Kind::Linimasa)
        .unwrap();
    let png = kit().timeline_png(&facts, &due).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn a_broken_template_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("documents")).unwrap();
    std::fs::write(
        dir.path().join("documents/berita-acara.typ"),
        "#import \"/kop.typ\": *\n#let d = data\n#d.no_such_field\n",
    )
    .unwrap();
    let load = || {
        DocumentKit::load(
            Letterhead::default(),
            None,
            numbers::NumberPatterns::default(),
            chrono_tz::Asia::Jakarta,
            Some(dir.path()),
        )
        .map(|kit| kit.with_typesetter(typesetter()))
    };
    // Loading reads it; trying it on a sample batch finds the bad field.
    let fault = load().unwrap().check().unwrap_err();
    assert_eq!(fault.file, "berita-acara.typ");
    assert_eq!(fault.line, 3);
    assert!(fault.message.contains("no_such_field"), "{}", fault.message);
    // A syntax error is refused when the templates are loaded.
    std::fs::write(
        dir.path().join("documents/surat-bk.typ"),
        "#let d = data

#table(columns: (auto,
",
    )
    .unwrap();
    let Err(KitError::Template(fault)) = load() else {
        panic!("loaded")
    };
    assert_eq!(fault.file, "surat-bk.typ");
    assert!(fault.line >= 3, "{fault}");
}

#[test]
fn the_report_and_personal_data_templates_are_tried_too() {
    let kit = DocumentKit::embedded(Letterhead::default(), chrono_tz::Asia::Jakarta)
        .with_typesetter(typesetter());
    kit.check().unwrap();
    let pdf = kit
        .personal_data_pdf(sample::personal_record(), Utc::now())
        .unwrap();
    if let Ok(dir) = std::env::var("SERTIBOT_PAPERS_DIR") {
        std::fs::write(std::path::Path::new(&dir).join("data-pribadi.pdf"), &pdf).unwrap();
    }
    let text = pdf_extract::extract_text_from_mem(&pdf).expect("a readable PDF");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Ma'ruf #1 $_*") && text.contains("3171011234567890"),
        "{text}"
    );
    // What each record was, in words: no codes for the participant to decode.
    for words in [
        "Belum kompeten (BK)",
        "Surat keterangan belum kompeten",
        "pemberitahuan hasil: belum kompeten",
        "terkirim",
        "hasil asesmen dicatat",
        "NIP. 19650101 199003 1 002",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    for code in ["result_bk", "result_recorded", "surat-bk", " sent "] {
        assert!(!text.contains(code), "{code}: {text}");
    }
    // The report in Indonesian, with one term for the standard time; an
    // empty period says there is no data.
    let empty = crate::report::Report::build(
        (
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        ),
        &[],
        &[],
        Vec::new(),
        |no| format!("Langkah {no}"),
        Utc::now(),
    );
    for (name, report) in [("laporan", sample::report()), ("laporan-kosong", empty)] {
        let data = crate::report::print_data(&report, chrono_tz::Asia::Jakarta);
        let pdf = kit.report_files(data.clone(), Utc::now(), true).unwrap();
        let png = kit.report_files(data, Utc::now(), false).unwrap();
        if let Ok(dir) = std::env::var("SERTIBOT_PAPERS_DIR") {
            let dir = std::path::Path::new(&dir);
            std::fs::write(dir.join(format!("{name}.pdf")), &pdf).unwrap();
            std::fs::write(dir.join(format!("{name}-grafik.png")), &png).unwrap();
        }
        let text = pdf_extract::extract_text_from_mem(&pdf).expect("a readable PDF");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            !text.contains("Lead time") && !text.contains("standar"),
            "{text}"
        );
        if report.overall.done == 0 {
            assert!(text.contains("Tidak ada data untuk periode ini."), "{text}");
            assert!(!text.contains("median"), "{text}");
        } else {
            assert!(
                text.contains("dalam waktu baku") && text.contains("Lama penyelesaian per batch"),
                "{text}"
            );
        }
    }
    for file in ["laporan.typ", "data-pribadi.typ"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("documents")).unwrap();
        std::fs::write(
            dir.path().join("documents").join(file),
            "#import \"/kop.typ\": *\n#let d = data\n#d.no_such_field\n",
        )
        .unwrap();
        let kit = DocumentKit::load(
            Letterhead::default(),
            None,
            numbers::NumberPatterns::default(),
            chrono_tz::Asia::Jakarta,
            Some(dir.path()),
        )
        .unwrap()
        .with_typesetter(typesetter());
        let fault = kit.check().unwrap_err();
        assert_eq!((fault.file.as_str(), fault.line), (file, 3));
    }
}

#[test]
fn the_list_follows_the_columns_of_the_operators_copy_of_bnsps_template() {
    let facts = sample::facts();
    let headers: Vec<String> = [
        "No.",
        "Nama Lengkap",
        "NIK",
        "Kode Pendidikan",
        "Rekomendasi",
    ]
    .iter()
    .map(|h| (*h).to_string())
    .collect();
    let bytes = bnsp::participant_list(&facts, Some(&headers));
    let rows = sheet_rows(bytes);
    assert_eq!(rows[0], headers);
    // BNSP's coded column is left for the LSP to fill.
    assert_eq!(rows[3], ["3", "Budi Santoso", "3171010101900002", "", "BK"]);
}

/// Printed from a spreadsheet, the list fits one A4 landscape page wide
/// and repeats its header row on every page.
#[test]
fn the_bnsp_list_prints_landscape_one_page_wide_with_its_header_repeated() {
    let bytes = bnsp::participant_list(&sample::facts(), None);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut part = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{sheet}");
    for attribute in [
        r#"paperSize="9""#,
        r#"orientation="landscape""#,
        r#"fitToHeight="0""#,
    ] {
        assert!(sheet.contains(attribute), "{attribute}: {sheet}");
    }
    let book = part("xl/workbook.xml");
    assert!(
        book.contains(r#"name="_xlnm.Print_Titles""#) && book.contains("Peserta!$1:$1"),
        "{book}"
    );
}

#[test]
fn a_logo_that_is_not_a_small_png_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        DocumentKit::load(
            Letterhead::default(),
            Some(&path),
            numbers::NumberPatterns::default(),
            chrono_tz::Asia::Jakarta,
            None,
        )
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let jpeg = load("logo.jpg", b"\xFF\xD8\xFF\xE0 not a png");
    assert!(
        jpeg.ends_with("logo.jpg: the logo must be a PNG picture"),
        "{jpeg}"
    );
    // A PNG header claiming 40,000 × 40,000 pixels: refused before any decoding.
    let mut huge = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    huge.extend_from_slice(&40_000u32.to_be_bytes());
    huge.extend_from_slice(&40_000u32.to_be_bytes());
    huge.extend_from_slice(&[8, 2, 0, 0, 0]);
    let big = load("huge.png", &huge);
    assert!(big.contains("larger than 2000×2000 pixels"), "{big}");
    let heavy = load("heavy.png", &vec![0u8; 2 * 1024 * 1024]);
    assert!(heavy.contains("larger than 1024 KiB"), "{heavy}");
}

#[test]
fn a_bnsp_template_that_is_not_a_workbook_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template-bnsp.xlsx");
    std::fs::write(&path, b"name,nik\n").unwrap();
    let err = kit()
        .with_bnsp_template(Some(&path))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("cannot read {}: ", path.display())),
        "{err}"
    );
    // None set: the list keeps BNSP's three columns first.
    assert!(
        kit()
            .with_bnsp_template(None)
            .unwrap()
            .bnsp_columns()
            .is_none()
    );
}

/// What an LSP signs as printed: the letterhead with its BNSP licence
/// number, the chair's NIP under the signature, the BK letter naming the
/// units not yet competent, and the BK participant's receipt citing the
/// letter's number. With `SERTIBOT_PAPERS_DIR` set, the PDFs are kept
/// there, to be looked at as pictures (`pdftoppm -png`).
#[test]
fn papers_carry_the_licence_the_nip_the_units_and_the_letter_number() {
    let mut facts = sample::facts();
    let bk = facts.with_result(Competence::BelumKompeten)[0];
    let received = facts
        .state
        .participants
        .values()
        .find_map(|p| p.handover.received_at)
        .unwrap();
    let p = facts.state.participants.get_mut(&bk).unwrap();
    p.handover.received_at = Some(received);
    p.handover.received_by = Some(crate::domain::MemberId(4));
    p.handover.via = Some(crate::workflow::ReceiptVia::InPerson);
    let numbers = sample::numbers(&facts);
    let made = kit().make_all(&facts, &facts.due(), &numbers).unwrap();
    keep_for_looking(&kit(), &facts, &numbers, "");
    let letter = text(made.iter().find(|d| d.kind == Kind::SuratBk).unwrap());
    assert!(
        letter.contains("Nomor Lisensi BNSP: BNSP-LSP-0001-ID"),
        "{letter}"
    );
    assert!(
        letter.contains("yaitu pada unit kompetensi berikut")
            && letter.contains("1 TIK.OP02.001.01 2 TIK.OP02.004.01"),
        "{letter}"
    );
    assert!(
        letter.contains("Dr. Andi Wijaya NIP. 19650101 199003 1 002"),
        "{letter}"
    );
    let receipt = made
        .iter()
        .find(|d| d.kind == Kind::TandaTerima && d.participant == Some(bk))
        .unwrap();
    let receipt = text(receipt);
    let letter_no = &numbers[&(Kind::SuratBk, Some(bk))];
    assert!(
        receipt.contains(&format!(
            "Surat keterangan belum kompeten nomor {letter_no}"
        )),
        "{receipt}"
    );
    // Members without a NIP sign without one.
    let minutes = text(made.iter().find(|d| d.kind == Kind::BeritaAcara).unwrap());
    assert_eq!(minutes.matches("NIP.").count(), 1, "{minutes}");
}

/// Made by two workers side by side, the documents still come back in
/// the order they are due, each once, the package last.
#[test]
fn documents_made_side_by_side_keep_their_order() {
    let facts = sample::facts_of(24);
    let numbers = sample::numbers(&facts);
    let due = facts.due();
    let made = kit().make_all(&facts, &due, &numbers).unwrap();
    let mut expected: Vec<_> = due
        .iter()
        .filter(|d| d.kind != Kind::PaketBnsp)
        .map(|d| (d.kind, d.participant))
        .collect();
    expected.extend(
        due.iter()
            .filter(|d| d.kind == Kind::PaketBnsp)
            .map(|d| (d.kind, d.participant)),
    );
    assert!(
        expected.len() > 8,
        "enough for two workers: {}",
        expected.len()
    );
    let got: Vec<_> = made.iter().map(|d| (d.kind, d.participant)).collect();
    assert_eq!(got, expected);
}
