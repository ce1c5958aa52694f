//! Faults around the real `sertibot run` (a child process, the stand-in Bot
//! API, a real SMTP server): Telegram answering 429 and 500 partway through
//! a broadcast to 200 members, the mail server down for a while and then
//! back, and a batch of updates delivered again after a restart. Each ends
//! with nothing lost and nothing sent twice.

use crate::support;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mail_parser::MessageParser;
use sertibot::app::Via;
use sertibot::store::Store;
use sertibot::workflow::{Actor, BatchStatus};
use support::fake_telegram::{Fault, Request};
use support::service::{ADMINISTRASI, KETUA, KOMITE, Running, press};

const INVITATION: &str = "Undangan Rapat Komite Teknis";

fn is_invitation(r: &Request) -> bool {
    r.method == "sendmessage"
        && r.body["text"]
            .as_str()
            .is_some_and(|t| t.contains(INVITATION))
}

async fn outbox_counts(service: &Running) -> BTreeMap<String, i64> {
    let mut conn = service.app.store.pool().acquire().await.unwrap();
    sqlx::query_as::<_, (String, i64)>(
        "SELECT channel || ' ' || status, COUNT(*) FROM outbox GROUP BY channel, status",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broadcast_to_200_members_meets_429_and_500_and_reaches_each_once() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(200, port).await;
    let fake = &service.fake;
    // Partway through the invitations, one member's chat answers 429
    // (retry after 3 s) and another's answers 500 twice.
    let (limited, broken) = (KOMITE + 79, KOMITE + 149);
    fake.fail_next("sendMessage", Some(limited), Fault::RetryAfter(3));
    fake.fail_next("sendMessage", Some(broken), Fault::ServerError);
    fake.fail_next("sendMessage", Some(broken), Fault::ServerError);

    service
        .app
        .start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    service.invite_the_committee().await;
    fake.until("an invitation in every member's chat", |f| {
        (0..200).all(|i| {
            f.sent_to(KOMITE + i)
                .iter()
                .any(|(_, t, _)| t.contains(INVITATION))
        })
    })
    .await;
    assert!(service.drained().await, "the outbox drains");

    // Each member has the invitation exactly once.
    for i in 0..200 {
        let invitations = fake
            .sent_to(KOMITE + i)
            .iter()
            .filter(|(_, t, _)| t.contains(INVITATION))
            .count();
        assert_eq!(invitations, 1, "member {}", i + 1);
    }
    let requests = fake.requests();
    let invitations: Vec<&Request> = requests.iter().filter(|r| is_invitation(r)).collect();
    // Ketua LSP, who chairs the meeting, has it once too.
    let to_ketua = fake
        .sent_to(KETUA)
        .iter()
        .filter(|(_, t, _)| t.contains(INVITATION))
        .count();
    assert_eq!(to_ketua, 1);
    // 201 delivered, plus the 429 and the two 500s.
    assert_eq!(invitations.len(), 201 + 3);

    // The 429 came partway through, and its retry waited retry_after
    // without holding the other members back.
    let to = |chat: i64| -> Vec<&&Request> {
        invitations
            .iter()
            .filter(|r| r.body["chat_id"] == chat)
            .collect()
    };
    let refused = to(limited)[0];
    let position = invitations
        .iter()
        .position(|r| std::ptr::eq(*r, *refused))
        .unwrap();
    assert!(
        (10..190).contains(&position),
        "the 429 came partway through (request {position})"
    );
    let retried = to(limited)[1];
    assert!(
        retried.at.duration_since(refused.at) >= Duration::from_secs(3),
        "the retry waited retry_after"
    );
    let meanwhile = invitations
        .iter()
        .filter(|r| r.at > refused.at && r.at < retried.at)
        .count();
    assert!(
        meanwhile >= 30,
        "other members' invitations went on during the wait ({meanwhile})"
    );
    // The 500s were retried with backoff until the member had it, and
    // (though teloxide holds a 5xx answer back for 10 s) the others were
    // not held up meanwhile.
    let broken = to(broken);
    assert_eq!(broken.len(), 3);
    let meanwhile = invitations
        .iter()
        .filter(|r| r.at > broken[0].at && r.at < broken[1].at)
        .count();
    assert!(
        meanwhile >= 30,
        "other members' invitations went on during the 5xx ({meanwhile})"
    );

    let counts = outbox_counts(&service).await;
    assert!(
        counts.keys().all(|k| k.ends_with(" sent")),
        "nothing pending or failed: {counts:?}"
    );
    service.kill();
    assert!(!service.log().contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_mail_server_down_for_a_while_then_back_loses_nothing() {
    // Nothing listens on the mail port until the batch is over.
    let port = support::smtp::free_port();
    let service = support::service::start(1, port).await;
    service
        .app
        .start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    service.invite_the_committee().await;
    service.finish_the_batch().await;

    // Every email has been tried and failed while the server was down.
    let mut conn = service.app.store.pool().acquire().await.unwrap();
    let untried = || async {
        let mut conn = service.app.store.pool().acquire().await.unwrap();
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND attempts = 0",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    };
    for _ in 0..200 {
        if untried().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(untried().await, 0, "every email met the closed port");
    let (emails, sent_early): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'sent') FROM outbox WHERE channel = 'email'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(sent_early, 0);
    assert_eq!(
        emails,
        2 + 2 + 5 * 3,
        "the invitation's copies and their update when the meeting was moved to when it was held (Ketua LSP, the committee member), and three per participant"
    );

    // The server comes back; every email arrives once.
    let inbox = support::smtp::serve(port);
    assert!(
        service.drained().await,
        "the outbox drains after the server is back"
    );
    // The service checkpoints in the background: within a couple of
    // seconds the database file alone (without its log) holds every mark.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let copy = service.dir.path().join("alone.db");
    std::fs::copy(service.db_path(), &copy).unwrap();
    let alone = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&copy)
            .read_only(true),
    )
    .await
    .unwrap();
    let sent_in_file: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'sent'",
    )
    .fetch_one(&alone)
    .await
    .unwrap_or(0);
    assert_eq!(sent_in_file, emails, "checkpointed by the service");
    service.kill();
    // An edit replaced by a newer edit of the same message is not sent:
    // only the latest version of a message goes out.
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status NOT IN ('sent', 'replaced')")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(failed, 0);
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len() as i64, emails, "nothing sent twice");
    let mut by_address: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for raw in &received {
        let message = MessageParser::default().parse(raw).unwrap();
        let to = message.to().unwrap().first().unwrap().address().unwrap();
        by_address
            .entry(to.to_string())
            .or_default()
            .insert(message.message_id().unwrap().to_string());
    }
    for i in 0..5 {
        assert_eq!(by_address[&format!("asesi{i}@example.com")].len(), 3);
    }
    // The invitation, and its update when the meeting was moved to when
    // it was held.
    assert_eq!(by_address["made@example.com"].len(), 2);
    assert_eq!(by_address["hendra@lsp.example.ac.id"].len(), 2);
    let (_, state, _) = service.app.batch(service.batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_delivered_again_after_a_restart_change_nothing() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(1, port).await;
    let (fake, app, b) = (&service.fake, &service.app, service.batch.0);
    app.start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();

    // A morning's updates: an acknowledgement, the meeting entered in a
    // conversation, the step done, the committee's answer and the next
    // step acknowledged.
    service.invite_the_committee().await;
    press(fake, KOMITE, &format!("1|y|{b}")).await;
    press(fake, support::service::SERTIFIKASI, &format!("1|a|{b}|2")).await;
    assert!(service.drained().await);

    let audit_before = {
        let mut conn = app.store.pool().acquire().await.unwrap();
        Store::audit_of(&mut conn, None).await.unwrap().len()
    };
    let outbox_before = outbox_counts(&service).await;
    let sent_before = fake
        .requests()
        .iter()
        .filter(|r| r.method == "sendmessage" || r.method == "editmessagetext")
        .count();
    let toasts_before = fake.toasts().len();
    let (_, state_before, _) = app.batch(service.batch).await.unwrap();

    // The service dies and comes back; Telegram hands out every one of
    // those updates again (the written entries too), in one batch.
    service.kill_and_restart();
    let every = fake.update_ids();
    assert!(
        every.len() >= 8,
        "four presses, three entries and the step done"
    );
    for id in every {
        fake.deliver_again(id);
    }
    // Updates of one chat are handled in order: once /tugas is answered in
    // both chats, the repeats before it were seen.
    for user in [ADMINISTRASI, KOMITE] {
        let before = fake.sent_to(user).len();
        fake.write(user, user, "/tugas");
        fake.until("the /tugas answer", |f| f.sent_to(user).len() > before)
            .await;
    }
    assert!(service.drained().await);

    let (_, state_after, _) = app.batch(service.batch).await.unwrap();
    assert_eq!(
        format!("{state_before:?}"),
        format!("{state_after:?}"),
        "the batch is as it was"
    );
    let audit_after = {
        let mut conn = app.store.pool().acquire().await.unwrap();
        Store::audit_of(&mut conn, None).await.unwrap().len()
    };
    assert_eq!(audit_after, audit_before, "nothing recorded twice");
    assert_eq!(
        fake.toasts().len(),
        toasts_before,
        "no press answered twice"
    );
    let sent_after = fake
        .requests()
        .iter()
        .filter(|r| r.method == "sendmessage" || r.method == "editmessagetext")
        .count();
    assert_eq!(
        sent_after,
        sent_before + 2,
        "only the two /tugas answers were sent"
    );
    let mut outbox_after = outbox_counts(&service).await;
    *outbox_after.get_mut("telegram sent").unwrap() -= 2;
    assert_eq!(outbox_after, outbox_before);
    service.kill();
    assert!(!service.log().contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_batch_logged_at_debug_names_no_participant_and_no_result() {
    let port = support::smtp::free_port();
    let inbox = support::smtp::serve(port);
    let service = support::service::start_logging(1, port, "debug").await;
    service
        .app
        .start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    service.invite_the_committee().await;
    service.finish_the_batch().await;
    assert!(service.drained().await);
    assert_eq!(
        inbox.lock().unwrap().len(),
        2 + 2 + 5 * 3,
        "every email went out (the invitation and its update to two, three to each participant)"
    );
    let log = service.log();
    service.kill();
    assert!(
        log.lines().count() > 100,
        "a debug log: {} lines",
        log.lines().count()
    );
    let (_, state, _) = service.app.batch(service.batch).await.unwrap();
    let mut conn = service.app.store.pool().acquire().await.unwrap();
    let participants = Store::participants(&mut conn, service.batch).await.unwrap();
    for p in participants.values() {
        for personal in [p.name.as_str(), p.email.as_str()] {
            assert!(!log.contains(personal), "the log names {personal}");
        }
    }
    for (_, p) in state.participants {
        if let Some(blank) = p.blank_number {
            assert!(
                !log.contains(&blank),
                "the log shows the blank number {blank}"
            );
        }
    }
    for result in [
        "KOMPETEN",
        "\"result\":\"K\"",
        "\"result\":\"BK\"",
        "result=K",
        "result=BK",
    ] {
        assert!(!log.contains(result), "the log shows a result: {result}");
    }
    assert!(!log.contains("CHILD-token"));
}

/// A template that never ends: the committee's invitation letter is
/// typeset by a worker that is killed at the time limit, the bot answers
/// members meanwhile, and SIGTERM stops the service within ten seconds
/// although the worker is still looping (its limit is ten minutes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_template_neither_stalls_the_bot_nor_its_stop() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let templates = tempfile::tempdir().unwrap();
    std::fs::create_dir(templates.path().join("documents")).unwrap();
    std::fs::write(
        templates.path().join("documents/undangan.typ"),
        "#for i in range(100000) { for j in range(100000) { } }\n",
    )
    .unwrap();
    let settings = format!(
        "[templates]\ndir = \"{}\"\n[documents]\ntypeset_seconds = 600\n",
        templates.path().display()
    );
    let service = support::service::start_with(1, port, "info", settings).await;
    let fake = &service.fake;
    service
        .app
        .start_batch(service.batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    service.invite_the_committee().await;
    // The invitation letter is being typeset, for ever: a worker runs.
    let pid = service.child.lock().unwrap().id();
    let worker_runs = || !typesetting_workers_of(pid).is_empty();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !worker_runs() {
        assert!(
            std::time::Instant::now() < deadline,
            "no typesetting worker started"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Members are answered all the same (those the letter is for see
    // their chat's later messages after it, in order, within the limit).
    for user in [ADMINISTRASI, support::service::SERTIFIKASI] {
        let before = fake.sent_to(user).len();
        fake.write(user, user, "/tugas");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while fake.sent_to(user).len() <= before {
            assert!(
                std::time::Instant::now() < deadline,
                "no answer to /tugas from {user} while a template loops: {}",
                service.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // SIGTERM: the service stops, its worker with it, within ten seconds.
    let workers = typesetting_workers_of(pid);
    assert!(!workers.is_empty(), "the service's own worker");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = service.child.lock().unwrap().try_wait().unwrap() {
            assert!(status.success(), "{status:?}: {}", service.log());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after SIGTERM: {}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for worker in workers {
        let state = std::fs::read_to_string(format!("/proc/{worker}/stat")).unwrap_or_default();
        assert!(
            state.is_empty() || state.contains(") Z "),
            "the worker {worker} outlived the service: {state}"
        );
    }
}

/// The typesetting workers whose parent is process `parent`, by pid (read
/// from /proc, as `pgrep -P` would).
fn typesetting_workers_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // "pid (name) state ppid …": the name may hold spaces, so after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(parent) && String::from_utf8_lossy(&cmdline).contains("__typeset") {
            found.push(pid);
        }
    }
    found
}

/// A member's command whose reply cannot be written (a fault that does
/// not go away) is handled again with growing pauses, nothing of a failed
/// attempt kept; after the last attempt the member gets the apology and
/// the update is passed over. Another member's chat is answered meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_that_keeps_failing_is_retried_then_passed_over_with_an_apology() {
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(1, port).await;
    let (app, batch, fake) = (&service.app, service.batch, &service.fake);
    service.start_the_batch().await;
    // The pause's confirmation can never be written; the apology can.
    service
        .fail_outbox_rows("no_pause_replies", "u[0-9]*:pause")
        .await;
    fake.write(
        ADMINISTRASI,
        ADMINISTRASI,
        &format!("/jeda {} 1 menunggu tinta printer", batch.0),
    );
    const FAILED: &str = "handling an update failed";
    assert!(
        service.logged(FAILED, 1).await >= 1,
        "the first attempt never failed"
    );
    // Ketua LSP's chat does not wait behind Kabag Administrasi's.
    fake.write(KETUA, KETUA, "/bantuan");
    let help_first = support::service::within(fake, 60, |f| {
        f.sent_to(KETUA)
            .iter()
            .any(|(_, text, _)| text.contains("Bantuan sertibot"))
    })
    .await;
    assert!(help_first, "Ketua LSP was not answered during the retries");
    let apology = "Maaf, terjadi gangguan saat mencatat. Silakan coba lagi";
    let apologised = support::service::within(fake, 120, |f| {
        f.sent_to(ADMINISTRASI)
            .iter()
            .any(|(_, text, _)| text.contains(apology))
    })
    .await;
    assert!(apologised, "the member never heard the update failed");
    assert_eq!(
        service.log().matches(FAILED).count(),
        sertibot::telegram::intake::MAX_ATTEMPTS as usize,
        "every attempt was made, and no more"
    );
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(app.store.pool())
            .await
            .unwrap()
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'step_paused'").await,
        0,
        "nothing of a failed attempt is kept"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM inbox").await,
        0,
        "the update was passed over"
    );
    service.kill();
}
