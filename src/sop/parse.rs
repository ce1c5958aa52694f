//! Reading a procedure file: TOML into raw records, then every rule a
//! runnable procedure must keep, each broken rule named with its file, line
//! and step.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::fault::{self, Fault};
use super::{Applies, ClockStart, Procedure, RecordKind, StandardTime, Step, StepNo};
use crate::domain::{Role, RoleSet};

/// A procedure file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{origin}{}: {fault}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ProcedureError {
    /// The file's path, or "embedded default procedure".
    pub origin: String,
    /// The 1-based line of the problem, where it is known.
    pub line: Option<usize>,
    /// What is wrong.
    pub fault: Fault,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    procedure: RawHeader,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    no: u32,
    activity: String,
    #[serde(default)]
    gloss: String,
    roles: Vec<String>,
    done_by: Option<Vec<String>>,
    entry_roles: Option<Vec<String>>,
    standard_time: String,
    #[serde(default)]
    per_participant: bool,
    #[serde(default)]
    needs: Vec<String>,
    output: String,
    related_sop: Option<String>,
    applies: Applies,
    records: Option<RecordKind>,
    #[serde(default)]
    clock: ClockStart,
    #[serde(default)]
    after: Vec<u32>,
}

pub(super) fn parse(text: &str, origin: &str) -> Result<Procedure, ProcedureError> {
    let fail = |offset: Option<usize>, fault: Fault| ProcedureError {
        origin: origin.to_string(),
        line: offset.map(|o| line_of(text, o)),
        fault,
    };
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| fail(e.span().map(|s| s.start), fault::of_toml(e.message())))?;
    if raw.procedure.name.trim().is_empty() {
        return Err(fail(None, Fault::NoName));
    }
    if raw.steps.is_empty() {
        return Err(fail(None, Fault::NoSteps));
    }

    let mut steps: Vec<Step> = Vec::with_capacity(raw.steps.len());
    let mut offsets: Vec<usize> = Vec::with_capacity(raw.steps.len());
    for spanned in &raw.steps {
        let offset = spanned.span().start;
        let raw_step = spanned.get_ref();
        let step = read_step(raw_step, &steps).map_err(|m| fail(Some(offset), m))?;
        steps.push(step);
        offsets.push(offset);
    }
    check_whole(&steps).map_err(|(index, m)| fail(index.map(|i| offsets[i]), m))?;

    Ok(Procedure {
        name: raw.procedure.name.trim().to_string(),
        number: raw.procedure.number.trim().to_string(),
        version: raw.procedure.version.trim().to_string(),
        steps,
        fingerprint: crate::domain::to_hex(&Sha256::digest(text.as_bytes())),
        source: text.to_string(),
    })
}

/// Checks one step against itself and the steps listed before it.
fn read_step(raw: &RawStep, earlier: &[Step]) -> Result<Step, Fault> {
    let step = StepNo(raw.no);
    if raw.no == 0 {
        return Err(Fault::StepZero);
    }
    if earlier.iter().any(|s| s.no == step) {
        return Err(Fault::ListedTwice { step });
    }
    if raw.activity.trim().is_empty() {
        return Err(Fault::NoActivity { step });
    }
    if raw.output.trim().is_empty() {
        return Err(Fault::NoOutput { step });
    }
    let (roles, done_by, entry_roles) = step_roles(raw, step)?;
    let standard_time: StandardTime = raw
        .standard_time
        .parse()
        .map_err(|time| Fault::StandardTime { step, time })?;
    let after = read_after(raw, step, earlier)?;
    if raw.per_participant != (raw.records == Some(RecordKind::Receipts)) {
        return Err(Fault::PerParticipantWithoutReceipts { step });
    }
    Ok(Step {
        no: step,
        activity: raw.activity.trim().to_string(),
        gloss: raw.gloss.trim().to_string(),
        roles,
        done_by,
        entry_roles,
        standard_time,
        per_participant: raw.per_participant,
        needs: raw.needs.iter().map(|n| n.trim().to_string()).collect(),
        output: raw.output.trim().to_string(),
        related_sop: raw
            .related_sop
            .as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        applies: raw.applies,
        clock: raw.clock,
        records: raw.records,
        after,
    })
}

/// A step's roles: who does it, who finishes it (some of them), and who
/// enters its records.
fn step_roles(raw: &RawStep, step: StepNo) -> Result<(RoleSet, RoleSet, RoleSet), Fault> {
    let roles = read_roles(&raw.roles, step, "roles")?;
    if roles.is_empty() {
        return Err(Fault::NoRoles { step });
    }
    let done_by = match &raw.done_by {
        None => roles.clone(),
        Some(list) => read_roles(list, step, "done_by")?,
    };
    if done_by.is_empty() || !done_by.is_subset(&roles) {
        return Err(Fault::DoneByNotOwn { step });
    }
    let entry_roles = match &raw.entry_roles {
        None => roles.clone(),
        Some(list) => read_roles(list, step, "entry_roles")?,
    };
    if entry_roles.is_empty() {
        return Err(Fault::NoEntryRoles { step });
    }
    Ok((roles, done_by, entry_roles))
}

/// The steps a step comes after: each listed before it, none of them
/// itself or a per-participant step.
fn read_after(raw: &RawStep, step: StepNo, earlier: &[Step]) -> Result<Vec<StepNo>, Fault> {
    let mut after = Vec::with_capacity(raw.after.len());
    for &n in &raw.after {
        let pred = StepNo(n);
        if pred == step {
            return Err(Fault::AfterItself { step });
        }
        let Some(before) = earlier.iter().find(|s| s.no == pred) else {
            return Err(Fault::AfterUnlisted { step, before: pred });
        };
        if before.per_participant {
            return Err(Fault::AfterPerParticipant { step, before: pred });
        }
        if !after.contains(&pred) {
            after.push(pred);
        }
    }
    Ok(after)
}

/// Rules about the procedure as a whole; the error names the step's index.
fn check_whole(steps: &[Step]) -> Result<(), (Option<usize>, Fault)> {
    let mut recorders: BTreeMap<RecordKind, usize> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(kind) = s.records
            && let Some(first) = recorders.insert(kind, i)
        {
            return Err((
                Some(i),
                Fault::RecordedTwice {
                    step: s.no,
                    records: kind,
                    first: steps[first].no,
                },
            ));
        }
    }
    let Some(&results) = recorders.get(&RecordKind::Results) else {
        return Err((None, Fault::NoResults));
    };
    if steps[results].applies != Applies::Always {
        let step = steps[results].no;
        return Err((Some(results), Fault::ResultsNotAlways { step }));
    }
    if let Some(&blanks) = recorders.get(&RecordKind::BlankNumbers)
        && steps[blanks].applies != Applies::SomeK
    {
        let step = steps[blanks].no;
        return Err((Some(blanks), Fault::BlanksNotSomeK { step }));
    }
    check_meeting_clock(steps, &recorders)?;
    let results_no = steps[results].no;
    for (i, s) in steps.iter().enumerate() {
        let needs_results = s.applies != Applies::Always
            || s.per_participant
            || matches!(
                s.records,
                Some(RecordKind::BlankNumbers | RecordKind::Receipts)
            );
        if needs_results && !depends_on(steps, s.no, results_no) {
            return Err((
                Some(i),
                Fault::BeforeResults {
                    step: s.no,
                    results: results_no,
                },
            ));
        }
        if s.per_participant {
            reaches_both_verdicts(steps, s).map_err(|m| (Some(i), m))?;
        }
    }
    Ok(())
}

/// At most one step's clock starts at the meeting, and only a step that
/// comes after the step recording the meeting (whose time it reads).
fn check_meeting_clock(
    steps: &[Step],
    recorders: &BTreeMap<RecordKind, usize>,
) -> Result<(), (Option<usize>, Fault)> {
    let mut at_meeting = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.clock == ClockStart::Meeting);
    let Some((i, s)) = at_meeting.next() else {
        return Ok(());
    };
    if let Some((j, other)) = at_meeting.next() {
        return Err((
            Some(j),
            Fault::MeetingClockTwice {
                step: other.no,
                first: s.no,
            },
        ));
    }
    let meeting = recorders.get(&RecordKind::Meeting).map(|&m| steps[m].no);
    match meeting {
        Some(m) if depends_on(steps, s.no, m) && !s.per_participant => Ok(()),
        _ => Err((Some(i), Fault::MeetingClockMisplaced { step: s.no })),
    }
}

/// A per-participant step comes after steps for both K and BK participants.
fn reaches_both_verdicts(steps: &[Step], s: &Step) -> Result<(), Fault> {
    for verdict in [
        crate::domain::Competence::Kompeten,
        crate::domain::Competence::BelumKompeten,
    ] {
        let reachable = s.after.iter().any(|p| {
            steps
                .iter()
                .find(|x| x.no == *p)
                .is_some_and(|x| x.applies.concerns(verdict))
        });
        if !reachable {
            return Err(Fault::VerdictUnreached {
                step: s.no,
                verdict: verdict.code(),
            });
        }
    }
    Ok(())
}

/// Whether `step` needs `target`'s output, directly or through other steps.
fn depends_on(steps: &[Step], step: StepNo, target: StepNo) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![step];
    while let Some(no) = todo.pop() {
        if no == target && no != step {
            return true;
        }
        if !seen.insert(no) {
            continue;
        }
        if let Some(s) = steps.iter().find(|s| s.no == no) {
            todo.extend(s.after.iter().copied());
        }
    }
    false
}

fn read_roles(list: &[String], step: StepNo, field: &'static str) -> Result<RoleSet, Fault> {
    list.iter()
        .map(|r| {
            r.parse::<Role>().map_err(|e| Fault::UnknownRole {
                step,
                field,
                role: e.0,
            })
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests;
