//! The real `sertibot run` as a child process, against the stand-in Bot API
//! and (when the test starts one) a real SMTP server: its folder, its staff,
//! one batch of five participants, and the presses and entries staff make
//! in chat to take the batch through the whole SOP.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use sertibot::app::{App, Via};
use sertibot::clock::SystemClock;
use sertibot::config::Config;
use sertibot::domain::{BatchId, TelegramUserId};
use sertibot::workflow::Actor;

use super::fake_telegram::FakeTelegram;

pub const BIN: &str = env!("CARGO_BIN_EXE_sertibot");
pub const TOKEN: &str = "424242:CHILD-token";
pub const KETUA: i64 = 2001;
pub const SERTIFIKASI: i64 = 2002;
pub const ADMINISTRASI: i64 = 2003;
/// The first committee member's Telegram id; the others follow it.
pub const KOMITE: i64 = 3000;

/// A folder with a configuration, a database with staff and a batch, and
/// the service running on it as a child process.
pub struct Running {
    pub dir: tempfile::TempDir,
    pub fake: FakeTelegram,
    pub app: App,
    pub batch: BatchId,
    pub smtp_port: u16,
    pub child: Arc<Mutex<Child>>,
    /// The service's RUST_LOG.
    pub rust_log: &'static str,
    /// Webhook mode: where the service takes posted updates.
    pub webhook: Option<String>,
}

/// Starts the service for a staff of Ketua LSP, Kabag Sertifikasi, Kabag
/// Administrasi and `committee` Komite Teknis members (the first with an
/// email address), with a batch of five participants not yet started.
pub async fn start(committee: usize, smtp_port: u16) -> Running {
    start_logging(
        committee,
        smtp_port,
        "info,sertibot::telegram::delivery=debug",
    )
    .await
}

/// [`start`], with the service logging at `rust_log` (RUST_LOG's syntax).
pub async fn start_logging(committee: usize, smtp_port: u16, rust_log: &'static str) -> Running {
    start_with(committee, smtp_port, rust_log, String::new()).await
}

/// The secret the webhook tests configure.
pub const WEBHOOK_SECRET: &str = "test-webhook_Secret-0123456789-abcdefghij";

/// [`start`] in webhook mode: the service listens on a free port of
/// 127.0.0.1 (its address and path in [`Running::webhook`]), and the
/// stand-in posts every update there as Telegram would.
pub async fn start_webhook(committee: usize, smtp_port: u16) -> Running {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut running = start_with(
        committee,
        smtp_port,
        "info,sertibot::telegram::delivery=debug",
        format!(
            "mode = \"webhook\"\n[telegram.webhook]\nurl = \"https://lsp.example.ac.id/tg/hook\"\nlisten = \"127.0.0.1:{port}\"\nsecret = \"{WEBHOOK_SECRET}\"\n"
        ),
    )
    .await;
    let target = format!("http://127.0.0.1:{port}/tg/hook");
    running.fake.post_updates_to(target.clone());
    running.webhook = Some(target);
    running
}

/// [`start_logging`], with lines added to the config's `[telegram]` table.
pub async fn start_with(
    committee: usize,
    smtp_port: u16,
    rust_log: &'static str,
    telegram: String,
) -> Running {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sertibot.toml"),
        format!(
            "[database]\npath = \"sertibot.db\"\n[telegram]\nbot_username = \"lsp_test_bot\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n{telegram}\
             [mail]\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\nfrom = \"LSP STMI <lsp@stmi.example.ac.id>\"\n[calendar]\nmode = \"wall-clock\"\n",
            fake.url
        ),
    )
    .unwrap();
    let config = Config::load(Some(&dir.path().join("sertibot.toml")), |name| {
        (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())
    })
    .unwrap();
    let app = App::open(config, Arc::new(SystemClock)).await.unwrap();

    // The staff, registered as if they had opened their links.
    let people = crate::common::staff(committee);
    let tokens = crate::common::add_people(&app, &people).await;
    let users = [KETUA, SERTIFIKASI, ADMINISTRASI]
        .into_iter()
        .chain((0..).map(|i| KOMITE + i));
    for (token, user) in tokens.iter().zip(users) {
        app.redeem(token, TelegramUserId(user)).await.unwrap();
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
        crate::common::participants_csv(5).as_bytes(),
        &Actor::Operator,
        Via::Cli,
    )
    .await
    .unwrap();
    let child = Arc::new(Mutex::new(spawn(dir.path(), rust_log)));
    Running {
        dir,
        fake,
        app,
        batch,
        smtp_port,
        child,
        rust_log,
        webhook: None,
    }
}

/// Starts `sertibot run` in `dir`, its log appended to `service.log`.
pub fn spawn(dir: &Path, rust_log: &str) -> Child {
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
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

impl Running {
    /// Kills the service with SIGKILL and starts it again.
    pub fn kill_and_restart(&self) {
        let mut running = self.child.lock().unwrap();
        running.kill().unwrap();
        running.wait().unwrap();
        *running = spawn(self.dir.path(), self.rust_log);
    }

    /// Starts the batch and waits until step 1's task reached Kabag
    /// Administrasi: the service is up and handling.
    pub async fn start_the_batch(&self) {
        self.app
            .start_batch(self.batch, &Actor::Operator, Via::Cli)
            .await
            .unwrap();
        self.fake
            .until("step 1's task", |f| {
                f.sent_to(ADMINISTRASI)
                    .iter()
                    .any(|(_, text, _)| text.contains("Langkah 1"))
            })
            .await;
    }

    /// Makes every outbox row whose key matches `glob` fail to be written
    /// (as a full disk would), until the trigger `name` is dropped.
    pub async fn fail_outbox_rows(&self, name: &str, glob: &str) {
        // The test's own constant names, not anyone's input.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON outbox WHEN NEW.key GLOB '{glob}'
             BEGIN SELECT RAISE(ABORT, 'no room for this row'); END"
        )))
        .execute(self.app.store.pool())
        .await
        .unwrap();
    }

    /// How many times the service's log holds `needle`, once it holds it
    /// at least `times` (waiting up to a minute).
    pub async fn logged(&self, needle: &str, times: usize) -> usize {
        for _ in 0..600 {
            if self.log().matches(needle).count() >= times {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.log().matches(needle).count()
    }

    /// Starts the service again after [`Running::kill`].
    pub fn restart(&self) {
        *self.child.lock().unwrap() = spawn(self.dir.path(), self.rust_log);
    }

    /// Kills the service for good (or until [`Running::restart`]).
    pub fn kill(&self) {
        let mut running = self.child.lock().unwrap();
        let _ = running.kill();
        let _ = running.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("sertibot.db")
    }

    /// Waits until no outbox row is pending: true when none is. The
    /// ceiling is derived from the work, far above what it should take:
    /// a minute, plus a second for each row pending at the start (one
    /// chat's pace; Telegram allows 30 a second across chats), so a slow
    /// or loaded machine does not fail a test that a fast one passes.
    pub async fn drained(&self) -> bool {
        let mut conn = self.app.store.pool().acquire().await.unwrap();
        const PENDING: &str = "SELECT COUNT(*) FROM outbox WHERE status = 'pending'";
        let at_start: i64 = sqlx::query_scalar(PENDING)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let ceiling = Duration::from_secs(60 + at_start.max(0) as u64);
        let deadline = std::time::Instant::now() + ceiling;
        loop {
            let pending: i64 = sqlx::query_scalar(PENDING)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            if pending == 0 {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Step 1: Kabag Administrasi acknowledges, records the meeting and
    /// finishes the step, which sends the committee its invitation.
    pub async fn invite_the_committee(&self) {
        let (fake, app, b) = (&self.fake, &self.app, self.batch.0);
        press(fake, ADMINISTRASI, &format!("1|a|{b}|1")).await;
        press(fake, ADMINISTRASI, &format!("1|m|{b}")).await;
        // A month ahead: a meeting is in the future and within a year.
        let day = (chrono::Utc::now() + chrono::Duration::days(30)).format("%d-%m-%Y");
        write_and_wait(fake, app, ADMINISTRASI, &day.to_string(), "Jam mulai").await;
        write_and_wait(fake, app, ADMINISTRASI, "09.00", "Tempat rapat").await;
        write_and_wait(
            fake,
            app,
            ADMINISTRASI,
            "Ruang Rapat LSP",
            "Tercatat: rapat",
        )
        .await;
        press(fake, ADMINISTRASI, &format!("1|d|{b}|1")).await;
    }

    /// Every step after the invitation, as staff would do them in chat:
    /// three participants K and two BK, the decree, blank numbers, the
    /// handover and every receipt.
    pub async fn finish_the_batch(&self) {
        let (fake, app, b) = (&self.fake, &self.app, self.batch.0);
        press(fake, KOMITE, &format!("1|y|{b}")).await;
        press(fake, SERTIFIKASI, &format!("1|d|{b}|2")).await;
        press(fake, KETUA, &format!("1|r|{b}")).await;
        let ids = self.participant_ids().await;
        for (i, id) in ids.iter().enumerate() {
            let code = if i < 3 { "k" } else { "b" };
            press(fake, KETUA, &format!("1|{code}|{b}|{id}")).await;
        }
        self.hold_the_meeting_now().await;
        press(fake, KETUA, &format!("1|d|{b}|3")).await;
        press(fake, KETUA, &format!("1|s|{b}")).await;
        write_and_wait(fake, app, KETUA, "SK/042/2026", "Tanggal SK").await;
        write_and_wait(fake, app, KETUA, "24-11-2026", "Tercatat: SK").await;
        press(fake, KETUA, &format!("1|d|{b}|4")).await;
        press(fake, ADMINISTRASI, &format!("1|d|{b}|5")).await;
        press(fake, SERTIFIKASI, &format!("1|l|{b}")).await;
        write_and_wait(
            fake,
            app,
            SERTIFIKASI,
            "BNSP-000120",
            // "Tercatat: 3 nomor blangko", or, when a first answer's reply
            // was lost to a kill, that every K participant has one already.
            "nomor blangko",
        )
        .await;
        press(fake, SERTIFIKASI, &format!("1|d|{b}|6")).await;
        press(fake, SERTIFIKASI, &format!("1|d|{b}|7")).await;
        press(fake, KETUA, &format!("1|d|{b}|8")).await;
        press(fake, ADMINISTRASI, &format!("1|d|{b}|10")).await;
        press(fake, SERTIFIKASI, &format!("1|h|{b}")).await;
        for id in &ids {
            // Open when the participant arrives, then the receipt.
            press(fake, SERTIFIKASI, &format!("1|o|{b}|{id}")).await;
            press(fake, SERTIFIKASI, &format!("1|t|{b}|{id}")).await;
        }
    }

    /// The plenary is held now, earlier than its invitation said: Kabag
    /// Administrasi moves the meeting to this minute (`/ubahrapat`), after
    /// which it may be closed (a plenary is never closed before it begins).
    pub async fn hold_the_meeting_now(&self) {
        let (fake, app, b) = (&self.fake, &self.app, self.batch.0);
        let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Jakarta);
        let command = format!("/ubahrapat {b}");
        write_and_wait(fake, app, ADMINISTRASI, &command, "Tanggal rapat").await;
        let date = now.format("%d-%m-%Y").to_string();
        write_and_wait(fake, app, ADMINISTRASI, &date, "Jam mulai").await;
        let time = now.format("%H.%M").to_string();
        write_and_wait(fake, app, ADMINISTRASI, &time, "Tempat rapat").await;
        write_and_wait(fake, app, ADMINISTRASI, "Ruang Rapat LSP", "rapat dipindah").await;
    }

    /// The batch's participants' ids, in the order they were imported.
    pub async fn participant_ids(&self) -> Vec<i64> {
        let (_, state, _) = self.app.batch(self.batch).await.unwrap();
        state.participants.keys().map(|p| p.0).collect()
    }
}

/// Waits up to `seconds` for `check`; whether it held.
pub async fn within(
    fake: &FakeTelegram,
    seconds: u64,
    check: impl Fn(&FakeTelegram) -> bool,
) -> bool {
    for _ in 0..seconds * 10 {
        if check(fake) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check(fake)
}

/// Presses the newest button in `user`'s chat starting with `prefix` until
/// it is answered, and returns the answer (its text, and whether it was an
/// alert). An update can be lost when the service dies right after
/// Telegram was told it was received; a person whose press got no answer
/// presses again, and the workflow makes a repeat harmless.
pub async fn press(fake: &FakeTelegram, user: i64, prefix: &str) -> (String, bool) {
    fake.until(&format!("button {prefix} for {user}"), |f| {
        f.button(user, prefix).is_some()
    })
    .await;
    for _ in 0..10 {
        let (message, data) = fake.button(user, prefix).unwrap();
        let before = fake.toasts().len();
        fake.press(user, user, message, &data);
        if within(fake, 8, |f| f.toasts().len() > before).await {
            return fake.toasts()[before].clone();
        }
    }
    panic!("{prefix} was never answered");
}

/// Types `text` in a conversation and waits for `expect`; types it again
/// only if the conversation did not move on (the update was lost).
pub async fn write_and_wait(fake: &FakeTelegram, app: &App, user: i64, text: &str, expect: &str) {
    let waiting_for = || async {
        app.conversation(TelegramUserId(user), user)
            .await
            .unwrap()
            .map(|c: serde_json::Value| c["awaiting"].to_string())
    };
    let before = waiting_for().await;
    // Only messages sent after the text was written count as its answer
    // (an earlier task message may hold the same words).
    let seen = fake.sent_to(user).last().map_or(0, |(id, _, _)| *id);
    let answered = |f: &FakeTelegram| {
        f.sent_to(user)
            .iter()
            .any(|(id, t, _)| *id > seen && t.contains(expect))
    };
    for _ in 0..10 {
        fake.write(user, user, text);
        if within(fake, 8, answered).await {
            return;
        }
        if waiting_for().await != before {
            // Handled; the answer is on its way.
            fake.until(&format!("'{expect}'"), answered).await;
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

impl Drop for Running {
    /// A failing test shows the end of the service's log.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!("the service's log, last lines:\n{tail}");
        }
    }
}
