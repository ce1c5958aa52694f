//! Corrections to a batch's participants: their contact details, emails
//! still waiting sent to a corrected address, emails that went to a wrong
//! one sent again, and a participant removed before the batch starts.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::time::ms;
use crate::domain::ParticipantId;

impl super::Store {
    /// Writes a participant's corrected name, email and registration
    /// number; the values they replace are kept as the participant's
    /// former values, for an erasure to find their copies.
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
            "INSERT OR IGNORE INTO participant_former (participant_id, column_name, value)
             SELECT id, 'name', name FROM participants WHERE id = ?1 AND name <> ?2
             UNION ALL SELECT id, 'email', email FROM participants WHERE id = ?1 AND lower(email) <> lower(?3)
             UNION ALL SELECT id, 'registration_no', registration_no FROM participants
                 WHERE id = ?1 AND registration_no IS NOT NULL AND registration_no IS NOT ?4",
        )
        .bind(participant.0)
        .bind(name)
        .bind(email)
        .bind(registration_no)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE participants SET name = ?, email = ?, email_key = ?, registration_no = ?
             WHERE id = ?",
        )
        .bind(name)
        .bind(email)
        .bind(email.to_lowercase())
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
    /// The new row's key names the address by a digest keyed with this
    /// installation's key, never by the address itself: keys reach logs
    /// and `.eml` file names, and outlive an erasure.
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
        .bind(address_tag(&mut *conn, new).await?)
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

/// A short tag for an email address in outbox keys: 16 hex digits of the
/// SHA-256 of this installation's key and the address (lower-cased), the
/// same for the same address, telling nothing of it.
async fn address_tag(conn: &mut SqliteConnection, address: &str) -> anyhow::Result<String> {
    use sha2::Digest;
    let key: String = sqlx::query_scalar("SELECT key FROM installation WHERE id = 1")
        .fetch_one(conn)
        .await?;
    let digest = sha2::Sha256::digest(format!("{key}\n{}", address.to_lowercase()));
    Ok(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}
