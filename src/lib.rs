//! sertibot runs an LSP's SOP "Penerbitan Sertifikat" for each batch of
//! assessed participants.
//!
//! The parts, and how data flows between them:
//! - [`sop`]: the procedure as data (steps, roles, standard times, what each
//!   step needs, produces and records), embedded by default.
//! - [`workflow`]: the pure core. State + command + time → events and effects,
//!   or a refusal. It has no I/O.
//! - [`store`]: SQLite through sqlx. One `BEGIN IMMEDIATE` transaction per
//!   command writes the state, the audit rows, the outbox rows (every message
//!   to send) and the due times together.
//! - [`app`]: the use cases the command line (and later the bot) call; each
//!   loads a batch, runs the workflow and hands the outcome to the store.
//! - [`notify`]: turns effects into outbox messages for the right people.
//! - [`templates`]: every text staff and participants read, from
//!   `message-templates/` (embedded) or an operator's folder.
//! - [`participants`]: reading participant lists (CSV) all or nothing.
//! - [`config`], [`cli`]: settings and the operator's command line.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod files;
pub mod limits;
pub mod logging;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod participants;
pub mod scheduler;
pub mod service;
pub mod simulate;
pub mod sop;
pub mod store;
pub mod telegram;
pub mod templates;
pub mod verdicts;
pub mod wake;
pub mod workflow;
pub mod xlsx;
