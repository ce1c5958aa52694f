//! How the rehearsal's transcript reads: a message as Telegram shows it
//! (rendered exactly as the delivery worker renders it, with its buttons),
//! a staff member's press or typed answer, the bot's answer, and the
//! framing lines, all in the rehearsal's language (`sim_*` phrases).

use serde_json::{Value, json};

use super::Rehearsal;
use crate::notify::Message;

impl Rehearsal<'_> {
    /// The phrase `key` in the rehearsal's language.
    pub(super) fn phrase(&self, key: &str, context: Value) -> String {
        self.app.templates.phrase(self.lang, key, context)
    }

    /// A framing line (what the rehearsal does, not what anyone reads).
    pub(super) fn frame(&mut self, key: &str, context: Value) -> anyhow::Result<()> {
        let line = self.phrase(key, context);
        writeln!(self.out, "\n{line}")?;
        Ok(())
    }

    /// A message to `to` (or an edit of one), as Telegram shows it.
    pub(super) fn show(&mut self, to: &str, edit: bool, message: &Message) -> anyhow::Result<()> {
        let rendered = crate::telegram::keyboards::render(&self.app.templates, self.lang, message);
        let (text, buttons) = match rendered {
            Ok(r) => {
                let buttons: Vec<String> = r
                    .keyboard
                    .iter()
                    .flat_map(|k| k.inline_keyboard.iter().flatten())
                    .map(|b| format!("[{}]", b.text))
                    .collect();
                (crate::telegram::html::to_text(&r.text), buttons)
            }
            Err(why) => (format!("({why})"), Vec::new()),
        };
        self.heading(to, edit)?;
        for line in text.lines() {
            writeln!(self.out, "   {line}")?;
        }
        if !buttons.is_empty() {
            writeln!(self.out, "   {}", buttons.join(" "))?;
        }
        self.summary.telegram_messages += 1;
        if matches!(message, Message::DigestWeekly(_)) {
            self.weekly_shown = true;
        }
        Ok(())
    }

    /// The bot's one-line answer to `to` (a question, a "recorded").
    pub(super) fn answer(&mut self, to: &str, key: &str, context: Value) -> anyhow::Result<()> {
        let text = self.phrase(key, context);
        self.heading(to, false)?;
        for line in text.lines() {
            writeln!(self.out, "   {line}")?;
        }
        self.summary.telegram_messages += 1;
        Ok(())
    }

    /// `who` presses the button labelled by the phrase `label`.
    pub(super) fn presses(&mut self, who: &str, label: &str, context: Value) -> anyhow::Result<()> {
        let button = self.phrase(label, context);
        let line = self.phrase("sim_presses", json!({"name": who, "button": button}));
        writeln!(self.out, "   ▸ {line}")?;
        Ok(())
    }

    /// `who` types `text` in their private chat with the bot.
    pub(super) fn types(&mut self, who: &str, text: &str) -> anyhow::Result<()> {
        let line = self.phrase("sim_types", json!({"name": who, "text": text}));
        writeln!(self.out, "   ▸ {line}")?;
        Ok(())
    }

    fn heading(&mut self, to: &str, edit: bool) -> anyhow::Result<()> {
        let when = crate::templates::Templates::instant_text(
            self.now(),
            self.app.config.calendar.tz,
            self.lang,
        );
        let key = if edit { "sim_edit" } else { "sim_to" };
        let what = self.phrase(key, json!({"name": to}));
        writeln!(self.out, "── {when} · {what}")?;
        Ok(())
    }
}
