//! Blank numbers typed for the K participants still without one: the first
//! of a range, or one per line.

use serde_json::json;

use super::Dialogue;
use crate::app::AppError;
use crate::domain::{BatchId, Competence};
use crate::telegram::conversation::read_blank_numbers;
use crate::workflow::Command;

/// The numbers, for the K participants still waiting, in import order.
pub(super) async fn numbers(d: &Dialogue<'_>, batch: BatchId, text: &str) -> Result<(), AppError> {
    let (_, state, _) = d.ctx.app.batch(batch).await?;
    let waiting: Vec<_> = state
        .participants
        .values()
        .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
        .map(|p| p.id)
        .collect();
    let count = waiting.len();
    if count == 0 {
        // Recorded already (by a file, or an answer whose reply was lost).
        d.done().await?;
        return d.say("blanks_complete", "blanks", json!({})).await;
    }
    let Some(numbers) = read_blank_numbers(text, count) else {
        return d
            .say("bad_blank_numbers", "bad", json!({"count": count}))
            .await;
    };
    let commands = waiting
        .into_iter()
        .zip(numbers)
        .map(|(participant, number)| Command::RecordBlankNumber {
            participant,
            number,
        })
        .collect();
    let result = d.act(batch, commands).await;
    d.finish("blanks", result, "blanks_set", json!({"count": count}))
        .await?;
    d.done().await
}
