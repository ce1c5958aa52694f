//! What the delivery workers (Telegram, email) share: how one step of
//! delivery went ([`Progress`]), when a row is tried again and when it is
//! given up ([`RetryPolicy`]), and the [`Waker`] that tells every worker
//! and the scheduler that rows were written. The workers themselves live
//! beside their transports (`telegram::delivery`, `mail::delivery`);
//! neither makes domain decisions. Each has the same shape: `process_next`
//! does one unit of work and says what happened, `run` loops over it.

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

/// An outbox row and the claim its sender holds on it: what every outcome
/// of a send is recorded under (a claim taken over since refuses it).
#[derive(Debug)]
pub struct Claimed<'a> {
    pub row: &'a crate::store::OutboxRow,
    pub claim: crate::store::Claim,
}

impl std::ops::Deref for Claimed<'_> {
    type Target = crate::store::OutboxRow;
    fn deref(&self) -> &Self::Target {
        self.row
    }
}

/// What one delivery step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The row was delivered (sent or edited).
    Sent(String),
    /// The row will be tried again later, or waits for its recipient.
    Deferred(String),
    /// The row was given up (and reported), or went another way instead.
    Failed(String),
    /// Nothing is due; the next row (or rate limit) is due then, if any.
    Idle(Option<Instant>),
}

/// The shortest time between two looks at the database that recorded
/// changes cause. Every change wakes the workers and the scheduler; at
/// hundreds of changes a second, looking after each would cost more than
/// the changes themselves, and nothing they do needs to be sooner.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// After a wake by a change: waits until [`SETTLE`] has passed since
/// `last_look`, or until shutdown.
pub async fn settle(last_look: Instant, shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let until = last_look + SETTLE;
    if until > Instant::now() {
        tokio::select! {
            () = tokio::time::sleep_until(until) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Tells the workers and the scheduler, asleep until their next due time,
/// that rows were written (messages queued, due times set), so they look
/// again at once. Every writer holds one: the application for its use
/// cases, each worker for the rows it writes for the other (an email in
/// place of a Telegram message, a report of a failed email).
#[derive(Debug, Clone)]
pub struct Waker(std::sync::Arc<tokio::sync::watch::Sender<u64>>);

impl Default for Waker {
    fn default() -> Self {
        Waker(std::sync::Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl Waker {
    /// Wakes everyone watching.
    pub fn wake(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every [`Waker::wake`].
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// When a row that failed is tried again, and when it is given up: the
/// same rule for both channels, with each channel's patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed attempts before a row is given up and reported.
    pub max_attempts: i64,
}

impl RetryPolicy {
    /// Telegram: twelve attempts (about an hour and a half of backoff);
    /// a 429's retry_after does not count as an attempt.
    pub const TELEGRAM: RetryPolicy = RetryPolicy { max_attempts: 12 };
    /// Email: with the backoff's 15 minute ceiling, about eight hours of a
    /// server being away.
    pub const EMAIL: RetryPolicy = RetryPolicy { max_attempts: 40 };

    /// After a failed attempt of a row that had failed `attempts` times
    /// before: when to try it again, or `None` to give it up.
    pub fn next_attempt(
        self,
        attempts: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        (attempts + 1 < self.max_attempts)
            .then(|| now + chrono::Duration::from_std(backoff(attempts)).unwrap_or_default())
    }
}

/// Exponential backoff from 5 s to 15 min, with ±20 % jitter.
pub fn backoff(attempts: i64) -> Duration {
    let base = 5.0 * 2f64.powi(attempts.clamp(0, 20) as i32);
    let capped = base.min(15.0 * 60.0);
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_secs_f64(capped * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_given_up_after_its_channels_attempts() {
        let now = chrono::Utc::now();
        let policy = RetryPolicy { max_attempts: 3 };
        assert!(policy.next_attempt(0, now).is_some_and(|at| at > now));
        assert!(policy.next_attempt(1, now).is_some());
        assert_eq!(policy.next_attempt(2, now), None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(0) >= Duration::from_secs(4) && backoff(0) <= Duration::from_secs(6));
        assert!(backoff(3) >= Duration::from_secs(32));
        assert!(backoff(50) <= Duration::from_secs(18 * 60));
    }
}
