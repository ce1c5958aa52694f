//! Email: building messages from templates ([`compose`], with the HTML
//! part written from the text by [`html`]), sending them by
//! SMTP or into `.eml` files ([`transport`]), and the outbox worker that
//! retries until delivered or reports the failure ([`delivery`]).

pub mod compose;
pub mod delivery;
pub mod html;
pub mod transport;
