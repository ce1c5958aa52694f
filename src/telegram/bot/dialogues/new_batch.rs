//! `/batchbaru`: a new batch's scheme, the assessment's date and its place;
//! then the participant list is awaited as a file.

use chrono::NaiveDate;
use serde_json::json;

use super::{Dialogue, actor};
use crate::app::{AppError, MAX_SCHEME, TextField, Via};
use crate::dates::read_date;
use crate::telegram::conversation::{Awaiting, date_problem_phrase};

/// The certification scheme.
pub(super) async fn scheme(d: &Dialogue<'_>, text: &str) -> Result<(), AppError> {
    let scheme = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if scheme.is_empty() || scheme.starts_with('/') {
        return d.say("ask_scheme", "ask", json!({})).await;
    }
    // Refused here, not after the date and place are typed; asked again.
    match crate::app::required_text(&scheme, TextField::Scheme, MAX_SCHEME) {
        Ok(scheme) => d.next(Awaiting::NewBatchDate { scheme }).await,
        Err(e) => {
            d.ctx
                .say_error(d.chat, Some(d.member), d.update_id, e)
                .await
        }
    }
}

/// The assessment's date: not in the future.
pub(super) async fn date(d: &Dialogue<'_>, scheme: String, text: &str) -> Result<(), AppError> {
    let tz = d.ctx.app.config.calendar.tz;
    match read_date(text) {
        Ok(date) if date > d.ctx.app.now().with_timezone(&tz).date_naive() => {
            d.say("future_date", "bad", json!({})).await
        }
        Ok(date) => d.next(Awaiting::NewBatchPlace { scheme, date }).await,
        Err(problem) => d.say(date_problem_phrase(problem), "bad", json!({})).await,
    }
}

/// The place of assessment ("-" for none): the batch is created.
pub(super) async fn place(
    d: &Dialogue<'_>,
    scheme: String,
    date: NaiveDate,
    text: &str,
) -> Result<(), AppError> {
    let place = Some(text.trim()).filter(|p| !p.is_empty() && *p != "-");
    let created = d
        .ctx
        .app
        .create_batch(&scheme, date, place, &actor(d.member), Via::Telegram)
        .await;
    match created {
        Ok(batch) => d.next(Awaiting::ParticipantsFile { batch }).await,
        Err(e) => {
            d.done().await?;
            d.ctx
                .say_error(d.chat, Some(d.member), d.update_id, e)
                .await
        }
    }
}
