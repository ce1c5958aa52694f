//! The SOP's documents: the papers each step produces, typeset from the
//! facts sertibot holds, in Indonesian, on the LSP's letterhead.
//!
//! - [`Kind`]: every kind of document, its file and its letter number;
//! - [`facts`]: what a batch's records say, as each document's data;
//! - [`engine`]: Typst as a library, fonts embedded, user text as data;
//! - [`numbers`]: letter numbers with a yearly counter;
//! - [`bnsp`]: the blank-request package (list as XLSX, zipped);
//! - [`kit`]: the templates (embedded, overridable) and the letterhead.
//!
//! A document is a pure function of its facts: the same facts give the
//! same bytes, dated by the event the document records.

pub mod bnsp;
mod data;
pub mod engine;
pub mod facts;
pub mod issue;
pub mod kit;
#[cfg(test)]
mod layout;
pub mod numbers;
mod reading;
pub mod sample;
pub mod sandbox;

use serde::Serialize;

use crate::domain::{ParticipantId, Role, RoleSet};
use crate::sop::{Applies, Procedure, RecordKind};

pub use kit::{DocumentKit, Letterhead, Numbers};

/// Every kind of document sertibot writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Undangan rapat komite teknis (step 1).
    Undangan,
    /// Daftar hadir rapat, with a signature column.
    DaftarHadir,
    /// Berita acara penetapan hasil asesmen (step 3).
    BeritaAcara,
    /// Lampiran SK penetapan hasil asesmen (step 4).
    LampiranSk,
    /// Surat keterangan belum kompeten, one per BK participant (step 5).
    SuratBk,
    /// Surat permohonan blangko to BNSP (step 6).
    PermohonanBlangko,
    /// The participants' list in BNSP's columns (XLSX, step 6).
    DaftarPeserta,
    /// The blank-request package: request letter, berita acara, list (ZIP).
    PaketBnsp,
    /// Tanda terima, one per participant who received (step 11).
    TandaTerima,
    /// The printable handover list (daftar serah terima).
    DaftarSerahTerima,
    /// The batch's timeline: one page, a chart of every step.
    Linimasa,
}

impl Kind {
    /// Every kind, in the order of the SOP.
    pub const ALL: [Kind; 11] = [
        Kind::Undangan,
        Kind::DaftarHadir,
        Kind::BeritaAcara,
        Kind::LampiranSk,
        Kind::SuratBk,
        Kind::PermohonanBlangko,
        Kind::DaftarPeserta,
        Kind::PaketBnsp,
        Kind::TandaTerima,
        Kind::DaftarSerahTerima,
        Kind::Linimasa,
    ];

    /// The kind's name in files, the command line and the audit log.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Undangan => "undangan",
            Kind::DaftarHadir => "daftar-hadir",
            Kind::BeritaAcara => "berita-acara",
            Kind::LampiranSk => "lampiran-sk",
            Kind::SuratBk => "surat-bk",
            Kind::PermohonanBlangko => "permohonan-blangko",
            Kind::DaftarPeserta => "daftar-peserta",
            Kind::PaketBnsp => "paket-bnsp",
            Kind::TandaTerima => "tanda-terima",
            Kind::DaftarSerahTerima => "daftar-serah-terima",
            Kind::Linimasa => "linimasa",
        }
    }

    /// The kind named `slug`.
    pub fn from_slug(slug: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// The document's title, as staff call it.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Undangan => "Undangan rapat komite teknis",
            Kind::DaftarHadir => "Daftar hadir rapat",
            Kind::BeritaAcara => "Berita acara penetapan hasil asesmen",
            Kind::LampiranSk => "Lampiran SK penetapan hasil asesmen",
            Kind::SuratBk => "Surat keterangan belum kompeten",
            Kind::PermohonanBlangko => "Surat permohonan blangko",
            Kind::DaftarPeserta => "Daftar peserta asesmen (XLSX BNSP)",
            Kind::PaketBnsp => "Paket permohonan blangko BNSP",
            Kind::TandaTerima => "Tanda terima",
            Kind::DaftarSerahTerima => "Daftar serah terima",
            Kind::Linimasa => "Linimasa batch",
        }
    }

    /// The template that typesets it; none for the XLSX and the ZIP.
    pub fn template(self) -> Option<&'static str> {
        match self {
            Kind::DaftarPeserta | Kind::PaketBnsp => None,
            other => Some(match other {
                Kind::Undangan => "undangan.typ",
                Kind::DaftarHadir => "daftar-hadir.typ",
                Kind::BeritaAcara => "berita-acara.typ",
                Kind::LampiranSk => "lampiran-sk.typ",
                Kind::SuratBk => "surat-bk.typ",
                Kind::PermohonanBlangko => "permohonan-blangko.typ",
                Kind::TandaTerima => "tanda-terima.typ",
                Kind::DaftarSerahTerima => "daftar-serah-terima.typ",
                _ => "linimasa.typ",
            }),
        }
    }

    /// The code in its default letter number; none when it has no number
    /// of its own (the SK's list carries the decree's number).
    pub fn number_code(self) -> Option<&'static str> {
        match self {
            Kind::Undangan => Some("UND"),
            Kind::BeritaAcara => Some("BA"),
            Kind::SuratBk => Some("SKBK"),
            Kind::PermohonanBlangko => Some("PB"),
            Kind::TandaTerima => Some("TT"),
            _ => None,
        }
    }

    /// One document per participant (a letter, a receipt), not per batch.
    pub fn per_participant(self) -> bool {
        matches!(self, Kind::SuratBk | Kind::TandaTerima)
    }

    /// Whether it names participants: such documents go only to private
    /// chats and to staff.
    pub fn names_participants(self) -> bool {
        !matches!(self, Kind::Undangan | Kind::DaftarHadir)
    }

    /// The roles that may hold this kind: Ketua LSP, who heads the LSP
    /// and signs its letters, and the people of the steps it serves, as
    /// the procedure `sop` names them (the invitation's writer and the
    /// meeting's people; the minutes' meeting and decree; the decree's
    /// step and the steps it opens; the BK letter's step and the handover;
    /// the blank request's step; the handover's). A Komite Teknis member
    /// never receives the participants' list or the BNSP package.
    pub fn readers(self, sop: &Procedure) -> RoleSet {
        let of = |kind: RecordKind| sop.step_recording(kind).map(|s| s.roles.clone());
        let bk_letters = sop
            .steps
            .iter()
            .find(|s| s.records.is_none() && s.applies == Applies::SomeBk)
            .map(|s| s.roles.clone());
        let opened_by_decree = sop.step_recording(RecordKind::Decree).map(|decree| {
            sop.steps
                .iter()
                .filter(|s| s.after.contains(&decree.no))
                .flat_map(|s| s.roles.iter().copied())
                .collect::<RoleSet>()
        });
        let served: Vec<Option<RoleSet>> = match self {
            Kind::Undangan | Kind::DaftarHadir => vec![
                of(RecordKind::Meeting),
                sop.step_at_meeting().map(|s| s.roles.clone()),
            ],
            Kind::BeritaAcara => vec![of(RecordKind::Results), of(RecordKind::Decree)],
            Kind::LampiranSk => vec![of(RecordKind::Decree), opened_by_decree],
            Kind::SuratBk => vec![bk_letters, of(RecordKind::Receipts)],
            Kind::PermohonanBlangko | Kind::DaftarPeserta | Kind::PaketBnsp => {
                vec![of(RecordKind::BlankNumbers)]
            }
            Kind::TandaTerima | Kind::DaftarSerahTerima => vec![of(RecordKind::Receipts)],
            Kind::Linimasa => Vec::new(),
        };
        let mut readers: RoleSet = served.into_iter().flatten().flatten().collect();
        readers.insert(Role::KetuaLsp);
        readers
    }

    /// Its file's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::DaftarPeserta => "xlsx",
            Kind::PaketBnsp => "zip",
            _ => "pdf",
        }
    }
}

/// One document, made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: Kind,
    /// The participant it is about, for a per-participant kind.
    pub participant: Option<ParticipantId>,
    /// Its letter number, if it has one.
    pub number: Option<String>,
    /// The file's name: `<batch>-<kind>[-<participant row>].<ext>`.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Its date: the time of the event it records.
    pub dated: chrono::DateTime<chrono::Utc>,
}

impl Document {
    /// The SHA-256 of its bytes, as lower-case hex.
    pub fn sha256(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(&self.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Its MIME type.
    pub fn mime(&self) -> &'static str {
        match self.kind.extension() {
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "zip" => "application/zip",
            _ => "application/pdf",
        }
    }
}

#[cfg(test)]
mod tests;
