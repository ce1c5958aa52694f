//! Email: building messages from templates ([`compose`]), sending them by
//! SMTP or into `.eml` files ([`transport`]), and the outbox worker that
//! retries until delivered or reports the failure ([`delivery`]).

pub mod compose;
pub mod delivery;
pub mod transport;
