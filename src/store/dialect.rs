//! The store's SQL that SQLite and PostgreSQL run alike, written once:
//! statements in the subset both dialects share (`$1`-numbered parameters,
//! `ON CONFLICT … DO NOTHING`, `UPDATE … FROM`, `IS NOT DISTINCT FROM`,
//! `RETURNING`), bound and read by functions generic over the backend.
//! Where the dialects differ (JSON functions), each backend gives its own
//! statement through [`Dialect`]; the binding and what the result means
//! stay shared.

use sqlx::{Database, Postgres, Sqlite};

use super::delivery::{Claim, held};
use crate::notify::Outgoing;

/// Defines an async function generic over the backend, with the bounds
/// every shared statement needs (the connection runs queries; whole
/// numbers and texts, present or not, are bound and read; columns are
/// found by position and by name), so each function states only what it
/// does: `shared! { pub async fn name<DB: Database>(conn: &mut DB::Connection, …) -> … { … } }`.
macro_rules! shared {
    ($(#[$meta:meta])* $vis:vis async fn $name:ident<$db:ident: $bound:path>($($args:tt)*) -> $ret:ty $body:block) => {
        $(#[$meta])*
        $vis async fn $name<$db: $bound>($($args)*) -> $ret
        where
            for<'c> &'c mut <$db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = $db>,
            for<'q> i64: sqlx::Encode<'q, $db> + sqlx::Decode<'q, $db> + sqlx::Type<$db>,
            for<'q> Option<i64>: sqlx::Encode<'q, $db> + sqlx::Decode<'q, $db> + sqlx::Type<$db>,
            for<'q> String: sqlx::Encode<'q, $db> + sqlx::Decode<'q, $db> + sqlx::Type<$db>,
            for<'q> Option<String>: sqlx::Encode<'q, $db> + sqlx::Decode<'q, $db> + sqlx::Type<$db>,
            <$db as sqlx::Database>::Arguments: sqlx::IntoArguments<$db>,
            usize: sqlx::ColumnIndex<<$db as sqlx::Database>::Row>,
            for<'a> &'a str: sqlx::ColumnIndex<<$db as sqlx::Database>::Row>,
        $body
    };
}
pub(crate) use shared;

/// A backend's own text for the statements whose dialects differ.
pub trait Dialect: Database {
    /// Marks a row sent under its claim (`$1` time, `$2` row, `$3` claim
    /// number), forgetting a registration link; returns the row's id.
    const MARK_SENT: &'static str;
    /// Gives a row up under its claim (`$1` reason, `$2` time, `$3` row,
    /// `$4` claim number), forgetting a registration link; returns its id.
    const MARK_FAILED: &'static str;
}

impl Dialect for Sqlite {
    const MARK_SENT: &'static str = "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_by = NULL,
             context = CASE WHEN template = 'registration_link'
                 THEN json_set(context, '$.link', '(sent; not kept)') ELSE context END
         WHERE id = $2 AND claim_number = $3 AND status = 'pending' RETURNING id";
    const MARK_FAILED: &'static str = "UPDATE outbox SET status = 'failed', last_error = $1, attempts = attempts + 1, sent_at = $2,
             claimed_by = NULL,
             context = CASE WHEN template = 'registration_link'
                 THEN json_set(context, '$.link', '(not sent; not kept)') ELSE context END
         WHERE id = $3 AND claim_number = $4 AND status = 'pending' RETURNING id";
}

impl Dialect for Postgres {
    const MARK_SENT: &'static str = "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_by = NULL,
             context = CASE WHEN template = 'registration_link'
                 THEN jsonb_set(context::jsonb, '{link}', '\"(sent; not kept)\"')::text ELSE context END
         WHERE id = $2 AND claim_number = $3 AND status = 'pending' RETURNING id";
    const MARK_FAILED: &'static str = "UPDATE outbox SET status = 'failed', last_error = $1, attempts = attempts + 1, sent_at = $2,
             claimed_by = NULL,
             context = CASE WHEN template = 'registration_link'
                 THEN jsonb_set(context::jsonb, '{link}', '\"(not sent; not kept)\"')::text ELSE context END
         WHERE id = $3 AND claim_number = $4 AND status = 'pending' RETURNING id";
}

/// Puts a row back for a later attempt (`$1` when, `$2` why, `$3` 1 if the
/// attempt counts, `$4` row, `$5` claim number); returns its id.
const MARK_RETRY: &str = "UPDATE outbox SET next_attempt_at = $1, last_error = $2, attempts = attempts + $3, claimed_by = NULL
     WHERE id = $4 AND claim_number = $5 AND status = 'pending' RETURNING id";

/// Queues one message; an occasion already queued (its key) is left alone.
const INSERT_OUTGOING: &str = "INSERT INTO outbox (key, channel, batch_id, member_id, participant_id, address, template,
                         context, next_attempt_at, created_at, edit_of, chat_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) ON CONFLICT (key) DO NOTHING RETURNING id";

/// The edits of message `$2` still waiting, older than the edit `$1` and
/// for the same chat and member, are replaced by it.
const REPLACE_WAITING_EDITS: &str = "UPDATE outbox SET status = 'replaced', claimed_by = NULL
     FROM outbox AS newest
     WHERE newest.key = $1 AND outbox.status = 'pending' AND outbox.edit_of = $2
       AND outbox.claimed_by IS NULL AND outbox.id < newest.id
       AND outbox.chat_id IS NOT DISTINCT FROM newest.chat_id
       AND outbox.member_id IS NOT DISTINCT FROM newest.member_id";

/// Appends one sealed row to the audit log.
const INSERT_LINK: &str =
    "INSERT INTO audit_log (id, at, channel, actor, member_id, telegram_user_id, batch_id,
                            action, detail, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Runs an `UPDATE … RETURNING id` and says whether it found its row.
macro_rules! found {
    ($query:expr, $conn:expr) => {
        u64::from($query.fetch_optional(&mut *$conn).await?.is_some())
    };
}

/// What became of a claimed row, with its time in milliseconds.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Delivered.
    Sent { at: i64 },
    /// To be tried again at `at`; `counts` whether this was a failed attempt.
    Retry {
        at: i64,
        error: &'a str,
        counts: bool,
    },
    /// Given up for good.
    Failed { at: i64, error: &'a str },
}

shared! {
    /// Records what became of a row, under its claim.
    ///
    /// # Errors
    /// [`super::Fenced`] when the claim was taken over; when the database refuses.
    pub async fn settle<DB: Dialect>(
        conn: &mut DB::Connection,
        claim: Claim,
        outcome: Outcome<'_>,
    ) -> anyhow::Result<()>
    {
        let clipped =
            |error: &str| crate::limits::clip(error, crate::limits::MAX_STORED_ERROR).to_string();
        // Each statement takes the claim's row and number last.
        let query = match outcome {
            Outcome::Sent { at } => sqlx::query::<DB>(DB::MARK_SENT).bind(at),
            Outcome::Retry { at, error, counts } => sqlx::query::<DB>(MARK_RETRY)
                .bind(at)
                .bind(clipped(error))
                .bind(i64::from(counts)),
            Outcome::Failed { at, error } => sqlx::query::<DB>(DB::MARK_FAILED)
                .bind(clipped(error))
                .bind(at),
        }
        .bind(claim.row)
        .bind(claim.number);
        held(claim, found!(query, conn))
    }
}

shared! {
    /// Appends `entries` as rows sealed onto `head` (the last row's id and
    /// seal), in order; the new head.
    ///
    /// # Errors
    /// When the database refuses a write (on PostgreSQL, a second successor
    /// to the same seal).
    pub async fn append_sealed<DB: Database>(
        conn: &mut DB::Connection,
        entries: &[super::AuditEntry],
        at: i64,
        head: (i64, String),
    ) -> anyhow::Result<(i64, String)>
    {
        let (mut id, mut prev) = head;
        for entry in entries {
            id += 1;
            let link = entry.link(id, at);
            let hash = super::chain::seal(&link, &prev);
            sqlx::query::<DB>(INSERT_LINK)
                .bind(link.id)
                .bind(link.at)
                .bind(link.channel)
                .bind(link.actor)
                .bind(link.member_id)
                .bind(link.telegram_user_id)
                .bind(link.batch_id)
                .bind(link.action)
                .bind(link.detail)
                .bind(Some(prev))
                .bind(Some(hash.clone()))
                .execute(&mut *conn)
                .await?;
            prev = hash;
        }
        Ok((id, prev))
    }
}

shared! {
    /// Queues messages at `now` (milliseconds); an occasion already queued is
    /// left as it is, and a message that edits an earlier one replaces the
    /// edits of it still waiting. Returns how many rows were new.
    ///
    /// # Errors
    /// When the database refuses a write.
    pub async fn enqueue<DB: Database>(
        conn: &mut DB::Connection,
        messages: &[Outgoing],
        now: i64,
    ) -> anyhow::Result<u64>
    {
        let mut added = 0;
        for m in messages {
            let query = sqlx::query::<DB>(INSERT_OUTGOING)
                .bind(m.key.clone())
                .bind(m.channel.as_str().to_string())
                .bind(m.batch.map(|b| b.0))
                .bind(m.member.map(|x| x.0))
                .bind(m.participant.map(|x| x.0))
                .bind(m.address.clone())
                .bind(m.message.template().to_string())
                .bind(m.message.context().to_string())
                .bind(now)
                .bind(m.edit_of.clone())
                .bind(m.chat.map(|c| c.id()));
            added += found!(query, conn);
            if let Some(original) = &m.edit_of {
                replace_waiting_edits::<DB>(conn, &m.key, original).await?;
            }
        }
        Ok(added)
    }
}

shared! {
    /// The edits of message `original` still waiting, older than the edit
    /// `newest` and for the same recipient, are replaced by it: only the
    /// latest edit goes out.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn replace_waiting_edits<DB: Database>(
        conn: &mut DB::Connection,
        newest: &str,
        original: &str,
    ) -> anyhow::Result<()>
    {
        sqlx::query::<DB>(REPLACE_WAITING_EDITS)
            .bind(newest.to_string())
            .bind(original.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
