//! What the bot keeps: handled update ids, conversations in progress, the
//! messages Telegram accepted (for edits), group chats, unreachable members.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::{MemberId, TelegramUserId};

impl super::Store {
    /// Records an update id as handled; `false` when it was handled before.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn claim_update(
        conn: &mut SqliteConnection,
        update_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        super::inbox::handled::<sqlx::Sqlite>(conn, update_id, now).await
    }

    /// Whether an update was handled already.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn update_handled(
        conn: &mut SqliteConnection,
        update_id: i64,
    ) -> anyhow::Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT update_id FROM processed_updates WHERE update_id = ?")
                .bind(update_id)
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    /// Forgets handled update ids older than `before` (Telegram hands an
    /// update out again for a day at most); returns how many went.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn prune_handled_updates(
        conn: &mut SqliteConnection,
        before: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        Ok(
            sqlx::query("DELETE FROM processed_updates WHERE handled_at < ?")
                .bind(ms(before))
                .execute(conn)
                .await?
                .rows_affected(),
        )
    }

    /// The conversation a user is in, in a chat, as stored JSON.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn conversation(
        conn: &mut SqliteConnection,
        user: TelegramUserId,
        chat_id: i64,
    ) -> anyhow::Result<Option<serde_json::Value>> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT state FROM conversations WHERE telegram_user_id = ? AND chat_id = ?",
        )
        .bind(user.0)
        .bind(chat_id)
        .fetch_optional(conn)
        .await?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    /// Sets (or with `None` ends) a user's conversation in a chat.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_conversation(
        conn: &mut SqliteConnection,
        user: TelegramUserId,
        chat_id: i64,
        state: Option<&serde_json::Value>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        match state {
            Some(state) => {
                sqlx::query(
                    "INSERT INTO conversations (telegram_user_id, chat_id, state, updated_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT(telegram_user_id, chat_id) DO UPDATE SET state = excluded.state,
                         updated_at = excluded.updated_at",
                )
                .bind(user.0)
                .bind(chat_id)
                .bind(state.to_string())
                .bind(ms(now))
                .execute(conn)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM conversations WHERE telegram_user_id = ? AND chat_id = ?")
                    .bind(user.0)
                    .bind(chat_id)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Remembers where Telegram put the message an outbox row sent.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn save_telegram_message(
        conn: &mut SqliteConnection,
        outbox_key: &str,
        chat_id: i64,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO telegram_messages (outbox_key, chat_id, message_id, sent_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(outbox_key) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id",
        )
        .bind(outbox_key)
        .bind(chat_id)
        .bind(message_id)
        .bind(ms(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Where the message an outbox row sent is: (chat id, message id).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn telegram_message(
        conn: &mut SqliteConnection,
        outbox_key: &str,
    ) -> anyhow::Result<Option<(i64, i64)>> {
        let row =
            sqlx::query("SELECT chat_id, message_id FROM telegram_messages WHERE outbox_key = ?")
                .bind(outbox_key)
                .fetch_optional(conn)
                .await?;
        Ok(row.map(|r| (r.get("chat_id"), r.get("message_id"))))
    }

    /// Marks a member unreachable in Telegram (blocked the bot, never
    /// started it, account gone); returns `false` if already marked.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn mark_unreachable(
        conn: &mut SqliteConnection,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE members SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL",
        )
        .bind(ms(now))
        .bind(member.0)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When a member was found unreachable, if they are.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn unreachable_since(
        conn: &mut SqliteConnection,
        member: MemberId,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT unreachable_at FROM members WHERE id = ?")
                .bind(member.0)
                .fetch_optional(conn)
                .await?;
        Ok(at.flatten().map(from_ms))
    }

    /// Every member Telegram cannot reach now, for the delivery worker's
    /// routing (one read instead of one per message).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn unreachable_members(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<std::collections::HashSet<MemberId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM members WHERE unreachable_at IS NOT NULL")
                .fetch_all(conn)
                .await?;
        Ok(ids.into_iter().map(MemberId).collect())
    }

    /// A member wrote to the bot again: Telegram reaches them, and what
    /// waited for them is due now.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn member_reachable(
        conn: &mut SqliteConnection,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE members SET unreachable_at = NULL WHERE id = ?")
            .bind(member.0)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending' AND channel = 'telegram'
             AND member_id = ? AND next_attempt_at > ?",
        )
        .bind(ms(now))
        .bind(member.0)
        .bind(ms(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Records a group chat the bot is in.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn add_group(
        conn: &mut SqliteConnection,
        chat_id: i64,
        title: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO telegram_groups (chat_id, title, added_at) VALUES (?, ?, ?)
             ON CONFLICT(chat_id) DO UPDATE SET title = excluded.title",
        )
        .bind(chat_id)
        .bind(title)
        .bind(ms(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A group became a supergroup with a new id: every stored use follows.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn migrate_chat(
        conn: &mut SqliteConnection,
        from: i64,
        to: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE telegram_groups SET chat_id = ? WHERE chat_id = ?")
            .bind(to)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status = 'pending'")
            .bind(to)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE conversations SET chat_id = ? WHERE chat_id = ?")
            .bind(to)
            .bind(from)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The group chats the bot is in.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn groups(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<Vec<crate::notify::GroupChat>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT chat_id FROM telegram_groups ORDER BY added_at")
                .fetch_all(conn)
                .await?;
        Ok(ids
            .into_iter()
            .filter_map(crate::notify::GroupChat::new)
            .collect())
    }

    /// Forgets a group chat (the bot left or was removed): nothing more is
    /// sent there, and what was waiting for it is closed without a report.
    /// Returns whether the group was known.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn remove_group(
        conn: &mut SqliteConnection,
        chat_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let removed = sqlx::query("DELETE FROM telegram_groups WHERE chat_id = ?")
            .bind(chat_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE outbox SET status = 'failed', last_error = 'the bot is no longer in this group', sent_at = ?
             WHERE chat_id = ? AND status = 'pending'",
        )
        .bind(ms(now))
        .bind(chat_id)
        .execute(conn)
        .await?;
        Ok(removed > 0)
    }

    /// Whether the bot is registered in a group chat.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn is_group(conn: &mut SqliteConnection, chat_id: i64) -> anyhow::Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT chat_id FROM telegram_groups WHERE chat_id = ?")
                .bind(chat_id)
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }
}
