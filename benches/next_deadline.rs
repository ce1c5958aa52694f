//! How fast the scheduler finds what is due among 10,000 running clocks, and
//! how long one alert takes from due to queued. Run with `cargo bench`.
//! Not a test: numbers to read, not to assert.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use sertibot::app::App;
use sertibot::clock::ManualClock;
use sertibot::config::Config;
use sertibot::store::Store;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sertibot.toml");
        std::fs::write(&path, "[database]\npath = \"bench.db\"\n").unwrap();
        let config = Config::load(Some(&path), |name| (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = App::open(config, clock.clone()).await.unwrap();
        let batch = app
            .create_batch("Bench", chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), None,
                &sertibot::workflow::Actor::Operator, sertibot::app::Via::Cli)
            .await
            .unwrap();
        let roles: sertibot::domain::RoleSet = [sertibot::domain::Role::KabagAdministrasi, sertibot::domain::Role::KetuaLsp].into();
        app.add_member("Siti", &roles, None).await.unwrap();
        // 10,000 running clocks, due over the coming weeks.
        let mut tx = app.store.begin().await.unwrap();
        for i in 0..10_000i64 {
            let due = start + Duration::minutes(60 + i * 7);
            sqlx::query(
                "INSERT INTO deadlines (key, batch_id, step_no, started_at, due_at, next_alert_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(format!("bench:{i}"))
            .bind(batch.0)
            .bind(1)
            .bind(start.timestamp_millis())
            .bind(due.timestamp_millis())
            .bind(due.timestamp_millis())
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let mut conn = app.store.pool().acquire().await.unwrap();
        let rounds = 2_000;
        let timer = Instant::now();
        for _ in 0..rounds {
            Store::next_alert(&mut conn).await.unwrap();
        }
        let next = timer.elapsed() / rounds;
        let timer = Instant::now();
        for _ in 0..rounds {
            Store::due_alerts(&mut conn, start).await.unwrap();
        }
        let due = timer.elapsed() / rounds;
        drop(conn);
        println!("10,000 running clocks: next alert found in {next:?}; due clocks listed in {due:?} (per call, mean of {rounds})");

        // One clock falls due: from due to its alert queued.
        clock.set(start + Duration::minutes(60));
        let timer = Instant::now();
        let sent = app.fire_due_alerts().await.unwrap();
        println!("one due clock: its alert queued {:?} after it fell due ({sent} message)", timer.elapsed());
    });
}
