//! Writing what the workflow decided: each event into the tables it
//! changes, and the due times its effects start or stop.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::ms;
use crate::domain::{ParticipantId, RoleSet};
use crate::sop::StepNo;
use crate::workflow::{BatchState, Effect, Event};

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
                Event::BatchStarted { at } => {
                    sqlx::query(
                        "UPDATE batches SET status = 'running', started_at = ? WHERE id = ?",
                    )
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
                    sqlx::query(
                        "UPDATE batches SET status = 'finished', finished_at = ? WHERE id = ?",
                    )
                    .bind(ms(*at))
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::StepActivated { step, at, due_at } => {
                    sqlx::query(
                        "UPDATE step_runs SET state = 'active', started_at = ?, due_at = ? WHERE batch_id = ? AND step_no = ?",
                    )
                    .bind(ms(*at))
                    .bind(due_at.map(ms))
                    .bind(b)
                    .bind(step.0)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::StepSkipped { step, at } | Event::StepCompleted { step, at } => {
                    let state_word = if matches!(event, Event::StepSkipped { .. }) {
                        "skipped"
                    } else {
                        "done"
                    };
                    sqlx::query(
                        "UPDATE step_runs SET state = ?, finished_at = ?, paused_at = NULL, pause_reason = NULL,
                             pause_remaining = NULL WHERE batch_id = ? AND step_no = ?",
                    )
                    .bind(state_word)
                    .bind(ms(*at))
                    .bind(b)
                    .bind(step.0)
                    .execute(&mut *conn)
                    .await?;
                }
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
                    .execute(&mut *conn)
                    .await?;
                }
                Event::StepResumed { step, due_at, .. } => {
                    sqlx::query(
                        "UPDATE step_runs SET paused_at = NULL, pause_reason = NULL, pause_remaining = NULL,
                             due_at = ? WHERE batch_id = ? AND step_no = ?",
                    )
                    .bind(ms(*due_at))
                    .bind(b)
                    .bind(step.0)
                    .execute(&mut *conn)
                    .await?;
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
                Event::MeetingSet { meeting, .. } => {
                    sqlx::query(
                        "UPDATE batches SET meeting_starts_at = ?, meeting_place = ? WHERE id = ?",
                    )
                    .bind(ms(meeting.starts_at))
                    .bind(&meeting.place)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::MeetingRescheduled {
                    meeting, sequence, ..
                } => {
                    sqlx::query(
                        "UPDATE batches SET meeting_starts_at = ?, meeting_place = ?, meeting_sequence = ?,
                             meeting_cancelled = 0, meeting_cancel_reason = NULL WHERE id = ?",
                    )
                    .bind(ms(meeting.starts_at))
                    .bind(&meeting.place)
                    .bind(i64::from(*sequence))
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query("DELETE FROM rsvps WHERE batch_id = ?")
                        .bind(b)
                        .execute(&mut *conn)
                        .await?;
                }
                Event::MeetingCancelled {
                    sequence, reason, ..
                } => {
                    sqlx::query(
                        "UPDATE batches SET meeting_sequence = ?, meeting_cancelled = 1, meeting_cancel_reason = ? WHERE id = ?",
                    )
                    .bind(i64::from(*sequence))
                    .bind(reason)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query("DELETE FROM rsvps WHERE batch_id = ?")
                        .bind(b)
                        .execute(&mut *conn)
                        .await?;
                }
                Event::RsvpRecorded {
                    member,
                    attend,
                    reason,
                    at,
                } => {
                    sqlx::query(
                        "INSERT INTO rsvps (batch_id, member_id, attend, reason, at) VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT(batch_id, member_id) DO UPDATE SET attend = excluded.attend,
                             reason = excluded.reason, at = excluded.at",
                    )
                    .bind(b)
                    .bind(member.0)
                    .bind(i64::from(*attend))
                    .bind(reason)
                    .bind(ms(*at))
                    .execute(&mut *conn)
                    .await?;
                }
                Event::ResultRecorded {
                    participant,
                    result,
                    by,
                    at,
                } => {
                    sqlx::query(
                        "UPDATE participants SET result = ?, result_by = ?, result_at = ? WHERE id = ? AND batch_id = ?",
                    )
                    .bind(result.code())
                    .bind(by.0)
                    .bind(ms(*at))
                    .bind(participant.0)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::DecreeRecorded { decree, .. } => {
                    sqlx::query(
                        "UPDATE batches SET decree_number = ?, decree_date = ? WHERE id = ?",
                    )
                    .bind(&decree.number)
                    .bind(decree.date.to_string())
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::BlankNumberRecorded {
                    participant,
                    number,
                    ..
                } => {
                    sqlx::query(
                        "UPDATE participants SET blank_number = ? WHERE id = ? AND batch_id = ?",
                    )
                    .bind(number)
                    .bind(participant.0)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::HandoverReady { participant, at } => {
                    sqlx::query("UPDATE participants SET handover_ready_at = ? WHERE id = ? AND batch_id = ?")
                        .bind(ms(*at))
                        .bind(participant.0)
                        .bind(b)
                        .execute(&mut *conn)
                        .await?;
                }
                Event::HandoverOpened {
                    participant,
                    by,
                    at,
                    due_at,
                } => {
                    sqlx::query(
                        "UPDATE participants SET handover_opened_at = ?, handover_opened_by = ?, handover_due_at = ?
                         WHERE id = ? AND batch_id = ?",
                    )
                    .bind(ms(*at))
                    .bind(by.0)
                    .bind(ms(*due_at))
                    .bind(participant.0)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
                Event::ReceiptRecorded {
                    participant,
                    by,
                    at,
                } => {
                    sqlx::query(
                        "UPDATE participants SET received_at = ?, received_by = ? WHERE id = ? AND batch_id = ?",
                    )
                    .bind(ms(*at))
                    .bind(by.0)
                    .bind(participant.0)
                    .bind(b)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
        for effect in effects {
            match effect {
                Effect::SetDeadline {
                    step,
                    participant,
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
                    .bind(ms(now))
                    .bind(ms(*due_at))
                    .bind(ms(now))
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

fn deadline_key(state: &BatchState, step: StepNo, participant: Option<ParticipantId>) -> String {
    match participant {
        Some(p) => format!("b{}:s{}:p{}", state.id, step, p),
        None => format!("b{}:s{}", state.id, step),
    }
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
