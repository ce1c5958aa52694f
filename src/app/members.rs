//! The staff register: adding members, deactivating them, changing their
//! roles and details (registration links are in `links.rs`).

use serde_json::json;

use super::*;
use crate::domain::{Email, InvalidEmail, Member, MemberId, RoleSet};
use crate::store::{AuditEntry, MemberDetail, Store, TokenRecord};

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
        self.add_member_as(name, roles, email, None, &Actor::Operator, Via::Cli)
            .await
    }

    /// [`App::add_member`] with the member's NIP, printed under their
    /// signature (`member add --nip`).
    ///
    /// # Errors
    /// As [`App::add_member`]; a NIP that is not one.
    pub async fn add_member_with_nip(
        &self,
        name: &str,
        roles: &RoleSet,
        email: Option<&str>,
        nip: Option<&str>,
    ) -> Result<NewMember, AppError> {
        self.add_member_as(name, roles, email, nip, &Actor::Operator, Via::Cli)
            .await
    }

    /// [`App::add_member`] by `by` through `via` (Ketua LSP or Kabag
    /// Sertifikasi in Telegram, or the operator). The new member is handed
    /// the open tasks of their roles; members with the same name are named
    /// in the answer, to warn of a double entry.
    ///
    /// # Errors
    /// As [`App::add_member`]; a refusal for a member without the right.
    pub async fn add_member_as(
        &self,
        name: &str,
        roles: &RoleSet,
        email: Option<&str>,
        nip: Option<&str>,
        by: &Actor,
        via: Via,
    ) -> Result<NewMember, AppError> {
        may_manage_staff(by)?;
        let name = required_text(name, TextField::MemberName, MAX_MEMBER_NAME)?;
        if roles.is_empty() {
            return Err(AppError::Rejected(Rejection::NoRole));
        }
        let email = parse_email(email)?;
        let nip = parse_nip(nip)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let namesakes: Vec<MemberId> = Store::members(&mut tx)
            .await?
            .iter()
            .filter(|m| m.name.to_lowercase() == name.to_lowercase())
            .map(|m| m.id)
            .collect();
        let id = Store::insert_member(&mut tx, &name, roles, email.as_ref(), nip.as_deref(), now)
            .await?;
        let token = self.issue_token(&mut tx, id, now).await?;
        let detail = json!({
            "member": id.0,
            "name": name,
            "roles": roles.iter().map(|r| r.slug()).collect::<Vec<_>>(),
            "has_email": email.is_some(),
            "has_nip": nip.is_some(),
            "namesakes": namesakes.iter().map(|m| m.0).collect::<Vec<_>>(),
        });
        Store::audit(
            &mut tx,
            &[staff_entry(by, via, "member_added", id, detail)],
            now,
        )
        .await?;
        self.hand_open_tasks(&mut tx, now).await?;
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(NewMember {
            id,
            token,
            namesakes,
        })
    }

    /// Deactivates a member (`active` false: they leave; their access ends
    /// at once) or reactivates one. Audited.
    ///
    /// # Errors
    /// `NotFound` when there is no such member; `Invalid` when nothing would change.
    pub async fn set_member_active(&self, member: MemberId, active: bool) -> Result<(), AppError> {
        self.set_member_active_as(member, active, &Actor::Operator, Via::Cli)
            .await
            .map(|_| ())
    }

    /// [`App::set_member_active`] by `by` through `via`. A reactivated
    /// member is handed the open tasks of their roles; returns the member's
    /// name and the open steps a deactivation left without anyone of a
    /// role that finishes them (Ketua LSP and Kabag Sertifikasi are told).
    ///
    /// # Errors
    /// As [`App::set_member_active`]; a refusal for a member without the right.
    pub async fn set_member_active_as(
        &self,
        member: MemberId,
        active: bool,
        by: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        may_manage_staff(by)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let current = Store::member(&mut tx, member).await?;
        let inactive = Store::inactive_members(&mut tx).await?;
        let name = match (&current, inactive.iter().find(|(id, _)| *id == member)) {
            (Some(m), _) => m.name.clone(),
            (None, Some((_, name))) => name.clone(),
            (None, None) => {
                return Err(AppError::Rejected(Rejection::NoMember { member: member.0 }));
            }
        };
        if current.is_some() == active {
            return Err(AppError::Rejected(Rejection::AlreadyActive {
                member: member.0,
                active,
            }));
        }
        Store::set_member_active(&mut tx, member, active, now).await?;
        let action = if active {
            "member_reactivated"
        } else {
            "member_deactivated"
        };
        let entry = staff_entry(by, via, action, member, json!({"member": member.0}));
        Store::audit(&mut tx, &[entry], now).await?;
        if active {
            self.hand_open_tasks(&mut tx, now).await?;
        } else {
            self.report_unstaffed(&mut tx, now).await?;
        }
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(name)
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
        self.set_member_role_as(member, role, holds, &Actor::Operator, Via::Cli)
            .await
            .map(|_| ())
    }

    /// [`App::set_member_role`] by `by` through `via`; a member given a role
    /// is handed its open tasks; returns the member's name.
    ///
    /// # Errors
    /// As [`App::set_member_role`]; a refusal for a member without the right.
    pub async fn set_member_role_as(
        &self,
        member: MemberId,
        role: crate::domain::Role,
        holds: bool,
        by: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        may_manage_staff(by)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(current) = Store::member(&mut tx, member).await? else {
            return Err(AppError::Rejected(Rejection::NoMember { member: member.0 }));
        };
        if current.roles.contains(&role) == holds {
            return Err(AppError::Rejected(Rejection::RoleAlready {
                name: current.name,
                role: role.slug().to_string(),
                holds,
            }));
        }
        if !holds && current.roles.len() == 1 {
            return Err(AppError::Rejected(Rejection::LastRole {
                name: current.name,
            }));
        }
        Store::set_member_role(&mut tx, member, role, holds).await?;
        let action = if holds {
            "member_role_added"
        } else {
            "member_role_removed"
        };
        let detail = json!({"member": member.0, "role": role.slug()});
        Store::audit(
            &mut tx,
            &[staff_entry(by, via, action, member, detail)],
            now,
        )
        .await?;
        if holds {
            self.hand_open_tasks(&mut tx, now).await?;
        } else {
            self.report_unstaffed(&mut tx, now).await?;
        }
        tx.commit().await?;
        self.forget_register();
        self.changed();
        Ok(current.name)
    }

    /// Changes (or, with none, removes) a member's email address: where the
    /// invitation's calendar entry and their messages go when Telegram
    /// cannot reach them. Audited, without the address.
    ///
    /// # Errors
    /// A rejection for no such active member or a bad address; a refusal
    /// for a member without the right.
    pub async fn set_member_email(
        &self,
        member: MemberId,
        email: Option<&str>,
        by: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        may_manage_staff(by)?;
        let email = parse_email(email)?;
        self.change_member(member, MemberDetail::Email(email.as_ref()), by, via)
            .await
    }

    /// Sets or clears a member's NIP (`None` or "-" clears it); returns
    /// their name. Audited without the number itself.
    ///
    /// # Errors
    /// A refusal for a member without the right, no such member, or a
    /// NIP that is not one.
    pub async fn set_member_nip(
        &self,
        member: MemberId,
        nip: Option<&str>,
        by: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        may_manage_staff(by)?;
        let nip = parse_nip(nip)?;
        self.change_member(member, MemberDetail::Nip(nip.as_deref()), by, via)
            .await
    }

    /// Sets or clears one of a member's details, audited with whether it
    /// is set, never its value; returns their name.
    async fn change_member(
        &self,
        member: MemberId,
        detail: MemberDetail<'_>,
        by: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(current) = Store::member(&mut tx, member).await? else {
            return Err(AppError::Rejected(Rejection::NoMember { member: member.0 }));
        };
        Store::set_member_detail(&mut tx, member, &detail).await?;
        let (action, said) = match detail {
            MemberDetail::Email(email) => (
                "member_email_changed",
                json!({"member": member.0, "has_email": email.is_some()}),
            ),
            MemberDetail::Nip(nip) => (
                "member_nip_changed",
                json!({"member": member.0, "has_nip": nip.is_some()}),
            ),
        };
        Store::audit(&mut tx, &[staff_entry(by, via, action, member, said)], now).await?;
        tx.commit().await?;
        self.forget_register();
        Ok(current.name)
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

/// Ketua LSP, Kabag Sertifikasi and the operator manage the staff list.
fn may_manage_staff(by: &Actor) -> Result<(), AppError> {
    let allowed: RoleSet = [
        crate::domain::Role::KetuaLsp,
        crate::domain::Role::KabagSertifikasi,
    ]
    .into();
    match by {
        Actor::Operator => Ok(()),
        Actor::Staff(staff) if staff.holds_any(&allowed) => Ok(()),
        Actor::Staff(_) => Err(AppError::Refused(crate::workflow::Refusal::RoleRequired {
            step: None,
            roles: allowed.iter().map(|r| r.title().to_string()).collect(),
        })),
    }
}

/// An optional email address: empty is none, anything else must be one.
fn parse_email(email: Option<&str>) -> Result<Option<Email>, AppError> {
    match email.map(Email::parse).transpose() {
        Ok(e) => Ok(e),
        Err(InvalidEmail::Empty) => Ok(None),
        Err(_) => Err(AppError::Rejected(Rejection::BadEmail {
            text: crate::limits::clip(email.unwrap_or_default().trim(), 100),
        })),
    }
}

/// Longest NIP kept (a civil servant's has 18 digits; some institutions
/// write theirs with spaces or a prefix).
const MAX_NIP: usize = 30;

/// A NIP as printed: `None` for nothing or "-"; runs of spaces made one;
/// letters, digits, spaces, dots, hyphens and slashes only, with a digit.
fn parse_nip(nip: Option<&str>) -> Result<Option<String>, AppError> {
    let text = nip
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() || text == "-" {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '/');
    if text.chars().count() > MAX_NIP
        || !text.chars().all(allowed)
        || !text.chars().any(|c| c.is_ascii_digit())
    {
        return Err(AppError::Rejected(Rejection::BadNip {
            text: crate::limits::clip(&text, 40),
        }));
    }
    Ok(Some(text))
}

/// The audit line of a change to `member` by `by`: the operator's names
/// the member as its subject, a staff member's names the one who acted.
fn staff_entry(
    by: &Actor,
    via: Via,
    action: &str,
    member: MemberId,
    detail: serde_json::Value,
) -> AuditEntry {
    match by {
        Actor::Operator => operator_entry(action, Some(member), None, detail),
        Actor::Staff(_) => entry_for(by, via, action, None, detail),
    }
}
