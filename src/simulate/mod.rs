//! A rehearsal of the whole SOP: one batch on a fresh temporary database
//! with a virtual clock, the real workflow, store, templates, outbox,
//! scheduler and email composer, and staff played by a script. One step is
//! deliberately late, so an overdue alert and a reminder happen. Telegram
//! messages are printed as a transcript; emails are written as `.eml`
//! files. Needs no token, no network and no mail server.

use std::io::Write;
use std::path::{Path, PathBuf};
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
use serde_json::json;

mod dialogue;
mod handover;
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

/// The most participants a rehearsal plays.
pub const MAX_PARTICIPANTS: usize = 200;

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many participants (1 to [`MAX_PARTICIPANTS`]).
    pub participants: usize,
    /// How many of them are BK.
    pub bk: usize,
    /// Where the emails are written.
    pub mail_dir: PathBuf,
    /// The transcript's language; none: the config's.
    pub lang: Option<Lang>,
}

struct Rehearsal<'a> {
    app: App,
    clock: Arc<ManualClock>,
    out: &'a mut dyn Write,
    mail: EmailDelivery,
    lang: Lang,
    summary: Summary,
    /// A weekly summary went out (else the clock is moved on to one).
    weekly_shown: bool,
}

/// Runs the rehearsal on `config` (the operator's, for its LSP facts,
/// templates, procedure and calendar; none: the defaults) with a temporary
/// database, emails written into the options' folder, and no network.
///
/// # Errors
/// When the temporary database or the mail folder cannot be written, or the
/// operator's procedure refuses a step of the script.
pub async fn run(
    config: Option<Config>,
    options: Options,
    out: &mut dyn Write,
) -> anyhow::Result<Summary> {
    let dir = tempfile::tempdir()?;
    let mail_dir = std::path::absolute(&options.mail_dir)?;
    let config = rehearsal_config(config, dir.path(), &mail_dir, options.lang)?;
    let lang = config.language;
    // Monday 23 November 2026, 08:00 WIB.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap(),
    ));
    let app = App::open(config, clock.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.ensure_digest_timers()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mailer, from) = Mailer::from_config(&app.config.mail)?;
    let composer = Composer {
        templates: app.templates.clone(),
        lang,
        from,
        reply_to: app.config.lsp.email.parse().ok(),
        installation: app.store.installation().to_string(),
    };
    let mail = EmailDelivery::new(app.store.clone(), mailer, composer, clock.clone())
        .with_documents(app.issuer());
    let mut r = Rehearsal {
        app,
        clock,
        out,
        mail,
        lang,
        summary: Summary::default(),
        weekly_shown: false,
    };
    let participants = options.participants.clamp(1, MAX_PARTICIPANTS);
    r.script(participants, options.bk.min(participants)).await?;
    r.frame(
        "sim_emails_in",
        serde_json::json!({"dir": options.mail_dir.display().to_string()}),
    )?;
    r.write_documents(&mail_dir).await?;
    Ok(r.summary)
}

/// The rehearsal's config: the operator's with a temporary database, no
/// SMTP server and the emails into `mail_dir`; or the defaults with an
/// example LSP.
fn rehearsal_config(
    operators: Option<Config>,
    dir: &Path,
    mail_dir: &Path,
    lang: Option<Lang>,
) -> anyhow::Result<Config> {
    let mut config = match operators {
        Some(config) => config,
        None => {
            let path = dir.join("sertibot.toml");
            std::fs::write(
                &path,
                "[lsp]\nname = \"LSP P1 Politeknik STMI Jakarta\"\naddress = \"Jl. Letjen Suprapto No. 26, Jakarta Pusat\"\nphone = \"(021) 4241234\"\nwebsite = \"lsp.stmi.example.ac.id\"\ncity = \"Jakarta\"\nemail = \"lsp@stmi.example.ac.id\"\n[mail]\nfrom = \"LSP P1 Politeknik STMI Jakarta <lsp@stmi.example.ac.id>\"\n",
            )?;
            Config::load(Some(&path), |_| None)?
        }
    };
    config.database = dir.join("rehearsal.db");
    // A rehearsal's database is thrown away: no copies of it anywhere.
    config.records.backup = None;
    config.mail.smtp_url = None;
    config.mail.eml_dir = mail_dir.to_path_buf();
    if config.mail.from.is_none() && !config.lsp.email.is_empty() {
        config.mail.from = Some(format!("{} <{}>", config.lsp.name, config.lsp.email));
    }
    config.telegram.token = None;
    if let Some(lang) = lang {
        config.language = lang;
    }
    Ok(config)
}

impl Rehearsal<'_> {
    /// Every document the batch made, written beside the emails (each
    /// kind the SOP produces, so a newcomer sees them at once).
    async fn write_documents(&mut self, dir: &Path) -> anyhow::Result<()> {
        let made = self
            .app
            .batch_documents(crate::domain::BatchId(1), Via::Simulation)
            .await
            .map_err(|e| anyhow::anyhow!("{}", self.app.explain(&e, Lang::En)))?;
        crate::files::create_private_dir(dir)?;
        for doc in &made {
            crate::files::write_private(&dir.join(&doc.file_name), &doc.bytes)?;
        }
        self.frame(
            "sim_documents_in",
            serde_json::json!({"count": made.len(), "dir": dir.display().to_string()}),
        )
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock `minutes` of working time on, firing what falls due.
    async fn wait(&mut self, minutes: i64) -> anyhow::Result<()> {
        let target = self.app.config.calendar.add_minutes(self.now(), minutes);
        self.wait_until(target).await
    }

    /// Moves the clock to `target`, firing what falls due on the way.
    async fn wait_until(&mut self, target: DateTime<Utc>) -> anyhow::Result<()> {
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
        app.fire_collect_reminders()
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
        let store = self.app.store.clone();
        for row in rows {
            let to = row
                .member_id
                .and_then(|id| members.iter().find(|m| m.id.0 == id))
                .map_or_else(|| self.phrase("sim_group", json!({})), |m| m.name.clone());
            match row.message() {
                Ok(message) => {
                    if matches!(message, crate::notify::Message::StepOverdue(_)) {
                        self.summary.overdue_alerts += 1;
                    }
                    self.show(&to, row.edit_of.is_some(), &message)?;
                }
                Err(why) => writeln!(self.out, "   ({why})")?,
            }
            // Written out here instead of sent: claimed and settled as a send is.
            let until = now + chrono::Duration::minutes(5);
            let claim = Store::claim_message(&mut conn, row.id, store.instance(), until, now)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("a rehearsal's message was claimed by another sender")
                })?;
            Store::mark_sent(&mut conn, claim, now).await?;
        }
        drop(conn);
        loop {
            match self.mail.process_next().await? {
                Progress::Sent(_) => self.summary.emails += 1,
                Progress::Idle(_) => break,
                Progress::Deferred(key) | Progress::Failed(key) => {
                    let line = self.phrase("sim_not_written", json!({"key": key}));
                    writeln!(self.out, "   {line}")?;
                    break;
                }
            }
        }
        Ok(())
    }
}
