//! Deadline alerts on the working calendar, with an injected clock: each
//! occasion fires once at its moment, across restarts and clock jumps.

use crate::common;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{TestApp, add_staff, new_batch, participants_csv};
use sertibot::app::Via;
use sertibot::domain::{BatchId, Lang};
use sertibot::sop::StepNo;
use sertibot::store::Store;
use sertibot::workflow::{Actor, Command, Meeting};

fn wib(text: &str) -> DateTime<Utc> {
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::Asia::Jakarta
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&Utc)
}

async fn alerts(t: &TestApp, batch: BatchId) -> Vec<(String, i64)> {
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    Store::outbox_of(&mut conn, batch)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.template.starts_with("step_heads_up") || r.template.starts_with("step_overdue")
        })
        .map(|r| (r.template, r.member_id.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn each_alert_fires_once_at_its_moment_and_survives_restarts() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let batch = t
        .app
        .create_batch(
            "Operator Mesin",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    t.app
        .import_participants(
            batch,
            participants_csv(2).as_bytes(),
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    // Tuesday 09:00 WIB: step 1 (1 jam) is due at 10:00; the heads-up comes at 09:48.
    t.clock.set(wib("2026-11-24 09:00"));
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0);

    t.clock.set(wib("2026-11-24 09:47"));
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0);
    t.clock.set(wib("2026-11-24 09:48"));
    assert_eq!(
        t.app.fire_due_alerts().await.unwrap(),
        1,
        "the heads-up to Kabag Administrasi"
    );
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0, "once");
    assert_eq!(
        alerts(&t, batch).await,
        vec![("step_heads_up".to_string(), 3)]
    );

    // At the due time: Kabag Administrasi and Ketua LSP.
    t.clock.set(wib("2026-11-24 10:00"));
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 2);
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0);

    // Four working hours later, a reminder; a restarted service sends it once.
    t.clock.set(wib("2026-11-24 14:00"));
    let restarted = t.reopen("").await;
    assert_eq!(restarted.fire_due_alerts().await.unwrap(), 2);
    assert_eq!(
        t.app.fire_due_alerts().await.unwrap(),
        0,
        "the other process sees it sent"
    );

    // Down until Thursday noon: the missed reminders collapse into one.
    t.clock.set(wib("2026-11-26 12:00"));
    assert_eq!(restarted.fire_due_alerts().await.unwrap(), 2);
    assert_eq!(restarted.fire_due_alerts().await.unwrap(), 0);
    // A clock jumped back fires nothing.
    t.clock.set(wib("2026-11-25 09:00"));
    assert_eq!(restarted.fire_due_alerts().await.unwrap(), 0);

    // What Ketua LSP reads: who is late, by how much working time, who acknowledged.
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    let last = rows
        .iter()
        .rfind(|r| r.template == "step_overdue" && r.member_id == Some(1))
        .unwrap();
    let text = t
        .app
        .templates
        .render(Lang::Id, "step_overdue.html", &last.context)
        .unwrap();
    assert!(
        text.contains("Pengingat: langkah masih terlambat"),
        "{text}"
    );
    // Tuesday 10–16, Wednesday 8–16, Thursday 8–12: 18 working hours late.
    assert!(text.contains("terlambat 18 jam (jam kerja)"), "{text}");
    assert!(text.contains("Penanggung jawab: Siti Rahmawati"), "{text}");
    assert!(
        text.contains("Belum ada yang menekan <i>Saya kerjakan</i>"),
        "{text}"
    );
    // The first alert says the due time passed, not "0 minutes late".
    let first = rows
        .iter()
        .find(|r| r.template == "step_overdue" && r.member_id == Some(1))
        .unwrap();
    let text = t
        .app
        .templates
        .render(Lang::Id, "step_overdue.html", &first.context)
        .unwrap();
    assert!(
        text.contains("Batas waktu terlewati (Selasa, 24 November 2026 pukul 10.00 WIB)"),
        "{text}"
    );
    drop(conn);

    // Once the step is done its clock stops: no more alerts for it.
    t.clock.set(wib("2026-11-26 12:05"));
    let meeting = Meeting {
        starts_at: wib("2026-11-30 09:00"),
        place: "Ruang Rapat".into(),
    };
    t.app
        .act(
            batch,
            &staff.administrasi,
            &[
                Command::SetMeeting { meeting },
                Command::MarkDone { step: StepNo(1) },
            ],
            Via::Telegram,
        )
        .await
        .unwrap();
    let before = alerts(&t, batch).await.len();
    t.clock.set(wib("2026-11-30 15:00"));
    restarted.fire_due_alerts().await.unwrap();
    let step1_after = alerts(&t, batch).await.len() - before;
    // Only step 2's own alerts may have come (its heads-up and overdue), never step 1's again.
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let step1: usize = Store::outbox_of(&mut conn, batch)
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            r.template.starts_with("step_")
                && r.template != "step_task"
                && r.context["step"]["no"] == 1
        })
        .count();
    assert_eq!(step1, 1 + 2 + 2 + 2, "heads-up, overdue, two reminders");
    assert!(step1_after >= 1, "step 2 is overdue by Monday afternoon");
}

async fn rendered(t: &TestApp, template: &str) -> Vec<String> {
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT template, context FROM outbox WHERE template = ? ORDER BY id")
            .bind(template)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    rows.iter()
        .map(|(name, context)| {
            let context: serde_json::Value = serde_json::from_str(context).unwrap();
            t.app
                .templates
                .render(Lang::Id, &format!("{name}.html"), &context)
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_paused_step_stays_quiet_and_the_digests_come_once_each() {
    // The nightly backup's timer aside: the digests are counted here.
    let no_backup = "[schedule]\nbackup = \"\"\n";
    let t = TestApp::with_config(no_backup).await;
    let staff = add_staff(&t.app).await;
    let batch = t
        .app
        .create_batch(
            "Operator Mesin",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    t.app
        .import_participants(
            batch,
            participants_csv(2).as_bytes(),
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    t.clock.set(wib("2026-11-24 09:00"));
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    t.app.ensure_digest_timers().await.unwrap();

    // Paused at 09:10 with 50 minutes left: Ketua LSP is told, and no alert comes.
    t.clock.set(wib("2026-11-24 09:10"));
    t.app
        .act(
            batch,
            &staff.administrasi,
            &[Command::PauseStep {
                step: StepNo(1),
                reason: "Menunggu ruang rapat".into(),
            }],
            Via::Telegram,
        )
        .await
        .unwrap();
    assert!(rendered(&t, "step_paused").await[0].contains("Alasan: Menunggu ruang rapat"));
    t.clock.set(wib("2026-11-24 15:00"));
    assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0);

    // Wednesday 07:30: the morning digest, once.
    t.clock.set(wib("2026-11-25 07:30"));
    assert_eq!(t.app.fire_due_timers().await.unwrap(), 1);
    assert_eq!(t.app.fire_due_timers().await.unwrap(), 0);
    let digests = rendered(&t, "digest_daily").await;
    assert_eq!(digests.len(), 1, "to the one Ketua LSP");
    assert!(
        digests[0].contains("⏸ Langkah 1: Membuat undangan rapat komite teknis"),
        "{}",
        digests[0]
    );
    assert!(
        digests[0].contains("dijeda: Menunggu ruang rapat"),
        "{}",
        digests[0]
    );

    // Down over Thursday morning: Thursday's digest comes once, late, and Friday's is next.
    t.clock.set(wib("2026-11-27 09:00"));
    let restarted = t.reopen(no_backup).await;
    restarted.ensure_digest_timers().await.unwrap();
    assert_eq!(restarted.fire_due_timers().await.unwrap(), 1);
    assert_eq!(restarted.fire_due_timers().await.unwrap(), 0);
    assert_eq!(rendered(&t, "digest_daily").await.len(), 2);

    // Resumed Friday 09:00: the 50 minutes left make it due at 09:50.
    restarted
        .act(
            batch,
            &staff.administrasi,
            &[Command::ResumeStep { step: StepNo(1) }],
            Via::Telegram,
        )
        .await
        .unwrap();
    let (_, state, _) = restarted.batch(batch).await.unwrap();
    assert_eq!(state.run(StepNo(1)).due_at, Some(wib("2026-11-27 09:50")));
    assert!(state.run(StepNo(1)).pause.is_none());
    assert!(rendered(&t, "step_paused").await[1].contains("Batas waktu baru"));

    // Done on time; on Monday 08:00 the weekly summary counts it.
    t.clock.set(wib("2026-11-27 09:20"));
    let meeting = Meeting {
        starts_at: wib("2026-12-01 09:00"),
        place: "Ruang Rapat".into(),
    };
    restarted
        .act(
            batch,
            &staff.administrasi,
            &[
                Command::SetMeeting { meeting },
                Command::MarkDone { step: StepNo(1) },
            ],
            Via::Telegram,
        )
        .await
        .unwrap();
    t.clock.set(wib("2026-11-30 08:00"));
    restarted.fire_due_timers().await.unwrap();
    let weekly = rendered(&t, "digest_weekly").await;
    assert_eq!(weekly.len(), 1);
    // The week's chart follows it, as a picture for Ketua LSP.
    let charts = rendered(&t, "report").await;
    assert_eq!(charts.len(), 1);
    assert!(
        charts[0].starts_with("📊 <b>Laporan kinerja minggu ini</b>\nPeriode 24 November 2026 – 30 November 2026: 1 dari 1 langkah selesai dalam waktu baku"),
        "{}",
        charts[0]
    );
    assert!(
        weekly[0].contains(
            "Langkah 1 (Membuat undangan rapat komite teknis): 1 dari 1 dalam waktu baku (100%)"
        ),
        "{}",
        weekly[0]
    );
}

/// Runs commands as a staff member in Telegram; they must be accepted.
async fn accept(t: &TestApp, batch: BatchId, who: Actor, commands: Vec<Command>) {
    t.app
        .act(batch, &who, &commands, Via::Telegram)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_meetings_step_is_chased_from_the_meeting_and_not_who_declined() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let batch = common::new_batch(&t.app, 2).await;
    // Tuesday: the meeting is set for Thursday 09:00; step 2 is done at 09:10.
    t.clock.set(wib("2026-11-24 09:00"));
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let meeting = Meeting {
        starts_at: wib("2026-11-26 09:00"),
        place: "Ruang Rapat".into(),
    };
    let act = |who: &Actor, commands: Vec<Command>| accept(&t, batch, who.clone(), commands);
    act(
        &staff.administrasi,
        vec![
            Command::SetMeeting { meeting },
            Command::MarkDone { step: StepNo(1) },
        ],
    )
    .await;
    act(
        &staff.komite,
        vec![Command::Rsvp {
            attend: true,
            reason: None,
        }],
    )
    .await;
    act(
        &staff.komite_2,
        vec![Command::Rsvp {
            attend: false,
            reason: Some("Dinas luar kota".into()),
        }],
    )
    .await;
    t.clock.set(wib("2026-11-24 09:10"));
    act(
        &staff.sertifikasi,
        vec![Command::MarkDone { step: StepNo(2) }],
    )
    .await;
    let before = alerts(&t, batch).await.len();

    // Before the meeting nothing is late: not Tuesday afternoon, not Wednesday.
    for moment in ["2026-11-24 14:00", "2026-11-25 16:00", "2026-11-26 11:23"] {
        t.clock.set(wib(moment));
        assert_eq!(t.app.fire_due_alerts().await.unwrap(), 0, "{moment}");
    }
    // 80% of the three hours after 09:00 Thursday: the heads-up, to Ketua LSP
    // and the committee member who comes, not to the one who declined.
    t.clock.set(wib("2026-11-26 11:24"));
    t.app.fire_due_alerts().await.unwrap();
    let new: Vec<(String, i64)> = alerts(&t, batch).await.split_off(before);
    assert_eq!(
        new,
        vec![
            ("step_heads_up".to_string(), 1),
            ("step_heads_up".to_string(), 4)
        ]
    );
    t.clock.set(wib("2026-11-26 12:00"));
    t.app.fire_due_alerts().await.unwrap();
    let new: Vec<(String, i64)> = alerts(&t, batch).await.split_off(before + 2);
    assert_eq!(
        new,
        vec![
            ("step_overdue".to_string(), 1),
            ("step_overdue".to_string(), 4)
        ]
    );
}

#[tokio::test]
async fn an_uncollected_document_gets_one_reminder_after_the_configured_working_days() {
    let t = TestApp::with_config("[alerts]\ncollect_reminder_after_days = 3\n").await;
    let staff = add_staff(&t.app).await;
    let batch = common::new_batch(&t.app, 2).await;
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let (_, state, _) = t.app.batch(batch).await.unwrap();
    let ids: Vec<_> = state.participants.keys().copied().collect();
    let run = |who: &Actor, commands: Vec<Command>| accept(&t, batch, who.clone(), commands);
    run(
        &staff.administrasi,
        vec![
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: wib("2026-11-25 09:00"),
                    place: "Ruang Rapat".into(),
                },
            },
            Command::MarkDone { step: StepNo(1) },
        ],
    )
    .await;
    run(
        &staff.sertifikasi,
        vec![Command::MarkDone { step: StepNo(2) }],
    )
    .await;
    let mut commands: Vec<Command> = ids
        .iter()
        .map(|p| Command::RecordResult {
            participant: *p,
            result: sertibot::domain::Competence::BelumKompeten,
        })
        .collect();
    commands.push(Command::MarkDone { step: StepNo(3) });
    commands.push(Command::RecordDecree {
        decree: sertibot::workflow::Decree {
            number: "SK/1".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
    });
    commands.push(Command::MarkDone { step: StepNo(4) });
    // The plenary is closed after its meeting (Wednesday 09:00) began.
    t.clock.set(wib("2026-11-25 11:00"));
    run(&staff.ketua, commands).await;
    // Thursday 10:00 the BK letters are ready; one participant collects at once.
    t.clock.set(wib("2026-11-26 10:00"));
    run(
        &staff.administrasi,
        vec![Command::MarkDone { step: StepNo(5) }],
    )
    .await;
    run(
        &staff.sertifikasi,
        vec![Command::RecordReceipt {
            participant: ids[0],
            via: sertibot::workflow::ReceiptVia::InPerson,
        }],
    )
    .await;

    // Three working days: Friday, Monday, Tuesday (the weekend does not count).
    t.clock.set(wib("2026-12-01 09:59"));
    assert_eq!(t.app.fire_collect_reminders().await.unwrap(), 0);
    t.clock.set(wib("2026-12-01 10:00"));
    assert_eq!(t.app.fire_collect_reminders().await.unwrap(), 1);
    assert_eq!(t.app.fire_collect_reminders().await.unwrap(), 0, "once");
    t.clock.set(wib("2026-12-10 10:00"));
    assert_eq!(t.app.fire_collect_reminders().await.unwrap(), 0, "only one");

    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let reminders: Vec<_> = Store::outbox_of(&mut conn, batch)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.template == "collect_reminder")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].address.as_deref(), Some("asesi1@example.com"));
    let text = t
        .app
        .templates
        .render(Lang::Id, "collect_reminder.txt", &reminders[0].context)
        .unwrap();
    assert!(
        text.contains("Yth. Ma'ruf Amin")
            && text.contains("sudah siap diambil sejak 26 November 2026, tetapi belum diambil")
            && text.contains("Nomor registrasi Anda: REG-00001"),
        "{text}"
    );
}

#[tokio::test]
async fn the_nightly_backup_is_made_checked_and_only_the_newest_are_kept() {
    let t = TestApp::with_config("[schedule]\nbackup_dir = \"salinan\"\nbackup_keep = 2\n").await;
    add_staff(&t.app).await;
    new_batch(&t.app, 3).await;
    t.app.ensure_digest_timers().await.unwrap();
    let dir = t.dir.path().join("salinan");
    for night in ["2026-11-25", "2026-11-26", "2026-11-27"] {
        t.clock.set(wib(&format!("{night} 02:00")));
        t.app.fire_due_timers().await.unwrap();
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["sertibot-2026-11-26-0200.db", "sertibot-2026-11-27-0200.db"]
    );
    for name in &names {
        let check = sertibot::store::backup::check_copy(&dir.join(name))
            .await
            .unwrap();
        assert!(check.sound(), "{name}: {check:?}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let fired: Vec<serde_json::Value> = Store::audit_of(&mut conn, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "backup_nightly_fired")
        .map(|r| r.detail["backup"].clone())
        .collect();
    assert_eq!(fired.len(), 3);
    assert_eq!(fired[2]["file"], "sertibot-2026-11-27-0200.db");
    assert_eq!(fired[2]["sound"], true);
    assert_eq!(fired[2]["removed"], 1);
}
