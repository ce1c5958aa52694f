//! The outbox on PostgreSQL, shared by several instances. A sender claims
//! due rows with `FOR UPDATE SKIP LOCKED`: rows another instance is
//! claiming at that moment are passed over, not waited for, and each row is
//! held by one sender at a time, for a limited time. Every claim counts the
//! row's claim number up and every settle names it (the fencing number):
//! an instance that stalled past its claim while another took the row over
//! cannot record its outcome ([`Fenced`]). A Telegram recipient's rows go
//! one at a time and in order, fleet-wide: only the head of each
//! recipient's queue (`telegram_queues`, kept by trigger) can be claimed,
//! so while one instance holds a chat's head, no instance sends that
//! chat's next message.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres};

use crate::notify::Outgoing;
use crate::store::Claim;
use crate::store::dialect;
use crate::store::time::ms;

#[cfg(doc)]
use crate::store::Fenced;

/// Queues messages; an occasion already queued (its key) is left as it
/// is. A message that edits an earlier one replaces the edits of it still
/// waiting. Returns how many rows were new.
///
/// # Errors
/// When PostgreSQL refuses a write.
pub async fn enqueue(
    conn: &mut PgConnection,
    messages: &[Outgoing],
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    dialect::enqueue::<Postgres>(conn, messages, ms(now)).await
}

/// Claims for `instance`, until `until`, up to `limit` rows of `channel`
/// due at `now` that nobody holds (or whose claim lapsed), oldest due
/// first; for Telegram only each recipient's oldest pending row. Rows
/// being claimed by another instance at this moment are skipped.
///
/// # Errors
/// When PostgreSQL refuses the write.
pub async fn claim_due(
    conn: &mut PgConnection,
    channel: &str,
    instance: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<Claim>> {
    let claimed: Vec<(i64, i64)> = sqlx::query_as(
        "WITH due AS (
             SELECT id FROM outbox
              WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= $2
                AND (claimed_by IS NULL OR claimed_until < $2)
                AND ($1 <> 'telegram' OR id IN (SELECT head_id FROM telegram_queues))
              ORDER BY next_attempt_at, id
              LIMIT $3
              FOR UPDATE SKIP LOCKED)
         UPDATE outbox o SET claimed_by = $4, claimed_until = $5, claim_number = o.claim_number + 1
           FROM due WHERE o.id = due.id
         RETURNING o.id, o.claim_number",
    )
    .bind(channel)
    .bind(ms(now))
    .bind(limit)
    .bind(instance)
    .bind(ms(until))
    .fetch_all(&mut *conn)
    .await?;
    let mut claims: Vec<Claim> = claimed
        .into_iter()
        .map(|(row, number)| Claim { row, number })
        .collect();
    claims.sort_by_key(|c| c.row);
    Ok(claims)
}

/// Marks a row delivered, under its claim ([`Fenced`] if it was taken
/// over). A registration link is forgotten once sent.
///
/// # Errors
/// [`Fenced`] when the claim was taken over; when PostgreSQL refuses.
pub async fn mark_sent(
    conn: &mut PgConnection,
    claim: Claim,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    dialect::settle::<Postgres>(conn, claim, dialect::Outcome::Sent { at: ms(now) }).await
}

/// Puts a row back for a later attempt at `at`, under its claim; `counts`
/// says whether this was a failed attempt.
///
/// # Errors
/// [`Fenced`] when the claim was taken over; when PostgreSQL refuses.
pub async fn mark_retry(
    conn: &mut PgConnection,
    claim: Claim,
    at: DateTime<Utc>,
    error: &str,
    counts: bool,
) -> anyhow::Result<()> {
    let outcome = dialect::Outcome::Retry {
        at: ms(at),
        error,
        counts,
    };
    dialect::settle::<Postgres>(conn, claim, outcome).await
}

/// Gives a row up for good, with the reason, under its claim.
///
/// # Errors
/// [`Fenced`] when the claim was taken over; when PostgreSQL refuses.
pub async fn mark_failed(
    conn: &mut PgConnection,
    claim: Claim,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let outcome = dialect::Outcome::Failed { at: ms(now), error };
    dialect::settle::<Postgres>(conn, claim, outcome).await
}
