//! What an attacker, a flood and a careless user tried, on real database
//! files in-process: group chats never get participant data, strangers
//! cannot make unbounded work, a deactivated member is a stranger, and the
//! outbox is never sent twice by two senders.

use crate::common;
use chrono::{Duration, NaiveDate};
use common::{StaffRoster, TestApp, add_staff, new_batch};
use sertibot::app::{App, Via};
use sertibot::domain::{BatchId, Competence, Lang, ParticipantId, TelegramUserId};
use sertibot::sop::StepNo;
use sertibot::store::Store;
use sertibot::workflow::{Actor, BatchStatus, Command, Decree, Meeting, ReceiptVia};

const GROUP: i64 = -100_555;

fn s(n: u32) -> StepNo {
    StepNo(n)
}

async fn act(app: &App, batch: BatchId, actor: &Actor, commands: &[Command]) {
    if let Err(e) = app.act(batch, actor, commands, Via::Telegram).await {
        panic!("{commands:?} was refused: {e:?}");
    }
}

/// `actor` marks step `step` done.
async fn done(app: &App, batch: BatchId, actor: &Actor, step: u32) {
    act(app, batch, actor, &[Command::MarkDone { step: s(step) }]).await;
}

/// Runs a batch of five (three K, two BK) through every step to the last receipt.
async fn whole_batch(t: &TestApp, staff: &StaffRoster, batch: BatchId) {
    whole_batch_noting(t, staff, batch, None).await;
}

/// Starts `batch`; Kabag Administrasi sets the meeting and finishes step 1.
async fn start_and_invite(app: &App, staff: &StaffRoster, batch: BatchId) {
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    invite(app, staff, batch).await;
}

/// Step 1 of a started batch: acknowledged, the meeting set in two days, done.
async fn invite(app: &App, staff: &StaffRoster, batch: BatchId) {
    let meeting = Meeting {
        starts_at: common::monday_morning() + Duration::days(2),
        place: "Ruang Rapat LSP".into(),
    };
    let step_one = [
        Command::Acknowledge { step: s(1) },
        Command::SetMeeting { meeting },
        Command::MarkDone { step: s(1) },
    ];
    act(app, batch, &staff.administrasi, &step_one).await;
}

/// [`whole_batch`], with `note` (what staff typed about a participant)
/// reported as a problem with step 1 and given as the second committee
/// member's reason for not attending.
async fn whole_batch_noting(t: &TestApp, staff: &StaffRoster, batch: BatchId, note: Option<&str>) {
    let app = &t.app;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let ids: Vec<ParticipantId> = state.participants.keys().copied().collect();
    let tick = |minutes| t.clock.advance(Duration::minutes(minutes));
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    if let Some(note) = note {
        let text = note.to_string();
        let problem = Command::ReportProblem { step: s(1), text };
        act(app, batch, &staff.administrasi, &[problem]).await;
    }
    invite(app, staff, batch).await;
    act(
        app,
        batch,
        &staff.komite,
        &[Command::Rsvp {
            attend: true,
            reason: None,
        }],
    )
    .await;
    if let Some(note) = note {
        let reason = Some(note.to_string());
        let rsvp = Command::Rsvp {
            attend: false,
            reason,
        };
        act(app, batch, &staff.komite_2, &[rsvp]).await;
    }
    tick(30);
    done(app, batch, &staff.sertifikasi, 2).await;
    let verdicts = [
        Competence::Kompeten,
        Competence::Kompeten,
        Competence::Kompeten,
        Competence::BelumKompeten,
        Competence::BelumKompeten,
    ];
    let results: Vec<Command> = ids
        .iter()
        .zip(verdicts)
        .map(|(p, result)| Command::RecordResult {
            participant: *p,
            result,
        })
        .collect();
    act(app, batch, &staff.ketua, &results).await;
    // The plenary is closed once its meeting (two days on) has begun.
    t.clock
        .set(common::monday_morning() + Duration::days(2) + Duration::hours(2));
    done(app, batch, &staff.ketua, 3).await;
    act(
        app,
        batch,
        &staff.ketua,
        &[
            Command::RecordDecree {
                decree: Decree {
                    number: "SK/LSP/042/XI/2026".into(),
                    date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                },
            },
            Command::MarkDone { step: s(4) },
        ],
    )
    .await;
    done(app, batch, &staff.administrasi, 5).await;
    for p in &ids[3..] {
        act(
            app,
            batch,
            &staff.sertifikasi,
            &[Command::RecordReceipt {
                participant: *p,
                via: ReceiptVia::InPerson,
            }],
        )
        .await;
    }
    let blanks: Vec<Command> = ids[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| Command::RecordBlankNumber {
            participant: *p,
            number: format!("BNSP-2026-{:06}", 100 + i),
        })
        .collect();
    act(app, batch, &staff.sertifikasi, &blanks).await;
    done(app, batch, &staff.sertifikasi, 6).await;
    done(app, batch, &staff.sertifikasi, 7).await;
    done(app, batch, &staff.ketua, 8).await;
    done(app, batch, &staff.administrasi, 10).await;
    for p in &ids[..3] {
        act(
            app,
            batch,
            &staff.sertifikasi,
            &[Command::RecordReceipt {
                participant: *p,
                via: ReceiptVia::InPerson,
            }],
        )
        .await;
    }
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished);
}

#[tokio::test]
async fn a_group_never_gets_a_participants_name_list_or_result() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    {
        let mut conn = t.app.store.write().await.unwrap();
        Store::add_group(&mut conn, GROUP, Some("Komite Teknis"), t.clock_now())
            .await
            .unwrap();
    }
    let batch = new_batch(&t.app, 5).await;
    whole_batch(&t, &staff, batch).await;

    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    let group_rows: Vec<_> = rows.iter().filter(|r| r.chat_id == Some(GROUP)).collect();
    // The group saw every step's card and its changes, and the invitation.
    let steps: std::collections::BTreeSet<i64> = group_rows
        .iter()
        .filter(|r| r.template == "group_step")
        .filter_map(|r| r.context["step"]["no"].as_i64())
        .collect();
    assert_eq!(
        steps.into_iter().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    );
    assert!(
        group_rows
            .iter()
            .any(|r| r.template == "meeting_invitation")
    );
    let participants = sertibot::store::Store::participants(&mut conn, batch)
        .await
        .unwrap();
    for row in &group_rows {
        let stored = row.context.to_string();
        for lang in [Lang::Id, Lang::En] {
            let text = t
                .app
                .templates
                .render(lang, &format!("{}.html", row.template), &row.context)
                .unwrap();
            for p in participants.values() {
                for secret in [
                    p.name.as_str(),
                    p.email.as_str(),
                    p.registration_no.as_deref().unwrap_or("REG-"),
                ] {
                    assert!(!text.contains(secret), "{} shows {secret}: {text}", row.key);
                    assert!(!stored.contains(secret), "{} stores {secret}", row.key);
                }
            }
            for result in ["KOMPETEN", "BNSP-2026"] {
                assert!(!text.contains(result), "{} shows {result}: {text}", row.key);
            }
        }
    }
    // The members' own cards do name the participants ready to collect.
    assert!(rows.iter().any(|r| r.chat_id.is_none()
        && r.template == "step_task"
        && r.context.to_string().contains("Bagus Setiawan")));
}

#[tokio::test]
async fn a_flood_from_one_stranger_is_answered_and_audited_once_per_window() {
    let t = TestApp::new().await;
    let stranger = TelegramUserId(6666);
    let mut answered = 0u32;
    for _ in 0..500 {
        if t.app.stranger_refused(stranger, "message").await.unwrap() {
            answered += 1;
        }
    }
    assert_eq!(answered, sertibot::app::STRANGER_BURST);
    // Another stranger is answered on their own account.
    assert!(
        t.app
            .stranger_refused(TelegramUserId(7777), "button")
            .await
            .unwrap()
    );
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let audit = Store::audit_of(&mut conn, None).await.unwrap();
    let refusals: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "stranger_refused")
        .collect();
    assert_eq!(refusals.len(), sertibot::app::STRANGER_BURST as usize + 1);
}

/// A small filesystem of its own (tmpfs, needs root as CI has); `None` where it cannot be mounted.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    /// Fills the disk with a file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_writes_and_the_first_write_after_space_returns_succeeds() {
    let Some(disk) = SmallDisk::mount("4m") else {
        eprintln!("skipped: cannot mount a small filesystem here (needs root)");
        return;
    };
    let config = common::config_in(disk.dir.path(), "");
    let clock = std::sync::Arc::new(sertibot::clock::ManualClock::new(common::monday_morning()));
    let app = App::open(config, clock).await.unwrap();
    let staff = add_staff(&app).await;
    let batch = new_batch(&app, 20).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();

    let filler = disk.fill();
    let mut failed = 0;
    for i in 0..200 {
        let text = format!("Printer habis tinta {i} {}", "x".repeat(400));
        let report = Command::ReportProblem { step: s(1), text };
        if app
            .act(batch, &staff.administrasi, &[report], Via::Telegram)
            .await
            .is_err()
        {
            failed += 1;
        }
        if app
            .add_member(
                &format!("Anggota {i}"),
                &[sertibot::domain::Role::KomiteTeknis].into(),
                None,
            )
            .await
            .is_err()
        {
            failed += 1;
        }
    }
    assert!(failed > 0, "the disk never filled up");

    // Space comes back: the very next writes succeed.
    std::fs::remove_file(filler).unwrap();
    app.act(
        batch,
        &staff.administrasi,
        &[Command::Acknowledge { step: s(1) }],
        Via::Telegram,
    )
    .await
    .expect("a write after space came back");
    app.add_member(
        "Setelah Penuh",
        &[sertibot::domain::Role::KomiteTeknis].into(),
        None,
    )
    .await
    .expect("a second write after space came back");
    assert_eq!(app.store.integrity_check().await.unwrap(), vec!["ok"]);
    drop(app);
}

#[tokio::test]
async fn handled_update_ids_are_forgotten_after_their_retention() {
    let t = TestApp::new().await;
    let mut conn = t.app.store.write().await.unwrap();
    let now = t.clock_now();
    Store::claim_update(&mut conn, 1, now - Duration::days(30))
        .await
        .unwrap();
    Store::claim_update(&mut conn, 2, now).await.unwrap();
    let before = now - sertibot::service::HANDLED_UPDATES_KEPT;
    assert_eq!(
        Store::prune_handled_updates(&mut conn, before)
            .await
            .unwrap(),
        1
    );
    assert!(!Store::update_handled(&mut conn, 1).await.unwrap());
    assert!(Store::update_handled(&mut conn, 2).await.unwrap());
}

#[tokio::test]
async fn a_flood_of_wake_pokes_tells_the_service_a_few_times_only() {
    let t = TestApp::new().await;
    let app = std::sync::Arc::new(t.reopen("").await);
    let changes = app.watch_changes();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(sertibot::wake::listen(app.clone(), stopped));
    let socket = sertibot::wake::socket_path(&app.config.database);
    while !socket.exists() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let started = std::time::Instant::now();
    let database = app.config.database.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..5_000 {
            sertibot::wake::poke(&database);
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let told = *changes.borrow();
    let elapsed = started.elapsed().as_millis() as u64;
    // At most once per 50 ms, and at least once after the last poke.
    assert!(told >= 1, "never told");
    assert!(
        told <= elapsed / 50 + 2,
        "told {told} times in {elapsed} ms"
    );
    stop.send(true).unwrap();
    listener.await.unwrap().unwrap();
}

/// Writes every queued email as an `.eml` file, as the service's worker
/// does with no SMTP server set.
async fn write_emails(t: &TestApp) -> usize {
    let mut worker = common::email_worker(t);
    let mut sent = 0;
    while let sertibot::outbox::Progress::Sent(_) = worker.process_next().await.unwrap() {
        sent += 1;
    }
    sent
}

/// The bytes of the database file and its write-ahead log, if any.
fn database_bytes(t: &TestApp) -> Vec<u8> {
    let mut bytes = std::fs::read(t.db_path()).unwrap();
    let mut wal = t.db_path().into_os_string();
    wal.push("-wal");
    if let Ok(log) = std::fs::read(wal) {
        bytes.extend(log);
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_erased_participant_leaves_no_trace_in_the_file_and_the_chain_still_verifies() {
    let t = TestApp::with_config("[mail]\nfrom = \"LSP <lsp@example.com>\"\neml_dir = \"surat\"\n")
        .await;
    let staff = add_staff(&t.app).await;
    let batch = new_batch(&t.app, 5).await;
    whole_batch(&t, &staff, batch).await;
    assert!(write_emails(&t).await >= 5);
    let app = &t.app;
    let found = app.find_people("Bagus").await.unwrap();
    assert_eq!(found.len(), 1);
    let bagus = ParticipantId(found[0].id);
    let (name, email) = (found[0].name.clone(), found[0].email.clone());
    assert_eq!(name, "Bagus Setiawan");

    // What is held about them, before: their row, emails, documents, audit lines.
    let record = app.personal_record(bagus, Via::Cli).await.unwrap();
    assert_eq!(record["participant"]["email"], email.as_str());
    assert_eq!(record["participant"]["result"], "BK");
    assert!(record["messages"].as_array().unwrap().len() >= 2);
    assert!(!record["audit"].as_array().unwrap().is_empty());
    let pdf = app.personal_record_pdf(&record).await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("DATA PRIBADI YANG DISIMPAN"), "{words}");
    assert!(
        words.contains("Bagus Setiawan") && words.contains(&email),
        "{words}"
    );
    let letters = std::fs::read_dir(t.dir.path().join("surat"))
        .unwrap()
        .count();
    assert!(holds(&database_bytes(&t), &name));

    // A running batch's participant is erased only with force.
    let running = new_batch(app, 1).await;
    app.start_batch(running, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let (_, state, _) = app.batch(running).await.unwrap();
    let first = *state.participants.keys().next().unwrap();
    let refused = app
        .erase_participant(first, "permintaan peserta", false, Via::Cli)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("still running"), "{refused}");
    let empty = app
        .erase_participant(bagus, "  ", false, Via::Cli)
        .await
        .unwrap_err();
    assert!(empty.to_string().contains("empty"), "{empty}");

    let erased = app
        .erase_participant(bagus, "permintaan peserta (UU PDP)", false, Via::Cli)
        .await
        .unwrap();
    assert!(erased.files_deleted >= 2, "{erased:?}");
    assert!(erased.compacted);
    let left = std::fs::read_dir(t.dir.path().join("surat"))
        .unwrap()
        .count();
    assert_eq!(left, letters - erased.files_deleted);
    t.app.store.close().await;
    let bytes = database_bytes(&t);
    for trace in [name.as_str(), email.as_str(), "REG-00003"] {
        assert!(
            !holds(&bytes, trace),
            "{trace} is still in the database file"
        );
    }
    // Another participant is untouched.
    assert!(holds(&bytes, "Yohana Fransiska Manurung"));

    let app = t
        .reopen("[mail]\nfrom = \"LSP <lsp@example.com>\"\neml_dir = \"surat\"\n")
        .await;
    assert!(app.store.verify_audit().await.unwrap().is_ok());
    let after = app.personal_record(bagus, Via::Cli).await.unwrap();
    assert_eq!(after["participant"]["name"], "[dihapus]");
    assert_eq!(
        after["participant"]["result"], "BK",
        "the result stays, as a fact"
    );
    assert!(after["participant"]["erased_at"].is_string());
    assert!(
        after["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "participant_erased"
                && a["detail"]["reason"] == "permintaan peserta (UU PDP)")
    );
    // The batch's documents are still made, with the tombstone.
    let documents = app.batch_documents(batch, Via::Cli).await.unwrap();
    assert!(!documents.is_empty());
}

/// Every byte of `path`, with its write-ahead log if it has one.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(log) = std::fs::read(std::path::PathBuf::from(wal)) {
        bytes.extend(log);
    }
    bytes
}

#[tokio::test]
async fn erasure_reaches_typed_notes_former_values_keys_and_the_copies_sertibot_keeps() {
    let config = "[mail]\nfrom = \"LSP <lsp@example.com>\"\neml_dir = \"surat\"\n[schedule]\nbackup_dir = \"cadangan\"\n";
    let t = TestApp::with_config(config).await;
    let staff = add_staff(&t.app).await;
    let (nik, phone) = ("3171012345678901", "081234567890");
    let csv = format!(
        "name,email,registration_no,nik,phone\n\
         Ni Komang Ayu Widyastuti,asesi0@example.com,REG-00000,3171010000000001,081100000001\n\
         Ma'ruf Amin,asesi1@example.com,REG-00001,3171010000000002,081100000002\n\
         Dwi Ayu Lestari Siregar,asesi2@example.com,REG-00002,3171010000000003,081100000003\n\
         Kadek Bagus Setiawan,kadek.lama@example.com,REG-00003,{nik},{phone}\n\
         Yohana Fransiska Manurung,asesi4@example.com,REG-00004,3171010000000005,081100000005\n"
    );
    let batch = common::batch_of(&t.app, &csv).await;
    // What staff typed about him: in the problem report and an RSVP reason.
    let note = format!("berkas Kadek Bagus Setiawan NIK {nik} belum lengkap, hubungi {phone}");
    whole_batch_noting(&t, &staff, batch, Some(&note)).await;
    let app = &t.app;
    // His name and address were corrected after the decree; the emails
    // he was sent go again to the new address.
    let change = sertibot::app::ParticipantChange {
        name: Some("I Kadek Bagus Setiawan".into()),
        email: Some("kadek.baru@example.ac.id".into()),
        registration_no: None,
        resend: true,
    };
    app.correct_participant(
        batch,
        "REG-00003",
        &change,
        "salah ketik",
        &staff.ketua,
        Via::Cli,
    )
    .await
    .unwrap();
    assert!(write_emails(&t).await >= 5);
    // Copies sertibot keeps: a database a restore replaced, a nightly backup.
    let replaced = t.dir.path().join("test.db.replaced-20261201T000000Z");
    std::fs::create_dir(t.dir.path().join("cadangan")).unwrap();
    let nightly = t.dir.path().join("cadangan/sertibot-2026-12-01-0200.db");
    for copy in [&replaced, &nightly] {
        assert!(app.store.backup_to(copy).await.unwrap().sound());
        assert!(holds(&file_bytes(copy), nik));
    }
    let traces = [
        "Kadek Bagus Setiawan",
        "kadek.lama@example.com",
        "kadek.baru@example.ac.id",
        nik,
        phone,
    ];
    let found = app.find_people("kadek.baru").await.unwrap();
    assert_eq!(found.len(), 1, "found by the corrected address");
    let id = ParticipantId(found[0].id);
    // No key (and so no log line or email file name) carries an address.
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM outbox")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(keys.iter().all(|k| !k.contains('@')), "{keys:?}");
    for file in std::fs::read_dir(t.dir.path().join("surat")).unwrap() {
        let name = file.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains("kadek") && !name.contains("example"),
            "{name}"
        );
    }
    // The sealed log holds no note typed about him.
    let details: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_log")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains(nik) && !d.contains(phone))
    );

    let erased = app
        .erase_participant(id, "permintaan peserta (UU PDP)", false, Via::Cli)
        .await
        .unwrap();
    assert_eq!(erased.copies.len(), 2, "{erased:?}");
    for (copy, done) in &erased.copies {
        assert_eq!(done, &Ok(1), "{}", copy.display());
    }
    t.app.store.close().await;
    for path in [t.db_path(), replaced.clone(), nightly.clone()] {
        let bytes = file_bytes(&path);
        for trace in traces {
            assert!(
                !holds(&bytes, trace),
                "{trace} is still in {}",
                path.display()
            );
        }
        assert!(
            holds(&bytes, "Yohana Fransiska Manurung"),
            "{}",
            path.display()
        );
    }
    // The copies are still sound, their chains too.
    for copy in [&replaced, &nightly] {
        let check = sertibot::store::backup::check_copy(copy).await.unwrap();
        assert!(check.sound(), "{check:?}");
    }
}

#[tokio::test]
async fn cards_for_200_participants_with_long_names_say_counts_not_every_name() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let app = &t.app;
    let long = |i: usize| {
        format!(
            "Dr. Ir. Peserta {i:03} {}",
            "Panjangnamanya ".repeat(12).trim()
        )
    };
    let mut csv = String::from("name,email,registration_no\n");
    for i in 0..200 {
        csv.push_str(&format!("{},asesi{i}@example.com,REG-{i:05}\n", long(i)));
    }
    let batch = common::batch_of(app, &csv).await;
    start_and_invite(app, &staff, batch).await;
    done(app, batch, &staff.sertifikasi, 2).await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let results: Vec<Command> = state
        .participants
        .keys()
        .enumerate()
        .map(|(i, p)| Command::RecordResult {
            participant: *p,
            result: if i % 10 == 0 {
                Competence::BelumKompeten
            } else {
                Competence::Kompeten
            },
        })
        .collect();
    act(app, batch, &staff.ketua, &results).await;
    // The plenary is closed once its meeting (two days on) has begun.
    t.clock
        .set(common::monday_morning() + Duration::days(2) + Duration::hours(2));
    done(app, batch, &staff.ketua, 3).await;
    // Every card a member got, rendered as Telegram shows it.
    let mut conn = app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    let mut texts = Vec::new();
    for row in rows.iter().filter(|r| r.template == "step_task") {
        let message = row.message().unwrap();
        let rendered =
            sertibot::telegram::keyboards::render(&app.templates, Lang::Id, &message).unwrap();
        texts.push(rendered.text);
    }
    assert!(!texts.is_empty());
    for text in &texts {
        assert!(text.len() < 4096, "a card of {} characters", text.len());
        assert!(!text.contains("Peserta 030"), "{text}");
    }
    // The cards past the results say the counts and where the names are.
    assert!(
        texts
            .iter()
            .any(|t| t.contains("200 peserta: 180 K, 20 BK.")
                && t.contains(&format!("/dokumen {}", batch.0))),
        "{texts:#?}"
    );
}

#[tokio::test]
async fn records_past_the_retention_period_are_listed_then_erased() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let batch = new_batch(&t.app, 5).await;
    whole_batch(&t, &staff, batch).await;
    // A draft never started, with participants of its own, is kept no
    // longer than a finished batch.
    let draft = new_batch(&t.app, 2).await;
    let app = &t.app;
    assert!(app.purge_records(false).await.unwrap().is_empty());
    t.clock.advance(Duration::days(5 * 365 - 10));
    assert!(
        app.purge_records(false).await.unwrap().is_empty(),
        "not yet 5 years"
    );
    t.clock.advance(Duration::days(20));
    let due = app.purge_records(false).await.unwrap();
    assert_eq!(due.len(), 7, "a dry run lists them: {due:?}");
    assert_eq!(
        due.iter().filter(|(_, b, _)| *b == draft.0).count(),
        2,
        "the draft's participants too"
    );
    assert_eq!(
        app.find_people("Bagus").await.unwrap().len(),
        1,
        "and erases nothing"
    );
    assert_eq!(app.purge_records(true).await.unwrap().len(), 7);
    assert!(app.find_people("Bagus").await.unwrap().is_empty());
    assert!(app.purge_records(false).await.unwrap().is_empty());
    assert!(app.store.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn the_report_counts_the_periods_steps_and_names_no_participant() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let batch = new_batch(&t.app, 5).await;
    whole_batch(&t, &staff, batch).await;
    let app = &t.app;
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let files = app.report_files(day(1), day(30)).await.unwrap();
    let r = &files.report;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let clocked = state
        .steps
        .values()
        .filter(|s| s.due_at.is_some() && s.finished_at.is_some())
        .count();
    assert_eq!(
        r.overall.done,
        clocked + 5,
        "each clocked step and each handover"
    );
    assert_eq!(
        r.by_step[0].label,
        "1. Membuat undangan rapat komite teknis"
    );
    assert_eq!(r.batches, 1);
    assert_eq!(r.lead_times[0].batch, batch.0);
    assert_eq!(r.lead_times[0].assessed_on, day(20));
    assert!(
        r.acks.iter().any(|a| a.member == "Siti Rahmawati"),
        "{:?}",
        r.acks
    );

    // The PDF and the workbook say the same, and name no participant.
    let text = pdf_extract::extract_text_from_mem(&files.pdf).unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("LAPORAN KINERJA PENERBITAN SERTIFIKAT"),
        "{words}"
    );
    assert!(
        words.contains(&format!("{} langkah selesai", r.overall.done)),
        "{words}"
    );
    assert!(
        words.contains("Membuat undangan rapat komite teknis"),
        "{words}"
    );
    assert!(words.contains("Siti Rahmawati"), "{words}");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(files.xlsx.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Per langkah",
            "Per bulan",
            "Konfirmasi",
            "Lama penyelesaian"
        ]
    );
    // One term for the standard time, as the SOP says it; no English heading.
    assert!(
        words.contains("dalam waktu baku")
            && !words.contains("Lead time")
            && !words.contains("standar"),
        "{words}"
    );
    let steps = book.worksheet_range("Per langkah").unwrap();
    let last = steps.rows().next_back().unwrap();
    assert_eq!(last[0].to_string(), "Semua langkah");
    assert_eq!(last[1].to_string(), r.overall.done.to_string());
    assert_eq!(last[3].to_string(), r.overall.percent.to_string());
    // The chart's categories are short enough to print under its columns.
    let first = steps.rows().nth(1).unwrap();
    assert_eq!(first[6].to_string(), "Langkah 1");
    assert!(files.png.starts_with(b"\x89PNG"));
    for name in ["Bagus Setiawan", "Ma'ruf Amin", "asesi0@example.com"] {
        assert!(!words.contains(name), "{name} in the report");
    }
    // A period with nothing in it, and one that ends before it begins.
    let empty = app.report(day(1), day(2)).await.unwrap();
    assert_eq!((empty.overall.done, empty.batches), (0, 0));
    // It says there is no data, not "0 (0%) … median 0 hari".
    let nothing = app.report_files(day(1), day(2)).await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&nothing.pdf).unwrap();
    let nothing = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        nothing.contains("Tidak ada data untuk periode ini.") && !nothing.contains("median"),
        "{nothing}"
    );
    let reversed = app.report(day(2), day(1)).await.unwrap_err();
    assert!(
        reversed.to_string().contains("before it begins"),
        "{reversed}"
    );
}

#[tokio::test]
async fn erasing_budi_leaves_budiman_as_he_is() {
    let t = TestApp::new().await;
    let app = &t.app;
    let csv = "name,email,registration_no\nBudi,budi@example.com,R-0001\nBudiman Santoso,budiman@example.com,R-0002\n";
    let batch = common::batch_of(app, csv).await;
    // A staff card listing both, as the outbox keeps it.
    let mut conn = app.store.pool().acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (key, channel, batch_id, template, context, next_attempt_at, created_at, status)
         VALUES ('card', 'telegram', ?, 'step_task', ?, 0, 0, 'sent')",
    )
    .bind(batch.0)
    .bind(r#"{"participants":[{"name":"Budi","email":"budi@example.com"},{"name":"Budiman Santoso"}]}"#)
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let budi = ParticipantId(app.find_people("budi@").await.unwrap()[0].id);
    app.erase_participant(budi, "permintaan peserta", false, Via::Cli)
        .await
        .unwrap();
    let mut conn = app.store.pool().acquire().await.unwrap();
    let card: String = sqlx::query_scalar("SELECT context FROM outbox WHERE key = 'card'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        card,
        r#"{"participants":[{"name":"[dihapus]","email":"[dihapus]"},{"name":"Budiman Santoso"}]}"#
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM participants ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(names, ["[dihapus]", "Budiman Santoso"]);
}
