//! The lists a button shows, with a button per participant: one page of
//! the K/BK keyboard, and the participants ready to collect their
//! document. Both are sent in the private chat, or edited after a press.

use serde_json::json;

use super::buttons::{Press, RESULTS_PAGE};
use crate::app::AppError;
use crate::domain::BatchId;
use crate::notify;
use crate::notify::views::{BatchRef, HandoverList, NamedParticipant, ResultsPage, VerdictLine};
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
        let participants = state
            .participants
            .values()
            .skip(offset)
            .take(RESULTS_PAGE)
            .map(|p| VerdictLine {
                id: p.id.0,
                name: p.name.clone(),
                result: p.result.map(|r| r.code().to_string()),
            })
            .collect();
        let key = match &edit {
            Some(_) => format!("u{}:results-edit", self.update_id),
            None => format!("u{}:results", self.update_id),
        };
        let message = notify::Message::ResultsKeyboard(ResultsPage {
            batch: BatchRef { id: batch.0 },
            participants,
            offset,
            page: u32::try_from(page).unwrap_or(u32::MAX),
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
        });
        self.ctx
            .say(self.chat, Some(self.member), key, message, edit)
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
        let ready: Vec<NamedParticipant> = state
            .participants
            .values()
            .filter(|p| {
                matches!(
                    p.handover.stage(),
                    HandoverStage::Ready | HandoverStage::Open
                )
            })
            .map(|p| NamedParticipant {
                id: p.id.0,
                name: p.name.clone(),
            })
            .collect();
        let received = state.handovers_at(HandoverStage::Received);
        let key = match &edit {
            Some(_) => format!("u{}:handovers-edit", self.update_id),
            None => format!("u{}:handovers", self.update_id),
        };
        let empty = ready.is_empty();
        let message = notify::Message::HandoverList(HandoverList {
            batch: BatchRef { id: batch.0 },
            ready,
            received,
            total: state.participants.len(),
        });
        self.ctx
            .say(self.chat, Some(self.member), key, message, edit)
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
