//! The audit log as a hash chain. Each row's seal is the SHA-256 of a
//! canonical encoding of its fields and the seal of the row before it (the
//! first row follows [`GENESIS`]). Whoever edits, deletes, inserts or moves
//! a row directly in the database file, triggers dropped or not, breaks
//! the chain at that row, and [`verify`] names it. The chain's head (the
//! last row and its seal) goes into every export and backup report: a log
//! cut short after its last export is found by comparing heads
//! (`sertibot audit verify --head`).
//!
//! There is no secret in the seal: it makes tampering evident, it does
//! not make it impossible for whoever can run this algorithm over a copy.

use serde_json::json;
use sha2::{Digest, Sha256};

/// The seal the first row follows.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit row's fields as stored, in the order they are sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub at: i64,
    pub channel: String,
    pub actor: String,
    pub member_id: Option<i64>,
    pub telegram_user_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub action: String,
    /// The detail JSON exactly as stored.
    pub detail: String,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// The seal of a row with these fields following `prev`: the SHA-256, in
/// lower-case hex, of the JSON array of its fields (ids and times as
/// integers, text as JSON strings, the detail as its stored text).
pub fn seal(link: &Link, prev: &str) -> String {
    let canonical = json!([
        link.id,
        link.at,
        link.channel,
        link.actor,
        link.member_id,
        link.telegram_user_id,
        link.batch_id,
        link.action,
        link.detail,
        prev,
    ]);
    hex(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The end of a sound chain: how many rows, the last row's id and seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub rows: u64,
    pub last_id: i64,
    pub hash: String,
}

impl Head {
    /// The head of an empty log.
    pub fn empty() -> Head {
        Head {
            rows: 0,
            last_id: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// Where and how the chain breaks: the first row that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    #[error("audit row {row} has no seal: it was added outside sertibot")]
    Unsealed { row: i64 },
    #[error("audit row {row} was changed: its seal does not match its fields")]
    Edited { row: i64 },
    #[error("audit row {row} was moved: it was written as row {from}")]
    Moved { row: i64, from: i64 },
    #[error("audit rows {first} to {last} were deleted: row {next} follows row {before}")]
    Deleted {
        first: i64,
        last: i64,
        before: i64,
        next: i64,
    },
    #[error("audit row {row} was inserted: it does not follow row {before}")]
    Inserted { row: i64, before: i64 },
}

impl Break {
    /// The row the break is found at.
    pub fn row(&self) -> i64 {
        match self {
            Break::Unsealed { row }
            | Break::Edited { row }
            | Break::Moved { row, .. }
            | Break::Inserted { row, .. } => *row,
            Break::Deleted { next, .. } => *next,
        }
    }
}

/// The chain walked one row at a time, in id order, keeping only its head:
/// a log of any length is checked in constant memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    head: Head,
}

/// A row that does not fit where it stands, before it is told why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    /// Its seal no longer matches its fields, or it has none.
    Found(Break),
    /// It does not follow the row before it: deleted rows before it, or
    /// it was moved or inserted ([`diagnose`] tells which).
    OutOfPlace { link: Box<Link>, head: Head },
}

impl Default for Walk {
    fn default() -> Self {
        Walk {
            head: Head::empty(),
        }
    }
}

impl Walk {
    /// Takes the next row: fine, or why it does not fit.
    ///
    /// # Errors
    /// The [`Misfit`].
    pub fn step(&mut self, link: &Link) -> Result<(), Misfit> {
        let (Some(hash), Some(prev)) = (link.hash.as_deref(), link.prev_hash.as_deref()) else {
            return Err(Misfit::Found(Break::Unsealed { row: link.id }));
        };
        if prev != self.head.hash {
            return Err(Misfit::OutOfPlace {
                link: Box::new(link.clone()),
                head: self.head.clone(),
            });
        }
        if seal(link, prev) != hash {
            return Err(Misfit::Found(Break::Edited { row: link.id }));
        }
        self.head = Head {
            rows: self.head.rows + 1,
            last_id: link.id,
            hash: hash.to_string(),
        };
        Ok(())
    }

    /// The head so far.
    pub fn head(self) -> Head {
        self.head
    }
}

/// Why a row does not follow the one before it: it comes after rows
/// deleted (what it follows is no longer in the log), it was moved (its
/// seal is right for another position), or it was inserted (a forgery, or
/// a copy of a row still there). `ids` are every row's id; `sealed_by`
/// gives the id of the row carrying a seal.
pub fn diagnose(misfit: Misfit, ids: &[i64], sealed_by: impl Fn(&str) -> Option<i64>) -> Break {
    let (link, head) = match misfit {
        Misfit::Found(found) => return found,
        Misfit::OutOfPlace { link, head } => (*link, head),
    };
    let prev = link.prev_hash.clone().unwrap_or_default();
    let hash = link.hash.clone().unwrap_or_default();
    let follows_a_row_still_there = sealed_by(&prev).is_some_and(|id| id <= head.last_id);
    if link.id > head.last_id + 1 && !follows_a_row_still_there {
        return Break::Deleted {
            first: head.last_id + 1,
            last: link.id - 1,
            before: head.last_id,
            next: link.id,
        };
    }
    // A row moved keeps the seal of the position it was written at.
    let written_at = ids.iter().copied().find(|&from| {
        from != link.id
            && seal(
                &Link {
                    id: from,
                    ..link.clone()
                },
                &prev,
            ) == hash
    });
    match written_at {
        Some(from) if sealed_by(&hash) != Some(from) => Break::Moved { row: link.id, from },
        _ => Break::Inserted {
            row: link.id,
            before: head.last_id,
        },
    }
}

/// Walks a whole chain held in memory: its head, or the first break.
///
/// # Errors
/// The first [`Break`].
pub fn verify(links: &[Link]) -> Result<Head, Break> {
    let mut walk = Walk::default();
    for link in links {
        if let Err(misfit) = walk.step(link) {
            let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
            let sealed_by = |seal: &str| {
                links
                    .iter()
                    .find(|l| l.hash.as_deref() == Some(seal))
                    .map(|l| l.id)
            };
            return Err(diagnose(misfit, &ids, sealed_by));
        }
    }
    Ok(walk.head())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Link> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|id| {
                let mut link = Link {
                    id,
                    at: 1_700_000_000_000 + id,
                    channel: "cli".into(),
                    actor: "operator".into(),
                    member_id: Some(id % 3),
                    telegram_user_id: None,
                    batch_id: Some(1),
                    action: format!("action_{id}"),
                    detail: format!("{{\"n\":{id}}}"),
                    prev_hash: Some(prev.clone()),
                    hash: None,
                };
                let hash = seal(&link, &prev);
                link.hash = Some(hash.clone());
                prev = hash;
                link
            })
            .collect()
    }

    #[test]
    fn a_sound_chain_gives_its_head() {
        let links = chain(5);
        let head = verify(&links).unwrap();
        assert_eq!(head.rows, 5);
        assert_eq!(head.last_id, 5);
        assert_eq!(Some(head.hash), links[4].hash);
        assert_eq!(verify(&[]).unwrap(), Head::empty());
    }

    #[test]
    fn each_kind_of_tampering_names_its_row() {
        let mut edited = chain(6);
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(verify(&edited), Err(Break::Edited { row: 3 }));

        let mut deleted = chain(6);
        deleted.remove(3);
        let found = verify(&deleted).unwrap_err();
        assert_eq!(found.row(), 5);
        assert!(matches!(
            found,
            Break::Deleted {
                first: 4,
                last: 4,
                ..
            }
        ));

        let mut moved = chain(6);
        let (a, b) = (moved[3].clone(), moved[4].clone());
        moved[3] = Link { id: 4, ..b };
        moved[4] = Link { id: 5, ..a };
        assert_eq!(verify(&moved), Err(Break::Moved { row: 4, from: 5 }));

        let mut copied = chain(6);
        let copy = Link {
            id: 7,
            ..copied[1].clone()
        };
        copied.push(copy);
        assert_eq!(verify(&copied), Err(Break::Inserted { row: 7, before: 6 }));

        let mut forged = chain(6);
        let mut forgery = Link {
            id: 7,
            action: "decree_recorded".into(),
            prev_hash: Some(GENESIS.into()),
            ..forged[5].clone()
        };
        forgery.hash = Some(seal(&forgery, GENESIS));
        forged.push(forgery);
        assert_eq!(verify(&forged), Err(Break::Inserted { row: 7, before: 6 }));

        let mut unsealed = chain(3);
        unsealed[1].hash = None;
        assert_eq!(verify(&unsealed), Err(Break::Unsealed { row: 2 }));
    }
}
