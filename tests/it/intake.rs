//! The intake of the real `sertibot run` (a child process) against the
//! stand-in Bot API: webhook mode over real HTTP (the stand-in posts
//! updates as Telegram does; the tests also post as a stranger would: no
//! secret, a wrong one, malformed JSON, an oversized body, a replay);
//! SIGKILL at random moments in both modes with updates of every kind
//! arriving; SIGTERM while idle and busy.

use crate::support;
use std::time::Duration;

use serde_json::json;
use sertibot::app::Via;
use sertibot::workflow::Actor;
use support::service::{ADMINISTRASI, KOMITE, Running, WEBHOOK_SECRET};

const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// A private message from `user`, as Telegram would post it.
fn message(update_id: i64, user: i64, text: &str) -> String {
    json!({"update_id": update_id, "message": {
        "message_id": 1,
        "date": chrono::Utc::now().timestamp(),
        "chat": {"id": user, "type": "private", "first_name": "U"},
        "from": {"id": user, "is_bot": false, "first_name": "U"},
        "text": text,
    }})
    .to_string()
}

async fn post(target: &str, secret: Option<&str>, body: impl Into<reqwest::Body>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(target)
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = secret {
        request = request.header(SECRET_HEADER, secret);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn audited(app: &sertibot::app::App, action: &str) -> Vec<String> {
    let mut conn = app.store.pool().acquire().await.unwrap();
    sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = ? ORDER BY id")
        .bind(action)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn handled(app: &sertibot::app::App, update_id: i64) -> bool {
    let mut conn = app.store.pool().acquire().await.unwrap();
    sertibot::store::Store::update_handled(&mut conn, update_id)
        .await
        .unwrap()
}

/// The service registers its URL and secret with Telegram, handles what
/// Telegram posts with the secret, refuses (and audits, without the body)
/// what comes without it, with a wrong one, malformed or too large, takes a
/// replayed update without handling it twice, and deletes the webhook
/// when started again in polling mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_takes_only_telegrams_updates_and_each_once() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start_webhook(3, port).await;
    let (fake, app) = (&service.fake, &service.app);
    let target = service.webhook.clone().unwrap();

    // setWebhook with the public URL, the secret and the updates read.
    fake.until("setWebhook", |f| f.count("setwebhook") > 0)
        .await;
    let set = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "setwebhook")
        .unwrap();
    assert_eq!(set.body["url"], "https://lsp.example.ac.id/tg/hook");
    assert_eq!(set.body["secret_token"], WEBHOOK_SECRET);
    assert_eq!(
        set.body["allowed_updates"],
        json!(["message", "callback_query", "my_chat_member"])
    );
    assert_eq!(fake.count("getupdates"), 0, "no polling in webhook mode");

    // Telegram posts a command with the secret: it is answered.
    let asked = fake.write(KOMITE, KOMITE, "/tugas");
    fake.until("the reply to /tugas", |f| !f.sent_to(KOMITE).is_empty())
        .await;
    assert!(fake.accepted().contains(&asked));
    assert!(handled(app, asked).await);

    // Without the secret, or with a wrong one (even one differing only in
    // its last character, or longer): 401, not handled, not answered.
    let stranger = 991_000;
    let mut wrong = WEBHOOK_SECRET.to_string();
    wrong.pop();
    wrong.push('X');
    let longer = format!("{WEBHOOK_SECRET}0");
    let cases = [
        (900_001, None),
        (900_002, Some(wrong.as_str())),
        (900_003, Some(longer.as_str())),
        (900_004, Some("")),
    ];
    for (id, secret) in cases {
        let body = message(id, stranger, "/tugas rahasia-isi-pesan");
        assert_eq!(post(&target, secret, body).await, 401, "secret {secret:?}");
    }
    // Malformed JSON and a body that is not an update: 400.
    for body in ["{\"update_id\": 900005, \"message\":", "[1, 2, 3]", "{}"] {
        assert_eq!(
            post(&target, Some(WEBHOOK_SECRET), body).await,
            400,
            "{body}"
        );
    }
    // A body over 256 KB: 413.
    let huge = message(900_006, stranger, &"x".repeat(300 * 1024));
    assert_eq!(post(&target, Some(WEBHOOK_SECRET), huge).await, 413);
    // A body cut short (the sender says 1,000 bytes, sends 20 and stops): 400.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = target
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap();
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST /tg/hook HTTP/1.1\r\nHost: {address}\r\n{SECRET_HEADER}: {WEBHOOK_SECRET}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"update_id\": 900008,"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = String::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(15), stream.read_to_string(&mut answer)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    // The wrong method or path.
    let client = reqwest::Client::new();
    let got = client
        .get(&target)
        .header(SECRET_HEADER, WEBHOOK_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 405);
    let elsewhere = target.replace("/tg/hook", "/other");
    assert_eq!(
        post(
            &elsewhere,
            Some(WEBHOOK_SECRET),
            message(900_007, stranger, "/tugas")
        )
        .await,
        404
    );
    for id in 900_001..=900_008 {
        assert!(!handled(app, id).await, "update {id} was handled");
    }
    assert!(
        fake.sent_to(stranger).is_empty(),
        "nothing reaches the poster"
    );

    // Each refusal is audited with its reason and address, never the body.
    let unauthorized = audited(app, "webhook_unauthorized").await;
    assert_eq!(unauthorized.len(), 4, "{unauthorized:?}");
    assert!(unauthorized[0].contains("no secret token"));
    assert!(unauthorized[1].contains("wrong secret token"));
    assert!(unauthorized.iter().all(|d| d.contains("127.0.0.1")));
    let malformed = audited(app, "webhook_malformed").await;
    assert_eq!(malformed.len(), 4, "{malformed:?}");
    assert!(malformed[3].contains("cut short"), "{malformed:?}");
    let too_large = audited(app, "webhook_too_large").await;
    assert_eq!(too_large.len(), 1, "{too_large:?}");
    for detail in unauthorized.iter().chain(&malformed).chain(&too_large) {
        assert!(!detail.contains("rahasia"), "a body was recorded: {detail}");
        assert!(!detail.contains(WEBHOOK_SECRET));
    }
    // A flood of wrong secrets costs at most five rows in ten minutes.
    for id in 0..30 {
        post(&target, Some("nope"), message(910_000 + id, stranger, "x")).await;
    }
    assert_eq!(audited(app, "webhook_unauthorized").await.len(), 5);

    // A replay of an update already handled: 200, and no second effect.
    let replies = fake.sent_to(KOMITE).len();
    let original = message(asked, KOMITE, "/tugas");
    for _ in 0..3 {
        assert_eq!(
            post(&target, Some(WEBHOOK_SECRET), original.clone()).await,
            200
        );
    }
    // A new update after the replays is answered, and only it.
    let later = fake.write(KOMITE, KOMITE, "/tugas");
    fake.until("the reply to the later /tugas", |f| {
        f.sent_to(KOMITE).len() > replies
    })
    .await;
    assert!(handled(app, later).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fake.sent_to(KOMITE).len(),
        replies + 1,
        "the replays were answered"
    );
    let log = service.log();
    assert!(!log.contains(WEBHOOK_SECRET), "the secret was logged");
    assert!(!log.contains("rahasia"), "a refused body was logged");

    // Back to polling: the next start deletes the webhook and polls.
    let (deleted, polls) = (fake.count("deletewebhook"), fake.count("getupdates"));
    {
        let mut child = service.child.lock().unwrap();
        let pid = child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success());
        let config = service.dir.path().join("sertibot.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        let polling: String = text
            .lines()
            .filter(|l| {
                let webhook = ["mode", "url", "listen", "secret", "[telegram.webhook]"];
                !webhook.iter().any(|w| l.starts_with(w))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&config, polling).unwrap();
        *child = support::service::spawn(service.dir.path(), service.rust_log);
    }
    fake.until("deleteWebhook, then getUpdates", |f| {
        f.count("deletewebhook") > deleted && f.count("getupdates") > polls
    })
    .await;
    service.kill();
}

/// Long polling: updates of every kind (commands, presses, typed entries,
/// files) arrive while the service is killed (SIGKILL) at 20 moments, some
/// between Telegram handing updates over and the service handling them:
/// afterwards every update Telegram handed over was handled exactly once,
/// and the inbox is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_handed_over_is_handled_once_whenever_the_service_is_killed() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(6, port).await;
    killed_twenty_times(&service, 0x5eed_1234).await;
}

/// Webhook mode: the same, for every update the service answered 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_answered_200_is_handled_once_whenever_the_service_is_killed() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start_webhook(6, port).await;
    killed_twenty_times(&service, 0x00c0_ffee).await;
    // Telegram got a 200 for every update it posted, in the end.
    let accepted = service.fake.accepted();
    for id in service.fake.update_ids() {
        assert!(accepted.contains(&id), "update {id} was never answered 200");
    }
    service.kill();
}

/// Starts the batch, then for twenty rounds sends three commands, a press
/// of step 1's *Saya kerjakan*, a problem report (its button, then its
/// text) and a file nobody asked for, and kills the service at a random
/// moment after each round. Then checks that every update the stand-in
/// handed over was handled once: each command and file has exactly one
/// reply, sent; each problem is recorded once; the acknowledgement once.
async fn killed_twenty_times(service: &Running, mut seed: u64) {
    let (fake, app, b) = (&service.fake, &service.app, service.batch.0);
    app.start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let ack = format!("1|a|{b}|1");
    fake.until("step 1's card", |f| f.button(ADMINISTRASI, &ack).is_some())
        .await;
    let (card, _) = fake.button(ADMINISTRASI, &ack).unwrap();

    // A small deterministic generator for the moments of the kills.
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        seed >> 33
    };
    let mut replied = Vec::new();
    let mut problems = Vec::new();
    for round in 0..20 {
        for k in 0..3 {
            let user = KOMITE + (round * 3 + k) % 6;
            replied.push(fake.write(user, user, "/tugas"));
        }
        fake.press(ADMINISTRASI, ADMINISTRASI, card, &ack);
        fake.press(ADMINISTRASI, ADMINISTRASI, card, &format!("1|p|{b}|1"));
        let text = format!("Kendala nomor {round}");
        fake.write(ADMINISTRASI, ADMINISTRASI, &text);
        problems.push(text);
        let user = KOMITE + round % 6;
        replied.push(fake.send_document(user, user, "catatan.csv", b"a,b\n1,2\n".to_vec()));
        tokio::time::sleep(Duration::from_millis(next() % 150)).await;
        service.kill_and_restart();
    }

    // Every update handed over is handled, and the inbox is empty.
    let all = fake.update_ids();
    let mut conn = app.store.pool().acquire().await.unwrap();
    let mut waited = 0;
    loop {
        let handled: Vec<i64> = sqlx::query_scalar("SELECT update_id FROM processed_updates")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let missing: Vec<&i64> = all.iter().filter(|id| !handled.contains(id)).collect();
        if missing.is_empty() && waiting == 0 {
            break;
        }
        waited += 1;
        assert!(
            waited < 240,
            "updates never handled: {missing:?}, {waiting} in the inbox; log:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(conn);
    assert!(service.drained().await, "the outbox drains");

    let mut conn = app.store.pool().acquire().await.unwrap();
    // Each command and each file has exactly one reply, queued under its
    // update and sent.
    for id in &replied {
        let rows: Vec<String> = sqlx::query_scalar("SELECT status FROM outbox WHERE key LIKE ?")
            .bind(format!("u{id}:%"))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!(rows, ["sent"], "update {id}");
    }
    // Each reply reached its chat (a kill between Telegram accepting a
    // message and the service recording it sends that one again: Telegram
    // cannot be asked whether it has it).
    for user in KOMITE..KOMITE + 6 {
        let sent = fake.sent_to(user).len();
        assert!(sent >= 13, "replies to {user}: {sent}");
    }
    // Each problem report is recorded exactly once, in order.
    let recorded: Vec<String> = sqlx::query_scalar("SELECT text FROM problems ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(recorded, problems);
    // The acknowledgement is recorded once, whatever was pressed again.
    let acks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM step_marks WHERE batch_id = ? AND step_no = 1 AND kind = 'ack'",
    )
    .bind(b)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(acks, 1);
    drop(conn);
    service.kill();
}

/// SIGTERM to the service 50 times while it is idle and 50 times just after
/// a burst of commands arrived: every time it exits 0 within ten seconds,
/// and no command it took from Telegram is left unhandled at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_an_idle_or_busy_service_within_ten_seconds_every_time() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(3, port).await;
    let fake = &service.fake;
    let mut written = Vec::new();
    for round in 0..100 {
        let busy = round % 2 == 1;
        // Wait until this run of the service asks Telegram for updates.
        let polls = fake.count("getupdates");
        fake.until("the service polls", |f| f.count("getupdates") > polls)
            .await;
        if busy {
            for k in 0..10 {
                let user = KOMITE + k % 3;
                written.push(fake.write(user, user, "/tugas"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut child = service.child.lock().unwrap();
        let pid = child.id().to_string();
        let signalled = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(signalled.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round} ({}): still running 10 s after SIGTERM",
                if busy { "busy" } else { "idle" }
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "round {round}: {status:?}");
        *child = support::service::spawn(service.dir.path(), service.rust_log);
    }
    // The last run handles whatever the stops left in the inbox.
    let mut conn = service.app.store.pool().acquire().await.unwrap();
    for _ in 0..240 {
        let handled: Vec<i64> = sqlx::query_scalar("SELECT update_id FROM processed_updates")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        if written.iter().all(|id| handled.contains(id)) {
            drop(conn);
            service.kill();
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("commands left unhandled after the stops");
}

/// The service keeps the member register in memory; a member deactivated
/// from the command line (another process) is a stranger at their very
/// next message, and a reactivated one is served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_deactivated_from_the_command_line_is_refused_at_their_next_message() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(3, port).await;
    let (fake, app) = (&service.fake, &service.app);
    let refusal = "Maaf, bot ini hanya melayani staf LSP yang terdaftar.";
    let last_reply = |user: i64| fake.sent_to(user).last().map(|(_, t, _)| t.clone());
    let ask = |expect_refusal: bool| async move {
        let before = fake.sent_to(KOMITE).len();
        fake.write(KOMITE, KOMITE, "/tugas");
        fake.until("the reply", |f| f.sent_to(KOMITE).len() > before)
            .await;
        let reply = last_reply(KOMITE).unwrap();
        assert_eq!(reply == refusal, expect_refusal, "{reply}");
    };
    // Served: the service has read its register.
    ask(false).await;
    let member = app
        .member_by_telegram(sertibot::domain::TelegramUserId(KOMITE))
        .await
        .unwrap()
        .unwrap();
    let cli = |verb: &str| {
        let out = std::process::Command::new(support::service::BIN)
            .args([
                "--config",
                service.dir.path().join("sertibot.toml").to_str().unwrap(),
            ])
            .args(["member", verb, &member.id.0.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cli("deactivate");
    ask(true).await;
    cli("reactivate");
    ask(false).await;
    service.kill();
}

/// A flood against the running binary's webhook: 1,100 connections that
/// stay silent, 40 of them dribbling a request's headers a byte at a
/// time. Telegram's post of a member's command is taken and answered
/// meanwhile, the service holds no more than its bound of connections,
/// a dribbler is closed within seconds, and the shedding is logged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_idle_and_dribbling_connections_never_keeps_telegrams_posts_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // This test's own side of 1,100 connections needs the descriptors.
    sertibot::telegram::intake::raise_open_files_limit();
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start_webhook(1, port).await;
    let fake = &service.fake;
    fake.until("setWebhook", |f| f.count("setwebhook") > 0)
        .await;
    let address = service
        .webhook
        .clone()
        .unwrap()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut silent = Vec::new();
    for _ in 0..1_100 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            silent.push(stream);
        }
    }
    let started = std::time::Instant::now();
    let mut dribblers = Vec::new();
    for _ in 0..40 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        dribblers.push(tokio::spawn(async move {
            // One byte every half second, for a minute at most: the
            // server must close the connection long before.
            for byte in b"POST /tg/hook HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                if stream.write_all(&[*byte]).await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                let mut buf = [0u8; 64];
                if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
                    return true;
                }
            }
            false
        }));
    }
    // Telegram posts a member's command: it is taken and answered.
    let asked = fake.write(KOMITE, KOMITE, "/tugas");
    fake.until("the reply to /tugas during the flood", |f| {
        !f.sent_to(KOMITE).is_empty()
    })
    .await;
    assert!(fake.accepted().contains(&asked));
    // The service holds a bounded number of descriptors.
    let pid = service.child.lock().unwrap().id();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    assert!(open < 256 + 100, "the service holds {open} descriptors");
    // Every dribbler is closed by the server, within seconds.
    for dribbler in dribblers {
        assert!(
            dribbler.await.unwrap(),
            "a dribbling connection stayed open"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let log = service.log();
    assert_eq!(
        log.matches("the webhook had more connections than it keeps open")
            .count(),
        1,
        "{log}"
    );
    drop(silent);
}
