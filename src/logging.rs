//! Logging to standard error with secrets removed. The bot token sits in
//! every Bot API URL, and libraries below us may log such URLs in their
//! errors, so every line is scrubbed of every registered secret before it
//! is written, whatever logged it.

use std::io::Write;
use std::sync::RwLock;

use tracing_subscriber::fmt::MakeWriter;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret (a token, a password) that must never be logged.
pub fn hide(secret: &str) {
    if secret.len() < 4 {
        return; // too short to hide without blanking ordinary words
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
    }
}

/// `text` with every registered secret replaced by `<hidden>`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "<hidden>"))
}

/// Standard error, scrubbed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubbedStderr;

/// One write to standard error, scrubbed.
pub struct ScrubbedWriter;

impl Write for ScrubbedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for ScrubbedStderr {
    type Writer = ScrubbedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedWriter
    }
}

/// Sets up logging: `RUST_LOG` if set, else `default_level`.
pub fn init(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(ScrubbedStderr)
        .with_env_filter(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_never_pass() {
        hide("123456:AAE-very-secret");
        let line = "error sending request for url (https://api.telegram.org/bot123456:AAE-very-secret/GetMe)";
        assert_eq!(
            redact(line),
            "error sending request for url (https://api.telegram.org/bot<hidden>/GetMe)"
        );
    }
}
