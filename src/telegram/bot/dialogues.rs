//! A typed answer in a conversation, by what the bot waits for (the
//! meeting's date, time and place, a reason, the decree, blank numbers, a
//! new batch's scheme, date and place).

use serde_json::json;

use crate::app::{AppError, Via};
use crate::domain::{BatchId, Competence, Member, TelegramUserId};
use crate::telegram::conversation::{
    Awaiting, local_instant, read_blank_numbers, read_date, read_time,
};
use crate::workflow::{Command, Decree, Meeting};

use super::*;

/// A typed answer in a conversation.
pub(super) async fn answer(
    ctx: &BotContext,
    chat: i64,
    user: TelegramUserId,
    member: &Member,
    awaiting: Awaiting,
    text: &str,
    update_id: i64,
) -> Result<(), AppError> {
    let key = |what: &str| format!("u{update_id}:{what}");
    let tz = ctx.app.config.calendar.tz;
    let next = |state: Awaiting| async move {
        let value = serde_json::to_value(&state).unwrap_or_default();
        ctx.app.set_conversation(user, chat, Some(&value)).await?;
        ctx.say_phrase(chat, Some(member), key("ask"), state.prompt(), json!({}))
            .await
    };
    let done = || async { ctx.app.set_conversation(user, chat, None).await };
    let act = |batch: BatchId, commands: Vec<Command>| async move {
        ctx.app
            .act(batch, &actor(member), &commands, Via::Telegram)
            .await
    };
    match awaiting {
        Awaiting::ProblemText { batch, step } => {
            let result = act(
                batch,
                vec![Command::ReportProblem {
                    step,
                    text: text.into(),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("problem"),
                result,
                "problem_sent",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::MeetingDate { batch, moving } => match read_date(text) {
            Some(date) => {
                next(Awaiting::MeetingTime {
                    batch,
                    date,
                    moving,
                })
                .await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::MeetingTime {
            batch,
            date,
            moving,
        } => match read_time(text).and_then(|t| local_instant(date, t, tz)) {
            Some(starts_at) => {
                next(Awaiting::MeetingPlace {
                    batch,
                    starts_at,
                    moving,
                })
                .await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_time", json!({}))
                    .await
            }
        },
        Awaiting::MeetingPlace {
            batch,
            starts_at,
            moving,
        } => {
            let meeting = Meeting {
                starts_at,
                place: text.into(),
            };
            let command = if moving {
                Command::RescheduleMeeting { meeting }
            } else {
                Command::SetMeeting { meeting }
            };
            let result = act(batch, vec![command]).await;
            let shown = json!({
                "starts_at": crate::templates::Templates::instant_text(starts_at, tz, ctx.lang),
                "place": text.trim(),
            });
            let refused = result.is_err();
            let phrase = if moving {
                "meeting_moved"
            } else {
                "meeting_set"
            };
            finish(ctx, chat, member, key("meeting"), result, phrase, shown).await?;
            if refused {
                next(Awaiting::MeetingDate { batch, moving }).await
            } else {
                done().await
            }
        }
        Awaiting::CancelReason { batch } => {
            let result = act(
                batch,
                vec![Command::CancelMeeting {
                    reason: text.into(),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("cancel"),
                result,
                "meeting_cancelled_ok",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::AbsenceReason { batch } => {
            let result = act(
                batch,
                vec![Command::Rsvp {
                    attend: false,
                    reason: Some(text.into()),
                }],
            )
            .await;
            finish(
                ctx,
                chat,
                member,
                key("rsvp"),
                result,
                "rsvp_absent",
                json!({}),
            )
            .await?;
            done().await
        }
        Awaiting::DecreeNumber { batch } => {
            next(Awaiting::DecreeDate {
                batch,
                number: text.trim().into(),
            })
            .await
        }
        Awaiting::DecreeDate { batch, number } => match read_date(text) {
            Some(date) => {
                let decree = Decree {
                    number: number.clone(),
                    date,
                };
                let result = act(batch, vec![Command::RecordDecree { decree }]).await;
                let shown = json!({"number": number, "date": date.format("%d-%m-%Y").to_string()});
                finish(
                    ctx,
                    chat,
                    member,
                    key("decree"),
                    result,
                    "decree_set",
                    shown,
                )
                .await?;
                done().await
            }
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::ResultsFile { .. } => {
            ctx.say_phrase(
                chat,
                Some(member),
                key("hint"),
                "results_file_hint",
                json!({}),
            )
            .await
        }
        Awaiting::ParticipantsFile { .. } => {
            ctx.say_phrase(
                chat,
                Some(member),
                key("hint"),
                "ask_participants_file",
                json!({}),
            )
            .await
        }
        Awaiting::NewBatchScheme => {
            let scheme = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if scheme.is_empty() || scheme.starts_with('/') {
                return ctx
                    .say_phrase(chat, Some(member), key("ask"), "ask_scheme", json!({}))
                    .await;
            }
            next(Awaiting::NewBatchDate { scheme }).await
        }
        Awaiting::NewBatchDate { scheme } => match read_date(text) {
            Some(date) if date > ctx.app.now().with_timezone(&tz).date_naive() => {
                ctx.say_phrase(chat, Some(member), key("bad"), "future_date", json!({}))
                    .await
            }
            Some(date) => next(Awaiting::NewBatchPlace { scheme, date }).await,
            None => {
                ctx.say_phrase(chat, Some(member), key("bad"), "bad_date", json!({}))
                    .await
            }
        },
        Awaiting::NewBatchPlace { scheme, date } => {
            let place = Some(text.trim()).filter(|p| !p.is_empty() && *p != "-");
            match ctx
                .app
                .create_batch(&scheme, date, place, &actor(member), Via::Telegram)
                .await
            {
                Ok(batch) => next(Awaiting::ParticipantsFile { batch }).await,
                Err(e) if e.is_users_to_fix() => {
                    done().await?;
                    let text = ctx.explain(&e);
                    ctx.say(
                        chat,
                        Some(member),
                        key("refused"),
                        "reply",
                        json!({ "text": text }),
                        None,
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
        Awaiting::BlankNumbers { batch } => {
            let (_, state, _) = ctx.app.batch(batch).await?;
            let waiting: Vec<_> = state
                .participants
                .values()
                .filter(|p| p.result == Some(Competence::Kompeten) && p.blank_number.is_none())
                .map(|p| p.id)
                .collect();
            let count = waiting.len();
            if count == 0 {
                // Recorded already (by a file, or an answer whose reply was lost).
                done().await?;
                return ctx
                    .say_phrase(
                        chat,
                        Some(member),
                        key("blanks"),
                        "blanks_complete",
                        json!({}),
                    )
                    .await;
            }
            match read_blank_numbers(text, count) {
                Some(numbers) => {
                    let commands = waiting
                        .into_iter()
                        .zip(numbers)
                        .map(|(participant, number)| Command::RecordBlankNumber {
                            participant,
                            number,
                        })
                        .collect();
                    let result = act(batch, commands).await;
                    finish(
                        ctx,
                        chat,
                        member,
                        key("blanks"),
                        result,
                        "blanks_set",
                        json!({"count": count}),
                    )
                    .await?;
                    done().await
                }
                _ => {
                    ctx.say_phrase(
                        chat,
                        Some(member),
                        key("bad"),
                        "bad_blank_numbers",
                        json!({"count": count}),
                    )
                    .await
                }
            }
        }
    }
}
