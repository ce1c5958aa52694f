//! Domain types parsed once at the edge, so the rest of the program never
//! holds a bad value: roles, identifiers, participants' email addresses and
//! the K/BK verdict.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A staff role of the LSP, as the SOP's "Pelaksana" columns name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Ketua LSP: chairs the plenary meeting, signs, receives every overdue alert.
    KetuaLsp,
    /// Kabag Sertifikasi: assessment documents, blanks from BNSP, printing, handover.
    KabagSertifikasi,
    /// Kabag Administrasi: the invitation, BK letters, copies and archive.
    KabagAdministrasi,
    /// Komite Teknis: the technical committee that decides K/BK in the meeting.
    KomiteTeknis,
}

impl Role {
    /// Every role, in the order the SOP's table lists them.
    pub const ALL: [Role; 4] = [
        Role::KetuaLsp,
        Role::KabagSertifikasi,
        Role::KabagAdministrasi,
        Role::KomiteTeknis,
    ];

    /// The slug used on the command line and in files (`ketua-lsp`).
    pub fn slug(self) -> &'static str {
        match self {
            Role::KetuaLsp => "ketua-lsp",
            Role::KabagSertifikasi => "kabag-sertifikasi",
            Role::KabagAdministrasi => "kabag-administrasi",
            Role::KomiteTeknis => "komite-teknis",
        }
    }

    /// The title as staff write it (`Ketua LSP`); the same in both languages.
    pub fn title(self) -> &'static str {
        match self {
            Role::KetuaLsp => "Ketua LSP",
            Role::KabagSertifikasi => "Kabag Sertifikasi",
            Role::KabagAdministrasi => "Kabag Administrasi",
            Role::KomiteTeknis => "Komite Teknis",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A role name that is not one of the four the SOP knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role '{0}': use one of ketua-lsp, kabag-sertifikasi, kabag-administrasi, komite-teknis"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_lowercase().replace([' ', '_'], "-");
        Role::ALL
            .into_iter()
            .find(|r| r.slug() == wanted)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// The roles one member holds, or one step asks for.
pub type RoleSet = BTreeSet<Role>;

/// Joins role titles for a sentence: "Ketua LSP atau Komite Teknis".
pub fn join_titles(roles: &RoleSet, or_word: &str) -> String {
    let titles: Vec<&str> = roles.iter().map(|r| r.title()).collect();
    match titles.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {or_word} {last}", init.join(", ")),
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $noun:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map($name)
                    .ok_or_else(|| {
                        format!(concat!("'{}' is not a ", $noun, " id (a positive number such as 3)"), s)
                    })
            }
        }
    };
}

id_type!(
    /// A staff member's row id.
    MemberId,
    "member"
);
id_type!(
    /// A batch's row id, the number operators type (`batch start 3`).
    BatchId,
    "batch"
);
id_type!(
    /// A participant's (asesi's) row id.
    ParticipantId,
    "participant"
);
id_type!(
    /// A numeric Telegram user id: the only identity the bot trusts (never a username).
    TelegramUserId,
    "Telegram user"
);

/// An email address that lettre will accept as a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a text is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("the email address is empty")]
    Empty,
    #[error("'{0}' is not a valid email address")]
    Malformed(String),
}

impl Email {
    /// Parses and trims an address; refuses anything lettre could not send to.
    ///
    /// # Errors
    /// [`InvalidEmail`] when the text is empty or not an address.
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(InvalidEmail::Empty);
        }
        // lettre accepts a few forms that mail servers reject in practice
        // (no dot in the domain); an LSP's participants have public addresses.
        let parsed: lettre::Address = trimmed
            .parse()
            .map_err(|_| InvalidEmail::Malformed(trimmed.to_string()))?;
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(InvalidEmail::Malformed(trimmed.to_string()));
        }
        Ok(Email(trimmed.to_string()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to detect duplicates: addresses differ only in case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The plenary's verdict for one participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Competence {
    /// K: kompeten.
    #[serde(rename = "K")]
    Kompeten,
    /// BK: belum kompeten (not yet competent).
    #[serde(rename = "BK")]
    BelumKompeten,
}

impl Competence {
    /// The code written on paper and in files: `K` or `BK`.
    pub fn code(self) -> &'static str {
        match self {
            Competence::Kompeten => "K",
            Competence::BelumKompeten => "BK",
        }
    }
}

impl FromStr for Competence {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_uppercase().as_str() {
            "K" | "KOMPETEN" => Ok(Competence::Kompeten),
            "BK" | "BELUM KOMPETEN" => Ok(Competence::BelumKompeten),
            _ => Err(format!("'{s}' is not a result: use K or BK")),
        }
    }
}

/// The language of messages to staff and participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// The folder name under `message-templates/`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

/// Lower-case hexadecimal of a byte string (fingerprints, token hashes).
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A staff member as the register holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub roles: RoleSet,
    /// Where the invitation's calendar copy and fallbacks go.
    pub email: Option<Email>,
    /// Set when the member opened their registration link.
    pub telegram_user_id: Option<TelegramUserId>,
    /// Their NIP (nomor induk pegawai), printed under their signature.
    pub nip: Option<String>,
}

/// A batch (angkatan) of assessed participants, as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    pub id: BatchId,
    /// The certification scheme (skema sertifikasi).
    pub scheme: String,
    /// The day of the assessment.
    pub assessed_on: chrono::NaiveDate,
    /// Where the assessment was held (TUK), if given.
    pub place: Option<String>,
}

/// Whether `c` is a bidirectional formatting character (embeddings,
/// overrides, isolates, marks): invisible, it can make text read backwards,
/// so that a button shows "BK" where the data says K.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `text` holds a character that is neither visible nor ordinary
/// white space: a control character (NUL, escape…) or a bidirectional
/// formatting character. Such characters are refused in names.
pub fn has_hidden_control(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && !c.is_whitespace()) || is_bidi_control(c))
}

/// Whether `text` has a letter or digit someone can see. A name made only
/// of format characters (a zero-width joiner, U+FEFF) or of the Hangul
/// fillers that print as nothing (U+3164 and its kin) looks empty on
/// every paper and card, and is refused as empty.
pub fn has_visible_letter(text: &str) -> bool {
    let filler = |c: char| matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}');
    text.chars().any(|c| c.is_alphanumeric() && !filler(c))
}

/// A participant (asesi) and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub name: String,
    pub email: Email,
    /// The registration number (nomor registrasi/peserta), if given.
    pub registration_no: Option<String>,
}

/// A participant's particulars that BNSP's blank request asks for: all
/// optional on import (a list without them still imports), personal data
/// under UU 27/2022, never logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ParticipantDetails {
    /// Nomor Induk Kependudukan: 16 digits.
    pub nik: Option<String>,
    /// Tempat lahir.
    pub birth_place: Option<String>,
    /// Tanggal lahir.
    pub birth_date: Option<chrono::NaiveDate>,
    /// Nomor telepon.
    pub phone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_slugs_and_titles() {
        assert_eq!("ketua-lsp".parse::<Role>().unwrap(), Role::KetuaLsp);
        assert_eq!("Komite Teknis".parse::<Role>().unwrap(), Role::KomiteTeknis);
        let err = "kepala".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("unknown role 'kepala'"));
    }

    #[test]
    fn emails_are_checked() {
        assert!(Email::parse("ayu.widyastuti@example.ac.id").is_ok());
        assert_eq!(Email::parse("  ").unwrap_err(), InvalidEmail::Empty);
        assert!(Email::parse("ayu@").is_err());
        assert!(Email::parse("ayu@localhost").is_err());
        assert!(Email::parse("ayu example.com").is_err());
        assert_eq!(
            Email::parse("Ayu@Example.com").unwrap().normalized(),
            "ayu@example.com"
        );
    }

    #[test]
    fn a_name_needs_a_letter_someone_can_see() {
        for invisible in [
            "\u{200D}",
            "\u{FEFF}",
            "\u{3164}",
            "\u{3164}\u{200D} \u{FFA0}",
            " ",
        ] {
            assert!(!has_visible_letter(invisible), "{invisible:?}");
        }
        for visible in ["Ayu", "I Gede", "李", "Ni\u{200D}Komang", "7"] {
            assert!(has_visible_letter(visible), "{visible:?}");
        }
    }

    #[test]
    fn titles_join_naturally() {
        let roles: RoleSet = [Role::KetuaLsp, Role::KomiteTeknis].into_iter().collect();
        assert_eq!(join_titles(&roles, "atau"), "Ketua LSP atau Komite Teknis");
    }
}
