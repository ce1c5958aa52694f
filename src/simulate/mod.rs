//! A rehearsal of the whole SOP: one batch on a fresh temporary database
//! with a virtual clock, the real workflow, store, templates, outbox,
//! scheduler and email composer, and staff played by a script. One step is
//! deliberately late, so an overdue alert and a reminder happen. Telegram
//! messages are printed as a transcript; emails are written as `.eml`
//! files. Needs no token, no network and no mail server.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use crate::app::{App, Via};
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::domain::Lang;
use crate::mail::compose::Composer;
use crate::mail::delivery::EmailDelivery;
use crate::mail::transport::Mailer;
use crate::notify::Channel;
use crate::outbox::Progress;
use crate::store::Store;
use crate::workflow::{Actor, Command};

mod script;

/// What a rehearsal produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub telegram_messages: usize,
    pub emails: usize,
    pub overdue_alerts: usize,
}

const NAMES: [&str; 10] = [
    "Ni Komang Ayu Widyastuti",
    "Ma'ruf Amin",
    "Dwi Ayu Lestari Siregar",
    "Bagus Setiawan",
    "Yohana Fransiska Manurung",
    "I Gede Agus Pranata",
    "Siti Nurhaliza Lubis",
    "Rizky Aditya Nugroho",
    "Fransiskus Xaverius Tanoto",
    "Putri Ayu Lestari",
];

struct Rehearsal<'a> {
    app: App,
    clock: Arc<ManualClock>,
    out: &'a mut dyn Write,
    mail: EmailDelivery,
    summary: Summary,
}

/// Runs the rehearsal: `participants` of whom `bk` are BK, emails into `mail_dir`.
///
/// # Errors
/// When the temporary database or the mail folder cannot be written.
pub async fn run(
    participants: usize,
    bk: usize,
    mail_dir: &Path,
    lang: Lang,
    out: &mut dyn Write,
) -> anyhow::Result<Summary> {
    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("sertibot.toml");
    let mail_dir = std::path::absolute(mail_dir)?;
    std::fs::write(
        &config_path,
        format!(
            "language = \"{}\"\n[lsp]\nname = \"LSP P1 Politeknik STMI Jakarta\"\naddress = \"Jl. Letjen Suprapto No. 26, Jakarta Pusat\"\nemail = \"lsp@stmi.example.ac.id\"\n[database]\npath = \"rehearsal.db\"\n[mail]\nfrom = \"LSP P1 Politeknik STMI Jakarta <lsp@stmi.example.ac.id>\"\neml_dir = {:?}\n",
            lang.code(),
            mail_dir.display().to_string()
        ),
    )?;
    let config = Config::load(Some(&config_path), |_| None)?;
    // Monday 23 November 2026, 08:00 WIB.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap(),
    ));
    let app = App::open(config, clock.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mailer, from) = Mailer::from_config(&app.config.mail)?;
    let composer = Composer {
        templates: app.templates.clone(),
        lang,
        from,
        reply_to: app.config.lsp.email.parse().ok(),
    };
    let mail = EmailDelivery::new(app.store.clone(), mailer, composer, clock.clone());
    let mut r = Rehearsal {
        app,
        clock,
        out,
        mail,
        summary: Summary::default(),
    };
    r.script(participants.max(1), bk.min(participants.max(1)))
        .await?;
    Ok(r.summary)
}

impl Rehearsal<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock `minutes` of working time on, firing what falls due.
    async fn wait(&mut self, minutes: i64) -> anyhow::Result<()> {
        let target = self.app.config.calendar.add_minutes(self.now(), minutes);
        // Step through the alerts that fall due on the way, one by one.
        while let Some(next) = self
            .app
            .next_scheduled()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            if next > target {
                break;
            }
            self.clock.set(next.max(self.now()));
            self.pump().await?;
        }
        self.clock.set(target.max(self.now()));
        self.pump().await
    }

    async fn act(&mut self, who: &Actor, commands: Vec<Command>) -> anyhow::Result<()> {
        let batch = crate::domain::BatchId(1);
        self.app
            .act(batch, who, &commands, Via::Simulation)
            .await
            .map_err(|e| anyhow::anyhow!("{}", self.app.explain(&e, Lang::En)))?;
        self.pump().await
    }

    /// Fires due timers and alerts, prints queued Telegram messages, writes emails.
    async fn pump(&mut self) -> anyhow::Result<()> {
        let app = &self.app;
        app.fire_due_timers()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        app.fire_due_alerts()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = self.now();
        let mut conn = app.store.pool().acquire().await?;
        let rows = Store::due_messages(
            &mut conn,
            Channel::Telegram,
            app.store.instance(),
            now,
            10_000,
        )
        .await?;
        let members = Store::members(&mut conn).await?;
        for row in rows {
            let to = row
                .member_id
                .and_then(|id| members.iter().find(|m| m.id.0 == id))
                .map_or_else(|| "group".to_string(), |m| m.name.clone());
            let lang = app.config.language;
            // Rendered exactly as the delivery worker renders it.
            let rendered = row
                .message()
                .map_err(|e| e.to_string())
                .and_then(|message| {
                    crate::telegram::keyboards::render(&app.templates, lang, &message)
                });
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
            let when = crate::templates::Templates::instant_text(now, app.config.calendar.tz, lang);
            let action = if row.edit_of.is_some() {
                "edits the message for"
            } else {
                "to"
            };
            writeln!(self.out, "── {when} · Telegram {action} {to}")?;
            for line in text.lines() {
                writeln!(self.out, "   {line}")?;
            }
            if !buttons.is_empty() {
                writeln!(self.out, "   {}", buttons.join(" "))?;
            }
            if matches!(row.message(), Ok(crate::notify::Message::StepOverdue(_))) {
                self.summary.overdue_alerts += 1;
            }
            Store::mark_sent(&mut conn, row.id, now).await?;
            self.summary.telegram_messages += 1;
        }
        drop(conn);
        loop {
            match self.mail.process_next().await? {
                Progress::Sent(_) => self.summary.emails += 1,
                Progress::Idle(_) => break,
                Progress::Deferred(key) | Progress::Failed(key) => {
                    writeln!(self.out, "   (email {key} was not written)")?;
                    break;
                }
            }
        }
        Ok(())
    }
}
