//! Building an email from an outbox row: subject, plain text and HTML from
//! `message-templates/`, the recipient's name in UTF-8, a Message-ID stable
//! per occasion (so a message sent again after a crash reads as one),
//! Reply-To the LSP, and for the meeting invitation an `.ics` whose METHOD
//! matches its MIME method. The invitation's calendar entry is published
//! (METHOD:PUBLISH, no attendee), so mail programs offer no Yes/No buttons
//! whose replies nobody reads: invitees answer in Telegram, as the email says.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::documents::issue::File;
use crate::domain::Lang;
use crate::notify::Message as NotifyMessage;
use crate::notify::views::{BatchFacts, MeetingFacts};
use crate::store::OutboxRow;
use crate::templates::Templates;

/// Why a row cannot become an email (a template or an address is wrong).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ComposeError(pub String);

/// Builds emails.
#[derive(Clone)]
pub struct Composer {
    pub templates: Arc<Templates>,
    pub lang: Lang,
    pub from: Mailbox,
    /// Replies go to the LSP's own address, where set.
    pub reply_to: Option<Mailbox>,
    /// The database's random key ([`crate::store::Store::installation`]):
    /// Message-IDs and calendar UIDs differ between installations.
    pub installation: String,
}

/// The calendar method of an invitation: a new or moved meeting (an entry
/// to keep, without reply buttons), or a cancelled one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcsMethod {
    Publish,
    Cancel,
}

impl IcsMethod {
    fn as_str(self) -> &'static str {
        match self {
            IcsMethod::Publish => "PUBLISH",
            IcsMethod::Cancel => "CANCEL",
        }
    }
}

impl Composer {
    /// The email for `row`.
    ///
    /// # Errors
    /// [`ComposeError`] when a template fails or an address is not one.
    pub fn compose(&self, row: &OutboxRow) -> Result<Message, ComposeError> {
        self.compose_with(row, &[])
    }

    /// The email for `row`, with `files` attached (a document the message
    /// carries, made from the records when the email is sent).
    ///
    /// # Errors
    /// [`ComposeError`] when a template fails or an address is not one.
    pub fn compose_with(&self, row: &OutboxRow, files: &[File]) -> Result<Message, ComposeError> {
        let address = row
            .address
            .as_deref()
            .ok_or_else(|| ComposeError("the message has no address".into()))?;
        let message = row.message().map_err(|e| ComposeError(e.to_string()))?;
        let invite = |batch, meeting, sequence, method| {
            let ics = self.invitation_ics(batch, meeting, sequence, address, method)?;
            Ok::<_, ComposeError>(Some((ics, method)))
        };
        let attachment = match &message {
            NotifyMessage::MeetingInvitationEmail(v) => {
                invite(&v.batch, &v.meeting, 0, IcsMethod::Publish)?
            }
            NotifyMessage::MeetingUpdateEmail(v) => {
                invite(&v.batch, &v.meeting, v.sequence, IcsMethod::Publish)?
            }
            NotifyMessage::MeetingCancelEmail(v) => {
                invite(&v.batch, &v.meeting, v.sequence, IcsMethod::Cancel)?
            }
            _ => None,
        };
        self.build(&message, &row.key, address, attachment, files)
    }

    /// An email from `template` to `address`; `key` names the occasion (for
    /// the Message-ID); `ics` is a calendar invitation to attach, `files`
    /// documents.
    ///
    /// # Errors
    /// [`ComposeError`] when a template fails or the address is not one.
    pub fn build(
        &self,
        message: &NotifyMessage,
        key: &str,
        address: &str,
        ics: Option<(String, IcsMethod)>,
        files: &[File],
    ) -> Result<Message, ComposeError> {
        let template = message.template();
        let context = &message.context();
        let render = |part: &str, context: &Value| {
            self.templates
                .render(self.lang, &format!("{template}.{part}"), context)
                .map_err(|e| ComposeError(format!("template {template}.{part}: {e}")))
        };
        let name = message.addressee().map(str::to_string);
        let to = Mailbox::new(
            name,
            address
                .parse()
                .map_err(|_| ComposeError(format!("'{address}' is not an email address")))?,
        );
        let subject = render("subject", context)?;
        let text = render("txt", context)?;
        let html = self
            .templates
            .render(
                self.lang,
                "email_layout.mail.html",
                &json!({
                    "subject": subject,
                    "body": text,
                    "body_html": super::html::body(&text),
                    "lang": self.lang.code(),
                }),
            )
            .map_err(|e| ComposeError(format!("template email_layout.mail.html: {e}")))?;
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html));
        // The text and its HTML, then the calendar entry and the documents.
        let body = if ics.is_none() && files.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            if let Some((ics, method)) = ics {
                // The MIME method is the calendar's own METHOD.
                let content_type = ContentType::parse(&format!(
                    "text/calendar; method={}; charset=UTF-8",
                    method.as_str()
                ))
                .map_err(|e| ComposeError(e.to_string()))?;
                mixed = mixed.singlepart(
                    Attachment::new("undangan-rapat.ics".into()).body(ics, content_type),
                );
            }
            for file in files {
                let content_type =
                    ContentType::parse(file.mime).map_err(|e| ComposeError(e.to_string()))?;
                mixed = mixed.singlepart(
                    Attachment::new(file.name.clone()).body(file.bytes.clone(), content_type),
                );
            }
            mixed
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id(key)));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(body)
            .map_err(|e| ComposeError(e.to_string()))
    }

    /// `<hash-of-the-installation-and-occasion@sender-domain>`: the same
    /// for every attempt, never the same in another installation.
    pub fn message_id(&self, key: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.installation.as_bytes());
        hasher.update(b"\0");
        hasher.update(key.as_bytes());
        let hash = crate::domain::to_hex(&hasher.finalize());
        format!("<{}@{}>", &hash[..32], self.from.email.domain())
    }

    /// The meeting as an iCalendar object with a UID stable per batch.
    ///
    /// # Errors
    /// When the row's context lacks the meeting's time.
    pub fn invitation_ics(
        &self,
        batch: &BatchFacts,
        meeting: &MeetingFacts,
        sequence: u32,
        attendee: &str,
        method: IcsMethod,
    ) -> Result<String, ComposeError> {
        let starts: DateTime<Utc> = DateTime::parse_from_rfc3339(&meeting.starts_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ComposeError("the invitation has no meeting time".into()))?;
        let summary = self.templates.phrase(
            self.lang,
            "ics_summary",
            json!({"batch": batch.id, "scheme": batch.scheme}),
        );
        let mut event = icalendar::Event::new();
        event
            .uid(&format!(
                "sertibot-{}-batch-{}-meeting@{}",
                self.installation,
                batch.id,
                self.from.email.domain()
            ))
            .summary(&calendar_text(&summary))
            .location(&calendar_text(&meeting.place))
            .starts(starts)
            .ends(starts + chrono::Duration::minutes(meeting.minutes))
            .add_property("ORGANIZER", format!("mailto:{}", self.from.email))
            .add_property("SEQUENCE", sequence.to_string())
            .add_property(
                "STATUS",
                if method == IcsMethod::Cancel {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                },
            );
        // An attendee would make mail programs ask for a reply; only a
        // cancellation names them (as iTIP requires).
        if method == IcsMethod::Cancel {
            event.add_property("ATTENDEE", format!("mailto:{attendee}"));
        }
        let mut calendar = Calendar::new();
        calendar.append_property(("METHOD", method.as_str()));
        calendar.push(event.done());
        Ok(calendar.done().to_string())
    }
}

/// Text for a calendar property: every control character (a carriage
/// return, a NUL, a bidirectional override) becomes a space, so a typed
/// place cannot break a line of the `.ics` or add a property of its own.
fn calendar_text(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || crate::domain::is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_place_cannot_break_a_calendar_line() {
        let composer = Composer {
            templates: Arc::new(Templates::embedded(
                Default::default(),
                chrono_tz::Asia::Jakarta,
            )),
            lang: Lang::Id,
            from: "LSP <lsp@example.ac.id>".parse().unwrap(),
            reply_to: None,
            installation: "0123456789abcdef".into(),
        };
        let row = OutboxRow {
            id: 1,
            key: "b1:invite:m1:email".into(),
            channel: crate::notify::Channel::Email,
            member_id: Some(1),
            participant_id: None,
            address: Some("made@example.com".into()),
            template: "meeting_invitation_email".into(),
            context: json!({
                "batch": {"id": 1, "scheme": "Operator\r\nX-EVIL:1", "assessed_on": "2026-11-20", "place": null},
                "recipient": "Made", "participant_count": 3,
                "meeting": {"starts_at": "2026-11-26T02:00:00Z", "place": "Ruang\rRapat\u{0}\u{202E}LSP\nATTENDEE:mailto:x@evil", "minutes": 180},
            }),
            status: crate::store::OutboxStatus::Pending,
            attempts: 0,
            created_at: Utc::now(),
            next_attempt_at: Utc::now(),
            last_error: None,
            edit_of: None,
            chat_id: None,
        };
        let Ok(NotifyMessage::MeetingInvitationEmail(invitation)) = row.message() else {
            panic!("the row is an invitation");
        };
        let ics = composer
            .invitation_ics(
                &invitation.batch,
                &invitation.meeting,
                0,
                "made@example.com",
                IcsMethod::Cancel,
            )
            .unwrap();
        let lines: Vec<&str> = ics.split("\r\n").collect();
        let location = lines.iter().find(|l| l.starts_with("LOCATION:")).unwrap();
        assert_eq!(*location, "LOCATION:Ruang Rapat LSP ATTENDEE:mailto:x@evil");
        assert!(!lines.iter().any(|l| l.starts_with("X-EVIL")), "{ics}");
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("ATTENDEE")).count(),
            1,
            "{ics}"
        );
        assert!(!ics.contains('\u{0}') && !ics.contains('\u{202E}'));
        assert!(!ics.replace("\r\n", "").contains('\r'), "{ics}");
    }
}
