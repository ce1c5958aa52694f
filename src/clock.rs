//! The clock every part asks for "now", injected so that a week-long SOP can
//! run in milliseconds (tests, `sertibot simulate`) and so that nothing reads
//! the system time behind the workflow's back.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Signalled when the clock is moved by hand (a rehearsal's or a test's
    /// clock), so a scheduler asleep until some instant looks again. The
    /// system clock is never moved: `None`.
    fn moved(&self) -> Option<Arc<Notify>> {
        None
    }
}

/// The machine's clock, for the real service.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told: for rehearsals and tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: Arc<Notify>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
            moved: Arc::new(Notify::new()),
        }
    }

    /// Moves the clock to `to` (backwards too: a clock jump is a case to test).
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
        self.moved.notify_waiters();
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now += by;
        }
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn moved(&self) -> Option<Arc<Notify>> {
        Some(self.moved.clone())
    }
}
