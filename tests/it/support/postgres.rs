//! A database of its own for each PostgreSQL test, on the server named by
//! `SERTIBOT_TEST_POSTGRES` (by default the machine's own,
//! `postgres://postgres@127.0.0.1:5432/postgres`): created empty, dropped
//! when the test ends. Without a server the PostgreSQL tests are skipped,
//! said once on standard error, unless `SERTIBOT_REQUIRE_POSTGRES` is set
//! (as `.ci/run` does): then they fail.

#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database, dropped with this value.
pub struct TestDatabase {
    pub pool: PgPool,
    /// The database's URL: the server's, naming this database.
    pub url: String,
    name: String,
    server: PgConnectOptions,
}

impl TestDatabase {
    /// Creates a database for one test; `None` when no server answers and
    /// none is required.
    pub async fn create() -> Option<TestDatabase> {
        let url = std::env::var("SERTIBOT_TEST_POSTGRES").unwrap_or(DEFAULT_SERVER.into());
        let server: PgConnectOptions = url
            .parse()
            .expect("SERTIBOT_TEST_POSTGRES is a postgres:// URL");
        let server = server.disable_statement_logging();
        // Named by host and port only: a URL may carry a password.
        let place = format!("{}:{}", server.get_host(), server.get_port());
        let admin =
            tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&server)).await;
        let mut admin = match admin {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return skipped(&place, &e.to_string()),
            Err(_) => return skipped(&place, "no answer within 5 s"),
        };
        forget_the_dead(&mut admin).await;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "sertibot_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("the test's database is created");
        admin.close().await.ok();
        let options = server.clone().database(&name);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("the test's database opens");
        let url = database_url(&url, &name);
        Some(TestDatabase {
            pool,
            url,
            name,
            server,
        })
    }
}

impl Drop for TestDatabase {
    /// Drops the database, ending its connections (`WITH (FORCE)`), on a
    /// thread of its own: a drop cannot wait for async work on the test's
    /// runtime, which is blocked here (so the pool is not closed first).
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the drop");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect_with(&server).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// The server's URL with its database (and any query) replaced by `name`.
fn database_url(server: &str, name: &str) -> String {
    let authority = server.find("://").map_or(0, |i| i + 3);
    let end = server[authority..]
        .find(['/', '?'])
        .map_or(server.len(), |i| authority + i);
    format!("{}/{name}", &server[..end])
}

/// Drops the test databases left by test processes that died (killed
/// before their drops ran), named by their process id; once per process.
async fn forget_the_dead(admin: &mut PgConnection) {
    static DONE: AtomicUsize = AtomicUsize::new(0);
    if DONE.fetch_add(1, Ordering::Relaxed) > 0 {
        return;
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'sertibot\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// No server: fails when one is required, else says once (past the test
/// harness's capture) that the PostgreSQL tests were skipped and how to run them.
fn skipped(place: &str, why: &str) -> Option<TestDatabase> {
    if std::env::var_os("SERTIBOT_REQUIRE_POSTGRES").is_some() {
        panic!(
            "PostgreSQL is required (SERTIBOT_REQUIRE_POSTGRES) but the server at {place} cannot be reached: {why}"
        );
    }
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "PostgreSQL tests skipped: no server at {place} ({why}); start one or set SERTIBOT_TEST_POSTGRES=postgres://user@host:port/db to run them"
        );
    });
    None
}
