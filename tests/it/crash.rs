//! The real `sertibot run` as a child process, against the stand-in Bot API
//! and a real SMTP server, killed with SIGKILL at twenty random moments of a
//! whole batch and restarted each time. Afterwards every participant has
//! each of their emails once (by Message-ID), every task reached its
//! people, the audit log is complete and the database is sound.

use crate::support;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mail_parser::MessageParser;
use rand::Rng;
use sertibot::app::Via;
use sertibot::store::Store;
use sertibot::workflow::{Actor, BatchStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_kills_during_a_whole_batch_lose_nothing() {
    let port = support::smtp::free_port();
    let inbox = support::smtp::serve(port);
    let service = std::sync::Arc::new(support::service::start(1, port).await);
    let (app, batch) = (&service.app, service.batch);

    // The service, killed and restarted at twenty random moments.
    let killer = {
        let service = service.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                let pause = rand::rng().random_range(300..1200);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                service.kill_and_restart();
            }
        })
    };

    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let b = batch.0;
    service.invite_the_committee().await;
    service.finish_the_batch().await;
    killer.await.unwrap();

    // Let the last run deliver what is left.
    service.drained().await;
    service.kill();
    let mut conn = app.store.pool().acquire().await.unwrap();

    let (_, state, _) = app.batch(batch).await.unwrap();
    assert_eq!(state.status, BatchStatus::Finished);
    // An edit replaced by a newer edit of the same message is not sent:
    // only the latest version of a message goes out.
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status NOT IN ('sent', 'replaced')")
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
        1 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 1,
        "steps 1–11, step 3 to Ketua, the committee member and Kabag Sertifikasi (who enters the results)"
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
    let log = service.log();
    assert!(
        !log.contains(support::service::TOKEN),
        "the token never reaches the log"
    );
    assert!(!log.contains("panicked"), "{log}");
}

/// A member's command whose change is written but whose reply is not (the
/// process dies in between; here its write fails, as a full disk would,
/// until the service is killed) is answered after the restart, once,
/// and its change is recorded once: the change, the reply and the
/// update's claim are one transaction, and an update whose transaction
/// did not commit is handled again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_is_answered_after_a_crash_between_its_change_and_its_reply() {
    use support::service::ADMINISTRASI;
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(1, port).await;
    let (app, batch, fake) = (&service.app, service.batch, &service.fake);
    service.start_the_batch().await;
    // Every reply to a member's update fails to be written.
    service.fail_outbox_rows("no_replies", "u[0-9]*:*").await;
    let confirmation = "Tercatat: waktu langkah 1 dijeda";
    fake.write(
        ADMINISTRASI,
        ADMINISTRASI,
        &format!("/jeda {} 1 menunggu tinta printer", batch.0),
    );
    assert!(
        service.logged("handling an update failed", 1).await >= 1,
        "the reply's failed write was never met"
    );
    // The process dies; it comes back with room for replies again.
    service.kill();
    sqlx::query("DROP TRIGGER no_replies")
        .execute(app.store.pool())
        .await
        .unwrap();
    service.restart();
    let answered = support::service::within(fake, 60, |f| {
        f.sent_to(ADMINISTRASI)
            .iter()
            .any(|(_, text, _)| text.contains(confirmation))
    })
    .await;
    assert!(answered, "the command was never answered after the restart");
    assert!(service.drained().await);
    let replies = fake
        .sent_to(ADMINISTRASI)
        .iter()
        .filter(|(_, text, _)| text.contains(confirmation))
        .count();
    assert_eq!(replies, 1, "answered once");
    let pauses: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'step_paused'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(pauses, 1, "the pause is recorded once");
    service.kill();
}

/// A button press whose work cannot be committed (its card edit fails to
/// be written, as on a full disk) is neither recorded nor answered: the
/// pop-up waits for the commit. After a kill and a restart with room
/// again, the press is recorded once and answered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_press_is_answered_only_once_its_work_is_committed() {
    use support::service::ADMINISTRASI;
    let port = support::smtp::free_port();
    let _inbox = support::smtp::serve(port);
    let service = support::service::start(1, port).await;
    let (app, fake) = (&service.app, &service.fake);
    service.start_the_batch().await;
    assert!(service.drained().await);
    let acks = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = 'acknowledged'")
            .fetch_one(app.store.pool())
            .await
            .unwrap()
    };
    // Every message about a batch fails to be written: the press's card edits too.
    service.fail_outbox_rows("no_batch_rows", "b[0-9]*:*").await;
    let (message, data) = fake
        .button(ADMINISTRASI, &format!("1|a|{}|1", service.batch.0))
        .expect("step 1's card has its button");
    fake.press(ADMINISTRASI, ADMINISTRASI, message, &data);
    assert!(
        service.logged("handling an update failed", 1).await >= 1,
        "the press's failed write was never met"
    );
    assert!(
        fake.toasts().is_empty(),
        "answered before its work was kept"
    );
    assert_eq!(acks().await, 0, "recorded without its card edits");
    service.kill();
    sqlx::query("DROP TRIGGER no_batch_rows")
        .execute(app.store.pool())
        .await
        .unwrap();
    service.restart();
    let answered = support::service::within(fake, 60, |f| !f.toasts().is_empty()).await;
    assert!(answered, "the press was never answered after the restart");
    assert!(service.drained().await);
    let toasts = fake.toasts();
    assert_eq!(toasts.len(), 1, "answered once: {toasts:?}");
    assert_eq!(toasts[0].0, "Tercatat: Anda mengerjakan langkah 1.");
    assert_eq!(acks().await, 1, "recorded once");
    service.kill();
}
