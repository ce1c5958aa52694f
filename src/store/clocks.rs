//! The running clocks' alerts: which may be due, what each has sent, and
//! when the next is due; and the documents waiting to be collected, whose
//! participant gets one reminder. The clocks themselves are written with
//! the events that start and stop them ([`super::Store::record`]).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::ms;
use crate::domain::ParticipantId;
use crate::sop::StepNo;

impl super::Store {
    /// Running clocks whose next alert may be due at `now`, through the index.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_alerts(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<RunningClock>> {
        let rows = sqlx::query(
            "SELECT id, key, batch_id, step_no, participant_id, started_at, due_at, heads_up_sent, overdue_sent,
                    next_alert_at
             FROM deadlines WHERE stopped_at IS NULL AND next_alert_at <= ? ORDER BY next_alert_at LIMIT 500",
        )
        .bind(ms(now))
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RunningClock {
                id: r.get("id"),
                key: r.get("key"),
                batch: crate::domain::BatchId(r.get("batch_id")),
                step: StepNo(r.get::<i64, _>("step_no") as u32),
                participant: r.get::<Option<i64>, _>("participant_id").map(ParticipantId),
                started_at: super::from_ms(r.get("started_at")),
                due_at: super::from_ms(r.get("due_at")),
                heads_up_sent: r.get::<i64, _>("heads_up_sent") != 0,
                overdue_sent: u32::try_from(r.get::<i64, _>("overdue_sent")).unwrap_or_default(),
                next_alert_at: super::from_ms(r.get("next_alert_at")),
            })
            .collect())
    }

    /// Records what a clock has alerted and when it next may; `false` when
    /// another process got there first (its `next_alert_at` moved).
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn advance_clock(
        conn: &mut SqliteConnection,
        clock: &RunningClock,
        heads_up_sent: bool,
        overdue_sent: u32,
        next_alert_at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE deadlines SET heads_up_sent = ?, overdue_sent = ?, next_alert_at = ?
             WHERE id = ? AND next_alert_at = ? AND stopped_at IS NULL",
        )
        .bind(i64::from(heads_up_sent))
        .bind(i64::from(overdue_sent))
        .bind(ms(next_alert_at))
        .bind(clock.id)
        .bind(ms(clock.next_alert_at))
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the next alert of any running clock may be due.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_alert(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_alert_at) FROM deadlines WHERE stopped_at IS NULL")
                .fetch_one(conn)
                .await?;
        Ok(next.map(super::from_ms))
    }

    /// The earliest due time of a running clock, found through the index.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_deadline(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(due_at) FROM deadlines WHERE stopped_at IS NULL")
                .fetch_one(conn)
                .await?;
        Ok(next.map(super::from_ms))
    }
}

/// A running clock (a step's, or one participant's handover) and its alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningClock {
    pub id: i64,
    pub key: String,
    pub batch: crate::domain::BatchId,
    pub step: StepNo,
    pub participant: Option<ParticipantId>,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub heads_up_sent: bool,
    pub overdue_sent: u32,
    pub next_alert_at: DateTime<Utc>,
}

/// A participant whose document is ready and not yet collected, not yet
/// reminded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uncollected {
    pub batch: crate::domain::BatchId,
    pub participant: ParticipantId,
    pub ready_at: DateTime<Utc>,
}

impl super::Store {
    /// Participants of running batches whose document became ready before
    /// `ready_before` and who have neither collected it nor been reminded;
    /// at most 500, the longest waiting first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn uncollected(
        conn: &mut SqliteConnection,
        ready_before: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Uncollected>> {
        let rows = sqlx::query(
            "SELECT p.batch_id, p.id, p.handover_ready_at FROM participants p
             JOIN batches b ON b.id = p.batch_id AND b.status = 'running' AND b.cancelled_at IS NULL
             WHERE p.handover_ready_at IS NOT NULL AND p.handover_ready_at <= ?
               AND p.received_at IS NULL AND p.handover_reminded_at IS NULL
             ORDER BY p.handover_ready_at LIMIT 500",
        )
        .bind(ms(ready_before))
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Uncollected {
                batch: crate::domain::BatchId(r.get("batch_id")),
                participant: ParticipantId(r.get("id")),
                ready_at: super::from_ms(r.get("handover_ready_at")),
            })
            .collect())
    }

    /// Marks a participant reminded to collect; `false` when another
    /// process did first (or they collected it meanwhile).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn mark_reminded(
        conn: &mut SqliteConnection,
        participant: ParticipantId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE participants SET handover_reminded_at = ?
             WHERE id = ? AND handover_reminded_at IS NULL AND received_at IS NULL",
        )
        .bind(ms(now))
        .bind(participant.0)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
