//! sertibot's store on PostgreSQL, built a part at a time beside the
//! SQLite store it mirrors (same tables, `migrations/postgres/`), in
//! PostgreSQL's own dialect. The parts here are the ones several instances
//! sharing one database rely on first: the audit chain appended through its
//! head row, so that two instances can never fork it ([`audit`]), and the
//! outbox claimed with `FOR UPDATE SKIP LOCKED` and settled under a fencing
//! number, so that each row goes to one sender at a time ([`outbox`]).
//! Updates are taken from the inbox each by one instance, one chat's in
//! order ([`inbox`]). In polling mode one instance fetches at a time, under a lease another
//! takes over within 15 s of its death ([`lease`]).
//! Timers need nothing of their own: their statements are shared
//! ([`super::timers`]), and a firing counts only if its conditional
//! update finds the timer unfired.
//!
//! The service does not run on PostgreSQL yet: these are tested against a
//! real server, several pools standing in for several instances
//! (`tests/it/postgres.rs`), and `sertibot db copy` ([`super::copy`]) walks
//! the copied chain with [`audit::chain`].

pub mod audit;
pub mod inbox;
pub mod lease;
pub mod outbox;
