//! Why a use case was turned down, typed so that each reader gets it in
//! their language: the English sentence for the command line's `Display`,
//! a `rejected_<kind>` phrase for the others.

/// A text field a use case checks, as a rejection names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    MemberName,
    Scheme,
    ParticipantName,
    RegistrationNo,
    Email,
    Reason,
}

impl std::fmt::Display for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextField::MemberName => "the member's name",
            TextField::Scheme => "the scheme name",
            TextField::ParticipantName => "the participant's name",
            TextField::RegistrationNo => "the registration number",
            TextField::Email => "the email address",
            TextField::Reason => "the reason",
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
    #[error(
        "batch {batch} has no participant '{reference}' (give a registration number, an email address, or the number on the participant list)"
    )]
    NoParticipant { batch: i64, reference: String },
    #[error("'{text}' is not a valid email address")]
    BadEmail { text: String },
    #[error(
        "'{text}' is not a NIP: give its digits (letters, spaces, dots, hyphens and slashes allowed), at most 30 characters"
    )]
    BadNip { text: String },
    #[error("another participant of this batch already has {what} '{value}'")]
    Duplicate { what: TextField, value: String },
    #[error("nothing to correct: give a new name, email or registration number")]
    NothingToCorrect,
    #[error("batch {batch} has started; a participant can be removed only before the start")]
    RemoveAfterStart { batch: i64 },
    #[error("there is no member {member}")]
    NoMember { member: i64 },
    #[error("a member needs at least one role")]
    NoRole,
    #[error("member {member} is already {}", if *active { "active" } else { "deactivated" })]
    AlreadyActive { member: i64, active: bool },
    #[error("{name} {} the role {role}", if *holds { "already has" } else { "does not have" })]
    RoleAlready {
        name: String,
        role: String,
        holds: bool,
    },
    #[error("{name} would have no role left; deactivate the member instead")]
    LastRole { name: String },
    #[error("there is no participant {id} (find their number with `sertibot participant find`)")]
    NoSuchParticipant { id: i64 },
    #[error(
        "batch {batch} is still running; erase one of its participants only with --force (the reason is recorded)"
    )]
    EraseRunning { batch: i64 },
    #[error("the period ends ({to}) before it begins ({from})")]
    PeriodReversed { from: String, to: String },
    #[error("a report covers at most {years} years")]
    PeriodTooLong { years: i64 },
}

impl Rejection {
    pub(super) fn key(&self) -> &'static str {
        match self {
            Rejection::NoBatch { .. } => "rejected_no_batch",
            Rejection::FutureAssessment { .. } => "rejected_future_assessment",
            Rejection::AlreadyStarted { .. } => "rejected_already_started",
            Rejection::Empty { .. } => "rejected_empty",
            Rejection::TooLong { .. } => "rejected_too_long",
            Rejection::HiddenControl { .. } => "rejected_hidden_control",
            Rejection::NoParticipant { .. } => "rejected_no_participant",
            Rejection::BadEmail { .. } => "rejected_bad_email",
            Rejection::BadNip { .. } => "rejected_bad_nip",
            Rejection::Duplicate { .. } => "rejected_duplicate",
            Rejection::NothingToCorrect => "rejected_nothing_to_correct",
            Rejection::RemoveAfterStart { .. } => "rejected_remove_after_start",
            Rejection::NoMember { .. } => "rejected_no_member",
            Rejection::NoRole => "rejected_no_role",
            Rejection::AlreadyActive { .. } => "rejected_already_active",
            Rejection::RoleAlready { .. } => "rejected_role_already",
            Rejection::LastRole { .. } => "rejected_last_role",
            Rejection::NoSuchParticipant { .. } => "rejected_no_such_participant",
            Rejection::EraseRunning { .. } => "rejected_erase_running",
            Rejection::PeriodReversed { .. } => "rejected_period_reversed",
            Rejection::PeriodTooLong { .. } => "rejected_period_too_long",
        }
    }
}
