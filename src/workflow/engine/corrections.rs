//! Corrections, each with who and why: a participant's result (before the
//! decree by those who enter results; after it only by Ketua LSP, and the
//! branch for the new verdict opens again where it had run), the decree's
//! number or date, and cancelling a batch.

use super::{MAX_DECREE_NUMBER, MAX_REASON, Run, required};
use crate::domain::{Competence, ParticipantId, Role, RoleSet};
use crate::sop::{Applies, RecordKind};
use crate::workflow::command::{Actor, Staff};
use crate::workflow::event::Event;
use crate::workflow::refusal::{Field, Refusal};
use crate::workflow::state::{BatchStatus, Decree, HandoverStage, StepState};

impl Run<'_> {
    pub(super) fn correct_result(
        &mut self,
        staff: &Staff,
        participant: ParticipantId,
        result: Competence,
        reason: &str,
    ) -> Result<(), Refusal> {
        let results = self.recording(RecordKind::Results)?;
        let after_decree = self.state.decree.is_some();
        let allowed: RoleSet = if after_decree {
            [Role::KetuaLsp].into()
        } else {
            results.entry_roles.clone()
        };
        Self::require_role(staff, &results, &allowed)?;
        if self.state.run(results.no).state == StepState::Waiting {
            self.require_active(&results)?;
        }
        let reason = required(reason, Field::Reason, MAX_REASON)?;
        let p = self.participant(participant)?;
        let name = p.name.clone();
        let Some(from) = p.result else {
            return Err(Refusal::NoResultYet { participant: name });
        };
        if p.handover.stage() == HandoverStage::Received {
            return Err(Refusal::AlreadyReceived { participant: name });
        }
        if from == result {
            return Ok(());
        }
        self.emit(Event::ResultCorrected {
            participant,
            from,
            to: result,
            reason,
            after_decree,
            by: staff.id,
            at: self.now,
        });
        self.reopen_branch(result);
        self.close_branch(from);
        self.advance();
        Ok(())
    }

    /// When nobody has `verdict` any more, the open steps of its branch are
    /// skipped (a document no one needs is not made); steps done before the
    /// correction stay done, as they happened.
    fn close_branch(&mut self, verdict: Competence) {
        if self.state.has_verdict(verdict) {
            return;
        }
        let procedure = self.state.procedure.clone();
        for step in &procedure.steps {
            let branch = step.applies != Applies::Always && step.applies.concerns(verdict);
            if branch && !step.per_participant && self.state.run(step.no).state == StepState::Active
            {
                self.emit(Event::StepSkipped {
                    step: step.no,
                    at: self.now,
                });
            }
        }
    }

    /// When a step of the branch for `verdict` has finished (done, or
    /// skipped because nobody had that verdict), the branch's started steps
    /// open again, a new round from its first step, so the corrected
    /// participant's document is made in the SOP's order. A branch still
    /// under way simply takes them in.
    fn reopen_branch(&mut self, verdict: Competence) {
        let procedure = self.state.procedure.clone();
        let branch: Vec<&crate::sop::Step> = procedure
            .steps
            .iter()
            .filter(|s| s.applies != Applies::Always && s.applies.concerns(verdict))
            .filter(|s| !s.per_participant)
            .collect();
        if !branch
            .iter()
            .any(|s| self.state.run(s.no).state.is_finished())
        {
            return;
        }
        for step in branch {
            if self.state.run(step.no).state != StepState::Waiting {
                self.emit(Event::StepReopened {
                    step: step.no,
                    at: self.now,
                });
            }
        }
    }

    pub(super) fn correct_decree(
        &mut self,
        staff: &Staff,
        decree: &Decree,
        reason: &str,
    ) -> Result<(), Refusal> {
        let step = self.recording(RecordKind::Decree)?;
        Self::require_role(staff, &step, &[Role::KetuaLsp].into())?;
        let reason = required(reason, Field::Reason, MAX_REASON)?;
        let number = required(&decree.number, Field::DecreeNumber, MAX_DECREE_NUMBER)?;
        self.decree_date_in_range(decree.date)?;
        let Some(previous) = self.state.decree.clone() else {
            return Err(Refusal::NoDecreeYet);
        };
        let decree = Decree {
            number,
            date: decree.date,
        };
        if decree == previous {
            return Ok(());
        }
        self.emit(Event::DecreeCorrected {
            decree,
            previous,
            reason,
            by: staff.id,
            at: self.now,
        });
        Ok(())
    }

    /// Cancels a draft or running batch (Ketua LSP, or the operator).
    pub(super) fn cancel(&mut self, actor: &Actor, reason: &str) -> Result<(), Refusal> {
        let by = match actor {
            Actor::Operator => None,
            Actor::Staff(staff) => {
                let allowed: RoleSet = [Role::KetuaLsp].into();
                if !staff.holds_any(&allowed) {
                    return Err(Refusal::RoleRequired {
                        step: None,
                        roles: vec![Role::KetuaLsp.title().to_string()],
                    });
                }
                Some(staff.id)
            }
        };
        match self.state.status {
            BatchStatus::Draft | BatchStatus::Running => {}
            BatchStatus::Finished => return Err(Refusal::BatchFinished),
            BatchStatus::Cancelled => return Ok(()),
        }
        let reason = required(reason, Field::Reason, MAX_REASON)?;
        self.emit(Event::BatchCancelled {
            reason,
            by,
            at: self.now,
        });
        Ok(())
    }
}
