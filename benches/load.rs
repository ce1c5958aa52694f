//! The load figures of BENCHMARKS.md, measured on this machine in one run:
//! SQLite's commit rate; acknowledgements answered per second and their
//! latency from update to answer against the stand-in Bot API; a
//! 1,000-recipient invitation wave against a stand-in that enforces
//! Telegram's limits; emails per second over a pooled SMTP connection
//! against one connection per mail; the running service's memory idle and
//! during a 1,000-participant batch; and its start-up time with 1,000
//! finished batches.
//!
//! `cargo bench --bench load` runs everything (about four minutes after
//! the build); `cargo bench --bench load -- acks wave` runs the named parts
//! (`sqlite`, `acks`, `ceiling`, `wave`, `email`, `memory`, `startup`).
//! `ceiling` is a teloxide bot that does nothing but answer each press and
//! edit its message, on the same stand-in: what the machine allows. Not a test:
//! numbers to read, not to assert.

#[path = "../tests/it/support/fake_telegram.rs"]
mod fake_telegram;
#[path = "../tests/it/support/smtp.rs"]
mod smtp;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fake_telegram::FakeTelegram;
use sertibot::app::{App, Via};
use sertibot::clock::SystemClock;
use sertibot::config::Config;
use sertibot::domain::{BatchId, Competence, Role, RoleSet, TelegramUserId};
use sertibot::service::Service;
use sertibot::sop::StepNo;
use sertibot::workflow::{Actor, Command, Decree, Meeting, Staff};

const BIN: &str = env!("CARGO_BIN_EXE_sertibot");
const TOKEN: &str = "424242:LOAD-token";
const INVITATION: &str = "Undangan Rapat Komite Teknis";

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |part: &str| wanted.is_empty() || wanted.iter().any(|w| w == part);
    sertibot::logging::init("error");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "machine: {} cores; sertibot {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        env!("CARGO_PKG_VERSION")
    );
    runtime.block_on(async {
        if run("sqlite") {
            sqlite().await;
        }
        if run("acks") {
            acks().await;
        }
        if run("ceiling") {
            ceiling().await;
        }
        if run("wave") {
            wave().await;
        }
        if run("email") {
            email().await;
        }
        if run("memory") {
            memory().await;
        }
        if run("startup") {
            startup().await;
        }
    });
}

// ------------------------------------------------------------------ set-up

/// A folder with a configuration for the stand-in at `api_url` and SMTP on
/// `smtp_port`, and the application open on its database.
async fn open(api_url: &str, smtp_port: u16) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sertibot.toml");
    std::fs::write(
        &path,
        format!(
            "[database]\npath = \"load.db\"\n[telegram]\nbot_username = \"lsp_test_bot\"\ntoken = \"{TOKEN}\"\napi_url = \"{api_url}\"\npoll_timeout_secs = 1\n\
             [mail]\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\nfrom = \"LSP STMI <lsp@stmi.example.ac.id>\"\n[calendar]\nmode = \"wall-clock\"\n"
        ),
    )
    .unwrap();
    let config = Config::load(Some(&path), |name| {
        (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())
    })
    .unwrap();
    let app = App::open(config, Arc::new(SystemClock)).await.unwrap();
    (dir, app)
}

/// Adds a member with `role`, registered in Telegram as `user`.
async fn member(app: &App, name: &str, role: Role, user: i64, email: Option<&str>) -> Actor {
    let roles: RoleSet = [role].into();
    let added = app.add_member(name, &roles, email).await.unwrap();
    app.redeem(&added.token.token, TelegramUserId(user))
        .await
        .unwrap();
    Actor::Staff(Staff {
        id: added.id,
        name: name.into(),
        roles,
    })
}

/// A started batch of `participants`.
async fn batch(app: &App, participants: usize) -> BatchId {
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
    let mut csv = String::from("name,email,registration_no\n");
    for i in 0..participants {
        csv.push_str(&format!(
            "Peserta {i},asesi{}.{i}@example.com,MET-{i:05}\n",
            batch.0
        ));
    }
    app.import_participants(batch, csv.as_bytes(), &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    batch
}

/// Marks everything queued so far as sent, as on a service that has been
/// delivering all along (set-up only; the measured part sends for real).
async fn all_delivered(app: &App) {
    let mut conn = app.store.pool().acquire().await.unwrap();
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = next_attempt_at WHERE status = 'pending'",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
}

/// Runs the service in this process until the returned sender is used.
fn serve_in_process(
    app: Arc<App>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let bot = sertibot::telegram::bot(&app.config.telegram).unwrap();
    let service = Service {
        app,
        bot,
        clock: Arc::new(SystemClock),
        intake: sertibot::config::IntakeMode::Polling {
            timeout: Duration::from_secs(1),
        },
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        service
            .run(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (stop, task)
}

async fn polling(fake: &FakeTelegram) {
    while !fake.requests().iter().any(|r| r.method == "getupdates") {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The CPU time this whole process has used so far (user + system): the
/// service and the stand-in together, as they share the process.
fn cpu_used() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

// ------------------------------------------------------------------ parts

/// SQLite's commit rate on this machine, with the service's settings (WAL,
/// synchronous NORMAL, BEGIN IMMEDIATE): the bound on anything that
/// writes one transaction per action.
async fn sqlite() {
    let (_dir, app) = open("http://127.0.0.1:9", 9).await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    sqlx::query("CREATE TABLE bench_commits (n INTEGER NOT NULL, at TEXT NOT NULL)")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let n = 5_000;
    let timer = Instant::now();
    for i in 0..n {
        let mut tx = app.store.begin().await.unwrap();
        sqlx::query("INSERT INTO bench_commits (n, at) VALUES (?, datetime('now'))")
            .bind(i)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let rate = f64::from(n) / timer.elapsed().as_secs_f64();
    println!("sqlite: {rate:.0} commits/s (one-row BEGIN IMMEDIATE transactions, {n} in a row)");
}

/// Acknowledgements: Kabag Administrasi members press "Saya terima" on
/// step 1 tasks of many batches; each press is a new acknowledgement
/// recorded in one transaction (the fact, the audit row, the task
/// messages' edits in the outbox) and answered with answerCallbackQuery.
async fn acks() {
    const HOLDERS: i64 = 4;
    // The batches pressed, and running batches nobody presses (what the
    // database holds besides): `SERTIBOT_BENCH_BATCHES`,
    // `SERTIBOT_BENCH_IDLE_BATCHES`, to see a press's cost against the
    // database's size.
    let count = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .unwrap_or(default)
    };
    let batches_pressed = count("SERTIBOT_BENCH_BATCHES", 1_500).max(5);
    let idle = count("SERTIBOT_BENCH_IDLE_BATCHES", 0);
    let fake = FakeTelegram::start().await;
    let (_dir, app) = open(&fake.url, 9).await;
    member(&app, "Dr. Hendra Wijaya", Role::KetuaLsp, 9_000, None).await;
    member(&app, "Andi", Role::KabagSertifikasi, 9_001, None).await;
    member(&app, "Made", Role::KomiteTeknis, 9_003, None).await;
    for h in 0..HOLDERS {
        member(
            &app,
            &format!("Staf Administrasi {h}"),
            Role::KabagAdministrasi,
            5_001 + h,
            None,
        )
        .await;
    }
    let mut batches = Vec::new();
    for _ in 0..batches_pressed {
        batches.push(batch(&app, 1).await);
    }
    // The core alone: one acknowledgement recorded through the use case
    // (load the batch, decide, write fact + audit + outbox), no Telegram.
    let first_holder = app
        .members()
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| m.telegram_user_id == Some(TelegramUserId(5_001)))
        .map(|m| {
            Actor::Staff(Staff {
                id: m.id,
                name: m.name,
                roles: m.roles,
            })
        })
        .unwrap();
    for _ in 0..idle {
        batch(&app, 1).await;
    }
    let core_runs = batches_pressed.min(500) as u32;
    let mut core = Vec::new();
    for _ in 0..core_runs {
        core.push(batch(&app, 1).await);
    }
    app.store.checkpoint().await.unwrap();
    let timer = Instant::now();
    for b in &core {
        app.act(
            *b,
            &first_holder,
            &[Command::Acknowledge { step: StepNo(1) }],
            Via::Telegram,
        )
        .await
        .unwrap();
    }
    let each = timer.elapsed() / core_runs;
    println!(
        "acks, the core alone: {} per acknowledgement through App::act = {:.0}/s on one task",
        ms(each),
        1.0 / each.as_secs_f64()
    );
    all_delivered(&app).await;
    let (running, outbox_rows): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM batches WHERE status = 'running'), (SELECT COUNT(*) FROM outbox)",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    println!(
        "acks: {} presses on {batches_pressed} batches; the database holds {running} running batches and {outbox_rows} outbox rows",
        batches_pressed * HOLDERS
    );
    let app = Arc::new(app);
    let (stop, task) = serve_in_process(app.clone());
    polling(&fake).await;

    // Each (batch, holder) is acknowledged once; presses are spread over
    // the holders' chats as they would come from several people.
    let mut presses = batches
        .iter()
        .flat_map(|b| (0..HOLDERS).map(move |h| (5_001 + h, b.0)));
    let mut pushed: HashMap<String, Instant> = HashMap::new();
    let mut press = |fake: &FakeTelegram, pushed: &mut HashMap<String, Instant>| {
        let (user, b) = presses.next().unwrap();
        let at = Instant::now();
        let update = fake.press(user, user, 1, &format!("1|a|{b}|1"));
        pushed.insert(format!("q{user}-1-{update}"), at);
    };
    let answered = |fake: &FakeTelegram| -> Vec<(String, Instant, String)> {
        fake.requests()
            .into_iter()
            .filter(|r| r.method == "answercallbackquery")
            .map(|r| {
                (
                    r.body["callback_query_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    r.at,
                    r.body["text"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let wait_for = |fake: &FakeTelegram, n: usize| {
        let fake = fake.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while fake.count("answercallbackquery") < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // Warm-up.
    let total = batches_pressed * HOLDERS;
    let warm_up = (total / 20).min(100) as usize;
    for _ in 0..warm_up {
        press(&fake, &mut pushed);
    }
    wait_for(&fake, warm_up).await;
    let warm = answered(&fake).len();

    // Paced: 200 a second for 10 seconds (fewer on a small run).
    let paced = (total * 2 / 5).min(2_000) as u32;
    let start = tokio::time::Instant::now();
    for i in 0..paced {
        tokio::time::sleep_until(start + Duration::from_millis(5) * i).await;
        press(&fake, &mut pushed);
    }
    wait_for(&fake, warm + paced as usize).await;
    let after_paced = answered(&fake);
    let mut latencies: Vec<Duration> = after_paced[warm..]
        .iter()
        .map(|(id, at, _)| at.duration_since(pushed[id]))
        .collect();
    latencies.sort();
    println!(
        "acks at 200/s: {} answered, latency update→answer p50 {} p99 {} max {}",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap())
    );

    // Full load: every remaining press at once.
    let before = after_paced.len();
    let rest = (batches_pressed * HOLDERS) as usize - before;
    let cpu_before = cpu_used();
    let fetches_before = fake.count("getupdates");
    let first = Instant::now();
    for _ in 0..rest {
        press(&fake, &mut pushed);
    }
    let offered = first.elapsed();
    wait_for(&fake, before + rest).await;
    let cpu = cpu_used() - cpu_before;
    let all = answered(&fake);
    let last = all.iter().map(|(_, at, _)| *at).max().unwrap();
    let took = last.duration_since(first);
    let mut latencies: Vec<Duration> = all[before..]
        .iter()
        .map(|(id, at, _)| at.duration_since(pushed[id]))
        .collect();
    latencies.sort();
    println!(
        "acks at full load: {rest} pressed within {} and answered within {} = {:.0}/s; latency p50 {} p99 {}",
        ms(offered),
        ms(took),
        rest as f64 / took.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
    );
    println!(
        "acks at full load: CPU {} per press (the whole process: service and stand-in); {} getUpdates",
        ms(cpu / rest as u32),
        fake.count("getupdates") - fetches_before
    );
    let _ = stop.send(());
    let _ = task.await;

    // Every press was a new acknowledgement, recorded.
    let mut recorded = 0;
    for b in &batches {
        let (_, state, _) = app.batch(*b).await.unwrap();
        recorded += state.run(StepNo(1)).acks.len();
    }
    let refused = all
        .iter()
        .filter(|(_, _, text)| !text.contains("terima") && !text.contains("Tercatat"))
        .count();
    println!(
        "acks: {recorded} acknowledgements recorded for {} presses; {refused} answers that do not read as a receipt: {:?}",
        all.len(),
        all.iter()
            .map(|(_, _, t)| t.as_str())
            .take(1)
            .collect::<Vec<_>>()
    );
    // Edits of the task cards: queued, replaced by a newer edit while they
    // waited, and left to go out (the latest version of each card).
    let mut conn = app.store.pool().acquire().await.unwrap();
    let (queued, replaced): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'replaced') FROM outbox WHERE edit_of IS NOT NULL",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    println!(
        "acks: {queued} card edits queued, {replaced} replaced by a newer edit while waiting, {} to go out",
        queued - replaced
    );
}

/// The ceiling: a teloxide bot (its own polling dispatcher) that does
/// nothing but answer each press and edit the pressed message, against
/// the same stand-in, with the same full load as `acks` (3,900 presses at
/// once over four chats).
async fn ceiling() {
    use teloxide::prelude::*;
    const PRESSES: usize = 3_900;
    let fake = FakeTelegram::start().await;
    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(&fake.url).unwrap());
    // A message in each of four chats for the presses to edit.
    let mut cards = Vec::new();
    for user in 5_001..5_005_i64 {
        let sent = bot.send_message(ChatId(user), "kartu").await.unwrap();
        cards.push((user, sent.id.0 as i64));
    }
    let handler =
        Update::filter_callback_query().endpoint(|bot: Bot, q: CallbackQuery| async move {
            bot.answer_callback_query(q.id.clone())
                .text("Tercatat")
                .await?;
            if let Some(message) = q.regular_message() {
                bot.edit_message_text(message.chat.id, message.id, "diterima")
                    .await?;
            }
            respond(())
        });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });
    polling(&fake).await;
    let cpu_before = cpu_used();
    let first = Instant::now();
    for i in 0..PRESSES {
        let (user, card) = cards[i % cards.len()];
        fake.press(user, user, card, "1|a|1|1");
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while fake.count("answercallbackquery") < PRESSES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let last = fake
        .requests()
        .iter()
        .filter(|r| r.method == "answercallbackquery")
        .map(|r| r.at)
        .max()
        .unwrap();
    let cpu = cpu_used() - cpu_before;
    let took = last.duration_since(first);
    println!(
        "ceiling (teloxide, answer + edit, nothing recorded): {PRESSES} presses answered within {} = {:.0}/s; CPU {} per press (bot and stand-in)",
        ms(took),
        PRESSES as f64 / took.as_secs_f64(),
        ms(cpu / PRESSES as u32)
    );
    if let Ok(stopping) = shutdown.shutdown() {
        stopping.await;
    }
    let _ = task.await;
}

/// The invitation to 999 committee members and Ketua LSP (1,000 messages)
/// against a stand-in that answers 429 beyond 30 a second or one a second
/// per chat.
async fn wave() {
    const RECIPIENTS: usize = 1_000;
    let fake = FakeTelegram::start().await;
    fake.enforce_limits();
    let (_dir, app) = open(&fake.url, 9).await;
    member(&app, "Dr. Hendra Wijaya", Role::KetuaLsp, 9_000, None).await;
    member(&app, "Andi", Role::KabagSertifikasi, 9_001, None).await;
    let administrasi = member(&app, "Siti", Role::KabagAdministrasi, 5_001, None).await;
    for i in 0..RECIPIENTS - 1 {
        member(
            &app,
            &format!("Anggota Komite {i}"),
            Role::KomiteTeknis,
            10_000 + i as i64,
            None,
        )
        .await;
    }
    let b = batch(&app, 1).await;
    app.act(
        b,
        &administrasi,
        &[Command::Acknowledge { step: StepNo(1) }],
        Via::Cli,
    )
    .await
    .unwrap();
    all_delivered(&app).await;
    let app = Arc::new(app);
    let (stop, task) = serve_in_process(app.clone());
    polling(&fake).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    let start = Instant::now();
    app.act(
        b,
        &administrasi,
        &[
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: chrono::Utc::now() + chrono::Duration::days(7),
                    place: "Ruang Rapat LSP".into(),
                },
            },
            Command::MarkDone { step: StepNo(1) },
        ],
        Via::Cli,
    )
    .await
    .unwrap();
    let invitations = |fake: &FakeTelegram| {
        fake.requests()
            .into_iter()
            .filter(|r| {
                r.method == "sendmessage"
                    && !r.over_limit
                    && r.body["text"]
                        .as_str()
                        .is_some_and(|t| t.contains(INVITATION))
            })
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while invitations(&fake).len() < RECIPIENTS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let sent = invitations(&fake);
    let last = sent.iter().map(|r| r.at).max().unwrap();
    let took = last.duration_since(start);
    let floor = RECIPIENTS as f64 / 30.0;
    println!(
        "wave: {} invitations accepted in {:.2} s; floor {RECIPIENTS}/30 = {floor:.2} s; ratio {:.3}; 429s {}",
        sent.len(),
        took.as_secs_f64(),
        took.as_secs_f64() / floor,
        fake.refused_by_limits()
    );
    for r in fake.requests().iter().filter(|r| r.over_limit) {
        println!(
            "wave: refused by the limits: chat {} «{}»",
            r.body["chat_id"],
            r.body["text"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect::<String>()
        );
    }
    let _ = stop.send(());
    let _ = task.await;
}

/// Emails to the local SMTP server: one pooled transport (what the service
/// uses) against a new transport, so a new connection, per mail.
async fn email() {
    let port = smtp::free_port();
    let inbox = smtp::serve(port);
    let (_dir, app) = open("http://127.0.0.1:9", port).await;
    let message =
        |i: usize| {
            lettre::Message::builder()
            .from("LSP STMI <lsp@stmi.example.ac.id>".parse().unwrap())
            .to(format!("Peserta {i} <asesi{i}@example.com>").parse().unwrap())
            .subject("Hasil uji kompetensi: Kompeten")
            .body(
                "Yth. Peserta,\n\nDengan hormat, kami sampaikan bahwa Anda dinyatakan KOMPETEN.\n"
                    .repeat(20),
            )
            .unwrap()
        };
    let n = 500;
    // The service's email worker (its lanes over the pool) through the
    // outbox, first, while the server has no other connection open.
    let before = inbox.lock().unwrap().len();
    let now = app.now();
    let mut tx = app.store.begin().await.unwrap();
    let rows: Vec<sertibot::notify::Outgoing> = (0..n)
        .map(|i| sertibot::notify::Outgoing {
            key: format!("bench-mail-{i}"),
            channel: sertibot::notify::Channel::Email,
            batch: None,
            member: None,
            participant: None,
            address: Some(format!("asesi{i}@example.com")),
            message: sertibot::notify::Message::MailTest(Default::default()),
            edit_of: None,
            chat: None,
        })
        .collect();
    sertibot::store::Store::enqueue(&mut tx, &rows, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (mailer, from) = sertibot::mail::transport::Mailer::from_config(&app.config.mail).unwrap();
    let composer = sertibot::mail::compose::Composer {
        templates: app.templates.clone(),
        lang: app.config.language,
        from,
        reply_to: None,
        installation: app.store.installation().to_string(),
    };
    let worker = sertibot::mail::delivery::EmailDelivery::new(
        app.store.clone(),
        mailer,
        composer,
        app.clock(),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let timer = Instant::now();
    let running = tokio::spawn(worker.run(app.watch_changes(), stopped));
    while inbox.lock().unwrap().len() < before + n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let worker_rate = n as f64 / timer.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = running.await;

    let (pooled, _) = sertibot::mail::transport::Mailer::from_config(&app.config.mail).unwrap();
    pooled.send(&message(0), "warm").await.unwrap();
    let timer = Instant::now();
    for i in 0..n {
        pooled.send(&message(i), "x").await.unwrap();
    }
    let pooled_rate = n as f64 / timer.elapsed().as_secs_f64();
    let timer = Instant::now();
    for i in 0..n {
        let (single, _) = sertibot::mail::transport::Mailer::from_config(&app.config.mail).unwrap();
        single.send(&message(i), "x").await.unwrap();
    }
    let single_rate = n as f64 / timer.elapsed().as_secs_f64();
    println!(
        "email: pooled {pooled_rate:.0}/s, one connection per mail {single_rate:.0}/s, {:.1}× ({} received)",
        pooled_rate / single_rate,
        inbox.lock().unwrap().len()
    );
    println!(
        "email: the worker's {} lanes through the outbox {worker_rate:.0}/s, {:.1}× one connection per mail",
        sertibot::mail::delivery::LANES,
        worker_rate / single_rate
    );
}

/// The running service (`sertibot run`, a child process): resident memory
/// idle, and its peak while a batch of 1,000 participants goes through
/// every step and its 3,000 participant emails are sent.
async fn memory() {
    const PARTICIPANTS: usize = 1_000;
    let fake = FakeTelegram::start().await;
    let port = smtp::free_port();
    let inbox = smtp::serve(port);
    let (dir, app) = open(&fake.url, port).await;
    let ketua = member(&app, "Dr. Hendra Wijaya", Role::KetuaLsp, 9_000, None).await;
    let sertifikasi = member(&app, "Andi", Role::KabagSertifikasi, 9_001, None).await;
    let administrasi = member(&app, "Siti", Role::KabagAdministrasi, 9_002, None).await;
    let komite = member(&app, "Made", Role::KomiteTeknis, 9_003, None).await;
    let mut child = spawn(dir.path());
    polling(&fake).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss(&child);
    println!("memory: idle {} MiB resident", mib(idle.0));

    let db = dir.path().join("load.db");
    let b = batch(&app, PARTICIPANTS).await;
    let timer = Instant::now();
    // 900 K, 100 BK, as from a results file; handover a hundred at a time;
    // the service is poked after every command, as the command line does.
    every_step(
        &app,
        b,
        [&ketua, &sertifikasi, &administrasi, &komite],
        |i| i % 10 == 9,
        100,
        Some(&db),
    )
    .await;
    let recorded = timer.elapsed();

    // Until every email is out (Telegram edits to a few chats go on at
    // one a second per chat; the emails are the bulk).
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut conn = app.store.pool().acquire().await.unwrap();
    let mut emails_done = None;
    loop {
        peak = peak.max(rss(&child).0);
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND channel = 'email'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if pending == 0 && emails_done.is_none() {
            emails_done = Some(timer.elapsed());
        }
        if emails_done.is_some_and(|d| timer.elapsed() > d + Duration::from_secs(10))
            || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (current, high_water) = rss(&child);
    let emails: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'sent'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    println!(
        "memory: batch of {PARTICIPANTS} recorded in {:.2} s; {emails} emails sent ({} received) {:.1} s after the first command; peak resident {} MiB (sampled {} MiB), now {} MiB",
        recorded.as_secs_f64(),
        inbox.lock().unwrap().len(),
        emails_done.unwrap_or_default().as_secs_f64(),
        mib(high_water),
        mib(peak),
        mib(current)
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Start-up of `sertibot run` on a database holding 1,000 finished
/// batches: from the process's start to its first getUpdates.
async fn startup() {
    const BATCHES: usize = 1_000;
    let fake = FakeTelegram::start().await;
    let (dir, app) = open(&fake.url, 9).await;
    let ketua = member(&app, "Dr. Hendra Wijaya", Role::KetuaLsp, 9_000, None).await;
    let sertifikasi = member(&app, "Andi", Role::KabagSertifikasi, 9_001, None).await;
    let administrasi = member(&app, "Siti", Role::KabagAdministrasi, 9_002, None).await;
    let komite = member(&app, "Made", Role::KomiteTeknis, 9_003, None).await;
    let timer = Instant::now();
    for _ in 0..BATCHES {
        let b = batch(&app, 5).await;
        every_step(
            &app,
            b,
            [&ketua, &sertifikasi, &administrasi, &komite],
            |i| i == 0,
            5,
            None,
        )
        .await;
    }
    all_delivered(&app).await;
    let built = timer.elapsed();
    let finished = app
        .batches()
        .await
        .unwrap()
        .iter()
        .filter(|b| format!("{:?}", b.status).contains("Finished"))
        .count();
    drop(app);
    let db_size = std::fs::metadata(dir.path().join("load.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut times = Vec::new();
    for _ in 0..5 {
        let before = fake.requests().len();
        let start = Instant::now();
        let mut child = spawn(dir.path());
        while !fake.requests()[before..]
            .iter()
            .any(|r| r.method == "getupdates")
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(start.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort();
    println!(
        "startup: {finished} finished batches ({} MiB database, built in {:.0} s); start to first getUpdates: median {} (min {}, max {})",
        db_size / (1024 * 1024),
        built.as_secs_f64(),
        ms(times[2]),
        ms(times[0]),
        ms(times[4])
    );
}

/// Takes a started batch through every step as staff would: participant
/// `i` is BK when `bk(i)`, handover and receipts go `chunk` participants a
/// command, and with `poke` the running service is told after each command
/// (as the command line does).
async fn every_step(
    app: &App,
    b: BatchId,
    [ketua, sertifikasi, administrasi, komite]: [&Actor; 4],
    bk: impl Fn(usize) -> bool,
    chunk: usize,
    poke: Option<&Path>,
) {
    let s = StepNo;
    let act = |who: &Actor, commands: Vec<Command>| {
        let who = who.clone();
        async move {
            app.act(b, &who, &commands, Via::Cli).await.unwrap();
            if let Some(db) = poke {
                sertibot::wake::poke(db);
            }
        }
    };
    act(
        administrasi,
        vec![
            Command::Acknowledge { step: s(1) },
            Command::SetMeeting {
                meeting: Meeting {
                    starts_at: chrono::Utc::now() + chrono::Duration::hours(2),
                    place: "Ruang Rapat LSP".into(),
                },
            },
            Command::MarkDone { step: s(1) },
        ],
    )
    .await;
    act(
        komite,
        vec![Command::Rsvp {
            attend: true,
            reason: None,
        }],
    )
    .await;
    act(
        sertifikasi,
        vec![
            Command::Acknowledge { step: s(2) },
            Command::MarkDone { step: s(2) },
        ],
    )
    .await;
    let (_, state, _) = app.batch(b).await.unwrap();
    let ids: Vec<_> = state.participants.keys().copied().collect();
    let mut results: Vec<Command> = ids
        .iter()
        .enumerate()
        .map(|(i, p)| Command::RecordResult {
            participant: *p,
            result: if bk(i) {
                Competence::BelumKompeten
            } else {
                Competence::Kompeten
            },
        })
        .collect();
    // The meeting is held now, earlier than set (a plenary is closed only
    // once it has begun): moved to this minute first.
    let this_minute = chrono::Utc::now().timestamp().div_euclid(60) * 60;
    act(
        administrasi,
        vec![Command::RescheduleMeeting {
            meeting: Meeting {
                starts_at: chrono::DateTime::from_timestamp(this_minute, 0).unwrap(),
                place: "Ruang Rapat LSP".into(),
            },
        }],
    )
    .await;
    results.push(Command::MarkDone { step: s(3) });
    act(ketua, results).await;
    act(
        ketua,
        vec![
            Command::RecordDecree {
                decree: Decree {
                    number: format!("SK/LSP-STMI/{}/XI/2026", b.0),
                    date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                },
            },
            Command::MarkDone { step: s(4) },
        ],
    )
    .await;
    act(administrasi, vec![Command::MarkDone { step: s(5) }]).await;
    let mut blanks: Vec<Command> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| !bk(*i))
        .map(|(i, p)| Command::RecordBlankNumber {
            participant: *p,
            number: format!("BNSP-{}-{i:06}", b.0),
        })
        .collect();
    blanks.push(Command::MarkDone { step: s(6) });
    act(sertifikasi, blanks).await;
    act(sertifikasi, vec![Command::MarkDone { step: s(7) }]).await;
    act(ketua, vec![Command::MarkDone { step: s(8) }]).await;
    act(administrasi, vec![Command::MarkDone { step: s(10) }]).await;
    for some in ids.chunks(chunk) {
        let mut commands: Vec<Command> = some
            .iter()
            .map(|p| Command::OpenHandover { participant: *p })
            .collect();
        commands.extend(some.iter().map(|p| Command::RecordReceipt {
            participant: *p,
            via: sertibot::workflow::ReceiptVia::InPerson,
        }));
        act(sertifikasi, commands).await;
    }
}

// ------------------------------------------------------------------ the child

fn spawn(dir: &Path) -> Child {
    Process::new(BIN)
        .args([
            "--config",
            dir.join("sertibot.toml").to_str().unwrap(),
            "run",
        ])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// (VmRSS, VmHWM) of the child, in KiB.
fn rss(child: &Child) -> (u64, u64) {
    let status = std::fs::read_to_string(PathBuf::from(format!("/proc/{}/status", child.id())))
        .unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}
