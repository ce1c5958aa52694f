//! What a failed Bot API request means for its row: try again later (after
//! Telegram's retry_after, or with backoff), follow a group to its new chat
//! id, treat the chat as gone for good, or give the message up.

use std::time::Duration;

use teloxide::{ApiError, RequestError};

/// Why a send failed, as far as what to do next.
pub(super) enum Failure {
    /// Try again later; `after` is Telegram's retry_after when it gave one.
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// The group moved to a new chat id.
    Migrated(i64),
    /// The member cannot be reached (blocked, never started, deleted).
    Unreachable(String),
    /// This message can never be sent (bad content).
    Permanent(String),
}

/// What a failed request means for its row. Every text it keeps of the
/// error is cut to [`crate::limits::MAX_LOGGED_ERROR`]: an answer may be
/// huge, and the text is logged and stored.
pub(super) fn classify(error: RequestError) -> Failure {
    let clip = |text: String| crate::limits::clip(&text, crate::limits::MAX_LOGGED_ERROR);
    match classify_whole(error) {
        Failure::Retry { after, why } => Failure::Retry {
            after,
            why: clip(why),
        },
        Failure::Unreachable(why) => Failure::Unreachable(clip(why)),
        Failure::Permanent(why) => Failure::Permanent(clip(why)),
        migrated @ Failure::Migrated(_) => migrated,
    }
}

pub(super) fn classify_whole(error: RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(seconds) => Failure::Retry {
            after: Some(seconds.duration()),
            why: format!("Telegram asked to wait {} s (429)", seconds.seconds()),
        },
        RequestError::MigrateToChatId(to) => Failure::Migrated(to.0),
        RequestError::Api(
            e @ (ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::GroupDeactivated),
        ) => Failure::Unreachable(e.to_string()),
        // Wordings teloxide does not know, among them a basic group's
        // "Forbidden: bot was kicked from the group chat".
        RequestError::Api(ApiError::Unknown(description)) if gone_for_good(&description) => {
            Failure::Unreachable(description)
        }
        RequestError::Api(ApiError::Unknown(description)) => Failure::Retry {
            after: None,
            why: format!("Telegram answered: {description}"),
        },
        RequestError::Api(e) => Failure::Permanent(e.to_string()),
        other => Failure::Retry {
            after: None,
            why: other.to_string(),
        },
    }
}

/// Whether Telegram's description says the chat will never take a message again.
pub(super) fn gone_for_good(description: &str) -> bool {
    let d = description.to_lowercase();
    [
        "bot was kicked",
        "bot is not a member",
        "group chat was deleted",
        "chat was deleted",
        "bot was blocked",
        "user is deactivated",
    ]
    .iter()
    .any(|w| d.contains(w))
}
