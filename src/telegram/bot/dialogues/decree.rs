//! The decree's conversation (SK penetapan hasil asesmen): its number, then its date.

use serde_json::json;

use super::Dialogue;
use crate::app::AppError;
use crate::dates::read_date;
use crate::domain::BatchId;
use crate::telegram::conversation::{Awaiting, date_problem_phrase};
use crate::workflow::{Command, Decree};

/// The decree's number, as written on it.
pub(super) async fn number(d: &Dialogue<'_>, batch: BatchId, text: &str) -> Result<(), AppError> {
    d.next(Awaiting::DecreeDate {
        batch,
        number: text.trim().into(),
    })
    .await
}

/// The decree's date (DD-MM-YYYY): the decree is recorded.
pub(super) async fn date(
    d: &Dialogue<'_>,
    batch: BatchId,
    number: String,
    text: &str,
) -> Result<(), AppError> {
    let date = match read_date(text) {
        Ok(date) => date,
        Err(problem) => return d.say(date_problem_phrase(problem), "bad", json!({})).await,
    };
    let shown = json!({"number": number, "date": date.to_string()});
    let decree = Decree { number, date };
    let result = d.act(batch, vec![Command::RecordDecree { decree }]).await;
    d.finish("decree", result, "decree_set", shown).await?;
    d.done().await
}
