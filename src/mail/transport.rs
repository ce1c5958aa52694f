//! Where mail goes: an SMTP server (lettre, async, rustls, pooled, with
//! timeouts), or, when none is configured, `.eml` files in a folder so a
//! new user sees real messages without a mail server.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::MailConfig;

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A mail setting that cannot be used, in one sentence (never the password).
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error(
        "the SMTP setting (mail.smtp_url or SERTIBOT_SMTP_URL) is not a valid SMTP URL such as smtps://user:password@mail.example.ac.id:465"
    )]
    BadUrl,
    #[error(
        "plain SMTP without TLS to {0} is refused: use smtps://, or add ?tls=required, or set mail.allow_plain = true for a trusted relay"
    )]
    PlainRefused(String),
    #[error(
        "the sender (mail.from or SERTIBOT_MAIL_FROM) is needed to send through an SMTP server"
    )]
    NoSender,
    #[error("the sender '{0}' is not an address such as \"LSP STMI <lsp@example.ac.id>\"")]
    BadSender(String),
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: connection refused, 4xx, timeout.
    Temporary(String),
    /// The server refused for good (5xx): the address or the message is wrong.
    Permanent(String),
}

/// The configured transport.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        host: String,
    },
    Folder(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { host, .. } => write!(f, "Mailer::Smtp({host})"),
            Mailer::Folder(dir) => write!(f, "Mailer::Folder({})", dir.display()),
        }
    }
}

impl Mailer {
    /// The transport and the sender the config describes.
    ///
    /// # Errors
    /// [`MailSetupError`]; its text never holds the password.
    pub fn from_config(config: &MailConfig) -> Result<(Mailer, Mailbox), MailSetupError> {
        let sender = |fallback: Option<&str>| -> Result<Mailbox, MailSetupError> {
            let text = config
                .from
                .as_deref()
                .or(fallback)
                .ok_or(MailSetupError::NoSender)?;
            text.parse::<Mailbox>()
                .map_err(|_| MailSetupError::BadSender(text.to_string()))
        };
        let Some(url) = &config.smtp_url else {
            let from = sender(Some("sertibot <sertibot@localhost>"))?;
            return Ok((Mailer::Folder(config.eml_dir.clone()), from));
        };
        let url = url.expose_secret();
        let parsed = url::Url::parse(url).map_err(|_| MailSetupError::BadUrl)?;
        let host = parsed.host_str().ok_or(MailSetupError::BadUrl)?.to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let plain = parsed.scheme() == "smtp" && tls.as_deref().is_none_or(|t| t == "none");
        let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        if plain && !local && !config.allow_plain {
            return Err(MailSetupError::PlainRefused(host));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| MailSetupError::BadUrl)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok((Mailer::Smtp { transport, host }, sender(None)?))
    }

    /// Where mail goes, for the log and `sertibot check`.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { host, .. } => format!("SMTP server {host}"),
            Mailer::Folder(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends one message; `name` names its `.eml` file in folder mode.
    /// Returns what the server said.
    ///
    /// # Errors
    /// [`SendError`], temporary or permanent.
    pub async fn send(&self, message: &Message, name: &str) -> Result<String, SendError> {
        match self {
            Mailer::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) if e.is_permanent() => {
                    Err(SendError::Permanent(crate::logging::redact(&e.to_string())))
                }
                Err(e) => Err(SendError::Temporary(crate::logging::redact(&e.to_string()))),
            },
            Mailer::Folder(dir) => {
                let path = dir.join(eml_file_name(name));
                // Participants' names, emails and results: the owner's alone.
                let bytes = message.formatted();
                let (dir, file) = (dir.clone(), path.clone());
                let write = async move {
                    tokio::task::spawn_blocking(move || {
                        crate::files::create_private_dir(&dir)?;
                        crate::files::write_private(&file, &bytes)
                    })
                    .await
                    .map_err(std::io::Error::other)?
                };
                write
                    .await
                    .map(|()| format!("written to {}", path.display()))
                    .map_err(|e| {
                        SendError::Temporary(format!("cannot write {}: {e}", path.display()))
                    })
            }
        }
    }
}

/// The `.eml` file an outbox row's email is written to in folder mode:
/// its key, with anything but letters, digits and `-` as `_`.
pub fn eml_file_name(key: &str) -> String {
    let file: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{file}.eml")
}
