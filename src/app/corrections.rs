//! Correcting a batch's participants, each with who, when and why in the
//! audit log: a name, an email address or a registration number (before
//! or during the batch; emails not yet delivered go to the new address, and
//! those that went to a wrong one can be sent again), and removing a
//! participant before the batch starts. Ketua LSP, Kabag Sertifikasi or the
//! operator may.

use serde_json::json;

use super::{App, AppError, Rejection, TextField, Via, entry_for, required_text};
use crate::domain::{BatchId, Email, MemberId, Participant, Role, RoleSet};
use crate::store::Store;
use crate::workflow::{Actor, BatchStatus, Refusal, Staff};

/// Longest reason for a correction.
pub const MAX_CORRECTION_REASON: usize = 500;

/// What to change about a participant; none: keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub registration_no: Option<String>,
    /// Send again, to the new address, the emails that went to the old one.
    pub resend: bool,
}

/// What a correction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    /// The participant's name after the correction.
    pub name: String,
    /// The fields that changed: "name", "email", "registration_no".
    pub fields: Vec<&'static str>,
    /// Emails not yet delivered that now go to the new address.
    pub redirected: u64,
    /// Emails sent to the old address, queued again to the new one.
    pub resent: u64,
}

impl App {
    /// The participant `reference` names in `batch`: a registration number,
    /// an email address, or the number on the participant list (from 1).
    ///
    /// # Errors
    /// A [`Rejection`] when the batch or the participant is not there.
    pub async fn find_participant(
        &self,
        batch: BatchId,
        reference: &str,
    ) -> Result<Participant, AppError> {
        let mut conn = self.conn().await?;
        let participants = Store::participants(&mut conn, batch).await?;
        Store::batch_info(&mut conn, batch)
            .await?
            .ok_or(AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))?;
        let wanted = reference.trim();
        let by_row = wanted
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| participants.values().nth(i));
        participants
            .values()
            .find(|p| {
                p.registration_no
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(wanted))
                    || p.email.as_str().eq_ignore_ascii_case(wanted)
            })
            .or(by_row)
            .cloned()
            .ok_or_else(|| {
                AppError::Rejected(Rejection::NoParticipant {
                    batch: batch.0,
                    reference: crate::limits::clip(wanted, 60),
                })
            })
    }

    /// An active member acting, by id (the command line acting for them).
    ///
    /// # Errors
    /// [`Rejection::NoMember`] when there is no such active member.
    pub async fn member_actor(&self, member: MemberId) -> Result<Actor, AppError> {
        let mut conn = self.conn().await?;
        let members = Store::members(&mut conn).await?;
        let m = members
            .into_iter()
            .find(|m| m.id == member)
            .ok_or(AppError::Rejected(Rejection::NoMember { member: member.0 }))?;
        Ok(Actor::Staff(Staff {
            id: m.id,
            name: m.name,
            roles: m.roles,
        }))
    }

    /// Corrects a participant's contact details, with a reason.
    ///
    /// # Errors
    /// A refusal for a member without the role, a rejection for a bad or
    /// taken value, nothing to change, or an empty reason.
    pub async fn correct_participant(
        &self,
        batch: BatchId,
        reference: &str,
        change: &ParticipantChange,
        reason: &str,
        actor: &Actor,
        via: Via,
    ) -> Result<Corrected, AppError> {
        may_correct(actor)?;
        let reason = required_text(reason, TextField::Reason, MAX_CORRECTION_REASON)?;
        let p = self.find_participant(batch, reference).await?;
        let Wanted {
            name,
            email,
            registration_no,
            fields,
        } = wanted(change, &p)?;
        let email_changed = fields.contains(&"email");
        let mut tx = self.store.begin().await?;
        let others = Store::participants(&mut tx, batch).await?;
        let others = others.values().filter(|o| o.id != p.id);
        refuse_duplicates(others, &email, registration_no.as_deref(), &fields)?;
        let now = self.now();
        Store::update_participant(
            &mut tx,
            p.id,
            &name,
            email.as_str(),
            registration_no.as_deref(),
        )
        .await?;
        let redirected =
            Store::redirect_pending_emails(&mut tx, p.id, email.as_str(), &name).await?;
        let resent = if change.resend && email_changed {
            Store::resend_emails(&mut tx, p.id, p.email.as_str(), email.as_str(), &name, now)
                .await?
        } else {
            0
        };
        // The audit names what changed and why, not the addresses themselves.
        let detail = json!({
            "participant": p.id.0,
            "fields": fields,
            "reason": reason,
            "redirected": redirected,
            "resent": resent,
        });
        let entry = entry_for(actor, via, "participant_corrected", Some(batch), detail);
        Store::audit(&mut tx, &[entry], now).await?;
        tx.commit().await?;
        self.changed();
        Ok(Corrected {
            name,
            fields,
            redirected,
            resent,
        })
    }

    /// Removes a participant from a batch that has not started, with a
    /// reason; returns their name.
    ///
    /// # Errors
    /// A refusal for a member without the role; a rejection when the batch
    /// has started or the participant is not there.
    pub async fn remove_participant(
        &self,
        batch: BatchId,
        reference: &str,
        reason: &str,
        actor: &Actor,
        via: Via,
    ) -> Result<String, AppError> {
        may_correct(actor)?;
        let reason = required_text(reason, TextField::Reason, MAX_CORRECTION_REASON)?;
        let p = self.find_participant(batch, reference).await?;
        let (_, state, _) = self.batch(batch).await?;
        if state.status != BatchStatus::Draft {
            return Err(AppError::Rejected(Rejection::RemoveAfterStart {
                batch: batch.0,
            }));
        }
        let mut tx = self.store.begin().await?;
        Store::delete_participant(&mut tx, p.id).await?;
        let detail = json!({"participant": p.id.0, "reason": reason});
        let entry = entry_for(actor, via, "participant_removed", Some(batch), detail);
        Store::audit(&mut tx, &[entry], self.now()).await?;
        tx.commit().await?;
        Ok(p.name)
    }
}

/// A participant's details as a correction wants them, and which of them
/// differ from what is recorded.
struct Wanted {
    name: String,
    email: Email,
    registration_no: Option<String>,
    fields: Vec<&'static str>,
}

/// Checks the new values of `change` against `p`'s recorded ones; a
/// correction that changes nothing (and resends nothing) is refused.
fn wanted(change: &ParticipantChange, p: &Participant) -> Result<Wanted, AppError> {
    let name = match &change.name {
        Some(n) => required_text(n, TextField::ParticipantName, crate::participants::MAX_NAME)?,
        None => p.name.clone(),
    };
    let email = match &change.email {
        Some(e) => Email::parse(e).map_err(|_| {
            AppError::Rejected(Rejection::BadEmail {
                text: crate::limits::clip(e.trim(), 100),
            })
        })?,
        None => p.email.clone(),
    };
    let registration_no = match &change.registration_no {
        Some(r) => Some(required_text(
            r,
            TextField::RegistrationNo,
            crate::participants::MAX_REGISTRATION_NO,
        )?),
        None => p.registration_no.clone(),
    };
    let mut fields = Vec::new();
    if name != p.name {
        fields.push("name");
    }
    if !email.as_str().eq_ignore_ascii_case(p.email.as_str()) {
        fields.push("email");
    }
    if registration_no != p.registration_no {
        fields.push("registration_no");
    }
    if fields.is_empty() && !change.resend {
        return Err(AppError::Rejected(Rejection::NothingToCorrect));
    }
    Ok(Wanted {
        name,
        email,
        registration_no,
        fields,
    })
}

/// Refuses a changed email or registration number that another
/// participant of the batch already has.
fn refuse_duplicates<'a>(
    others: impl Iterator<Item = &'a Participant>,
    email: &Email,
    registration_no: Option<&str>,
    fields: &[&str],
) -> Result<(), AppError> {
    for other in others {
        if fields.contains(&"email") && other.email.as_str().eq_ignore_ascii_case(email.as_str()) {
            return Err(AppError::Rejected(Rejection::Duplicate {
                what: TextField::Email,
                value: email.as_str().to_string(),
            }));
        }
        if let (Some(mine), Some(theirs)) = (registration_no, &other.registration_no)
            && fields.contains(&"registration_no")
            && mine.eq_ignore_ascii_case(theirs)
        {
            return Err(AppError::Rejected(Rejection::Duplicate {
                what: TextField::RegistrationNo,
                value: mine.to_string(),
            }));
        }
    }
    Ok(())
}

/// Ketua LSP, Kabag Sertifikasi or the operator correct participants.
fn may_correct(actor: &Actor) -> Result<(), AppError> {
    let allowed: RoleSet = [Role::KetuaLsp, Role::KabagSertifikasi].into();
    match actor {
        Actor::Operator => Ok(()),
        Actor::Staff(staff) if staff.holds_any(&allowed) => Ok(()),
        Actor::Staff(_) => Err(AppError::Refused(Refusal::RoleRequired {
            step: None,
            roles: allowed.iter().map(|r| r.title().to_string()).collect(),
        })),
    }
}
