//! The staff register: adding members, registration links, redeeming
//! them in Telegram, deactivating members and changing their roles.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::json;

use super::*;
use crate::domain::{Email, InvalidEmail, Member, MemberId, RoleSet, TelegramUserId};
use crate::store::{AuditEntry, Redemption, Store, TokenRecord, Tx};

impl App {
    /// Registers a staff member and issues their one-time registration token.
    ///
    /// # Errors
    /// `Invalid` for an empty or long name, no roles, or a bad email.
    pub async fn add_member(
        &self,
        name: &str,
        roles: &RoleSet,
        email: Option<&str>,
    ) -> Result<NewMember, AppError> {
        let name = required_text(name, TextField::MemberName, MAX_MEMBER_NAME)?;
        if roles.is_empty() {
            return Err(AppError::Invalid("a member needs at least one role".into()));
        }
        let email = match email.map(Email::parse).transpose() {
            Ok(e) => e,
            Err(InvalidEmail::Empty) => None,
            Err(e) => return Err(AppError::Invalid(e.to_string())),
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = Store::insert_member(&mut tx, &name, roles, email.as_ref(), now).await?;
        let token = self.issue_token(&mut tx, id, now).await?;
        Store::audit(
            &mut tx,
            &[operator_entry(
                "member_added",
                Some(id),
                None,
                json!({
                    "name": name,
                    "roles": roles.iter().map(|r| r.slug()).collect::<Vec<_>>(),
                    "has_email": email.is_some(),
                }),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        self.forget_register();
        Ok(NewMember { id, token })
    }

    /// Issues a fresh registration token for a member; their earlier unused
    /// tokens stop working.
    ///
    /// # Errors
    /// `NotFound` when there is no such member.
    pub async fn new_registration_link(
        &self,
        member: MemberId,
    ) -> Result<RegistrationToken, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if Store::member(&mut tx, member).await?.is_none() {
            return Err(AppError::NotFound(format!("there is no member {member}")));
        }
        Store::expire_tokens(&mut tx, member, now).await?;
        let token = self.issue_token(&mut tx, member, now).await?;
        Store::audit(
            &mut tx,
            &[operator_entry(
                "registration_link_issued",
                Some(member),
                None,
                json!({"expires_at": token.expires_at}),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    pub(super) async fn issue_token(
        &self,
        tx: &mut Tx,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> Result<RegistrationToken, AppError> {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = crate::domain::to_hex(&bytes);
        let expires_at = now + self.config.link_valid;
        Store::insert_token(tx, member, &token_hash(&token), now, expires_at).await?;
        Ok(RegistrationToken { token, expires_at })
    }

    /// Binds a Telegram account to the member whose token it is.
    ///
    /// # Errors
    /// Only for database failures; a bad token is a [`Redemption`] outcome.
    pub async fn redeem(&self, token: &str, user: TelegramUserId) -> Result<Redemption, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let outcome = Store::redeem_token(&mut tx, &token_hash(token.trim()), user, now).await?;
        let (member, action) = match &outcome {
            Redemption::Registered(m) => (Some(m.id), "member_registered"),
            Redemption::Unknown => (None, "registration_refused_unknown"),
            Redemption::Used => (None, "registration_refused_used"),
            Redemption::Expired => (None, "registration_refused_expired"),
            Redemption::AccountTaken => (None, "registration_refused_account_taken"),
        };
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: if member.is_some() {
                    "member"
                } else {
                    "stranger"
                },
                member,
                telegram_user: Some(user),
                batch: None,
                action: action.into(),
                detail: json!({}),
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(outcome)
    }

    /// Deactivates a member (`active` false: they leave; their access ends
    /// at once) or reactivates one. Audited.
    ///
    /// # Errors
    /// `NotFound` when there is no such member; `Invalid` when nothing would change.
    pub async fn set_member_active(&self, member: MemberId, active: bool) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let is_active = Store::member(&mut tx, member).await?.is_some();
        let exists = is_active
            || Store::inactive_members(&mut tx)
                .await?
                .iter()
                .any(|(id, _)| *id == member);
        if !exists {
            return Err(AppError::NotFound(format!("there is no member {member}")));
        }
        if is_active == active {
            return Err(AppError::Invalid(format!(
                "member {member} is already {}",
                if active { "active" } else { "deactivated" }
            )));
        }
        Store::set_member_active(&mut tx, member, active, now).await?;
        let action = if active {
            "member_reactivated"
        } else {
            "member_deactivated"
        };
        Store::audit(
            &mut tx,
            &[operator_entry(action, Some(member), None, json!({}))],
            now,
        )
        .await?;
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(())
    }

    /// Gives an active member a role (`holds` true) or takes one away. Audited.
    ///
    /// # Errors
    /// `NotFound` for no such active member; `Invalid` when nothing would
    /// change or the member would be left without a role.
    pub async fn set_member_role(
        &self,
        member: MemberId,
        role: crate::domain::Role,
        holds: bool,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(current) = Store::member(&mut tx, member).await? else {
            return Err(AppError::NotFound(format!(
                "there is no active member {member}"
            )));
        };
        if current.roles.contains(&role) == holds {
            return Err(AppError::Invalid(format!(
                "{} {} the role {}",
                current.name,
                if holds {
                    "already has"
                } else {
                    "does not have"
                },
                role.slug()
            )));
        }
        if !holds && current.roles.len() == 1 {
            return Err(AppError::Invalid(format!(
                "{} would have no role left; deactivate the member instead",
                current.name
            )));
        }
        Store::set_member_role(&mut tx, member, role, holds).await?;
        let action = if holds {
            "member_role_added"
        } else {
            "member_role_removed"
        };
        Store::audit(
            &mut tx,
            &[operator_entry(
                action,
                Some(member),
                None,
                json!({"role": role.slug()}),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(())
    }

    /// Deactivated members: (id, name).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inactive_members(&self) -> Result<Vec<(MemberId, String)>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::inactive_members(&mut conn).await?)
    }

    /// Every active member with their newest registration token's state.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn members(&self) -> Result<Vec<(Member, Option<TokenRecord>)>, AppError> {
        let mut conn = self.conn().await?;
        let members = Store::members(&mut conn).await?;
        let mut tokens = Store::latest_tokens(&mut conn).await?;
        Ok(members
            .into_iter()
            .map(|m| {
                let token = tokens.remove(&m.id);
                (m, token)
            })
            .collect())
    }
}
