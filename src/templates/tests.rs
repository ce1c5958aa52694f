use super::*;
use crate::sop::StepNo;
use crate::workflow::{Field, MissingInput};

fn templates() -> Templates {
    Templates::embedded(
        LspInfo {
            name: "LSP P1 Politeknik STMI Jakarta".into(),
            ..LspInfo::default()
        },
        chrono_tz::Asia::Jakarta,
    )
}

#[test]
fn times_are_shown_in_wib_in_both_languages() {
    assert_eq!(
        format_instant("2026-11-24T02:00:00Z", chrono_tz::Asia::Jakarta, Lang::Id).unwrap(),
        "Selasa, 24 November 2026 pukul 09.00 WIB"
    );
    assert_eq!(
        format_instant("2026-11-24T02:00:00Z", chrono_tz::Asia::Jakarta, Lang::En).unwrap(),
        "Tuesday, 24 November 2026, 09:00 WIB"
    );
    assert_eq!(
        format_date("2026-08-17", Lang::Id).unwrap(),
        "17 Agustus 2026"
    );
}

#[test]
fn refusals_read_naturally() {
    let t = templates();
    let waiting = Refusal::StepWaiting {
        step: StepNo(4),
        waiting_for: vec![MissingInput {
            step: StepNo(3),
            output: "Berita acara penetapan hasil asesmen".into(),
        }],
    };
    assert_eq!(
        t.refusal(Lang::Id, &waiting),
        "Langkah 4 belum dapat dikerjakan: masih menunggu “Berita acara penetapan hasil asesmen” dari langkah 3."
    );
    assert_eq!(
        t.refusal(Lang::En, &waiting),
        "Step 4 cannot be done yet: it needs “Berita acara penetapan hasil asesmen” from step 3."
    );
    let role = Refusal::RoleRequired {
        step: Some(StepNo(8)),
        roles: vec!["Ketua LSP".into()],
    };
    assert_eq!(
        t.refusal(Lang::Id, &role),
        "Langkah 8 hanya dapat dikerjakan oleh Ketua LSP."
    );
    assert_eq!(t.refusal(Lang::En, &role), "Only Ketua LSP can do step 8.");
    assert_eq!(
        t.refusal(
            Lang::Id,
            &Refusal::EmptyField {
                field: Field::DecreeNumber
            }
        ),
        "Nomor SK tidak boleh kosong."
    );
}

/// One refusal of every kind.
fn every_refusal() -> Vec<Refusal> {
    use crate::sop::RecordKind;
    let step = StepNo(5);
    vec![
        Refusal::BatchNotStarted,
        Refusal::BatchAlreadyStarted,
        Refusal::BatchFinished,
        Refusal::NoParticipants,
        Refusal::UnknownStep { step: StepNo(9) },
        Refusal::RoleRequired {
            step: None,
            roles: vec!["Ketua LSP".into(), "Kabag Sertifikasi".into()],
        },
        Refusal::StaffOnly,
        Refusal::StepWaiting {
            step: StepNo(11),
            waiting_for: vec![
                MissingInput {
                    step,
                    output: "Surat Keterangan Belum Kompeten (BK)".into(),
                },
                MissingInput {
                    step: StepNo(10),
                    output: "Sertifikat Kompetensi yang sudah dicopy dan diarsipkan".into(),
                },
            ],
        },
        Refusal::StepAlreadyDone { step },
        Refusal::StepNotApplicable { step },
        Refusal::RecordMissing {
            step: StepNo(4),
            record: RecordKind::Decree,
        },
        Refusal::ResultsMissing {
            step: StepNo(3),
            missing: 2,
        },
        Refusal::BlankNumbersMissing {
            step: StepNo(6),
            missing: 1,
        },
        Refusal::FinishesByReceipts { step: StepNo(11) },
        Refusal::NothingRecords {
            record: RecordKind::BlankNumbers,
        },
        Refusal::UnknownParticipant { participant: 77 },
        Refusal::NotKompeten {
            participant: "Bagus Setiawan".into(),
        },
        Refusal::NotBelumKompeten {
            participant: "Bagus Setiawan".into(),
        },
        Refusal::BlankNumberTaken {
            number: "B-1".into(),
            holder: "Ayu".into(),
        },
        Refusal::EmptyField {
            field: Field::Reason,
        },
        Refusal::TooLong {
            field: Field::Place,
            max: 300,
        },
        Refusal::MeetingInPast,
        Refusal::InvitationNotSent,
        Refusal::MeetingOver,
        Refusal::MeetingCancelled,
        Refusal::NotInvited,
        Refusal::ParticipantNotReady {
            participant: "Ayu".into(),
        },
        Refusal::AlreadyReceived {
            participant: "Ayu".into(),
        },
        Refusal::BatchCancelled,
        Refusal::NoResultYet {
            participant: "Ayu".into(),
        },
        Refusal::NoDecreeYet,
        Refusal::DecreeDateOutOfRange {
            earliest: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            latest: chrono::NaiveDate::from_ymd_opt(2027, 12, 7).unwrap(),
        },
        Refusal::MeetingTooFar {
            latest: chrono::NaiveDate::from_ymd_opt(2027, 12, 7).unwrap(),
        },
        Refusal::MeetingNotStarted {
            step: StepNo(3),
            starts_at: "2026-12-08T02:00:00Z".parse().unwrap(),
        },
        Refusal::AttendanceNotOpen {
            step: StepNo(3),
            starts_at: Some("2026-12-08T02:00:00Z".parse().unwrap()),
        },
    ]
}

#[test]
fn a_date_out_of_range_is_said_with_both_bounds_in_words() {
    let t = templates();
    let refusal = Refusal::DecreeDateOutOfRange {
        earliest: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
        latest: chrono::NaiveDate::from_ymd_opt(2027, 12, 7).unwrap(),
    };
    assert_eq!(
        t.refusal(Lang::Id, &refusal),
        "Tanggal SK harus antara tanggal asesmen (20 November 2026) dan 7 Desember 2027 (setahun dari hari ini)."
    );
}

#[test]
fn every_refusal_has_a_sentence_in_both_languages() {
    let t = templates();
    let all = every_refusal();
    assert_eq!(all.len(), Refusal::KEYS.len());
    for refusal in all {
        let tag = serde_json::to_value(&refusal).unwrap()["refusal"].clone();
        assert_eq!(tag, refusal.key(), "the key is the serialized name");
        assert!(Refusal::KEYS.contains(&refusal.key()));
        for lang in [Lang::Id, Lang::En] {
            let sentence = t.refusal(lang, &refusal);
            assert!(
                sentence.ends_with('.'),
                "{lang:?} {}: {sentence}",
                refusal.key()
            );
            assert!(
                !sentence.contains('{') && !sentence.contains('_'),
                "{sentence}"
            );
        }
    }
    let waiting = &every_refusal()[7];
    assert_eq!(
        t.refusal(Lang::Id, waiting),
        "Langkah 11 belum dapat dikerjakan: masih menunggu “Surat Keterangan Belum Kompeten (BK)” dari langkah 5 dan “Sertifikat Kompetensi yang sudah dicopy dan diarsipkan” dari langkah 10."
    );
}

#[test]
fn html_templates_escape_what_users_typed() {
    let t = templates();
    let text = t
        .render(
            Lang::Id,
            "problem_report.html",
            &serde_json::json!({
                "batch": {"id": 1, "scheme": "Operator <Mesin>"},
                "step": {"no": 2, "activity": "Menyiapkan dokumen"},
                "reporter": "Bu <b>Ani</b>",
                "text": "Printer rusak & toner habis <script>",
                "at": "2026-11-24T02:00:00Z",
            }),
        )
        .unwrap();
    assert!(
        text.contains("Printer rusak &amp; toner habis &lt;script&gt;"),
        "{text}"
    );
    assert!(
        text.contains("Bu &lt;b&gt;Ani&lt;&#x2f;b&gt;")
            || text.contains("Bu &lt;b&gt;Ani&lt;/b&gt;"),
        "{text}"
    );
    assert!(!text.contains("<script>"));
}

#[test]
fn an_operators_folder_overrides_one_file_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("id")).unwrap();
    std::fs::write(
        dir.path().join("id/result_k.subject"),
        "Selamat, {{ participant.name }}!",
    )
    .unwrap();
    let t = Templates::load(
        LspInfo::default(),
        chrono_tz::Asia::Jakarta,
        Some(dir.path()),
    )
    .unwrap();
    let ctx = serde_json::json!({"participant": {"name": "Ayu"}, "batch": {"scheme": "X"}});
    assert_eq!(
        t.render(Lang::Id, "result_k.subject", &ctx).unwrap(),
        "Selamat, Ayu!"
    );
    assert_eq!(
        t.render(Lang::En, "result_k.subject", &ctx).unwrap(),
        "Your competency assessment result (X): competent"
    );
    std::fs::write(dir.path().join("id/result_bk.txt"), "{% if %}").unwrap();
    let err = Templates::load(
        LspInfo::default(),
        chrono_tz::Asia::Jakarta,
        Some(dir.path()),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("template id/result_bk.txt:"),
        "{err}"
    );
}

#[test]
fn a_missing_phrase_shows_the_apology_never_its_key() {
    let t = templates();
    let text = t.phrase(Lang::Id, "no_such_phrase_here", serde_json::json!({}));
    assert_eq!(
        text,
        "Maaf, terjadi gangguan saat mencatat. Silakan coba lagi sebentar lagi."
    );
    assert!(!text.contains("no such phrase here"));
}

#[test]
fn a_name_ending_in_a_stop_ends_the_sentence_once() {
    let t = templates();
    let welcome = t.phrase(
        Lang::Id,
        "registered",
        serde_json::json!({"name": "Dr. Ir. Hendra Wijaya, M.T.", "roles": "Ketua LSP"}),
    );
    assert!(
        welcome.starts_with("Selamat datang, Dr. Ir. Hendra Wijaya, M.T. Akun Telegram"),
        "{welcome}"
    );
    assert_eq!(single_stops("Tunggu... ya.. ok.."), "Tunggu... ya. ok.");
    // A path keeps its dots, at the end of a sentence too.
    for path in [
        "3 dokumen ditulis ke ../dokumen.",
        "3 dokumen ditulis ke ...",
    ] {
        assert_eq!(single_stops(path), path);
    }
}

/// The words of every Indonesian text a reader meets (phrases, refusals,
/// messages, emails, the command line's help, the words of stored codes),
/// their template code taken out, hold no common English word.
#[test]
fn indonesian_texts_hold_no_english_words() {
    const ENGLISH: [&str; 24] = [
        "the", "and", "of", "is", "not", "with", "please", "your", "you", "was", "has", "for",
        "to", "recorded", "error", "step", "this", "that", "cannot", "must", "file", "missing",
        "already", "default",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("message-templates");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("id"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(root.join("documents").join("kata.toml"));
    let code = |text: &str| {
        // Template tags and expressions, then TOML keys and comments.
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find(['{']) {
            out.push_str(&rest[..start]);
            let close = match rest[start..].chars().nth(1) {
                Some('%') => "%}",
                Some('{') => "}}",
                Some('#') => "#}",
                _ => {
                    out.push('{');
                    rest = &rest[start + 1..];
                    continue;
                }
            };
            rest = rest[start..]
                .find(close)
                .map_or("", |end| &rest[start + end + 2..]);
        }
        out.push_str(rest);
        out
    };
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let toml = file.extension().is_some_and(|e| e == "toml");
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if toml && (line.starts_with('#') || line.starts_with('[')) {
                continue;
            }
            // A TOML line's words are its value, not its key.
            let value = if toml {
                line.split_once('=').map_or("", |(_, v)| v)
            } else {
                line
            };
            // An email header's name is not a word of the sentence.
            let words = code(value).replace("Reply-To", "");
            let words = words
                .split(|c: char| !c.is_alphabetic())
                .filter(|w| !w.is_empty());
            for word in words {
                if ENGLISH.contains(&word.to_lowercase().as_str()) {
                    found.push(format!(
                        "{}:{}: '{word}' in {line}",
                        file.file_name().unwrap().to_string_lossy(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
