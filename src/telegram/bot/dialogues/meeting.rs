//! The meeting's conversation: its date, its start time, its place (set
//! first, or moved later), and the reason when it is cancelled.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::Dialogue;
use crate::app::AppError;
use crate::dates::read_date;
use crate::domain::BatchId;
use crate::telegram::conversation::{Awaiting, date_problem_phrase, local_instant, read_time};
use crate::workflow::{Command, Meeting};

/// The meeting's date (DD-MM-YYYY).
pub(super) async fn date(
    d: &Dialogue<'_>,
    batch: BatchId,
    moving: bool,
    text: &str,
) -> Result<(), AppError> {
    match read_date(text) {
        Ok(date) => {
            d.next(Awaiting::MeetingTime {
                batch,
                date,
                moving,
            })
            .await
        }
        Err(problem) => d.say(date_problem_phrase(problem), "bad", json!({})).await,
    }
}

/// The meeting's start time, in the LSP's time zone.
pub(super) async fn time(
    d: &Dialogue<'_>,
    batch: BatchId,
    date: NaiveDate,
    moving: bool,
    text: &str,
) -> Result<(), AppError> {
    let tz = d.ctx.app.config.calendar.tz;
    match read_time(text).and_then(|t| local_instant(date, t, tz)) {
        Some(starts_at) => {
            d.next(Awaiting::MeetingPlace {
                batch,
                starts_at,
                moving,
            })
            .await
        }
        None => d.say("bad_time", "bad", json!({})).await,
    }
}

/// The meeting's place: the meeting is set (or moved); refused, the
/// conversation starts over at the date.
pub(super) async fn place(
    d: &Dialogue<'_>,
    batch: BatchId,
    starts_at: DateTime<Utc>,
    moving: bool,
    text: &str,
) -> Result<(), AppError> {
    let tz = d.ctx.app.config.calendar.tz;
    let meeting = Meeting {
        starts_at,
        place: text.into(),
    };
    let command = if moving {
        Command::RescheduleMeeting { meeting }
    } else {
        Command::SetMeeting { meeting }
    };
    let result = d.act(batch, vec![command]).await;
    let shown = json!({
        "starts_at": crate::templates::Templates::instant_text(starts_at, tz, d.ctx.lang),
        "place": text.trim(),
    });
    let refused = result.is_err();
    let phrase = if moving {
        "meeting_moved"
    } else {
        "meeting_set"
    };
    d.finish("meeting", result, phrase, shown).await?;
    if refused {
        d.next(Awaiting::MeetingDate { batch, moving }).await
    } else {
        d.done().await
    }
}

/// Why the meeting is cancelled: the invitees are told.
pub(super) async fn cancel_reason(
    d: &Dialogue<'_>,
    batch: BatchId,
    text: &str,
) -> Result<(), AppError> {
    let cancel = Command::CancelMeeting {
        reason: text.into(),
    };
    let result = d.act(batch, vec![cancel]).await;
    d.finish("cancel", result, "meeting_cancelled_ok", json!({}))
        .await?;
    d.done().await
}
