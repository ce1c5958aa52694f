//! The operator's command line: one file per command group. Output is
//! in the configured language (see `voice`); errors are one sentence on
//! standard error and a non-zero exit.

/// `println!` for the command line's output: a reader that stopped reading
/// (`sertibot batch status 1 | head -1`) ends the command quietly, where
/// `println!` would panic on the broken pipe.
macro_rules! say {
    () => {
        $crate::cli::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}

mod args;
mod audit;
mod backup;
mod batch;
mod check;
mod corrections;
mod db;
mod format;
pub mod help;
mod init;
mod mail;
mod member;
mod output;
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
use crate::domain::Lang;
pub use args::*;

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
        /// id or en: the language of its comments and of sertibot's messages
        /// (default: the language of a config already there, else id)
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
    },
    /// Staff: add members and print their registration links
    #[command(subcommand)]
    Member(MemberCommand),
    /// Batches of assessed participants
    #[command(subcommand)]
    Batch(BatchCommand),
    /// A participant: correct or remove one; find, show or erase one (their rights under UU 27/2022)
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
    /// The database: copy it to PostgreSQL
    #[command(subcommand)]
    Db(DbCommand),
    /// Check the config, the procedure file, the templates and the database
    Check {
        /// Exit non-zero on warnings too (settings left at the example's or unset)
        #[arg(long)]
        strict: bool,
    },
    /// Run the service until SIGINT or SIGTERM
    Run,
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

/// `simulate`: a rehearsal of a whole batch of `participants` (`bk` of
/// them belum kompeten), on the operator's config when there is one.
async fn simulate(
    config_file: Option<&std::path::Path>,
    (participants, bk): (usize, usize),
    out: std::path::PathBuf,
    lang: Option<crate::domain::Lang>,
) -> Result<ExitCode, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    // The operator's config, when there is one: the rehearsal uses its
    // LSP facts, templates, procedure file and calendar.
    let operators = config_file.is_some() || std::path::Path::new("sertibot.toml").exists();
    let config = if operators {
        Some(Config::load(config_file, env).map_err(|e| Failure(e.to_string()))?)
    } else {
        None
    };
    let lang = lang
        .or(config.as_ref().map(|c| c.language))
        .unwrap_or_default();
    let voice = voice::Voice::embedded(lang);
    let max = crate::simulate::MAX_PARTICIPANTS;
    if !(1..=max).contains(&participants) {
        let context = serde_json::json!({"max": max, "n": participants});
        return Err(voice.fail("cli_simulate_participants", context));
    }
    if bk > participants {
        let context = serde_json::json!({"bk": bk, "n": participants});
        return Err(voice.fail("cli_simulate_bk", context));
    }
    let mut stdout = std::io::stdout();
    let options = crate::simulate::Options {
        participants,
        bk,
        mail_dir: out,
        lang: Some(lang),
    };
    crate::simulate::run(config, options, &mut stdout)
        .await
        .map_err(|e| Failure(format!("{e:#}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The commands that work on the database through the application: it
/// is opened (never created where nothing is set up), the command run,
/// and a running service woken to look at what it changed.
async fn on_database(config: Config, command: Command) -> Result<ExitCode, Failure> {
    // Listening for SIGTERM before the database opens: a stop asked
    // for at any moment of the start is kept.
    let shutdown = match command {
        Command::Run => Some(run::Shutdown::listen()?),
        _ => None,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let database = config.database.clone();
    let voice = voice::Voice::embedded(config.language);
    // Nothing set up here (no config file, no database): said, and
    // nothing is created.
    // (Settings from the environment alone count as a setup.)
    let from_environment = crate::config::ENVIRONMENT_SETTINGS
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    if config.source.is_none() && !from_environment && !database.exists() {
        let context = serde_json::json!({
            "config": crate::config::DEFAULT_CONFIG_FILE,
            "database": database.display().to_string(),
        });
        return Err(voice.fail("cli_nothing_set_up", context));
    }
    let app = App::open(config, clock).await.map_err(|e| match e {
        AppError::Procedure(e) => Failure(voice.procedure_error(&e)),
        e => Failure::from(e),
    })?;
    let store = app.store.clone();
    let result = match command {
        Command::Member(c) => member::run(&app, c).await,
        Command::Batch(c) => batch::run(&app, c).await,
        Command::Participant(c) => participant::run(&app, c).await,
        Command::Records(RecordsCommand::Purge { dry_run }) => {
            participant::purge(&app, dry_run).await
        }
        Command::Backup { file } => backup::backup(&app, &file).await,
        Command::Report { from, to, out } => report::run(&app, from, to, out).await,
        Command::Run => match shutdown {
            Some(shutdown) => run::run(app, shutdown).await,
            None => unreachable!("listened for above"),
        },
        Command::Init { .. }
        | Command::Check { .. }
        | Command::Restore { .. }
        | Command::Audit(_)
        | Command::Db(_)
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

/// Runs one command line.
///
/// # Errors
/// A [`Failure`] with the sentence to show.
pub async fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    if let Command::Init { force, lang } = &cli.command {
        // As asked, else the language of a config already there, else the
        // example's (Indonesian).
        let lang = lang.unwrap_or_else(|| {
            Config::load(cli.config.as_deref(), env)
                .map(|c| c.language)
                .unwrap_or_default()
        });
        return init::run(cli.config.as_deref(), *force, &voice::Voice::embedded(lang));
    }
    if let Command::Simulate {
        participants,
        bk,
        out,
        lang,
    } = &cli.command
    {
        return simulate(
            cli.config.as_deref(),
            (*participants, *bk),
            out.clone(),
            *lang,
        )
        .await;
    }
    let config = Config::load(cli.config.as_deref(), env).map_err(|e| Failure(e.to_string()))?;
    match cli.command {
        Command::Init { .. } | Command::Simulate { .. } => unreachable!("handled above"),
        Command::Check { strict } => check::run(config, strict).await,
        Command::Mail(c) => mail::run(&config, c).await,
        Command::Restore { file } => backup::restore(&config, &file).await,
        Command::Audit(c) => audit::run(&config, c).await,
        Command::Db(c) => db::run(&config, c).await,
        command => on_database(config, command).await,
    }
}
