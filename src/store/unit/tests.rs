use std::sync::atomic::AtomicUsize;

use super::*;
use crate::store::test_support::{kept, put, store};

async fn handled(store: &Store, id: i64) -> bool {
    Store::update_handled(&mut store.pool().acquire().await.unwrap(), id)
        .await
        .unwrap()
}

/// What a handler of update 7 writes: a transaction, a single write, and
/// a read of both through the update's own transaction.
async fn handle(store: &Store) {
    let mut tx = store.begin().await.unwrap();
    put(&mut tx, 100).await;
    tx.commit().await.unwrap();
    let mut single = store.write().await.unwrap();
    put(&mut single, 101).await;
    drop(single);
    let mut read = store.read().await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE update_id >= 100")
        .fetch_one(&mut *read)
        .await
        .unwrap();
    assert_eq!(seen, 2, "the handler reads what it wrote");
    drop(read);
    assert_eq!(kept(store).await, vec![7], "nobody else sees it yet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_updates_work_commits_once_with_its_claim_or_not_at_all() {
    let (_dir, store) = store().await;
    put(&mut store.write().await.unwrap(), 7).await;
    let now = Utc::now();

    let failed = UpdateUnit::new(&store, 7, now);
    failed.run(handle(&store)).await;
    failed.rollback().await;
    assert_eq!(
        kept(&store).await,
        vec![7],
        "nothing kept; the update waits"
    );
    assert!(!handled(&store, 7).await);

    let done = UpdateUnit::new(&store, 7, now);
    done.run(handle(&store)).await;
    done.commit().await.unwrap();
    assert_eq!(
        kept(&store).await,
        vec![100, 101],
        "the work, and 7 claimed"
    );
    assert!(handled(&store, 7).await);

    // Handed over again: the second run keeps nothing.
    put(&mut store.write().await.unwrap(), 7).await;
    let again = UpdateUnit::new(&store, 7, now);
    let refused = again.run(async { store.begin().await.map(drop) }).await;
    assert!(refused.is_err() && again.handled_before());
    again.rollback().await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_update_that_writes_nothing_is_claimed_by_its_commit() {
    let (_dir, store) = store().await;
    put(&mut store.write().await.unwrap(), 8).await;
    let unit = UpdateUnit::new(&store, 8, Utc::now());
    unit.run(async {
        // Reads before any write come from the pool.
        let mut read = store.read().await.unwrap();
        crate::store::inbox::offset::<sqlx::Sqlite>(&mut read)
            .await
            .unwrap();
    })
    .await;
    unit.commit().await.unwrap();
    assert!(kept(&store).await.is_empty());
    assert!(handled(&store, 8).await);
}

#[tokio::test(flavor = "current_thread")]
async fn a_step_dropped_or_rolled_back_undoes_itself_alone() {
    let (_dir, store) = store().await;
    let unit = UpdateUnit::new(&store, 9, Utc::now());
    unit.run(async {
        let mut first = store.begin().await.unwrap();
        put(&mut first, 100).await;
        first.commit().await.unwrap();
        let mut dropped = store.begin().await.unwrap();
        put(&mut dropped, 101).await;
        drop(dropped);
        let mut undone = store.begin().await.unwrap();
        put(&mut undone, 102).await;
        undone.rollback().await.unwrap();
        let mut last = store.begin().await.unwrap();
        put(&mut last, 103).await;
        last.commit().await.unwrap();
    })
    .await;
    unit.commit().await.unwrap();
    assert_eq!(kept(&store).await, vec![100, 103]);
}

#[tokio::test(flavor = "current_thread")]
async fn what_waits_for_the_commit_runs_after_it_and_never_after_a_rollback() {
    let (_dir, store) = store().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let count = || {
        let runs = runs.clone();
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
        }
    };
    for commit in [false, true] {
        let unit = UpdateUnit::new(&store, 10, Utc::now());
        unit.run(async {
            put(&mut store.write().await.unwrap(), 100).await;
            when_committed(count());
        })
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 0, "not before the commit");
        if commit {
            unit.commit().await.unwrap();
        } else {
            unit.rollback().await;
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "once, after the commit");
    when_committed(count());
    assert_eq!(runs.load(Ordering::SeqCst), 2, "outside an update: at once");
}

#[tokio::test(flavor = "current_thread")]
async fn a_second_use_of_the_unit_while_one_is_held_is_an_error_not_a_wait() {
    let (_dir, store) = store().await;
    let unit = UpdateUnit::new(&store, 11, Utc::now());
    unit.run(async {
        let held = store.begin().await.unwrap();
        assert!(store.begin().await.is_err());
        assert!(store.write().await.is_err());
        assert!(store.read().await.is_err());
        held.commit().await.unwrap();
        // Free again once the first is done.
        store.read().await.unwrap();
    })
    .await;
    unit.commit().await.unwrap();
}
