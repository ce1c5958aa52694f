//! The staff register and one-time registration tokens.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::time::{from_ms, ms};
use crate::domain::{Email, Member, MemberId, Role, RoleSet, TelegramUserId};

/// A registration token's state, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub member: MemberId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// What opening a registration link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// The Telegram user is now bound to this member.
    Registered(Member),
    /// No such token (mistyped, or from another installation).
    Unknown,
    /// The token was used already.
    Used,
    /// The token's time ran out.
    Expired,
    /// This Telegram account is bound to another member already.
    AccountTaken,
}

/// A member's detail staff may set or clear: where their email goes, and
/// the NIP printed under their signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberDetail<'a> {
    Email(Option<&'a Email>),
    Nip(Option<&'a str>),
}

impl super::Store {
    /// Adds a member with roles and an optional email.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn insert_member(
        conn: &mut SqliteConnection,
        name: &str,
        roles: &RoleSet,
        email: Option<&Email>,
        nip: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<MemberId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO members (name, email, nip, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(email.map(Email::as_str))
        .bind(nip)
        .bind(ms(now))
        .fetch_one(&mut *conn)
        .await?;
        for role in roles {
            sqlx::query("INSERT INTO member_roles (member_id, role) VALUES (?, ?)")
                .bind(id)
                .bind(role.slug())
                .execute(&mut *conn)
                .await?;
        }
        Ok(MemberId(id))
    }

    /// Stores a registration token's hash for a member.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn insert_token(
        conn: &mut SqliteConnection,
        member: MemberId,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO registration_tokens (member_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(member.0)
        .bind(token_hash)
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Every active member, ordered by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn members(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT id, name, email, telegram_user_id, nip FROM members WHERE active = 1 ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let role_rows = sqlx::query("SELECT member_id, role FROM member_roles")
            .fetch_all(&mut *conn)
            .await?;
        let mut roles: BTreeMap<i64, RoleSet> = BTreeMap::new();
        for row in role_rows {
            let role: String = row.get("role");
            if let Ok(role) = role.parse::<Role>() {
                roles.entry(row.get("member_id")).or_default().insert(role);
            }
        }
        rows.into_iter()
            .map(|row| {
                let id: i64 = row.get("id");
                let email: Option<String> = row.get("email");
                Ok(Member {
                    id: MemberId(id),
                    name: row.get("name"),
                    roles: roles.remove(&id).unwrap_or_default(),
                    email: email.map(|e| Email::parse(&e)).transpose()?,
                    telegram_user_id: row
                        .get::<Option<i64>, _>("telegram_user_id")
                        .map(TelegramUserId),
                    nip: row.get("nip"),
                })
            })
            .collect()
    }

    /// One member by id, if active.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn member(
        conn: &mut SqliteConnection,
        id: MemberId,
    ) -> anyhow::Result<Option<Member>> {
        Ok(Self::members(conn).await?.into_iter().find(|m| m.id == id))
    }

    /// The active member bound to a Telegram user id, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn member_by_telegram(
        conn: &mut SqliteConnection,
        user: TelegramUserId,
    ) -> anyhow::Result<Option<Member>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM members WHERE telegram_user_id = ? AND active = 1")
                .bind(user.0)
                .fetch_optional(&mut *conn)
                .await?;
        match id {
            Some(id) => Self::member(conn, MemberId(id)).await,
            None => Ok(None),
        }
    }

    /// The newest registration token of each member.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn latest_tokens(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<BTreeMap<MemberId, TokenRecord>> {
        let rows = sqlx::query(
            "SELECT member_id, expires_at, used_at FROM registration_tokens ORDER BY id",
        )
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let member = MemberId(row.get("member_id"));
                let record = TokenRecord {
                    member,
                    expires_at: from_ms(row.get("expires_at")),
                    used_at: row.get::<Option<i64>, _>("used_at").map(from_ms),
                };
                (member, record)
            })
            .collect())
    }

    /// Binds the Telegram user to the token's member, once, before the token expires.
    ///
    /// # Errors
    /// When the database refuses the read or write.
    pub async fn redeem_token(
        conn: &mut SqliteConnection,
        token_hash: &str,
        user: TelegramUserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Redemption> {
        let row = sqlx::query(
            "SELECT id, member_id, expires_at, used_at FROM registration_tokens WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(Redemption::Unknown);
        };
        if row.get::<Option<i64>, _>("used_at").is_some() {
            return Ok(Redemption::Used);
        }
        if from_ms(row.get("expires_at")) <= now {
            return Ok(Redemption::Expired);
        }
        let member = MemberId(row.get("member_id"));
        let holder: Option<i64> =
            sqlx::query_scalar("SELECT id FROM members WHERE telegram_user_id = ?")
                .bind(user.0)
                .fetch_optional(&mut *conn)
                .await?;
        if holder.is_some_and(|h| h != member.0) {
            return Ok(Redemption::AccountTaken);
        }
        sqlx::query(
            "UPDATE registration_tokens SET used_at = ?, used_by_telegram_user_id = ? WHERE id = ?",
        )
        .bind(ms(now))
        .bind(user.0)
        .bind(row.get::<i64, _>("id"))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE members SET telegram_user_id = ?, registered_at = ?, unreachable_at = NULL WHERE id = ?",
        )
        .bind(user.0)
        .bind(ms(now))
        .bind(member.0)
        .execute(&mut *conn)
        .await?;
        // Messages that waited for this member's registration are due now.
        Self::member_reachable(conn, member, now).await?;
        match Self::member(conn, member).await? {
            Some(m) => Ok(Redemption::Registered(m)),
            None => Ok(Redemption::Unknown),
        }
    }

    /// Sets (or clears) one of a member's details.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_member_detail(
        conn: &mut SqliteConnection,
        id: MemberId,
        detail: &MemberDetail<'_>,
    ) -> anyhow::Result<()> {
        let (sql, value) = match detail {
            MemberDetail::Email(email) => (
                "UPDATE members SET email = ? WHERE id = ?",
                email.map(Email::as_str),
            ),
            MemberDetail::Nip(nip) => ("UPDATE members SET nip = ? WHERE id = ?", *nip),
        };
        sqlx::query(sql)
            .bind(value)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Deactivates or reactivates a member; returns whether they exist. A
    /// deactivated member is nobody to the bot: their presses and commands
    /// are refused as a stranger's, and their unused registration links
    /// stop working.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_member_active(
        conn: &mut SqliteConnection,
        id: MemberId,
        active: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let found = sqlx::query("UPDATE members SET active = ? WHERE id = ?")
            .bind(i64::from(active))
            .bind(id.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if !active {
            Self::expire_tokens(conn, id, now).await?;
        }
        Ok(found == 1)
    }

    /// Ends every unused registration link of a member now.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn expire_tokens(
        conn: &mut SqliteConnection,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE registration_tokens SET expires_at = ? WHERE member_id = ? AND used_at IS NULL AND expires_at > ?",
        )
        .bind(ms(now))
        .bind(member.0)
        .bind(ms(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Deactivated members: (id, name), by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inactive_members(
        conn: &mut SqliteConnection,
    ) -> anyhow::Result<Vec<(MemberId, String)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM members WHERE active = 0 ORDER BY id")
                .fetch_all(conn)
                .await?;
        Ok(rows.into_iter().map(|(id, n)| (MemberId(id), n)).collect())
    }

    /// Gives an active member a role, or takes it away; returns whether anything changed.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_member_role(
        conn: &mut SqliteConnection,
        id: MemberId,
        role: Role,
        holds: bool,
    ) -> anyhow::Result<bool> {
        let query = if holds {
            "INSERT INTO member_roles (member_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM member_roles WHERE member_id = ? AND role = ?"
        };
        let changed = sqlx::query(query)
            .bind(id.0)
            .bind(role.slug())
            .execute(conn)
            .await?
            .rows_affected();
        Ok(changed == 1)
    }
}
