//! `sertibot participant …`: correct a participant's name, email or
//! registration number, or remove one before the batch starts. Each is in
//! the audit log with its reason.

use std::process::ExitCode;

use super::{Failure, ParticipantCommand};
use crate::app::{App, ParticipantChange, Via};
use crate::domain::Lang;
use crate::workflow::Actor;

pub async fn run(app: &App, command: ParticipantCommand) -> Result<ExitCode, Failure> {
    let explain = |e| Failure(app.explain(&e, Lang::En));
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
                "nothing changed".to_string()
            } else {
                done.fields.join(", ").replace('_', " ")
            };
            println!("Corrected {} in batch {batch}: {fields}.", done.name);
            if done.redirected > 0 {
                println!(
                    "{} email(s) not yet delivered now go to the new address.",
                    done.redirected
                );
            }
            if done.resent > 0 {
                println!(
                    "{} email(s) sent to the old address are queued again to the new one.",
                    done.resent
                );
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
            println!("Removed {name} from batch {batch}.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
