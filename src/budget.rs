//! How often a refused attempt of one kind (one stranger's, one kind of
//! bad webhook request) is answered, audited and logged: the first
//! `burst` in each `window`, each saying how many were passed over before
//! it; later ones in the window are only counted. A flood then costs
//! neither audit rows nor messages nor log lines.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// The attempts of each key in its current window, for at most
/// `max_keys` keys (windows that ended are dropped first, then all).
#[derive(Debug)]
pub struct RefusalBudget<K> {
    window: Duration,
    burst: u32,
    max_keys: usize,
    seen: HashMap<K, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    since: Instant,
    admitted: u32,
    /// Attempts passed over since the last admitted one.
    passed_over: u64,
}

impl<K: Eq + Hash> RefusalBudget<K> {
    pub fn new(window: Duration, burst: u32, max_keys: usize) -> Self {
        RefusalBudget {
            window,
            burst,
            max_keys,
            seen: HashMap::new(),
        }
    }

    /// Counts an attempt of `key` at `now`: `Some(passed over before it)`
    /// when it is within the budget (answer and audit it), `None` when
    /// it is only counted.
    pub fn admit(&mut self, key: K, now: Instant) -> Option<u64> {
        if self.seen.len() >= self.max_keys {
            let window = self.window;
            self.seen
                .retain(|_, w| now.duration_since(w.since) < window);
            if self.seen.len() >= self.max_keys {
                self.seen.clear();
            }
        }
        let w = self.seen.entry(key).or_insert(Window {
            since: now,
            admitted: 0,
            passed_over: 0,
        });
        if now.duration_since(w.since) >= self.window {
            w.since = now;
            w.admitted = 0;
        } else if w.admitted >= self.burst {
            w.passed_over += 1;
            return None;
        }
        w.admitted += 1;
        Some(std::mem::take(&mut w.passed_over))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_a_window_are_admitted_and_the_next_window_says_how_many_were_passed_over() {
        let mut budget = RefusalBudget::new(Duration::from_secs(600), 5, 100);
        let start = Instant::now();
        let admitted: Vec<Option<u64>> = (0..8).map(|_| budget.admit("a", start)).collect();
        assert_eq!(admitted[..5], [Some(0); 5]);
        assert_eq!(admitted[5..], [None; 3]);
        // Another key has its own budget.
        assert_eq!(budget.admit("b", start), Some(0));
        // The next window's first attempt counts the three passed over.
        let later = start + Duration::from_secs(600);
        assert_eq!(budget.admit("a", later), Some(3));
        assert_eq!(budget.admit("a", later), Some(0));
    }

    #[test]
    fn at_most_max_keys_windows_are_kept() {
        let mut budget = RefusalBudget::new(Duration::from_secs(600), 1, 10);
        let now = Instant::now();
        for key in 0..1_000 {
            assert_eq!(budget.admit(key, now), Some(0));
        }
        assert!(budget.seen.len() <= 10);
    }
}
