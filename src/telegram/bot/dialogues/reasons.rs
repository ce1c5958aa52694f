//! The short texts a member types after a button: a problem report for
//! Ketua LSP, and the reason they cannot attend the meeting.

use serde_json::json;

use super::Dialogue;
use crate::app::AppError;
use crate::domain::BatchId;
use crate::sop::StepNo;
use crate::workflow::Command;

/// The problem's text: reported to Ketua LSP.
pub(super) async fn problem(
    d: &Dialogue<'_>,
    batch: BatchId,
    step: StepNo,
    text: &str,
) -> Result<(), AppError> {
    let report = Command::ReportProblem {
        step,
        text: text.into(),
    };
    let result = d.act(batch, vec![report]).await;
    d.finish("problem", result, "problem_sent", json!({}))
        .await?;
    d.done().await
}

/// Why the member cannot attend: recorded with the answer.
pub(super) async fn absence(d: &Dialogue<'_>, batch: BatchId, text: &str) -> Result<(), AppError> {
    let rsvp = Command::Rsvp {
        attend: false,
        reason: Some(text.into()),
    };
    let result = d.act(batch, vec![rsvp]).await;
    d.finish("rsvp", result, "rsvp_absent", json!({})).await?;
    d.done().await
}
