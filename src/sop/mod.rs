//! The SOP as data: the steps of "Penerbitan Sertifikat", who does them, how
//! long they may take, what they need and produce, when they apply, and what
//! they record. The default procedure is embedded in the binary; an
//! operator's own file replaces it. Nothing about a particular step is
//! hard-coded elsewhere: the workflow reads what a step records and when it
//! applies from here.

mod fault;
mod parse;
mod time;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{Competence, RoleSet};

pub use fault::{Fault, TimeFault};
pub use parse::ProcedureError;
pub use time::{StandardTime, TimeUnit};

/// The embedded default procedure, the SOP as Politeknik STMI Jakarta wrote it.
pub const DEFAULT_PROCEDURE: &str = include_str!("penerbitan-sertifikat.toml");

/// A step's number as the source document has it (1–8, 10, 11: there is no 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepNo(pub u32);

impl fmt::Display for StepNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// When a step applies to a batch, decided once the plenary's results are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applies {
    /// Every batch runs the step.
    Always,
    /// Only a batch with at least one BK participant (the BK branch).
    SomeBk,
    /// Only a batch with at least one K participant (the K branch).
    SomeK,
}

impl Applies {
    /// Whether a step with this condition concerns a participant with `verdict`.
    pub fn concerns(self, verdict: Competence) -> bool {
        match self {
            Applies::Always => true,
            Applies::SomeBk => verdict == Competence::BelumKompeten,
            Applies::SomeK => verdict == Competence::Kompeten,
        }
    }
}

/// When a step's clock starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockStart {
    /// When the step opens (its inputs are done).
    #[default]
    Inputs,
    /// At the committee meeting's start, or when the step opens if that is
    /// later: a step held at the meeting is not late before the meeting. A
    /// rescheduled meeting moves the clock; a cancelled one holds it.
    Meeting,
}

/// What a step records besides "done": the entries the workflow collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// The committee meeting: when and where (the invitation's content).
    Meeting,
    /// K or BK for every participant (berita acara penetapan).
    Results,
    /// The decree (SK penetapan hasil asesmen): number and date.
    Decree,
    /// One BNSP blank (blangko) number per K participant.
    BlankNumbers,
    /// One receipt (tanda terima) per participant, at the handover.
    Receipts,
}

/// One step of the procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The source's number.
    pub no: StepNo,
    /// The source's wording (kegiatan).
    pub activity: String,
    /// An English gloss of the activity.
    pub gloss: String,
    /// Who does the step; all of them receive its task.
    pub roles: RoleSet,
    /// Whose "done" completes the step: one member of each of these roles.
    pub done_by: RoleSet,
    /// Who may enter what the step records.
    pub entry_roles: RoleSet,
    /// Mutu baku waktu: the standard time.
    pub standard_time: StandardTime,
    /// The step runs once per participant, with a clock per participant.
    pub per_participant: bool,
    /// Kelengkapan: what must be in hand.
    pub needs: Vec<String>,
    /// What the step produces.
    pub output: String,
    /// Keterkaitan: the related SOP, if any.
    pub related_sop: Option<String>,
    /// When the step applies.
    pub applies: Applies,
    /// When its clock starts.
    pub clock: ClockStart,
    /// What the step records, if anything besides "done".
    pub records: Option<RecordKind>,
    /// The steps whose output this step needs.
    pub after: Vec<StepNo>,
}

/// A whole procedure, validated: the steps are in an order they can run in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    /// The SOP's name.
    pub name: String,
    /// The SOP's document number.
    pub number: String,
    /// The SOP's version or revision date, as its author wrote it.
    pub version: String,
    /// The steps in the order the file lists them (each after its inputs).
    pub steps: Vec<Step>,
    /// SHA-256 of the file's text: identifies this exact version.
    pub fingerprint: String,
    /// The file's text, kept so a batch can be reloaded as it started.
    pub source: String,
}

impl Procedure {
    /// The embedded default procedure.
    pub fn embedded_default() -> Procedure {
        Procedure::parse(DEFAULT_PROCEDURE, "embedded default procedure")
            .expect("the embedded default procedure is valid (checked by a unit test)")
    }

    /// Reads and validates a procedure file's text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ProcedureError`] naming the origin, the line where known, and what is wrong.
    pub fn parse(text: &str, origin: &str) -> Result<Procedure, ProcedureError> {
        parse::parse(text, origin)
    }

    /// Reads and validates a procedure file from disk.
    ///
    /// # Errors
    /// [`ProcedureError`] when the file cannot be read or is not a valid procedure.
    pub fn load(path: &std::path::Path) -> Result<Procedure, ProcedureError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProcedureError {
            origin: origin.clone(),
            line: None,
            fault: Fault::Unreadable {
                error: e.to_string(),
            },
        })?;
        parse::parse(&text, &origin)
    }

    /// The step with this number.
    pub fn step(&self, no: StepNo) -> Option<&Step> {
        self.steps.iter().find(|s| s.no == no)
    }

    /// The step whose clock starts at the meeting, if the procedure has one.
    pub fn step_at_meeting(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.clock == ClockStart::Meeting)
    }

    /// The step that records `kind`, if the procedure has one.
    pub fn step_recording(&self, kind: RecordKind) -> Option<&Step> {
        self.steps.iter().find(|s| s.records == Some(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn the_default_procedure_has_the_sources_ten_steps() {
        let p = Procedure::embedded_default();
        let numbers: Vec<u32> = p.steps.iter().map(|s| s.no.0).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
        assert!(p.step(StepNo(9)).is_none());
        let meeting = p.step(StepNo(3)).unwrap();
        assert_eq!(
            meeting.roles,
            [Role::KetuaLsp, Role::KomiteTeknis].into_iter().collect()
        );
        assert_eq!(meeting.done_by, [Role::KetuaLsp].into_iter().collect());
        assert_eq!(meeting.records, Some(RecordKind::Results));
        assert_eq!(meeting.clock, ClockStart::Meeting);
        assert_eq!(p.step_at_meeting().map(|s| s.no), Some(StepNo(3)));
        let blanks = p.step(StepNo(6)).unwrap();
        assert_eq!(blanks.standard_time.to_string(), "1 minggu");
        assert_eq!(blanks.applies, Applies::SomeK);
        let handover = p.step(StepNo(11)).unwrap();
        assert!(handover.per_participant);
        assert_eq!(handover.after, vec![StepNo(5), StepNo(10)]);
        assert_eq!(p.fingerprint.len(), 64);
    }
}
