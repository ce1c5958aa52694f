//! Every text staff and participants read, rendered with minijinja from
//! `message-templates/` (embedded in the binary) or from an operator's copy
//! of that folder. `.html` templates (Telegram) escape every value.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde::Serialize;
use serde_json::Value;

use crate::domain::Lang;
use crate::workflow::Refusal;

/// How many bad rows of a list a reply names; the rest are counted.
pub const MAX_ROWS_NAMED: usize = 50;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!("id/", $name), include_str!(concat!("../message-templates/id/", $name))),
            (concat!("en/", $name), include_str!(concat!("../message-templates/en/", $name))),
        )*]
    };
}

/// The embedded templates: (`<lang>/<file>`, source).
const EMBEDDED: &[(&str, &str)] = embedded!(
    "step_task.html",
    "group_step.html",
    "group_notice.html",
    "meeting_invitation.html",
    "meeting_invitation_email.subject",
    "meeting_invitation_email.txt",
    "problem_report.html",
    "result_k.subject",
    "result_k.txt",
    "result_bk.subject",
    "result_bk.txt",
    "handover_notice.subject",
    "handover_notice.txt",
    "receipt_confirmation.subject",
    "receipt_confirmation.txt",
    "delivery_failed.html",
    "rsvp_tally.html",
    "rsvp_reminder.html",
    "batch_ready.html",
    "step_heads_up.html",
    "step_overdue.html",
    "step_paused.html",
    "digest_daily.html",
    "digest_weekly.html",
    "meeting_changed.html",
    "meeting_update_email.subject",
    "meeting_update_email.txt",
    "meeting_cancel_email.subject",
    "meeting_cancel_email.txt",
    "email_layout.mail.html",
    "mail_test.subject",
    "mail_test.txt",
    "reply.html",
    "help.html",
    "tasks.html",
    "batches.html",
    "status.html",
    "results_keyboard.html",
    "attendance_checklist.html",
    "handover_list.html",
    "handovers_ready.html",
    "collect_reminder.subject",
    "collect_reminder.txt",
    "batch_finished.html",
    "batch_cancelled.html",
    "unstaffed_step.html",
    "member_list.html",
    "registration_link.html",
    "result_correction.subject",
    "result_correction.txt",
    "member_unreachable.html",
    "staff_fallback.subject",
    "staff_fallback.txt",
    "document.html",
    "audit_broken.html",
    "report.html",
    "refusals.toml",
    "phrases.toml",
);

/// The LSP's own facts, available to every template as `lsp`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LspInfo {
    pub name: String,
    pub address: String,
    pub office_hours: String,
    pub email: String,
}

/// A template that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template {name}: {message}")]
    Invalid { name: String, message: String },
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    /// Sentence tables (`refusals.toml`, `phrases.toml`): (language, key) → template.
    sentences: HashMap<(Lang, String), String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The embedded templates, showing times in `tz`.
    pub fn embedded(lsp: LspInfo, tz: Tz) -> Self {
        Self::load(lsp, tz, None)
            .expect("the embedded templates are valid (checked by a unit test)")
    }

    /// The templates of `dir` where it has them, the embedded ones elsewhere.
    ///
    /// # Errors
    /// [`TemplateError`] naming the file that cannot be read or compiled.
    pub fn load(lsp: LspInfo, tz: Tz, dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut env = environment(lsp, tz);
        let mut sentences = HashMap::new();
        for (name, embedded) in EMBEDDED {
            let source = match dir.map(|d| d.join(name)) {
                Some(path) if path.is_file() => {
                    std::fs::read_to_string(&path).map_err(|source| TemplateError::Read {
                        path: path.display().to_string(),
                        source,
                    })?
                }
                _ => (*embedded).to_string(),
            };
            let invalid = |message: String| TemplateError::Invalid {
                name: (*name).to_string(),
                message,
            };
            if name.ends_with(".toml") {
                let lang = if name.starts_with("en/") {
                    Lang::En
                } else {
                    Lang::Id
                };
                let read = |text: &str| toml::from_str::<HashMap<String, String>>(text);
                let mut table = read(embedded).map_err(|e| invalid(e.message().to_string()))?;
                // The operator's table wins key by key; what it lacks stays embedded.
                table.extend(read(&source).map_err(|e| invalid(e.message().to_string()))?);
                if name.ends_with("/refusals.toml")
                    && let Some(key) = Refusal::KEYS.iter().find(|k| !table.contains_key(**k))
                {
                    return Err(invalid(format!("no sentence for '{key}'")));
                }
                // The apology shown in place of any phrase that cannot be.
                if name.ends_with("/phrases.toml") && !table.contains_key("failure") {
                    return Err(invalid("no sentence for 'failure'".into()));
                }
                for (key, text) in table {
                    env.template_from_str(&text)
                        .map_err(|e| invalid(format!("'{key}': {e}")))?;
                    sentences.insert((lang, key), text);
                }
            } else {
                env.add_template_owned((*name).to_string(), source)
                    .map_err(|e| invalid(e.to_string()))?;
            }
        }
        check_messages(&env)?;
        Ok(Templates { env, sentences })
    }

    /// Renders `<lang>/<name>` with `context`.
    ///
    /// # Errors
    /// When the template does not exist or fails on this context.
    pub fn render(&self, lang: Lang, name: &str, context: &Value) -> Result<String, Error> {
        let template = self.env.get_template(&format!("{}/{name}", lang.code()))?;
        Ok(template.render(context)?.trim().to_string())
    }

    /// The sentence explaining a refusal, in `lang`.
    pub fn refusal(&self, lang: Lang, refusal: &Refusal) -> String {
        let context = serde_json::to_value(refusal).unwrap_or(Value::Null);
        self.sentence(lang, refusal.key(), context)
    }

    /// An instant as the templates show it ("Kamis, 26 November 2026 pukul 09.00 WIB").
    pub fn instant_text(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
        let text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        format_instant(&text, tz, lang).unwrap_or(text)
    }

    /// Why a list (participants, results) was refused, in `lang`: one line
    /// for the file, or a summary and one line per bad row, for the first
    /// [`MAX_ROWS_NAMED`] bad rows and a count of the rest (a chat reply
    /// stays a few messages long however bad the file).
    pub fn list_error(&self, lang: Lang, error: &crate::participants::ListError) -> String {
        use crate::participants::ListError;
        let key_of = |v: &Value| v["problem"].as_str().unwrap_or_default().to_string();
        match error {
            ListError::Unusable(problem) => {
                let context = serde_json::to_value(problem).unwrap_or(Value::Null);
                self.sentence(lang, &format!("file_{}", key_of(&context)), context)
            }
            ListError::BadRows(rows) => {
                let mut lines = vec![self.sentence(
                    lang,
                    "file_bad_rows",
                    serde_json::json!({"count": rows.len()}),
                )];
                lines.extend(rows.iter().take(MAX_ROWS_NAMED).map(|row| {
                    let reasons: Vec<String> = row
                        .reasons
                        .iter()
                        .map(|r| {
                            let context = serde_json::to_value(r).unwrap_or(Value::Null);
                            self.sentence(lang, &format!("row_{}", key_of(&context)), context)
                        })
                        .collect();
                    self.sentence(
                        lang,
                        "row_line",
                        serde_json::json!({"row": row.row, "reasons": reasons}),
                    )
                }));
                if rows.len() > MAX_ROWS_NAMED {
                    lines.push(self.sentence(
                        lang,
                        "file_more_rows",
                        serde_json::json!({"more": rows.len() - MAX_ROWS_NAMED}),
                    ));
                }
                lines.join("\n")
            }
        }
    }

    /// A short text of the bot (`phrases.toml`): a button label, a reply.
    pub fn phrase(&self, lang: Lang, key: &str, context: Value) -> String {
        self.sentence(lang, key, context)
    }

    /// The phrase `key` in `lang` with `context`. A phrase that is missing
    /// or cannot be rendered is a bug: it is logged, and the reader gets
    /// the plain apology, never a key.
    fn sentence(&self, lang: Lang, key: &str, mut context: Value) -> String {
        if let Value::Object(map) = &mut context {
            map.insert("lang".into(), Value::from(lang.code()));
        }
        let rendered = self
            .sentences
            .get(&(lang, key.to_string()))
            .ok_or_else(|| "no such phrase".to_string())
            .and_then(|source| {
                self.env
                    .render_str(source, context)
                    .map_err(|e| e.to_string())
            });
        match rendered {
            Ok(text) => single_stops(text.trim()),
            Err(why) => {
                tracing::error!(key, lang = lang.code(), error = %why, "a phrase cannot be shown");
                // `load` makes sure the apology exists in both languages.
                self.sentences
                    .get(&(lang, "failure".to_string()))
                    .map(|apology| apology.trim().to_string())
                    .unwrap_or_default()
            }
        }
    }
}

/// A sentence whose value ends in a full stop ("Dr. Ir. Hendra Wijaya,
/// M.T.") before the phrase's own keeps one stop: exactly two stops in a
/// row, at the end or before a space, become one. An ellipsis of three and
/// a path such as `../dokumen` are left alone.
fn single_stops(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        if c == '.' {
            let run = chars[i..].iter().take_while(|&&d| d == '.').count();
            let ends = chars.get(i + run).is_none_or(|next| next.is_whitespace());
            let kept = if run == 2 && ends { 1 } else { run };
            out.extend(std::iter::repeat_n('.', kept - 1));
            i += run;
            continue;
        }
        i += 1;
    }
    out
}

/// The template engine: Telegram's HTML escaping, the LSP's facts as
/// `lsp`, and the `datetime` and `date` filters (in `tz`, in the reader's
/// language).
fn environment(lsp: LspInfo, tz: Tz) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Telegram's HTML needs only &, < and > escaped (and " in attributes);
    // the default HTML escaping also turns '/' into an entity.
    env.set_formatter(
        |out, state, value| match (state.auto_escape(), value.as_str()) {
            (minijinja::AutoEscape::Html, Some(text)) if !value.is_safe() => {
                let escaped = text
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;");
                out.write_str(&escaped)
                    .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
            }
            _ => minijinja::escape_formatter(out, state, value),
        },
    );
    env.add_global("lsp", minijinja::Value::from_serialize(&lsp));
    // The configured zone's abbreviation (WIB, WITA, WIT), for questions
    // that ask for a time of day.
    let zone = chrono::Utc::now()
        .with_timezone(&tz)
        .format("%Z")
        .to_string();
    env.add_global("zone", zone);
    env.add_filter("datetime", move |state: &State, value: String| {
        format_instant(&value, tz, lang_of(state))
    });
    env.add_filter("date", |state: &State, value: String| {
        format_date(&value, lang_of(state))
    });
    env
}

/// Every message sertibot can send has its template in both languages:
/// for Telegram (.html) or for email (.subject and .txt).
fn check_messages(env: &Environment<'static>) -> Result<(), TemplateError> {
    for lang in ["id", "en"] {
        for template in crate::notify::Message::TEMPLATES {
            let has = |part: &str| {
                env.get_template(&format!("{lang}/{template}.{part}"))
                    .is_ok()
            };
            if !(has("html") || (has("subject") && has("txt"))) {
                return Err(TemplateError::Invalid {
                    name: format!("{lang}/{template}"),
                    message: "no template for this message (.html, or .subject and .txt)".into(),
                });
            }
        }
    }
    Ok(())
}

pub(crate) mod dates;

use dates::{format_date, format_instant, lang_of};

#[cfg(test)]
mod phrase_calls;
#[cfg(test)]
mod tests;
