//! What the delivery workers (Telegram, email) share: how one step of
//! delivery went, and how long to wait before trying a row again. The
//! workers themselves live beside their transports (`telegram::delivery`,
//! `mail::delivery`); neither makes domain decisions.

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

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
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(0) >= Duration::from_secs(4) && backoff(0) <= Duration::from_secs(6));
        assert!(backoff(3) >= Duration::from_secs(32));
        assert!(backoff(50) <= Duration::from_secs(18 * 60));
    }
}
