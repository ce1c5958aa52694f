//! The operator's command line: one file per command group. Output is
//! English; errors are one sentence on standard error and a non-zero exit.

mod audit;
mod backup;
mod batch;
mod check;
mod corrections;
mod format;
mod init;
mod mail;
mod member;
mod participant;
mod report;
mod run;
mod status;
mod voice;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::app::{App, AppError};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::{BatchId, Lang, MemberId, Role};

/// Runs an LSP's SOP "Penerbitan Sertifikat": Telegram tasks for staff,
/// deadlines on a working calendar, participant email, SQLite records.
#[derive(Debug, Parser)]
#[command(name = "sertibot", version, propagate_version = true)]
pub struct Cli {
    /// The config file [default: sertibot.toml in this folder, if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented example config (sertibot.toml, or the --config path)
    Init {
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Staff: add members and print their registration links
    #[command(subcommand)]
    Member(MemberCommand),
    /// Batches of assessed participants
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Correct or remove a batch's participant
    #[command(subcommand)]
    Participant(ParticipantCommand),
    /// Email: send a test message with the configured transport
    #[command(subcommand)]
    Mail(MailCommand),
    /// Rehearse one whole batch on a temporary database with a virtual clock:
    /// prints the Telegram messages, writes the emails as .eml files
    Simulate {
        /// How many participants
        #[arg(long, default_value_t = 5)]
        participants: usize,
        /// How many of them are BK (belum kompeten)
        #[arg(long, default_value_t = 2)]
        bk: usize,
        /// Where the emails go
        #[arg(long, value_name = "DIR", default_value = "simulation-mail")]
        out: PathBuf,
        /// id or en (default: the config's language, else id)
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
    },
    /// Copy the database to a new file while the service runs, and check the copy
    Backup {
        /// The new file (it must not exist)
        file: PathBuf,
    },
    /// Put a backup in place of the database (refused while the service
    /// runs); the database it replaces is kept beside it
    Restore {
        /// The backup file, as `sertibot backup` made it
        file: PathBuf,
    },
    /// The performance report for Ketua LSP over a period: a workbook with
    /// charts and a PDF (share within standard time by step and month,
    /// lateness, time to acknowledge, lead time per batch)
    Report {
        /// The first day, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        from: NaiveDate,
        /// The last day, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        to: NaiveDate,
        /// The files' name without extension (FILE.xlsx and FILE.pdf are written, new files)
        /// [default: laporan-FROM-TO]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Records past their retention period (`records.retain_years`)
    #[command(subcommand)]
    Records(RecordsCommand),
    /// The audit log: check its hash chain
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the config, the procedure file, the templates and the database
    Check {
        /// Exit non-zero on warnings too (settings left at the example's or unset)
        #[arg(long)]
        strict: bool,
    },
    /// Run the service until SIGINT or SIGTERM
    Run,
}

#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// List the participants of batches that ended more than
    /// `records.retain_years` ago, then erase their personal data
    Purge {
        /// Only list them; erase nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain and name the first row that was
    /// edited, deleted, inserted or moved; exits non-zero when it breaks
    Verify {
        /// A head an export or backup recorded earlier: it must still be in the chain
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a staff member and print their one-time registration link
    Add {
        /// The member's name as colleagues know it
        #[arg(long)]
        name: String,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis (repeatable)
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<Role>,
        /// For the meeting's calendar invitation and when Telegram cannot reach them
        #[arg(long)]
        email: Option<String>,
    },
    /// List members, their roles and whether they have registered
    List,
    /// Issue a new registration link for a member (earlier unused links stop working)
    Link {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Deactivate a member who left: their access ends at once (audited)
    Deactivate {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Reactivate a deactivated member (audited)
    Reactivate {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Give a member a role or take one away (audited)
    #[command(subcommand)]
    Role(RoleCommand),
    /// Change a member's email address (for the calendar entry and when Telegram cannot reach them)
    Email {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// The new address
        email: Option<String>,
        /// Remove the address instead
        #[arg(long, conflicts_with = "email")]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give a member a role
    Add {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis
        role: Role,
    },
    /// Take a role away from a member (they keep at least one)
    Remove {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test message and print what the server said
    Test {
        /// Where to send it
        address: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Create a batch; prints its id alone on the last line
    Create {
        /// The certification scheme (skema sertifikasi)
        #[arg(long)]
        scheme: String,
        /// The day of the assessment, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        assessed_on: NaiveDate,
        /// Where the assessment was held (TUK)
        #[arg(long)]
        place: Option<String>,
    },
    /// Import participants from CSV (name,email,registration_no; "," or ";"): all rows or none
    Import {
        /// The batch's id
        batch: BatchId,
        /// The CSV file (UTF-8)
        file: PathBuf,
    },
    /// Start the SOP for a batch: step 1's people get their task
    Start {
        /// The batch's id
        batch: BatchId,
    },
    /// Show each step: state, who acknowledged, started, due, done
    Status {
        /// The batch's id
        batch: BatchId,
    },
    /// List batches, newest first
    List,
    /// Correct a participant's K/BK result, for the member who decided it
    /// (after the decree only Ketua LSP; the participant is emailed)
    CorrectResult {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// K or BK
        result: crate::domain::Competence,
        /// Why (recorded in the audit log; told to the participant after the decree)
        #[arg(long)]
        reason: String,
        /// The id of the member making the correction, as `member list` shows it
        #[arg(long, value_name = "MEMBER")]
        by: MemberId,
    },
    /// Correct the decree's number or date (Ketua LSP), with a reason
    CorrectDecree {
        /// The batch's id
        batch: BatchId,
        /// The decree's number
        #[arg(long)]
        number: String,
        /// The decree's date, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        date: NaiveDate,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
        /// The id of the member (Ketua LSP) making the correction
        #[arg(long, value_name = "MEMBER")]
        by: MemberId,
    },
    /// Cancel a batch with a reason: those with an open task are told, nothing more is sent
    Cancel {
        /// The batch's id
        batch: BatchId,
        /// Why (recorded in the audit log and told to staff)
        #[arg(long)]
        reason: String,
    },
    /// Write every document the batch has so far (PDF, XLSX, ZIP) into a
    /// folder: letters get their numbers, each issue is in the audit log
    Documents {
        /// The batch's id
        batch: BatchId,
        /// The folder to write into (made if missing; files are the owner's alone)
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Write the batch's evidence for a BNSP audit as one ZIP: a workbook of
    /// every record, every document, and a manifest with each file's SHA-256
    /// and the audit chain's head (marked interim while the batch runs)
    Export {
        /// The batch's id
        batch: BatchId,
        /// The ZIP to write (a new file) [default: batch-N-bukti.zip]
        #[arg(long, value_name = "FILE.zip")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Correct a participant's name, email or registration number (audited)
    Correct {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// The corrected name
        #[arg(long)]
        name: Option<String>,
        /// The corrected email address (emails still waiting go there)
        #[arg(long)]
        email: Option<String>,
        /// The corrected registration number
        #[arg(long)]
        registration_no: Option<String>,
        /// Send again, to the new address, the emails that went to the old one
        #[arg(long)]
        resend: bool,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Find participants by name, email or registration number: their ids
    Find {
        /// Part of a name, an email address or a registration number
        text: String,
    },
    /// Everything held about a participant (their right of access under
    /// UU 27/2022): JSON on standard output, or a file (.json or .pdf)
    Show {
        /// The participant's id, as `participant find` shows it
        id: i64,
        /// Write it to this new file instead: .json, or .pdf on the letterhead
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase a participant's personal data (name, email, NIK, birth data,
    /// phone): a tombstone stays in their place, their email files are
    /// deleted, the erasure is audited
    Erase {
        /// The participant's id, as `participant find` shows it
        id: i64,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
        /// Erase even though their batch is still running
        #[arg(long)]
        force: bool,
    },
    /// Remove a participant from a batch that has not started (audited)
    Remove {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    match text {
        "id" => Ok(Lang::Id),
        "en" => Ok(Lang::En),
        other => Err(format!("'{other}' is not a language: use id or en")),
    }
}

/// A command's failure, already worded for the operator.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: Into<AppError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure(plain(&error.into()))
    }
}

/// The sentence for an error where no templates are at hand.
fn plain(error: &AppError) -> String {
    match error {
        AppError::Unexpected(e) => format!("{e:#}"),
        AppError::Refused(r) => {
            crate::templates::Templates::embedded(Default::default(), chrono_tz::Asia::Jakarta)
                .refusal(Lang::En, r)
        }
        other => other.to_string(),
    }
}

/// Runs one command line.
///
/// # Errors
/// A [`Failure`] with the sentence to show.
pub async fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    if let Command::Init { force } = &cli.command {
        // The language of a config already there, else the example's (Indonesian).
        let lang = Config::load(cli.config.as_deref(), env)
            .map(|c| c.language)
            .unwrap_or_default();
        return init::run(cli.config.as_deref(), *force, &voice::Voice::embedded(lang));
    }
    if let Command::Simulate {
        participants,
        bk,
        out,
        lang,
    } = &cli.command
    {
        // The operator's config, when there is one: the rehearsal uses its
        // LSP facts, templates, procedure file and calendar.
        let operators = cli.config.is_some() || std::path::Path::new("sertibot.toml").exists();
        let config = if operators {
            Some(Config::load(cli.config.as_deref(), env).map_err(|e| Failure(e.to_string()))?)
        } else {
            None
        };
        let lang = lang
            .or(config.as_ref().map(|c| c.language))
            .unwrap_or_default();
        let voice = voice::Voice::embedded(lang);
        let max = crate::simulate::MAX_PARTICIPANTS;
        if !(1..=max).contains(participants) {
            let context = serde_json::json!({"max": max, "n": participants});
            return Err(voice.fail("cli_simulate_participants", context));
        }
        if *bk > *participants {
            let context = serde_json::json!({"bk": bk, "n": participants});
            return Err(voice.fail("cli_simulate_bk", context));
        }
        let mut stdout = std::io::stdout();
        let options = crate::simulate::Options {
            participants: *participants,
            bk: *bk,
            mail_dir: out.clone(),
            lang: Some(lang),
        };
        crate::simulate::run(config, options, &mut stdout)
            .await
            .map_err(|e| Failure(format!("{e:#}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = Config::load(cli.config.as_deref(), env).map_err(|e| Failure(e.to_string()))?;
    match cli.command {
        Command::Init { .. } | Command::Simulate { .. } => unreachable!("handled above"),
        Command::Check { strict } => check::run(config, strict).await,
        Command::Mail(c) => mail::run(&config, c).await,
        Command::Restore { file } => backup::restore(&config, &file).await,
        command => {
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let database = config.database.clone();
            let app = App::open(config, clock).await?;
            let store = app.store.clone();
            let result = match command {
                Command::Member(c) => member::run(&app, c).await,
                Command::Batch(c) => batch::run(&app, c).await,
                Command::Participant(c) => participant::run(&app, c).await,
                Command::Audit(c) => audit::run(&app, c).await,
                Command::Records(RecordsCommand::Purge { dry_run }) => {
                    participant::purge(&app, dry_run).await
                }
                Command::Backup { file } => backup::backup(&app, &file).await,
                Command::Report { from, to, out } => report::run(&app, from, to, out).await,
                Command::Run => run::run(app).await,
                Command::Init { .. }
                | Command::Check { .. }
                | Command::Restore { .. }
                | Command::Mail(_)
                | Command::Simulate { .. } => {
                    unreachable!("handled above")
                }
            };
            store.close().await;
            if result.is_ok() {
                // A running service looks at the database at once.
                crate::wake::poke(&database);
            }
            result
        }
    }
}
