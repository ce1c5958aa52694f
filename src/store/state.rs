//! Loading a batch's whole state for the workflow: the batch, its
//! participants, its steps' runs and marks, and the meeting's answers.

use anyhow::Context;
use sqlx::{Row, SqliteConnection};

use super::batches::{parsed_procedure, read_status};
use super::time::from_ms;
use crate::domain::{BatchId, Competence, MemberId, ParticipantId, RoleSet};
use crate::sop::StepNo;
use crate::workflow::{BatchState, Decree, DoneMark, Meeting, Rsvp, StepState};

impl super::Store {
    /// Every running batch (not draft, finished or cancelled): its identity
    /// and its state, newest first (as the batch list shows them).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn running_batches(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<Vec<(crate::domain::BatchInfo, BatchState)>> {
        let mut running = Vec::new();
        for summary in Self::batches(conn).await? {
            if summary.status != crate::workflow::BatchStatus::Running {
                continue;
            }
            if let Some(state) = Self::load_state(conn, summary.info.id).await? {
                running.push((summary.info, state));
            }
        }
        Ok(running)
    }

    /// Loads everything the workflow knows about a batch, with the procedure
    /// version the batch is tied to.
    ///
    /// # Errors
    /// When the database cannot be read or holds something sertibot never writes.
    pub async fn load_state(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Option<BatchState>> {
        let Some(row) = sqlx::query(
            "SELECT CASE WHEN b.cancelled_at IS NULL THEN b.status ELSE 'cancelled' END AS status,
                    b.meeting_starts_at, b.meeting_place, b.decree_number, b.decree_date,
                    b.meeting_sequence, b.meeting_cancelled, b.assessed_on, p.source, p.fingerprint
             FROM batches b JOIN procedures p ON p.id = b.procedure_id WHERE b.id = ?",
        )
        .bind(batch.0)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let procedure = parsed_procedure(row.get("source"), row.get("fingerprint"))?;
        let rows = sqlx::query(
            "SELECT id, name, result, blank_number, units_bk, handover_ready_at, handover_opened_at, handover_opened_by,
                    handover_due_at, received_at, received_by, receipt_via, receipt_detail
             FROM participants WHERE batch_id = ? ORDER BY row_no",
        )
        .bind(batch.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut state = BatchState::new(
            batch,
            procedure,
            rows.iter()
                .map(|r| (ParticipantId(r.get("id")), r.get::<String, _>("name"))),
        );
        state.status = read_status(row.get("status"))?;
        state.assessed_on = row.get::<String, _>("assessed_on").parse().ok();
        state.meeting_changes = crate::workflow::MeetingChanges {
            sequence: u32::try_from(row.get::<i64, _>("meeting_sequence")).unwrap_or_default(),
            cancelled: row.get::<i64, _>("meeting_cancelled") != 0,
        };
        read_participants(&mut state, &rows);
        read_meeting_and_decree(&mut state, &row)?;
        read_runs(conn, &mut state).await?;
        read_marks(conn, &mut state).await?;
        read_rsvps(conn, &mut state).await?;
        read_attendance(conn, &mut state).await?;
        Ok(Some(state))
    }
}

/// A time column that may be empty.
fn opt_ms(r: &sqlx::sqlite::SqliteRow, column: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    r.get::<Option<i64>, _>(column).map(from_ms)
}

/// Each participant's result, blank number and handover.
fn read_participants(state: &mut BatchState, rows: &[sqlx::sqlite::SqliteRow]) {
    for r in rows {
        let Some(p) = state.participants.get_mut(&ParticipantId(r.get("id"))) else {
            continue;
        };
        p.result = match r.get::<Option<String>, _>("result").as_deref() {
            Some("K") => Some(Competence::Kompeten),
            Some("BK") => Some(Competence::BelumKompeten),
            _ => None,
        };
        p.blank_number = r.get("blank_number");
        p.units_bk = r
            .get::<Option<String>, _>("units_bk")
            .map(|u| u.split(';').map(str::to_string).collect())
            .unwrap_or_default();
        p.handover.ready_at = opt_ms(r, "handover_ready_at");
        p.handover.opened_at = opt_ms(r, "handover_opened_at");
        p.handover.opened_by = r.get::<Option<i64>, _>("handover_opened_by").map(MemberId);
        p.handover.due_at = opt_ms(r, "handover_due_at");
        p.handover.received_at = opt_ms(r, "received_at");
        p.handover.received_by = r.get::<Option<i64>, _>("received_by").map(MemberId);
        p.handover.via = r
            .get::<Option<String>, _>("receipt_via")
            .and_then(|via| crate::workflow::ReceiptVia::from_db(&via, r.get("receipt_detail")));
    }
}

/// The meeting (when set) and the decree (when recorded).
fn read_meeting_and_decree(
    state: &mut BatchState,
    row: &sqlx::sqlite::SqliteRow,
) -> anyhow::Result<()> {
    if let (Some(starts_at), Some(place)) = (
        row.get::<Option<i64>, _>("meeting_starts_at"),
        row.get::<Option<String>, _>("meeting_place"),
    ) {
        state.meeting = Some(Meeting {
            starts_at: from_ms(starts_at),
            place,
        });
    }
    if let (Some(number), Some(date)) = (
        row.get::<Option<String>, _>("decree_number"),
        row.get::<Option<String>, _>("decree_date"),
    ) {
        state.decree = Some(Decree {
            number,
            date: date.parse().context("a stored decree date is not a date")?,
        });
    }
    Ok(())
}

/// Each step's state, times and pause.
async fn read_runs(conn: &mut SqliteConnection, state: &mut BatchState) -> anyhow::Result<()> {
    let batch = state.id;
    for r in sqlx::query(
        "SELECT step_no, state, started_at, due_at, finished_at, paused_at, pause_reason, pause_remaining, round
         FROM step_runs WHERE batch_id = ?",
    )
    .bind(batch.0)
    .fetch_all(&mut *conn)
    .await?
    {
        let no = StepNo(r.get::<i64, _>("step_no") as u32);
        let Some(run) = state.steps.get_mut(&no) else {
            continue;
        };
        let text: String = r.get("state");
        run.state = StepState::from_db(&text)
            .with_context(|| format!("unknown step state '{text}' in the database"))?;
        run.started_at = opt_ms(&r, "started_at");
        run.due_at = opt_ms(&r, "due_at");
        run.round = u32::try_from(r.get::<i64, _>("round")).unwrap_or_default();
                    run.finished_at = opt_ms(&r, "finished_at");
        run.pause = match (opt_ms(&r, "paused_at"), r.get::<Option<String>, _>("pause_reason")) {
            (Some(at), Some(reason)) => Some(crate::workflow::Pause {
                at,
                reason,
                remaining_minutes: r.get::<Option<i64>, _>("pause_remaining").unwrap_or_default(),
            }),
            _ => None,
        };
    }
    Ok(())
}

/// Who acknowledged each step and who marked it done.
async fn read_marks(conn: &mut SqliteConnection, state: &mut BatchState) -> anyhow::Result<()> {
    let batch = state.id;
    for r in
        sqlx::query("SELECT step_no, member_id, kind, roles, at FROM step_marks WHERE batch_id = ?")
            .bind(batch.0)
            .fetch_all(&mut *conn)
            .await?
    {
        let no = StepNo(r.get::<i64, _>("step_no") as u32);
        let Some(run) = state.steps.get_mut(&no) else {
            continue;
        };
        let member = MemberId(r.get("member_id"));
        let at = from_ms(r.get("at"));
        if r.get::<String, _>("kind") == "ack" {
            run.acks.insert(member, at);
        } else {
            let roles: RoleSet = r
                .get::<String, _>("roles")
                .split(',')
                .filter_map(|s| s.parse().ok())
                .collect();
            run.dones.insert(member, DoneMark { roles, at });
        }
    }
    Ok(())
}

/// The invitees' answers to the meeting's invitation.
async fn read_rsvps(conn: &mut SqliteConnection, state: &mut BatchState) -> anyhow::Result<()> {
    let batch = state.id;
    for r in sqlx::query("SELECT member_id, attend, reason, at FROM rsvps WHERE batch_id = ?")
        .bind(batch.0)
        .fetch_all(&mut *conn)
        .await?
    {
        state.rsvps.insert(
            MemberId(r.get("member_id")),
            Rsvp {
                attend: r.get::<i64, _>("attend") != 0,
                reason: r.get("reason"),
                at: from_ms(r.get("at")),
            },
        );
    }
    Ok(())
}

/// Who was marked present at (or absent from) the plenary.
async fn read_attendance(
    conn: &mut SqliteConnection,
    state: &mut BatchState,
) -> anyhow::Result<()> {
    for r in sqlx::query("SELECT member_id, present FROM attendance WHERE batch_id = ?")
        .bind(state.id.0)
        .fetch_all(&mut *conn)
        .await?
    {
        state.attendance.insert(
            MemberId(r.get("member_id")),
            r.get::<i64, _>("present") != 0,
        );
    }
    Ok(())
}
