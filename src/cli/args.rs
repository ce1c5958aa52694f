//! The subcommands of each command group, as clap reads them; their
//! help texts are what `sertibot <group> --help` prints.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;

use super::format;
use crate::domain::{BatchId, MemberId, Role};

#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// List the participants of batches that ended more than
    /// `records.retain_years` ago, then erase their personal data
    Purge {
        /// Only list them; erase nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain and name the first row that was
    /// edited, deleted, inserted or moved; exits non-zero when it breaks
    Verify {
        /// A head an export or backup recorded earlier: it must still be in the chain
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a staff member and print their one-time registration link
    Add {
        /// The member's name as colleagues know it
        #[arg(long)]
        name: String,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis (repeatable)
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<Role>,
        /// For the meeting's calendar invitation and when Telegram cannot reach them
        #[arg(long)]
        email: Option<String>,
        /// Their NIP (nomor induk pegawai), printed under their name where they sign
        #[arg(long)]
        nip: Option<String>,
    },
    /// List members, their roles and whether they have registered
    List,
    /// Issue a new registration link for a member (earlier unused links stop working)
    Link {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Deactivate a member who left: their access ends at once (audited)
    Deactivate {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Reactivate a deactivated member (audited)
    Reactivate {
        /// The member's id, as `member list` shows it
        member: MemberId,
    },
    /// Give a member a role or take one away (audited)
    #[command(subcommand)]
    Role(RoleCommand),
    /// Change a member's email address (for the calendar entry and when Telegram cannot reach them)
    Email {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// The new address
        email: Option<String>,
        /// Remove the address instead
        #[arg(long, conflicts_with = "email")]
        clear: bool,
    },
    /// Set a member's NIP, printed under their name where they sign papers
    Nip {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// The NIP, as it should be printed (quote it if it holds spaces)
        nip: Option<String>,
        /// Remove the NIP instead
        #[arg(long, conflicts_with = "nip")]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give a member a role
    Add {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis
        role: Role,
    },
    /// Take a role away from a member (they keep at least one)
    Remove {
        /// The member's id, as `member list` shows it
        member: MemberId,
        /// ketua-lsp, kabag-sertifikasi, kabag-administrasi or komite-teknis
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test message and print what the server said
    Test {
        /// Where to send it
        address: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Create a batch; prints its id alone on the last line
    Create {
        /// The certification scheme (skema sertifikasi)
        #[arg(long)]
        scheme: String,
        /// The day of the assessment, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        assessed_on: NaiveDate,
        /// Where the assessment was held (TUK)
        #[arg(long)]
        place: Option<String>,
    },
    /// Import participants from CSV (name,email,registration_no; "," or ";"): all rows or none
    Import {
        /// The batch's id
        batch: BatchId,
        /// The CSV file (UTF-8)
        file: PathBuf,
    },
    /// Start the SOP for a batch: step 1's people get their task
    Start {
        /// The batch's id
        batch: BatchId,
    },
    /// Show each step: state, who acknowledged, started, due, done
    Status {
        /// The batch's id
        batch: BatchId,
    },
    /// List batches, newest first
    List,
    /// Correct a participant's K/BK result, for the member who decided it
    /// (after the decree only Ketua LSP; the participant is emailed)
    CorrectResult {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// K or BK
        result: crate::domain::Competence,
        /// Why (recorded in the audit log; told to the participant after the decree)
        #[arg(long)]
        reason: String,
        /// The id of the member making the correction, as `member list` shows it
        #[arg(long, value_name = "MEMBER")]
        by: MemberId,
    },
    /// Correct the decree's number or date (Ketua LSP), with a reason
    CorrectDecree {
        /// The batch's id
        batch: BatchId,
        /// The decree's number
        #[arg(long)]
        number: String,
        /// The decree's date, YYYY-MM-DD (or DD-MM-YYYY)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = format::parse_date)]
        date: NaiveDate,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
        /// The id of the member (Ketua LSP) making the correction
        #[arg(long, value_name = "MEMBER")]
        by: MemberId,
    },
    /// Cancel a batch with a reason: those with an open task are told, nothing more is sent
    Cancel {
        /// The batch's id
        batch: BatchId,
        /// Why (recorded in the audit log and told to staff)
        #[arg(long)]
        reason: String,
    },
    /// Write every document the batch has so far (PDF, XLSX, ZIP) into a
    /// folder: letters get their numbers, each issue is in the audit log
    Documents {
        /// The batch's id
        batch: BatchId,
        /// The folder to write into (made if missing; files are the owner's alone)
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Write the batch's evidence for a BNSP audit as one ZIP: a workbook of
    /// every record, every document, and a manifest with each file's SHA-256
    /// and the audit chain's head (marked interim while the batch runs)
    Export {
        /// The batch's id
        batch: BatchId,
        /// The ZIP to write (a new file) [default: batch-N-bukti.zip]
        #[arg(long, value_name = "FILE.zip")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Correct a participant's name, email or registration number (audited)
    Correct {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// The corrected name
        #[arg(long)]
        name: Option<String>,
        /// The corrected email address (emails still waiting go there)
        #[arg(long)]
        email: Option<String>,
        /// The corrected registration number
        #[arg(long)]
        registration_no: Option<String>,
        /// Send again, to the new address, the emails that went to the old one
        #[arg(long)]
        resend: bool,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Find participants by name, email or registration number: their ids
    Find {
        /// Part of a name, an email address or a registration number
        text: String,
    },
    /// Everything held about a participant (their right of access under
    /// UU 27/2022): JSON on standard output, or a file (.json or .pdf)
    Show {
        /// The participant's id, as `participant find` shows it
        id: i64,
        /// Write it to this new file instead: .json, or .pdf on the letterhead
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase a participant's personal data (name, email, NIK, birth data,
    /// phone): a tombstone stays in their place, their email files are
    /// deleted, the erasure is audited
    Erase {
        /// The participant's id, as `participant find` shows it
        id: i64,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
        /// Erase even though their batch is still running
        #[arg(long)]
        force: bool,
    },
    /// Remove a participant from a batch that has not started (audited)
    Remove {
        /// The batch's id
        batch: BatchId,
        /// The participant: registration number, email, or number on the list
        participant: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy the SQLite database into an empty PostgreSQL database, the
    /// audit chain included, and check the copy before keeping it
    /// (refused while the service runs)
    Copy {
        /// The PostgreSQL database: postgres://USER@HOST:PORT/DATABASE (the
        /// password in PGPASSWORD or ~/.pgpass rather than in the URL)
        #[arg(long, value_name = "URL")]
        to: String,
    },
}
