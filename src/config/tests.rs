use super::*;
use crate::workflow::CalendarMode;

fn no_env(_: &str) -> Option<String> {
    None
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("sertibot.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_example_config_is_valid_and_gives_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), EXAMPLE_CONFIG);
    let config = Config::load(Some(&path), no_env).unwrap();
    assert_eq!(config.language, Lang::Id);
    assert_eq!(config.database, dir.path().join("sertibot.db"));
    assert_eq!(config.calendar.tz, chrono_tz::Asia::Jakarta);
    assert!(matches!(config.calendar.mode, CalendarMode::Working(_)));
    assert_eq!(config.link_valid, chrono::Duration::hours(72));
    config.procedure().unwrap();
    config.templates().unwrap();
}

/// The Indonesian example holds the same settings, set and commented
/// out, as the English one: only the words around them differ.
#[test]
fn both_examples_hold_the_same_settings() {
    let parsed = |text: &str| toml::from_str::<toml::Table>(text).unwrap();
    assert_eq!(parsed(EXAMPLE_CONFIG_ID), parsed(EXAMPLE_CONFIG));
    // A commented-out setting is a line that reads as TOML without its '#'.
    let commented = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                (l.starts_with('[') && l.ends_with(']'))
                    || (l.contains(" = ") && toml::from_str::<toml::Table>(l).is_ok())
            })
            .map(String::from)
            .collect()
    };
    assert_eq!(commented(EXAMPLE_CONFIG_ID), commented(EXAMPLE_CONFIG));
    assert!(commented(EXAMPLE_CONFIG).len() > 20);
    // And its words are Indonesian.
    assert!(EXAMPLE_CONFIG_ID.starts_with("# Konfigurasi sertibot."));
    assert!(!EXAMPLE_CONFIG_ID.contains("Every setting"));
}

#[test]
fn the_environment_overrides_the_file_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "[telegram]\ntoken = \"111:file-token\"\n");
    let config = Config::load(Some(&path), |name| match name {
        "TELOXIDE_TOKEN" => Some("222:env-token-secret".into()),
        "SERTIBOT_SMTP_URL" => Some("smtps://lsp:s3cr3t-pass@mail.example.ac.id:465".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        config.telegram.token.as_ref().unwrap().expose_secret(),
        "222:env-token-secret"
    );
    let shown = format!("{config:?}");
    assert!(!shown.contains("env-token-secret"), "{shown}");
    assert!(!shown.contains("s3cr3t-pass"), "{shown}");
}

#[test]
fn bad_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        (
            "[calendar]\ntimezone = \"Jakarta\"\n",
            "calendar.timezone 'Jakarta'",
        ),
        (
            "[calendar]\nmode = \"sometimes\"\n",
            "calendar.mode 'sometimes'",
        ),
        (
            "[calendar]\nopens = \"8 pagi\"\n",
            "calendar.opens '8 pagi'",
        ),
        (
            "[schedule]\ndigest = \"30 7 * * 1-5\"\n",
            "schedule.digest '30 7 * * 1-5'",
        ),
        (
            "[telegram]\nbot_usernam = \"x\"\n",
            "line 2: unknown field `bot_usernam`",
        ),
        (
            "[mail]\nsmtp_url = \"ftp://user:hunter2@x\"\n",
            "not a valid SMTP URL",
        ),
        (
            "[registration]\nlink_valid_hours = 0\n",
            "link_valid_hours must be between",
        ),
    ] {
        let path = write(dir.path(), text);
        let err = Config::load(Some(&path), no_env).unwrap_err().to_string();
        assert!(err.contains(expected), "expected '{expected}' in: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
    let err = Config::load(Some(&dir.path().join("missing.toml")), no_env).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot read the config file"),
        "{err}"
    );
}
