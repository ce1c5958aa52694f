use crate::store::test_support::{kept, put, store};

/// Many units at once: each committed unit is visible to a reader the
/// moment its commit returns; a rolled-back or dropped unit leaves
/// nothing and holds nobody up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_waiting_together_are_committed_together_and_each_undone_alone() {
    let (_dir, store) = store().await;
    let units = (0..300).map(|id| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            put(&mut tx, id).await;
            match id % 3 {
                0 => {
                    tx.commit().await.unwrap();
                    let seen: Option<i64> =
                        sqlx::query_scalar("SELECT update_id FROM inbox WHERE update_id = ?")
                            .bind(id)
                            .fetch_optional(store.pool())
                            .await
                            .unwrap();
                    assert_eq!(seen, Some(id), "committed but not visible");
                }
                1 => tx.rollback().await.unwrap(),
                _ => drop(tx),
            }
        })
    });
    for unit in futures_util::future::join_all(units).await {
        unit.unwrap();
    }
    let expected: Vec<i64> = (0..300).filter(|id| id % 3 == 0).collect();
    assert_eq!(kept(&store).await, expected);
    // The connection is free for single writes afterwards.
    let mut write = store.write().await.unwrap();
    put(&mut write, 1_000).await;
    drop(write);
    assert!(kept(&store).await.contains(&1_000));
}

/// When SQLite rolls the whole transaction back under a unit (as it
/// does on a full disk), a unit of the same group that was already
/// waiting for the commit is told it failed — even when a later unit
/// commits fine — and the later unit starts a group of its own.
#[tokio::test(flavor = "current_thread")]
async fn a_group_lost_under_a_unit_fails_every_unit_waiting_in_it() {
    let (_dir, store) = store().await;
    let mut first = store.begin().await.unwrap();
    put(&mut first, 1).await;
    // Two more units queue for their turn while the first holds it.
    let second = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            put(&mut tx, 2).await;
            // What SQLite does on some errors: the whole transaction goes.
            sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
            drop(tx);
        }
    });
    let third = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            put(&mut tx, 3).await;
            tx.commit().await
        }
    });
    tokio::task::yield_now().await;
    let told = first.commit().await;
    assert!(told.is_err(), "the first unit was told it was kept");
    second.await.unwrap();
    third.await.unwrap().unwrap();
    assert_eq!(kept(&store).await, vec![3]);
}
