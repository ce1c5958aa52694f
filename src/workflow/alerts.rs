//! When a running clock calls for an alert: a heads-up to the step's people
//! at a share of its standard time, the overdue alert at its due time, and
//! reminders at an interval after that. Pure: given the clock's facts, what
//! has been sent, the calendar and the time, it says which occasion is due
//! and when the next one will be. Occasions missed while the service was
//! down collapse into one (the latest), so nothing is sent in a burst.

use chrono::{DateTime, Utc};

use super::calendar::Calendar;

/// The alert settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertSettings {
    /// The share of the standard time at which the heads-up goes (0.8).
    pub heads_up_share: f64,
    /// Counted minutes between reminders once overdue.
    pub reminder_every: i64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            heads_up_share: 0.8,
            reminder_every: 4 * 60,
        }
    }
}

/// A running clock and what was sent for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockFace {
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub heads_up_sent: bool,
    /// Overdue alerts sent so far (the first, then reminders).
    pub overdue_sent: u32,
}

/// An occasion to alert on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The due time is near.
    HeadsUp,
    /// The step is overdue: `n` 0 is the first alert, 1 and up are reminders.
    Overdue { n: u32 },
}

/// When the heads-up is due.
pub fn heads_up_at(
    face: &ClockFace,
    calendar: &Calendar,
    settings: &AlertSettings,
) -> DateTime<Utc> {
    let total = calendar
        .minutes_between(face.started_at, face.due_at)
        .max(0);
    let share = settings.heads_up_share.clamp(0.0, 1.0);
    calendar.add_minutes(face.started_at, (total as f64 * share).ceil() as i64)
}

/// The occasion due at `now`, if any.
pub fn due_occasion(
    face: &ClockFace,
    now: DateTime<Utc>,
    calendar: &Calendar,
    settings: &AlertSettings,
) -> Option<Occasion> {
    if now >= face.due_at {
        let late = calendar.minutes_between(face.due_at, now).max(0);
        let latest = u32::try_from(late / settings.reminder_every.max(1)).unwrap_or(u32::MAX);
        return (latest + 1 > face.overdue_sent).then_some(Occasion::Overdue { n: latest });
    }
    let heads_up = heads_up_at(face, calendar, settings);
    (!face.heads_up_sent && face.overdue_sent == 0 && now >= heads_up && heads_up < face.due_at)
        .then_some(Occasion::HeadsUp)
}

/// The face after `occasion` was sent.
pub fn after(face: &ClockFace, occasion: Occasion) -> ClockFace {
    match occasion {
        Occasion::HeadsUp => ClockFace {
            heads_up_sent: true,
            ..*face
        },
        Occasion::Overdue { n } => ClockFace {
            heads_up_sent: true,
            overdue_sent: n + 1,
            ..*face
        },
    }
}

/// When the next occasion will be due.
pub fn next_alert_at(
    face: &ClockFace,
    calendar: &Calendar,
    settings: &AlertSettings,
) -> DateTime<Utc> {
    if face.overdue_sent == 0 {
        let heads_up = heads_up_at(face, calendar, settings);
        if !face.heads_up_sent && heads_up < face.due_at {
            return heads_up;
        }
        return face.due_at;
    }
    calendar.add_minutes(
        face.due_at,
        i64::from(face.overdue_sent) * settings.reminder_every.max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn wib(text: &str) -> DateTime<Utc> {
        let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Jakarta
            .from_local_datetime(&local)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn heads_up_then_overdue_then_reminders_each_once() {
        let cal = Calendar::default();
        let settings = AlertSettings::default();
        // A 3-hour step from Tuesday 09:00: heads-up at 11:24, due 12:00.
        let mut face = ClockFace {
            started_at: wib("2026-11-24 09:00"),
            due_at: wib("2026-11-24 12:00"),
            heads_up_sent: false,
            overdue_sent: 0,
        };
        assert_eq!(
            next_alert_at(&face, &cal, &settings),
            wib("2026-11-24 11:24")
        );
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 11:23"), &cal, &settings),
            None
        );
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 11:24"), &cal, &settings),
            Some(Occasion::HeadsUp)
        );
        face = after(&face, Occasion::HeadsUp);
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 11:30"), &cal, &settings),
            None
        );
        assert_eq!(
            next_alert_at(&face, &cal, &settings),
            wib("2026-11-24 12:00")
        );
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 12:00"), &cal, &settings),
            Some(Occasion::Overdue { n: 0 })
        );
        face = after(&face, Occasion::Overdue { n: 0 });
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 15:59"), &cal, &settings),
            None
        );
        // Four working hours later: 12:00 + 4 h = 16:00.
        assert_eq!(
            next_alert_at(&face, &cal, &settings),
            wib("2026-11-24 16:00")
        );
        assert_eq!(
            due_occasion(&face, wib("2026-11-24 16:00"), &cal, &settings),
            Some(Occasion::Overdue { n: 1 })
        );
    }

    #[test]
    fn missed_occasions_collapse_into_the_latest() {
        let cal = Calendar::default();
        let settings = AlertSettings::default();
        let face = ClockFace {
            started_at: wib("2026-11-24 09:00"),
            due_at: wib("2026-11-24 10:00"),
            heads_up_sent: false,
            overdue_sent: 0,
        };
        // Down from Tuesday morning until Thursday 10:00: 16 working hours late.
        let occasion = due_occasion(&face, wib("2026-11-26 10:00"), &cal, &settings);
        assert_eq!(occasion, Some(Occasion::Overdue { n: 4 }));
        let face = after(&face, occasion.unwrap());
        assert_eq!(
            due_occasion(&face, wib("2026-11-26 10:00"), &cal, &settings),
            None
        );
        // A clock that jumps back fires nothing.
        assert_eq!(
            due_occasion(
                &face,
                wib("2026-11-24 09:30") - Duration::days(1),
                &cal,
                &settings
            ),
            None
        );
    }
}
