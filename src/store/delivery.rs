//! What becomes of a queued row: claimed by the sender that sends it,
//! then sent, put back for a later attempt, or given up.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::time::ms;

impl super::Store {
    /// Claims a pending row for the sender `instance` until `until`, unless
    /// another sender holds an unexpired claim on it; only the holder of
    /// the claim sends the row. Returns whether the claim was granted.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn claim_message(
        conn: &mut SqliteConnection,
        id: i64,
        instance: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let claimed = sqlx::query(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ?
             WHERE id = ? AND status = 'pending'
               AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)",
        )
        .bind(instance)
        .bind(ms(until))
        .bind(id)
        .bind(instance)
        .bind(ms(now))
        .execute(conn)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Drops every claim on a pending row: the running service, alone on the
    /// database, does this at start for the claims of a process that died.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn release_claims(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL
             WHERE status = 'pending' AND claimed_by IS NOT NULL",
        )
        .execute(conn)
        .await?
        .rows_affected())
    }

    /// Marks a row delivered. A registration link is forgotten once sent:
    /// only a hash of its token is kept.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn mark_sent(
        conn: &mut SqliteConnection,
        id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, claimed_by = NULL,
                 context = CASE WHEN template = 'registration_link'
                     THEN json_set(context, '$.link', '(sent; not kept)') ELSE context END
             WHERE id = ?",
        )
        .bind(ms(now))
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Puts a row back for a later attempt; `counts` says whether this was a failed attempt.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn mark_retry(
        conn: &mut SqliteConnection,
        id: i64,
        at: DateTime<Utc>,
        error: &str,
        counts: bool,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + ?, claimed_by = NULL WHERE id = ?",
        )
        .bind(ms(at))
        .bind(crate::limits::clip(error, crate::limits::MAX_STORED_ERROR))
        .bind(i64::from(counts))
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Gives a row up for good, with the reason.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn mark_failed(
        conn: &mut SqliteConnection,
        id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1, sent_at = ?, claimed_by = NULL,
                 context = CASE WHEN template = 'registration_link'
                     THEN json_set(context, '$.link', '(not sent; not kept)') ELSE context END
             WHERE id = ?",
        )
        .bind(crate::limits::clip(error, crate::limits::MAX_STORED_ERROR))
        .bind(ms(now))
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    }
}
