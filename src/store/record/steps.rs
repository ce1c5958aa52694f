//! A step's run: its clock (activated, skipped or done, paused, resumed)
//! and the marks on it (acknowledged, done, a problem reported).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::domain::RoleSet;
use crate::sop::StepNo;
use crate::store::time::ms;
use crate::workflow::Event;

/// A step activated, skipped or done, paused or resumed.
pub(super) async fn step_clock(
    conn: &mut SqliteConnection,
    b: i64,
    event: &Event,
) -> anyhow::Result<()> {
    match event {
        Event::StepActivated {
            step,
            clock_from,
            due_at,
            ..
        } => {
            let sql = "UPDATE step_runs SET state = 'active', started_at = ?, due_at = ?
                       WHERE batch_id = ? AND step_no = ?";
            set_clock(conn, sql, (b, *step), Some(*clock_from), *due_at).await
        }
        Event::StepClockMoved {
            step,
            clock_from,
            due_at,
            ..
        } => {
            let sql = "UPDATE step_runs SET started_at = ?, due_at = ? WHERE batch_id = ? AND step_no = ?";
            set_clock(conn, sql, (b, *step), *clock_from, *due_at).await
        }
        Event::StepReopened { step, .. } => reopen(conn, b, *step).await,
        Event::StepSkipped { step, at } | Event::StepCompleted { step, at } => {
            let state_word = if matches!(event, Event::StepSkipped { .. }) {
                "skipped"
            } else {
                "done"
            };
            finish(conn, b, *step, state_word, *at).await
        }
        Event::StepPaused {
            step,
            reason,
            at,
            remaining_minutes,
            ..
        } => {
            sqlx::query(
                "UPDATE step_runs SET paused_at = ?, pause_reason = ?, pause_remaining = ?
                 WHERE batch_id = ? AND step_no = ?",
            )
            .bind(ms(*at))
            .bind(reason)
            .bind(remaining_minutes)
            .bind(b)
            .bind(step.0)
            .execute(conn)
            .await?;
            Ok(())
        }
        Event::StepResumed { step, due_at, .. } => {
            let sql = "UPDATE step_runs SET paused_at = NULL, pause_reason = NULL, pause_remaining = NULL,
                           due_at = ? WHERE batch_id = ? AND step_no = ?";
            sqlx::query(sql)
                .bind(ms(*due_at))
                .bind(b)
                .bind(step.0)
                .execute(conn)
                .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Sets a step's clock: `sql` takes its start (when given), its due time,
/// the batch and the step, in that order.
async fn set_clock(
    conn: &mut SqliteConnection,
    sql: &'static str,
    (b, step): (i64, StepNo),
    from: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    sqlx::query(sql)
        .bind(from.map(ms))
        .bind(due_at.map(ms))
        .bind(b)
        .bind(step.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// A step reopened: waiting again in a new round, its earlier marks gone
/// from the step (they stay in the audit log).
async fn reopen(conn: &mut SqliteConnection, b: i64, step: StepNo) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE step_runs SET state = 'waiting', started_at = NULL, due_at = NULL, finished_at = NULL,
             paused_at = NULL, pause_reason = NULL, pause_remaining = NULL, round = round + 1
         WHERE batch_id = ? AND step_no = ?",
    )
    .bind(b)
    .bind(step.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM step_marks WHERE batch_id = ? AND step_no = ?")
        .bind(b)
        .bind(step.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// A step finished as `state_word` (done or skipped) at `at`.
async fn finish(
    conn: &mut SqliteConnection,
    b: i64,
    step: StepNo,
    state_word: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE step_runs SET state = ?, finished_at = ?, paused_at = NULL, pause_reason = NULL,
             pause_remaining = NULL WHERE batch_id = ? AND step_no = ?",
    )
    .bind(state_word)
    .bind(ms(at))
    .bind(b)
    .bind(step.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member's mark on a step (acknowledged, done) or a problem they reported.
pub(super) async fn step_mark(
    conn: &mut SqliteConnection,
    b: i64,
    event: &Event,
) -> anyhow::Result<()> {
    match event {
        Event::Acknowledged { step, member, at } => {
            mark(conn, b, *step, member.0, "ack", &RoleSet::new(), *at).await?;
        }
        Event::DoneMarked {
            step,
            member,
            roles,
            at,
        } => {
            mark(conn, b, *step, member.0, "done", roles, *at).await?;
        }
        Event::ProblemReported {
            step,
            member,
            text,
            at,
        } => {
            sqlx::query(
                "INSERT INTO problems (batch_id, step_no, member_id, text, at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(b)
            .bind(step.0)
            .bind(member.0)
            .bind(text)
            .bind(ms(*at))
            .execute(&mut *conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn mark(
    conn: &mut SqliteConnection,
    batch: i64,
    step: StepNo,
    member: i64,
    kind: &str,
    roles: &RoleSet,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let roles: Vec<&str> = roles.iter().map(|r| r.slug()).collect();
    sqlx::query(
        "INSERT INTO step_marks (batch_id, step_no, member_id, kind, roles, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(batch_id, step_no, member_id, kind) DO NOTHING",
    )
    .bind(batch)
    .bind(step.0)
    .bind(member)
    .bind(kind)
    .bind(roles.join(","))
    .bind(crate::store::ms(at))
    .execute(conn)
    .await?;
    Ok(())
}
