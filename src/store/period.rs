//! What the report reads of a period, as typed rows: steps done (and each
//! participant's handover received), acknowledgements given, and the
//! batches whose last document was received. The report's figures are
//! computed from them in [`crate::report`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};

/// A step (or a participant's handover) done: its number, due and finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDone {
    pub step: u32,
    pub due: DateTime<Utc>,
    pub finished: DateTime<Utc>,
}

/// An acknowledgement: by whom, when the step started and when they said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckGiven {
    pub member: i64,
    pub started: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// A finished batch whose every participant received their document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchCompleted {
    pub id: i64,
    pub scheme: String,
    /// As stored (`YYYY-MM-DD`).
    pub assessed_on: String,
    pub last_receipt: DateTime<Utc>,
}

impl super::Store {
    /// Steps of batches not cancelled done in `start..end`, with a due time.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn steps_done_between(
        conn: &mut SqliteConnection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StepDone>> {
        Ok(rows_between(
            conn,
            "SELECT r.step_no, r.due_at, r.finished_at FROM step_runs r JOIN batches b ON b.id = r.batch_id
             WHERE r.state = 'done' AND r.due_at IS NOT NULL AND r.finished_at >= ? AND r.finished_at < ?
               AND b.cancelled_at IS NULL",
            start,
            end,
        )
        .await?
        .iter()
        .map(|r| StepDone {
            step: r.get::<i64, _>("step_no") as u32,
            due: from_ms(r.get("due_at")),
            finished: from_ms(r.get("finished_at")),
        })
        .collect())
    }

    /// Each participant's handover received in `start..end`, as the last
    /// step's clock (the highest step number any batch ran).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn handovers_received_between(
        conn: &mut SqliteConnection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StepDone>> {
        let last_step: Option<i64> = sqlx::query_scalar("SELECT MAX(step_no) FROM step_runs")
            .fetch_one(&mut *conn)
            .await?;
        let Some(last) = last_step else {
            return Ok(Vec::new());
        };
        Ok(rows_between(
            conn,
            "SELECT handover_due_at, received_at FROM participants
             WHERE handover_due_at IS NOT NULL AND received_at >= ? AND received_at < ?",
            start,
            end,
        )
        .await?
        .iter()
        .map(|r| StepDone {
            step: last as u32,
            due: from_ms(r.get("handover_due_at")),
            finished: from_ms(r.get("received_at")),
        })
        .collect())
    }

    /// Every member's name by id, active or not.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn member_names(conn: &mut SqliteConnection) -> anyhow::Result<HashMap<i64, String>> {
        Ok(sqlx::query("SELECT id, name FROM members")
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| (r.get("id"), r.get("name")))
            .collect())
    }

    /// Acknowledgements given in `start..end` of steps that had started.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn acks_between(
        conn: &mut SqliteConnection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<AckGiven>> {
        Ok(rows_between(
            conn,
            "SELECT m.member_id, m.at, r.started_at FROM step_marks m
             JOIN step_runs r ON r.batch_id = m.batch_id AND r.step_no = m.step_no
             WHERE m.kind = 'ack' AND r.started_at IS NOT NULL AND m.at >= ? AND m.at < ?",
            start,
            end,
        )
        .await?
        .iter()
        .map(|r| AckGiven {
            member: r.get("member_id"),
            started: from_ms(r.get("started_at")),
            at: from_ms(r.get("at")),
        })
        .collect())
    }

    /// Finished batches, not cancelled, whose last receipt fell in
    /// `start..end` and every participant of which received theirs.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn batches_completed_between(
        conn: &mut SqliteConnection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<BatchCompleted>> {
        Ok(rows_between(
            conn,
            "SELECT b.id, b.scheme, b.assessed_on, MAX(p.received_at) AS last FROM batches b
             JOIN participants p ON p.batch_id = b.id
             WHERE b.status = 'finished' AND b.cancelled_at IS NULL
             GROUP BY b.id HAVING last >= ? AND last < ? AND COUNT(*) = COUNT(p.received_at)",
            start,
            end,
        )
        .await?
        .iter()
        .map(|r| BatchCompleted {
            id: r.get("id"),
            scheme: r.get("scheme"),
            assessed_on: r.get("assessed_on"),
            last_receipt: from_ms(r.get("last")),
        })
        .collect())
    }
}

/// The rows `sql` selects between `start` (its first parameter) and `end`
/// (its second), exclusive: what each of the period's figures reads.
async fn rows_between(
    conn: &mut SqliteConnection,
    sql: &'static str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<Vec<sqlx::sqlite::SqliteRow>> {
    Ok(sqlx::query(sql)
        .bind(ms(start))
        .bind(ms(end))
        .fetch_all(conn)
        .await?)
}
