//! The settings of the two channels sertibot speaks through: Telegram
//! (the bot, the Bot API, how updates arrive) and mail (the SMTP server
//! and the sender), each from the file with the environment over it.

use std::path::PathBuf;

use secrecy::SecretString;

use super::raw;
use super::{ConfigError, MailConfig, TelegramConfig, intake};

/// The Telegram settings: the file's, with the token, the Bot API's
/// address and the webhook's secret from the environment when set there.
pub(super) fn read_telegram(
    raw: raw::RawTelegram,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<TelegramConfig, ConfigError> {
    let bot_username = read_bot_username(raw.bot_username.clone())?;
    let intake = intake::read_intake(&raw, env("SERTIBOT_WEBHOOK_SECRET"))?;
    Ok(TelegramConfig {
        bot_username,
        token: env("TELOXIDE_TOKEN").or(raw.token).map(SecretString::from),
        api_url: env("TELOXIDE_API_URL").or(raw.api_url),
        intake,
    })
}

/// The mail settings: the file's, with the SMTP address (checked) and the
/// sender from the environment when set there; `resolve` places the
/// folder of written emails beside the config file.
pub(super) fn read_mail(
    raw: raw::RawMail,
    env: &impl Fn(&str) -> Option<String>,
    resolve: &impl Fn(PathBuf) -> PathBuf,
) -> Result<MailConfig, ConfigError> {
    let smtp_url = env("SERTIBOT_SMTP_URL").or(raw.smtp_url);
    if let Some(url) = &smtp_url {
        check_smtp_url(url)?;
    }
    Ok(MailConfig {
        smtp_url: smtp_url.map(SecretString::from),
        from: env("SERTIBOT_MAIL_FROM").or(raw.from),
        eml_dir: resolve(raw.eml_dir.unwrap_or_else(|| "outbox-mail".into())),
        allow_plain: raw.allow_plain.unwrap_or(false),
    })
}

/// The bot's username, without '@', checked.
fn read_bot_username(written: Option<String>) -> Result<Option<String>, ConfigError> {
    let bot_username = written
        .map(|u| u.trim().trim_start_matches('@').to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &bot_username
        && !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ConfigError::Invalid(format!(
            "telegram.bot_username '{u}' is not a Telegram username (letters, digits and _ only)"
        )));
    }
    Ok(bot_username)
}

/// Checks an SMTP URL the way the mail transport will read it, without
/// ever putting the URL (which may hold a password) into the message.
fn check_smtp_url(url: &str) -> Result<(), ConfigError> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|_| {
            ConfigError::Invalid(
                "the SMTP setting (mail.smtp_url or SERTIBOT_SMTP_URL) is not a valid SMTP URL such as smtps://user:password@mail.example.ac.id:465".into(),
            )
        })
}
