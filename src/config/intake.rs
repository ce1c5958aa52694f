//! How Telegram's updates reach sertibot: long polling (the default, for
//! a machine without a public address) or a webhook behind HTTPS (for
//! production: Telegram posts each update to the LSP's address, a reverse
//! proxy passes it to sertibot's local listener).

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::ConfigError;
use super::raw::RawTelegram;

/// Where the webhook listens when `telegram.webhook.listen` is not set: this
/// machine only, behind the reverse proxy.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "127.0.0.1:8443";

/// How updates reach sertibot.
#[derive(Debug, Clone)]
pub enum IntakeMode {
    /// sertibot asks Telegram for updates (getUpdates), each request
    /// waiting up to `timeout` for the first.
    Polling { timeout: Duration },
    /// Telegram posts updates to the public URL.
    Webhook(WebhookConfig),
}

/// The webhook's settings, checked.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The local address sertibot's HTTP server listens on.
    pub listen: SocketAddr,
    /// The public HTTPS URL Telegram posts to; sertibot serves its path.
    pub url: url::Url,
    /// The secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`
    /// (`SERTIBOT_WEBHOOK_SECRET` overrides the file).
    pub secret: SecretString,
}

impl IntakeMode {
    /// The secret a log line must never show, in webhook mode.
    pub fn secret(&self) -> Option<&str> {
        match self {
            IntakeMode::Polling { .. } => None,
            IntakeMode::Webhook(webhook) => Some(webhook.secret.expose_secret()),
        }
    }
}

/// The intake from `[telegram]`: `mode` ("polling" or "webhook") and, for
/// a webhook, `[telegram.webhook]` with `url`, `listen` and `secret`.
pub(super) fn read_intake(
    raw: &RawTelegram,
    env_secret: Option<String>,
) -> Result<IntakeMode, ConfigError> {
    let invalid = |m: String| Err(ConfigError::Invalid(m));
    let mode = raw.mode.as_deref().map(str::trim).unwrap_or("polling");
    match mode {
        "polling" => Ok(IntakeMode::Polling {
            timeout: Duration::from_secs(raw.poll_timeout_secs.unwrap_or(30).clamp(1, 50)),
        }),
        "webhook" => {
            let webhook = raw.webhook.clone().unwrap_or_default();
            let Some(url) = webhook.url.filter(|u| !u.trim().is_empty()) else {
                return invalid(
                    "telegram.mode is \"webhook\" but telegram.webhook.url is not set: give the public https:// address Telegram should post updates to".into(),
                );
            };
            let url = match url::Url::parse(url.trim()) {
                Ok(u) if u.scheme() == "https" && u.host().is_some() => u,
                Ok(_) => {
                    return invalid(format!(
                        "telegram.webhook.url '{url}' must be an https:// address (Telegram posts updates only over HTTPS)"
                    ));
                }
                Err(e) => {
                    return invalid(format!("telegram.webhook.url '{url}' is not a URL: {e}"));
                }
            };
            let listen_text = webhook
                .listen
                .unwrap_or_else(|| DEFAULT_WEBHOOK_LISTEN.to_string());
            let Ok(listen) = listen_text.trim().parse::<SocketAddr>() else {
                return invalid(format!(
                    "telegram.webhook.listen '{listen_text}' is not an address and port such as \"127.0.0.1:8443\""
                ));
            };
            let Some(secret) = env_secret.or(webhook.secret) else {
                return invalid(
                    "telegram.mode is \"webhook\" but no secret is set: set SERTIBOT_WEBHOOK_SECRET (or telegram.webhook.secret) to 32–256 letters, digits, _ or - (`sertibot init` writes a fresh one into a new config)".into(),
                );
            };
            check_secret(&secret)?;
            Ok(IntakeMode::Webhook(WebhookConfig {
                listen,
                url,
                secret: SecretString::from(secret),
            }))
        }
        other => invalid(format!(
            "telegram.mode '{other}' is not known: use \"polling\" or \"webhook\""
        )),
    }
}

/// The fewest characters a webhook secret may have: the secret is all that
/// tells Telegram's posts from anyone's, so it must not be guessable.
pub const MIN_SECRET_LEN: usize = 32;

/// A webhook secret: 32–256 of A–Z, a–z, 0–9, `_` and `-` (Telegram allows
/// 1–256 of them; fewer than 32 can be guessed).
fn check_secret(secret: &str) -> Result<(), ConfigError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if secret.len() < MIN_SECRET_LEN || secret.len() > 256 || !secret.chars().all(allowed) {
        // The secret itself is never quoted.
        return Err(ConfigError::Invalid(format!(
            "the webhook secret must be {MIN_SECRET_LEN}–256 letters, digits, _ or - (the one set is not; `sertibot init` writes a fresh one into a new config)"
        )));
    }
    Ok(())
}

/// A fresh webhook secret: 48 random letters and digits.
pub fn fresh_secret() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect()
}

impl WebhookConfig {
    /// Whether the listener can be reached from other machines (any
    /// address but this machine's own): Telegram should reach it only
    /// through a reverse proxy with HTTPS.
    pub fn listens_publicly(&self) -> bool {
        !self.listen.ip().is_loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::RawWebhook;

    fn webhook(url: Option<&str>, listen: Option<&str>, secret: Option<&str>) -> RawTelegram {
        RawTelegram {
            mode: Some("webhook".into()),
            webhook: Some(RawWebhook {
                url: url.map(Into::into),
                listen: listen.map(Into::into),
                secret: secret.map(Into::into),
            }),
            ..RawTelegram::default()
        }
    }

    fn refusal(raw: &RawTelegram, env: Option<&str>) -> String {
        read_intake(raw, env.map(Into::into))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn polling_is_the_default_and_its_timeout_is_kept_within_bounds() {
        let raw = RawTelegram {
            poll_timeout_secs: Some(500),
            ..RawTelegram::default()
        };
        assert!(matches!(
            read_intake(&raw, None).unwrap(),
            IntakeMode::Polling { timeout } if timeout == Duration::from_secs(50)
        ));
    }

    #[test]
    fn a_webhook_is_read_with_its_default_listen_address_and_the_environments_secret() {
        let raw = webhook(
            Some("https://lsp.example.ac.id/tg/hook"),
            None,
            Some("file-secret-file-secret-file-secret"),
        );
        let env = "env-secret_1-env-secret_1-env-secret_1";
        let IntakeMode::Webhook(w) = read_intake(&raw, Some(env.into())).unwrap() else {
            panic!("not a webhook")
        };
        assert_eq!(w.listen.to_string(), DEFAULT_WEBHOOK_LISTEN);
        assert!(!w.listens_publicly());
        assert_eq!(w.url.path(), "/tg/hook");
        assert_eq!(w.secret.expose_secret(), env);
    }

    #[test]
    fn a_webhook_without_what_it_needs_is_refused_in_one_sentence() {
        let url = Some("https://lsp.example.ac.id/hook");
        assert!(refusal(&webhook(None, None, Some("s")), None).contains("webhook.url is not set"));
        assert!(
            refusal(
                &webhook(Some("http://lsp.example.ac.id/hook"), None, Some("s")),
                None
            )
            .contains("must be an https://")
        );
        assert!(refusal(&webhook(url, Some("8443"), Some("s")), None).contains("listen '8443'"));
        assert!(refusal(&webhook(url, None, None), None).contains("SERTIBOT_WEBHOOK_SECRET"));
        let bad = refusal(&webhook(url, None, Some("has space")), None);
        assert!(
            bad.contains("32–256 letters") && !bad.contains("has space"),
            "{bad}"
        );
        assert!(refusal(&webhook(url, None, Some(&"a".repeat(257))), None).contains("32–256"));
        let short = refusal(&webhook(url, None, Some("abc")), None);
        assert!(
            short.contains("32–256") && !short.contains("abc"),
            "{short}"
        );
        assert!(read_intake(&webhook(url, None, Some(&"a".repeat(31))), None).is_err());
        let fresh = fresh_secret();
        assert!(read_intake(&webhook(url, None, Some(&fresh)), None).is_ok());
        assert_ne!(fresh, fresh_secret());
        let IntakeMode::Webhook(public) =
            read_intake(&webhook(url, Some("0.0.0.0:8443"), Some(&fresh)), None).unwrap()
        else {
            panic!("not a webhook")
        };
        assert!(public.listens_publicly());
        let unknown = RawTelegram {
            mode: Some("push".into()),
            ..RawTelegram::default()
        };
        assert!(refusal(&unknown, None).contains("'push' is not known"));
    }
}
