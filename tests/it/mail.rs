//! Email over real SMTP to a real SMTP server on 127.0.0.1 (mailin), each
//! received message parsed back (mail-parser): a batch's participants get
//! each of their emails once, invitees a calendar invite, a server that is
//! down loses nothing, and a refused address is reported.

use crate::{common, support};
use chrono::{Duration, NaiveDate};
use common::{TestApp, add_staff, participants_csv};
use mail_parser::{MessageParser, MimeHeaders};
use sertibot::app::{App, Via};
use sertibot::domain::BatchId;
use sertibot::mail::compose::Composer;
use sertibot::mail::delivery::EmailDelivery;
use sertibot::mail::transport::Mailer;
use sertibot::outbox::Progress;
use sertibot::sop::StepNo;
use sertibot::store::Store;
use sertibot::workflow::{Actor, Command, Decree, Meeting, ReceiptVia};
use support::smtp::{free_port, serve};

async fn app_with_smtp(port: u16) -> TestApp {
    TestApp::with_config(&format!(
        "[mail]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"LSP P1 Politeknik STMI Jakarta <lsp@stmi.example.ac.id>\"\n\
         [lsp]\nname = \"LSP P1 Politeknik STMI Jakarta\"\nemail = \"lsp@stmi.example.ac.id\"\naddress = \"Jl. Letjen Suprapto No. 26\"\n"
    ))
    .await
}

/// Delivers until nothing is due; returns what each step did.
async fn drain(worker: &mut EmailDelivery) -> Vec<Progress> {
    let mut steps = Vec::new();
    loop {
        match worker.process_next().await.unwrap() {
            Progress::Idle(_) => return steps,
            other => steps.push(other),
        }
    }
}

/// Runs a whole batch through the workflow: K and BK alternate, K first.
async fn run_batch(t: &TestApp, emails: &str) -> BatchId {
    let app: &App = &t.app;
    let staff = add_staff(app).await;
    let batch = app
        .create_batch(
            "Operator Mesin Produksi",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    app.import_participants(batch, emails.as_bytes(), &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let act = |actor: &Actor, commands: Vec<Command>| {
        let actor = actor.clone();
        async move {
            app.act(batch, &actor, &commands, Via::Telegram)
                .await
                .unwrap()
        }
    };
    let meeting = Meeting {
        starts_at: common::monday_morning() + Duration::days(2),
        place: "Ruang Rapat LSP".into(),
    };
    act(
        &staff.administrasi,
        vec![
            Command::SetMeeting { meeting },
            Command::MarkDone { step: StepNo(1) },
        ],
    )
    .await;
    act(
        &staff.sertifikasi,
        vec![Command::MarkDone { step: StepNo(2) }],
    )
    .await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let ids: Vec<_> = state.participants.keys().copied().collect();
    let mut results: Vec<Command> = ids
        .iter()
        .enumerate()
        .map(|(i, p)| Command::RecordResult {
            participant: *p,
            result: if i % 2 == 0 {
                sertibot::domain::Competence::Kompeten
            } else {
                sertibot::domain::Competence::BelumKompeten
            },
        })
        .collect();
    results.push(Command::MarkDone { step: StepNo(3) });
    // The plenary is closed once its meeting has begun.
    t.clock
        .set(common::monday_morning() + Duration::days(2) + Duration::hours(2));
    results.push(Command::RecordDecree {
        decree: Decree {
            number: "SK/042/2026".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
    });
    results.push(Command::MarkDone { step: StepNo(4) });
    act(&staff.ketua, results).await;
    if ids.len() > 1 {
        act(
            &staff.administrasi,
            vec![Command::MarkDone { step: StepNo(5) }],
        )
        .await;
    }
    let mut blanks: Vec<Command> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, p)| Command::RecordBlankNumber {
            participant: *p,
            number: format!("B-{i}"),
        })
        .collect();
    blanks.push(Command::MarkDone { step: StepNo(6) });
    blanks.push(Command::MarkDone { step: StepNo(7) });
    act(&staff.sertifikasi, blanks).await;
    act(&staff.ketua, vec![Command::MarkDone { step: StepNo(8) }]).await;
    act(
        &staff.administrasi,
        vec![Command::MarkDone { step: StepNo(10) }],
    )
    .await;
    let receipts = ids
        .iter()
        .map(|p| Command::RecordReceipt {
            participant: *p,
            via: ReceiptVia::InPerson,
        })
        .collect();
    act(&staff.sertifikasi, receipts).await;
    batch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_participant_gets_each_email_once_as_real_mail() {
    let port = free_port();
    let inbox = serve(port);
    let t = app_with_smtp(port).await;
    run_batch(&t, &participants_csv(5)).await;
    let mut worker = common::email_worker(&t);
    let steps = drain(&mut worker).await;
    assert!(
        steps.iter().all(|s| matches!(s, Progress::Sent(_))),
        "{steps:?}"
    );
    // Nothing is sent twice, however often the worker looks again.
    assert!(drain(&mut worker).await.is_empty());

    let raw = inbox.lock().unwrap().clone();
    let parsed: Vec<_> = raw
        .iter()
        .map(|m| MessageParser::default().parse(m).unwrap())
        .collect();
    let mut ids: Vec<&str> = parsed.iter().map(|m| m.message_id().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), parsed.len(), "one Message-ID per message");
    // 5 results + 5 handover notices + 5 receipts + 2 invitations (Ketua, Made).
    assert_eq!(parsed.len(), 17);

    let to = |m: &mail_parser::Message| {
        m.to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string()
    };
    let ayu: Vec<_> = parsed
        .iter()
        .filter(|m| to(m) == "asesi0@example.com")
        .collect();
    assert_eq!(ayu.len(), 3);
    let result = ayu
        .iter()
        .find(|m| m.subject().unwrap().contains("Kompeten"))
        .unwrap();
    assert_eq!(
        result.to().unwrap().first().unwrap().name(),
        Some("Ni Komang Ayu Widyastuti")
    );
    assert_eq!(
        result.subject(),
        Some("Hasil uji kompetensi Operator Mesin Produksi: Kompeten")
    );
    assert_eq!(
        result.reply_to().unwrap().first().unwrap().address(),
        Some("lsp@stmi.example.ac.id")
    );
    let text = result.body_text(0).unwrap();
    assert!(
        text.starts_with("Yth. Ni Komang Ayu Widyastuti,") && text.contains("KOMPETEN (K)"),
        "{text}"
    );
    // 1 minggu + 1 hari + 2 jam + 10 menit of the K branch: about 7 working days.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "diperkirakan sekitar 7 hari kerja, bergantung pada penerbitan blangko oleh BNSP"
        ) && words.contains("segera setelah sertifikat siap diambil"),
        "{text}"
    );
    // The HTML part is real HTML: the result emphasised, paragraphs that
    // flow, no pre-formatted block.
    let html = result.body_html(0).unwrap();
    assert!(
        html.contains("<strong>KOMPETEN (K)</strong>")
            && html.contains("<html")
            && !html.contains("pre-wrap"),
        "{html}"
    );
    // The handover notice's facts are a table whose columns line up.
    let handover = ayu
        .iter()
        .find(|m| m.subject().unwrap().contains("siap diambil"))
        .unwrap();
    let html = handover.body_html(0).unwrap();
    assert!(
        html.contains("<table") && html.contains(">Bawa</td>") && html.contains(">KTP asli.</td>"),
        "{html}"
    );
    let text = handover.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(
            "Bawa: KTP asli.\nNomor registrasi Anda: REG-00000\nNomor blangko sertifikat Anda: B-0"
        ),
        "{text}"
    );
    let maruf = parsed
        .iter()
        .find(|m| to(m) == "asesi1@example.com")
        .unwrap();
    assert_eq!(
        maruf.to().unwrap().first().unwrap().name(),
        Some("Ma'ruf Amin")
    );
    let bk = parsed
        .iter()
        .find(|m| {
            to(m) == "asesi3@example.com"
                && m.subject().unwrap() == "Hasil uji kompetensi Operator Mesin Produksi"
        })
        .unwrap();
    assert!(bk.body_text(0).unwrap().contains("BELUM KOMPETEN (BK)"));

    // The invitation carries a calendar entry without reply buttons (no
    // REQUEST, no attendee): invitees answer in Telegram, as the email says.
    let invitation = parsed.iter().find(|m| to(m) == "made@example.com").unwrap();
    assert!(
        invitation
            .subject()
            .unwrap()
            .starts_with("Undangan rapat komite teknis")
    );
    let ics = invitation
        .attachments()
        .find(|a| {
            a.content_type()
                .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar"))
        })
        .unwrap();
    assert_eq!(
        ics.content_type().unwrap().attribute("method"),
        Some("PUBLISH")
    );
    // Long lines are folded (RFC 5545); read them unfolded.
    let calendar = ics.text_contents().unwrap().replace("\r\n ", "");
    assert!(
        calendar.contains("METHOD:PUBLISH") && !calendar.contains("ATTENDEE"),
        "{calendar}"
    );
    let uid = format!(
        "UID:sertibot-{}-batch-1-meeting@stmi.example.ac.id",
        t.app.store.installation()
    );
    assert!(calendar.contains(&uid), "{calendar}");
    let words = invitation
        .body_text(0)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.starts_with("Yth. Bapak/Ibu Ir. Made Sudarsana, Dengan hormat, bersama ini kami mengundang Bapak/Ibu untuk menghadiri")
            && words.contains("melalui tombol Hadir atau Tidak dapat hadir pada pesan Telegram"),
        "the email says where to answer: {words}"
    );
    assert!(calendar.contains("DTSTART:20261126T020000Z"), "{calendar}");
    assert!(calendar.contains("LOCATION:Ruang Rapat LSP"), "{calendar}");
    // The invitation letter itself rides along as a PDF.
    let letter = invitation
        .attachments()
        .find(|a| a.attachment_name() == Some("batch-1-undangan.pdf"))
        .expect("the invitation letter is attached");
    assert_eq!(
        letter.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("application", Some("pdf")))
    );
    let text = pdf_extract::extract_text_from_mem(letter.contents()).unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Undangan Rapat Komite Teknis")
            && words.contains("Ruang Rapat LSP")
            && words.contains("Ir. Made Sudarsana")
            && words.contains("Jl. Letjen Suprapto No. 26"),
        "{words}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_loses_nothing() {
    let port = free_port();
    let t = app_with_smtp(port).await;
    run_batch(&t, &participants_csv(2)).await;
    let mut worker = common::email_worker(&t);
    // Nobody listens: every email is put back for later, none is lost.
    let steps = drain(&mut worker).await;
    assert_eq!(steps.len(), 2 * 3 + 2);
    assert!(
        steps.iter().all(|s| matches!(s, Progress::Deferred(_))),
        "{steps:?}"
    );
    assert!(
        matches!(
            worker.process_next().await.unwrap(),
            Progress::Idle(Some(_))
        ),
        "it waits for the backoff"
    );
    // An hour later the server is back: everything goes out, once.
    let inbox = serve(port);
    t.clock.advance(Duration::hours(1));
    let steps = drain(&mut worker).await;
    assert!(
        steps.iter().all(|s| matches!(s, Progress::Sent(_))),
        "{steps:?}"
    );
    let count = inbox.lock().unwrap().len();
    assert_eq!(count, 2 * 3 + 2);
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status <> 'sent'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_is_reported_to_staff() {
    let port = free_port();
    let inbox = serve(port);
    let t = app_with_smtp(port).await;
    let csv = "name,email,registration_no\nBagus Setiawan,bagus@example.com,R-1\nDedi Ditolak,ditolak@example.com,R-2\n";
    let batch = run_batch(&t, csv).await;
    let mut worker = common::email_worker(&t);
    let steps = drain(&mut worker).await;
    let failed = steps
        .iter()
        .filter(|s| matches!(s, Progress::Failed(_)))
        .count();
    assert_eq!(failed, 3, "each of Dedi's three emails: {steps:?}");
    assert_eq!(inbox.lock().unwrap().len(), 3 + 2);
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let reports: Vec<_> = sqlx::query_as::<_, (String, String)>(
        "SELECT key, context FROM outbox WHERE template = 'delivery_failed' ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    // Ketua LSP and Kabag Sertifikasi hear of each failure, with the address and the server's reason.
    assert_eq!(reports.len(), 6);
    let context: serde_json::Value = serde_json::from_str(&reports[0].1).unwrap();
    assert_eq!(context["address"], "ditolak@example.com");
    assert!(
        context["reason"].as_str().unwrap().contains("550"),
        "{context}"
    );
    let shown = t
        .app
        .templates
        .render(sertibot::domain::Lang::Id, "delivery_failed.html", &context)
        .unwrap();
    assert!(shown.contains("Email ke ditolak@example.com"), "{shown}");
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    assert_eq!(rows.iter().filter(|r| r.status == "failed").count(), 3);
}

#[tokio::test]
async fn without_a_server_mail_is_written_as_files_and_plain_smtp_elsewhere_is_refused() {
    let t = TestApp::new().await;
    run_batch(&t, &participants_csv(1)).await;
    let mut worker = common::email_worker(&t);
    let steps = drain(&mut worker).await;
    assert_eq!(steps.len(), 3 + 2);
    let dir = t.dir.path().join("outbox-mail");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 5);
    let any = std::fs::read(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        MessageParser::default()
            .parse(&any)
            .unwrap()
            .message_id()
            .is_some()
    );

    for (url, allowed) in [
        ("smtp://mail.example.ac.id:25", false),
        ("smtp://mail.example.ac.id:587?tls=required", true),
        ("smtps://user:pw@mail.example.ac.id:465", true),
        ("smtp://localhost:2525", true),
    ] {
        let t = TestApp::with_config(&format!(
            "[mail]\nsmtp_url = \"{url}\"\nfrom = \"LSP <lsp@example.ac.id>\"\n"
        ))
        .await;
        let outcome = Mailer::from_config(&t.app.config.mail);
        assert_eq!(outcome.is_ok(), allowed, "{url}");
        if let Err(e) = outcome {
            assert!(
                e.to_string()
                    .starts_with("plain SMTP without TLS to mail.example.ac.id is refused"),
                "{e}"
            );
        }
    }
}

#[test]
fn mail_test_sends_one_message_and_prints_what_the_server_said() {
    let port = free_port();
    let inbox = serve(port);
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
        .args(["mail", "test", "ayu@example.ac.id"])
        .current_dir(dir.path())
        .env("SERTIBOT_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("SERTIBOT_MAIL_FROM", "LSP STMI <lsp@stmi.example.ac.id>")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    // No config here: the command line speaks Indonesian, the default.
    assert!(
        stdout.contains("Pesan uji terkirim ke ayu@example.ac.id lewat server SMTP 127.0.0.1.")
            && stdout.contains("Jawaban server: 250"),
        "{stdout}"
    );
    let raw = inbox.lock().unwrap().clone();
    assert_eq!(raw.len(), 1);
    let message = MessageParser::default().parse(&raw[0]).unwrap();
    assert_eq!(message.subject(), Some("Uji email sertibot"));

    // A server that refuses: one sentence, non-zero exit, no password.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
        .args(["mail", "test", "ditolak@example.ac.id"])
        .current_dir(dir.path())
        .env("SERTIBOT_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("SERTIBOT_MAIL_FROM", "LSP STMI <lsp@stmi.example.ac.id>")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.starts_with("galat: server menolak pesan uji:"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_meeting_updates_the_calendar_and_a_cancelled_one_cancels_it() {
    let port = free_port();
    let inbox = serve(port);
    let t = app_with_smtp(port).await;
    let app = &t.app;
    let staff = add_staff(app).await;
    let batch = app
        .create_batch(
            "Juru Las",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    app.import_participants(
        batch,
        participants_csv(2).as_bytes(),
        &Actor::Operator,
        Via::Cli,
    )
    .await
    .unwrap();
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let first = Meeting {
        starts_at: common::monday_morning() + Duration::days(2),
        place: "Ruang Rapat LSP".into(),
    };
    let moved = Meeting {
        starts_at: common::monday_morning() + Duration::days(3),
        place: "Ruang Sidang".into(),
    };
    for commands in [
        vec![
            Command::SetMeeting { meeting: first },
            Command::MarkDone { step: StepNo(1) },
        ],
        vec![Command::RescheduleMeeting { meeting: moved }],
        vec![Command::CancelMeeting {
            reason: "Ketua LSP dinas luar".into(),
        }],
    ] {
        app.act(batch, &staff.administrasi, &commands, Via::Telegram)
            .await
            .unwrap();
    }
    let mut worker = common::email_worker(&t);
    drain(&mut worker).await;
    let raw = inbox.lock().unwrap().clone();
    let to_made: Vec<_> = raw
        .iter()
        .map(|m| MessageParser::default().parse(m).unwrap())
        .filter(|m| m.to().unwrap().first().unwrap().address() == Some("made@example.com"))
        .collect();
    assert_eq!(to_made.len(), 3);
    let calendars: Vec<(String, String)> = to_made
        .iter()
        .map(|m| {
            let ics = m
                .attachments()
                .find(|a| {
                    a.content_type()
                        .is_some_and(|c| c.subtype() == Some("calendar"))
                })
                .unwrap();
            (
                ics.content_type()
                    .unwrap()
                    .attribute("method")
                    .unwrap()
                    .to_string(),
                ics.text_contents().unwrap().replace("\r\n ", ""),
            )
        })
        .collect();
    let methods: Vec<&str> = calendars.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, vec!["PUBLISH", "PUBLISH", "CANCEL"]);
    for (i, (method, ics)) in calendars.iter().enumerate() {
        assert!(ics.contains(&format!("METHOD:{method}")), "{ics}");
        assert!(ics.contains(&format!("SEQUENCE:{i}")), "{ics}");
        assert!(
            ics.contains(&format!(
                "UID:sertibot-{}-batch-{batch}-meeting@stmi.example.ac.id",
                t.app.store.installation()
            )),
            "{ics}"
        );
    }
    assert!(
        calendars[1].1.contains("LOCATION:Ruang Sidang")
            && calendars[1].1.contains("DTSTART:20261127T020000Z")
    );
    assert!(calendars[2].1.contains("STATUS:CANCELLED"));
    assert!(
        to_made[1]
            .subject()
            .unwrap()
            .starts_with("Perubahan jadwal rapat komite teknis")
    );
    assert!(
        to_made[2]
            .body_text(0)
            .unwrap()
            .contains("Alasan: Ketua LSP dinas luar")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_never_reuses_message_ids_or_calendar_uids() {
    // A trial run, then the real installation: the same batch number, the
    // same participant, the same occasions.
    let mut identifiers = Vec::new();
    for _ in 0..2 {
        let t = app_with_smtp(free_port()).await;
        let batch = run_batch(&t, &participants_csv(1)).await;
        let composer = worker_composer(&t);
        let mut conn = t.app.store.pool().acquire().await.unwrap();
        let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
        let result = rows.iter().find(|r| r.template == "result_k").unwrap();
        let invitation = rows
            .iter()
            .find(|r| r.template == "meeting_invitation_email")
            .unwrap();
        let id = |row| {
            let mail = composer.compose(row).unwrap();
            let raw = String::from_utf8(mail.formatted()).unwrap();
            let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
            let uid = parsed
                .attachments()
                .find_map(|a| {
                    let text = a.text_contents()?.replace("\r\n ", "");
                    text.lines()
                        .find(|l| l.starts_with("UID:"))
                        .map(str::to_string)
                })
                .unwrap_or_default();
            (parsed.message_id().unwrap().to_string(), uid)
        };
        let (result_id, _) = id(result);
        let (invitation_id, uid) = id(invitation);
        assert_eq!(id(result).0, result_id, "stable across attempts");
        identifiers.push((result_id, invitation_id, uid));
    }
    let (a, b) = (&identifiers[0], &identifiers[1]);
    assert_ne!(a.0, b.0, "the result email's Message-ID");
    assert_ne!(a.1, b.1, "the invitation's Message-ID");
    assert!(a.2.starts_with("UID:sertibot-") && !a.2.is_empty());
    assert_ne!(a.2, b.2, "the calendar UID");
}

fn worker_composer(t: &TestApp) -> Composer {
    let app = &t.app;
    let (_, from) = Mailer::from_config(&app.config.mail).unwrap();
    Composer {
        templates: app.templates.clone(),
        lang: app.config.language,
        from,
        reply_to: app.config.lsp.email.parse().ok(),
        installation: app.store.installation().to_string(),
    }
}
