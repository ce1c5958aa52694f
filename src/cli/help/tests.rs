//! The command line's Indonesian help and usage errors.

use super::*;

/// Both languages' command lines pass clap's own checks of every
/// command (which a run meets only on the path it takes).
#[test]
fn both_command_lines_are_well_formed() {
    command(Lang::Id).debug_assert();
    command(Lang::En).debug_assert();
}

/// Every command and every option of the command line has its
/// Indonesian text, and the file names nothing that is not there.
#[test]
fn every_command_and_option_is_worded_in_indonesian() {
    let texts = texts();
    let mut missing = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    fn walk(
        command: &Command,
        path: &str,
        texts: &Texts,
        missing: &mut Vec<String>,
        seen: &mut std::collections::BTreeSet<String>,
    ) {
        seen.insert(path.to_string());
        if !texts.perintah.contains_key(path) {
            missing.push(path.to_string());
        }
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let own = format!("{path}/{id}");
            seen.insert(own.clone());
            if !texts.pilihan.contains_key(&own) && !texts.pilihan.contains_key(id) {
                missing.push(own);
            }
        }
        for sub in command.get_subcommands() {
            walk(
                sub,
                &format!("{path} {}", sub.get_name()),
                texts,
                missing,
                seen,
            );
        }
    }
    let english = <super::super::Cli as clap::CommandFactory>::command();
    walk(&english, "sertibot", &texts, &mut missing, &mut seen);
    assert!(missing.is_empty(), "no Indonesian text for {missing:?}");
    let ids: std::collections::BTreeSet<&str> = seen
        .iter()
        .filter_map(|s| s.rsplit_once('/').map(|(_, id)| id))
        .collect();
    for key in texts.perintah.keys().chain(texts.pilihan.keys()) {
        assert!(
            seen.contains(key) || ids.contains(key.as_str()),
            "cli.toml names '{key}', which the command line does not have"
        );
    }
}

/// The help a command prints in Indonesian has no clap English left.
#[test]
fn help_reads_in_indonesian() {
    let mut command = command(Lang::Id);
    let mut out = Vec::new();
    for path in [
        vec![],
        vec!["batch", "import"],
        vec!["simulate"],
        vec!["report"],
    ] {
        let mut args = vec!["sertibot".to_string()];
        args.extend(path.iter().map(|s| (*s).to_string()));
        args.push("--help".into());
        let error = command.try_get_matches_from_mut(&args).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::DisplayHelp);
        out.push(error.render().to_string());
    }
    let help = out.join("\n");
    for english in [
        "Usage",
        "Options",
        "Arguments",
        "Commands",
        "Print help",
        "default:",
        "[OPTIONS]",
        "The batch's id",
    ] {
        assert!(!help.contains(english), "'{english}' in:\n{help}");
    }
    for indonesian in [
        "Pemakaian: sertibot batch import [PILIHAN] <BATCH> <BERKAS>",
        "Berkas CSV (UTF-8)",
        "Tampilkan bantuan ini",
        "[bawaan: 5]",
        "Perintah:",
    ] {
        assert!(
            help.contains(indonesian),
            "'{indonesian}' missing in:\n{help}"
        );
    }
}

/// clap's usage errors become one Indonesian sentence naming where to look.
#[test]
fn usage_errors_are_worded_in_indonesian() {
    let said = |args: &[&str]| {
        let args: Vec<String> = std::iter::once("sertibot")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let error = command(Lang::Id).try_get_matches_from(&args).unwrap_err();
        usage_error(&error, &args[1..]).unwrap()
    };
    assert_eq!(
        said(&["batch", "status", "--bogus"]),
        "Pilihan --bogus tidak dikenal. Lihat: sertibot batch status --help"
    );
    assert_eq!(
        said(&["batch", "import", "x", "f.csv"]),
        "Nilai 'x' untuk <BATCH> tidak dapat dipakai: tulis nomor bulat positif. Lihat: sertibot batch import --help"
    );
    assert_eq!(
        said(&["report", "--from", "31-02-2026", "--to", "2026-03-01"]),
        "Nilai '31-02-2026' untuk --from <TTTT-BB-HH> tidak dapat dipakai: tanggal itu tidak ada di kalender (periksa hari dan bulannya). Lihat: sertibot report --help"
    );
    assert!(said(&["member", "add", "--name", "A", "--role", "bos"]).contains("bukan peran"),);
    assert!(said(&["bacth"]).starts_with("Perintah bacth tidak dikenal."));
    assert!(said(&["report", "--from", "2026-01-01"]).starts_with("Kurang: --to <TTTT-BB-HH>."));
}
