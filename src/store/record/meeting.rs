//! The meeting: set, moved, cancelled, the invitees' answers and who attended.

use sqlx::SqliteConnection;

use crate::store::time::ms;
use crate::workflow::Event;

/// The meeting set, moved or cancelled, the invitees' answers and who
/// attended (answers and attendance start afresh when the meeting moves).
pub(super) async fn meeting_event(
    conn: &mut SqliteConnection,
    b: i64,
    event: &Event,
) -> anyhow::Result<()> {
    match event {
        Event::MeetingSet { meeting, .. } => {
            sqlx::query("UPDATE batches SET meeting_starts_at = ?, meeting_place = ? WHERE id = ?")
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
            forget_answers(conn, b).await?;
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
            forget_answers(conn, b).await?;
        }
        Event::RsvpRecorded { .. } | Event::AttendanceMarked { .. } => {
            answer(conn, b, event).await?;
        }
        _ => {}
    }
    Ok(())
}

/// An invitee's answer to the invitation, or their attendance marked:
/// the latest of each kept per invitee.
async fn answer(conn: &mut SqliteConnection, b: i64, event: &Event) -> anyhow::Result<()> {
    match event {
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
            .execute(conn)
            .await?;
        }
        Event::AttendanceMarked {
            member,
            present,
            by,
            at,
        } => {
            sqlx::query(
                "INSERT INTO attendance (batch_id, member_id, present, marked_by, at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(batch_id, member_id) DO UPDATE SET present = excluded.present,
                     marked_by = excluded.marked_by, at = excluded.at",
            )
            .bind(b)
            .bind(member.0)
            .bind(i64::from(*present))
            .bind(by.0)
            .bind(ms(*at))
            .execute(conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The meeting moved or was cancelled: its answers and attendance go.
async fn forget_answers(conn: &mut SqliteConnection, b: i64) -> anyhow::Result<()> {
    for sql in [
        "DELETE FROM rsvps WHERE batch_id = ?",
        "DELETE FROM attendance WHERE batch_id = ?",
    ] {
        sqlx::query(sql).bind(b).execute(&mut *conn).await?;
    }
    Ok(())
}
