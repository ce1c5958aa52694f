//! The real `sertibot run` as a child process, against the stand-in Bot API
//! and a real SMTP server, killed with SIGKILL at twenty random moments of a
//! whole batch and restarted each time. Afterwards every participant has
//! each of their emails once (by Message-ID), every task reached its
//! people, the audit log is complete and the database is sound.

mod common;
mod support {
    pub mod fake_telegram;
    pub mod smtp;
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use mail_parser::MessageParser;
use rand::Rng;
use sertibot::app::{App, Via};
use sertibot::clock::SystemClock;
use sertibot::config::Config;
use sertibot::domain::{Role, RoleSet, TelegramUserId};
use sertibot::store::Store;
use sertibot::workflow::{Actor, BatchStatus};
use support::fake_telegram::FakeTelegram;

const BIN: &str = env!("CARGO_BIN_EXE_sertibot");
const TOKEN: &str = "424242:CRASH-token";
const KETUA: i64 = 2001;
const SERTIFIKASI: i64 = 2002;
const ADMINISTRASI: i64 = 2003;
const KOMITE: i64 = 2004;

fn spawn(dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("service.log"))
        .unwrap();
    Process::new(BIN)
        .args([
            "--config",
            dir.join("sertibot.toml").to_str().unwrap(),
            "run",
        ])
        .env("TELOXIDE_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Waits up to `seconds` for `check`; whether it held.
async fn within(fake: &FakeTelegram, seconds: u64, check: impl Fn(&FakeTelegram) -> bool) -> bool {
    for _ in 0..seconds * 10 {
        if check(fake) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check(fake)
}

/// Presses the newest button in `user`'s chat starting with `prefix` until
/// it is answered. An update can be lost when the service dies right after
/// Telegram was told it was received; a person whose press got no answer
/// presses again, and the workflow makes a repeat harmless.
async fn press(fake: &FakeTelegram, user: i64, prefix: &str) {
    fake.until(&format!("button {prefix}"), |f| {
        f.button(user, prefix).is_some()
    })
    .await;
    for _ in 0..10 {
        let (message, data) = fake.button(user, prefix).unwrap();
        let before = fake.toasts().len();
        fake.press(user, user, message, &data);
        if within(fake, 8, |f| f.toasts().len() > before).await {
            return;
        }
    }
    panic!("{prefix} was never answered");
}

/// Types `text` in a conversation and waits for `expect`; types it again
/// only if the conversation did not move on (the update was lost).
async fn write_and_wait(fake: &FakeTelegram, app: &App, user: i64, text: &str, expect: &str) {
    let waiting_for = || async {
        app.conversation(TelegramUserId(user), user)
            .await
            .unwrap()
            .map(|c| c["awaiting"].to_string())
    };
    let before = waiting_for().await;
    for _ in 0..10 {
        fake.write(user, user, text);
        if within(fake, 8, |f| {
            f.sent_to(user).iter().any(|(_, t, _)| t.contains(expect))
        })
        .await
        {
            return;
        }
        if waiting_for().await != before {
            // Handled; the answer is on its way.
            fake.until(&format!("'{expect}'"), |f| {
                f.sent_to(user).iter().any(|(_, t, _)| t.contains(expect))
            })
            .await;
            return;
        }
    }
    let recent: Vec<String> = fake
        .sent_to(user)
        .iter()
        .rev()
        .take(4)
        .map(|(_, t, _)| t.chars().take(80).collect())
        .collect();
    panic!(
        "'{text}' was never answered; conversation {:?}; the chat's last messages: {recent:#?}",
        waiting_for().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_kills_during_a_whole_batch_lose_nothing() {
    let fake = FakeTelegram::start().await;
    let port = support::smtp::free_port();
    let inbox = support::smtp::serve(port);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sertibot.toml"),
        format!(
            "[database]\npath = \"crash.db\"\n[telegram]\nbot_username = \"lsp_test_bot\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n\
             [mail]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"LSP STMI <lsp@stmi.example.ac.id>\"\n[calendar]\nmode = \"wall-clock\"\n",
            fake.url
        ),
    )
    .unwrap();
    let config = Config::load(Some(&dir.path().join("sertibot.toml")), |_| None).unwrap();
    let app = App::open(config, Arc::new(SystemClock)).await.unwrap();

    // The staff, registered as if they had opened their links.
    for (name, role, user, email) in [
        (
            "Dr. Hendra Wijaya",
            Role::KetuaLsp,
            KETUA,
            Some("hendra@stmi.example.ac.id"),
        ),
        ("Andi Pratama", Role::KabagSertifikasi, SERTIFIKASI, None),
        (
            "Siti Rahmawati",
            Role::KabagAdministrasi,
            ADMINISTRASI,
            None,
        ),
        (
            "Ir. Made Sudarsana",
            Role::KomiteTeknis,
            KOMITE,
            Some("made@example.com"),
        ),
    ] {
        let roles: RoleSet = [role].into();
        let added = app.add_member(name, &roles, email).await.unwrap();
        app.redeem(&added.token.token, TelegramUserId(user))
            .await
            .unwrap();
    }
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
    app.import_participants(
        batch,
        common::participants_csv(5).as_bytes(),
        &Actor::Operator,
        Via::Cli,
    )
    .await
    .unwrap();

    // The service, killed and restarted at twenty random moments.
    let child = Arc::new(Mutex::new(spawn(dir.path())));
    let killer = {
        let child = child.clone();
        let dir = dir.path().to_path_buf();
        tokio::spawn(async move {
            for _ in 0..20 {
                let pause = rand::rng().random_range(300..1200);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let mut running = child.lock().unwrap();
                running.kill().unwrap();
                running.wait().unwrap();
                *running = spawn(&dir);
            }
        })
    };

    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let b = batch.0;
    press(&fake, ADMINISTRASI, &format!("1|a|{b}|1")).await;
    press(&fake, ADMINISTRASI, &format!("1|m|{b}")).await;
    write_and_wait(&fake, &app, ADMINISTRASI, "26-12-2030", "Jam mulai").await;
    write_and_wait(&fake, &app, ADMINISTRASI, "09.00", "Tempat rapat").await;
    write_and_wait(
        &fake,
        &app,
        ADMINISTRASI,
        "Ruang Rapat LSP",
        "Tercatat: rapat",
    )
    .await;
    press(&fake, ADMINISTRASI, &format!("1|d|{b}|1")).await;
    press(&fake, KOMITE, &format!("1|y|{b}")).await;
    press(&fake, SERTIFIKASI, &format!("1|d|{b}|2")).await;
    press(&fake, KETUA, &format!("1|r|{b}")).await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let ids: Vec<i64> = state.participants.keys().map(|p| p.0).collect();
    for (i, id) in ids.iter().enumerate() {
        let code = if i < 3 { "k" } else { "b" };
        press(&fake, KETUA, &format!("1|{code}|{b}|{id}")).await;
    }
    press(&fake, KETUA, &format!("1|d|{b}|3")).await;
    press(&fake, KETUA, &format!("1|s|{b}")).await;
    write_and_wait(&fake, &app, KETUA, "SK/042/2026", "Tanggal SK").await;
    write_and_wait(&fake, &app, KETUA, "24-11-2026", "Tercatat: SK").await;
    press(&fake, KETUA, &format!("1|d|{b}|4")).await;
    press(&fake, ADMINISTRASI, &format!("1|d|{b}|5")).await;
    press(&fake, SERTIFIKASI, &format!("1|l|{b}")).await;
    write_and_wait(
        &fake,
        &app,
        SERTIFIKASI,
        "BNSP-000120",
        // "Tercatat: 3 nomor blangko", or, when a first answer's reply was
        // lost to a kill, that every K participant has one already.
        "nomor blangko",
    )
    .await;
    press(&fake, SERTIFIKASI, &format!("1|d|{b}|6")).await;
    press(&fake, SERTIFIKASI, &format!("1|d|{b}|7")).await;
    press(&fake, KETUA, &format!("1|d|{b}|8")).await;
    press(&fake, ADMINISTRASI, &format!("1|d|{b}|10")).await;
    press(&fake, SERTIFIKASI, &format!("1|h|{b}")).await;
    for id in &ids {
        press(&fake, SERTIFIKASI, &format!("1|t|{b}|{id}")).await;
    }
    killer.await.unwrap();

    // Let the last run deliver what is left.
    let mut conn = app.store.pool().acquire().await.unwrap();
    for _ in 0..120 {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    child.lock().unwrap().kill().unwrap();

    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished);
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(failed, 0, "every message was delivered");

    // Each participant: three emails, each Message-ID seen (a repeat after a
    // crash between the server's acceptance and our mark keeps its ID).
    let mut by_address: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for raw in inbox.lock().unwrap().iter() {
        let message = MessageParser::default().parse(raw).unwrap();
        let to = message
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        by_address
            .entry(to)
            .or_default()
            .insert(message.message_id().unwrap().to_string());
    }
    for i in 0..5 {
        assert_eq!(
            by_address[&format!("asesi{i}@example.com")].len(),
            3,
            "asesi{i}"
        );
    }
    // Every step's task reached its people.
    let tasks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM telegram_messages WHERE outbox_key LIKE 'b' || ? || ':s%:task:m%' AND outbox_key NOT LIKE '%:v%'",
    )
    .bind(b)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        tasks,
        1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1,
        "steps 1–11, step 3 to Ketua and the committee member"
    );
    // The audit log holds every step's completion; the database is sound.
    let audit = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "step_completed")
            .count(),
        10
    );
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "receipt_recorded")
            .count(),
        5
    );
    drop(conn);
    assert_eq!(app.store.integrity_check().await.unwrap(), vec!["ok"]);
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap();
    assert!(
        !log.contains("CRASH-token"),
        "the token never reaches the log"
    );
    assert!(!log.contains("panicked"), "{log}");
}
