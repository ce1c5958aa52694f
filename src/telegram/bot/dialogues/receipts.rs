//! A handover that did not happen across the desk: the courier's tracking
//! number, or the name of the representative who collected the document
//! with a power of attorney. The answer records the receipt.

use serde_json::json;

use super::Dialogue;
use crate::app::AppError;
use crate::domain::{BatchId, ParticipantId};
use crate::workflow::{Command, ReceiptVia, Refusal};

/// The tracking number (courier) or the representative's name: the
/// receipt is recorded with it.
pub(super) async fn detail(
    d: &Dialogue<'_>,
    batch: BatchId,
    participant: ParticipantId,
    via: ReceiptVia,
) -> Result<(), AppError> {
    let context = json!({
        "via": via.as_str(),
        "detail": via.detail().map(str::trim),
        "name": d.ctx.app.participant_name(batch, participant).await?,
    });
    let receipt = Command::RecordReceipt { participant, via };
    let result = d.act(batch, vec![receipt]).await;
    // An empty or overlong answer is asked again; anything else ends here.
    let ask_again = matches!(
        &result,
        Err(AppError::Refused(
            Refusal::EmptyField { .. } | Refusal::TooLong { .. }
        ))
    );
    d.finish("receipt", result, "receipt_set", context).await?;
    if ask_again {
        return Ok(());
    }
    d.done().await
}
