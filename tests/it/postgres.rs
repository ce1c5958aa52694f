//! PostgreSQL as sertibot's second store, against a real server (a
//! database of its own for each test, `support::postgres`): its schema
//! holds what the SQLite migrations make, column by column, and its rules
//! (the append-only audit log, one successor per seal, the Telegram queues
//! kept by trigger) behave as SQLite's do. The store does not run on
//! PostgreSQL yet; these tests keep its schema from drifting meanwhile.

use std::collections::{BTreeMap, BTreeSet};

use sertibot::store::Store;
use sertibot::store::schema::POSTGRES_MIGRATOR;
use sqlx::Row;

use crate::support::postgres::TestDatabase;

/// A table's columns: name → (type, required).
type Columns = BTreeMap<String, (String, bool)>;

/// Tables PostgreSQL has that SQLite does not need: the audit chain's head
/// row, which several instances lock to append (one writer holds SQLite).
const POSTGRES_ONLY_TABLES: &[&str] = &["audit_head"];
/// Indexes PostgreSQL has that SQLite does not: one successor per seal.
const POSTGRES_ONLY_INDEXES: &[&str] = &["audit_log_one_successor"];

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sertibot.db")).await.unwrap();
    (dir, store)
}

async fn postgres() -> Option<TestDatabase> {
    let db = TestDatabase::create().await?;
    POSTGRES_MIGRATOR.run(&db.pool).await.unwrap();
    Some(db)
}

async fn sqlite_schema(store: &Store) -> (BTreeMap<String, Columns>, BTreeSet<String>) {
    let pool = store.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = BTreeMap::new();
    for table in tables {
        let rows = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .unwrap();
        let columns: Columns = rows
            .iter()
            .map(|r| {
                let kind = match r.get::<String, _>("type").to_ascii_uppercase().as_str() {
                    "INTEGER" => "bigint".to_string(),
                    "TEXT" => "text".to_string(),
                    other => other.to_string(),
                };
                // A primary key is never null on either side.
                let required = r.get::<i64, _>("notnull") == 1 || r.get::<i64, _>("pk") > 0;
                (r.get::<String, _>("name"), (kind, required))
            })
            .collect();
        schema.insert(table, columns);
    }
    let indexes = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    (schema, indexes)
}

async fn postgres_schema(db: &TestDatabase) -> (BTreeMap<String, Columns>, BTreeSet<String>) {
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS kind,
                is_nullable::text AS nullable
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut schema: BTreeMap<String, Columns> = BTreeMap::new();
    for r in rows {
        let table: String = r.get("t");
        if POSTGRES_ONLY_TABLES.contains(&table.as_str()) {
            continue;
        }
        let required = r.get::<String, _>("nullable") == "NO";
        schema
            .entry(table)
            .or_default()
            .insert(r.get("c"), (r.get("kind"), required));
    }
    let indexes = sqlx::query_scalar::<_, String>(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
           AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .filter(|i| !POSTGRES_ONLY_INDEXES.contains(&i.as_str()))
    .collect();
    (schema, indexes)
}

/// Every table, column, type, NOT NULL and index the SQLite migrations
/// make is in PostgreSQL's schema, and nothing else (but the head row).
#[tokio::test]
async fn the_postgres_schema_matches_sqlite_column_by_column() {
    let Some(db) = postgres().await else { return };
    let (_dir, store) = sqlite().await;
    let (sqlite_tables, sqlite_indexes) = sqlite_schema(&store).await;
    let (postgres_tables, postgres_indexes) = postgres_schema(&db).await;
    assert!(sqlite_tables.len() > 25, "{:?}", sqlite_tables.keys());
    assert_eq!(
        sqlite_tables.keys().collect::<Vec<_>>(),
        postgres_tables.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &sqlite_tables {
        assert_eq!(columns, &postgres_tables[table], "the columns of {table}");
    }
    assert_eq!(sqlite_indexes, postgres_indexes, "the same indexes");
}

/// On PostgreSQL too the audit log refuses an edit and a deletion, and
/// two rows sealed onto the same predecessor (a fork) cannot both exist.
#[tokio::test]
async fn the_postgres_audit_log_is_append_only_and_cannot_fork() {
    let Some(db) = postgres().await else { return };
    let insert = |id: i64, prev: &str, hash: &str| {
        format!(
            "INSERT INTO audit_log (id, at, channel, actor, action, detail, prev_hash, hash)
             VALUES ({id}, 0, 'cli', 'operator', 'batch_created', '{{}}', '{prev}', '{hash}')"
        )
    };
    for sql in [insert(1, "genesis", "h1"), insert(2, "h1", "h2")] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    for sql in [
        "UPDATE audit_log SET detail = '{\"name\":\"Orang Lain\"}' WHERE id = 1".to_string(),
        "DELETE FROM audit_log WHERE id = 2".to_string(),
        insert(3, "h1", "h3"),
    ] {
        let refused = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&db.pool)
            .await
            .expect_err(&sql)
            .to_string();
        assert!(
            refused.contains("append-only") || refused.contains("audit_log_one_successor"),
            "{sql}: {refused}"
        );
    }
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, detail FROM audit_log ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, vec![(1, "{}".to_string()), (2, "{}".to_string())]);
}

/// The same outbox changes leave the same Telegram queues (each recipient
/// with pending rows, and its oldest) on SQLite and on PostgreSQL.
#[tokio::test]
async fn the_telegram_queues_follow_the_outbox_alike_on_both() {
    let Some(db) = postgres().await else { return };
    let (_dir, store) = sqlite().await;
    let row = |id: i64, key: &str, chat: i64| {
        format!(
            "INSERT INTO outbox (id, key, channel, template, context, next_attempt_at, created_at, chat_id)
             VALUES ({id}, '{key}', 'telegram', 'step_task', '{{}}', 0, 0, {chat})"
        )
    };
    let steps = [
        row(1, "a", -100),
        row(2, "b", -100),
        row(3, "c", 5),
        "UPDATE outbox SET status = 'sent' WHERE key = 'a'".to_string(),
        "UPDATE outbox SET chat_id = 7 WHERE key = 'b'".to_string(),
        "DELETE FROM outbox WHERE key = 'c'".to_string(),
        "UPDATE outbox SET status = 'pending' WHERE key = 'a'".to_string(),
        "UPDATE outbox SET status = 'failed'".to_string(),
    ];
    let mut seen = Vec::new();
    for sql in steps {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&db.pool)
            .await
            .unwrap();
        let queues = "SELECT recipient, head_id FROM telegram_queues ORDER BY recipient";
        let on_sqlite: Vec<(String, i64)> = sqlx::query_as(queues)
            .fetch_all(store.pool())
            .await
            .unwrap();
        let on_postgres: Vec<(String, i64)> =
            sqlx::query_as(queues).fetch_all(&db.pool).await.unwrap();
        assert_eq!(on_sqlite, on_postgres, "after {sql}");
        seen.push(on_postgres);
    }
    // What the queues went through, as a reader would check it.
    let q = |pairs: &[(&str, i64)]| -> Vec<(String, i64)> {
        pairs.iter().map(|(r, h)| (r.to_string(), *h)).collect()
    };
    assert_eq!(seen[2], q(&[("c-100", 1), ("c5", 3)]));
    assert_eq!(seen[3], q(&[("c-100", 2), ("c5", 3)]));
    assert_eq!(seen[4], q(&[("c5", 3), ("c7", 2)]));
    assert_eq!(seen[5], q(&[("c7", 2)]));
    assert_eq!(seen[6], q(&[("c-100", 1), ("c7", 2)]));
    assert!(seen[7].is_empty());
}
