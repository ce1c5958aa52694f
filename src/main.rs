//! The `sertibot` binary: parses the command line, sets up logging and hands
//! over to the library.

use std::process::ExitCode;

use sertibot::cli::{Cli, Command, execute};

fn main() -> ExitCode {
    // A typesetting worker started by this program (see documents::sandbox):
    // nothing else of the command line, the runtime or the log.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(sertibot::documents::sandbox::WORKER_ARG) {
        return sertibot::documents::sandbox::serve(&args[1..]);
    }
    // Every file this process creates holds personal data or secrets, or
    // may: the database and its logs, email files, the config.
    sertibot::files::private_by_default();
    // Help and usage errors in the config's language (Indonesian unless
    // it says "en").
    let lang = sertibot::cli::help::language_of(&args);
    let cli = match sertibot::cli::help::command(lang)
        .try_get_matches()
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(error) => match (lang, sertibot::cli::help::usage_error(&error, &args)) {
            (sertibot::domain::Lang::Id, Some(sentence)) => {
                eprintln!("galat: {sentence}");
                return ExitCode::from(2);
            }
            _ => error.exit(),
        },
    };
    // A failure's sentence is in the configured language, and so is the
    // word before it.
    let prefix = match lang {
        sertibot::domain::Lang::Id => "galat",
        sertibot::domain::Lang::En => "error",
    };
    let default_level = if matches!(cli.command, Command::Run) {
        "info"
    } else {
        "warn"
    };
    sertibot::logging::init(default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{prefix}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{prefix}: {}", sertibot::logging::redact(&failure.0));
            ExitCode::FAILURE
        }
    }
}
