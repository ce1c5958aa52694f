//! `sertibot participant …`: correct a participant's name, email or
//! registration number, or remove one before the batch starts. Each is in
//! the audit log with its reason.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{Failure, ParticipantCommand};
use crate::app::{App, ParticipantChange, Via};
use crate::workflow::Actor;

pub async fn run(app: &App, command: ParticipantCommand) -> Result<ExitCode, Failure> {
    let voice = Voice::of(app);
    let explain = |e| voice.explain(app, &e);
    match command {
        ParticipantCommand::Correct {
            batch,
            participant,
            name,
            email,
            registration_no,
            resend,
            reason,
        } => {
            let change = ParticipantChange {
                name,
                email,
                registration_no,
                resend,
            };
            let done = app
                .correct_participant(
                    batch,
                    &participant,
                    &change,
                    &reason,
                    &Actor::Operator,
                    Via::Cli,
                )
                .await
                .map_err(explain)?;
            let fields = if done.fields.is_empty() {
                voice.line("cli_nothing_changed", json!({}))
            } else {
                let words: Vec<String> = done
                    .fields
                    .iter()
                    .map(|f| voice.line("cli_field", json!({"f": f})))
                    .collect();
                words.join(", ")
            };
            let context = json!({"name": done.name, "batch": batch.0, "fields": fields});
            voice.say("cli_participant_corrected", context);
            if done.redirected > 0 {
                voice.say("cli_redirected", json!({"count": done.redirected}));
            }
            if done.resent > 0 {
                voice.say("cli_resent", json!({"count": done.resent}));
            }
            Ok(ExitCode::SUCCESS)
        }
        ParticipantCommand::Remove {
            batch,
            participant,
            reason,
        } => {
            let name = app
                .remove_participant(batch, &participant, &reason, &Actor::Operator, Via::Cli)
                .await
                .map_err(explain)?;
            voice.say(
                "cli_participant_removed",
                json!({"name": name, "batch": batch.0}),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
