//! Telegram's rate limits, kept per chat: one message a second to a
//! person, twenty a minute to a group, thirty a second in all, and the
//! waits Telegram asks for (retry_after).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Telegram counts a message when it arrives, the limiter when it leaves;
/// windows are this much longer than Telegram's so that a message that
/// travels faster than the one 30 sends (or one send) before it still
/// arrives within the limit.
pub(super) const IN_TRANSIT: Duration = Duration::from_millis(25);

/// Telegram's rate limits, kept per chat.
#[derive(Debug, Default)]
pub(super) struct Limiter {
    /// The last send per private chat (at most one a second).
    pub(super) last: HashMap<i64, Instant>,
    /// Recent sends per group chat (at most 20 a minute).
    pub(super) groups: HashMap<i64, VecDeque<Instant>>,
    /// Recent sends overall (at most 30 a second).
    pub(super) all: VecDeque<Instant>,
    /// Chats Telegram asked us to leave alone (retry_after).
    pub(super) blocked: HashMap<i64, Instant>,
}

impl Limiter {
    /// When a message to `chat` may go out.
    pub(super) fn ready_at(&mut self, chat: i64, now: Instant) -> Instant {
        let minute = Duration::from_secs(60) + IN_TRANSIT;
        let second = Duration::from_secs(1) + IN_TRANSIT;
        while self
            .all
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            self.all.pop_front();
        }
        let mut at = now;
        if self.all.len() >= 30 {
            at = at.max(self.all[self.all.len() - 30] + second);
        }
        if chat < 0 {
            let window = self.groups.entry(chat).or_default();
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= minute)
            {
                window.pop_front();
            }
            if window.len() >= 20 {
                at = at.max(window[window.len() - 20] + minute);
            }
        } else if let Some(last) = self.last.get(&chat) {
            at = at.max(*last + second);
        }
        if let Some(until) = self.blocked.get(&chat) {
            at = at.max(*until);
        }
        at
    }

    pub(super) fn record(&mut self, chat: i64, now: Instant) {
        // Kept in order: a long message's later parts are told afterwards.
        let at = self.all.partition_point(|t| *t <= now);
        self.all.insert(at, now);
        if chat < 0 {
            self.groups.entry(chat).or_default().push_back(now);
        } else {
            let last = self.last.entry(chat).or_insert(now);
            *last = (*last).max(now);
        }
    }

    pub(super) fn block(&mut self, chat: i64, until: Instant) {
        self.blocked.insert(chat, until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn a_private_chat_gets_one_message_a_second_and_everyone_thirty() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        assert_eq!(limiter.ready_at(5, start), start);
        limiter.record(5, start);
        assert_eq!(
            limiter.ready_at(5, start),
            start + Duration::from_secs(1) + IN_TRANSIT
        );
        for chat in 100..129 {
            limiter.record(chat, start);
        }
        // 30 messages in this second: a new chat waits for the window.
        assert_eq!(
            limiter.ready_at(1000, start),
            start + Duration::from_secs(1) + IN_TRANSIT
        );
    }

    #[test]
    pub(super) fn a_group_gets_twenty_messages_a_minute() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for i in 0..20 {
            let at = start + Duration::from_secs(i * 2);
            assert!(limiter.ready_at(-42, at) <= at);
            limiter.record(-42, at);
        }
        let now = start + Duration::from_secs(40);
        assert_eq!(
            limiter.ready_at(-42, now),
            start + Duration::from_secs(60) + IN_TRANSIT
        );
    }
}
