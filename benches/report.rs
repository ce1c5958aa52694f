//! The records' figures for BENCHMARKS.md: the performance report (load,
//! figures, workbook with charts, PDF and chart) over 1,000 finished
//! batches of five participants, on a real database file; then the audit
//! chain's check (as at every start of the service) over 200,000 rows, and
//! the peak memory it took.
//!
//! `cargo bench --bench report`

use std::sync::Arc;
use std::time::Instant;

#[path = "support/memory.rs"]
mod memory;
use memory::high_water_mib;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sertibot::app::{App, Via};
use sertibot::clock::ManualClock;
use sertibot::config::Config;
use sertibot::domain::{BatchId, MemberId};
use sertibot::store::{AuditEntry, Store};
use sertibot::workflow::Actor;

const BATCHES: i64 = 1000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sertibot.toml");
    std::fs::write(
        &path,
        "[database]\npath = \"bench.db\"\n[schedule]\nbackup = \"\"\n",
    )
    .unwrap();
    let config = Config::load(Some(&path), |name| {
        (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())
    })
    .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();
    let app = App::open(config, Arc::new(ManualClock::new(now)))
        .await
        .unwrap();
    // One batch made the usual way stores the procedure; the rest are
    // written straight into the tables, finished over the year.
    let first = app
        .create_batch(
            "Operator Mesin",
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            None,
            &Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    let mut conn = app.store.pool().acquire().await.unwrap();
    sqlx::query("INSERT INTO members (id, name, active, created_at) VALUES (1, 'Siti Rahmawati', 1, 0), (2, 'Andi Pratama', 1, 0)")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
    for b in 0..BATCHES {
        let id = first.0 + b;
        let assessed = start + Duration::hours(8 * b);
        let ms = |t: chrono::DateTime<Utc>| t.timestamp_millis();
        if b > 0 {
            sqlx::query(
                "INSERT INTO batches (id, scheme, assessed_on, procedure_id, status, created_at)
                 SELECT ?, 'Operator Mesin', ?, procedure_id, 'finished', 0 FROM batches WHERE id = ?",
            )
            .bind(id)
            .bind(assessed.date_naive().to_string())
            .bind(first.0)
            .execute(&mut *conn)
            .await
            .unwrap();
        } else {
            sqlx::query("UPDATE batches SET status = 'finished' WHERE id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        for (i, step) in [1, 2, 3, 4, 5, 6, 7, 8, 10].iter().enumerate() {
            let began = assessed + Duration::hours(i as i64 * 3);
            let due = began + Duration::hours(2);
            let done = began + Duration::minutes(60 + (id * 7 + i as i64 * 13) % 180);
            sqlx::query("INSERT INTO step_runs (batch_id, step_no, state, started_at, due_at, finished_at) VALUES (?, ?, 'done', ?, ?, ?)")
                .bind(id).bind(step).bind(ms(began)).bind(ms(due)).bind(ms(done))
                .execute(&mut *conn).await.unwrap();
            for member in [1, 2] {
                sqlx::query("INSERT INTO step_marks (batch_id, step_no, member_id, kind, at) VALUES (?, ?, ?, 'ack', ?)")
                    .bind(id).bind(step).bind(member).bind(ms(began + Duration::minutes(5 * member + i as i64)))
                    .execute(&mut *conn).await.unwrap();
            }
        }
        for p in 0..5 {
            let received = assessed + Duration::days(10 + (id + p) % 9);
            sqlx::query(
                "INSERT INTO participants (batch_id, row_no, name, email, email_key, result, handover_due_at, received_at)
                 VALUES (?, ?, 'Peserta', ?, ?, 'K', ?, ?)",
            )
            .bind(id).bind(p + 1)
            .bind(format!("p{id}-{p}@example.com")).bind(format!("p{id}-{p}@example.com"))
            .bind(ms(received - Duration::hours(1))).bind(ms(received))
            .execute(&mut *conn).await.unwrap();
        }
    }
    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
    drop(conn);

    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    app.report_files(from, to).await.unwrap(); // warm: fonts read once
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let began = Instant::now();
        let files = app.report_files(from, to).await.unwrap();
        times.push(began.elapsed().as_secs_f64());
        last = Some(files);
    }
    times.sort_by(f64::total_cmp);
    let files = last.unwrap();
    report_times(&files, &times);

    // 200,000 audit rows, appended as the service appends them.
    let hwm_before = high_water_mib();
    for chunk in 0..200 {
        let entries: Vec<AuditEntry> = (0..1000)
            .map(|i| AuditEntry {
                channel: "telegram",
                actor: "member",
                member: Some(MemberId(1)),
                telegram_user: None,
                batch: Some(BatchId(first.0 + (chunk * 1000 + i) % BATCHES)),
                action: "step_acknowledged".into(),
                detail: serde_json::json!({"event": "acknowledged", "step": i % 10, "by": 1, "at": now}),
            })
            .collect();
        let mut tx = app.store.begin().await.unwrap();
        Store::audit(&mut tx, &entries, now).await.unwrap();
        tx.commit().await.unwrap();
    }
    let began = Instant::now();
    let head = app
        .store
        .verify_audit()
        .await
        .unwrap()
        .expect("a sound chain");
    println!(
        "the audit chain's check over {} rows: {:.2} s; peak memory {:.1} MiB (before appending {:.1} MiB)",
        head.rows,
        began.elapsed().as_secs_f64(),
        high_water_mib(),
        hwm_before,
    );
}

fn report_times(files: &sertibot::app::ReportFiles, times: &[f64]) {
    println!(
        "the report over {} finished batches ({} steps, {} acknowledgements): median {:.2} s, max {:.2} s; XLSX {} KiB, PDF {} KiB, PNG {} KiB",
        files.report.batches,
        files.report.overall.done,
        files.report.acks.iter().map(|a| a.count).sum::<usize>(),
        times[2],
        times[4],
        files.xlsx.len() / 1024,
        files.pdf.len() / 1024,
        files.png.len() / 1024,
    );
}
