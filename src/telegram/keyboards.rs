//! The buttons under a message, chosen from the message's template and the
//! ids in its context. Labels come from `phrases.toml`.

use serde_json::{Value, json};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Button;
use crate::domain::{BatchId, Competence, Lang, ParticipantId};
use crate::sop::StepNo;
use crate::templates::Templates;

fn button(templates: &Templates, lang: Lang, label: &str, data: Button) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(templates.phrase(lang, label, json!({})), data.to_string())
}

/// The keyboard for a message rendered from `template` with `context`, if it has one.
pub fn for_message(
    templates: &Templates,
    lang: Lang,
    template: &str,
    context: &Value,
) -> Option<InlineKeyboardMarkup> {
    let batch = BatchId(context["batch"]["id"].as_i64()?);
    match template {
        "group_step" => {
            if !context["finished_at"].is_null()
                || context["step"]["per_participant"].as_bool() == Some(true)
            {
                return None;
            }
            let step = StepNo(u32::try_from(context["step"]["no"].as_u64()?).ok()?);
            Some(InlineKeyboardMarkup::new([vec![
                button(
                    templates,
                    lang,
                    "button_acknowledge",
                    Button::Acknowledge { batch, step },
                ),
                button(templates, lang, "button_done", Button::Done { batch, step }),
            ]]))
        }
        "step_task" => {
            if !context["finished_at"].is_null() {
                return None;
            }
            let step = StepNo(u32::try_from(context["step"]["no"].as_u64()?).ok()?);
            let b = |label, data| button(templates, lang, label, data);
            let mut rows = Vec::new();
            if context["step"]["per_participant"].as_bool() == Some(true) {
                rows.push(vec![b("button_handovers", Button::Handovers { batch })]);
            } else {
                rows.push(vec![
                    b("button_acknowledge", Button::Acknowledge { batch, step }),
                    b("button_done", Button::Done { batch, step }),
                ]);
                let entry = match context["step"]["records"].as_str() {
                    Some("meeting") => Some(("button_meeting", Button::Meeting { batch })),
                    Some("results") => Some(("button_results", Button::Results { batch })),
                    Some("decree") => Some(("button_decree", Button::Decree { batch })),
                    Some("blank-numbers") => Some(("button_blanks", Button::Blanks { batch })),
                    _ => None,
                };
                if let Some((label, data)) = entry {
                    rows.push(vec![b(label, data)]);
                }
            }
            rows.push(vec![b("button_problem", Button::Problem { batch, step })]);
            Some(InlineKeyboardMarkup::new(rows))
        }
        "results_keyboard" => {
            let rows = context["participants"].as_array()?.iter().filter_map(|p| {
                let participant = ParticipantId(p["id"].as_i64()?);
                let name = p["name"].as_str()?.to_string();
                let verdict = |result| Button::Verdict {
                    batch,
                    participant,
                    result,
                };
                Some(vec![
                    InlineKeyboardButton::callback(
                        format!("K · {name}"),
                        verdict(Competence::Kompeten).to_string(),
                    ),
                    InlineKeyboardButton::callback(
                        format!("BK · {name}"),
                        verdict(Competence::BelumKompeten).to_string(),
                    ),
                ])
            });
            let mut rows: Vec<Vec<InlineKeyboardButton>> = rows.collect();
            let page = u32::try_from(context["page"].as_u64().unwrap_or(1)).unwrap_or(1);
            let pages = u32::try_from(context["pages"].as_u64().unwrap_or(1)).unwrap_or(1);
            let mut turn = Vec::new();
            if page > 1 {
                let data = Button::ResultsPage {
                    batch,
                    page: page - 1,
                };
                turn.push(button(templates, lang, "button_previous", data));
            }
            if page < pages {
                let data = Button::ResultsPage {
                    batch,
                    page: page + 1,
                };
                turn.push(button(templates, lang, "button_next", data));
            }
            if !turn.is_empty() {
                rows.push(turn);
            }
            Some(InlineKeyboardMarkup::new(rows))
        }
        "handover_list" => {
            let ready: Vec<(ParticipantId, String)> = context["ready"]
                .as_array()?
                .iter()
                .filter_map(|p| {
                    Some((
                        ParticipantId(p["id"].as_i64()?),
                        p["name"].as_str()?.to_string(),
                    ))
                })
                .collect();
            Some(receipts(templates, lang, batch, &ready))
        }
        "batch_ready" => Some(InlineKeyboardMarkup::new(vec![vec![button(
            templates,
            lang,
            "button_start",
            Button::Start { batch },
        )]])),
        "meeting_changed" if context["cancelled"].as_bool() == Some(true) => None,
        "meeting_invitation" | "rsvp_reminder" | "meeting_changed" => {
            Some(InlineKeyboardMarkup::new(vec![vec![
                button(templates, lang, "button_attend", Button::Attend { batch }),
                button(templates, lang, "button_absent", Button::Absent { batch }),
            ]]))
        }
        _ => None,
    }
}

/// One "received" button per participant ready to collect.
pub fn receipts(
    templates: &Templates,
    lang: Lang,
    batch: BatchId,
    ready: &[(ParticipantId, String)],
) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(ready.iter().map(|(id, name)| {
        vec![InlineKeyboardButton::callback(
            templates.phrase(lang, "button_receipt", json!({ "name": name })),
            Button::Receipt {
                batch,
                participant: *id,
            }
            .to_string(),
        )]
    }))
}
