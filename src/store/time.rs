//! Instants are stored as UTC epoch milliseconds.

use chrono::{DateTime, TimeZone, Utc};

/// An instant as stored.
pub fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A stored instant read back. Values outside chrono's range (never written
/// by sertibot) read as the epoch rather than failing a whole load.
pub fn from_ms(value: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(value)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
