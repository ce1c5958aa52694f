//! The lists a button shows, with a button per participant: one page of
//! the K/BK keyboard, and the participants ready to collect their
//! document. Both are sent in the private chat, or edited after a press
//! (the attendance checklist is in `attendance`).

use serde_json::json;

use super::buttons::Press;
use crate::app::AppError;
use crate::domain::BatchId;
use crate::notify;

impl Press<'_> {
    /// The outbox key of a list sent for this press, or of its edit.
    pub(super) fn list_key(&self, list: &str, edit: bool) -> String {
        let suffix = if edit { "-edit" } else { "" };
        format!("u{}:{list}{suffix}", self.update_id)
    }

    /// Sends (or, after a press, edits) one page of the K/BK keyboard
    /// ([`notify::reports::RESULTS_PAGE`] participants, within Telegram's 100 buttons);
    /// returns the page shown and how many there are.
    pub(super) async fn show_results(
        &self,
        batch: BatchId,
        edit: Option<String>,
        page: u32,
    ) -> Result<(usize, usize), AppError> {
        let (_, state, _) = self.ctx.app.batch(batch).await?;
        let (view, page, pages) = notify::reports::results_page(&state, page);
        let key = self.list_key("results", edit.is_some());
        let message = notify::Message::ResultsKeyboard(view);
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
        let list = notify::reports::handover_list(&state);
        let empty = list.ready.is_empty();
        let key = self.list_key("handovers", edit.is_some());
        let message = notify::Message::HandoverList(list);
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
