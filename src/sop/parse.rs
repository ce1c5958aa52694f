//! Reading a procedure file: TOML into raw records, then every rule a
//! runnable procedure must keep, each broken rule named with its file, line
//! and step.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::{Applies, ClockStart, Procedure, RecordKind, StandardTime, Step, StepNo};
use crate::domain::{Role, RoleSet};

/// A procedure file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ProcedureError {
    /// The file's path, or "embedded default procedure".
    pub origin: String,
    /// The 1-based line of the problem, where it is known.
    pub line: Option<usize>,
    /// What is wrong, in one sentence.
    pub message: String,
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
    let fail = |offset: Option<usize>, message: String| ProcedureError {
        origin: origin.to_string(),
        line: offset.map(|o| line_of(text, o)),
        message,
    };
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| fail(e.span().map(|s| s.start), e.message().trim().to_string()))?;
    if raw.procedure.name.trim().is_empty() {
        return Err(fail(None, "[procedure] needs a name".into()));
    }
    if raw.steps.is_empty() {
        return Err(fail(None, "the procedure has no [[steps]]".into()));
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
fn read_step(raw: &RawStep, earlier: &[Step]) -> Result<Step, String> {
    let no = StepNo(raw.no);
    let here = format!("step {no}");
    if raw.no == 0 {
        return Err("a step number must be 1 or more".into());
    }
    if earlier.iter().any(|s| s.no == no) {
        return Err(format!("step {no} is listed twice"));
    }
    if raw.activity.trim().is_empty() {
        return Err(format!("{here} needs an activity"));
    }
    if raw.output.trim().is_empty() {
        return Err(format!("{here} needs an output"));
    }
    let (roles, done_by, entry_roles) = step_roles(raw, &here)?;
    let standard_time: StandardTime = raw
        .standard_time
        .parse()
        .map_err(|m| format!("{here}, standard_time: {m}"))?;
    let after = read_after(raw, no, earlier)?;
    if raw.per_participant != (raw.records == Some(RecordKind::Receipts)) {
        return Err(format!(
            "{here}: a step runs per participant exactly when it records receipts"
        ));
    }
    Ok(Step {
        no,
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
fn step_roles(raw: &RawStep, here: &str) -> Result<(RoleSet, RoleSet, RoleSet), String> {
    let roles = read_roles(&raw.roles).map_err(|m| format!("{here}, roles: {m}"))?;
    if roles.is_empty() {
        return Err(format!("{here} needs at least one role"));
    }
    let done_by = match &raw.done_by {
        None => roles.clone(),
        Some(list) => read_roles(list).map_err(|m| format!("{here}, done_by: {m}"))?,
    };
    if done_by.is_empty() || !done_by.is_subset(&roles) {
        return Err(format!(
            "{here}: done_by must name one or more of the step's own roles"
        ));
    }
    let entry_roles = match &raw.entry_roles {
        None => roles.clone(),
        Some(list) => read_roles(list).map_err(|m| format!("{here}, entry_roles: {m}"))?,
    };
    if entry_roles.is_empty() {
        return Err(format!("{here}: entry_roles cannot be empty"));
    }
    Ok((roles, done_by, entry_roles))
}

/// The steps a step comes after: each listed before it, none of them
/// itself or a per-participant step.
fn read_after(raw: &RawStep, no: StepNo, earlier: &[Step]) -> Result<Vec<StepNo>, String> {
    let here = format!("step {no}");
    let mut after = Vec::with_capacity(raw.after.len());
    for &n in &raw.after {
        let pred = StepNo(n);
        if pred == no {
            return Err(format!("{here} cannot come after itself"));
        }
        let Some(before) = earlier.iter().find(|s| s.no == pred) else {
            return Err(format!(
                "{here} comes after step {pred}, which is not listed before it; list every step after the steps it needs"
            ));
        };
        if before.per_participant {
            return Err(format!(
                "{here} cannot come after step {pred}, which runs per participant"
            ));
        }
        if !after.contains(&pred) {
            after.push(pred);
        }
    }
    Ok(after)
}

/// Rules about the procedure as a whole; the error names the step's index.
fn check_whole(steps: &[Step]) -> Result<(), (Option<usize>, String)> {
    let mut recorders: BTreeMap<RecordKind, usize> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(kind) = s.records
            && let Some(first) = recorders.insert(kind, i)
        {
            return Err((
                Some(i),
                format!(
                    "step {} records {kind:?} but step {} already does; only one step may",
                    s.no, steps[first].no
                ),
            ));
        }
    }
    let Some(&results) = recorders.get(&RecordKind::Results) else {
        return Err((
            None,
            "no step records results (records = \"results\"): the K/BK verdicts must be recorded somewhere".into(),
        ));
    };
    if steps[results].applies != Applies::Always {
        return Err((
            Some(results),
            format!(
                "step {} records the results, so it must apply always",
                steps[results].no
            ),
        ));
    }
    if let Some(&blanks) = recorders.get(&RecordKind::BlankNumbers)
        && steps[blanks].applies != Applies::SomeK
    {
        return Err((
            Some(blanks),
            format!(
                "step {} records blank numbers, which only K participants get, so it must apply to some-k",
                steps[blanks].no
            ),
        ));
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
                format!(
                    "step {} depends on the K/BK results, so it must come (directly or through other steps) after step {results_no}",
                    s.no
                ),
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
) -> Result<(), (Option<usize>, String)> {
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
            format!(
                "step {} has clock = \"meeting\" but step {} already does; only one step may",
                other.no, s.no
            ),
        ));
    }
    let meeting = recorders.get(&RecordKind::Meeting).map(|&m| steps[m].no);
    match meeting {
        Some(m) if depends_on(steps, s.no, m) && !s.per_participant => Ok(()),
        _ => Err((
            Some(i),
            format!(
                "step {} has clock = \"meeting\", so it must come (directly or through other steps) after the step that records the meeting, and not run per participant",
                s.no
            ),
        )),
    }
}

/// A per-participant step comes after steps for both K and BK participants.
fn reaches_both_verdicts(steps: &[Step], s: &Step) -> Result<(), String> {
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
            return Err(format!(
                "step {} runs per participant but none of the steps it comes after concerns {} participants",
                s.no,
                verdict.code()
            ));
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

fn read_roles(list: &[String]) -> Result<RoleSet, String> {
    list.iter()
        .map(|r| r.parse::<Role>().map_err(|e| e.to_string()))
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
