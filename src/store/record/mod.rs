//! Writing what the workflow decided: each event into the tables it
//! changes, and the due times its effects start or stop.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::time::ms;
use crate::domain::ParticipantId;
use crate::sop::StepNo;
use crate::workflow::{BatchState, Effect, Event};

mod meeting;
mod participants;
mod steps;

impl super::Store {
    /// Writes `events` (already applied to `state`) and the due times of
    /// `effects`, inside the caller's transaction.
    ///
    /// # Errors
    /// When the database refuses a write (the caller's transaction then rolls back).
    pub async fn record(
        conn: &mut SqliteConnection,
        state: &BatchState,
        events: &[Event],
        effects: &[Effect],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let b = state.id.0;
        for event in events {
            match event {
                Event::BatchStarted { .. }
                | Event::BatchFinished { .. }
                | Event::DecreeRecorded { .. }
                | Event::DecreeCorrected { .. } => {
                    batch_event(conn, state, event).await?;
                }
                Event::BatchCancelled { reason, at, .. } => {
                    cancelled(conn, b, reason, *at).await?;
                }
                Event::MeetingSet { .. }
                | Event::MeetingRescheduled { .. }
                | Event::MeetingCancelled { .. }
                | Event::RsvpRecorded { .. }
                | Event::AttendanceMarked { .. } => meeting::meeting_event(conn, b, event).await?,
                Event::ResultRecorded { .. }
                | Event::UnitsBkRecorded { .. }
                | Event::ResultCorrected { .. }
                | Event::BlankNumberRecorded { .. }
                | Event::HandoverReady { .. }
                | Event::HandoverOpened { .. }
                | Event::ReceiptRecorded { .. } => {
                    participants::verdict_event(conn, b, event).await?;
                    participants::handover_event(conn, b, event).await?;
                }
                _ => {
                    steps::step_clock(conn, b, event).await?;
                    steps::step_mark(conn, b, event).await?;
                }
            }
        }
        deadlines(conn, state, effects, now).await
    }
}

/// A batch cancelled: marked so, its clocks stopped, its timers dropped,
/// and every message still waiting for it not sent (the notices of the
/// cancellation are queued after this, in the same transaction).
async fn cancelled(
    conn: &mut SqliteConnection,
    b: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE batches SET cancelled_at = ?, cancel_reason = ? WHERE id = ?")
        .bind(ms(at))
        .bind(reason)
        .bind(b)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE deadlines SET stopped_at = ? WHERE batch_id = ? AND stopped_at IS NULL")
        .bind(ms(at))
        .bind(b)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE timers SET fired_at = ? WHERE batch_id = ? AND fired_at IS NULL")
        .bind(ms(at))
        .bind(b)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE outbox SET status = 'failed', last_error = 'the batch was cancelled'
         WHERE batch_id = ? AND status = 'pending'",
    )
    .bind(b)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn deadline_key(state: &BatchState, step: StepNo, participant: Option<ParticipantId>) -> String {
    match participant {
        Some(p) => format!("b{}:s{}:p{}", state.id, step, p),
        None => format!("b{}:s{}", state.id, step),
    }
}

/// A batch started or finished, or its decree recorded.
async fn batch_event(
    conn: &mut SqliteConnection,
    state: &BatchState,
    event: &Event,
) -> anyhow::Result<()> {
    let b = state.id.0;
    match event {
        Event::BatchStarted { at } => {
            sqlx::query("UPDATE batches SET status = 'running', started_at = ? WHERE id = ?")
                .bind(ms(*at))
                .bind(b)
                .execute(&mut *conn)
                .await?;
            for step in &state.procedure.steps {
                sqlx::query(
                    "INSERT INTO step_runs (batch_id, step_no, state) VALUES (?, ?, 'waiting')
                     ON CONFLICT(batch_id, step_no) DO NOTHING",
                )
                .bind(b)
                .bind(step.no.0)
                .execute(&mut *conn)
                .await?;
            }
        }
        Event::BatchFinished { at } => {
            sqlx::query("UPDATE batches SET status = 'finished', finished_at = ? WHERE id = ?")
                .bind(ms(*at))
                .bind(b)
                .execute(&mut *conn)
                .await?;
        }
        Event::DecreeRecorded { decree, .. } | Event::DecreeCorrected { decree, .. } => {
            sqlx::query("UPDATE batches SET decree_number = ?, decree_date = ? WHERE id = ?")
                .bind(&decree.number)
                .bind(decree.date.to_string())
                .bind(b)
                .execute(&mut *conn)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The due times `effects` start (a step's or a handover's clock) or stop.
async fn deadlines(
    conn: &mut SqliteConnection,
    state: &BatchState,
    effects: &[Effect],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let b = state.id.0;
    for effect in effects {
        match effect {
            Effect::SetDeadline {
                step,
                participant,
                from,
                due_at,
            } => {
                sqlx::query(
                    "INSERT INTO deadlines (key, batch_id, step_no, participant_id, started_at, due_at, next_alert_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT(key) DO UPDATE SET started_at = excluded.started_at,
                         due_at = excluded.due_at, stopped_at = NULL, heads_up_sent = 0,
                         overdue_sent = 0, next_alert_at = excluded.started_at",
                )
                .bind(deadline_key(state, *step, *participant))
                .bind(b)
                .bind(step.0)
                .bind(participant.map(|p| p.0))
                .bind(ms(*from))
                .bind(ms(*due_at))
                .bind(ms(*from))
                .execute(&mut *conn)
                .await?;
            }
            Effect::ClearDeadline { step, participant } => {
                sqlx::query(
                    "UPDATE deadlines SET stopped_at = ? WHERE key = ? AND stopped_at IS NULL",
                )
                .bind(ms(now))
                .bind(deadline_key(state, *step, *participant))
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}
