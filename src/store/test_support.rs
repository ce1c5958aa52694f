//! What the store's own tests share: a database in a temporary folder,
//! and the inbox as a table to write rows into and read them back.

use sqlx::SqliteConnection;

use super::Store;

/// A fresh database in its own temporary folder (kept while the folder is).
pub(super) async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    (dir, store)
}

/// Writes row `id` into the inbox: a stand-in for any work.
pub(super) async fn put(conn: &mut SqliteConnection, id: i64) {
    sqlx::query("INSERT INTO inbox (update_id, body, received_at) VALUES (?, '{}', 0)")
        .bind(id)
        .execute(conn)
        .await
        .unwrap();
}

/// The inbox's rows as another connection sees them (committed only).
pub(super) async fn kept(store: &Store) -> Vec<i64> {
    sqlx::query_scalar("SELECT update_id FROM inbox ORDER BY update_id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}
