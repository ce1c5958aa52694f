pub mod clock;
pub mod domain;
pub mod sop;
pub mod workflow;
