//! PostgreSQL as sertibot's second store, against a real server (a
//! database of its own for each test, `support::postgres`): its schema
//! holds what the SQLite migrations make, column by column, and its rules
//! (the append-only audit log, one successor per seal, the Telegram queues
//! kept by trigger) behave as SQLite's do; `sertibot db copy` moves a
//! SQLite database into it whole, checked, or leaves it empty; and the
//! parts of the store built for PostgreSQL (`store::postgres`: the audit
//! chain and the outbox; the timers' statements, shared with SQLite) hold
//! with three pools standing in for three instances. The service does not run on PostgreSQL yet.

use std::collections::{BTreeMap, BTreeSet};

use sertibot::store::Store;
use sertibot::store::postgres as postgres_store;
use sertibot::store::schema::POSTGRES_MIGRATOR;
use sqlx::Row;

use crate::support::postgres::TestDatabase;

/// A table's columns: name → (type, required).
type Columns = BTreeMap<String, (String, bool)>;

/// Tables PostgreSQL has that SQLite does not need (one service holds a
/// SQLite file): the audit chain's head row, which several instances lock
/// to append, and the lease of the one instance that polls Telegram.
const POSTGRES_ONLY_TABLES: &[&str] = &["audit_head", "polling_lease"];
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

/// A database with something in every kind of record: staff, two
/// batches (one started, its first step done, the meeting set; one of
/// 5,200 participants, more than one round of the copy), the outbox,
/// the Telegram queues, deadlines and the audit chain.
async fn a_working_database() -> crate::common::TestApp {
    use chrono::Duration;
    use sertibot::app::Via;
    use sertibot::sop::StepNo;
    use sertibot::workflow::{Actor, Command, Meeting};
    let t = crate::common::TestApp::new().await;
    let app = &t.app;
    let staff = crate::common::add_staff(app).await;
    let batch = crate::common::new_batch(app, 5).await;
    crate::common::new_batch(app, 5_200).await;
    app.start_batch(batch, &Actor::Operator, Via::Cli)
        .await
        .unwrap();
    let meeting = Meeting {
        starts_at: crate::common::monday_morning() + Duration::days(2),
        place: "Ruang Rapat \"Garuda\", Gedung B lt. 2 — 🏢".into(),
    };
    t.clock.advance(Duration::minutes(5));
    let commands = [
        Command::Acknowledge { step: StepNo(1) },
        Command::SetMeeting { meeting },
        Command::MarkDone { step: StepNo(1) },
    ];
    app.act(batch, &staff.administrasi, &commands, Via::Telegram)
        .await
        .unwrap();
    t
}

/// Each table's row count, on a pool of either kind.
async fn counts_sqlite(store: &Store) -> BTreeMap<String, i64> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
           AND name NOT IN ('_sqlx_migrations', 'audit_chain_legacy')",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(store.pool())
            .await
            .unwrap();
        counts.insert(table, n);
    }
    counts
}

async fn count_postgres(db: &TestDatabase, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Everything a SQLite database holds arrives on PostgreSQL as it was:
/// each table's rows, the participants' names and the outbox's contexts
/// byte for byte, the audit chain (walked again here) and its head row;
/// new rows get new ids; and a second copy into the same database is
/// refused, changing nothing.
#[tokio::test]
async fn db_copy_moves_every_record_and_the_audit_chain_into_an_empty_postgres_database() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let t = a_working_database().await;
    let store = &t.app.store;
    let target = sertibot::store::Target::parse(&db.url).unwrap();
    let copied = store.copy_to(&target).await.unwrap();

    let counts = counts_sqlite(store).await;
    assert!(
        counts["participants"] == 5_205 && counts["outbox"] > 3,
        "{counts:?}"
    );
    assert!(
        counts["telegram_queues"] > 0 && counts["deadlines"] > 0,
        "{counts:?}"
    );
    for (table, n) in &counts {
        assert_eq!(count_postgres(&db, table).await, *n, "rows of {table}");
    }
    let audit_rows = counts["audit_log"];
    assert_eq!(copied.audit_rows, audit_rows as u64);
    assert!(copied.rows >= 5_205 + audit_rows as u64, "{copied:?}");
    assert_eq!(
        copied.place,
        format!(
            "postgres://127.0.0.1:5432/{}",
            db.url.rsplit('/').next().unwrap()
        )
    );

    let people = "SELECT id, name, email, registration_no FROM participants ORDER BY id";
    let on_sqlite: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(people)
        .fetch_all(store.pool())
        .await
        .unwrap();
    let on_postgres: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as(people).fetch_all(&db.pool).await.unwrap();
    assert_eq!(on_sqlite, on_postgres);
    assert!(on_postgres.iter().any(|p| p.1 == "Ma'ruf Amin"));
    let contexts = "SELECT key, context, next_attempt_at FROM outbox ORDER BY id";
    let on_sqlite: Vec<(String, String, i64)> = sqlx::query_as(contexts)
        .fetch_all(store.pool())
        .await
        .unwrap();
    let on_postgres: Vec<(String, String, i64)> =
        sqlx::query_as(contexts).fetch_all(&db.pool).await.unwrap();
    assert_eq!(on_sqlite, on_postgres);
    assert!(on_postgres.iter().any(|r| r.1.contains("Garuda")));

    // The chain, walked on PostgreSQL's rows by the chain's own rules.
    let links = sqlx::query("SELECT * FROM audit_log ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut walk = sertibot::store::chain::Walk::default();
    for r in &links {
        let link = sertibot::store::link_of(r).unwrap();
        walk.step(&link).unwrap();
    }
    let head = walk.head();
    assert_eq!(head, store.verify_audit().await.unwrap().unwrap());
    assert_eq!(copied.head, head.hash);
    let recorded: (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, (head.last_id, head.hash.clone()));

    // A member added on PostgreSQL gets the next id, not one copied.
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO members (name, created_at) VALUES ('Anggota Baru', 0) RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(next, counts["members"] + 1);

    // Not again into the same database.
    let again = store.copy_to(&target).await.unwrap_err();
    assert!(
        matches!(again, sertibot::store::CopyError::NotEmpty { count, .. } if count > 25),
        "{again:?}"
    );
    assert_eq!(count_postgres(&db, "participants").await, 5_205);
    assert_eq!(count_postgres(&db, "members").await, counts["members"] + 1);
}

/// A copy that fails halfway (a value SQLite let through that PostgreSQL
/// cannot hold) leaves the target as empty as it was: no schema, no
/// rows; once the value is mended the same target takes the copy.
#[tokio::test]
async fn a_copy_that_fails_halfway_leaves_the_target_empty() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let t = crate::common::TestApp::new().await;
    crate::common::add_staff(&t.app).await;
    crate::common::new_batch(&t.app, 3).await;
    let store = &t.app.store;
    sqlx::query("UPDATE participants SET result_at = 'kemarin' WHERE row_no = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let target = sertibot::store::Target::parse(&db.url).unwrap();
    let failed = store.copy_to(&target).await.unwrap_err();
    assert!(
        matches!(&failed, sertibot::store::CopyError::Unreadable { table, column, .. }
            if table == "participants" && column == "result_at"),
        "{failed:?}"
    );
    let objects = count_postgres_objects(&db).await;
    assert_eq!(objects, 0, "the failed copy left nothing behind");

    sqlx::query("UPDATE participants SET result_at = NULL WHERE row_no = 2")
        .execute(store.pool())
        .await
        .unwrap();
    store.copy_to(&target).await.unwrap();
    assert_eq!(count_postgres(&db, "participants").await, 3);
}

/// The operator's command: one sentence for the copy made; refused in
/// one sentence, non-zero, while the service holds the database, for a
/// URL that is not PostgreSQL's, for a server that does not answer
/// (whose password is never repeated), and for a source whose audit chain
/// is broken.
#[tokio::test]
async fn the_db_copy_command_copies_and_refuses_in_one_sentence() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let t = crate::common::TestApp::new().await;
    crate::common::add_staff(&t.app).await;
    t.app.store.close().await;
    let dir = t.dir.path();
    let run = |url: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sertibot"))
            .args(["--config", "sertibot.toml", "db", "copy", "--to", url])
            .current_dir(dir)
            .env_remove("PGPASSWORD")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };

    let lock = sertibot::store::ServiceLock::acquire(&dir.join("test.db")).unwrap();
    let (code, _, said) = run(&db.url);
    assert_eq!(code, Some(1));
    assert!(
        said.contains("Layanan sedang berjalan") && said.lines().count() == 1,
        "{said}"
    );
    assert_eq!(count_postgres_objects(&db).await, 0);
    drop(lock);

    let (code, said, _) = run(&db.url);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.starts_with("test.db disalin ke postgres://127.0.0.1:5432/"),
        "{said}"
    );
    assert!(said.contains("rantai audit utuh"), "{said}");

    let (code, _, said) = run(&db.url);
    assert_eq!(code, Some(1));
    assert!(said.contains("tidak kosong"), "{said}");

    for (url, expected) in [
        ("mysql://root@127.0.0.1/lsp", "tidak diawali postgres://"),
        (
            "postgres://127.0.0.1:5432",
            "tidak menyebut nama basis data",
        ),
        (
            "postgres://lsp:rahasia-sekali@127.0.0.1:1/lsp",
            "Tidak dapat menghubungi postgres://127.0.0.1:1/lsp",
        ),
    ] {
        let (code, _, said) = run(url);
        assert_eq!(code, Some(1), "{url}");
        assert!(
            said.contains(expected) && said.lines().count() == 1,
            "{url}: {said}"
        );
        assert!(!said.contains("rahasia"), "{said}");
    }

    // An audit row deleted from the file behind sertibot's back (its
    // triggers dropped and put back): the copy is refused, naming the row
    // the chain breaks at, before anything is made.
    let fresh = TestDatabase::create().await.unwrap();
    let mut file = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        dir.join("test.db").display()
    ))
    .await
    .unwrap();
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'",
    )
    .fetch_all(&mut file)
    .await
    .unwrap();
    for (name, _) in &triggers {
        let sql = format!("DROP TRIGGER {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut file)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM audit_log WHERE id = 2")
        .execute(&mut file)
        .await
        .unwrap();
    for (_, sql) in triggers {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut file)
            .await
            .unwrap();
    }
    drop(file);
    let (code, _, said) = run(&fresh.url);
    assert_eq!(code, Some(1));
    assert!(
        said.contains("Log audit test.db rusak di baris 3"),
        "{said}"
    );
    assert_eq!(count_postgres_objects(&fresh).await, 0);
}

async fn count_postgres_objects(db: &TestDatabase) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Three more pools on the test's database, one per instance.
async fn instances(db: &TestDatabase) -> Vec<sqlx::PgPool> {
    let mut pools = Vec::new();
    for _ in 0..3 {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&db.url)
            .await
            .unwrap();
        pools.push(pool);
    }
    pools
}

/// Three instances appending to the audit log at once, each append in its
/// own transaction, make one chain: every row sealed onto the one before,
/// none lost, no fork, the head row at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_appending_at_once_make_one_audit_chain() {
    let Some(db) = postgres().await else { return };
    let pools = instances(&db).await;
    let entry = |n: usize| sertibot::store::AuditEntry {
        channel: "telegram",
        actor: "member",
        member: None,
        telegram_user: None,
        batch: None,
        action: "step_acknowledged".into(),
        detail: serde_json::json!({"press": n, "nama": "Sti'Aisyah ✓"}),
    };
    let mut writers = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        for w in 0..8 {
            let pool = pool.clone();
            writers.push(tokio::spawn(async move {
                for n in 0..5 {
                    let mut tx = pool.begin().await.unwrap();
                    let at = chrono::Utc::now();
                    let entries = [entry(i * 1000 + w * 10 + n), entry(0)];
                    postgres_store::audit::append(&mut tx, &entries, at)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let mut conn = db.pool.acquire().await.unwrap();
    let head = postgres_store::audit::chain(&mut conn)
        .await
        .unwrap()
        .expect("one sound chain");
    assert_eq!(head.rows, 3 * 8 * 5 * 2);
    assert_eq!(head.last_id, 240);
    let recorded: (i64, String) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(recorded, (head.last_id, head.hash));
}

/// The outbox shared by instances: concurrent claimers skip what another
/// holds instead of waiting, and every row is sent once; a Telegram chat
/// has one message in hand at a time, in order; and an instance that
/// stalled past its claim cannot settle the row another took over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_postgres_outbox_gives_each_row_to_one_instance_at_a_time() {
    use sertibot::store::Fenced;
    let Some(db) = postgres().await else { return };
    let pools = instances(&db).await;
    let now = chrono::Utc::now();
    let until = now + chrono::Duration::minutes(5);
    let emails: Vec<sertibot::notify::Outgoing> = (0..120)
        .map(|i| sertibot::notify::Outgoing {
            key: format!("mail:{i}"),
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
    let mut conn = db.pool.acquire().await.unwrap();
    let queued = postgres_store::outbox::enqueue(&mut conn, &emails, now).await;
    assert_eq!(queued.unwrap(), 120);
    assert_eq!(
        postgres_store::outbox::enqueue(&mut conn, &emails[..3], now)
            .await
            .unwrap(),
        0,
        "an occasion is queued once"
    );

    // One instance holds ten rows in an open transaction; another's claim
    // is not held up by them and takes ten others.
    let mut holding = pools[0].begin().await.unwrap();
    let first = postgres_store::outbox::claim_due(&mut holding, "email", "a", until, now, 10)
        .await
        .unwrap();
    let mut other = pools[1].acquire().await.unwrap();
    let second = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        postgres_store::outbox::claim_due(&mut other, "email", "b", until, now, 10),
    )
    .await
    .expect("a claim does not wait for rows another is claiming")
    .unwrap();
    assert_eq!((first.len(), second.len()), (10, 10));
    assert!(first.iter().all(|c| !second.iter().any(|d| d.row == c.row)));
    holding.rollback().await.unwrap();
    drop(other);

    // Six senders on three instances drain the rest; each row is claimed
    // and sent by exactly one of them.
    let mut senders = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        for s in 0..2 {
            let pool = pool.clone();
            let me = format!("instance-{i}-{s}");
            senders.push(tokio::spawn(async move {
                let mut sent = Vec::new();
                loop {
                    let mut conn = pool.acquire().await.unwrap();
                    let claims =
                        postgres_store::outbox::claim_due(&mut conn, "email", &me, until, now, 7)
                            .await
                            .unwrap();
                    if claims.is_empty() {
                        return sent;
                    }
                    for claim in claims {
                        postgres_store::outbox::mark_sent(&mut conn, claim, now)
                            .await
                            .unwrap();
                        sent.push(claim.row);
                    }
                }
            }));
        }
    }
    let mut sent = Vec::new();
    for s in senders {
        sent.extend(s.await.unwrap());
    }
    // The ten of the rolled-back claim were free again; "b"'s ten stay held.
    sent.sort_unstable();
    let before = sent.len();
    sent.dedup();
    assert_eq!((before, sent.len()), (110, 110), "each row sent once");
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(pending, 10, "the rows b still holds");

    // Two chats with three messages each: one in hand per chat, in order.
    for (id, chat) in [
        (1001, 5),
        (1002, 5),
        (1003, 7),
        (1004, 5),
        (1005, 7),
        (1006, 7),
    ] {
        sqlx::query(
            "INSERT INTO outbox (id, key, channel, template, context, next_attempt_at, created_at, chat_id)
             VALUES ($1, $2, 'telegram', 'reply', '{}', 0, 0, $3)",
        )
        .bind(id)
        .bind(format!("t{id}"))
        .bind(chat)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let mut rounds = Vec::new();
    loop {
        let a = postgres_store::outbox::claim_due(&mut conn, "telegram", "a", until, now, 50)
            .await
            .unwrap();
        let b = postgres_store::outbox::claim_due(&mut conn, "telegram", "b", until, now, 50)
            .await
            .unwrap();
        assert!(b.is_empty(), "a chat's next message waits for its head");
        if a.is_empty() {
            break;
        }
        rounds.push(a.iter().map(|c| c.row).collect::<Vec<_>>());
        for claim in a {
            postgres_store::outbox::mark_sent(&mut conn, claim, now)
                .await
                .unwrap();
        }
    }
    assert_eq!(
        rounds,
        vec![vec![1001, 1003], vec![1002, 1005], vec![1004, 1006]]
    );

    // Three edits of one card to one chat queued while none went out:
    // only the latest waits to go.
    let edit = |n: usize| sertibot::notify::Outgoing {
        key: format!("card:edit{n}"),
        channel: sertibot::notify::Channel::Telegram,
        address: None,
        edit_of: Some("card".into()),
        chat: sertibot::notify::PrivateChat::new(42),
        ..emails[0].clone()
    };
    let edits = [edit(1), edit(2), edit(3)];
    postgres_store::outbox::enqueue(&mut conn, &edits, now)
        .await
        .unwrap();
    let waiting: Vec<(String, String)> =
        sqlx::query_as("SELECT key, status FROM outbox WHERE edit_of = 'card' ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let waiting: Vec<(&str, &str)> = waiting
        .iter()
        .map(|(k, s)| (k.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        waiting,
        [
            ("card:edit1", "replaced"),
            ("card:edit2", "replaced"),
            ("card:edit3", "pending")
        ]
    );

    // A stalled sender: its claim lapses, another takes the row over, and
    // the first one's outcome is refused.
    let row = |key: &'static str| sertibot::notify::Outgoing {
        key: key.into(),
        ..emails[0].clone()
    };
    postgres_store::outbox::enqueue(&mut conn, &[row("late")], now)
        .await
        .unwrap();
    let stalled = postgres_store::outbox::claim_due(&mut conn, "email", "a", until, now, 1)
        .await
        .unwrap()[0];
    let later = until + chrono::Duration::minutes(1);
    let mut took_over = Vec::new();
    while took_over
        .iter()
        .all(|c: &sertibot::store::Claim| c.row != stalled.row)
    {
        took_over = postgres_store::outbox::claim_due(
            &mut conn,
            "email",
            "b",
            later + chrono::Duration::minutes(5),
            later,
            50,
        )
        .await
        .unwrap();
        assert!(!took_over.is_empty(), "the lapsed claim is taken over");
    }
    let refused = postgres_store::outbox::mark_sent(&mut conn, stalled, later)
        .await
        .unwrap_err();
    assert!(Fenced::is(&refused), "{refused}");
    let refused = postgres_store::outbox::mark_failed(&mut conn, stalled, "timeout", later)
        .await
        .unwrap_err();
    assert!(Fenced::is(&refused), "{refused}");
    let newer = took_over.iter().find(|c| c.row == stalled.row).unwrap();
    postgres_store::outbox::mark_sent(&mut conn, *newer, later)
        .await
        .unwrap();
    let (status, attempts): (String, i64) =
        sqlx::query_as("SELECT status, attempts FROM outbox WHERE id = $1")
            .bind(stalled.row)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 1));
}

/// Three instances ticking at once over the same due timers: each timer
/// fires once, and its effect (here an audit row, written in the firing's
/// transaction) is there once; a timer set again after firing stays fired.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_ticking_at_once_fire_each_timer_once() {
    use sertibot::store::timers;
    use sqlx::Postgres;
    let Some(db) = postgres().await else { return };
    let pools = instances(&db).await;
    let now = chrono::Utc::now();
    let mut conn = db.pool.acquire().await.unwrap();
    for i in 0..60 {
        let due = now - chrono::Duration::seconds(60 - i);
        timers::set::<Postgres>(&mut conn, &format!("digest:{i}"), None, "digest", due)
            .await
            .unwrap();
    }
    let later = now + chrono::Duration::hours(1);
    timers::set::<Postgres>(&mut conn, "later", None, "digest", later)
        .await
        .unwrap();
    assert_eq!(
        timers::next::<Postgres>(&mut conn)
            .await
            .unwrap()
            .map(|t| t.timestamp()),
        Some((now - chrono::Duration::seconds(60)).timestamp())
    );

    let mut tickers = Vec::new();
    for pool in pools.iter().chain(pools.iter()) {
        let pool = pool.clone();
        tickers.push(tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            let mut fired = 0;
            for timer in timers::due::<Postgres>(&mut tx, now).await.unwrap() {
                if timers::fire::<Postgres>(&mut tx, timer.id, now)
                    .await
                    .unwrap()
                {
                    let effect = sertibot::store::AuditEntry {
                        channel: "scheduler",
                        actor: "system",
                        member: None,
                        telegram_user: None,
                        batch: None,
                        action: "digest_sent".into(),
                        detail: serde_json::json!({"timer": timer.key}),
                    };
                    postgres_store::audit::append(&mut tx, &[effect], now)
                        .await
                        .unwrap();
                    fired += 1;
                }
            }
            tx.commit().await.unwrap();
            fired
        }));
    }
    let mut fired = 0;
    for t in tickers {
        fired += t.await.unwrap();
    }
    assert_eq!(fired, 60, "each due timer fired once across six tickers");
    let effects: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'digest_sent' ORDER BY detail",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut distinct = effects.clone();
    distinct.dedup();
    assert_eq!((effects.len(), distinct.len()), (60, 60));
    assert!(
        timers::due::<Postgres>(&mut conn, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        timers::waiting::<Postgres>(&mut conn, "digest")
            .await
            .unwrap()
    );

    // Set again once fired: it does not come back.
    timers::set::<Postgres>(&mut conn, "digest:0", None, "digest", now)
        .await
        .unwrap();
    assert!(
        timers::due::<Postgres>(&mut conn, now)
            .await
            .unwrap()
            .is_empty()
    );
    let head = postgres_store::audit::chain(&mut conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.rows, 60);
}

/// The inbox on PostgreSQL keeps what SQLite's keeps: an update once
/// however often it is handed over, none already handled, a note for one
/// too large, the oldest first; the offset only moves forward.
#[tokio::test]
async fn the_postgres_inbox_keeps_each_update_once_and_its_offset_moves_forward() {
    use sertibot::store::inbox;
    use sqlx::Postgres;
    let Some(db) = postgres().await else { return };
    let mut conn = db.pool.acquire().await.unwrap();
    let now = chrono::Utc::now();
    assert_eq!(inbox::offset::<Postgres>(&mut conn).await.unwrap(), 0);
    sqlx::query("INSERT INTO processed_updates (update_id, handled_at) VALUES (7, 0)")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (id, body) in [
        (9, "{\"update_id\":9}"),
        (8, "{\"update_id\":8}"),
        (9, "{}"),
        (7, "{}"),
    ] {
        inbox::put::<Postgres>(&mut conn, id, 5, body, 100, now)
            .await
            .unwrap();
    }
    let huge = format!("{{\"update_id\":10,\"text\":\"{}\"}}", "x".repeat(500));
    inbox::put::<Postgres>(&mut conn, 10, 5, &huge, 100, now)
        .await
        .unwrap();
    let kept = inbox::pending::<Postgres>(&mut conn, 10).await.unwrap();
    let ids: Vec<i64> = kept.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [8, 9, 10]);
    assert_eq!(kept[1].1, "{\"update_id\":9}", "the first copy is kept");
    assert!(kept[2].1.contains("too_large") && kept[2].1.len() < 100);
    assert_eq!(
        inbox::pending::<Postgres>(&mut conn, 2)
            .await
            .unwrap()
            .len(),
        2
    );
    for next in [11, 5, 12] {
        inbox::set_offset::<Postgres>(&mut conn, next)
            .await
            .unwrap();
    }
    assert_eq!(inbox::offset::<Postgres>(&mut conn).await.unwrap(), 12);
}

/// Polling with several instances: one holds the lease and renews it; the
/// others are refused until it runs out (15 s after the last renewal),
/// then exactly one of them takes it over, and the old holder learns at
/// its next renewal that it lost it. A clean stop hands it on at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_polling_lease_passes_to_one_other_instance_within_fifteen_seconds() {
    use postgres_store::lease;
    let Some(db) = postgres().await else { return };
    let mut conn = db.pool.acquire().await.unwrap();
    let t0 = chrono::Utc::now();
    let at = move |s: i64| t0 + chrono::Duration::seconds(s);
    let a = lease::acquire(&mut conn, "a", at(0))
        .await
        .unwrap()
        .expect("free");
    assert_eq!(lease::acquire(&mut conn, "b", at(1)).await.unwrap(), None);
    assert!(lease::renew(&mut conn, "a", a, at(5)).await.unwrap());
    assert_eq!(lease::acquire(&mut conn, "b", at(19)).await.unwrap(), None);
    // A dies after renewing at 5 s: its lease runs out at 20 s, and of
    // three instances trying at once just after, one takes it.
    let pools = instances(&db).await;
    let mut tries = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        let pool = pool.clone();
        tries.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            let me = format!("instance-{i}");
            lease::acquire(&mut conn, &me, at(21))
                .await
                .unwrap()
                .map(|h| (me, h))
        }));
    }
    let mut winners = Vec::new();
    for t in tries {
        winners.extend(t.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (winner, held) = winners.pop().unwrap();
    assert!(held.generation > a.generation);
    // The stalled holder wakes up: it lost the lease and cannot take it back.
    assert!(!lease::renew(&mut conn, "a", a, at(22)).await.unwrap());
    assert_eq!(lease::acquire(&mut conn, "a", at(23)).await.unwrap(), None);
    // A clean stop hands it on without waiting for the term.
    lease::release(&mut conn, &winner, at(24)).await.unwrap();
    let next = lease::acquire(&mut conn, "a", at(24)).await.unwrap();
    assert!(next.is_some_and(|h| h.generation > held.generation));
}

/// Six handlers on three instances take updates from one inbox at once:
/// each update is handled once, and each chat's updates in the order
/// Telegram sent them, whichever instance took each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_taking_updates_at_once_handle_each_once_and_each_chat_in_order() {
    use sertibot::store::inbox;
    use sqlx::Postgres;
    use std::sync::{Arc, Mutex};
    let Some(db) = postgres().await else { return };
    let pools = instances(&db).await;
    let now = chrono::Utc::now();
    let mut conn = db.pool.acquire().await.unwrap();
    for update in 1..=45 {
        let chat = [100, 200, 300][update as usize % 3];
        let body = format!("{{\"update_id\":{update}}}");
        inbox::put::<Postgres>(&mut conn, update, chat, &body, 1000, now)
            .await
            .unwrap();
    }
    let handled: Arc<Mutex<Vec<(i64, usize)>>> = Arc::default();
    let mut handlers = Vec::new();
    for (i, pool) in pools.iter().chain(pools.iter()).enumerate() {
        let (pool, handled) = (pool.clone(), handled.clone());
        handlers.push(tokio::spawn(async move {
            loop {
                let mut tx = pool.begin().await.unwrap();
                let Some((update, _)) = postgres_store::inbox::take(&mut tx).await.unwrap() else {
                    tx.commit().await.unwrap();
                    return;
                };
                // Some work, so that handlers overlap.
                tokio::time::sleep(std::time::Duration::from_millis(update as u64 % 4)).await;
                handled.lock().unwrap().push((update, i));
                assert!(
                    inbox::handled::<Postgres>(&mut tx, update, now)
                        .await
                        .unwrap()
                );
                tx.commit().await.unwrap();
            }
        }));
    }
    for h in handlers {
        h.await.unwrap();
    }
    let handled = handled.lock().unwrap().clone();
    let mut updates: Vec<i64> = handled.iter().map(|(u, _)| *u).collect();
    for chat in 0..3 {
        let order: Vec<i64> = updates.iter().copied().filter(|u| u % 3 == chat).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "chat {chat}'s updates in order");
    }
    updates.sort_unstable();
    assert_eq!(
        updates,
        (1..=45).collect::<Vec<_>>(),
        "each update handled once"
    );
    let handlers_used: std::collections::BTreeSet<usize> =
        handled.iter().map(|(_, h)| *h).collect();
    assert!(handlers_used.len() > 1, "{handlers_used:?}");
    assert!(
        inbox::pending::<Postgres>(&mut conn, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
