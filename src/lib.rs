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
//! - [`app`]: the use cases the command line, the bot and the scheduler
//!   call; each loads a batch, asks the workflow and writes the outcome.
//! - [`notify`]: turns effects into outbox messages for the right people;
//!   a group can be sent only a [`notify::GroupMessage`].
//! - [`telegram`], [`mail`]: the bot's handlers and the two delivery
//!   workers that send what the outbox holds.
//! - [`scheduler`]: fires due timers and deadline alerts.
//! - [`service`]: starts, supervises and stops the running service.
//! - [`templates`]: every text staff and participants read, from
//!   `message-templates/` (embedded) or an operator's folder.
//! - [`participants`], [`verdicts`], [`xlsx`]: reading lists (CSV, XLSX)
//!   all or nothing, within bounds.
//! - [`config`], [`cli`]: settings and the operator's command line.

pub mod app;
pub mod budget;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dates;
pub mod documents;
pub mod domain;
pub mod evidence;
pub mod files;
pub mod limits;
pub mod logging;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod participants;
pub mod report;
pub mod scheduler;
pub mod service;
pub mod simulate;
pub mod sop;
pub mod store;
pub mod telegram;
pub mod templates;
pub mod verdicts;
pub mod wake;
pub mod words;
pub mod workflow;
pub mod xlsx;
