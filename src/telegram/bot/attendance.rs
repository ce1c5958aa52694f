//! The plenary's attendance from chat: "Daftar hadir rapat" shows the
//! checklist, a press on an invitee marks them present or absent and
//! edits it.

use serde_json::json;

use super::buttons::Press;
use crate::app::AppError;
use crate::domain::{BatchId, MemberId};
use crate::notify;
use crate::workflow::{Command, Intent};

impl Press<'_> {
    /// "Daftar hadir rapat": the checklist, for those who keep it, once
    /// it may be kept.
    pub(super) async fn attendance(&self, batch: BatchId) -> Result<String, AppError> {
        self.may(batch, Intent::KeepAttendance).await?;
        self.show_attendance(batch, None).await?;
        Ok(self.phrase("attendance_title", json!({"batch": batch.0})))
    }

    /// One invitee marked present or absent; the checklist is edited.
    pub(super) async fn mark_present(
        &self,
        batch: BatchId,
        member: MemberId,
        present: bool,
    ) -> Result<String, AppError> {
        self.may(batch, Intent::KeepAttendance).await?;
        let (_, state, members) = self.ctx.app.batch(batch).await?;
        let Some(invitee) = notify::attendance::invitees(&state, &members)
            .into_iter()
            .find(|m| m.id == member)
            .cloned()
        else {
            return Err(AppError::Invalid(
                self.phrase("attendance_not_invited", json!({})),
            ));
        };
        let decisions = self
            .act(batch, vec![Command::MarkAttendance { member, present }])
            .await?;
        self.show_attendance(batch, self.pressed_on.clone()).await?;
        Ok(self.recorded(
            &decisions,
            "attendance_set",
            json!({"name": invitee.name, "present": present}),
        ))
    }

    /// Sends (or edits) the plenary's attendance checklist.
    pub(super) async fn show_attendance(
        &self,
        batch: BatchId,
        edit: Option<String>,
    ) -> Result<(), AppError> {
        let (_, state, members) = self.ctx.app.batch(batch).await?;
        let list = notify::attendance::attendance_list(&state, &members);
        let key = self.list_key("attendance", edit.is_some());
        let message = notify::Message::AttendanceChecklist(list);
        self.ctx
            .say(self.chat, Some(self.member), key, message, edit)
            .await?;
        Ok(())
    }
}
