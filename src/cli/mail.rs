//! `sertibot mail test ADDRESS`: one test message through the configured
//! transport, and what the server said.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use super::voice::Voice;
use super::{Failure, MailCommand};
use crate::config::Config;
use crate::mail::compose::Composer;
use crate::mail::transport::{Mailer, SendError};

pub async fn run(config: &Config, command: MailCommand) -> Result<ExitCode, Failure> {
    let MailCommand::Test { address } = command;
    let (mailer, from) = Mailer::from_config(&config.mail).map_err(|e| Failure(e.to_string()))?;
    let templates = Arc::new(config.templates().map_err(|e| Failure(e.to_string()))?);
    let voice = Voice::new(templates.clone(), config.language);
    let composer = Composer {
        templates,
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
            &[],
        )
        .map_err(|e| Failure(e.0))?;
    match mailer.send(&message, &key).await {
        Ok(response) => {
            let context = json!({
                "address": address.trim(),
                "via": voice.mailer(&mailer),
                "response": response,
            });
            voice.say("cli_mail_sent", context);
            Ok(ExitCode::SUCCESS)
        }
        Err(SendError::Temporary(why)) => {
            Err(voice.fail("cli_mail_temporary", json!({"why": why})))
        }
        Err(SendError::Permanent(why)) => {
            Err(voice.fail("cli_mail_permanent", json!({"why": why})))
        }
    }
}
