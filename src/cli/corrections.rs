//! `sertibot batch correct-result`, `correct-decree` and `cancel`: the
//! corrections of a batch, each with a reason, the command line acting for
//! the member who made it (`--by`) or, for a cancellation, the operator.

use std::process::ExitCode;

use serde_json::json;

use super::voice::Voice;
use super::{BatchCommand, Failure};
use crate::app::{App, Via};
use crate::domain::{BatchId, Competence, MemberId};
use crate::workflow::{Actor, Command, Decision, Decree, Effect};

pub async fn run(app: &App, voice: &Voice, command: BatchCommand) -> Result<ExitCode, Failure> {
    match command {
        BatchCommand::CorrectResult {
            batch,
            participant,
            result,
            reason,
            by,
        } => correct_result(app, voice, batch, &participant, result, &reason, by).await,
        BatchCommand::CorrectDecree {
            batch,
            number,
            date,
            reason,
            by,
        } => {
            let decree = Decree { number, date };
            act_as(
                app,
                voice,
                batch,
                by,
                Command::CorrectDecree { decree, reason },
            )
            .await?;
            voice.say("cli_decree_corrected", json!({"batch": batch.0}));
            Ok(ExitCode::SUCCESS)
        }
        BatchCommand::Cancel { batch, reason } => {
            let command = Command::CancelBatch { reason };
            app.act(batch, &Actor::Operator, &[command], Via::Cli)
                .await
                .map_err(|e| voice.explain(app, &e))?;
            voice.say("cli_batch_cancelled", json!({"batch": batch.0}));
            Ok(ExitCode::SUCCESS)
        }
        _ => unreachable!("batch::run handles the other commands"),
    }
}

/// Runs `command` on `batch` as the member `by` (the command line acting
/// for them, as the audit log records).
async fn act_as(
    app: &App,
    voice: &Voice,
    batch: BatchId,
    by: MemberId,
    command: Command,
) -> Result<Vec<Decision>, Failure> {
    let explain = |e| voice.explain(app, &e);
    let actor = app.member_actor(by).await.map_err(explain)?;
    app.act(batch, &actor, &[command], Via::Cli)
        .await
        .map_err(explain)
}

/// `batch correct-result`: a participant's K/BK corrected, with a reason.
async fn correct_result(
    app: &App,
    voice: &Voice,
    batch: BatchId,
    participant: &str,
    result: Competence,
    reason: &str,
    by: MemberId,
) -> Result<ExitCode, Failure> {
    let p = app
        .find_participant(batch, participant)
        .await
        .map_err(|e| voice.explain(app, &e))?;
    let command = Command::CorrectResult {
        participant: p.id,
        result,
        reason: reason.to_string(),
    };
    let decisions = act_as(app, voice, batch, by, command).await?;
    let context = json!({"name": p.name, "result": result.code()});
    if decisions.iter().all(|d| d.events.is_empty()) {
        voice.say("cli_result_already", context);
        return Ok(ExitCode::SUCCESS);
    }
    voice.say("cli_result_corrected", context.clone());
    let told = decisions
        .iter()
        .flat_map(|d| &d.effects)
        .any(|e| matches!(e, Effect::ResultCorrection { .. }));
    if told {
        voice.say("cli_result_told", context);
    }
    Ok(ExitCode::SUCCESS)
}
