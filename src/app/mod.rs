//! The use cases the command line, the bot and the scheduler call: each
//! one is a single transaction that loads what it needs, asks the
//! workflow, and writes the state, the audit rows, the outbox rows and the
//! due times together, or nothing. The rooms:
//! - `members`: the staff register, registration links, roles;
//! - `batches`: creating, importing, starting and acting on a batch;
//! - `decide`: one unit of work: load, ask the workflow, write everything;
//! - `scheduler`: due timers, deadline alerts and digests;
//! - `chat`: what the bot asks: identities, replies, groups, strangers.
//!
//! Here: the application itself, its errors, and the audit-line helpers.

mod audience;
mod backups;
mod batches;
mod chat;
mod corrections;

pub use corrections::{Corrected, MAX_CORRECTION_REASON, ParticipantChange};
pub use privacy::{Erased, MAX_ERASE_REASON};
pub use rejection::{Rejection, TextField};
pub use report::ReportFiles;
mod decide;
mod documents;
mod inbox;
mod links;
mod members;
mod privacy;
mod records;
mod register;
mod rejection;
mod report;
mod scheduler;
mod staffing;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{BatchId, Member, MemberId, TelegramUserId};
use crate::participants::ListError;
use crate::sop::Procedure;
use crate::store::{AuditEntry, Store};
use crate::templates::Templates;
use crate::workflow::{Actor, Refusal};

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
    /// Telegram: in answer to an update, whose claim is in the same
    /// transaction as the change ([`crate::store::unit`]).
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
    /// The procedure file cannot be used (said in the operator's language
    /// by the command line's `procedure_error` phrase).
    #[error(transparent)]
    Procedure(#[from] crate::sop::ProcedureError),
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

impl AppError {
    /// Whether the error is the user's to fix (and carries a sentence for
    /// them), as opposed to ours (logged, and a plain apology shown).
    pub fn is_users_to_fix(&self) -> bool {
        !matches!(self, AppError::Unexpected(_))
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
    /// Active members with the same name: perhaps the same person twice.
    pub namesakes: Vec<MemberId>,
}

/// The application: the store, the settings and the clock.
pub struct App {
    pub store: Store,
    pub config: Config,
    /// The procedure new batches start with.
    pub procedure: Arc<Procedure>,
    pub templates: Arc<Templates>,
    /// The document templates and letterhead (read, syntax checked).
    pub documents: Arc<crate::documents::DocumentKit>,
    clock: Arc<dyn Clock>,
    /// Counts writes that queued messages or set due times, so the delivery
    /// workers and the scheduler, asleep until their next due time, look
    /// again at once (another process's writes arrive through [`crate::wake`]).
    changes: crate::outbox::Waker,
    /// Strangers' recent attempts: when their window began and how many
    /// attempts it has passed over (see [`App::stranger_refused`]).
    strangers: std::sync::Mutex<crate::budget::RefusalBudget<TelegramUserId>>,
    /// The active members, kept in memory (see [`App::forget_register`]).
    register: std::sync::Arc<register::Register>,
}

impl App {
    /// Opens the database named in `config` and loads the procedure and templates.
    ///
    /// # Errors
    /// When the procedure file or templates are invalid (`Invalid`), or the
    /// database cannot be opened.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        let procedure = config.procedure()?;
        let templates = config
            .templates()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let documents = config
            .documents()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let store = Store::open(&config.database).await?;
        Ok(App {
            store,
            config,
            procedure: Arc::new(procedure),
            templates: Arc::new(templates),
            documents: Arc::new(documents),
            clock,
            changes: crate::outbox::Waker::default(),
            strangers: std::sync::Mutex::new(crate::budget::RefusalBudget::new(
                STRANGER_WINDOW,
                STRANGER_BURST,
                MAX_STRANGERS_TRACKED,
            )),
            register: std::sync::Arc::default(),
        })
    }

    /// A connection for reads: one of the pool's, or, inside the handling
    /// of a Telegram update that has written, the update's own transaction.
    async fn conn(&self) -> Result<crate::store::Read, AppError> {
        Ok(self.store.read().await?)
    }

    /// Tells the sleeping workers that something may be due now.
    /// Inside the handling of a Telegram update, once its work is
    /// committed (the workers would find nothing before).
    pub fn changed(&self) {
        let changes = self.changes.clone();
        crate::store::unit::when_committed(move || changes.wake());
    }

    /// A receiver that sees every [`App::changed`].
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.watch()
    }

    /// The waker the application's writes use, for the workers' own writes.
    pub fn waker(&self) -> crate::outbox::Waker {
        self.changes.clone()
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
        let timer = crate::store::timers::next::<sqlx::Sqlite>(&mut conn).await?;
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
            AppError::Procedure(e) => self.templates.phrase(lang, "procedure_error", json!(e)),
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
///
/// # Errors
/// A [`Rejection`] for hidden control characters, nothing visible, or too long a text.
pub(crate) fn required_text(text: &str, what: TextField, max: usize) -> Result<String, AppError> {
    if crate::domain::has_hidden_control(text) {
        return Err(AppError::Rejected(Rejection::HiddenControl { what }));
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Only invisible characters reads as nothing on a card or a paper.
    if !crate::domain::has_visible_letter(&text) {
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
