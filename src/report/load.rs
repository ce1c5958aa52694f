//! Reading a period's records for the report: steps done (and each
//! participant's handover received) in it, acknowledgements given in it,
//! and the batches whose last document was received in it.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use sqlx::SqliteConnection;

use super::{Ack, DoneStep, LeadTime, Report};
use crate::store::{StepDone, Store};
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
    let done = |d: StepDone| {
        let late = if d.finished > d.due {
            calendar.minutes_between(d.due, d.finished).max(0)
        } else {
            0
        };
        DoneStep {
            step: d.step,
            month: month(d.finished),
            within: late == 0,
            late_minutes: late,
        }
    };
    // Each participant's handover is the last step's clock.
    let steps: Vec<DoneStep> = Store::steps_done_between(&mut *conn, start, end)
        .await?
        .into_iter()
        .chain(Store::handovers_received_between(&mut *conn, start, end).await?)
        .map(done)
        .collect();
    let names = Store::member_names(&mut *conn).await?;
    let acks = Store::acks_between(&mut *conn, start, end)
        .await?
        .into_iter()
        .map(|a| Ack {
            member: names
                .get(&a.member)
                .cloned()
                .unwrap_or_else(|| format!("anggota #{}", a.member)),
            minutes: calendar.minutes_between(a.started, a.at),
        })
        .collect::<Vec<_>>();
    let lead_times = Store::batches_completed_between(&mut *conn, start, end)
        .await?
        .into_iter()
        .filter_map(|b| {
            let assessed_on: NaiveDate = b.assessed_on.parse().ok()?;
            let last = b.last_receipt.with_timezone(&calendar.tz).date_naive();
            Some(LeadTime {
                batch: b.id,
                scheme: b.scheme,
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
