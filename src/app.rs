//! The use cases the command line calls (and the bot and scheduler will):
//! each one is a single transaction that loads what it needs, asks the
//! workflow, and writes the state, the audit rows, the outbox rows and the
//! due times together, or nothing.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{
    BatchId, BatchInfo, Email, InvalidEmail, Member, MemberId, RoleSet, TelegramUserId,
};
use crate::notify::{self, Audience};
use crate::participants::{self, Existing, ListError};
use crate::sop::Procedure;
use crate::store::{AuditEntry, BatchSummary, Redemption, Store, TokenRecord, Tx};
use crate::templates::Templates;
use crate::workflow::{self, Actor, BatchState, BatchStatus, Command, Decision, Refusal};

/// How long one audit row and one answer stand for all of a stranger's attempts.
pub const STRANGER_WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// How many of a stranger's attempts in one window are answered and audited.
pub const STRANGER_BURST: u32 = 5;
/// How many strangers' windows are kept in memory at most.
const MAX_STRANGERS_TRACKED: usize = 10_000;

/// Longest member name.
pub const MAX_MEMBER_NAME: usize = 100;
/// Longest scheme name.
pub const MAX_SCHEME: usize = 200;

/// Through which channel an action came, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cli,
    Telegram,
    Scheduler,
    Simulation,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Cli => "cli",
            Via::Telegram => "telegram",
            Via::Scheduler => "scheduler",
            Via::Simulation => "simulation",
        }
    }
}

/// Why a use case did not happen. The first four are the user's to fix and
/// carry a sentence for them; `Unexpected` is ours, logged with its causes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// No member holds a role the procedure needs, so a task would reach nobody.
    #[error(
        "no member holds the role {} that step {step} needs; add one with `sertibot member add` before starting",
        roles.join(" or ")
    )]
    Unstaffed {
        step: crate::sop::StepNo,
        roles: Vec<String>,
    },
    #[error(transparent)]
    List(#[from] ListError),
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// Turned down for a reason a user can be told in their language.
    #[error(transparent)]
    Rejected(Rejection),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A stranger's attempts in the current window.
#[derive(Debug, Clone, Copy)]
struct StrangerWindow {
    since: std::time::Instant,
    answered: u32,
    /// Attempts passed over (neither answered nor audited) since the last audited one.
    passed_over: u64,
}

impl AppError {
    /// Whether the error is the user's to fix (and carries a sentence for
    /// them), as opposed to ours (logged, and a plain apology shown).
    pub fn is_users_to_fix(&self) -> bool {
        !matches!(self, AppError::Unexpected(_))
    }
}

/// A text field a use case checks, as a rejection names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    MemberName,
    Scheme,
}

impl std::fmt::Display for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextField::MemberName => "the member's name",
            TextField::Scheme => "the scheme name",
        })
    }
}

/// Why a use case was turned down, typed so that each user reads it in
/// their language (`rejected_<kind>` in `phrases.toml`); the English
/// sentence is for the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    #[error("there is no batch {batch}")]
    NoBatch { batch: i64 },
    #[error("the assessment date {date} is in the future; create the batch after the assessment")]
    FutureAssessment { date: String },
    #[error(
        "batch {batch} has already started; participants can only be imported before `sertibot batch start`"
    )]
    AlreadyStarted { batch: i64 },
    #[error("{what} is empty")]
    Empty { what: TextField },
    #[error("{what} is longer than {max} characters")]
    TooLong { what: TextField, max: usize },
    #[error("{what} holds an invisible control character (such as NUL or a right-to-left mark)")]
    HiddenControl { what: TextField },
}

impl Rejection {
    fn key(&self) -> &'static str {
        match self {
            Rejection::NoBatch { .. } => "rejected_no_batch",
            Rejection::FutureAssessment { .. } => "rejected_future_assessment",
            Rejection::AlreadyStarted { .. } => "rejected_already_started",
            Rejection::Empty { .. } => "rejected_empty",
            Rejection::TooLong { .. } => "rejected_too_long",
            Rejection::HiddenControl { .. } => "rejected_hidden_control",
        }
    }
}

/// A registration link's secret part, shown once and stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A new member and their first registration token.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub id: MemberId,
    pub token: RegistrationToken,
}

/// The application: the store, the settings and the clock.
pub struct App {
    pub store: Store,
    pub config: Config,
    /// The procedure new batches start with.
    pub procedure: Arc<Procedure>,
    pub templates: Arc<Templates>,
    clock: Arc<dyn Clock>,
    /// Counts writes that queued messages or set due times, so the delivery
    /// workers and the scheduler, asleep until their next due time, look
    /// again at once (another process's writes arrive through [`crate::wake`]).
    changes: tokio::sync::watch::Sender<u64>,
    /// Strangers' recent attempts: when their window began and how many
    /// attempts it has passed over (see [`App::stranger_refused`]).
    strangers: std::sync::Mutex<std::collections::HashMap<TelegramUserId, StrangerWindow>>,
}

impl App {
    /// Opens the database named in `config` and loads the procedure and templates.
    ///
    /// # Errors
    /// When the procedure file or templates are invalid (`Invalid`), or the
    /// database cannot be opened.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        let procedure = config
            .procedure()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let templates = config
            .templates()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let store = Store::open(&config.database).await?;
        Ok(App {
            store,
            config,
            procedure: Arc::new(procedure),
            templates: Arc::new(templates),
            clock,
            changes: tokio::sync::watch::Sender::new(0),
            strangers: std::sync::Mutex::default(),
        })
    }

    /// A connection for reads (and single-statement writes) outside a transaction.
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, AppError> {
        Ok(self
            .store
            .pool()
            .acquire()
            .await
            .map_err(anyhow::Error::from)?)
    }

    /// Tells the sleeping workers that something may be due now.
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every [`App::changed`].
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The injected clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// When the scheduler next has something to do: the earliest waiting
    /// timer or clock alert, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_scheduled(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        let mut conn = self.conn().await?;
        let alert = Store::next_alert(&mut conn).await?;
        let timer = Store::next_timer(&mut conn).await?;
        Ok(match (alert, timer) {
            (Some(a), Some(t)) => Some(a.min(t)),
            (a, t) => a.or(t),
        })
    }

    /// The current time, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Explains an error to a person in `lang` (English on the command line).
    pub fn explain(&self, error: &AppError, lang: crate::domain::Lang) -> String {
        match error {
            AppError::Refused(r) => self.templates.refusal(lang, r),
            AppError::List(e) => self.templates.list_error(lang, e),
            // English readers (the command line) get the error's own sentence.
            AppError::Rejected(r) if lang == crate::domain::Lang::Id => {
                self.templates
                    .phrase(lang, r.key(), serde_json::to_value(r).unwrap_or_default())
            }
            AppError::Unstaffed { step, roles } if lang == crate::domain::Lang::Id => self
                .templates
                .phrase(lang, "unstaffed", json!({"step": step.0, "roles": roles})),
            other => other.to_string(),
        }
    }

    // ------------------------------------------------------------ members

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
        tx.commit().await.map_err(anyhow::Error::from)?;
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
        sqlx::query(
            "UPDATE registration_tokens SET expires_at = ? WHERE member_id = ? AND used_at IS NULL AND expires_at > ?",
        )
        .bind(crate::store::ms(now))
        .bind(member.0)
        .bind(crate::store::ms(now))
        .execute(&mut *tx)
        .await
        .map_err(anyhow::Error::from)?;
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
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(token)
    }

    async fn issue_token(
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
        tx.commit().await.map_err(anyhow::Error::from)?;
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
        tx.commit().await.map_err(anyhow::Error::from)?;
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
        tx.commit().await.map_err(anyhow::Error::from)?;
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

    // ------------------------------------------------------------ batches

    /// Creates a draft batch.
    ///
    /// # Errors
    /// `Invalid` for an empty scheme or an assessment date in the future.
    pub async fn create_batch(
        &self,
        scheme: &str,
        assessed_on: NaiveDate,
        place: Option<&str>,
        by: &Actor,
        via: Via,
    ) -> Result<BatchId, AppError> {
        let scheme = required_text(scheme, TextField::Scheme, MAX_SCHEME)?;
        let now = self.now();
        let today = now.with_timezone(&self.config.calendar.tz).date_naive();
        if assessed_on > today {
            return Err(AppError::Rejected(Rejection::FutureAssessment {
                date: assessed_on.to_string(),
            }));
        }
        let place = place.map(str::trim).filter(|p| !p.is_empty());
        let mut tx = self.store.begin().await?;
        let procedure_id = Store::save_procedure(&mut tx, &self.procedure, now).await?;
        let id =
            Store::insert_batch(&mut tx, &scheme, assessed_on, place, procedure_id, now).await?;
        Store::audit(
            &mut tx,
            &[entry_for(
                by,
                via,
                "batch_created",
                Some(id),
                json!({"scheme": scheme, "assessed_on": assessed_on, "place": place}),
            )],
            now,
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(id)
    }

    /// Imports participants from a CSV file's bytes: all rows or none.
    ///
    /// # Errors
    /// `NotFound` for no such batch, `Invalid` once the batch has started,
    /// `List` naming every bad row.
    pub async fn import_participants(
        &self,
        batch: BatchId,
        file: &[u8],
        by: &Actor,
        via: Via,
    ) -> Result<usize, AppError> {
        let rows = participants::read_table(file)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        if state.status != BatchStatus::Draft {
            return Err(AppError::Rejected(Rejection::AlreadyStarted {
                batch: batch.0,
            }));
        }
        let (emails, registration_nos, last_row) = Store::participant_keys(&mut tx, batch).await?;
        let list = participants::validate(
            &rows,
            &Existing {
                emails,
                registration_nos,
            },
        )?;
        Store::insert_participants(&mut tx, batch, &list, last_row).await?;
        Store::audit(
            &mut tx,
            &[entry_for(
                by,
                via,
                "participants_imported",
                Some(batch),
                json!({"count": list.len()}),
            )],
            now,
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(list.len())
    }

    /// Starts the SOP for a batch with the current procedure; step 1's
    /// people get their task through the outbox.
    ///
    /// # Errors
    /// `NotFound`, `Refused` (already started, no participants), or
    /// `Invalid` when no member holds a role the procedure needs.
    pub async fn start_batch(
        &self,
        batch: BatchId,
        actor: &Actor,
        via: Via,
    ) -> Result<Decision, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        if state.status == BatchStatus::Draft {
            // A batch runs the procedure in force when it starts, and keeps it.
            let procedure_id = Store::save_procedure(&mut tx, &self.procedure, now).await?;
            Store::set_batch_procedure(&mut tx, batch, procedure_id).await?;
            let members = Store::members(&mut tx).await?;
            let fresh = BatchState::new(
                batch,
                self.procedure.clone(),
                state.participants.values().map(|p| (p.id, p.name.clone())),
            );
            if let Some((step, roles)) = notify::unstaffed_steps(&fresh, &members).first() {
                return Err(AppError::Unstaffed {
                    step: *step,
                    roles: roles.iter().map(|r| r.title().to_string()).collect(),
                });
            }
            let outcome = self
                .run(&mut tx, fresh, actor, &[Command::Start], via, now)
                .await;
            return self
                .finish(tx, batch, actor, &[Command::Start], via, now, outcome)
                .await
                .map(|d| d.into_iter().next().unwrap_or_default());
        }
        let decisions = self
            .run(&mut tx, state, actor, &[Command::Start], via, now)
            .await;
        self.finish(tx, batch, actor, &[Command::Start], via, now, decisions)
            .await
            .map(|d| d.into_iter().next().unwrap_or_default())
    }

    /// Runs commands on a batch as one transaction: all are accepted, or
    /// none is and the refusal is recorded in the audit log.
    ///
    /// # Errors
    /// `NotFound` for no such batch, `Refused` with the first refusal.
    pub async fn act(
        &self,
        batch: BatchId,
        actor: &Actor,
        commands: &[Command],
        via: Via,
    ) -> Result<Vec<Decision>, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        let outcome = self.run(&mut tx, state, actor, commands, via, now).await;
        self.finish(tx, batch, actor, commands, via, now, outcome)
            .await
    }

    /// Records the results of a results file (CSV or XLSX) as one
    /// transaction: every row, or none. Returns how many were recorded.
    ///
    /// # Errors
    /// `List` naming the bad rows, `Refused` when results cannot be entered now.
    pub async fn record_results_file(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
    ) -> Result<usize, AppError> {
        self.record_table(batch, actor, bytes, via, |rows, known| {
            Ok(crate::verdicts::validate(rows, known)?
                .into_iter()
                .map(|(participant, result)| Command::RecordResult {
                    participant,
                    result,
                })
                .collect())
        })
        .await
    }

    /// Records the BNSP blank numbers of a file (CSV or XLSX), every row or none.
    ///
    /// # Errors
    /// As [`App::record_results_file`].
    pub async fn record_blank_numbers_file(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
    ) -> Result<usize, AppError> {
        self.record_table(batch, actor, bytes, via, |rows, known| {
            Ok(crate::verdicts::blank_numbers(rows, known)?
                .into_iter()
                .map(|(participant, number)| Command::RecordBlankNumber {
                    participant,
                    number,
                })
                .collect())
        })
        .await
    }

    /// Reads a per-participant table into commands and runs them as one transaction.
    async fn record_table(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
        commands: impl FnOnce(
            &[participants::RawRow],
            &std::collections::BTreeMap<crate::domain::ParticipantId, crate::domain::Participant>,
        ) -> Result<Vec<Command>, ListError>,
    ) -> Result<usize, AppError> {
        let rows = participants::read_table(bytes)?;
        let mut conn = self.conn().await?;
        let known = Store::participants(&mut conn, batch).await?;
        drop(conn);
        let commands = commands(&rows, &known)?;
        self.act(batch, actor, &commands, via).await?;
        Ok(commands.len())
    }

    /// The cron schedule behind a digest timer's kind.
    fn schedule_of(&self, kind: &str) -> Option<String> {
        match kind {
            "digest_daily" => Some(self.config.digest_schedule.clone()),
            "digest_weekly" => Some(self.config.weekly_schedule.clone()),
            _ => None,
        }
    }

    /// Sets the digest timers if none waits (at start-up): the next moment of
    /// each schedule. A digest missed while the service was down fires once
    /// at the next start, because its timer is still waiting then.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn ensure_digest_timers(&self) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for kind in ["digest_daily", "digest_weekly"] {
            if Store::timer_waiting(&mut tx, kind).await? {
                continue;
            }
            let schedule = self.schedule_of(kind).unwrap_or_default();
            if let Some(next) = self.config.next_on_schedule(&schedule, now) {
                let key = format!("{kind}:{}", next.timestamp_millis());
                Store::set_timer(&mut tx, &key, None, kind, next).await?;
            }
        }
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(())
    }

    /// What a digest shows: for the daily one, every running batch's open,
    /// overdue and paused steps and unanswered invitations; for the weekly
    /// one, the share of steps done within standard time, by step.
    async fn digest_context(
        &self,
        tx: &mut Tx,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(&'static str, serde_json::Value), AppError> {
        if kind == "digest_weekly" {
            let rows =
                Store::steps_within_standard_time(tx, now - chrono::Duration::days(7)).await?;
            let steps: Vec<serde_json::Value> = rows
                .iter()
                .map(|(step, done, within)| {
                    let activity = self
                        .procedure
                        .step(crate::sop::StepNo(*step as u32))
                        .map(|s| s.activity.clone())
                        .unwrap_or_default();
                    json!({"no": step, "activity": activity, "done": done, "within": within,
                           "percent": if *done > 0 { within * 100 / done } else { 0 }})
                })
                .collect();
            return Ok(("digest_weekly", json!({"steps": steps})));
        }
        let members = Store::members(tx).await?;
        let name = |id: &MemberId| {
            members
                .iter()
                .find(|m| m.id == *id)
                .map_or_else(|| format!("#{id}"), |m| m.name.clone())
        };
        let mut batches = Vec::new();
        for summary in Store::batches(tx).await? {
            if summary.status != BatchStatus::Running {
                continue;
            }
            let Some(state) = Store::load_state(tx, summary.info.id).await? else {
                continue;
            };
            let steps: Vec<serde_json::Value> = state
                .procedure
                .steps
                .iter()
                .filter(|s| state.run(s.no).state == workflow::StepState::Active)
                .map(|s| {
                    let run = state.run(s.no);
                    json!({
                        "no": s.no.0,
                        "activity": s.activity,
                        "due_at": run.due_at.map(|d| d.to_rfc3339()),
                        "overdue": run.pause.is_none() && run.due_at.is_some_and(|d| d < now),
                        "paused": run.pause.as_ref().map(|p| p.reason.clone()),
                        "acknowledged": run.acks.keys().map(name).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let invited = state
                .procedure
                .step_recording(crate::sop::RecordKind::Meeting)
                .is_some_and(|s| state.run(s.no).state == workflow::StepState::Done);
            let plenary = state
                .procedure
                .step_recording(crate::sop::RecordKind::Results);
            let unanswered: Vec<String> = match plenary {
                Some(p) if invited && !state.run(p.no).state.is_finished() => members
                    .iter()
                    .filter(|m| !m.roles.is_disjoint(&p.roles) && !state.rsvps.contains_key(&m.id))
                    .map(|m| m.name.clone())
                    .collect(),
                _ => Vec::new(),
            };
            batches.push(json!({
                "id": summary.info.id.0,
                "scheme": summary.info.scheme,
                "steps": steps,
                "unanswered": unanswered,
            }));
        }
        Ok((
            "digest_daily",
            json!({"batches": batches, "date": now.to_rfc3339()}),
        ))
    }

    /// Fires every timer that is due: each in its own transaction, once.
    /// Returns how many fired.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn fire_due_timers(&self) -> Result<usize, AppError> {
        let now = self.now();
        let mut conn = self.conn().await?;
        let timers = Store::due_timers(&mut conn, now).await?;
        drop(conn);
        let mut fired = 0;
        for timer in timers {
            let mut tx = self.store.begin().await?;
            if !Store::fire_timer(&mut tx, timer.id, now).await? {
                continue; // another process fired it
            }
            let mut sent = 0;
            if let Some(schedule) = self.schedule_of(&timer.kind) {
                let members = Store::members(&mut tx).await?;
                let (template, context) = self.digest_context(&mut tx, &timer.kind, now).await?;
                let messages = notify::digest(&members, &timer.key, template, &context);
                sent = Store::enqueue(&mut tx, &messages, now).await?;
                // The next one: the schedule's first moment after this one (or now).
                if let Some(next) = self
                    .config
                    .next_on_schedule(&schedule, timer.due_at.max(now))
                {
                    let key = format!("{}:{}", timer.kind, next.timestamp_millis());
                    Store::set_timer(&mut tx, &key, None, &timer.kind, next).await?;
                }
            }
            if timer.kind == "rsvp_reminder"
                && let Some(batch) = timer.batch
                && let Some(state) = Store::load_state(&mut tx, batch).await?
                && let Some(info) = Store::batch_info(&mut tx, batch).await?
            {
                let members = Store::members(&mut tx).await?;
                let participants = Store::participants(&mut tx, batch).await?;
                let messages = notify::rsvp_reminders(
                    &state,
                    &Audience {
                        batch: &info,
                        members: &members,
                        participants: &participants,
                        groups: &[],
                    },
                );
                sent = Store::enqueue(&mut tx, &messages, now).await?;
            }
            Store::audit(
                &mut tx,
                &[AuditEntry {
                    channel: Via::Scheduler.as_str(),
                    actor: "system",
                    member: None,
                    telegram_user: None,
                    batch: timer.batch,
                    action: format!("{}_fired", timer.kind),
                    detail: json!({"messages": sent, "due_at": timer.due_at}),
                }],
                now,
            )
            .await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
            fired += 1;
        }
        if fired > 0 {
            self.changed();
        }
        Ok(fired)
    }

    /// Sends every clock alert that is due (heads-ups, overdue alerts,
    /// reminders), each once, and moves each clock to its next occasion.
    /// Returns how many alerts went out.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn fire_due_alerts(&self) -> Result<usize, AppError> {
        use crate::workflow::alerts::{ClockFace, after, due_occasion, next_alert_at};
        let now = self.now();
        let settings = self.config.alerts;
        let calendar = &self.config.calendar;
        let mut conn = self.conn().await?;
        let clocks = Store::due_alerts(&mut conn, now).await?;
        drop(conn);
        let mut sent = 0;
        for clock in clocks {
            let face = ClockFace {
                started_at: clock.started_at,
                due_at: clock.due_at,
                heads_up_sent: clock.heads_up_sent,
                overdue_sent: clock.overdue_sent,
            };
            let occasion = due_occasion(&face, now, calendar, &settings);
            let face = occasion.map_or(face, |o| after(&face, o));
            let next = next_alert_at(&face, calendar, &settings).max(now);
            let mut tx = self.store.begin().await?;
            if !Store::advance_clock(&mut tx, &clock, face.heads_up_sent, face.overdue_sent, next)
                .await?
            {
                continue; // another process handled it
            }
            if let Some(occasion) = occasion
                && let Some(state) = Store::load_state(&mut tx, clock.batch).await?
                && let Some(info) = Store::batch_info(&mut tx, clock.batch).await?
            {
                let members = Store::members(&mut tx).await?;
                let participants = Store::participants(&mut tx, clock.batch).await?;
                let late = calendar.minutes_between(clock.due_at, now).max(0);
                let messages = notify::clock_alert(
                    &state,
                    &clock,
                    occasion,
                    late,
                    &Audience {
                        batch: &info,
                        members: &members,
                        participants: &participants,
                        groups: &[],
                    },
                );
                sent += Store::enqueue(&mut tx, &messages, now).await? as usize;
                Store::audit(
                    &mut tx,
                    &[AuditEntry {
                        channel: Via::Scheduler.as_str(),
                        actor: "system",
                        member: None,
                        telegram_user: None,
                        batch: Some(clock.batch),
                        action: match occasion {
                            workflow::alerts::Occasion::HeadsUp => "heads_up_sent".into(),
                            workflow::alerts::Occasion::Overdue { n: 0 } => "overdue_alert_sent".into(),
                            workflow::alerts::Occasion::Overdue { .. } => "overdue_reminder_sent".into(),
                        },
                        detail: json!({"step": clock.step.0, "participant": clock.participant.map(|p| p.0), "late_minutes": late}),
                    }],
                    now,
                )
                .await?;
            }
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
        if sent > 0 {
            self.changed();
        }
        Ok(sent)
    }

    /// Whether `command` would be accepted now, without recording anything
    /// (the bot checks before it starts a conversation that ends in it).
    ///
    /// # Errors
    /// `NotFound` for no such batch, `Refused` with the refusal.
    pub async fn would_accept(
        &self,
        batch: BatchId,
        actor: &Actor,
        command: &Command,
    ) -> Result<(), AppError> {
        let (_, mut state, _) = self.batch(batch).await?;
        workflow::execute(
            &mut state,
            actor,
            command,
            self.now(),
            &self.config.calendar,
        )
        .map(|_| ())
        .map_err(AppError::Refused)
    }

    /// Commits an accepted run; for a refusal, rolls back and records the attempt.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        tx: Tx,
        batch: BatchId,
        actor: &Actor,
        commands: &[Command],
        via: Via,
        now: DateTime<Utc>,
        outcome: Result<Vec<Decision>, AppError>,
    ) -> Result<Vec<Decision>, AppError> {
        match outcome {
            Ok(decisions) => {
                tx.commit().await.map_err(anyhow::Error::from)?;
                self.changed();
                Ok(decisions)
            }
            Err(AppError::Refused(refusal)) => {
                tx.rollback().await.map_err(anyhow::Error::from)?;
                let mut tx = self.store.begin().await?;
                let (who, member) = actor_of(actor);
                Store::audit(
                    &mut tx,
                    &[AuditEntry {
                        channel: via.as_str(),
                        actor: who,
                        member,
                        telegram_user: None,
                        batch: Some(batch),
                        action: "refused".into(),
                        detail: json!({"commands": commands, "refusal": refusal}),
                    }],
                    now,
                )
                .await?;
                tx.commit().await.map_err(anyhow::Error::from)?;
                Err(AppError::Refused(refusal))
            }
            Err(other) => Err(other),
        }
    }

    /// Applies commands in order and writes everything they cause.
    async fn run(
        &self,
        tx: &mut Tx,
        mut state: BatchState,
        actor: &Actor,
        commands: &[Command],
        via: Via,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, AppError> {
        let mut decisions = Vec::with_capacity(commands.len());
        for command in commands {
            let decision =
                workflow::execute(&mut state, actor, command, now, &self.config.calendar)
                    .map_err(AppError::Refused)?;
            decisions.push(decision);
        }
        let events: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.events.iter().cloned())
            .collect();
        let effects: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.effects.iter().cloned())
            .collect();
        if events.is_empty() {
            return Ok(decisions);
        }
        Store::record(tx, &state, &events, &effects, now).await?;
        let info = Store::batch_info(tx, state.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("there is no batch {}", state.id)))?;
        let members = Store::members(tx).await?;
        let participants = Store::participants(tx, state.id).await?;
        let groups = Store::groups(tx).await?;
        let plan = notify::plan(
            &state,
            &effects,
            &Audience {
                batch: &info,
                members: &members,
                participants: &participants,
                groups: &groups,
            },
        );
        Store::enqueue(tx, &plan.messages, now).await?;
        Store::enqueue_posts(tx, &plan.posts, now).await?;
        let invitation_out = effects.iter().any(|e| {
            matches!(
                e,
                workflow::Effect::MeetingInvitation
                    | workflow::Effect::MeetingChanged {
                        cancelled: false,
                        ..
                    }
            )
        });
        if invitation_out && let Some(meeting) = &state.meeting {
            // Invitees who have not answered are reminded before the meeting.
            let at = meeting.starts_at - self.config.rsvp_reminder_lead;
            if at > now {
                Store::set_timer(
                    tx,
                    &format!(
                        "b{}:rsvp-reminder:s{}",
                        state.id, state.meeting_changes.sequence
                    ),
                    Some(state.id),
                    "rsvp_reminder",
                    at,
                )
                .await?;
            }
        }
        let (who, member) = actor_of(actor);
        let entries: Vec<AuditEntry> = events
            .iter()
            .map(|e| AuditEntry {
                channel: via.as_str(),
                actor: who,
                member,
                telegram_user: None,
                batch: Some(state.id),
                action: e.name().into(),
                detail: serde_json::to_value(e).unwrap_or_default(),
            })
            .collect();
        Store::audit(tx, &entries, now).await?;
        Ok(decisions)
    }

    async fn load(&self, tx: &mut Tx, batch: BatchId) -> Result<BatchState, AppError> {
        Store::load_state(tx, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))
    }

    /// A batch's state and identity, for status views.
    ///
    /// # Errors
    /// `NotFound` when there is no such batch.
    pub async fn batch(
        &self,
        batch: BatchId,
    ) -> Result<(BatchInfo, BatchState, Vec<Member>), AppError> {
        let mut conn = self.conn().await?;
        let state = Store::load_state(&mut conn, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))?;
        let info = Store::batch_info(&mut conn, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))?;
        let members = Store::members(&mut conn).await?;
        Ok((info, state, members))
    }

    /// Every batch, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn batches(&self) -> Result<Vec<BatchSummary>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::batches(&mut conn).await?)
    }
}

/// An audit line for something the operator did at the command line.
fn operator_entry(
    action: &str,
    member: Option<MemberId>,
    batch: Option<BatchId>,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        channel: Via::Cli.as_str(),
        actor: "operator",
        member,
        telegram_user: None,
        batch,
        action: action.into(),
        detail,
    }
}

/// An audit line for something an actor did through a channel.
fn entry_for(
    actor: &Actor,
    via: Via,
    action: &str,
    batch: Option<BatchId>,
    detail: serde_json::Value,
) -> AuditEntry {
    let (who, member) = actor_of(actor);
    AuditEntry {
        channel: via.as_str(),
        actor: who,
        member,
        telegram_user: None,
        batch,
        action: action.into(),
        detail,
    }
}

/// A required one-line text with its spaces tidied; `what` names it in the error.
fn required_text(text: &str, what: TextField, max: usize) -> Result<String, AppError> {
    if crate::domain::has_hidden_control(text) {
        return Err(AppError::Rejected(Rejection::HiddenControl { what }));
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(AppError::Rejected(Rejection::Empty { what }));
    }
    if text.chars().count() > max {
        return Err(AppError::Rejected(Rejection::TooLong { what, max }));
    }
    Ok(text)
}

fn actor_of(actor: &Actor) -> (&'static str, Option<MemberId>) {
    match actor {
        Actor::Operator => ("operator", None),
        Actor::Staff(s) => ("member", Some(s.id)),
    }
}

/// What became of the bot's addition to a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAdmission {
    /// Newly registered.
    Registered,
    /// Registered before (the same addition told again).
    AlreadyRegistered,
    /// Added by someone without the authority: the bot leaves.
    Refused,
}

/// Whether a member may add the bot to a group or remove it: Ketua LSP and Kabag Sertifikasi.
pub fn may_manage_groups(member: &Member) -> bool {
    member.roles.contains(&crate::domain::Role::KetuaLsp)
        || member
            .roles
            .contains(&crate::domain::Role::KabagSertifikasi)
}

/// The stored form of a registration token.
pub fn token_hash(token: &str) -> String {
    crate::domain::to_hex(&Sha256::digest(token.as_bytes()))
}

/// What the bot asks of the application: identities, replies, handled
/// updates and conversations, each in its own small transaction.
impl App {
    /// The active member bound to a Telegram account.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn member_by_telegram(
        &self,
        user: TelegramUserId,
    ) -> Result<Option<Member>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::member_by_telegram(&mut conn, user).await?)
    }

    /// Whether an update was handled already.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn update_handled(&self, update_id: i64) -> Result<bool, AppError> {
        let mut conn = self.conn().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT update_id FROM processed_updates WHERE update_id = ?")
                .bind(update_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(anyhow::Error::from)?;
        Ok(found.is_some())
    }

    /// Records an update as handled.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn mark_update_handled(&self, update_id: i64) -> Result<(), AppError> {
        let mut conn = self.store.write().await?;
        Store::claim_update(&mut conn, update_id, self.now()).await?;
        Ok(())
    }

    /// Queues a bot reply to a chat; `key` names the occasion (the update
    /// it answers), so a re-delivered update is answered once.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn reply(
        &self,
        chat: notify::PrivateChat,
        member: Option<MemberId>,
        key: String,
        template: &str,
        context: serde_json::Value,
        edit_of: Option<String>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        Store::enqueue(
            &mut tx,
            &[notify::Outgoing {
                key,
                channel: notify::Channel::Telegram,
                batch: None,
                member,
                participant: None,
                address: None,
                template: template.into(),
                context,
                edit_of,
                chat: Some(chat),
            }],
            now,
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.changed();
        Ok(())
    }

    /// Queues a post to a group chat: only a [`notify::GroupMessage`] can go there.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn post_to_group(
        &self,
        chat: notify::GroupChat,
        key: String,
        message: notify::GroupMessage,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let post = notify::GroupPost {
            key,
            batch: None,
            chat,
            message,
            edit_of: None,
        };
        Store::enqueue_posts(&mut tx, &[post], now).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.changed();
        Ok(())
    }

    /// The bot was added to a group by `by` (a Telegram user): registered
    /// when `by` is an active member with the authority (Ketua LSP or Kabag
    /// Sertifikasi), refused otherwise (the bot must then leave it); either
    /// way audited.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn group_added(
        &self,
        chat: notify::GroupChat,
        title: Option<&str>,
        by: TelegramUserId,
    ) -> Result<GroupAdmission, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let member = Store::member_by_telegram(&mut tx, by).await?;
        let allowed = member.as_ref().is_some_and(may_manage_groups);
        if allowed && Store::is_group(&mut tx, chat.id()).await? {
            // Telegram tells of one addition twice (a service message and
            // a membership update): the second changes nothing.
            return Ok(GroupAdmission::AlreadyRegistered);
        }
        if allowed {
            Store::add_group(&mut tx, chat.id(), title, now).await?;
        }
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: if member.is_some() {
                    "member"
                } else {
                    "stranger"
                },
                member: member.as_ref().map(|m| m.id),
                telegram_user: Some(by),
                batch: None,
                action: if allowed {
                    "group_registered"
                } else {
                    "group_refused"
                }
                .into(),
                detail: json!({ "chat": chat.id() }),
            }],
            now,
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(if allowed {
            GroupAdmission::Registered
        } else {
            GroupAdmission::Refused
        })
    }

    /// Forgets a group: the bot left, was removed, or was asked to leave by
    /// `by`. Audited once; returns whether the group was known.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn group_removed(
        &self,
        chat: i64,
        by: Option<TelegramUserId>,
        why: &str,
    ) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let member = match by {
            Some(user) => Store::member_by_telegram(&mut tx, user).await?,
            None => None,
        };
        let known = Store::remove_group(&mut tx, chat, now).await?;
        if known {
            Store::audit(
                &mut tx,
                &[AuditEntry {
                    channel: Via::Telegram.as_str(),
                    actor: if member.is_some() { "member" } else { "system" },
                    member: member.as_ref().map(|m| m.id),
                    telegram_user: by,
                    batch: None,
                    action: "group_forgotten".into(),
                    detail: json!({ "chat": chat, "why": why }),
                }],
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(anyhow::Error::from)?;
        if known {
            tracing::info!(chat, why, "group chat forgotten");
        }
        Ok(known)
    }

    /// The conversation a user is in, in a chat.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn conversation(
        &self,
        user: TelegramUserId,
        chat_id: i64,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::conversation(&mut conn, user, chat_id).await?)
    }

    /// Sets or ends a user's conversation in a chat.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn set_conversation(
        &self,
        user: TelegramUserId,
        chat_id: i64,
        state: Option<&serde_json::Value>,
    ) -> Result<(), AppError> {
        let mut conn = self.store.write().await?;
        Store::set_conversation(&mut conn, user, chat_id, state, self.now()).await?;
        Ok(())
    }

    /// A registered member wrote to the bot: Telegram reaches them again.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn member_seen(&self, member: MemberId) -> Result<(), AppError> {
        let mut conn = self.conn().await?;
        if Store::unreachable_since(&mut conn, member).await?.is_some() {
            drop(conn);
            let mut conn = self.store.write().await?;
            Store::member_reachable(&mut conn, member, self.now()).await?;
            self.changed();
        }
        Ok(())
    }

    /// Someone who is not a registered member tried to use the bot. The
    /// first [`STRANGER_BURST`] attempts of a stranger in each
    /// [`STRANGER_WINDOW`] are audited and answered (the first of a window
    /// says how many were passed over before it); later ones in the window
    /// are only counted, so a flood from one stranger costs neither audit
    /// rows nor messages. Returns whether to answer this attempt.
    ///
    /// # Errors
    /// When the database refuses the write.
    pub async fn stranger_refused(
        &self,
        user: TelegramUserId,
        what: &str,
    ) -> Result<bool, AppError> {
        let passed_over = {
            let mut seen = self
                .strangers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = std::time::Instant::now();
            if seen.len() >= MAX_STRANGERS_TRACKED {
                seen.retain(|_, w| now.duration_since(w.since) < STRANGER_WINDOW);
                if seen.len() >= MAX_STRANGERS_TRACKED {
                    seen.clear();
                }
            }
            let window = seen.entry(user).or_insert(StrangerWindow {
                since: now,
                answered: 0,
                passed_over: 0,
            });
            if now.duration_since(window.since) >= STRANGER_WINDOW {
                window.since = now;
                window.answered = 0;
            } else if window.answered >= STRANGER_BURST {
                window.passed_over += 1;
                return Ok(false);
            }
            window.answered += 1;
            std::mem::take(&mut window.passed_over)
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        Store::audit(
            &mut tx,
            &[AuditEntry {
                channel: Via::Telegram.as_str(),
                actor: "stranger",
                member: None,
                telegram_user: Some(user),
                batch: None,
                action: "stranger_refused".into(),
                detail: json!({ "attempt": what, "passed_over_before": passed_over }),
            }],
            now,
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(true)
    }

    /// The steps waiting on a member now, across running batches: (batch, step, due).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn open_tasks(
        &self,
        member: &Member,
    ) -> Result<Vec<(BatchInfo, crate::sop::Step, Option<DateTime<Utc>>)>, AppError> {
        let mut tasks = Vec::new();
        for summary in self.batches().await? {
            if summary.status != BatchStatus::Running {
                continue;
            }
            let (info, state, _) = self.batch(summary.info.id).await?;
            for step in &state.procedure.steps {
                let run = state.run(step.no);
                if run.state == workflow::StepState::Active
                    && !member.roles.is_disjoint(&step.roles)
                    && !run.dones.contains_key(&member.id)
                {
                    tasks.push((info.clone(), step.clone(), run.due_at));
                }
            }
        }
        Ok(tasks)
    }
}
