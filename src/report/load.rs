//! Reading a period's records for the report: steps done (and each
//! participant's handover received) in it, acknowledgements given in it,
//! and the batches whose last document was received in it.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use sqlx::{Row, SqliteConnection};

use super::{Ack, DoneStep, LeadTime, Report};
use crate::store::{from_ms, ms};
use crate::workflow::Calendar;

/// The period's bounds as instants: from the first day's midnight to the
/// midnight after the last day, in the calendar's time zone.
fn bounds(from: NaiveDate, to: NaiveDate, calendar: &Calendar) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| {
        calendar
            .tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    };
    let after = to.checked_add_days(Days::new(1)).unwrap_or(to);
    (midnight(from), midnight(after))
}

/// The report of `from..=to` (dates in the calendar's time zone).
///
/// # Errors
/// When the database cannot be read.
pub async fn load(
    conn: &mut SqliteConnection,
    (from, to): (NaiveDate, NaiveDate),
    calendar: &Calendar,
    activity: impl Fn(u32) -> String,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let (start, end) = bounds(from, to, calendar);
    let month = |at: DateTime<Utc>| at.with_timezone(&calendar.tz).format("%Y-%m").to_string();
    let done = |step: u32, due: i64, finished: i64| {
        let (due, finished) = (from_ms(due), from_ms(finished));
        let late = if finished > due {
            calendar.minutes_between(due, finished).max(0)
        } else {
            0
        };
        DoneStep {
            step,
            month: month(finished),
            within: late == 0,
            late_minutes: late,
        }
    };
    let mut steps: Vec<DoneStep> = sqlx::query(
        "SELECT r.step_no, r.due_at, r.finished_at FROM step_runs r JOIN batches b ON b.id = r.batch_id
         WHERE r.state = 'done' AND r.due_at IS NOT NULL AND r.finished_at >= ? AND r.finished_at < ?
           AND b.cancelled_at IS NULL",
    )
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| done(r.get::<i64, _>("step_no") as u32, r.get("due_at"), r.get("finished_at")))
    .collect();
    // Each participant's handover is the last step's clock.
    let last_step: Option<i64> = sqlx::query_scalar("SELECT MAX(step_no) FROM step_runs")
        .fetch_one(&mut *conn)
        .await?;
    let handovers = sqlx::query(
        "SELECT handover_due_at, received_at FROM participants
         WHERE handover_due_at IS NOT NULL AND received_at >= ? AND received_at < ?",
    )
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *conn)
    .await?;
    if let Some(last) = last_step {
        steps.extend(
            handovers
                .iter()
                .map(|r| done(last as u32, r.get("handover_due_at"), r.get("received_at"))),
        );
    }
    let names: HashMap<i64, String> = sqlx::query("SELECT id, name FROM members")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| (r.get("id"), r.get("name")))
        .collect();
    let acks = sqlx::query(
        "SELECT m.member_id, m.at, r.started_at FROM step_marks m
         JOIN step_runs r ON r.batch_id = m.batch_id AND r.step_no = m.step_no
         WHERE m.kind = 'ack' AND r.started_at IS NOT NULL AND m.at >= ? AND m.at < ?",
    )
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let member: i64 = r.get("member_id");
        Ack {
            member: names
                .get(&member)
                .cloned()
                .unwrap_or_else(|| format!("anggota #{member}")),
            minutes: calendar.minutes_between(from_ms(r.get("started_at")), from_ms(r.get("at"))),
        }
    })
    .collect::<Vec<_>>();
    let lead_times = sqlx::query(
        "SELECT b.id, b.scheme, b.assessed_on, MAX(p.received_at) AS last FROM batches b
         JOIN participants p ON p.batch_id = b.id
         WHERE b.status = 'finished' AND b.cancelled_at IS NULL
         GROUP BY b.id HAVING last >= ? AND last < ? AND COUNT(*) = COUNT(p.received_at)",
    )
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .filter_map(|r| {
        let assessed_on: NaiveDate = r.get::<String, _>("assessed_on").parse().ok()?;
        let last = from_ms(r.get("last"))
            .with_timezone(&calendar.tz)
            .date_naive();
        Some(LeadTime {
            batch: r.get("id"),
            scheme: r.get("scheme"),
            assessed_on,
            last_receipt: last,
            days: (last - assessed_on).num_days(),
        })
    })
    .collect();
    Ok(Report::build(
        (from, to),
        &steps,
        &acks,
        lead_times,
        activity,
        now,
    ))
}
