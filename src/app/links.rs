//! Registration links: a member's one-time link, issued (again) and
//! redeemed in Telegram, where it binds their account. Only the token's
//! hash is kept.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::json;

use super::*;
use crate::domain::{MemberId, TelegramUserId};
use crate::store::{AuditEntry, Redemption, Store, Tx};

impl App {
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
}
