//! Corrections to a batch's participants: their contact details, emails
//! still waiting sent to a corrected address, emails that went to a wrong
//! one sent again, and a participant removed before the batch starts.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::time::ms;
use crate::domain::ParticipantId;

impl super::Store {
    /// Writes a participant's corrected name, email and registration number.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn update_participant(
        conn: &mut SqliteConnection,
        participant: ParticipantId,
        name: &str,
        email: &str,
        registration_no: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE participants SET name = ?, email = ?, registration_no = ? WHERE id = ?",
        )
        .bind(name)
        .bind(email)
        .bind(registration_no)
        .bind(participant.0)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Emails to `participant` not yet delivered go to `address` instead,
    /// addressed by `name`; returns how many.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn redirect_pending_emails(
        conn: &mut SqliteConnection,
        participant: ParticipantId,
        address: &str,
        name: &str,
    ) -> anyhow::Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET address = ?, attempts = 0,
                 context = CASE WHEN json_type(context, '$.participant.name') IS NOT NULL
                     THEN json_set(context, '$.participant.name', ?) ELSE context END
             WHERE participant_id = ? AND channel = 'email' AND status = 'pending'",
        )
        .bind(address)
        .bind(name)
        .bind(participant.0)
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    }

    /// Each email already sent (or given up) to `participant` at `old` is
    /// queued again, once, to `new`, addressed by `name`; returns how many.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn resend_emails(
        conn: &mut SqliteConnection,
        participant: ParticipantId,
        old: &str,
        new: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO outbox (key, channel, batch_id, participant_id, address, template,
                 context, status, attempts, next_attempt_at, created_at)
             SELECT key || ':to:' || ?, channel, batch_id, participant_id, ?, template,
                 CASE WHEN json_type(context, '$.participant.name') IS NOT NULL
                     THEN json_set(context, '$.participant.name', ?) ELSE context END,
                 'pending', 0, ?, ?
             FROM outbox
             WHERE participant_id = ? AND channel = 'email' AND status IN ('sent', 'failed')
               AND lower(address) = lower(?)",
        )
        .bind(new.to_lowercase())
        .bind(new)
        .bind(name)
        .bind(ms(now))
        .bind(ms(now))
        .bind(participant.0)
        .bind(old)
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    }

    /// Removes a participant of a batch that has not started.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn delete_participant(
        conn: &mut SqliteConnection,
        participant: ParticipantId,
    ) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM participants WHERE id = ?")
            .bind(participant.0)
            .execute(conn)
            .await?;
        Ok(())
    }
}
