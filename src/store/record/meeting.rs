//! The meeting: set, moved, cancelled, and the invitees' answers.

use sqlx::SqliteConnection;

use crate::store::time::ms;
use crate::workflow::Event;

/// The meeting set, moved or cancelled, and the invitees' answers.
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
        _ => {}
    }
    Ok(())
}
