//! The outbox: every message the system will send, queued in the caller's
//! transaction. Delivery workers (Telegram, email) claim rows from here.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::BatchId;
use crate::notify::{Channel, GroupPost, Message, Outgoing, UnknownMessage};

/// How many due rows of one chat a read returns at most.
const PER_CHAT: i64 = 5;

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting to be sent (or tried again).
    Pending,
    /// Delivered.
    Sent,
    /// Given up for good (and reported).
    Failed,
    /// An edit not sent because a newer edit of the same message came
    /// while it waited (only the latest version goes out).
    Replaced,
}

impl OutboxStatus {
    /// The word stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Replaced => "replaced",
        }
    }

    fn from_db(word: &str) -> anyhow::Result<Self> {
        match word {
            "pending" => Ok(OutboxStatus::Pending),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            "replaced" => Ok(OutboxStatus::Replaced),
            other => anyhow::bail!("unknown outbox status '{}'", crate::limits::clip(other, 40)),
        }
    }
}

impl PartialEq<&str> for OutboxStatus {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

/// A queued message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub key: String,
    pub channel: Channel,
    pub member_id: Option<i64>,
    pub participant_id: Option<i64>,
    pub address: Option<String>,
    /// The stored template name and facts; [`OutboxRow::message`] reads them as a [`Message`].
    pub template: String,
    pub context: serde_json::Value,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The key of the row whose message this row edits, if it is an edit.
    pub edit_of: Option<String>,
    /// A chat to send to instead of the member's private chat (a group).
    pub chat_id: Option<i64>,
}

/// `SELECT <every column> FROM outbox <rest>`, as one static string.
macro_rules! select_outbox {
    ($rest:literal) => {
        concat!(
            "SELECT id, key, channel, member_id, participant_id, address, template, context, status, attempts,
                    created_at, next_attempt_at, last_error, edit_of, chat_id FROM outbox ",
            $rest
        )
    };
}

impl OutboxRow {
    /// The message this row holds.
    ///
    /// # Errors
    /// [`UnknownMessage`] when the row was written by a version whose
    /// messages this one does not know (or was edited by hand).
    pub fn message(&self) -> Result<Message, UnknownMessage> {
        Message::stored(&self.template, &self.context)
    }
}

fn read_row(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get("id"),
        key: r.get("key"),
        channel: Channel::from_db(r.get("channel"))?,
        member_id: r.get("member_id"),
        participant_id: r.get("participant_id"),
        address: r.get("address"),
        template: r.get("template"),
        context: serde_json::from_str(&r.get::<String, _>("context"))?,
        status: OutboxStatus::from_db(r.get("status"))?,
        attempts: r.get("attempts"),
        created_at: from_ms(r.get("created_at")),
        next_attempt_at: from_ms(r.get("next_attempt_at")),
        last_error: r.get("last_error"),
        edit_of: r.get("edit_of"),
        chat_id: r.get("chat_id"),
    })
}

impl super::Store {
    /// Queues messages; an occasion already queued (same key) is left as it is.
    /// Returns how many rows were new.
    ///
    /// # Errors
    /// When the database refuses a write.
    pub async fn enqueue(
        conn: &mut SqliteConnection,
        messages: &[Outgoing],
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        super::dialect::enqueue::<sqlx::Sqlite>(conn, messages, ms(now)).await
    }

    /// Queues posts to group chats (each can carry only a group-safe
    /// message); an occasion already queued is left as it is. Returns how
    /// many rows were new.
    ///
    /// # Errors
    /// When the database refuses a write.
    pub async fn enqueue_posts(
        conn: &mut SqliteConnection,
        posts: &[GroupPost],
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let mut added = 0;
        for p in posts {
            let message = p.message.stored();
            added += sqlx::query(
                "INSERT INTO outbox (key, channel, batch_id, template, context, next_attempt_at, created_at, edit_of, chat_id)
                 VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
            )
            .bind(&p.key)
            .bind(p.batch.map(|b| b.0))
            .bind(message.template())
            .bind(message.context().to_string())
            .bind(ms(now))
            .bind(ms(now))
            .bind(&p.edit_of)
            .bind(p.chat.id())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if let Some(original) = &p.edit_of {
                super::dialect::replace_waiting_edits::<sqlx::Sqlite>(conn, &p.key, original)
                    .await?;
            }
        }
        Ok(added)
    }

    /// A batch's queued messages, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn outbox_of(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let rows = sqlx::query(select_outbox!("WHERE batch_id = ? ORDER BY id"))
            .bind(batch.0)
            .fetch_all(conn)
            .await?;
        rows.iter().map(read_row).collect()
    }

    /// Pending rows of a channel that are due, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_messages(
        conn: &mut SqliteConnection,
        channel: Channel,
        instance: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let rows = sqlx::query(select_outbox!(
            "WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?
               AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?) ORDER BY id LIMIT ?"
        ))
        .bind(channel.as_str())
        .bind(ms(now))
        .bind(instance)
        .bind(ms(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
        rows.iter().map(read_row).collect()
    }

    /// Pending Telegram rows that are due: every chat's oldest first, then
    /// every chat's second, and so on (see the query); a chat whose oldest
    /// row waits for its retry waits whole, so its messages stay in order.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_telegram_fairly(
        conn: &mut SqliteConnection,
        instance: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        // Round-robin by chat: the chats whose oldest waiting row is oldest
        // and due (the queues' heads, through their index), then at most PER_CHAT
        // of each chat's rows in order (through the recipient index); each
        // chat's first due row, then each chat's second, and so on. Only
        // the rows read are sorted, never every pending row, and one
        // chat's backlog never keeps another chat's rows unread.
        let rows = sqlx::query(select_outbox!(
            "JOIN (SELECT candidate.id AS due_id,
                          ROW_NUMBER() OVER (PARTITION BY candidate.recipient ORDER BY candidate.id) AS turn
                   FROM (SELECT queues.recipient FROM telegram_queues AS queues
                         JOIN outbox AS head ON head.id = queues.head_id
                         WHERE head.next_attempt_at <= ?3
                         ORDER BY queues.head_id LIMIT ?1) AS queue
                   JOIN outbox AS candidate ON candidate.id IN (
                        SELECT id FROM outbox AS waiting
                        WHERE waiting.recipient = queue.recipient AND waiting.status = 'pending'
                          AND waiting.channel = 'telegram'
                        ORDER BY waiting.id LIMIT ?2)
                   WHERE candidate.next_attempt_at <= ?3
                     AND (candidate.claimed_by IS NULL OR candidate.claimed_by = ?4
                          OR candidate.claimed_until < ?3)) AS due
             ON outbox.id = due.due_id
             ORDER BY due.turn, outbox.id LIMIT ?1"
        ))
        .bind(limit)
        .bind(PER_CHAT)
        .bind(ms(now))
        .bind(instance)
        .fetch_all(conn)
        .await?;
        rows.iter().map(read_row).collect()
    }

    /// The oldest due email that `claimant` may send now: not claimed by
    /// another sender, and not queued after an email to the same address
    /// that another sender is sending right now, so that one recipient's
    /// emails never overtake each other however many are sent at once.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_email(
        conn: &mut SqliteConnection,
        claimant: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<OutboxRow>> {
        let row = sqlx::query(select_outbox!(
            "WHERE status = 'pending' AND channel = 'email' AND next_attempt_at <= ?
               AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)
               AND NOT EXISTS (SELECT 1 FROM outbox AS earlier
                               WHERE earlier.status = 'pending' AND earlier.channel = 'email'
                                 AND earlier.address = outbox.address AND earlier.id < outbox.id
                                 AND earlier.claimed_by IS NOT NULL AND earlier.claimed_by <> ?
                                 AND earlier.claimed_until >= ?)
             ORDER BY id LIMIT 1"
        ))
        .bind(ms(now))
        .bind(claimant)
        .bind(ms(now))
        .bind(claimant)
        .bind(ms(now))
        .fetch_optional(conn)
        .await?;
        row.as_ref().map(read_row).transpose()
    }

    /// When the next pending row of a channel becomes due, if any is pending.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_message_due(
        conn: &mut SqliteConnection,
        channel: Channel,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND channel = ?",
        )
        .bind(channel.as_str())
        .fetch_one(conn)
        .await?;
        Ok(at.map(from_ms))
    }

    /// When the next pending row of a channel that is not due at `now`
    /// becomes due, if any: when a worker holding the due rows must look again.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_message_due_after(
        conn: &mut SqliteConnection,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND channel = ? AND next_attempt_at > ?",
        )
        .bind(channel.as_str())
        .bind(ms(now))
        .fetch_one(conn)
        .await?;
        Ok(at.map(from_ms))
    }

    /// One row by key.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn message(
        conn: &mut SqliteConnection,
        key: &str,
    ) -> anyhow::Result<Option<OutboxRow>> {
        let row = sqlx::query(select_outbox!("WHERE key = ?"))
            .bind(key)
            .fetch_optional(conn)
            .await?;
        row.as_ref().map(read_row).transpose()
    }
}
