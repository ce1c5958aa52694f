//! Everything sertibot sends, as one type. Each [`Message`] variant holds
//! the view its template renders; the outbox stores a message as its
//! template's name and the view as JSON, and the workers read it back as
//! the same variant. A message knows its template (and, in
//! `telegram::keyboards`, its own buttons), so nothing downstream decides
//! what a row is from a string.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::views::*;

/// Declares [`Message`] with each variant's template name, once.
macro_rules! messages {
    ($($(#[$doc:meta])* $variant:ident($view:ty) = $template:literal,)*) => {
        /// Everything sertibot sends, each with the facts its template renders.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "template", content = "context")]
        pub enum Message {
            $($(#[$doc])* #[serde(rename = $template)] $variant($view),)*
        }

        impl Message {
            /// The template's name under `message-templates/<lang>/`
            /// (without `.html`, `.subject` or `.txt`).
            pub fn template(&self) -> &'static str {
                match self {
                    $(Message::$variant(_) => $template,)*
                }
            }

            /// Every template a message can use, for the start-up check.
            pub const TEMPLATES: &'static [&'static str] = &[$($template),*];

            /// The facts the template renders, as the outbox stores them
            /// (the view alone, serialised once).
            pub fn context(&self) -> Value {
                let view = match self {
                    $(Message::$variant(view) => serde_json::to_value(view),)*
                };
                view.unwrap_or(Value::Null)
            }
        }
    };
}

messages! {
    /// A step's task card for one of its people.
    StepTask(TaskCard) = "step_task",
    /// A step's card in a group.
    GroupStep(GroupCard) = "group_step",
    /// A step's clock paused or runs again (to Ketua LSP).
    StepPaused(PauseNotice) = "step_paused",
    /// A problem reported on a step (to Ketua LSP).
    ProblemReport(ProblemReport) = "problem_report",
    /// Who comes to the meeting (to the meeting step's people).
    RsvpTally(RsvpTally) = "rsvp_tally",
    /// The meeting's invitation in Telegram.
    MeetingInvitation(Invitation) = "meeting_invitation",
    /// The meeting's invitation by email, with an .ics.
    MeetingInvitationEmail(Invitation) = "meeting_invitation_email",
    /// The meeting moved or was cancelled, in Telegram.
    MeetingChanged(MeetingChange) = "meeting_changed",
    /// The meeting moved, by email with the calendar change.
    MeetingUpdateEmail(MeetingChange) = "meeting_update_email",
    /// The meeting was cancelled, by email with the calendar cancellation.
    MeetingCancelEmail(MeetingChange) = "meeting_cancel_email",
    /// A reminder to answer the invitation.
    RsvpReminder(RsvpReminder) = "rsvp_reminder",
    /// A participant is kompeten, by email.
    ResultK(ResultNotice) = "result_k",
    /// A participant is belum kompeten, by email.
    ResultBk(ResultNotice) = "result_bk",
    /// A participant's document is ready to collect, by email.
    HandoverNotice(HandoverNotice) = "handover_notice",
    /// A participant's receipt was recorded, by email.
    ReceiptConfirmation(ReceiptNotice) = "receipt_confirmation",
    /// A step's standard time is nearly used up.
    StepHeadsUp(ClockAlert) = "step_heads_up",
    /// A step is past its standard time.
    StepOverdue(ClockAlert) = "step_overdue",
    /// The daily digest.
    DigestDaily(DailyDigest) = "digest_daily",
    /// The weekly digest.
    DigestWeekly(WeeklyDigest) = "digest_weekly",
    /// A message could not be delivered for good.
    DeliveryFailed(DeliveryFailure) = "delivery_failed",
    /// Telegram cannot reach a member.
    MemberUnreachable(Unreachable) = "member_unreachable",
    /// A staff member's Telegram message, by email instead.
    StaffFallback(StaffFallback) = "staff_fallback",
    /// A one-line answer in a private chat.
    Reply(Reply) = "reply",
    /// A member's open tasks.
    Tasks(Tasks) = "tasks",
    /// The most recent batches.
    Batches(Batches) = "batches",
    /// Where a batch stands.
    Status(Status) = "status",
    /// One page of the K/BK keyboard.
    ResultsKeyboard(ResultsPage) = "results_keyboard",
    /// The plenary's attendance checklist.
    AttendanceChecklist(AttendanceList) = "attendance_checklist",
    /// The participants ready to collect their document.
    HandoverList(HandoverList) = "handover_list",
    /// Documents that just became ready (to those who hand them over).
    HandoversReady(HandoversReady) = "handovers_ready",
    /// A reminder to collect a document, by email.
    CollectReminder(HandoverNotice) = "collect_reminder",
    /// Every receipt of a batch is in.
    BatchFinished(BatchFinished) = "batch_finished",
    /// A result already told was corrected, by email.
    ResultCorrection(ResultCorrectionNotice) = "result_correction",
    /// A batch was cancelled.
    BatchCancelled(BatchCancelledNotice) = "batch_cancelled",
    /// An open step nobody can finish any more.
    UnstaffedStep(UnstaffedStep) = "unstaffed_step",
    /// The staff list.
    MemberList(MemberList) = "member_list",
    /// A new member's registration link, to forward.
    RegistrationLink(RegistrationLink) = "registration_link",
    /// A batch was created from a participants file.
    BatchReady(BatchReady) = "batch_ready",
    /// The bot's commands.
    Help(Help) = "help",
    /// A fixed sentence in a group.
    GroupNotice(GroupNoticeText) = "group_notice",
    /// The test email of `sertibot mail test`.
    MailTest(MailTest) = "mail_test",
    /// A document, as a file in a private chat (the caption is the template).
    Document(DocumentFile) = "document",
    /// The audit log's chain is broken, for Ketua LSP.
    AuditBroken(AuditBroken) = "audit_broken",
    /// The performance report, as a PDF or its chart (Ketua LSP).
    Report(ReportFile) = "report",
}

/// Why a stored row is not a message this version knows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the stored message '{template}' cannot be read: {why}")]
pub struct UnknownMessage {
    pub template: String,
    pub why: String,
}

impl Message {
    /// The message a row stored as `template` with `context`.
    ///
    /// # Errors
    /// [`UnknownMessage`] when the template is not one of [`Message`]'s or
    /// the facts do not fit its view.
    pub fn stored(template: &str, context: &Value) -> Result<Message, UnknownMessage> {
        let whole = serde_json::json!({ "template": template, "context": context });
        serde_json::from_value(whole).map_err(|e| UnknownMessage {
            template: crate::limits::clip(template, 100),
            why: e.to_string(),
        })
    }

    /// The name an email is addressed to: the participant's, or the staff
    /// member's (empty when the message has none).
    pub fn addressee(&self) -> Option<&str> {
        let name = match self {
            Message::ResultK(v) | Message::ResultBk(v) => &v.participant.name,
            Message::HandoverNotice(v) | Message::CollectReminder(v) => &v.participant.name,
            Message::ResultCorrection(v) => &v.participant.name,
            Message::ReceiptConfirmation(v) => &v.participant.name,
            Message::MeetingInvitationEmail(v) | Message::MeetingInvitation(v) => &v.recipient,
            Message::MeetingUpdateEmail(v)
            | Message::MeetingCancelEmail(v)
            | Message::MeetingChanged(v) => &v.recipient,
            Message::StaffFallback(v) => &v.recipient,
            Message::StepTask(v) => &v.recipient,
            Message::RsvpReminder(v) => &v.recipient,
            _ => return None,
        };
        Some(name.as_str()).filter(|n| !n.is_empty())
    }

    /// Whether this message reports trouble with delivery (a failed
    /// report is not reported again).
    pub fn is_delivery_report(&self) -> bool {
        matches!(
            self,
            Message::DeliveryFailed(_) | Message::MemberUnreachable(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_back_as_itself_from_its_template_and_context() {
        let batch = BatchFacts {
            id: 7,
            scheme: "Operator Mesin".into(),
            assessed_on: "2026-11-20".into(),
            place: None,
        };
        let messages = [
            Message::Reply(Reply {
                text: "Tercatat.".into(),
            }),
            Message::RsvpTally(RsvpTally {
                batch,
                meeting: MeetingFacts {
                    starts_at: "2026-11-26T02:00:00Z".into(),
                    place: "Ruang Rapat".into(),
                    minutes: 180,
                },
                invitees: vec![InviteeAnswer {
                    name: "Made".into(),
                    answer: Some("absent".into()),
                    reason: Some("Dinas luar".into()),
                }],
            }),
            Message::MailTest(MailTest {}),
        ];
        for message in messages {
            let context = message.context();
            assert!(context.is_object(), "{context}");
            assert_eq!(Message::stored(message.template(), &context), Ok(message));
        }
        assert!(Message::stored("no_such_template", &serde_json::json!({})).is_err());
    }
}
