//! Batches: creating one, importing its participants, starting it,
//! acting on it, entering results and blank numbers from files, and
//! reading it back.

use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::domain::{BatchId, BatchInfo, Competence, Member};
use crate::notify::{self};
use crate::participants::{self, Existing, ListError};
use crate::store::{BatchSummary, Store, Tx};
use crate::workflow::{Actor, BatchState, BatchStatus, Command, Decision};

impl App {
    /// Creates a draft batch.
    ///
    /// # Errors
    /// `Invalid` for an empty scheme or an assessment date in the future.
    pub async fn create_batch(
        &self,
        scheme: &str,
        assessed_on: NaiveDate,
        place: Option<&str>,
        by: &Actor,
        via: Via,
    ) -> Result<BatchId, AppError> {
        let scheme = required_text(scheme, TextField::Scheme, MAX_SCHEME)?;
        let now = self.now();
        let today = now.with_timezone(&self.config.calendar.tz).date_naive();
        if assessed_on > today {
            return Err(AppError::Rejected(Rejection::FutureAssessment {
                date: assessed_on.to_string(),
            }));
        }
        let place = place.map(str::trim).filter(|p| !p.is_empty());
        let mut tx = self.store.begin().await?;
        let procedure_id = Store::save_procedure(&mut tx, &self.procedure, now).await?;
        let id =
            Store::insert_batch(&mut tx, &scheme, assessed_on, place, procedure_id, now).await?;
        Store::audit(
            &mut tx,
            &[entry_for(
                by,
                via,
                "batch_created",
                Some(id),
                json!({"scheme": scheme, "assessed_on": assessed_on, "place": place}),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Imports participants from a CSV file's bytes: all rows or none.
    ///
    /// # Errors
    /// `NotFound` for no such batch, `Invalid` once the batch has started,
    /// `List` naming every bad row.
    pub async fn import_participants(
        &self,
        batch: BatchId,
        file: &[u8],
        by: &Actor,
        via: Via,
    ) -> Result<usize, AppError> {
        let rows = participants::read_table(file)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        if state.status != BatchStatus::Draft {
            return Err(AppError::Rejected(Rejection::AlreadyStarted {
                batch: batch.0,
            }));
        }
        let (emails, registration_nos, last_row) = Store::participant_keys(&mut tx, batch).await?;
        let list = participants::validate(
            &rows,
            &Existing {
                emails,
                registration_nos,
            },
        )?;
        Store::insert_participants(&mut tx, batch, &list, last_row).await?;
        Store::audit(
            &mut tx,
            &[entry_for(
                by,
                via,
                "participants_imported",
                Some(batch),
                json!({"count": list.len()}),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(list.len())
    }

    /// Starts the SOP for a batch with the current procedure; step 1's
    /// people get their task through the outbox.
    ///
    /// # Errors
    /// `NotFound`, `Refused` (already started, no participants), or
    /// `Invalid` when no member holds a role the procedure needs.
    pub async fn start_batch(
        &self,
        batch: BatchId,
        actor: &Actor,
        via: Via,
    ) -> Result<Decision, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        if state.status == BatchStatus::Draft {
            // A batch runs the procedure in force when it starts, and keeps it.
            let procedure_id = Store::save_procedure(&mut tx, &self.procedure, now).await?;
            Store::set_batch_procedure(&mut tx, batch, procedure_id).await?;
            let members = Store::members(&mut tx).await?;
            let mut fresh = BatchState::new(
                batch,
                self.procedure.clone(),
                state.participants.values().map(|p| (p.id, p.name.clone())),
            );
            fresh.assessed_on = state.assessed_on;
            if let Some((step, roles)) = notify::unstaffed_steps(&fresh, &members).first() {
                return Err(AppError::Unstaffed {
                    step: *step,
                    roles: roles.iter().map(|r| r.title().to_string()).collect(),
                });
            }
            let outcome = self
                .run(&mut tx, fresh, actor, &[Command::Start], via, now)
                .await;
            return self
                .finish(tx, batch, actor, &[Command::Start], via, now, outcome)
                .await
                .map(|d| d.into_iter().next().unwrap_or_default());
        }
        let decisions = self
            .run(&mut tx, state, actor, &[Command::Start], via, now)
            .await;
        self.finish(tx, batch, actor, &[Command::Start], via, now, decisions)
            .await
            .map(|d| d.into_iter().next().unwrap_or_default())
    }

    /// Runs commands on a batch as one transaction: all are accepted, or
    /// none is and the refusal is recorded in the audit log.
    ///
    /// # Errors
    /// `NotFound` for no such batch, `Refused` with the first refusal.
    pub async fn act(
        &self,
        batch: BatchId,
        actor: &Actor,
        commands: &[Command],
        via: Via,
    ) -> Result<Vec<Decision>, AppError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let state = self.load(&mut tx, batch).await?;
        let outcome = self.run(&mut tx, state, actor, commands, via, now).await;
        self.finish(tx, batch, actor, commands, via, now, outcome)
            .await
    }

    /// Records the results of a results file (CSV or XLSX) as one
    /// transaction: every row, or none. Returns how many were recorded.
    ///
    /// # Errors
    /// `List` naming the bad rows, `Refused` when results cannot be entered now.
    pub async fn record_results_file(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
    ) -> Result<usize, AppError> {
        self.record_table(batch, actor, bytes, via, |rows, known| {
            // Each verdict, then the units a BK participant is not yet
            // competent in (only when the file has that column).
            Ok(crate::verdicts::validate(rows, known)?
                .into_iter()
                .flat_map(|v| {
                    let units = v
                        .units_bk
                        .filter(|_| v.result == Competence::BelumKompeten)
                        .map(|units| Command::RecordUnitsBk {
                            participant: v.participant,
                            units,
                        });
                    std::iter::once(Command::RecordResult {
                        participant: v.participant,
                        result: v.result,
                    })
                    .chain(units)
                })
                .collect())
        })
        .await
    }

    /// Records the BNSP blank numbers of a file (CSV or XLSX), every row or none.
    ///
    /// # Errors
    /// As [`App::record_results_file`].
    pub async fn record_blank_numbers_file(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
    ) -> Result<usize, AppError> {
        self.record_table(batch, actor, bytes, via, |rows, known| {
            Ok(crate::verdicts::blank_numbers(rows, known)?
                .into_iter()
                .map(|(participant, number)| Command::RecordBlankNumber {
                    participant,
                    number,
                })
                .collect())
        })
        .await
    }

    /// Reads a per-participant table into commands and runs them as one transaction.
    pub(super) async fn record_table(
        &self,
        batch: BatchId,
        actor: &Actor,
        bytes: &[u8],
        via: Via,
        commands: impl FnOnce(
            &[participants::RawRow],
            &std::collections::BTreeMap<crate::domain::ParticipantId, crate::domain::Participant>,
        ) -> Result<Vec<Command>, ListError>,
    ) -> Result<usize, AppError> {
        let rows = participants::read_table(bytes)?;
        let mut conn = self.conn().await?;
        let known = Store::participants(&mut conn, batch).await?;
        drop(conn);
        let commands = commands(&rows, &known)?;
        self.act(batch, actor, &commands, via).await?;
        // Rows recorded: a BK row's units go with its verdict.
        Ok(commands
            .iter()
            .filter(|c| !matches!(c, Command::RecordUnitsBk { .. }))
            .count())
    }

    pub(super) async fn load(&self, tx: &mut Tx, batch: BatchId) -> Result<BatchState, AppError> {
        Store::load_state(tx, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))
    }

    /// A batch's state and identity, for status views.
    ///
    /// # Errors
    /// `NotFound` when there is no such batch.
    pub async fn batch(
        &self,
        batch: BatchId,
    ) -> Result<(BatchInfo, BatchState, Vec<Member>), AppError> {
        let mut conn = self.conn().await?;
        let state = Store::load_state(&mut conn, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))?;
        let info = Store::batch_info(&mut conn, batch)
            .await?
            .ok_or_else(|| AppError::Rejected(Rejection::NoBatch { batch: batch.0 }))?;
        let members = Store::members(&mut conn).await?;
        Ok((info, state, members))
    }

    /// A participant's name in a batch, for a reply; empty when the batch
    /// has no such participant (a stale button).
    ///
    /// # Errors
    /// `NotFound` when there is no such batch.
    pub async fn participant_name(
        &self,
        batch: BatchId,
        participant: crate::domain::ParticipantId,
    ) -> Result<String, AppError> {
        let (_, state, _) = self.batch(batch).await?;
        Ok(state
            .participants
            .get(&participant)
            .map(|p| p.name.clone())
            .unwrap_or_default())
    }

    /// Every batch, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn batches(&self) -> Result<Vec<BatchSummary>, AppError> {
        let mut conn = self.conn().await?;
        Ok(Store::batches(&mut conn).await?)
    }
}
