//! The buttons under a message, chosen by the kind of message from the
//! ids in its view, and a message rendered for Telegram. Labels come from
//! `phrases.toml`.

use serde_json::json;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Button;
use crate::domain::{BatchId, Competence, Lang, MemberId, ParticipantId};
use crate::notify::Message;
use crate::notify::views::{
    AttendanceList, HandoverList, Invitation, MeetingChange, ResultsPage, RsvpReminder, TaskCard,
};
use crate::sop::{RecordKind, StepNo};
use crate::templates::Templates;

fn button(templates: &Templates, lang: Lang, label: &str, data: Button) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(templates.phrase(lang, label, json!({})), data.to_string())
}

impl Message {
    /// The buttons under this message in Telegram, if it has any: a step's
    /// card, the meeting's invitation, the lists with a button per
    /// participant, a new batch's start button.
    pub fn keyboard(&self, templates: &Templates, lang: Lang) -> Option<InlineKeyboardMarkup> {
        let b = |label: &str, data| button(templates, lang, label, data);
        match self {
            Message::GroupStep(card) => {
                let (batch, step) = (BatchId(card.batch.id), StepNo(card.step.no));
                if card.finished_at.is_some() || card.step.per_participant {
                    return None;
                }
                Some(InlineKeyboardMarkup::new([vec![
                    b("button_acknowledge", Button::Acknowledge { batch, step }),
                    b("button_done", Button::Done { batch, step }),
                ]]))
            }
            Message::StepTask(card) => task_keyboard(templates, lang, card),
            Message::ResultsKeyboard(page) => Some(verdicts(templates, lang, page)),
            Message::AttendanceChecklist(list) => Some(attendance(templates, lang, list)),
            Message::HandoverList(list) => Some(handovers(templates, lang, list)),
            Message::HandoversReady(ready) => Some(InlineKeyboardMarkup::new(vec![vec![b(
                "button_handovers",
                Button::Handovers {
                    batch: BatchId(ready.batch.id),
                },
            )]])),
            Message::BatchReady(ready) => Some(InlineKeyboardMarkup::new(vec![vec![b(
                "button_start",
                Button::Start {
                    batch: BatchId(ready.batch.id),
                },
            )]])),
            Message::MeetingChanged(change) if change.cancelled => None,
            Message::MeetingInvitation(Invitation { batch, .. })
            | Message::RsvpReminder(RsvpReminder { batch, .. })
            | Message::MeetingChanged(MeetingChange { batch, .. }) => {
                let batch = BatchId(batch.id);
                Some(InlineKeyboardMarkup::new(vec![vec![
                    b("button_attend", Button::Attend { batch }),
                    b("button_absent", Button::Absent { batch }),
                ]]))
            }
            _ => None,
        }
    }
}

/// A step's card: of "take it on", "done" (or, for the handover, the
/// list) and the entry the step records, only those this reader may press
/// (`TaskCard::rights`); and "report a problem".
fn task_keyboard(
    templates: &Templates,
    lang: Lang,
    card: &TaskCard,
) -> Option<InlineKeyboardMarkup> {
    if card.finished_at.is_some() {
        return None;
    }
    let (batch, step) = (BatchId(card.batch.id), StepNo(card.step.no));
    let b = |label, data| button(templates, lang, label, data);
    let rights = card.rights;
    let mut rows = Vec::new();
    if card.step.per_participant {
        if rights.enter {
            rows.push(vec![b("button_handovers", Button::Handovers { batch })]);
        }
    } else {
        let mut first = Vec::new();
        if rights.acknowledge {
            first.push(b("button_acknowledge", Button::Acknowledge { batch, step }));
        }
        if rights.finish {
            first.push(b("button_done", Button::Done { batch, step }));
        }
        if !first.is_empty() {
            rows.push(first);
        }
        let entry = match card.step.records {
            Some(RecordKind::Meeting) => Some(("button_meeting", Button::Meeting { batch })),
            Some(RecordKind::Results) => Some(("button_results", Button::Results { batch })),
            Some(RecordKind::Decree) => Some(("button_decree", Button::Decree { batch })),
            Some(RecordKind::BlankNumbers) => Some(("button_blanks", Button::Blanks { batch })),
            _ => None,
        };
        if let Some((label, data)) = entry.filter(|_| rights.enter) {
            rows.push(vec![b(label, data)]);
        }
        if rights.attendance {
            rows.push(vec![b("button_attendance", Button::Attendance { batch })]);
        }
    }
    if rights.report {
        rows.push(vec![b("button_problem", Button::Problem { batch, step })]);
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// One page of the K/BK keyboard: two buttons per participant, and the
/// page turns.
fn verdicts(templates: &Templates, lang: Lang, page: &ResultsPage) -> InlineKeyboardMarkup {
    let batch = BatchId(page.batch.id);
    let mut rows: Vec<Vec<InlineKeyboardButton>> = page
        .participants
        .iter()
        .map(|p| {
            let verdict = |result| {
                Button::Verdict {
                    batch,
                    participant: ParticipantId(p.id),
                    result,
                }
                .to_string()
            };
            vec![
                InlineKeyboardButton::callback(
                    format!("K · {}", p.name),
                    verdict(Competence::Kompeten),
                ),
                InlineKeyboardButton::callback(
                    format!("BK · {}", p.name),
                    verdict(Competence::BelumKompeten),
                ),
            ]
        })
        .collect();
    let mut turn = Vec::new();
    if page.page > 1 {
        let data = Button::ResultsPage {
            batch,
            page: page.page - 1,
        };
        turn.push(button(templates, lang, "button_previous", data));
    }
    if page.page < page.pages {
        let data = Button::ResultsPage {
            batch,
            page: page.page + 1,
        };
        turn.push(button(templates, lang, "button_next", data));
    }
    if !turn.is_empty() {
        rows.push(turn);
    }
    InlineKeyboardMarkup::new(rows)
}

/// The attendance checklist: a button per invitee showing whether they
/// are present; a press marks the other way.
fn attendance(templates: &Templates, lang: Lang, list: &AttendanceList) -> InlineKeyboardMarkup {
    let batch = BatchId(list.batch.id);
    InlineKeyboardMarkup::new(list.invitees.iter().map(|i| {
        let label = if i.present {
            "button_marked_present"
        } else {
            "button_marked_absent"
        };
        let data = Button::MarkPresent {
            batch,
            member: MemberId(i.id),
            present: !i.present,
        };
        vec![InlineKeyboardButton::callback(
            templates.phrase(lang, label, json!({ "name": i.name })),
            data.to_string(),
        )]
    }))
}

/// A message as Telegram shows it: its text (HTML) and its buttons.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// Renders `message` for Telegram, the same way for the delivery worker,
/// `simulate` and the email that replaces a message to an unreachable member.
///
/// # Errors
/// The template's error, when it cannot be rendered.
pub fn render(templates: &Templates, lang: Lang, message: &Message) -> Result<Rendered, String> {
    let name = format!("{}.html", message.template());
    let text = templates
        .render(lang, &name, &message.context())
        .map_err(|e| format!("template {name}: {e}"))?;
    Ok(Rendered {
        text,
        keyboard: message.keyboard(templates, lang),
    })
}

/// The handover list's buttons: "open" for a participant who is ready;
/// for one whose handover is open, how it was handed over (in person, by
/// courier, to a representative).
pub fn handovers(templates: &Templates, lang: Lang, list: &HandoverList) -> InlineKeyboardMarkup {
    let batch = BatchId(list.batch.id);
    let named = |label: &str, name: &str, data: Button| {
        InlineKeyboardButton::callback(
            templates.phrase(lang, label, json!({ "name": name })),
            data.to_string(),
        )
    };
    InlineKeyboardMarkup::new(list.ready.iter().map(|p| {
        let participant = ParticipantId(p.id);
        if !p.open {
            let data = Button::OpenHandover { batch, participant };
            return vec![named("button_open_handover", &p.name, data)];
        }
        vec![
            named(
                "button_receipt",
                &p.name,
                Button::Receipt { batch, participant },
            ),
            named(
                "button_courier",
                &p.name,
                Button::Courier { batch, participant },
            ),
            named(
                "button_proxy",
                &p.name,
                Button::Proxy { batch, participant },
            ),
        ]
    }))
}
