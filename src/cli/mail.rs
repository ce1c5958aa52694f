//! `sertibot mail test ADDRESS`: one test message through the configured
//! transport, and what the server said.

use std::process::ExitCode;
use std::sync::Arc;

use super::{Failure, MailCommand};
use crate::config::Config;
use crate::mail::compose::Composer;
use crate::mail::transport::{Mailer, SendError};

pub async fn run(config: &Config, command: MailCommand) -> Result<ExitCode, Failure> {
    let MailCommand::Test { address } = command;
    let (mailer, from) = Mailer::from_config(&config.mail).map_err(|e| Failure(e.to_string()))?;
    let templates = config.templates().map_err(|e| Failure(e.to_string()))?;
    let composer = Composer {
        templates: Arc::new(templates),
        lang: config.language,
        from,
        reply_to: config.lsp.email.parse().ok(),
        // No database here: a test message's identifiers are its own.
        installation: format!("{:032x}", rand::random::<u128>()),
    };
    let key = format!("mail-test:{}", chrono::Utc::now().timestamp_millis());
    let message = composer
        .build(
            &crate::notify::Message::MailTest(Default::default()),
            &key,
            address.trim(),
            None,
        )
        .map_err(|e| Failure(e.0))?;
    match mailer.send(&message, &key).await {
        Ok(response) => {
            println!(
                "Sent a test message to {} through {}.",
                address.trim(),
                mailer.describe()
            );
            println!("The server said: {response}");
            Ok(ExitCode::SUCCESS)
        }
        Err(SendError::Temporary(why)) => Err(Failure(format!(
            "the test message was not sent (a temporary failure; try again): {why}"
        ))),
        Err(SendError::Permanent(why)) => Err(Failure(format!(
            "the server refused the test message: {why}"
        ))),
    }
}
