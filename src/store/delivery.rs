//! What becomes of a queued row: claimed by the sender that sends it,
//! then sent, put back for a later attempt, or given up. Every claim is
//! numbered and every settle names the claim it holds (a fencing token): a
//! sender that stalled past its claim, while another claimed the row, cannot
//! settle it any more.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::time::ms;

/// The right to send one outbox row and record what became of it: the
/// row's id and the number of this claim, counted up by every claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub row: i64,
    pub number: i64,
}

/// A settle refused because the row was claimed again since, or settled
/// otherwise (given up when its participant was erased): this sender's
/// outcome no longer counts. The
/// transaction it was part of must be rolled back, which returning this
/// error does.
#[derive(Debug, thiserror::Error)]
#[error("outbox row {row} was claimed again or settled since claim {number}")]
pub struct Fenced {
    pub row: i64,
    pub number: i64,
}

impl Fenced {
    /// Whether `error` is a refused settle.
    #[must_use]
    pub fn is(error: &anyhow::Error) -> bool {
        error.downcast_ref::<Fenced>().is_some()
    }
}

/// Fails with [`Fenced`] unless the settle's update found its row under
/// the claim.
pub(crate) fn held(claim: Claim, rows_affected: u64) -> anyhow::Result<()> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(Fenced {
            row: claim.row,
            number: claim.number,
        }
        .into())
    }
}

impl super::Store {
    /// Claims a pending row for the sender `instance` until `until`, unless
    /// another sender holds an unexpired claim on it; only the holder of
    /// the claim sends the row and settles it. Returns the claim if granted.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn claim_message(
        conn: &mut SqliteConnection,
        id: i64,
        instance: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Claim>> {
        let number: Option<i64> = sqlx::query_scalar(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ?, claim_number = claim_number + 1
             WHERE id = ? AND status = 'pending'
               AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)
             RETURNING claim_number",
        )
        .bind(instance)
        .bind(ms(until))
        .bind(id)
        .bind(instance)
        .bind(ms(now))
        .fetch_optional(conn)
        .await?;
        Ok(number.map(|number| Claim { row: id, number }))
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

    /// Marks a row delivered, under its claim ([`Fenced`] if the claim was
    /// taken over). A registration link is forgotten once sent:
    /// only a hash of its token is kept.
    ///
    /// # Errors
    /// [`Fenced`] when the claim was taken over; when the database refuses the write.
    pub async fn mark_sent(
        conn: &mut SqliteConnection,
        claim: Claim,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        super::dialect::settle::<sqlx::Sqlite>(
            conn,
            claim,
            super::dialect::Outcome::Sent { at: ms(now) },
        )
        .await
    }

    /// Puts a row back for a later attempt, under its claim; `counts` says
    /// whether this was a failed attempt.
    ///
    /// # Errors
    /// [`Fenced`] when the claim was taken over; when the database refuses the write.
    pub async fn mark_retry(
        conn: &mut SqliteConnection,
        claim: Claim,
        at: DateTime<Utc>,
        error: &str,
        counts: bool,
    ) -> anyhow::Result<()> {
        let outcome = super::dialect::Outcome::Retry {
            at: ms(at),
            error,
            counts,
        };
        super::dialect::settle::<sqlx::Sqlite>(conn, claim, outcome).await
    }

    /// Gives a row up for good, with the reason, under its claim.
    ///
    /// # Errors
    /// [`Fenced`] when the claim was taken over; when the database refuses the write.
    pub async fn mark_failed(
        conn: &mut SqliteConnection,
        claim: Claim,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let outcome = super::dialect::Outcome::Failed { at: ms(now), error };
        super::dialect::settle::<sqlx::Sqlite>(conn, claim, outcome).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{Claim, Fenced};
    use crate::store::Store;
    use crate::store::test_support::store;

    /// A row's status and attempts.
    async fn state(conn: &mut sqlx::SqliteConnection, id: i64) -> (String, i64) {
        sqlx::query_as("SELECT status, attempts FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// A stalled sender whose claim lapsed, and whose row another sender
    /// claimed, cannot record its outcome over the other's: the settle is
    /// refused as [`Fenced`] and the row is as the newer claim left it.
    #[tokio::test]
    async fn a_sender_whose_claim_was_taken_over_cannot_settle_the_row() {
        let (_dir, store) = store().await;
        let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        let mut conn = store.write().await.unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (key, channel, template, context, next_attempt_at, created_at, chat_id)
             VALUES ('k1', 'telegram', 'step_task', '{}', 0, 0, -100) RETURNING id",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let claim = |who: &'static str, at| {
            let until = at + Duration::minutes(5);
            (who, until, at)
        };

        let (who, until, at) = claim("a", t0);
        let first = Store::claim_message(&mut conn, id, who, until, at)
            .await
            .unwrap()
            .expect("a free row is claimed");
        // While A's claim runs, B is refused.
        let (who, until, at) = claim("b", t0 + Duration::minutes(1));
        assert_eq!(
            Store::claim_message(&mut conn, id, who, until, at)
                .await
                .unwrap(),
            None
        );
        // A stalls past its claim; B takes the row over.
        let (who, until, at) = claim("b", t0 + Duration::minutes(6));
        let second = Store::claim_message(&mut conn, id, who, until, at)
            .await
            .unwrap()
            .expect("a lapsed claim is taken over");
        assert_ne!(first.number, second.number);

        // A wakes up: neither "sent" nor "given up" is recorded.
        let late = t0 + Duration::minutes(7);
        let refused = Store::mark_sent(&mut conn, first, late).await.unwrap_err();
        assert!(Fenced::is(&refused), "{refused}");
        let refused = Store::mark_failed(&mut conn, first, "timeout", late)
            .await
            .unwrap_err();
        assert!(Fenced::is(&refused), "{refused}");
        assert_eq!(state(&mut conn, id).await, ("pending".into(), 0));

        // B's outcome counts, and a settled row takes no second settle.
        Store::mark_sent(&mut conn, second, late).await.unwrap();
        let again = Store::mark_retry(&mut conn, second, late, "again", true)
            .await
            .unwrap_err();
        assert!(Fenced::is(&again));
        assert_eq!(state(&mut conn, id).await, ("sent".into(), 1));
        // A claim of a row that is no longer pending is refused.
        let (who, until, at) = claim("a", late);
        assert_eq!(
            Store::claim_message(&mut conn, id, who, until, at)
                .await
                .unwrap(),
            None::<Claim>
        );
    }
}
