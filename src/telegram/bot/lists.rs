//! The lists a button shows, with a button per participant: one page of
//! the K/BK keyboard, and the participants ready to collect their
//! document. Both are sent in the private chat, or edited after a press.

use serde_json::{Value, json};

use super::buttons::{Press, RESULTS_PAGE};
use crate::app::AppError;
use crate::domain::{BatchId, Competence};
use crate::workflow::HandoverStage;

impl Press<'_> {
    /// Sends (or, after a press, edits) one page of the K/BK keyboard
    /// ([`RESULTS_PAGE`] participants, within Telegram's 100 buttons);
    /// returns the page shown and how many there are.
    pub(super) async fn show_results(
        &self,
        batch: BatchId,
        edit: Option<String>,
        page: u32,
    ) -> Result<(usize, usize), AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let pages = state.participants.len().div_ceil(RESULTS_PAGE).max(1);
        let page = (page as usize).clamp(1, pages);
        let offset = (page - 1) * RESULTS_PAGE;
        let participants: Vec<Value> = state
            .participants
            .values()
            .skip(offset)
            .take(RESULTS_PAGE)
            .map(
                |p| json!({"id": p.id.0, "name": p.name, "result": p.result.map(Competence::code)}),
            )
            .collect();
        let key = match &edit {
            Some(_) => format!("u{}:results-edit", self.update_id),
            None => format!("u{}:results", self.update_id),
        };
        self.ctx
            .say(
                self.chat,
                Some(self.member),
                key,
                "results_keyboard",
                json!({
                    "batch": {"id": batch.0}, "participants": participants,
                    "offset": offset, "page": page, "pages": pages,
                }),
                edit,
            )
            .await?;
        Ok((page, pages))
    }

    /// Sends (or edits) the list of participants ready to collect, with a button each.
    pub(super) async fn show_handovers(
        &self,
        batch: BatchId,
        edit: Option<String>,
    ) -> Result<String, AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let ready: Vec<Value> = state
            .participants
            .values()
            .filter(|p| {
                matches!(
                    p.handover.stage(),
                    HandoverStage::Ready | HandoverStage::Open
                )
            })
            .map(|p| json!({"id": p.id.0, "name": p.name}))
            .collect();
        let received = state
            .participants
            .values()
            .filter(|p| p.handover.stage() == HandoverStage::Received)
            .count();
        let key = match &edit {
            Some(_) => format!("u{}:handovers-edit", self.update_id),
            None => format!("u{}:handovers", self.update_id),
        };
        let empty = ready.is_empty();
        self.ctx
            .say(
                self.chat,
                Some(self.member),
                key,
                "handover_list",
                json!({"batch": {"id": batch.0}, "ready": ready, "received": received, "total": state.participants.len()}),
                edit,
            )
            .await?;
        Ok(self.phrase(
            if empty {
                "nobody_ready"
            } else {
                "handovers_title"
            },
            json!({"batch": batch.0}),
        ))
    }
}
