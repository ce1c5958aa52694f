//! What a card says instead of more than a screenful of participant
//! names: how many there are and where they stand.

use serde::{Deserialize, Serialize};

use super::CardParticipant;

/// The most participants a card or notice lists by name: past a phone's
/// screenful it says how many, and `/dokumen` has every name.
pub const SCREENFUL: usize = 25;

/// How many participants a card is about, and where they stand: what a
/// card says instead of more than [`SCREENFUL`] names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantTally {
    pub total: usize,
    pub k: usize,
    pub bk: usize,
    /// Without a result yet.
    pub no_result: usize,
    /// K participants without a blank number yet.
    pub no_blank: usize,
    pub waiting: usize,
    pub open: usize,
    pub received: usize,
}

impl ParticipantTally {
    /// `list` as it is when it fits a screen, else no names and the counts.
    pub fn screenful(
        list: Vec<CardParticipant>,
    ) -> (Vec<CardParticipant>, Option<ParticipantTally>) {
        if list.len() <= SCREENFUL {
            return (list, None);
        }
        let mut tally = ParticipantTally {
            total: list.len(),
            ..ParticipantTally::default()
        };
        for p in &list {
            match p.result.as_deref() {
                Some("K") => {
                    tally.k += 1;
                    if p.blank_number.is_none() {
                        tally.no_blank += 1;
                    }
                }
                Some(_) => tally.bk += 1,
                None => tally.no_result += 1,
            }
            match p.handover.as_deref() {
                Some("received") => tally.received += 1,
                Some("open") => tally.open += 1,
                Some(_) => tally.waiting += 1,
                None => {}
            }
        }
        (Vec::new(), Some(tally))
    }
}
