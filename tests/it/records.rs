//! The SQLite records on real files: a whole batch through the store, the
//! outbox and audit written with each change, atomicity, procedure versions,
//! registration tokens, and concurrent writers.

use crate::common;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use common::{TestApp, add_staff, new_batch, participants_csv};
use sertibot::app::{App, AppError, Via};
use sertibot::domain::{BatchId, Competence, Lang, ParticipantId, Role, RoleSet, TelegramUserId};
use sertibot::sop::StepNo;
use sertibot::store::{Redemption, Store};
use sertibot::workflow::{
    Actor, BatchStatus, Command, Decree, HandoverStage, Meeting, ReceiptVia, Refusal, StepState,
};

const K: Competence = Competence::Kompeten;
const BK: Competence = Competence::BelumKompeten;

/// Runs commands as a staff member in Telegram; they must be accepted.
async fn act(app: &App, batch: BatchId, actor: &Actor, commands: &[Command]) {
    if let Err(e) = app.act(batch, actor, commands, Via::Telegram).await {
        panic!("{commands:?} was refused: {e:?}");
    }
}

async fn outbox(app: &App, batch: BatchId) -> Vec<sertibot::store::OutboxRow> {
    let mut conn = app.store.pool().acquire().await.unwrap();
    Store::outbox_of(&mut conn, batch).await.unwrap()
}

async fn audit_actions(app: &App, batch: BatchId) -> Vec<String> {
    let mut conn = app.store.pool().acquire().await.unwrap();
    Store::audit_of(&mut conn, Some(batch))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

async fn step_state(app: &App, batch: BatchId, step: u32) -> StepState {
    app.batch(batch).await.unwrap().1.run(StepNo(step)).state
}

fn s(n: u32) -> StepNo {
    StepNo(n)
}

#[tokio::test]
async fn a_whole_batch_runs_through_the_records() {
    let t = TestApp::new().await;
    let app = &t.app;
    let staff = add_staff(app).await;
    let batch = new_batch(app, 5).await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let ids: Vec<ParticipantId> = state.participants.keys().copied().collect();
    let verdicts = [K, K, K, BK, BK];
    let tick = |minutes| t.clock.advance(Duration::minutes(minutes));

    // Start: step 1's task to Kabag Administrasi only.
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    assert_eq!(step_state(app, batch, 1).await, StepState::Active);
    let rows = outbox(app, batch).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].template, "step_task");
    assert_eq!(rows[0].key, format!("b{batch}:s1:task:m3"));
    assert_eq!(
        rows[0].context["step"]["activity"],
        "Membuat undangan rapat komite teknis"
    );
    assert_eq!(rows[0].context["due_at"], "2026-11-24T03:00:00Z");
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        assert_eq!(
            Store::next_deadline(&mut conn).await.unwrap(),
            Some(common::monday_morning() + Duration::hours(1))
        );
    }

    // Step 1: acknowledge, the meeting, done: the invitation goes out.
    tick(5);
    act(
        app,
        batch,
        &staff.administrasi,
        &[Command::Acknowledge { step: s(1) }],
    )
    .await;
    let meeting = Meeting {
        starts_at: common::monday_morning() + Duration::days(2),
        place: "Ruang Rapat LSP, Gedung B lt. 2".into(),
    };
    tick(20);
    act(
        app,
        batch,
        &staff.administrasi,
        &[
            Command::SetMeeting { meeting },
            Command::MarkDone { step: s(1) },
        ],
    )
    .await;
    let invitations: Vec<_> = outbox(app, batch)
        .await
        .into_iter()
        .filter(|r| r.template.starts_with("meeting_invitation"))
        .collect();
    // Ketua and both committee members in Telegram; email to the two with an address.
    assert_eq!(
        invitations
            .iter()
            .filter(|r| r.channel == "telegram")
            .count(),
        3
    );
    let emailed: Vec<_> = invitations
        .iter()
        .filter(|r| r.channel == "email")
        .filter_map(|r| r.address.clone())
        .collect();
    assert_eq!(
        emailed,
        vec!["hendra@lsp.example.ac.id", "made@example.com"]
    );
    assert_eq!(step_state(app, batch, 2).await, StepState::Active);

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

    // Step 2, then the meeting with all five results.
    tick(30);
    act(
        app,
        batch,
        &staff.sertifikasi,
        &[Command::MarkDone { step: s(2) }],
    )
    .await;
    let results: Vec<Command> = ids
        .iter()
        .zip(verdicts)
        .map(|(p, result)| Command::RecordResult {
            participant: *p,
            result,
        })
        .collect();
    tick(90);
    act(app, batch, &staff.ketua, &results).await;
    // The plenary is closed once its meeting (two days on) has begun.
    t.clock
        .set(common::monday_morning() + Duration::days(2) + Duration::hours(2));
    act(
        app,
        batch,
        &staff.ketua,
        &[Command::MarkDone { step: s(3) }],
    )
    .await;

    // Step 4: the decree; every participant gets their own result by email.
    tick(30);
    act(
        app,
        batch,
        &staff.ketua,
        &[
            Command::RecordDecree {
                decree: Decree {
                    number: "SK/LSP-STMI/042/XI/2026".into(),
                    date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                },
            },
            Command::MarkDone { step: s(4) },
        ],
    )
    .await;
    let result_mails: BTreeMap<String, String> = outbox(app, batch)
        .await
        .into_iter()
        .filter(|r| r.template.starts_with("result_"))
        .map(|r| (r.address.unwrap(), r.template))
        .collect();
    assert_eq!(result_mails.len(), 5);
    assert_eq!(result_mails["asesi0@example.com"], "result_k");
    assert_eq!(result_mails["asesi3@example.com"], "result_bk");
    assert_eq!(step_state(app, batch, 5).await, StepState::Active);
    assert_eq!(step_state(app, batch, 6).await, StepState::Active);

    // The BK branch first: their letters, then handovers.
    act(
        app,
        batch,
        &staff.administrasi,
        &[Command::MarkDone { step: s(5) }],
    )
    .await;
    for p in &ids[3..] {
        act(
            app,
            batch,
            &staff.sertifikasi,
            &[Command::OpenHandover { participant: *p }],
        )
        .await;
        tick(5);
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

    // The K branch: blank numbers, print, sign, archive.
    let blanks: Vec<Command> = ids[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| Command::RecordBlankNumber {
            participant: *p,
            number: format!("BNSP-2026-{:06}", 100 + i),
        })
        .collect();
    tick(60 * 24 * 3);
    act(app, batch, &staff.sertifikasi, &blanks).await;
    act(
        app,
        batch,
        &staff.sertifikasi,
        &[Command::MarkDone { step: s(6) }],
    )
    .await;
    act(
        app,
        batch,
        &staff.sertifikasi,
        &[Command::MarkDone { step: s(7) }],
    )
    .await;
    act(
        app,
        batch,
        &staff.ketua,
        &[Command::MarkDone { step: s(8) }],
    )
    .await;
    act(
        app,
        batch,
        &staff.administrasi,
        &[Command::MarkDone { step: s(10) }],
    )
    .await;
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

    // Everything is recorded.
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished);
    assert!(state.steps.values().all(|r| r.state == StepState::Done));
    assert!(
        state
            .participants
            .values()
            .all(|p| p.handover.stage() == HandoverStage::Received)
    );
    assert_eq!(
        state.participants[&ids[0]].blank_number.as_deref(),
        Some("BNSP-2026-000100")
    );
    assert_eq!(state.rsvps.len(), 1);
    assert!(state.run(s(1)).acks.contains_key(&staff.members[2].id));

    // Each participant: one result, one handover notice, one receipt confirmation.
    let rows = outbox(app, batch).await;
    for i in 0..5 {
        let address = format!("asesi{i}@example.com");
        let mut templates: Vec<&str> = rows
            .iter()
            .filter(|r| r.address.as_deref() == Some(address.as_str()))
            .map(|r| r.template.as_str())
            .collect();
        templates.sort();
        let result = if i < 3 { "result_k" } else { "result_bk" };
        assert_eq!(
            templates,
            vec!["handover_notice", "receipt_confirmation", result],
            "{address}"
        );
    }
    // Every step's task reached every holder of its roles (step 3: Ketua,
    // both committee members, and Kabag Sertifikasi, who enters the results).
    for step in [1, 2, 3, 4, 5, 6, 7, 8, 10, 11] {
        let tasks = rows
            .iter()
            .filter(|r| {
                r.template == "step_task"
                    && r.edit_of.is_none()
                    && r.key.starts_with(&format!("b{batch}:s{step}:"))
            })
            .count();
        assert_eq!(tasks, if step == 3 { 4 } else { 1 }, "step {step}");
    }
    // Step 1's task message was edited to show the acknowledgement, then the done.
    let edits: Vec<&sertibot::store::OutboxRow> = rows
        .iter()
        .filter(|r| r.edit_of.as_deref() == Some(format!("b{batch}:s1:task:m3").as_str()))
        .collect();
    assert_eq!(
        edits.len(),
        2,
        "{:?}",
        edits.iter().map(|r| &r.key).collect::<Vec<_>>()
    );
    let last = edits.last().unwrap();
    assert_eq!(last.context["marks"][0]["kind"], "ack");
    assert_eq!(last.context["marks"][1]["name"], "Siti Rahmawati");
    assert!(!last.context["finished_at"].is_null());
    let shown = app
        .templates
        .render(Lang::Id, "step_task.html", &last.context)
        .unwrap();
    assert!(
        shown.contains("✋ Dikerjakan: Siti Rahmawati")
            && shown.contains("Langkah ini sudah selesai"),
        "{shown}"
    );
    // The inviter's live tally was edited when the committee member answered.
    let tally = rows.iter().rfind(|r| r.template == "rsvp_tally").unwrap();
    assert_eq!(
        tally.edit_of.as_deref(),
        Some(format!("b{batch}:tally:m3").as_str())
    );
    let shown = app
        .templates
        .render(Lang::Id, "rsvp_tally.html", &tally.context)
        .unwrap();
    assert!(
        shown.contains("✅ Ir. Made Sudarsana")
            && shown.contains("Hadir 1, tidak hadir 0, belum menjawab 2"),
        "{shown}"
    );

    // No deadline is left running.
    let mut conn = app.store.pool().acquire().await.unwrap();
    assert_eq!(Store::next_deadline(&mut conn).await.unwrap(), None);

    // The audit log tells the story in order.
    let actions = audit_actions(app, batch).await;
    assert_eq!(
        actions[..3],
        ["batch_created", "participants_imported", "batch_started"]
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "step_completed").count(),
        10
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "result_recorded").count(),
        5
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "receipt_recorded").count(),
        5
    );
    assert_eq!(actions.last().unwrap(), "batch_finished");
    assert_eq!(store_integrity(app).await, vec!["ok"]);

    // Every queued message renders, in both languages, with what its reader needs.
    for row in &rows {
        for lang in [Lang::Id, Lang::En] {
            let parts: Vec<String> = if row.channel == "telegram" {
                vec![format!("{}.html", row.template)]
            } else {
                vec![
                    format!("{}.subject", row.template),
                    format!("{}.txt", row.template),
                ]
            };
            for part in parts {
                let text = app
                    .templates
                    .render(lang, &part, &row.context)
                    .unwrap_or_else(|e| panic!("{part} ({lang:?}) for {}: {e:#}", row.key));
                assert!(!text.is_empty(), "{part}");
            }
        }
    }
    let render = |template: &str, address: &str| {
        let row = rows
            .iter()
            .find(|r| r.template == template && r.address.as_deref() == Some(address))
            .unwrap();
        app.templates
            .render(Lang::Id, &format!("{template}.txt"), &row.context)
            .unwrap()
    };
    let k = render("result_k", "asesi0@example.com");
    assert!(k.starts_with("Yth. Ni Komang Ayu Widyastuti,"), "{k}");
    assert!(
        k.contains("KOMPETEN (K)") && k.contains("SK/LSP-STMI/042/XI/2026"),
        "{k}"
    );
    assert!(k.contains("24 November 2026"), "{k}");
    let bk = render("result_bk", "asesi3@example.com");
    assert!(
        bk.contains("BELUM KOMPETEN (BK)") && bk.contains("banding"),
        "{bk}"
    );
    let notice = render("handover_notice", "asesi3@example.com");
    assert!(
        notice.contains("Surat keterangan") && notice.contains("REG-00003"),
        "{notice}"
    );
    let task = rows
        .iter()
        .find(|r| r.template == "step_task" && r.key.contains(":s6:"))
        .unwrap();
    let text = app
        .templates
        .render(Lang::Id, "step_task.html", &task.context)
        .unwrap();
    assert!(
        text.contains("Langkah 6: Mengajukan permohonan blangko ke BNSP"),
        "{text}"
    );
    assert!(text.contains("Waktu baku: 1 minggu"), "{text}");
    assert!(text.contains("Batas waktu: <b>"), "{text}");
}

async fn store_integrity(app: &App) -> Vec<String> {
    app.store.integrity_check().await.unwrap()
}

#[tokio::test]
async fn the_reloaded_state_is_the_state_the_workflow_computed() {
    let t = TestApp::new().await;
    let app = &t.app;
    let staff = add_staff(app).await;
    let batch = new_batch(app, 3).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let meeting = Meeting {
        starts_at: common::monday_morning() + Duration::days(1),
        place: "Zoom https://zoom.example/j/123".into(),
    };
    act(
        app,
        batch,
        &staff.administrasi,
        &[
            Command::Acknowledge { step: s(1) },
            Command::SetMeeting { meeting },
            Command::MarkDone { step: s(1) },
        ],
    )
    .await;
    act(
        app,
        batch,
        &staff.komite_2,
        &[Command::Rsvp {
            attend: false,
            reason: Some("Dinas luar kota".into()),
        }],
    )
    .await;
    act(
        app,
        batch,
        &staff.sertifikasi,
        &[Command::MarkDone { step: s(2) }],
    )
    .await;
    let (_, loaded, _) = app.batch(batch).await.unwrap();

    // Rebuild the same history in memory from the loaded draft and compare.
    let mut memory = loaded.clone();
    let ids: Vec<ParticipantId> = memory.participants.keys().copied().collect();
    let commands = vec![
        Command::RecordResult {
            participant: ids[0],
            result: K,
        },
        Command::RecordResult {
            participant: ids[1],
            result: BK,
        },
        Command::RecordResult {
            participant: ids[2],
            result: K,
        },
        Command::MarkDone { step: s(3) },
    ];
    // The plenary is closed once its meeting (a day on) has begun.
    t.clock
        .set(common::monday_morning() + Duration::days(1) + Duration::hours(1));
    let now = t.app.now();
    for c in &commands {
        sertibot::workflow::execute(&mut memory, &staff.ketua, c, now, &app.config.calendar)
            .unwrap();
    }
    act(app, batch, &staff.ketua, &commands).await;
    let (_, reloaded, _) = app.batch(batch).await.unwrap();
    assert_eq!(reloaded, memory);
}

#[tokio::test]
async fn a_refused_command_writes_nothing_but_the_attempt() {
    let t = TestApp::new().await;
    let app = &t.app;
    let staff = add_staff(app).await;
    let batch = new_batch(app, 2).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let before_outbox = outbox(app, batch).await.len();
    // The acknowledgement is fine, the "done" is not (no meeting set): neither is kept.
    let err = app
        .act(
            batch,
            &staff.administrasi,
            &[
                Command::Acknowledge { step: s(1) },
                Command::MarkDone { step: s(1) },
            ],
            Via::Telegram,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        AppError::Refused(Refusal::RecordMissing { .. })
    ));
    assert_eq!(
        app.explain(&err, sertibot::domain::Lang::Id),
        "Langkah 1 belum dapat ditandai selesai: waktu dan tempat rapat belum diisi."
    );
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert!(state.run(s(1)).acks.is_empty());
    assert_eq!(outbox(app, batch).await.len(), before_outbox);
    // A wrong role is refused and recorded too.
    let err = app
        .act(
            batch,
            &staff.komite,
            &[Command::MarkDone { step: s(1) }],
            Via::Telegram,
        )
        .await
        .unwrap_err();
    assert_eq!(
        app.explain(&err, sertibot::domain::Lang::En),
        "Only Kabag Administrasi can do step 1."
    );
    let actions = audit_actions(app, batch).await;
    assert_eq!(actions.iter().filter(|a| *a == "refused").count(), 2);
    assert!(!actions.contains(&"acknowledged".to_string()));
}

#[tokio::test]
async fn a_running_batch_keeps_the_procedure_it_started_with() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let running = new_batch(&t.app, 1).await;
    t.app
        .start_batch(running, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let draft = new_batch(&t.app, 1).await;

    // The operator edits the procedure: step 1 now takes 2 hours.
    let edited = sertibot::sop::DEFAULT_PROCEDURE.replacen(
        "standard_time = \"1 jam\"",
        "standard_time = \"2 jam\"",
        1,
    );
    std::fs::write(t.dir.path().join("sop.toml"), edited).unwrap();
    let app = t.reopen("[procedure]\nfile = \"sop.toml\"\n").await;

    let (_, old, _) = app.batch(running).await.unwrap();
    assert_eq!(old.procedure.step(s(1)).unwrap().standard_time.amount, 1);
    app.act(
        running,
        &staff.administrasi,
        &[Command::Acknowledge { step: s(1) }],
        Via::Telegram,
    )
    .await
    .unwrap();
    let (_, old, _) = app.batch(running).await.unwrap();
    assert_eq!(old.procedure.step(s(1)).unwrap().standard_time.amount, 1);

    app.start_batch(draft, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let (_, new, _) = app.batch(draft).await.unwrap();
    assert_eq!(new.procedure.step(s(1)).unwrap().standard_time.amount, 2);
    assert_eq!(
        new.run(s(1)).due_at.unwrap() - new.run(s(1)).started_at.unwrap(),
        Duration::hours(2)
    );
}

#[tokio::test]
async fn a_batch_cannot_start_while_a_role_has_nobody() {
    let t = TestApp::new().await;
    let roles: RoleSet = [Role::KetuaLsp, Role::KabagSertifikasi].into();
    t.app.add_member("Dr. Hendra", &roles, None).await.unwrap();
    let batch = new_batch(&t.app, 1).await;
    let err = t
        .app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no member holds the role Kabag Administrasi that step 1 needs; add one with `sertibot member add` before starting"
    );
    let (_, state, _) = t.app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Draft);
}

#[tokio::test]
async fn participants_can_only_be_imported_before_the_start() {
    let t = TestApp::new().await;
    add_staff(&t.app).await;
    let batch = new_batch(&t.app, 2).await;
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let err = t
        .app
        .import_participants(
            batch,
            b"name,email,registration_no\nBaru,baru@example.com,\n",
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has already started"), "{err}");
}

#[tokio::test]
async fn ten_thousand_participants_import_in_one_go() {
    let t = TestApp::new().await;
    let batch = t
        .app
        .create_batch(
            "Juru Las",
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    let count = t
        .app
        .import_participants(
            batch,
            participants_csv(10_000).as_bytes(),
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    assert_eq!(count, 10_000);
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let participants = Store::participants(&mut conn, batch).await.unwrap();
    assert_eq!(participants.len(), 10_000);
    let last = participants.values().last().unwrap();
    assert_eq!(last.email.as_str(), "asesi9999@example.com");
    assert_eq!(last.registration_no.as_deref(), Some("REG-09999"));
}

#[tokio::test]
async fn a_registration_token_works_once_and_not_after_it_expires() {
    let t = TestApp::new().await;
    let roles: RoleSet = [Role::KomiteTeknis].into();
    let first = t.app.add_member("Rina Kusuma", &roles, None).await.unwrap();
    let second = t
        .app
        .add_member("Made Sudarsana", &roles, None)
        .await
        .unwrap();
    let user = TelegramUserId(7_000_001);

    assert_eq!(
        t.app.redeem("not-a-token", user).await.unwrap(),
        Redemption::Unknown
    );
    match t.app.redeem(&first.token.token, user).await.unwrap() {
        Redemption::Registered(m) => {
            assert_eq!(m.name, "Rina Kusuma");
            assert_eq!(m.telegram_user_id, Some(user));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.app.redeem(&first.token.token, user).await.unwrap(),
        Redemption::Used
    );
    // The same Telegram account cannot take a second member's place.
    assert_eq!(
        t.app.redeem(&second.token.token, user).await.unwrap(),
        Redemption::AccountTaken
    );
    // Three days later the second link has expired; a new link works.
    t.clock.advance(Duration::hours(73));
    let other = TelegramUserId(7_000_002);
    assert_eq!(
        t.app.redeem(&second.token.token, other).await.unwrap(),
        Redemption::Expired
    );
    let fresh = t.app.new_registration_link(second.id).await.unwrap();
    assert!(matches!(
        t.app.redeem(&fresh.token, other).await.unwrap(),
        Redemption::Registered(_)
    ));

    // Only hashes are stored.
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM registration_tokens")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(!stored.contains(&first.token.token));
    assert!(stored.contains(&sertibot::app::token_hash(&first.token.token)));
    // Every attempt is in the audit log.
    let actions: Vec<String> = Store::audit_of(&mut conn, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("registration") || a == "member_registered")
        .collect();
    assert_eq!(
        actions,
        vec![
            "registration_refused_unknown",
            "member_registered",
            "registration_refused_used",
            "registration_refused_account_taken",
            "registration_refused_expired",
            "registration_link_issued",
            "member_registered"
        ]
    );
}

#[tokio::test]
async fn the_audit_log_refuses_changes() {
    let t = TestApp::new().await;
    add_staff(&t.app).await;
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let update = sqlx::query("UPDATE audit_log SET action = 'forged'")
        .execute(&mut *conn)
        .await
        .unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(&mut *conn)
        .await
        .unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
}

#[tokio::test]
async fn an_occasion_is_queued_once() {
    let t = TestApp::new().await;
    let batch = new_batch(&t.app, 1).await;
    let message = sertibot::notify::Outgoing {
        key: format!("b{batch}:result:p1"),
        channel: sertibot::notify::Channel::Email,
        batch: Some(batch),
        member: None,
        participant: None,
        address: Some("asesi0@example.com".into()),
        message: sertibot::notify::Message::MailTest(Default::default()),
        edit_of: None,
        chat: None,
    };
    let mut tx = t.app.store.begin().await.unwrap();
    let now = t.app.now();
    assert_eq!(
        Store::enqueue(&mut tx, std::slice::from_ref(&message), now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(Store::enqueue(&mut tx, &[message], now).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(outbox(&t.app, batch).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_never_see_a_locked_database() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let mut batches = Vec::new();
    for _ in 0..10 {
        let b = new_batch(&t.app, 3).await;
        t.app
            .start_batch(b, &Actor::Operator, Via::Cli)
            .await
            .unwrap();
        batches.push(b);
    }
    // A second application on the same file, as the command line beside the service.
    let other = std::sync::Arc::new(t.reopen("").await);
    let this = std::sync::Arc::new(t.app);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = if i % 2 == 0 {
            this.clone()
        } else {
            other.clone()
        };
        let batch = batches[(i / 5) % batches.len()];
        let actor = staff.administrasi.clone();
        tasks.push(tokio::spawn(async move {
            match i % 5 {
                0 => app
                    .create_batch(
                        "Paralel",
                        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                        None,
                        &Actor::Operator,
                        Via::Cli,
                    )
                    .await
                    .map(|_| ()),
                1 => app
                    .add_member(&format!("Komite {i}"), &[Role::KomiteTeknis].into(), None)
                    .await
                    .map(|_| ()),
                _ => app
                    .act(
                        batch,
                        &actor,
                        &[Command::Acknowledge { step: StepNo(1) }],
                        Via::Telegram,
                    )
                    .await
                    .map(|_| ()),
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("no writer fails");
    }
    for b in batches {
        let (_, state, _) = this.batch(b).await.unwrap();
        assert_eq!(state.run(StepNo(1)).acks.len(), 1);
    }
    assert_eq!(this.store.integrity_check().await.unwrap(), vec!["ok"]);
}

#[tokio::test]
async fn a_checkpoint_copies_the_write_ahead_log_into_the_database() {
    let t = TestApp::new().await;
    add_staff(&t.app).await;
    for _ in 0..12 {
        new_batch(&t.app, 2_000).await;
    }
    // Commits do not checkpoint (the service does it in the background):
    // the database file alone does not hold the new rows yet, the log does.
    let alone = |name: &'static str| {
        let copy = t.dir.path().join(name);
        std::fs::copy(t.db_path(), &copy).unwrap();
        async move {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&copy)
                .read_only(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM participants")
                .fetch_one(&pool)
                .await
                .unwrap_or(0)
        }
    };
    assert!(alone("before.db").await < 2_000, "no commit checkpointed");
    assert_eq!(t.app.store.checkpoint().await.unwrap(), 0, "all copied");
    // Now the database file alone holds them.
    let participants = alone("after.db").await;
    assert_eq!(participants, 24_000);
}

#[tokio::test]
async fn only_the_latest_waiting_edit_of_a_message_goes_out() {
    use sertibot::notify::{Message, Outgoing, views::Reply};
    let t = TestApp::new().await;
    let batch = new_batch(&t.app, 1).await;
    let staff = add_staff(&t.app).await;
    let member = staff.members[0].id;
    let card = |key: &str, text: &str, edit_of: Option<&str>| {
        let message = Message::Reply(Reply { text: text.into() });
        Outgoing::to_member(key.into(), Some(batch), member, message)
            .editing(edit_of.map(str::to_string))
    };
    let now = t.app.now();
    let mut tx = t.app.store.begin().await.unwrap();
    Store::enqueue(&mut tx, &[card("card", "v0", None)], now)
        .await
        .unwrap();
    for v in 1..=3 {
        let edit = card(&format!("card:v{v}"), &format!("v{v}"), Some("card"));
        Store::enqueue(&mut tx, &[edit], now).await.unwrap();
    }
    // Another member's edit of a message with the same key is theirs alone.
    let other = Outgoing::to_member(
        "card:v9".into(),
        Some(batch),
        staff.members[1].id,
        Message::Reply(Reply { text: "x".into() }),
    )
    .editing(Some("card".into()));
    Store::enqueue(&mut tx, &[other], now).await.unwrap();
    tx.commit().await.unwrap();

    let rows = outbox(&t.app, batch).await;
    let status = |key: &str| {
        rows.iter()
            .find(|r| r.key == key)
            .map(|r| r.status.as_str())
            .unwrap()
    };
    assert_eq!(status("card"), "pending", "the original is sent");
    assert_eq!(status("card:v1"), "replaced");
    assert_eq!(status("card:v2"), "replaced");
    assert_eq!(status("card:v3"), "pending", "the latest edit goes out");
    assert_eq!(
        status("card:v9"),
        "pending",
        "another chat's edit is not touched"
    );
    // Queuing the same occasion again changes nothing.
    let mut tx = t.app.store.begin().await.unwrap();
    Store::enqueue(&mut tx, &[card("card:v3", "v3", Some("card"))], now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let rows = outbox(&t.app, batch).await;
    assert_eq!(rows.iter().filter(|r| r.status == "pending").count(), 3);
}

/// The delivery worker finds each chat's next message through the queue
/// heads the outbox's triggers keep. Through a long random run of what
/// happens to outbox rows (queued, sent, failed, replaced, put back to
/// pending, moved to a migrated group's new chat, deleted, emails beside
/// them), the heads always equal each chat's oldest waiting Telegram row,
/// and the fair read gives every chat's oldest due row before any chat's
/// second.
#[tokio::test]
async fn each_chats_queue_head_is_its_oldest_waiting_message_whatever_happens() {
    let t = TestApp::new().await;
    let mut conn = t.app.store.pool().acquire().await.unwrap();
    let mut seed: u64 = 0x0dd_ba11;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let heads = |rows: Vec<(String, i64)>| rows.into_iter().collect::<BTreeMap<String, i64>>();
    for step in 0..600 {
        let chat = 100 + next(12) as i64;
        let op = next(10);
        let sql = match op {
            0..=3 => format!(
                "INSERT INTO outbox (key, channel, chat_id, template, context, next_attempt_at, created_at)
                 VALUES ('k{step}', 'telegram', {chat}, 't', '{{}}', {}, 0)",
                next(3)
            ),
            4 => format!(
                "INSERT INTO outbox (key, channel, address, template, context, next_attempt_at, created_at)
                 VALUES ('k{step}', 'email', 'a{chat}@example.com', 't', '{{}}', 0, 0)"
            ),
            5 => format!(
                "UPDATE outbox SET status = 'sent' WHERE id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND chat_id = {chat})"
            ),
            6 => format!(
                "UPDATE outbox SET status = '{}' WHERE id = (SELECT MAX(id) FROM outbox WHERE status = 'pending' AND chat_id = {chat})",
                if next(2) == 0 { "failed" } else { "replaced" }
            ),
            7 => format!(
                "UPDATE outbox SET status = 'pending' WHERE id = (SELECT MIN(id) FROM outbox WHERE status = 'failed' AND chat_id = {chat})"
            ),
            8 => format!(
                "UPDATE outbox SET chat_id = {} WHERE chat_id = {chat} AND status = 'pending'",
                100 + next(12)
            ),
            _ => format!(
                "DELETE FROM outbox WHERE id = (SELECT MIN(id) FROM outbox WHERE chat_id = {chat})"
            ),
        };
        // The test's own numbers only.
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap();
        let kept: Vec<(String, i64)> =
            sqlx::query_as("SELECT recipient, head_id FROM telegram_queues")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let oldest: Vec<(String, i64)> = sqlx::query_as(
            "SELECT 'c' || chat_id, MIN(id) FROM outbox WHERE status = 'pending' AND channel = 'telegram' GROUP BY chat_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(heads(kept), heads(oldest), "after step {step}: {sql}");
    }

    // Everything due: the read gives each chat's oldest row first, in the
    // order of those rows, then each chat's second.
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&mut *conn)
        .await
        .unwrap();
    let due = Store::due_telegram_fairly(&mut conn, "me", chrono::Utc::now(), 1_000)
        .await
        .unwrap();
    let firsts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT MIN(id), chat_id FROM outbox WHERE status = 'pending' AND channel = 'telegram' GROUP BY chat_id ORDER BY MIN(id)",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(!firsts.is_empty());
    let read: Vec<i64> = due.iter().map(|r| r.id).collect();
    let first_ids: Vec<i64> = firsts.iter().map(|(id, _)| *id).collect();
    assert_eq!(read[..first_ids.len()], first_ids[..]);
    assert!(due.iter().all(|r| r.channel == "telegram"));
}

#[tokio::test]
async fn a_change_of_staff_hands_open_tasks_on_and_reports_a_step_left_without_anyone() {
    let t = TestApp::new().await;
    add_staff(&t.app).await;
    let batch = new_batch(&t.app, 2).await;
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    // Step 1 is open; its only Kabag Administrasi (member 3) leaves.
    t.app
        .set_member_active(sertibot::domain::MemberId(3), false)
        .await
        .unwrap();
    let rows = outbox(&t.app, batch).await;
    let mut told: Vec<i64> = rows
        .iter()
        .filter(|r| r.template == "unstaffed_step")
        .map(|r| r.member_id.unwrap())
        .collect();
    told.sort();
    assert_eq!(told, vec![1, 2], "Ketua LSP and Kabag Sertifikasi");
    let text = t
        .app
        .templates
        .render(
            Lang::Id,
            "unstaffed_step.html",
            &rows
                .iter()
                .find(|r| r.template == "unstaffed_step")
                .unwrap()
                .context,
        )
        .unwrap();
    assert!(
        text.contains("Langkah 1") && text.contains("Kabag Administrasi"),
        "{text}"
    );
    // A successor is added: the open step's card is theirs at once.
    let added = t
        .app
        .add_member("Budi Santoso", &[Role::KabagAdministrasi].into(), None)
        .await
        .unwrap();
    let rows = outbox(&t.app, batch).await;
    assert!(
        rows.iter().any(|r| r.template == "step_task"
            && r.member_id == Some(added.id.0)
            && r.key == format!("b{batch}:s1:task:m{}", added.id.0)),
        "the new member gets step 1's card"
    );
    // A member given the role later gets it too; nobody gets it twice.
    t.app
        .set_member_role(sertibot::domain::MemberId(4), Role::KabagAdministrasi, true)
        .await
        .unwrap();
    let rows = outbox(&t.app, batch).await;
    let cards: Vec<i64> = rows
        .iter()
        .filter(|r| r.template == "step_task" && r.key.starts_with(&format!("b{batch}:s1:task:")))
        .map(|r| r.member_id.unwrap())
        .collect();
    assert_eq!(cards, vec![3, added.id.0, 4]);
}

#[tokio::test]
async fn a_corrected_name_and_address_reach_the_emails_still_waiting_and_those_sent_go_again() {
    let t = TestApp::new().await;
    let staff = add_staff(&t.app).await;
    let batch = new_batch(&t.app, 2).await;
    t.app
        .start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let meeting = Meeting {
        starts_at: t.clock_now() + Duration::days(1),
        place: "Ruang Rapat".into(),
    };
    act(
        &t.app,
        batch,
        &staff.administrasi,
        &[
            Command::SetMeeting { meeting },
            Command::MarkDone { step: StepNo(1) },
        ],
    )
    .await;
    act(
        &t.app,
        batch,
        &staff.sertifikasi,
        &[Command::MarkDone { step: StepNo(2) }],
    )
    .await;
    let (_, state, _) = t.app.batch(batch).await.unwrap();
    let mut decide: Vec<Command> = state
        .participants
        .keys()
        .map(|p| Command::RecordResult {
            participant: *p,
            result: K,
        })
        .collect();
    decide.push(Command::MarkDone { step: StepNo(3) });
    // The plenary is closed once its meeting has begun.
    t.clock.advance(Duration::days(1) + Duration::hours(1));
    decide.push(Command::RecordDecree {
        decree: Decree {
            number: "SK/1".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
    });
    decide.push(Command::MarkDone { step: StepNo(4) });
    act(&t.app, batch, &staff.ketua, &decide).await;
    // The second participant's result email went out to a wrong address.
    let rows = outbox(&t.app, batch).await;
    let sent = rows
        .iter()
        .find(|r| r.template == "result_k" && r.address.as_deref() == Some("asesi1@example.com"))
        .unwrap();
    let mut conn = t.app.store.write().await.unwrap();
    let until = t.clock_now() + chrono::Duration::minutes(5);
    let claim = Store::claim_message(&mut conn, sent.id, "test", until, t.clock_now())
        .await
        .unwrap()
        .unwrap();
    Store::mark_sent(&mut conn, claim, t.clock_now())
        .await
        .unwrap();
    drop(conn);

    // Name and address corrected for both; the first's email still waits.
    let change = |name: &str, email: &str, resend: bool| sertibot::app::ParticipantChange {
        name: Some(name.into()),
        email: Some(email.into()),
        resend,
        ..Default::default()
    };
    let first = t
        .app
        .correct_participant(
            batch,
            "REG-00000",
            &change("Ni Komang Ayu W.", "ayu@example.com", false),
            "nama di KTP",
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    assert_eq!((first.redirected, first.resent), (1, 0));
    let second = t
        .app
        .correct_participant(
            batch,
            "2",
            &change("Ma'ruf Amin, S.T.", "maruf@example.com", true),
            "salah alamat",
            &staff.sertifikasi,
            Via::Telegram,
        )
        .await
        .unwrap();
    assert_eq!((second.redirected, second.resent), (0, 1));
    let rows = outbox(&t.app, batch).await;
    let waiting = rows
        .iter()
        .find(|r| r.template == "result_k" && r.address.as_deref() == Some("ayu@example.com"))
        .expect("the waiting email goes to the new address");
    assert_eq!(waiting.context["participant"]["name"], "Ni Komang Ayu W.");
    let again = rows
        .iter()
        .find(|r| r.template == "result_k" && r.address.as_deref() == Some("maruf@example.com"))
        .expect("the email sent to the wrong address goes again");
    assert_eq!(again.context["participant"]["name"], "Ma'ruf Amin, S.T.");
    assert!(again.key != sent.key, "a new message, not the old one");
    // Komite Teknis may not correct participants.
    let refused = t
        .app
        .correct_participant(
            batch,
            "2",
            &change("X", "x@example.com", false),
            "x",
            &staff.komite,
            Via::Telegram,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        AppError::Refused(Refusal::RoleRequired { .. })
    ));
}
