//! Telegram through teloxide: the bot's handlers ([`mod@bot`]), group
//! chats ([`groups`]), its buttons ([`callback`], [`keyboards`]),
//! conversations ([`conversation`]), the durable inbox's intake by long
//! polling or webhook ([`intake`]), the
//! outbox delivery worker ([`delivery`]) and Telegram's HTML ([`html`]);
//! here, the client and registration links.

pub mod bot;
pub mod callback;
pub mod conversation;
pub mod delivery;
pub mod groups;
pub mod html;
pub mod intake;
pub mod keyboards;

use secrecy::ExposeSecret;
use teloxide::prelude::*;

use crate::config::TelegramConfig;

/// Why the bot's username could not be learned.
#[derive(Debug, thiserror::Error)]
pub enum UsernameError {
    #[error(
        "cannot build the registration link: set telegram.bot_username in the config, or TELOXIDE_TOKEN so sertibot can ask Telegram for it"
    )]
    NotConfigured,
    #[error("TELOXIDE_API_URL '{0}' is not a URL")]
    BadApiUrl(String),
    #[error("cannot ask Telegram for the bot's username (getMe): {0}")]
    Request(String),
    #[error("Telegram says this bot has no username; set telegram.bot_username in the config")]
    NoUsername,
}

/// A bot client for the configured token and API URL.
///
/// # Errors
/// When no token is set or the API URL is not a URL.
pub fn bot(config: &TelegramConfig) -> Result<Bot, UsernameError> {
    let token = config.token.as_ref().ok_or(UsernameError::NotConfigured)?;
    let mut bot = Bot::new(token.expose_secret());
    if let Some(url) = &config.api_url {
        let parsed = reqwest_url(url).ok_or_else(|| UsernameError::BadApiUrl(url.clone()))?;
        bot = bot.set_api_url(parsed);
    }
    Ok(bot)
}

fn reqwest_url(text: &str) -> Option<url::Url> {
    url::Url::parse(text.trim_end_matches('/')).ok()
}

/// The bot's username: from the config, else from Telegram's getMe.
///
/// # Errors
/// [`UsernameError`]; its text never holds the token.
pub async fn bot_username(config: &TelegramConfig) -> Result<String, UsernameError> {
    if let Some(name) = &config.bot_username {
        return Ok(name.clone());
    }
    let bot = bot(config)?;
    let me = bot.get_me().await.map_err(|e| {
        let token = config
            .token
            .as_ref()
            .map(|t| t.expose_secret().to_string())
            .unwrap_or_default();
        UsernameError::Request(redact(&e.to_string(), &token))
    })?;
    me.user.username.clone().ok_or(UsernameError::NoUsername)
}

/// Removes the bot token from a text (it sits in every Bot API URL).
pub fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "<token>")
    }
}

/// The registration link a member opens in Telegram.
pub fn registration_link(bot_username: &str, token: &str) -> String {
    format!("https://t.me/{bot_username}?start={token}")
}
