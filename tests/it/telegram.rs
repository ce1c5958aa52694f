//! The bot with the real teloxide client over real HTTP against a stand-in
//! Bot API on 127.0.0.1: registration, a whole batch by presses and
//! entries, strangers and wrong roles, double presses, re-delivered
//! updates, 429, 403, and a restart in the middle of a conversation.

use crate::{common, support};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use common::{config_in, participants_csv};
use sertibot::app::{App, Via};
use sertibot::clock::ManualClock;
use sertibot::domain::{BatchId, Role, RoleSet};
use sertibot::service::Service;
use sertibot::store::Store;
use sertibot::workflow::{Actor, BatchStatus, HandoverStage};
use support::fake_telegram::FakeTelegram;
use support::service::press;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const KETUA: i64 = 1001;
const SERTIFIKASI: i64 = 1002;
const ADMINISTRASI: i64 = 1003;
const KOMITE: i64 = 1004;
const KOMITE_2: i64 = 1005;
const STRANGER: i64 = 6666;

/// The service running against the stand-in, on one database.
struct Running {
    app: Arc<App>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

struct World {
    fake: FakeTelegram,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        // Every test of this file logs at debug level into one buffer, which
        // the whole batch's test reads for personal data.
        debug_logs();
        let fake = FakeTelegram::start().await;
        World {
            fake,
            clock: Arc::new(ManualClock::new(common::monday_morning())),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn app(&self) -> App {
        let config = config_in(
            self.dir.path(),
            &format!(
                "token = \"123456:TEST-token-never-logged\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n",
                self.fake.url
            ),
        );
        App::open(config, self.clock.clone()).await.unwrap()
    }

    async fn start(&self) -> Running {
        let app = Arc::new(self.app().await);
        let bot = sertibot::telegram::bot(&app.config.telegram).unwrap();
        let service = Service {
            app: app.clone(),
            bot,
            clock: self.clock.clone(),
            intake: sertibot::config::IntakeMode::Polling {
                timeout: Duration::from_secs(1),
            },
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            service
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Running { app, stop, task }
    }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the service stops within 10 s")
            .unwrap();
    }
}

/// Adds the staff and registers each in Telegram through /start.
async fn register_staff(world: &World, app: &App) {
    let people = common::staff(2);
    let tokens = common::add_people(app, &people).await;
    let users = [KETUA, SERTIFIKASI, ADMINISTRASI, KOMITE, KOMITE_2];
    for ((person, token), user) in people.iter().zip(tokens).zip(users) {
        world.fake.write(user, user, &format!("/start {token}"));
        world
            .fake
            .until(&format!("{} is welcomed", person.name), |f| {
                f.sent_to(user)
                    .iter()
                    .any(|(_, t, _)| t.starts_with("Selamat datang"))
            })
            .await;
    }
}

/// Every log line of this test process, from the first world made on, at
/// debug level (as `RUST_LOG=debug` would write them).
fn debug_logs() -> Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        logs
    })
    .clone()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The five participants' NIKs (in the list [`batch_of_five`] imports).
fn nik(i: usize) -> String {
    format!("31710112345678{i:02}")
}

async fn batch_of_five(app: &App) -> BatchId {
    let batch = app
        .create_batch(
            "Operator Mesin Produksi",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            Some("TUK STMI"),
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    // With each one's NIK, which must never reach a log line.
    let csv: String = participants_csv(5)
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},nik\n"),
            _ => format!("{line},{}\n", nik(i - 1)),
        })
        .collect();
    app.import_participants(batch, csv.as_bytes(), &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    batch
}

/// Writes `text` and waits for the bot's next message in that chat.
async fn say(fake: &FakeTelegram, user: i64, text: &str) -> String {
    let before = fake.sent_to(user).len();
    fake.write(user, user, text);
    fake.until(&format!("a reply to '{text}'"), |f| {
        f.sent_to(user).len() > before
    })
    .await;
    fake.sent_to(user).last().unwrap().1.clone()
}

/// The buttons (each one's kind: the callback data's second field) under
/// the newest message to `user` containing `text`.
fn buttons_under(fake: &FakeTelegram, user: i64, text: &str) -> Vec<String> {
    let (_, _, markup) = fake
        .sent_to(user)
        .into_iter()
        .rev()
        .find(|(_, t, _)| t.contains(text))
        .unwrap_or_else(|| panic!("no message with '{text}' for {user}"));
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row.as_array())
        .flatten()
        .filter_map(|b| b["callback_data"].as_str())
        .map(|d| d.split('|').nth(1).unwrap_or_default().to_string())
        .collect()
}

/// The newest message to `user` containing `text`.
fn newest_text(fake: &FakeTelegram, user: i64, text: &str) -> String {
    fake.sent_to(user)
        .into_iter()
        .rev()
        .find(|(_, t, _)| t.contains(text))
        .map(|(_, t, _)| t)
        .unwrap_or_else(|| panic!("no message with '{text}' for {user}"))
}

async fn last_text(fake: &FakeTelegram, user: i64, contains: &str) {
    fake.until(&format!("'{contains}' for {user}"), |f| {
        f.sent_to(user).iter().any(|(_, t, _)| t.contains(contains))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_refuses_strangers_and_bad_links() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;

    assert_eq!(
        say(fake, STRANGER, "/tugas").await,
        "Maaf, bot ini hanya melayani staf LSP yang terdaftar."
    );
    assert_eq!(
        say(fake, STRANGER, "/start 0123456789abcdef").await,
        "Tautan pendaftaran ini tidak dikenal. Mintalah tautan baru kepada operator sertibot."
    );
    let roles: RoleSet = [Role::KomiteTeknis].into();
    let added = app.add_member("Rina Kusuma", &roles, None).await.unwrap();
    let reply = say(fake, KOMITE_2, &format!("/start {}", added.token.token)).await;
    assert!(reply.starts_with("Selamat datang, Rina Kusuma."), "{reply}");
    // The same link again, from the same account: already registered.
    assert_eq!(
        say(fake, KOMITE_2, &format!("/start {}", added.token.token)).await,
        "Anda sudah terdaftar sebagai Rina Kusuma."
    );
    // Someone else with the used link is refused.
    assert!(
        say(fake, STRANGER, &format!("/start {}", added.token.token))
            .await
            .contains("sudah dipakai")
    );
    // An expired link.
    let late = app.add_member("Made", &roles, None).await.unwrap();
    world.clock.advance(chrono::Duration::hours(73));
    assert!(
        say(fake, KOMITE, &format!("/start {}", late.token.token))
            .await
            .contains("kedaluwarsa")
    );
    // A stranger's button press is refused and changes nothing.
    fake.press(STRANGER, STRANGER, 1, "1|a|1|1");
    fake.until("the stranger's answer", |f| !f.toasts().is_empty())
        .await;
    assert_eq!(
        fake.toasts()[0],
        (
            "Maaf, bot ini hanya melayani staf LSP yang terdaftar.".to_string(),
            true
        )
    );

    let mut conn = app.store.pool().acquire().await.unwrap();
    let strangers = Store::audit_of(&mut conn, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.actor == "stranger")
        .count();
    assert!(strangers >= 5, "{strangers}");
    // The token never reaches the stand-in's bodies or our answers' texts.
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.body.to_string().contains("TEST-token"))
    );
    drop(conn);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_batch_is_run_from_telegram() {
    let logs = debug_logs();
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();

    // Step 1: Kabag Administrasi gets the task, acknowledges, sets the meeting, finishes.
    last_text(
        fake,
        ADMINISTRASI,
        "Langkah 1: Membuat undangan rapat komite teknis",
    )
    .await;
    assert_eq!(
        press(fake, ADMINISTRASI, &format!("1|a|{batch}|1")).await.0,
        "Tercatat: Anda mengerjakan langkah 1."
    );
    assert_eq!(
        press(fake, ADMINISTRASI, &format!("1|a|{batch}|1")).await.0,
        "Sudah tercatat sebelumnya."
    );
    last_text(fake, ADMINISTRASI, "✋ Dikerjakan: Siti Rahmawati").await;
    press(fake, ADMINISTRASI, &format!("1|m|{batch}")).await;
    last_text(fake, ADMINISTRASI, "Tanggal rapat komite teknis?").await;
    assert_eq!(
        say(fake, ADMINISTRASI, "besok").await,
        "Tanggal tidak dikenali. Tulis seperti 25-11-2026."
    );
    assert_eq!(
        say(fake, ADMINISTRASI, "30-02-2027").await,
        "Tanggal itu tidak ada di kalender (misalnya 30 Februari). Periksa hari dan bulannya, lalu tulis lagi, misalnya 25-11-2026."
    );
    assert!(
        say(fake, ADMINISTRASI, "26-11-2026")
            .await
            .starts_with("Jam mulai rapat")
    );
    assert!(
        say(fake, ADMINISTRASI, "09.00")
            .await
            .starts_with("Tempat rapat")
    );
    let reply = say(fake, ADMINISTRASI, "Ruang Rapat LSP <Gedung B>").await;
    assert!(
        reply.contains("Kamis, 26 November 2026 pukul 09.00 WIB")
            && reply.contains("Ruang Rapat LSP &lt;Gedung B&gt;"),
        "{reply}"
    );
    assert_eq!(
        press(fake, ADMINISTRASI, &format!("1|d|{batch}|1")).await.0,
        "Tercatat: langkah 1 selesai."
    );
    // Repeats are calm: a second "done" is a note like a second "on it", not an alert.
    assert_eq!(
        press(fake, ADMINISTRASI, &format!("1|d|{batch}|1")).await,
        ("Sudah tercatat sebelumnya.".to_string(), false)
    );
    assert_eq!(
        press(fake, ADMINISTRASI, &format!("1|a|{batch}|1")).await,
        ("Sudah tercatat sebelumnya.".to_string(), false)
    );

    // The invitation reaches Ketua and both committee members; they answer.
    for user in [KETUA, KOMITE, KOMITE_2] {
        last_text(fake, user, "Undangan Rapat Komite Teknis").await;
    }
    assert_eq!(
        press(fake, KOMITE, &format!("1|y|{batch}")).await.0,
        "Tercatat: Anda akan hadir. Terima kasih."
    );
    press(fake, KOMITE_2, &format!("1|n|{batch}")).await;
    last_text(
        fake,
        KOMITE_2,
        "Mohon tuliskan alasan Anda tidak dapat hadir.",
    )
    .await;
    assert_eq!(
        say(fake, KOMITE_2, "Dinas luar kota").await,
        "Tercatat: Anda tidak dapat hadir."
    );
    last_text(
        fake,
        ADMINISTRASI,
        "Hadir 1, tidak hadir 1, belum menjawab 1",
    )
    .await;

    // Step 2, then the meeting: results entered with the K/BK keyboard.
    last_text(fake, SERTIFIKASI, "Langkah 2:").await;
    // A problem on the way reaches Ketua LSP.
    press(fake, SERTIFIKASI, &format!("1|p|{batch}|2")).await;
    last_text(fake, SERTIFIKASI, "Tuliskan kendala pada langkah 2").await;
    assert_eq!(
        say(
            fake,
            SERTIFIKASI,
            "Berita acara asesmen belum ditandatangani asesor"
        )
        .await,
        "Terima kasih. Laporan kendala sudah diteruskan ke Ketua LSP."
    );
    last_text(
        fake,
        KETUA,
        "Berita acara asesmen belum ditandatangani asesor",
    )
    .await;
    press(fake, SERTIFIKASI, &format!("1|d|{batch}|2")).await;
    last_text(fake, KETUA, "Langkah 3:").await;

    // Step 3 is timed from the meeting (Thursday), not from Tuesday's "done".
    let card = newest_text(fake, KETUA, "Langkah 3:");
    assert!(
        card.contains(
            "Waktu dihitung mulai: Kamis, 26 November 2026 pukul 09.00 WIB (saat rapat dimulai)"
        ) && card.contains("Batas waktu: <b>Kamis, 26 November 2026 pukul 12.00 WIB</b>"),
        "{card}"
    );
    let (_, state, _) = app.batch(batch).await.unwrap();
    let now = common::monday_morning();
    assert!(
        !state
            .run(sertibot::sop::StepNo(3))
            .is_overdue(now + chrono::Duration::days(2))
    );
    // Each reader gets only the buttons they may press, and reads who finishes.
    last_text(fake, SERTIFIKASI, "Langkah 3:").await;
    last_text(fake, KOMITE, "Langkah 3:").await;
    last_text(fake, KOMITE_2, "Langkah 3:").await;
    assert_eq!(
        buttons_under(fake, KETUA, "Langkah 3:"),
        ["a", "d", "r", "v", "p"]
    );
    assert_eq!(buttons_under(fake, KOMITE, "Langkah 3:"), ["a", "p"]);
    // Kabag Sertifikasi enters the results and keeps the attendance but is
    // not one of the step's people.
    assert_eq!(buttons_under(fake, SERTIFIKASI, "Langkah 3:"), ["r", "v"]);
    let komite = newest_text(fake, KOMITE, "Langkah 3:");
    assert!(
        komite.contains("Diselesaikan oleh: Ketua LSP")
            && komite.contains("Ikut serta: Komite Teknis")
            && komite.contains("Langkah ini diselesaikan oleh Ketua LSP."),
        "{komite}"
    );
    // The invitee who declined is not asked to take the step on.
    assert_eq!(
        buttons_under(fake, KOMITE_2, "Langkah 3:"),
        Vec::<String>::new()
    );
    assert!(
        newest_text(fake, KOMITE_2, "Langkah 3:").contains("Anda menyatakan tidak dapat hadir")
    );
    assert!(
        press(fake, KETUA, &format!("1|d|{batch}|3"))
            .await
            .0
            .contains("5 peserta belum punya hasil K/BK")
    );
    press(fake, KETUA, &format!("1|r|{batch}")).await;
    last_text(fake, KETUA, "Hasil K/BK · batch").await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let ids: Vec<i64> = state.participants.keys().map(|p| p.0).collect();
    for (i, id) in ids.iter().enumerate() {
        let code = if i < 3 { "k" } else { "b" };
        let toast = press(fake, KETUA, &format!("1|{code}|{batch}|{id}"))
            .await
            .0;
        assert!(toast.starts_with("Tercatat: "), "{toast}");
    }
    last_text(fake, KETUA, "5. Yohana Fransiska Manurung: <b>BK</b>").await;
    // The plenary is not closed before its meeting begins (Thursday 09.00).
    let early = press(fake, KETUA, &format!("1|d|{batch}|3")).await.0;
    assert!(
        early.starts_with("Rapat baru dimulai Kamis, 26 November 2026 pukul 09.00 WIB"),
        "{early}"
    );
    // Nor is attendance kept before it begins.
    let early = press(fake, KETUA, &format!("1|v|{batch}")).await;
    assert_eq!(
        early,
        (
            "Daftar hadir rapat pleno (langkah 3) diisi setelah rapat dimulai, Kamis, 26 November 2026 pukul 09.00 WIB, selama langkah itu belum selesai.".to_string(),
            true
        )
    );
    world
        .clock
        .set(common::monday_morning() + chrono::Duration::days(2) + chrono::Duration::hours(1));
    // At the meeting Ketua LSP checks who came, prefilled from the answers:
    // the chair, and the member who said yes. Rina, who had declined, came
    // after all.
    press(fake, KETUA, &format!("1|v|{batch}")).await;
    last_text(fake, KETUA, "Daftar hadir rapat pleno · batch").await;
    let checklist = newest_text(fake, KETUA, "Daftar hadir rapat pleno · batch");
    assert!(
        checklist.contains("✅ Dr. Hendra Wijaya (pimpinan rapat): hadir, sebagai pimpinan")
            && checklist.contains("✅ Ir. Made Sudarsana: hadir, menurut jawaban undangan")
            && checklist.contains("⬜ Rina Kusuma: tidak hadir, menurut jawaban undangan")
            && checklist.contains("Hadir 2 dari 3 undangan."),
        "{checklist}"
    );
    let rina = app
        .members()
        .await
        .unwrap()
        .into_iter()
        .find(|(m, _)| m.name == "Rina Kusuma")
        .unwrap()
        .0
        .id;
    assert_eq!(
        press(fake, KETUA, &format!("1|x|{batch}|{rina}|1")).await,
        (
            "Tercatat: Rina Kusuma hadir dalam rapat pleno.".to_string(),
            false
        )
    );
    fake.until("the checklist shows Rina present", |f| {
        f.sent_to(KETUA)
            .iter()
            .any(|(_, t, _)| t.contains("✅ Rina Kusuma: hadir") && t.contains("Hadir 3 dari 3"))
    })
    .await;
    // A forged button for someone not invited (Kabag Administrasi) marks nobody.
    let siti = app
        .members()
        .await
        .unwrap()
        .into_iter()
        .find(|(m, _)| m.name == "Siti Rahmawati")
        .unwrap()
        .0
        .id;
    let (checklist_id, _, _) = fake
        .sent_to(KETUA)
        .into_iter()
        .rev()
        .find(|(_, t, _)| t.contains("Daftar hadir rapat pleno · batch"))
        .unwrap();
    let before = fake.toasts().len();
    fake.press(KETUA, KETUA, checklist_id, &format!("1|x|{batch}|{siti}|1"));
    fake.until("the forged press is answered", |f| {
        f.toasts().len() > before
    })
    .await;
    assert_eq!(
        fake.toasts()[before],
        (
            "Anggota itu tidak diundang ke rapat pleno batch ini.".to_string(),
            true
        )
    );
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert!(
        !state.attendance.contains_key(&siti),
        "{:?}",
        state.attendance
    );
    press(fake, KETUA, &format!("1|d|{batch}|3")).await;
    // Once the plenary is over, attendance stays as it was marked.
    let late = press(fake, KETUA, &format!("1|x|{batch}|{rina}|0")).await;
    assert!(late.1, "{late:?}");

    // Step 4: the decree in a short conversation.
    press(fake, KETUA, &format!("1|s|{batch}")).await;
    last_text(fake, KETUA, "Nomor SK Penetapan Hasil Asesmen?").await;
    // (Waiting for each answer by its words: the two mornings passed on
    // the way to the meeting brought Ketua LSP their daily summaries.)
    fake.write(KETUA, KETUA, "SK/LSP-STMI/042/XI/2026");
    last_text(fake, KETUA, "Tanggal SK?").await;
    // The date is said back in words.
    fake.write(KETUA, KETUA, "24-11-2026");
    last_text(
        fake,
        KETUA,
        "Tercatat: SK nomor SK/LSP-STMI/042/XI/2026 tanggal 24 November 2026.",
    )
    .await;
    press(fake, KETUA, &format!("1|d|{batch}|4")).await;

    // Both branches: the BK letters, and the K certificates. Each card
    // lists the participants it is about.
    last_text(fake, ADMINISTRASI, "Langkah 5:").await;
    let bk_card = newest_text(fake, ADMINISTRASI, "Langkah 5:");
    assert!(
        bk_card.contains("Peserta belum kompeten (BK):")
            && bk_card.contains("• Bagus Setiawan (REG-00003)")
            && bk_card.contains("• Yohana Fransiska Manurung (REG-00004)")
            && !bk_card.contains("Ni Komang"),
        "{bk_card}"
    );
    last_text(fake, SERTIFIKASI, "Langkah 6:").await;
    let k_card = newest_text(fake, SERTIFIKASI, "Langkah 6:");
    assert!(
        k_card.contains("Peserta kompeten (K):")
            && k_card
                .contains("• Ni Komang Ayu Widyastuti (REG-00000) · nomor blangko belum dicatat")
            && !k_card.contains("Bagus"),
        "{k_card}"
    );
    press(fake, ADMINISTRASI, &format!("1|d|{batch}|5")).await;
    // Kabag Sertifikasi hears the BK letters are ready to hand over.
    last_text(fake, SERTIFIKASI, "Dokumen siap diserahkan").await;
    press(fake, SERTIFIKASI, &format!("1|l|{batch}")).await;
    last_text(fake, SERTIFIKASI, "Nomor blangko untuk 3 peserta kompeten").await;
    assert_eq!(
        say(fake, SERTIFIKASI, "BNSP-000120").await,
        "Tercatat: 3 nomor blangko."
    );
    // The card shows the numbers at once, without waiting for another press.
    fake.until("step 6's card shows the blank numbers", |f| {
        f.sent_to(SERTIFIKASI).iter().any(|(_, t, _)| {
            t.contains("Langkah 6:")
                && t.contains("• Ni Komang Ayu Widyastuti (REG-00000) · blangko BNSP-000120")
                && !t.contains("nomor blangko belum dicatat")
        })
    })
    .await;
    press(fake, SERTIFIKASI, &format!("1|d|{batch}|6")).await;
    press(fake, SERTIFIKASI, &format!("1|d|{batch}|7")).await;
    last_text(fake, KETUA, "Langkah 8:").await;
    let sign_card = newest_text(fake, KETUA, "Langkah 8:");
    assert!(
        sign_card.contains("• Ma'ruf Amin (REG-00001) · blangko BNSP-000121"),
        "{sign_card}"
    );
    press(fake, KETUA, &format!("1|d|{batch}|8")).await;
    press(fake, ADMINISTRASI, &format!("1|d|{batch}|10")).await;
    // After step 10, the K certificates are ready: Kabag Sertifikasi is told which.
    last_text(
        fake,
        SERTIFIKASI,
        "• Ni Komang Ayu Widyastuti (REG-00000) · sertifikat, blangko BNSP-000120",
    )
    .await;

    // Step 11: the handover is opened when the participant arrives, then
    // the receipt: in person, by courier, or through a representative.
    let handover_card = newest_text(fake, SERTIFIKASI, "Langkah 11:");
    assert!(
        handover_card.contains("Daftar serah terima") && !handover_card.contains("Saya kerjakan"),
        "{handover_card}"
    );
    assert_eq!(buttons_under(fake, SERTIFIKASI, "Langkah 11:"), ["h", "p"]);
    press(fake, SERTIFIKASI, &format!("1|h|{batch}")).await;
    for (i, id) in ids.iter().enumerate() {
        let (toast, alert) = press(fake, SERTIFIKASI, &format!("1|o|{batch}|{id}")).await;
        assert!(
            toast.contains("dibuka; waktunya mulai dihitung") && !alert,
            "{toast}"
        );
        let (_, state, _) = app.batch(batch).await.unwrap();
        let p = &state.participants[&sertibot::domain::ParticipantId(*id)];
        assert_eq!(p.handover.stage(), HandoverStage::Open);
        assert!(p.handover.due_at.is_some(), "the handover's clock runs");
        match i {
            0 => {
                press(fake, SERTIFIKASI, &format!("1|c|{batch}|{id}")).await;
                last_text(
                    fake,
                    SERTIFIKASI,
                    "Nomor resi pengiriman kurir untuk Ni Komang",
                )
                .await;
                assert_eq!(
                    say(fake, SERTIFIKASI, "JNE 0123456789").await,
                    "Tercatat: tanda terima Ni Komang Ayu Widyastuti, dikirim lewat kurir (resi JNE 0123456789)."
                );
            }
            1 => {
                press(fake, SERTIFIKASI, &format!("1|w|{batch}|{id}")).await;
                last_text(fake, SERTIFIKASI, "Nama penerima kuasa").await;
                // An empty answer is refused and asked again.
                assert_eq!(
                    say(fake, SERTIFIKASI, "   ").await,
                    "Nama penerima kuasa tidak boleh kosong."
                );
                assert_eq!(
                    say(fake, SERTIFIKASI, "Siti Aminah").await,
                    "Tercatat: tanda terima Ma'ruf Amin, diterima oleh Siti Aminah sebagai penerima kuasa."
                );
            }
            _ => {
                let toast = press(fake, SERTIFIKASI, &format!("1|t|{batch}|{id}"))
                    .await
                    .0;
                assert!(toast.starts_with("Tercatat: tanda terima"), "{toast}");
            }
        }
    }
    // The batch is finished: Ketua LSP and Kabag Sertifikasi are told, with
    // the lead time; the handover card loses its buttons.
    for user in [KETUA, SERTIFIKASI] {
        last_text(fake, user, "Batch #1 selesai").await;
        let notice = newest_text(fake, user, "Batch #1 selesai");
        assert!(
            notice.contains("5 peserta: 3 K, 2 BK; 1 lewat kurir; 1 lewat penerima kuasa")
                // (The batch ran on past Thursday's plenary.)
                && notice.contains("Waktu dari asesmen (20 November 2026) sampai tanda terima terakhir: 6 hari (4 hari kerja)."),
            "{notice}"
        );
    }
    fake.until("the handover card loses its buttons", |f| {
        buttons_under(f, SERTIFIKASI, "Langkah 11:").is_empty()
    })
    .await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished, "{state:?}");
    assert!(
        state
            .participants
            .values()
            .all(|p| p.handover.stage() == HandoverStage::Received)
    );
    assert_eq!(
        state.participants[&state.participants.keys().next().copied().unwrap()]
            .blank_number
            .as_deref(),
        Some("BNSP-000120")
    );

    // Every participant's emails are queued; no message to staff carried a verdict's email.
    let mut conn = app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    for i in 0..5 {
        let address = format!("asesi{i}@example.com");
        let mails = rows
            .iter()
            .filter(|r| r.address.as_deref() == Some(address.as_str()))
            .count();
        assert_eq!(mails, 3, "{address}");
    }
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.body.to_string().contains("asesi0@example.com"))
    );

    // The audit log holds every step's completion, done by the right people in Telegram.
    let audit = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    let completed: Vec<(i64, String)> = audit
        .iter()
        .filter(|r| r.action == "step_completed")
        .map(|r| (r.detail["step"].as_i64().unwrap(), r.channel.clone()))
        .collect();
    let steps: Vec<i64> = completed.iter().map(|(s, _)| *s).collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    assert!(completed.iter().all(|(_, channel)| channel == "telegram"));
    let done_by: Vec<(i64, Option<i64>)> = audit
        .iter()
        .filter(|r| r.action == "done_marked")
        .map(|r| (r.detail["step"].as_i64().unwrap(), r.member_id))
        .collect();
    // Members are numbered in the order they were added: Ketua 1, Sertifikasi 2, Administrasi 3.
    assert_eq!(
        done_by,
        vec![
            (1, Some(3)),
            (2, Some(2)),
            (3, Some(1)),
            (4, Some(1)),
            (5, Some(3)),
            (6, Some(2)),
            (7, Some(2)),
            (8, Some(1)),
            (10, Some(3))
        ]
    );
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "receipt_recorded")
            .count(),
        5
    );
    drop(conn);

    // /status and /batch show where the batch stands.
    let status = say(fake, KETUA, &format!("/status {batch}")).await;
    assert!(
        status.contains(&format!("Status batch #{batch}")) && status.contains("tanda terima 5/5"),
        "{status}"
    );
    assert!(status.contains("✅ 11. Menyerahkan sertifikat"), "{status}");
    let list = say(fake, KETUA, "/batch").await;
    assert!(
        list.contains("Operator Mesin Produksi") && list.contains("selesai"),
        "{list}"
    );
    documents_travelled_with_the_steps(fake, &app, batch, world.dir.path()).await;
    the_evidence_export_holds_every_record(&app, batch, world.dir.path()).await;
    running.stop().await;
    no_personal_data_was_logged(&logs);
}

/// No participant's name, email, NIK or result in any debug log line.
fn no_personal_data_was_logged(logs: &std::sync::Mutex<Vec<u8>>) {
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    assert!(
        text.lines().count() > 100,
        "the debug log was captured: {text}"
    );
    let csv = participants_csv(5);
    for (i, line) in csv.lines().skip(1).enumerate() {
        let mut fields = line.rsplitn(3, ',');
        let (_, email, name) = (
            fields.next(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let name = name.trim_matches('"');
        for secret in [name, email, &nik(i)] {
            let leak = text.lines().find(|l| l.contains(secret));
            assert!(leak.is_none(), "{secret} was logged: {leak:?}");
        }
    }
    for result in ["\"K\"", "\"BK\"", "=K ", "=BK", "Kompeten", "kompeten"] {
        let leak = text.lines().find(|l| l.contains(result));
        assert!(leak.is_none(), "a result was logged: {leak:?}");
    }
}

/// A sheet of a workbook's bytes, as rows of text.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// `sertibot batch export` (the built binary) on the finished batch: the
/// manifest's hashes match its files, the workbook reads back with every
/// record, and the chain's head is the audit row it names.
async fn the_evidence_export_holds_every_record(app: &App, batch: BatchId, dir: &std::path::Path) {
    use sha2::Digest;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
        .args(["batch", "export", &batch.to_string(), "--out", "bukti.zip"])
        .current_dir(dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("bukti.zip") && !said.contains("Sementara"),
        "{said}"
    );
    let zip_bytes = std::fs::read(dir.join("bukti.zip")).unwrap();
    let files = unzip(&zip_bytes);
    let (_, manifest) = files.iter().find(|(n, _)| n == "manifest.json").unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    assert_eq!(manifest["interim"], false);
    assert_eq!(manifest["status"], "finished");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(
        listed.len() + 1,
        files.len(),
        "every file but the manifest is listed"
    );
    for entry in listed {
        let name = entry["name"].as_str().unwrap();
        let (_, bytes) = files.iter().find(|(n, _)| n == name).unwrap();
        let sha = sha2::Sha256::digest(bytes);
        let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(entry["sha256"], hex, "{name}");
    }
    assert!(
        files
            .iter()
            .any(|(n, _)| n == &format!("dokumen/batch-{batch}-berita-acara.pdf"))
    );
    assert!(
        files
            .iter()
            .any(|(n, _)| n == &format!("dokumen/batch-{batch}-paket-bnsp.zip"))
    );
    let head = manifest["audit_chain"]["head"].as_str().unwrap();
    let mut conn = app.store.pool().acquire().await.unwrap();
    let row: i64 = sqlx::query_scalar("SELECT id FROM audit_log WHERE hash = ?")
        .bind(head)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(manifest["audit_chain"]["last_row"], row);

    let (_, book) = files.iter().find(|(n, _)| n == "rekaman.xlsx").unwrap();
    let people = sheet_rows(book, "Peserta");
    assert_eq!(people.len(), 6, "a header and five participants");
    assert_eq!(people[0][2], "Nama");
    let results: Vec<&str> = people[1..].iter().map(|r| r[9].as_str()).collect();
    assert_eq!(
        results.iter().filter(|r| **r == "K").count(),
        3,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| **r == "BK").count(),
        2,
        "{results:?}"
    );
    assert!(
        people[1..]
            .iter()
            .all(|r| r[3].contains('@') && !r[12].is_empty()),
        "{people:?}"
    );
    let steps = sheet_rows(book, "Langkah");
    assert_eq!(steps[1][0], "1");
    assert_eq!(steps[1][1], "Membuat undangan rapat komite teknis");
    assert!(
        steps[1..]
            .iter()
            .all(|r| r[3] == "selesai" || r[3] == "dilewati"),
        "{steps:?}"
    );
    // Each step with a clock has its lateness and who finished it (step 11's
    // clocks are each participant's handover).
    assert!(
        steps[1..]
            .iter()
            .filter(|r| r[3] == "selesai" && !r[5].is_empty())
            .all(|r| r[7] == "0" && !r[8].is_empty()),
        "{steps:?}"
    );
    assert!(sheet_rows(book, "Konfirmasi").len() > 1);
    assert!(sheet_rows(book, "RSVP").len() > 1);
    let messages = sheet_rows(book, "Pesan");
    assert!(
        messages[1..]
            .iter()
            .any(|r| r[1] == "email" && r[4] == "terkirim" && r[2].starts_with("peserta #")),
        "{messages:?}"
    );
    let audit = sheet_rows(book, "Audit");
    assert!(
        audit[1..]
            .iter()
            .any(|r| r[5] == "batch_started" && r[6] == "batch dimulai"),
        "{audit:?}"
    );
    // Each detail said in words beside the JSON kept.
    assert!(
        audit[1..].iter().any(|r| r[5] == "result_recorded"
            && r[7].contains("peserta #")
            && r[7].contains("hasil Kompeten (K)")
            && r[8].starts_with('{')),
        "{audit:?}"
    );
    assert!(audit[1..].iter().all(|r| r[9].len() == 64));
}

/// The words of a PDF's text (line breaks and spacing vary).
fn pdf_words(bytes: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(bytes).expect("a readable PDF");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each file of a ZIP: (name, bytes).
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            file.read_to_end(&mut out).unwrap();
            (file.name().unwrap().to_string(), out)
        })
        .collect()
}

/// The papers of the batch just run reached the right people as files:
/// the invitation to each invitee, the berita acara to Ketua LSP with the
/// decree's step, the BK letters to Kabag Administrasi, the BNSP package to
/// Kabag Sertifikasi, the timeline's picture when the batch finished; then
/// `/dokumen` on request. None went to a group; each issue is audited with
/// the SHA-256 of the bytes sent.
async fn documents_travelled_with_the_steps(
    fake: &FakeTelegram,
    app: &App,
    batch: BatchId,
    dir: &std::path::Path,
) {
    fake.until("the timeline's picture reaches Ketua LSP", |f| {
        f.files_sent()
            .iter()
            .any(|x| x.chat == KETUA && x.method == "sendphoto")
    })
    .await;
    let files = fake.files_sent();
    let file = |chat: i64, name: &str| {
        files
            .iter()
            .find(|x| x.chat == chat && x.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "no {name} for {chat}: {:?}",
                    files.iter().map(|x| (x.chat, &x.name)).collect::<Vec<_>>()
                )
            })
            .clone()
    };
    assert!(files.iter().all(|x| x.chat > 0), "a file went to a group");
    for user in [KETUA, KOMITE, KOMITE_2] {
        let invitation = file(user, &format!("batch-{batch}-undangan.pdf"));
        assert!(
            invitation.caption.contains("Undangan rapat komite teknis"),
            "{}",
            invitation.caption
        );
        let text = pdf_words(&invitation.bytes);
        assert!(
            text.contains("Ruang Rapat LSP <Gedung B>")
                && text.contains("Kamis, 26 November 2026 pukul 09.00 WIB")
                && text.contains("Nomor : 001/LSP/UND/XI/2026")
                && text.contains("Operator Mesin Produksi"),
            "{text}"
        );
    }
    let minutes = file(KETUA, &format!("batch-{batch}-berita-acara.pdf"));
    let text = pdf_words(&minutes.bytes);
    for row in [
        "Ni Komang Ayu Widyastuti REG-00000 K",
        "Ma'ruf Amin REG-00001 K",
        "Bagus Setiawan REG-00003 BK",
        "Yohana Fransiska Manurung REG-00004 BK",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    // Who attended as marked at the meeting: the member who said yes, and
    // the one who declined but came.
    assert!(
        text.contains("Ir. Made Sudarsana (Komite Teknis)")
            && text.contains("Rina Kusuma (Komite Teknis)"),
        "{text}"
    );
    let letters = unzip(&file(ADMINISTRASI, &format!("batch-{batch}-surat-bk.zip")).bytes);
    assert_eq!(letters.len(), 2, "one letter per BK participant");
    let first = pdf_words(&letters[0].1);
    assert!(
        first.contains("Bagus Setiawan")
            && !first.contains("Yohana")
            && first.contains("SK/LSP-STMI/042/XI/2026"),
        "{first}"
    );
    let package = unzip(&file(SERTIFIKASI, &format!("batch-{batch}-paket-bnsp.zip")).bytes);
    let names: Vec<&str> = package.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "batch-1-permohonan-blangko.pdf",
            "batch-1-berita-acara.pdf",
            "batch-1-lampiran-sk.pdf",
            "batch-1-daftar-peserta.xlsx"
        ]
    );
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(package[3].1.clone())).unwrap();
        let sheet = book.worksheet_range("Peserta").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(&rows[0][..3], ["NOMOR URUT", "NAMA ASESI", "NIK"]);
        assert_eq!(rows.len(), 6, "every participant, K and BK");
        assert_eq!(
            (rows[4][1].as_str(), rows[4][10].as_str()),
            ("Bagus Setiawan", "BK")
        );
        assert_eq!(
            (rows[1][1].as_str(), rows[1][10].as_str()),
            ("Ni Komang Ayu Widyastuti", "K")
        );
    }
    let request = pdf_words(&package[0].1);
    assert!(
        request.contains("3 lembar") && request.contains("Nomor : 001/LSP/PB/XI/2026"),
        "{request}"
    );
    let timeline = file(KETUA, &format!("batch-{batch}-linimasa.png"));
    assert!(timeline.bytes.starts_with(b"\x89PNG"));

    // Asked for in a private chat: every kind the batch has, as files.
    let before = fake.files_sent().len();
    let reply = say(fake, KETUA, &format!("/dokumen {batch}")).await;
    assert!(
        reply.starts_with(&format!("Mengirim 11 dokumen batch #{batch}")),
        "{reply}"
    );
    fake.until("every kind on request", |f| {
        f.files_sent().len() >= before + 11
    })
    .await;
    let asked: Vec<String> = fake.files_sent()[before..]
        .iter()
        .map(|x| x.name.clone())
        .collect();
    assert!(
        asked.contains(&format!("batch-{batch}-tanda-terima.zip")),
        "{asked:?}"
    );
    assert!(
        asked.contains(&format!("batch-{batch}-daftar-hadir.pdf")),
        "{asked:?}"
    );
    assert_eq!(say(fake, KETUA, "/dokumen 99").await, "Tidak ada batch 99.");
    let unknown = say(fake, KETUA, &format!("/dokumen {batch} sertifikat-palsu")).await;
    assert!(
        unknown.starts_with("'sertifikat-palsu' bukan jenis dokumen. Pilih salah satu: undangan,"),
        "{unknown}"
    );
    // No batch named and none running: the newest that has begun, this
    // finished one.
    let before = fake.files_sent().len();
    let reply = say(fake, KETUA, "/dokumen").await;
    assert!(
        reply.starts_with(&format!("Mengirim 11 dokumen batch #{batch}")),
        "{reply}"
    );
    fake.until("every kind of the newest batch", |f| {
        f.files_sent().len() >= before + 11
    })
    .await;

    // A Komite Teknis member receives only the papers of the meeting they
    // sat in; the participants' list and the BNSP package are refused in
    // one sentence, and nothing of them is sent.
    let before = fake.files_sent().len();
    let reply = say(fake, KOMITE, &format!("/dokumen {batch}")).await;
    assert_eq!(
        reply,
        format!(
            "Mengirim 3 dokumen batch #{batch}: Undangan rapat komite teknis, Daftar hadir rapat, Berita acara penetapan hasil asesmen."
        )
    );
    fake.until("the meeting's papers", |f| {
        f.files_sent().len() >= before + 3
    })
    .await;
    for kind in ["paket-bnsp", "daftar-peserta"] {
        assert_eq!(
            say(fake, KOMITE, &format!("/dokumen {batch} {kind}")).await,
            format!(
                "{} batch #{batch} hanya untuk peran yang langkahnya memerlukan dokumen itu.",
                sertibot::documents::Kind::from_slug(kind).unwrap().title()
            )
        );
    }
    let komite_got: Vec<String> = fake.files_sent()[before..]
        .iter()
        .filter(|x| x.chat == KOMITE)
        .map(|x| x.name.clone())
        .collect();
    assert_eq!(
        komite_got,
        [
            format!("batch-{batch}-undangan.pdf"),
            format!("batch-{batch}-daftar-hadir.pdf"),
            format!("batch-{batch}-berita-acara.pdf")
        ]
    );

    // The performance report, for Ketua LSP alone: the PDF and its chart.
    assert_eq!(
        say(fake, ADMINISTRASI, "/laporan").await,
        "Laporan kinerja hanya untuk Ketua LSP."
    );
    assert!(
        say(fake, KETUA, "/laporan kemarin")
            .await
            .starts_with("'kemarin' bukan periode.")
    );
    let before = fake.files_sent().len();
    let reply = say(fake, KETUA, "/laporan 2026-11").await;
    assert_eq!(
        reply,
        "Menyiapkan laporan kinerja 1 November 2026 – 30 November 2026: PDF dan grafiknya menyusul."
    );
    fake.until("the report and its chart", |f| {
        f.files_sent().len() >= before + 2
    })
    .await;
    let sent = fake.files_sent();
    let latest = |name: &str| {
        sent.iter()
            .rfind(|x| x.chat == KETUA && x.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let report = latest("laporan-2026-11-01-2026-11-30.pdf");
    assert_eq!(report.method, "senddocument");
    let words = pdf_words(&report.bytes);
    assert!(
        words.contains("LAPORAN KINERJA PENERBITAN SERTIFIKAT"),
        "{words}"
    );
    assert!(
        words.contains("Operator Mesin Produksi"),
        "the batch's lead time: {words}"
    );
    assert!(!words.contains("Bagus Setiawan"), "{words}");
    let chart = latest("laporan-2026-11-01-2026-11-30.png");
    assert_eq!(chart.method, "sendphoto");
    assert!(
        chart.caption.contains("langkah selesai dalam waktu baku"),
        "{}",
        chart.caption
    );

    // Each document was issued once (sent to three invitees, one audit
    // line), with the SHA-256 of the bytes that were sent.
    let mut conn = app.store.pool().acquire().await.unwrap();
    let audit = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    let issued: Vec<&serde_json::Value> = audit
        .iter()
        .filter(|r| r.action == "document_issued")
        .map(|r| &r.detail)
        .collect();
    assert_eq!(issued.iter().filter(|d| d["kind"] == "undangan").count(), 1);
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&minutes.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        issued
            .iter()
            .any(|d| d["kind"] == "berita-acara" && d["sha256"] == sha.as_str()),
        "{issued:?}"
    );
    assert!(
        audit
            .iter()
            .any(|r| r.action == "document_numbered" && r.detail["number"] == "001/LSP/BA/XI/2026")
    );
    drop(conn);

    // The command line writes the same documents, byte for byte, and
    // issues nothing anew: the same facts make the same files.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
        .args(["batch", "documents", &batch.to_string(), "--out", "dokumen"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written =
        std::fs::read(dir.join(format!("dokumen/batch-{batch}-berita-acara.pdf"))).unwrap();
    assert!(
        written == minutes.bytes,
        "the berita acara differs from the one sent"
    );
    let invitation =
        std::fs::read(dir.join(format!("dokumen/batch-{batch}-undangan.pdf"))).unwrap();
    assert!(invitation == file(KETUA, &format!("batch-{batch}-undangan.pdf")).bytes);
    let mut conn = app.store.pool().acquire().await.unwrap();
    let again = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    let count = |rows: &[sertibot::store::AuditRow]| {
        rows.iter()
            .filter(|r| r.action.starts_with("document_"))
            .count()
    };
    assert_eq!(
        count(&again),
        count(&audit),
        "nothing was numbered or issued anew"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_repeats_restarts_and_failures_lose_nothing() {
    use support::fake_telegram::Fault;
    let world = World::new().await;
    let mut running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let ack = format!("1|a|{batch}|1");
    fake.until("step 1's task", |f| f.button(ADMINISTRASI, &ack).is_some())
        .await;
    let (task, data) = fake.button(ADMINISTRASI, &ack).unwrap();

    // A committee member presses Siti's button (forwarded to them): refused, nothing recorded.
    let before = fake.toasts().len();
    fake.press(KOMITE, ADMINISTRASI, task, &data);
    fake.until("the refusal", |f| f.toasts().len() > before)
        .await;
    assert_eq!(
        fake.toasts()[before],
        (
            "Langkah 1 hanya dapat dikerjakan oleh Kabag Administrasi.".to_string(),
            true
        )
    );
    assert!(
        app.batch(batch)
            .await
            .unwrap()
            .1
            .run(sertibot::sop::StepNo(1))
            .acks
            .is_empty()
    );

    // Siti acknowledges; the update is later delivered again after a restart.
    let before = fake.toasts().len();
    let update = fake.press(ADMINISTRASI, ADMINISTRASI, task, &data);
    fake.until("the acknowledgement", |f| f.toasts().len() > before)
        .await;

    // A conversation survives a restart.
    press(fake, ADMINISTRASI, &format!("1|m|{batch}")).await;
    last_text(fake, ADMINISTRASI, "Tanggal rapat komite teknis?").await;
    assert!(
        say(fake, ADMINISTRASI, "26-11-2026")
            .await
            .starts_with("Jam mulai rapat")
    );
    running.stop().await;
    running = world.start().await;
    let app = running.app.clone();
    assert!(
        say(fake, ADMINISTRASI, "09.00")
            .await
            .starts_with("Tempat rapat")
    );

    let toasts = fake.toasts().len();
    fake.deliver_again(update);
    // Updates of one chat are handled in order: once /tugas is answered, the repeat was seen.
    let reply = say(fake, ADMINISTRASI, "/tugas").await;
    assert!(
        reply.contains("Langkah 1: Membuat undangan rapat komite teknis"),
        "{reply}"
    );
    assert_eq!(
        fake.toasts().len(),
        toasts,
        "the repeated press was not answered again"
    );
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.run(sertibot::sop::StepNo(1)).acks.len(), 1);

    // The invitation broadcast meets a 429 for one member and a 403 for another,
    // and the next task meets a 500.
    fake.fail_next("sendMessage", Some(KOMITE), Fault::RetryAfter(2));
    fake.fail_next("sendMessage", Some(KOMITE_2), Fault::Blocked);
    fake.fail_next("sendMessage", Some(SERTIFIKASI), Fault::ServerError);
    say(fake, ADMINISTRASI, "Ruang Rapat LSP").await;
    press(fake, ADMINISTRASI, &format!("1|d|{batch}|1")).await;

    last_text(fake, KOMITE, "Undangan Rapat Komite Teknis").await;
    let to_komite: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "sendmessage" && r.body["chat_id"] == KOMITE)
        .collect();
    let refused = to_komite
        .iter()
        .position(|r| {
            r.body["text"]
                .as_str()
                .unwrap_or_default()
                .contains("Undangan")
        })
        .unwrap();
    let retried = &to_komite[refused + 1];
    assert!(
        retried.at.duration_since(to_komite[refused].at) >= Duration::from_secs(2),
        "the retry waited for retry_after"
    );

    // The blocked member is marked unreachable; Ketua LSP and Kabag Sertifikasi are told.
    last_text(
        fake,
        KETUA,
        "Rina Kusuma (Komite Teknis) tidak dapat menerima pesan bot",
    )
    .await;
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let members = Store::members(&mut conn).await.unwrap();
        let rina = members.iter().find(|m| m.name == "Rina Kusuma").unwrap();
        assert!(
            Store::unreachable_since(&mut conn, rina.id)
                .await
                .unwrap()
                .is_some()
        );
        let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
        let invitation = rows
            .iter()
            .find(|r| r.key == format!("b{batch}:invite:m{}:telegram", rina.id))
            .unwrap();
        assert_eq!(invitation.status, "failed");
    }

    // The 500 is retried: the task reaches Kabag Sertifikasi once the backoff has passed.
    world.clock.advance(chrono::Duration::minutes(1));
    last_text(fake, SERTIFIKASI, "Langkah 2:").await;

    // In a group, participants' results are never shown.
    let before = fake.toasts().len();
    fake.press(KETUA, -100_200, 5, &format!("1|r|{batch}"));
    fake.until("the group refusal", |f| f.toasts().len() > before)
        .await;
    assert!(
        fake.toasts()[before]
            .0
            .contains("hanya dapat dilakukan di chat pribadi"),
        "{:?}",
        fake.toasts()[before]
    );
    assert!(fake.sent_to(-100_200).is_empty());

    // A day before the meeting, whoever has not answered is reminded, once.
    press(fake, KOMITE, &format!("1|y|{batch}")).await;
    world.clock.advance(chrono::Duration::days(1));
    last_text(fake, KETUA, "Pengingat: konfirmasi kehadiran rapat").await;
    {
        // Reminders are queued once per member who had not answered (Rina's
        // goes nowhere: she is unreachable and has no email).
        let mut conn = app.store.pool().acquire().await.unwrap();
        let reminders: Vec<String> = Store::outbox_of(&mut conn, batch)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.template == "rsvp_reminder")
            .map(|r| r.key)
            .collect();
        assert_eq!(
            reminders,
            vec![
                format!("b{batch}:rsvp-reminder:s0:m1"),
                format!("b{batch}:rsvp-reminder:s0:m5")
            ]
        );
        let fired = Store::audit_of(&mut conn, Some(batch))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "rsvp_reminder_fired")
            .count();
        assert_eq!(fired, 1);
    }
    assert!(fake.button(KETUA, &format!("1|y|{batch}")).is_some());

    // Rina writes to the bot again: reachable once more.
    say(fake, KOMITE_2, "/tugas").await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let members = Store::members(&mut conn).await.unwrap();
    let rina = members.iter().find(|m| m.name == "Rina Kusuma").unwrap();
    assert!(
        Store::unreachable_since(&mut conn, rina.id)
            .await
            .unwrap()
            .is_none()
    );
    drop(conn);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_member_with_an_email_gets_the_message_by_email() {
    use support::fake_telegram::Fault;
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    // Ketua LSP (who has an email) has blocked the bot before the meeting's task.
    fake.fail_next("sendMessage", Some(KETUA), Fault::Blocked);
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    press(fake, ADMINISTRASI, &format!("1|m|{batch}")).await;
    last_text(fake, ADMINISTRASI, "Tanggal rapat").await;
    say(fake, ADMINISTRASI, "26-11-2026").await;
    say(fake, ADMINISTRASI, "09.00").await;
    say(fake, ADMINISTRASI, "Ruang Rapat LSP").await;
    press(fake, ADMINISTRASI, &format!("1|d|{batch}|1")).await;
    last_text(
        fake,
        SERTIFIKASI,
        "Dr. Hendra Wijaya (Ketua LSP) tidak dapat menerima pesan bot",
    )
    .await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    let invitation = rows
        .iter()
        .find(|r| r.template == "meeting_invitation" && r.member_id == Some(1))
        .unwrap();
    assert_eq!(invitation.status, "failed");
    assert!(
        invitation
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("sent by email instead")
    );
    let fallback = Store::message(&mut conn, &format!("{}:fallback-email", invitation.key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fallback.channel, "email");
    assert_eq!(
        fallback.address.as_deref(),
        Some("hendra@lsp.example.ac.id")
    );
    let text = fallback.context["text"].as_str().unwrap();
    assert!(
        text.contains("Undangan Rapat Komite Teknis") && !text.contains("<b>"),
        "{text}"
    );
    // The invitation letter that follows goes by email too, as a file to attach.
    let key = format!("b{batch}:doc:undangan:m1:fallback-email");
    let mut letter = None;
    for _ in 0..100 {
        letter = Store::message(&mut conn, &key).await.unwrap();
        if letter.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let letter = letter.expect("the invitation letter is sent by email instead");
    assert_eq!(letter.context["document"]["kind"], "undangan");
    assert_eq!(letter.address.as_deref(), Some("hendra@lsp.example.ac.id"));
    drop(conn);
    running.stop().await;
}

/// The staff member called `name`, as an actor (for steps done outside Telegram in a test).
async fn staff_named(app: &App, name: &str) -> Actor {
    let member = app
        .members()
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| m.name == name)
        .unwrap();
    Actor::Staff(sertibot::workflow::Staff {
        id: member.id,
        name: member.name,
        roles: member.roles,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_can_be_sent_as_a_file() {
    use sertibot::sop::StepNo;
    use sertibot::workflow::{Command, Meeting};
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    // Steps 1 and 2 happen elsewhere in this test.
    let siti = staff_named(&app, "Siti Rahmawati").await;
    let meeting = Meeting {
        starts_at: sertibot::clock::Clock::now(&*world.clock) + chrono::Duration::days(2),
        place: "Ruang Rapat".into(),
    };
    app.act(
        batch,
        &siti,
        &[
            Command::SetMeeting { meeting },
            Command::MarkDone { step: StepNo(1) },
        ],
        Via::Telegram,
    )
    .await
    .unwrap();
    let andi = staff_named(&app, "Andi Pratama").await;
    app.act(
        batch,
        &andi,
        &[Command::MarkDone { step: StepNo(2) }],
        Via::Telegram,
    )
    .await
    .unwrap();

    // A file sent when none is expected is not taken.
    fake.send_document(
        KETUA,
        KETUA,
        "hasil.csv",
        b"registration_no,result\n".to_vec(),
    );
    last_text(fake, KETUA, "bot tidak sedang menunggu berkas").await;

    press(fake, KETUA, &format!("1|r|{batch}")).await;
    last_text(fake, KETUA, "Atau kirim berkas CSV/XLSX").await;
    fake.send_document(
        KETUA,
        KETUA,
        "hasil.csv",
        b"registration_no;hasil\nREG-00000;K\nREG-99999;K\nREG-00001;lulus\n".to_vec(),
    );
    last_text(fake, KETUA, "Tidak ada yang dicatat: 2 baris bermasalah.").await;
    let reply = fake.sent_to(KETUA).last().unwrap().1.clone();
    assert!(
        reply.contains("Baris 3: tidak ada peserta 'REG-99999' di batch ini"),
        "{reply}"
    );
    assert!(
        reply.contains("Baris 4: 'lulus' bukan hasil: gunakan K atau BK"),
        "{reply}"
    );
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert!(
        state.participants.values().all(|p| p.result.is_none()),
        "nothing was recorded"
    );

    let workbook = support::xlsx::workbook(&[
        &["No Registrasi", "Hasil"],
        &["REG-00000", "K"],
        &["REG-00001", "K"],
        &["REG-00002", "K"],
        &["REG-00003", "BK"],
        &["REG-00004", "BK"],
    ]);
    fake.send_document(KETUA, KETUA, "hasil.xlsx", workbook);
    last_text(fake, KETUA, "Tercatat: hasil 5 peserta dari berkas.").await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let codes: Vec<&str> = state
        .participants
        .values()
        .map(|p| p.result.unwrap().code())
        .collect();
    assert_eq!(codes, vec!["K", "K", "K", "BK", "BK"]);
    // The keyboard shown before the file now shows what the file recorded.
    fake.until("the K/BK keyboard shows the file's results", |f| {
        f.sent_to(KETUA).iter().any(|(_, t, _)| {
            t.starts_with("<b>Hasil K/BK")
                && t.contains("1. Ni Komang Ayu Widyastuti: <b>K</b>")
                && t.contains("5. Yohana Fransiska Manurung: <b>BK</b>")
                && !t.contains("belum diisi")
        })
    })
    .await;
    let keyboards = fake
        .sent_to(KETUA)
        .iter()
        .filter(|(_, t, _)| t.starts_with("<b>Hasil K/BK"))
        .count();
    assert_eq!(keyboards, 1, "the keyboard was edited, not sent again");

    // Blank numbers as a file too, once the decree is out.
    let ketua = staff_named(&app, "Dr. Hendra Wijaya").await;
    let decree = sertibot::workflow::Decree {
        number: "SK/7".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    };
    // The plenary is closed once its meeting (two days on) has begun.
    world
        .clock
        .advance(chrono::Duration::days(2) + chrono::Duration::hours(1));
    app.act(
        batch,
        &ketua,
        &[
            Command::MarkDone { step: StepNo(3) },
            Command::RecordDecree { decree },
            Command::MarkDone { step: StepNo(4) },
        ],
        Via::Telegram,
    )
    .await
    .unwrap();
    press(fake, SERTIFIKASI, &format!("1|l|{batch}")).await;
    last_text(
        fake,
        SERTIFIKASI,
        "Kirim berkas CSV/XLSX dengan kolom no_registrasi dan no_blangko",
    )
    .await;
    // A BK participant in the list: refused whole, with the workflow's reason.
    fake.send_document(
        SERTIFIKASI,
        SERTIFIKASI,
        "blangko.csv",
        b"registration_no,no_blangko\nREG-00000,B-1\nREG-00003,B-4\n".to_vec(),
    );
    last_text(
        fake,
        SERTIFIKASI,
        "Nomor blangko hanya untuk peserta kompeten (K), sedangkan Bagus Setiawan bukan K.",
    )
    .await;
    fake.send_document(
        SERTIFIKASI,
        SERTIFIKASI,
        "blangko.csv",
        b"registration_no,no_blangko\nREG-00000,B-1\nREG-00001,B-2\nREG-00002,B-3\n".to_vec(),
    );
    last_text(fake, SERTIFIKASI, "Tercatat: 3 nomor blangko dari berkas.").await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let blanks: Vec<Option<&str>> = state
        .participants
        .values()
        .map(|p| p.blank_number.as_deref())
        .collect();
    assert_eq!(
        blanks,
        vec![Some("B-1"), Some("B-2"), Some("B-3"), None, None]
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kabag_sertifikasi_creates_and_starts_a_batch_from_chat() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;

    assert_eq!(
        say(fake, KOMITE, "/batchbaru").await,
        "Batch baru hanya dapat dibuat oleh Kabag Sertifikasi atau Ketua LSP."
    );
    assert!(
        say(fake, SERTIFIKASI, "/batchbaru")
            .await
            .starts_with("Batch baru. Nama skema")
    );
    // A scheme with a right-to-left override, or with nothing visible, is
    // refused at its own field and asked again.
    assert_eq!(
        say(fake, SERTIFIKASI, "Juru Las \u{202E}II").await,
        "Nama skema berisi karakter kendali yang tidak terlihat (misalnya NUL atau tanda kanan-ke-kiri); ketik ulang."
    );
    assert_eq!(
        say(fake, SERTIFIKASI, "\u{3164}\u{200D}").await,
        "Nama skema masih kosong."
    );
    assert!(
        say(fake, SERTIFIKASI, "Juru Las Tingkat II")
            .await
            .starts_with("Tanggal asesmen?")
    );
    assert_eq!(
        say(fake, SERTIFIKASI, "01-01-2027").await,
        "Tanggal asesmen tidak boleh di masa mendatang."
    );
    assert!(
        say(fake, SERTIFIKASI, "20-11-2026")
            .await
            .starts_with("Tempat asesmen")
    );
    assert!(
        say(fake, SERTIFIKASI, "Workshop Las STMI")
            .await
            .starts_with("Kirim daftar peserta")
    );

    // A list with a bad row is refused whole, in Indonesian.
    let bad = support::xlsx::workbook(&[
        &["nama", "email", "no_registrasi"],
        &["Bagus Setiawan", "bagus@example.com", "LAS-01"],
        &["\u{FEFF}\u{200D}", "kosong@example.com", "LAS-02"],
    ]);
    fake.send_document(SERTIFIKASI, SERTIFIKASI, "peserta.xlsx", bad);
    last_text(fake, SERTIFIKASI, "Baris 3: nama kosong").await;

    let good = support::xlsx::workbook(&[
        &["nama", "email", "no_registrasi"],
        &["Bagus Setiawan", "bagus@example.com", "LAS-01"],
        &["Yohana Fransiska Manurung", "yohana@example.com"],
    ]);
    fake.send_document(SERTIFIKASI, SERTIFIKASI, "peserta.xlsx", good);
    last_text(fake, SERTIFIKASI, "2 peserta tercatat").await;
    let batches = app.batches().await.unwrap();
    assert_eq!(batches.len(), 1);
    let batch = batches[0].info.id;
    assert_eq!(batches[0].info.place.as_deref(), Some("Workshop Las STMI"));
    assert_eq!(batches[0].participants, 2);

    let toast = press(fake, SERTIFIKASI, &format!("1|g|{batch}")).await.0;
    assert_eq!(
        toast,
        format!("Batch #{batch} dimulai. Tugas langkah pertama sudah dikirim.")
    );
    last_text(
        fake,
        ADMINISTRASI,
        "Langkah 1: Membuat undangan rapat komite teknis",
    )
    .await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let audit = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    assert_eq!(audit[0].action, "batch_created");
    assert_eq!(
        (audit[0].channel.as_str(), audit[0].actor.as_str()),
        ("telegram", "member")
    );
    drop(conn);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_group_sees_announcements_and_each_presser_is_authorized() {
    use support::fake_telegram::Fault;
    const GROUP: i64 = -100_300;
    const SUPERGROUP: i64 = -100_999;
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    fake.add_bot_to_group(KETUA, GROUP);
    // Updates of the group chat are handled in order; a later one proves the first was.
    fake.write(KETUA, GROUP, "/bantuan");
    fake.until("help in the group", |f| !f.sent_to(GROUP).is_empty())
        .await;

    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let ack = format!("1|a|{batch}|1");
    fake.until("the announcement in the group", |f| {
        f.button(GROUP, &ack).is_some()
    })
    .await;
    let (message, data) = fake.button(GROUP, &ack).unwrap();

    // A committee member presses the group's button: refused.
    let before = fake.toasts().len();
    fake.press(KOMITE, GROUP, message, &data);
    fake.until("the refusal", |f| f.toasts().len() > before)
        .await;
    assert!(fake.toasts()[before].1, "shown as an alert");
    // Kabag Administrasi presses it: recorded, and the group's message shows it.
    let before = fake.toasts().len();
    fake.press(ADMINISTRASI, GROUP, message, &data);
    fake.until("the acknowledgement", |f| f.toasts().len() > before)
        .await;
    assert_eq!(
        fake.toasts()[before].0,
        "Tercatat: Anda mengerjakan langkah 1."
    );
    last_text(fake, GROUP, "✋ Dikerjakan: Siti Rahmawati").await;

    // The group becomes a supergroup: the invitation follows it there.
    fake.fail_next("sendMessage", Some(GROUP), Fault::Migrated(SUPERGROUP));
    let siti = staff_named(&app, "Siti Rahmawati").await;
    let meeting = sertibot::workflow::Meeting {
        starts_at: sertibot::clock::Clock::now(&*world.clock) + chrono::Duration::days(2),
        place: "Ruang Rapat".into(),
    };
    app.act(
        batch,
        &siti,
        &[
            sertibot::workflow::Command::SetMeeting { meeting },
            sertibot::workflow::Command::MarkDone {
                step: sertibot::sop::StepNo(1),
            },
        ],
        Via::Telegram,
    )
    .await
    .unwrap();
    last_text(fake, SUPERGROUP, "Undangan Rapat Komite Teknis").await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let groups: Vec<i64> = Store::groups(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id())
        .collect();
    assert_eq!(groups, vec![SUPERGROUP]);
    drop(conn);

    // The batch now has documents; asked for in the group, they are not
    // sent there: the group is told to ask in a private chat.
    fake.write(KETUA, SUPERGROUP, &format!("/dokumen {batch}"));
    last_text(fake, SUPERGROUP, "hanya dapat dilakukan di chat pribadi").await;
    // The invitees' own copies of the invitation went to their private chats.
    fake.until("the invitation letter to Ketua LSP", |f| {
        f.files_sent().iter().any(|x| x.chat == KETUA)
    })
    .await;
    assert!(
        fake.files_sent().iter().all(|x| x.chat > 0),
        "a file went to a group"
    );

    // Nothing in a group names a result or a participant's email.
    for chat in [GROUP, SUPERGROUP] {
        for (_, text, _) in fake.sent_to(chat) {
            assert!(
                !text.contains("@example.com") && !text.contains("KOMPETEN"),
                "{text}"
            );
        }
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_command_line_writes_reaches_staff_at_once() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    // The command line runs on the system clock: the service's clock follows it.
    world
        .clock
        .set(chrono::Utc::now() + chrono::Duration::minutes(1));
    // Let the service fall asleep with nothing due, then start the batch from
    // the command line, another process on the same database.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
        .args([
            "--config",
            world.dir.path().join("sertibot.toml").to_str().unwrap(),
            "batch",
            "start",
            &batch.to_string(),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asked = std::time::Instant::now();
    last_text(
        fake,
        ADMINISTRASI,
        "Langkah 1: Membuat undangan rapat komite teknis",
    )
    .await;
    // Without the poke the worker would sleep up to a minute.
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_queued_in_quick_succession_all_go_out_at_once() {
    // The delivery worker reads the outbox at most every 50 ms; changes
    // that arrive in between must still be read soon after, not at the
    // worker's next minute.
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let chats: Vec<i64> = (0..6).map(|i| 7_100 + i).collect();
    let reply = |i: usize| {
        let app = app.clone();
        let chat = chats[i];
        async move {
            app.reply(
                sertibot::notify::PrivateChat::new(chat).unwrap(),
                None,
                format!("burst:{i}"),
                sertibot::notify::Message::Reply(sertibot::notify::views::Reply {
                    text: format!("Pesan {i}"),
                }),
                None,
            )
            .await
            .unwrap();
        }
    };
    // The first is read and sent; the others are queued right after that
    // read, within its 50 ms.
    reply(0).await;
    fake.until("the first reply", |f| !f.sent_to(chats[0]).is_empty())
        .await;
    let queued = std::time::Instant::now();
    for i in 1..chats.len() {
        reply(i).await;
    }
    fake.until("every reply", |f| {
        chats.iter().all(|c| !f.sent_to(*c).is_empty())
    })
    .await;
    assert!(
        queued.elapsed() < Duration::from_secs(5),
        "all six went out within seconds ({:?})",
        queued.elapsed()
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_ketua_or_kabag_sertifikasi_bring_the_bot_into_a_group_and_a_lost_group_is_forgotten()
{
    use support::fake_telegram::Fault;
    const BY_STRANGER: i64 = -100_401;
    const BY_KOMITE: i64 = -100_402;
    const BY_SERTIFIKASI: i64 = -100_403;
    const BY_KETUA: i64 = -100_404;
    const REMOVED: i64 = -100_405;
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let groups = || async {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let mut ids: Vec<i64> = Store::groups(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.id())
            .collect();
        ids.sort_unstable();
        ids
    };
    let left = |f: &FakeTelegram, chat: i64| {
        f.requests()
            .iter()
            .any(|r| r.method == "leavechat" && r.body["chat_id"].as_i64() == Some(chat))
    };

    // A stranger and a committee member add the bot: it leaves at once.
    fake.add_bot_to_group(STRANGER, BY_STRANGER);
    fake.bot_membership(KOMITE, BY_KOMITE, true);
    fake.until("the bot leaves both groups", |f| {
        left(f, BY_STRANGER) && left(f, BY_KOMITE)
    })
    .await;
    // Kabag Sertifikasi and Ketua LSP add it: registered, and told so.
    fake.bot_membership(SERTIFIKASI, BY_SERTIFIKASI, true);
    fake.add_bot_to_group(KETUA, BY_KETUA);
    // Telegram tells of one addition twice: a service message and a membership update.
    fake.bot_membership(KETUA, BY_KETUA, true);
    fake.write(KETUA, BY_KETUA, "/bantuan");
    fake.add_bot_to_group(KETUA, REMOVED);
    last_text(fake, BY_SERTIFIKASI, "Grup ini terdaftar").await;
    last_text(fake, BY_KETUA, "Bantuan sertibot").await;
    let notices = fake
        .sent_to(BY_KETUA)
        .iter()
        .filter(|(_, t, _)| t.contains("Grup ini terdaftar"))
        .count();
    assert_eq!(notices, 1);
    last_text(fake, REMOVED, "Grup ini terdaftar").await;
    assert_eq!(groups().await, vec![REMOVED, BY_KETUA, BY_SERTIFIKASI]);
    assert!(fake.sent_to(BY_STRANGER).is_empty() && fake.sent_to(BY_KOMITE).is_empty());
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let audit = Store::audit_of(&mut conn, None).await.unwrap();
        let count = |action: &str| audit.iter().filter(|r| r.action == action).count();
        assert_eq!(count("group_refused"), 2);
        assert_eq!(count("group_registered"), 3);
    }

    // Removed by a user (my_chat_member): forgotten.
    fake.bot_membership(KETUA, REMOVED, false);
    // A committee member cannot send the bot away; Ketua LSP can.
    fake.write(KOMITE, BY_SERTIFIKASI, "/keluargrup");
    last_text(
        fake,
        BY_SERTIFIKASI,
        "Hanya Ketua LSP atau Kabag Sertifikasi",
    )
    .await;
    fake.write(KETUA, BY_SERTIFIKASI, "/keluargrup");
    fake.until("the bot leaves on request", |f| left(f, BY_SERTIFIKASI))
        .await;
    assert_eq!(groups().await, vec![BY_KETUA]);

    // Kicked from a basic group: the first message that fails forgets it,
    // once, and nobody is alerted about each lost message.
    fake.fail_next(
        "sendMessage",
        Some(BY_KETUA),
        Fault::Forbidden("Forbidden: bot was kicked from the group chat"),
    );
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    last_text(fake, ADMINISTRASI, "Langkah 1:").await;
    for _ in 0..100 {
        if groups().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(groups().await.is_empty());
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
        let to_group: Vec<_> = rows
            .iter()
            .filter(|r| r.chat_id == Some(BY_KETUA))
            .collect();
        assert_eq!(to_group.len(), 1);
        assert_eq!(to_group[0].status, "failed");
        let all = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM outbox WHERE template = 'delivery_failed'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(all, 0, "no delivery alert for a group the bot left");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_chats_backlog_never_holds_back_another_chats_message() {
    let world = World::new().await;
    let app = Arc::new(world.app().await);
    const FLOODED: i64 = 8_000;
    const WAITING: i64 = 8_001;
    let reply = |chat: i64, key: String| {
        let app = app.clone();
        async move {
            app.reply(
                sertibot::notify::PrivateChat::new(chat).unwrap(),
                None,
                key,
                sertibot::notify::Message::Reply(sertibot::notify::views::Reply {
                    text: "Pesan".into(),
                }),
                None,
            )
            .await
            .unwrap();
        }
    };
    // Two thousand answers to one chat, queued before one to another chat.
    for i in 0..2_000 {
        reply(FLOODED, format!("flood:{i}")).await;
    }
    reply(WAITING, "waiting".into()).await;
    let running = world.start().await;
    let fake = &world.fake;
    fake.until("the other chat's message", |f| {
        !f.sent_to(WAITING).is_empty()
    })
    .await;
    // Held to one a second, the flooded chat has had only a few by then.
    assert!(
        fake.sent_to(FLOODED).len() < 10,
        "{}",
        fake.sent_to(FLOODED).len()
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_on_one_database_never_send_the_same_row() {
    let world = World::new().await;
    let first = world.start().await;
    let second = world.start().await;
    let fake = &world.fake;
    for i in 0..40i64 {
        first
            .app
            .reply(
                sertibot::notify::PrivateChat::new(9_000 + i).unwrap(),
                None,
                format!("twice:{i}"),
                sertibot::notify::Message::Reply(sertibot::notify::views::Reply {
                    text: format!("Pesan {i}"),
                }),
                None,
            )
            .await
            .unwrap();
        second.app.changed();
    }
    fake.until("every reply", |f| {
        (0..40).all(|i| !f.sent_to(9_000 + i).is_empty())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..40 {
        assert_eq!(fake.sent_to(9_000 + i).len(), 1, "chat {}", 9_000 + i);
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_texts_go_out_as_valid_html_and_sixty_participants_page_their_keyboard() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    // Sixty participants with long names: a page of forty is longer than one message.
    let mut csv = String::from("name,email,registration_no\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "\"Peserta {i:02} {}\",p{i}@example.com,R-{i:03}\n",
            "Nama Keluarga Yang Sangat Panjang Sekali ".repeat(3)
        ));
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
    app.import_participants(batch, csv.as_bytes(), &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();

    // A problem report of a thousand '&': escaped, it is one 5,000-character line.
    press(fake, ADMINISTRASI, &format!("1|p|{batch}|1")).await;
    fake.write(ADMINISTRASI, ADMINISTRASI, &"&".repeat(1000));
    last_text(fake, ADMINISTRASI, "Laporan kendala").await;
    fake.until("the report reaches Ketua LSP whole", |f| {
        f.sent_to(KETUA)
            .iter()
            .map(|(_, t, _)| t.matches("&amp;").count())
            .sum::<usize>()
            == 1000
    })
    .await;

    let siti = staff_named(&app, "Siti Rahmawati").await;
    let andi = staff_named(&app, "Andi Pratama").await;
    let meeting = sertibot::workflow::Meeting {
        starts_at: sertibot::clock::Clock::now(&*world.clock) + chrono::Duration::days(2),
        place: "Ruang Rapat".into(),
    };
    use sertibot::workflow::Command;
    app.act(
        batch,
        &siti,
        &[
            Command::SetMeeting { meeting },
            Command::MarkDone {
                step: sertibot::sop::StepNo(1),
            },
        ],
        Via::Telegram,
    )
    .await
    .unwrap();
    app.act(
        batch,
        &andi,
        &[Command::MarkDone {
            step: sertibot::sop::StepNo(2),
        }],
        Via::Telegram,
    )
    .await
    .unwrap();

    // The keyboard: forty participants a page, a button to the next page.
    press(fake, KETUA, &format!("1|r|{batch}")).await;
    fake.until("the next page button", |f| {
        f.button(KETUA, &format!("1|q|{batch}|2")).is_some()
    })
    .await;
    let buttons = |markup: &serde_json::Value| -> Vec<String> {
        markup["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_array())
            .flatten()
            .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
            .collect()
    };
    let (keyboard, _) = fake.button(KETUA, &format!("1|q|{batch}|2")).unwrap();
    let markup = fake
        .sent_to(KETUA)
        .into_iter()
        .find(|(id, _, _)| *id == keyboard)
        .unwrap()
        .2;
    let first_page = buttons(&markup);
    assert_eq!(first_page.len(), 81, "40 × K/BK and the next page");
    // A verdict edits the page; the next page shows the other twenty.
    press(fake, KETUA, &format!("1|k|{batch}|")).await;
    let (_, toast_alert) = press(fake, KETUA, &format!("1|q|{batch}|2")).await;
    assert!(!toast_alert);
    fake.until("the second page", |f| {
        f.button(KETUA, &format!("1|q|{batch}|1")).is_some()
    })
    .await;
    let markup = fake
        .sent_to(KETUA)
        .into_iter()
        .find(|(id, _, _)| *id == keyboard)
        .unwrap()
        .2;
    assert_eq!(
        buttons(&markup).len(),
        41,
        "20 × K/BK and the previous page"
    );

    // A results file with twenty thousand bad rows: the reply names fifty
    // and counts the rest, in a few messages.
    let mut bad = String::from("registration_no,result\n");
    for i in 0..20_000 {
        bad.push_str(&format!("X-{i},lulus\n"));
    }
    let before = fake.sent_to(KETUA).len();
    fake.send_document(KETUA, KETUA, "hasil.csv", bad.into_bytes());
    fake.until("the reply to the bad file", |f| {
        f.sent_to(KETUA)
            .iter()
            .skip(before)
            .any(|(_, t, _)| t.contains("19950"))
    })
    .await;
    let reply: Vec<String> = fake
        .sent_to(KETUA)
        .into_iter()
        .skip(before)
        .map(|m| m.1)
        .collect();
    assert!(reply.len() <= 3, "{} messages", reply.len());
    assert!(
        reply.concat().contains("20000 baris bermasalah"),
        "{reply:?}"
    );

    // A file that claims a kilobyte and holds 8 MB is not read past 5 MB.
    press(fake, KETUA, &format!("1|r|{batch}")).await;
    let before = fake.sent_to(KETUA).len();
    fake.send_document_claiming(KETUA, KETUA, "hasil.csv", vec![b'x'; 8 << 20], 1024);
    fake.until("the refusal of the large file", |f| {
        f.sent_to(KETUA)
            .iter()
            .skip(before)
            .any(|(_, t, _)| t == "Berkas terlalu besar (paling besar 5 MB).")
    })
    .await;

    // Nothing was refused by Telegram: every part and edit was valid HTML
    // within 4,096 characters, every pop-up within 200.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let failed: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT key, last_error FROM outbox WHERE status = 'failed' OR last_error IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(fake.toasts().iter().all(|(t, _)| t.chars().count() <= 200));
    drop(conn);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_member_is_a_stranger_until_reactivated() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let made = staff_named(&app, "Ir. Made Sudarsana").await;
    let sertibot::workflow::Actor::Staff(made) = made else {
        unreachable!()
    };
    app.set_member_active(made.id, false).await.unwrap();
    assert_eq!(
        say(fake, KOMITE, "/tugas").await,
        "Maaf, bot ini hanya melayani staf LSP yang terdaftar."
    );
    let before = fake.toasts().len();
    fake.press(KOMITE, KOMITE, 1, "1|y|1");
    fake.until("the refusal", |f| f.toasts().len() > before)
        .await;
    assert_eq!(
        fake.toasts()[before].0,
        "Maaf, bot ini hanya melayani staf LSP yang terdaftar."
    );
    // A batch started now gives the deactivated member nothing.
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
        assert!(rows.iter().all(|r| r.member_id != Some(made.id.0)));
    }
    app.set_member_active(made.id, true).await.unwrap();
    assert!(say(fake, KOMITE, "/tugas").await.contains("tugas"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_read_every_answer_in_indonesian() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    assert_eq!(
        say(fake, KETUA, "/status 999999").await,
        "Tidak ada batch 999999."
    );
    assert_eq!(
        say(fake, KETUA, "/jeda 999999 1 menunggu BNSP").await,
        "Tidak ada batch 999999."
    );
    assert_eq!(
        say(fake, KETUA, "/ubahrapat 999999").await,
        "Tidak ada batch 999999."
    );
    // A scheme name too long, typed in the new-batch conversation: refused
    // at its own field, before the date and place are asked.
    say(fake, SERTIFIKASI, "/batchbaru").await;
    let reply = say(fake, SERTIFIKASI, &"Skema ".repeat(50)).await;
    assert_eq!(reply, "Nama skema lebih dari 200 karakter.");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_error_answer_is_stored_cut() {
    use support::fake_telegram::Fault;
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    fake.fail_next("sendMessage", Some(9_500), Fault::HugeError(2_000_000));
    app.reply(
        sertibot::notify::PrivateChat::new(9_500).unwrap(),
        None,
        "huge".into(),
        sertibot::notify::Message::Reply(sertibot::notify::views::Reply {
            text: "Pesan".into(),
        }),
        None,
    )
    .await
    .unwrap();
    let mut stored = 0;
    for _ in 0..200 {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let error: Option<String> =
            sqlx::query_scalar("SELECT last_error FROM outbox WHERE key = 'huge'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        if let Some(e) = error {
            stored = e.len();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stored > 0 && stored <= 64 * 1024, "{stored} bytes stored");
    // The retry goes through.
    world.clock.advance(chrono::Duration::minutes(5));
    app.changed();
    last_text(fake, 9_500, "Pesan").await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_button_press_is_answered_within_a_second() {
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let ack = format!("1|a|{batch}|1");
    fake.until("the task", |f| f.button(ADMINISTRASI, &ack).is_some())
        .await;
    let (message, data) = fake.button(ADMINISTRASI, &ack).unwrap();
    // A first press, repeats, a stranger's and a wrong role's: each answered in time.
    for (user, chat) in [
        (ADMINISTRASI, ADMINISTRASI),
        (ADMINISTRASI, ADMINISTRASI),
        (STRANGER, STRANGER),
        (KOMITE, KOMITE),
        (ADMINISTRASI, ADMINISTRASI),
    ] {
        let before = fake.count("answercallbackquery");
        let pressed = std::time::Instant::now();
        fake.press(user, chat, message, &data);
        fake.until("the answer", |f| f.count("answercallbackquery") > before)
            .await;
        let answered = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "answercallbackquery")
            .nth(before)
            .unwrap()
            .at;
        let took = answered.duration_since(pressed);
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_effects_were_committed_before_a_crash_changes_nothing_again() {
    use sertibot::workflow::Command;
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    press(fake, ADMINISTRASI, &format!("1|p|{batch}|1")).await;
    last_text(fake, ADMINISTRASI, "kendala").await;
    running.stop().await;
    let siti = staff_named(&app, "Siti Rahmawati").await;
    let counts = || async {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let counts: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM problems), (SELECT COUNT(*) FROM audit_log WHERE action = 'step_paused')",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        counts
    };

    // While the service is down, Siti types her problem; the service had
    // committed the update's unit of work and died before Telegram heard
    // it was received (emulated: the effects, in the update's own unit).
    let problem = fake.write(ADMINISTRASI, ADMINISTRASI, "Printer di ruang LSP rusak");
    let report = Command::ReportProblem {
        step: sertibot::sop::StepNo(1),
        text: "Printer di ruang LSP rusak".into(),
    };
    let unit = sertibot::store::UpdateUnit::new(&app.store, problem, app.now());
    unit.run(app.act(batch, &siti, &[report], Via::Telegram))
        .await
        .unwrap();
    unit.commit().await.unwrap();
    // Restarted, the service is handed the update again: nothing twice.
    // (Her chat's updates are handled in order: the answer to /tugas
    // comes after the one handed over again.)
    let before = fake.sent_to(ADMINISTRASI).len();
    let running = world.start().await;
    fake.write(ADMINISTRASI, ADMINISTRASI, "/tugas");
    fake.until("the answer to /tugas", |f| {
        f.sent_to(ADMINISTRASI)
            .iter()
            .skip(before)
            .any(|(_, t, _)| t.contains("Langkah 1"))
    })
    .await;
    last_text(fake, KETUA, "Printer di ruang LSP rusak").await;
    assert_eq!(counts().await, (1, 0), "one problem recorded");
    running.stop().await;

    // The same for a typed command: a pause.
    let before = fake.sent_to(ADMINISTRASI).len();
    let pause = fake.write(
        ADMINISTRASI,
        ADMINISTRASI,
        &format!("/jeda {batch} 1 menunggu tinta"),
    );
    let hold = Command::PauseStep {
        step: sertibot::sop::StepNo(1),
        reason: "menunggu tinta".into(),
    };
    let unit = sertibot::store::UpdateUnit::new(&app.store, pause, app.now());
    unit.run(app.act(batch, &siti, &[hold], Via::Telegram))
        .await
        .unwrap();
    unit.commit().await.unwrap();
    let running = world.start().await;
    fake.write(ADMINISTRASI, ADMINISTRASI, "/tugas");
    fake.until("the answer to /tugas", |f| {
        f.sent_to(ADMINISTRASI)
            .iter()
            .skip(before)
            .any(|(_, t, _)| t.contains("Langkah 1"))
    })
    .await;
    assert_eq!(counts().await, (1, 1), "one pause recorded");
    running.stop().await;
}

/// Steps the Telegram worker with `process_next` until it reports on the
/// row `key` (or gives up after twenty steps); waits only for the worker's
/// own read gap when it says it is idle.
async fn step_until(
    worker: &mut sertibot::telegram::delivery::Delivery,
    key: &str,
) -> sertibot::outbox::Progress {
    use sertibot::outbox::Progress;
    for _ in 0..20 {
        match worker.process_next().await.unwrap() {
            Progress::Idle(next) => {
                let until =
                    next.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_millis(60));
                tokio::time::sleep_until(
                    until.min(tokio::time::Instant::now() + Duration::from_secs(2)),
                )
                .await;
            }
            Progress::Sent(k) | Progress::Deferred(k) | Progress::Failed(k) if k != key => {}
            done => return done,
        }
    }
    panic!("the worker never reported on {key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_telegram_worker_steps_one_message_at_a_time_and_wakes_the_email_worker() {
    use sertibot::notify::{Message, Outgoing, views::Reply};
    use sertibot::outbox::Progress;
    use support::fake_telegram::Fault;
    let world = World::new().await;
    let running = world.start().await;
    register_staff(&world, &running.app).await;
    running.stop().await;

    let app = world.app().await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let members = Store::members(&mut conn).await.unwrap();
    drop(conn);
    let member = |name: &str| members.iter().find(|m| m.name == name).unwrap().id;
    let queue = |key: &str, to, text: &str| {
        let message = Message::Reply(Reply { text: text.into() });
        Outgoing::to_member(key.into(), None, to, message)
    };
    let mut tx = app.store.begin().await.unwrap();
    let now = app.now();
    Store::enqueue(
        &mut tx,
        &[queue(
            "step:ketua",
            member("Dr. Hendra Wijaya"),
            "Untuk Ketua",
        )],
        now,
    )
    .await
    .unwrap();
    Store::enqueue(
        &mut tx,
        &[queue(
            "step:sertifikasi",
            member("Andi Pratama"),
            "Untuk Kabag Sertifikasi",
        )],
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let waker = app.waker();
    let woken = waker.watch();
    let mut worker = sertibot::telegram::delivery::Delivery::new(
        app.store.clone(),
        sertibot::telegram::bot(&app.config.telegram).unwrap(),
        app.templates.clone(),
        app.config.language,
        app.clock(),
        waker,
    );
    // Ketua LSP has blocked the bot: one step settles the row by email
    // instead, and wakes the email worker at once.
    world
        .fake
        .fail_next("sendMessage", Some(KETUA), Fault::Blocked);
    assert_eq!(
        step_until(&mut worker, "step:ketua").await,
        Progress::Failed("step:ketua".into())
    );
    assert!(
        woken.has_changed().unwrap(),
        "the email worker was not woken"
    );
    let mut conn = app.store.pool().acquire().await.unwrap();
    let fallback = Store::message(&mut conn, "step:ketua:fallback-email")
        .await
        .unwrap()
        .expect("the message went by email instead");
    assert_eq!(
        fallback.address.as_deref(),
        Some("hendra@lsp.example.ac.id")
    );
    drop(conn);
    // The next step sends Kabag Sertifikasi's message, once, with its text.
    assert_eq!(
        step_until(&mut worker, "step:sertifikasi").await,
        Progress::Sent("step:sertifikasi".into())
    );
    let sent: Vec<String> = world
        .fake
        .sent_to(SERTIFIKASI)
        .into_iter()
        .map(|(_, text, _)| text)
        .filter(|t| t.contains("Untuk Kabag Sertifikasi"))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        world
            .fake
            .sent_to(KETUA)
            .iter()
            .all(|(_, t, _)| !t.contains("Untuk Ketua"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ketua_and_kabag_sertifikasi_run_the_staff_list_and_corrections_from_chat() {
    use sertibot::sop::StepNo;
    use sertibot::workflow::{Command, Meeting};
    let world = World::new().await;
    let running = world.start().await;
    let app = running.app.clone();
    let fake = &world.fake;
    register_staff(&world, &app).await;

    // The staff list, for Ketua LSP; others are refused.
    let list = say(fake, KETUA, "/anggota").await;
    assert!(
        list.contains("Anggota sertibot") && list.contains("#4 Ir. Made Sudarsana · Komite Teknis"),
        "{list}"
    );
    let refused = say(fake, KOMITE, "/anggota").await;
    assert!(
        refused.contains("Ketua LSP") && !refused.contains("#4"),
        "{refused}"
    );
    assert!(
        say(fake, SERTIFIKASI, "/tambahanggota")
            .await
            .starts_with("Tulis seperti: /tambahanggota komite-teknis")
    );
    // A new member: the link to forward, and a warning for a second "Rina Kusuma".
    let link = say(
        fake,
        SERTIFIKASI,
        "/tambahanggota komite-teknis Rina Kusuma rina@example.com",
    )
    .await;
    assert!(
        link.contains("Anggota baru #6: Rina Kusuma")
            && link.contains("https://t.me/")
            && link.contains("?start=")
            && link.contains("⚠️ Anggota #5 bernama sama"),
        "{link}"
    );
    // Once sent, the link is not kept in the database (only its hash is).
    let mut conn = app.store.pool().acquire().await.unwrap();
    let mut kept: Vec<String> = Vec::new();
    // The row is marked sent just after Telegram took it.
    for _ in 0..100 {
        kept = sqlx::query_scalar(
            "SELECT context FROM outbox WHERE template = 'registration_link' AND status = 'sent'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        if !kept.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        kept.len() == 1 && !kept[0].contains("?start=") && kept[0].contains("not kept"),
        "{kept:?}"
    );
    drop(conn);
    assert_eq!(
        say(fake, KETUA, "/nonaktifkan 6").await,
        "Tercatat: Rina Kusuma dinonaktifkan; aksesnya ke bot berakhir sekarang."
    );
    assert_eq!(
        say(fake, KETUA, "/nonaktifkan 6").await,
        "Anggota 6 sudah dinonaktifkan."
    );
    assert_eq!(
        say(fake, KETUA, "/peran 4 tambah kabag-administrasi").await,
        "Tercatat: Ir. Made Sudarsana kini memiliki peran Kabag Administrasi; tugas terbuka untuk peran itu sudah dikirim kepadanya."
    );
    assert_eq!(
        say(fake, KETUA, "/emailanggota 2 andi@lsp.example.ac.id").await,
        "Tercatat: alamat email Andi Pratama diganti."
    );
    // A NIP, printed under the name where the member signs: spaces kept,
    // a text that is no NIP refused in one sentence, shown in /anggota.
    assert_eq!(
        say(fake, KETUA, "/nipanggota 1 19650101  199003 1 002").await,
        "Tercatat: NIP Dr. Hendra Wijaya disimpan; dicetak di bawah namanya pada tanda tangan dokumen."
    );
    assert!(
        say(fake, KETUA, "/nipanggota 1 NIP#1!")
            .await
            .starts_with("'NIP#1!' bukan NIP"),
    );
    assert!(
        say(fake, KETUA, "/nipanggota 1")
            .await
            .starts_with("Tulis seperti: /nipanggota 4"),
    );
    let list = say(fake, SERTIFIKASI, "/anggota").await;
    assert!(
        list.contains("Dr. Hendra Wijaya · Ketua LSP · NIP 19650101 199003 1 002"),
        "{list}"
    );

    // A batch through the decree, out of chat.
    let batch = batch_of_five(&app).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    // Made now holds Kabag Administrasi too: step 1's card reaches him.
    last_text(fake, KOMITE, "Langkah 1:").await;
    let siti = staff_named(&app, "Siti Rahmawati").await;
    let meeting = Meeting {
        starts_at: sertibot::clock::Clock::now(&*world.clock) + chrono::Duration::days(2),
        place: "Ruang Rapat".into(),
    };
    let run = |who: Actor, commands: Vec<Command>| {
        let app = app.clone();
        async move {
            app.act(batch, &who, &commands, Via::Telegram)
                .await
                .unwrap()
        }
    };
    run(
        siti.clone(),
        vec![
            Command::SetMeeting { meeting },
            Command::MarkDone { step: StepNo(1) },
        ],
    )
    .await;
    run(
        staff_named(&app, "Andi Pratama").await,
        vec![Command::MarkDone { step: StepNo(2) }],
    )
    .await;
    let ketua = staff_named(&app, "Dr. Hendra Wijaya").await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    let mut results: Vec<Command> = state
        .participants
        .keys()
        .map(|p| Command::RecordResult {
            participant: *p,
            result: sertibot::domain::Competence::Kompeten,
        })
        .collect();
    results.push(Command::MarkDone { step: StepNo(3) });
    world
        .clock
        .advance(chrono::Duration::days(2) + chrono::Duration::hours(1));
    results.push(Command::RecordDecree {
        decree: sertibot::workflow::Decree {
            number: "SK/042".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
    });
    results.push(Command::MarkDone { step: StepNo(4) });
    run(ketua, results).await;

    // After the decree, only Ketua LSP corrects a result, with a reason;
    // the BK letter's step, skipped, opens for the participant.
    // (Other messages reach these chats meanwhile: wait for each answer.)
    fake.write(KETUA, KETUA, "/koreksihasil");
    last_text(fake, KETUA, "Tulis seperti: /koreksihasil 3 MET-0004 BK").await;
    fake.write(
        SERTIFIKASI,
        SERTIFIKASI,
        "/koreksihasil 1 REG-00003 BK salah input",
    );
    last_text(
        fake,
        SERTIFIKASI,
        "Langkah 3 hanya dapat dikerjakan oleh Ketua LSP.",
    )
    .await;
    fake.write(
        KETUA,
        KETUA,
        "/koreksihasil 1 REG-00003 BK salah input pada rapat",
    );
    last_text(
        fake,
        KETUA,
        "Tercatat: hasil Bagus Setiawan dikoreksi menjadi BK. Peserta diberi tahu lewat email.",
    )
    .await;
    last_text(fake, ADMINISTRASI, "Langkah 5:").await;
    // A participant's email corrected: what waits goes to the new address,
    // what went to the old one is sent again.
    fake.write(
        SERTIFIKASI,
        SERTIFIKASI,
        "/emailpeserta 1 REG-00004 yohana.m@example.com salah ketik",
    );
    last_text(
        fake,
        SERTIFIKASI,
        "Tercatat: email Yohana Fransiska Manurung dikoreksi.",
    )
    .await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let rows = Store::outbox_of(&mut conn, batch).await.unwrap();
    let correction = rows
        .iter()
        .find(|r| r.template == "result_correction")
        .expect("the correction email is queued");
    assert_eq!(correction.address.as_deref(), Some("asesi3@example.com"));
    assert!(
        rows.iter()
            .any(|r| r.template == "result_k"
                && r.address.as_deref() == Some("yohana.m@example.com"))
    );
    let audit = Store::audit_of(&mut conn, Some(batch)).await.unwrap();
    let corrected = audit
        .iter()
        .find(|r| r.action == "result_corrected")
        .unwrap();
    assert_eq!(corrected.detail["reason"], "salah input pada rapat");
    assert!(audit.iter().any(|r| r.action == "participant_corrected"
        && r.detail["reason"] == "salah ketik"
        && !r.detail.to_string().contains("yohana.m@")));
    drop(conn);

    // Cancelled: those with an open task are told; presses are refused.
    fake.write(KETUA, KETUA, "/batalkanbatch 1 peserta pindah jadwal");
    last_text(
        fake,
        KETUA,
        "Tercatat: batch 1 dibatalkan. Anggota yang masih memiliki tugas sudah diberi tahu.",
    )
    .await;
    last_text(fake, ADMINISTRASI, "Batch #1 dibatalkan").await;
    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Cancelled);
    // Nothing of the batch waits to be sent but the notices of the cancellation.
    let mut conn = app.store.pool().acquire().await.unwrap();
    let waiting: Vec<String> = Store::outbox_of(&mut conn, batch)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == sertibot::store::OutboxStatus::Pending)
        .map(|r| r.template)
        .collect();
    assert!(
        waiting.iter().all(|t| t == "batch_cancelled"),
        "{waiting:?}"
    );
    drop(conn);
    running.stop().await;
}
