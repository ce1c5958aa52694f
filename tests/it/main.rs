//! The integration tests, one test binary (each binary links the whole
//! program; nine of them took most of CI's time): the real `sertibot`
//! binary and library against a stand-in Bot API, a real SMTP server and
//! SQLite files, by concern.

mod common;
mod support {
    pub mod fake_telegram;
    pub mod postgres;
    pub mod service;
    pub mod smtp;
    pub mod xlsx;
}

mod cli;
mod crash;
mod deadlines;
mod faults;
mod intake;
mod mail;
mod postgres;
mod records;
mod security;
mod telegram;
