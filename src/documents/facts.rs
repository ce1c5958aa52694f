//! What a batch's records say, turned into each document's data: which
//! documents the batch has so far, the date each one carries (the time of
//! the event it records, never the wall clock) and the facts it prints.
//! Pure: the same records give the same data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sqlx::SqliteConnection;

use super::Kind;
use crate::domain::{
    BatchId, BatchInfo, Competence, Lang, Member, ParticipantDetails, ParticipantId, Role,
};
use crate::sop::{Applies, RecordKind};
use crate::store::Store;
use crate::workflow::BatchState;

/// What a participant's row holds besides the workflow's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their number on the list (1-based, in import order).
    pub row: usize,
    pub registration_no: Option<String>,
    pub details: ParticipantDetails,
}

/// Everything the documents of one batch are made from.
#[derive(Debug, Clone)]
pub struct BatchFacts {
    pub info: BatchInfo,
    pub state: BatchState,
    pub people: BTreeMap<ParticipantId, Person>,
    /// Every member, active or not (a past signer is still named).
    pub members: Vec<Member>,
}

/// A document the batch has: its kind, whom it is about, and its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    pub participant: Option<ParticipantId>,
    pub dated: DateTime<Utc>,
}

impl BatchFacts {
    /// Reads a batch's facts.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn load(
        conn: &mut SqliteConnection,
        batch: BatchId,
    ) -> anyhow::Result<Option<BatchFacts>> {
        let (Some(info), Some(state)) = (
            Store::batch_info(&mut *conn, batch).await?,
            Store::load_state(&mut *conn, batch).await?,
        ) else {
            return Ok(None);
        };
        let people = Store::particulars(&mut *conn, batch)
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let person = Person {
                    row: i + 1,
                    registration_no: p.registration_no,
                    details: p.details,
                };
                (p.id, person)
            })
            .collect();
        let members = Store::members(&mut *conn).await?;
        Ok(Some(BatchFacts {
            info,
            state,
            people,
            members,
        }))
    }

    /// Every document the batch has so far, in the SOP's order.
    pub fn due(&self) -> Vec<Due> {
        let mut due = Vec::new();
        let mut add = |kind, participant, dated: Option<DateTime<Utc>>| {
            if let Some(dated) = dated {
                due.push(Due {
                    kind,
                    participant,
                    dated,
                });
            }
        };
        let invitation = self.invitation_date();
        add(Kind::Undangan, None, invitation);
        add(Kind::DaftarHadir, None, invitation);
        let results = self.results_date();
        add(Kind::BeritaAcara, None, results);
        add(Kind::LampiranSk, None, self.decree_date());
        if let Some(started) = self.started(Applies::SomeBk, None) {
            for p in self.with_result(Competence::BelumKompeten) {
                add(Kind::SuratBk, Some(p), Some(started));
            }
        }
        let request = self
            .started(Applies::SomeK, Some(RecordKind::BlankNumbers))
            .filter(|_| results.is_some());
        add(Kind::PermohonanBlangko, None, request);
        add(Kind::DaftarPeserta, None, request);
        add(Kind::PaketBnsp, None, request);
        for (id, p) in &self.state.participants {
            add(Kind::TandaTerima, Some(*id), p.handover.received_at);
        }
        let handovers = self
            .state
            .participants
            .values()
            .flat_map(|p| [p.handover.ready_at, p.handover.received_at])
            .flatten()
            .max();
        add(Kind::DaftarSerahTerima, None, handovers);
        add(Kind::Linimasa, None, self.latest_step_event());
        due
    }

    /// The invitation's date: when the meeting was recorded.
    fn invitation_date(&self) -> Option<DateTime<Utc>> {
        let meeting = self.state.meeting.as_ref()?;
        let step = self.state.procedure.step_recording(RecordKind::Meeting);
        let run = step.map(|s| self.state.run(s.no));
        Some(
            run.and_then(|r| r.finished_at.or(r.started_at))
                .unwrap_or(meeting.starts_at),
        )
    }

    /// The berita acara's date, once every participant has a result: the
    /// plenary meeting's start (or, with no meeting, the results step's).
    fn results_date(&self) -> Option<DateTime<Utc>> {
        let complete = !self.state.participants.is_empty()
            && self.state.participants.values().all(|p| p.result.is_some());
        if !complete {
            return None;
        }
        let step = self.state.procedure.step_recording(RecordKind::Results);
        self.state
            .meeting
            .as_ref()
            .map(|m| m.starts_at)
            .or_else(|| {
                step.and_then(|s| {
                    let run = self.state.run(s.no);
                    run.started_at.or(run.finished_at)
                })
            })
    }

    fn decree_date(&self) -> Option<DateTime<Utc>> {
        self.results_date()?;
        self.state.decree.as_ref().map(|d| morning(d.date))
    }

    /// When the first step of the `applies` branch (recording `records`,
    /// if given) started.
    fn started(&self, applies: Applies, records: Option<RecordKind>) -> Option<DateTime<Utc>> {
        let step = self
            .state
            .procedure
            .steps
            .iter()
            .find(|s| s.applies == applies && (records.is_none() || s.records == records))?;
        self.state.run(step.no).started_at
    }

    fn latest_step_event(&self) -> Option<DateTime<Utc>> {
        self.state
            .steps
            .values()
            .flat_map(|r| [r.started_at, r.finished_at])
            .flatten()
            .max()
    }

    pub(super) fn with_result(&self, verdict: Competence) -> Vec<ParticipantId> {
        self.state
            .participants
            .values()
            .filter(|p| p.result == Some(verdict))
            .map(|p| p.id)
            .collect()
    }

    pub(super) fn member_name(&self, id: crate::domain::MemberId) -> String {
        self.members
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| format!("#{}", id.0), |m| m.name.clone())
    }

    /// A member's NIP, if they have one.
    pub(super) fn member_nip(&self, id: crate::domain::MemberId) -> Option<String> {
        self.members
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.nip.clone())
    }

    /// The first member holding `role` (the signer of a letter).
    pub(super) fn holder(&self, role: Role) -> Option<&Member> {
        self.members.iter().find(|m| m.roles.contains(&role))
    }
}

/// A date as letters write it: "27 November 2026".
pub fn day_text(date: NaiveDate) -> String {
    crate::templates::dates::format_date(&date.to_string(), Lang::Id).unwrap_or_default()
}

/// A calendar date's document time: 08.00 WIB that day.
fn morning(date: NaiveDate) -> DateTime<Utc> {
    let at = date.and_hms_opt(1, 0, 0).unwrap_or_default();
    Utc.from_utc_datetime(&at)
}
