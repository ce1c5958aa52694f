//! The command line in the operator's language before anything else runs:
//! `--help` of every command and clap's own usage errors, in Indonesian
//! where the config says `language = "id"` (the default), from
//! `message-templates/id/cli.toml`. The English texts are the doc comments
//! clap reads from `Cli`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::builder::{Arg, ArgAction, Command};
use clap::error::{ContextKind, ErrorKind};
use serde::Deserialize;

use crate::domain::Lang;

/// The Indonesian texts, embedded.
const CLI_ID: &str = include_str!("../../message-templates/id/cli.toml");

/// Most bytes of a config read to learn its language.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// `message-templates/id/cli.toml`.
#[derive(Debug, Deserialize)]
struct Texts {
    pemakaian: String,
    judul_pilihan: String,
    judul_argumen: String,
    judul_perintah: String,
    bantuan: String,
    versi: String,
    bawaan: String,
    /// Each command's about, by its path ("sertibot batch import").
    perintah: BTreeMap<String, String>,
    /// Each argument's help, by "path/id", or by its id alone.
    pilihan: BTreeMap<String, String>,
    /// Placeholders in Indonesian ("FILE" → "BERKAS").
    nama_nilai: BTreeMap<String, String>,
    /// clap's usage errors, worded.
    galat: BTreeMap<String, String>,
}

fn texts() -> Texts {
    // The embedded file is checked by a test; it cannot fail at run time.
    toml::from_str(CLI_ID).unwrap_or_else(|e| panic!("message-templates/id/cli.toml: {e}"))
}

/// The language the command line speaks: the config's `language`, read
/// from `--config FILE` or `sertibot.toml` in this folder, else Indonesian
/// (the default). A config that cannot be read speaks Indonesian here;
/// the command then says what is wrong with it.
pub fn language_of(args: &[String]) -> Lang {
    let mut config = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            config = rest.next().map(PathBuf::from);
        } else if let Some(path) = arg.strip_prefix("--config=") {
            config = Some(PathBuf::from(path));
        }
    }
    let path = config.unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_CONFIG_FILE));
    read_language(&path).unwrap_or(Lang::Id)
}

fn read_language(path: &Path) -> Option<Lang> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_CONFIG_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    match value.get("language")?.as_str()? {
        "en" => Some(Lang::En),
        _ => Some(Lang::Id),
    }
}

/// The command line as clap reads it, its help in `lang`.
pub fn command(lang: Lang) -> Command {
    let command = <super::Cli as clap::CommandFactory>::command();
    match lang {
        Lang::En => command,
        Lang::Id => localize(command, "sertibot", &texts()),
    }
}

/// One command and its subcommands in Indonesian: about, each argument's
/// help and placeholder, the headings, the usage line, and a help and
/// version flag of its own (clap's say "Print help").
fn localize(command: Command, path: &str, texts: &Texts) -> Command {
    let about = texts.perintah.get(path).cloned();
    let positionals: Vec<String> = command
        .get_arguments()
        .filter(|a| a.is_positional())
        .map(|a| {
            let name = placeholder(a, texts);
            if a.is_required_set() {
                format!(" <{name}>")
            } else {
                format!(" [{name}]")
            }
        })
        .collect();
    let has_subcommands = command.has_subcommands();
    let usage = format!(
        "{path} [{}]{}{}",
        texts.judul_pilihan.to_uppercase(),
        positionals.concat(),
        if has_subcommands {
            format!(" <{}>", texts.judul_perintah.to_uppercase())
        } else {
            String::new()
        }
    );
    let mut command = command
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading(texts.judul_perintah.clone())
        .subcommand_value_name(texts.judul_perintah.to_uppercase())
        .override_usage(usage)
        .help_template(format!(
            "{{about-with-newline}}\n{}: {{usage}}\n\n{{all-args}}{{after-help}}",
            texts.pemakaian
        ))
        .mut_args(|arg| localize_arg(arg, path, texts))
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(texts.bantuan.clone())
                .help_heading(texts.judul_pilihan.clone()),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(texts.versi.clone())
                .help_heading(texts.judul_pilihan.clone()),
        );
    if let Some(about) = about {
        // The derived long text (from a doc comment of several lines) is English.
        command = command.about(about).long_about(None);
    }
    command.mut_subcommands(|sub| {
        let sub_path = format!("{path} {}", sub.get_name());
        localize(sub, &sub_path, texts)
    })
}

fn localize_arg(arg: Arg, path: &str, texts: &Texts) -> Arg {
    let id = arg.get_id().as_str().to_string();
    let mut help = texts
        .pilihan
        .get(&format!("{path}/{id}"))
        .or_else(|| texts.pilihan.get(&id))
        .cloned()
        .unwrap_or_else(|| arg.get_help().map(ToString::to_string).unwrap_or_default());
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && !help.contains(&texts.bawaan) {
        help = format!("{help} [{}: {}]", texts.bawaan, defaults.join(", "));
    }
    let heading = if arg.is_positional() {
        &texts.judul_argumen
    } else {
        &texts.judul_pilihan
    };
    let name = placeholder(&arg, texts);
    let takes_value = arg.get_action().takes_values();
    let mut arg = arg.help(help).help_heading(heading.clone());
    if takes_value {
        // The default is in the help text already, in Indonesian.
        arg = arg.value_name(name).hide_default_value(true);
    }
    arg
}

/// An argument's placeholder in Indonesian.
fn placeholder(arg: &Arg, texts: &Texts) -> String {
    let english = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
    texts.nama_nilai.get(&english).cloned().unwrap_or(english)
}

/// clap's usage error in Indonesian: one sentence and where to look, or
/// `None` for help and version (printed as they are).
pub fn usage_error(error: &clap::Error, args: &[String]) -> Option<String> {
    let texts = texts();
    let context = |kind| error.get(kind).map(ToString::to_string).unwrap_or_default();
    let worded = |key: &str| texts.galat.get(key).cloned().unwrap_or_default();
    let arg = context(ContextKind::InvalidArg);
    let sentence = match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return None,
        ErrorKind::UnknownArgument => worded("pilihan_tidak_dikenal").replace("{arg}", &arg),
        ErrorKind::InvalidSubcommand => worded("perintah_tidak_dikenal")
            .replace("{arg}", &context(ContextKind::InvalidSubcommand)),
        ErrorKind::MissingRequiredArgument => worded("kurang").replace("{arg}", &arg),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            worded("perintah_kurang")
        }
        ErrorKind::ArgumentConflict => worded("bertentangan")
            .replace("{arg}", &arg)
            .replace("{other}", &context(ContextKind::PriorArg)),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = context(ContextKind::InvalidValue);
            worded("nilai_salah")
                .replace("{value}", &value)
                .replace("{arg}", &arg)
                .replace("{why}", &why(&arg, &value, &texts))
        }
        _ => worded("umum"),
    };
    let path = command_path(&command(Lang::Id), args);
    Some(format!(
        "{sentence} {}",
        worded("lihat").replace("{command}", &path)
    ))
}

/// Why a value was refused, from what the argument takes.
fn why(arg: &str, value: &str, texts: &Texts) -> String {
    let key = if ["--from", "--to", "--assessed-on", "--date"]
        .iter()
        .any(|a| arg.starts_with(a))
    {
        match crate::dates::read_date(value) {
            Err(crate::dates::DateProblem::NoSuchDay) => "tanggal_tidak_ada",
            _ => "bukan_tanggal",
        }
    } else if arg.starts_with("--role") || arg.contains("PERAN") {
        "bukan_peran"
    } else if arg.starts_with("--lang") {
        "bukan_bahasa"
    } else if arg.contains("HASIL") {
        "bukan_hasil"
    } else {
        "bukan_nomor"
    };
    texts.galat.get(key).cloned().unwrap_or_default()
}

/// The subcommands named in `args`, as a path ("sertibot batch import").
fn command_path(root: &Command, args: &[String]) -> String {
    let mut path = vec![root.get_name().to_string()];
    let mut current = root;
    for arg in args {
        match current.find_subcommand(arg) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                current = sub;
            }
            None if arg.starts_with('-') => {}
            None => break,
        }
    }
    path.join(" ")
}

#[cfg(test)]
mod tests;
