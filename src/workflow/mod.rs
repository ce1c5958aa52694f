//! The pure workflow core: the SOP's rules with no I/O. Given a batch's
//! state, who asks, a [`Command`] and the time, [`execute`] returns the
//! [`Event`]s that follow and their [`Effect`]s (messages to send, due times
//! to set), or a [`Refusal`] that says why not. Nothing here touches SQLite,
//! Telegram or SMTP; adapters translate the outside world to and from it.

pub mod alerts;
mod apply;
pub mod calendar;
mod command;
mod effect;
mod engine;
mod event;
mod refusal;
mod state;

#[cfg(test)]
mod tests;

pub use calendar::{Calendar, CalendarMode, WorkingWeek};
pub use command::{Actor, Command, Staff};
pub use effect::{Effect, effects_of};
pub use engine::{
    Decision, Intent, MAX_BLANK_NUMBER, MAX_DECREE_NUMBER, MAX_PLACE, MAX_PROBLEM_TEXT, MAX_REASON,
    attendance_keepers, execute, may,
};
pub use event::Event;
pub use refusal::{Field, MissingInput, Refusal};
pub use state::{
    BatchState, BatchStatus, Decree, DoneMark, Handover, HandoverStage, Meeting, MeetingChanges,
    ParticipantState, Pause, ReceiptVia, Rsvp, StepRun, StepState,
};
