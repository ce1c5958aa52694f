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

/// How often the same failure of a background loop is logged again.
pub const REPEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The failures of one background loop, logged so that an error repeated
/// many times a second (a full disk) is one line per [`REPEAT_EVERY`] with
/// how often it happened, not a line per attempt. It also says how long the
/// loop should pause before its next attempt: one second, doubling to a
/// minute while the failures go on.
#[derive(Debug)]
pub struct FailureLog {
    /// What the loop does, for the log line ("firing timers").
    what: &'static str,
    /// The last failure logged, when, and how often it came since.
    last: Option<(String, std::time::Instant, u64)>,
    /// Failures in a row, for the pause.
    in_a_row: u32,
}

impl FailureLog {
    pub fn new(what: &'static str) -> FailureLog {
        FailureLog {
            what,
            last: None,
            in_a_row: 0,
        }
    }

    /// Records a failure (logging it unless it repeats one logged within
    /// [`REPEAT_EVERY`]); returns how long to pause before trying again.
    pub fn failed(&mut self, error: &str) -> std::time::Duration {
        let error = crate::limits::clip(&redact(error), crate::limits::MAX_LOGGED_ERROR);
        let now = std::time::Instant::now();
        match &mut self.last {
            Some((last, at, repeats))
                if *last == error && now.duration_since(*at) < REPEAT_EVERY =>
            {
                *repeats += 1;
            }
            _ => {
                let repeats = self.last.as_ref().map_or(0, |(_, _, n)| *n);
                tracing::error!(task = self.what, error = %error, repeated_before = repeats, "a background task failed");
                self.last = Some((error, now, 0));
            }
        }
        self.in_a_row = self.in_a_row.saturating_add(1);
        std::time::Duration::from_secs(1 << self.in_a_row.min(7).saturating_sub(1))
            .min(std::time::Duration::from_secs(60))
    }

    /// The loop's work succeeded: a run of failures is over (said once).
    pub fn recovered(&mut self) {
        if let Some((_, _, repeats)) = self.last.take() {
            tracing::info!(
                task = self.what,
                repeated = repeats,
                "a background task works again"
            );
        }
        self.in_a_row = 0;
    }
}

/// The longest log line written; a longer one (an error quoting a huge
/// answer) is cut, saying how long it was.
pub const MAX_LINE: usize = 64 * 1024;

/// A log line as written: secrets hidden, at most [`MAX_LINE`] bytes.
fn scrub(buf: &[u8]) -> String {
    let text = redact(&String::from_utf8_lossy(buf));
    if text.len() <= MAX_LINE {
        return text;
    }
    let mut line = crate::limits::clip(text.trim_end(), MAX_LINE - 1);
    line.push('\n');
    line
}

/// Standard error, scrubbed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubbedStderr;

/// One write to standard error, scrubbed.
pub struct ScrubbedWriter;

impl Write for ScrubbedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write_all(scrub(buf).as_bytes())?;
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
    fn a_repeated_failure_pauses_longer_each_time_up_to_a_minute() {
        let mut log = FailureLog::new("test");
        let pauses: Vec<u64> = (0..10).map(|_| log.failed("disk full").as_secs()).collect();
        assert_eq!(pauses, vec![1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(log.last.as_ref().map(|(_, _, n)| *n), Some(9));
        log.recovered();
        assert_eq!(log.failed("disk full").as_secs(), 1);
    }

    #[test]
    fn a_huge_line_is_cut_to_the_limit() {
        let line = format!("WARN error={}\n", "x".repeat(10 * MAX_LINE));
        let written = scrub(line.as_bytes());
        assert!(written.len() <= MAX_LINE, "{}", written.len());
        assert!(written.ends_with("bytes cut)\n"));
        assert_eq!(scrub(b"pendek\n"), "pendek\n");
    }

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
