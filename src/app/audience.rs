//! Whom a batch's messages go to: its facts, the members and its
//! participants, loaded in the caller's transaction; what every use case
//! that plans messages for one batch reads before it plans.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use crate::documents::Numbers;
use crate::domain::{BatchId, BatchInfo, Member, Participant, ParticipantId};
use crate::notify::{Audience, GroupChat};
use crate::store::Store;
use crate::workflow::Calendar;

/// A batch's facts, every member and the batch's participants.
pub(super) struct Addressees {
    pub info: BatchInfo,
    pub members: Vec<Member>,
    pub participants: BTreeMap<ParticipantId, Participant>,
    /// No letter numbers: the private messages cite none.
    no_letters: Numbers,
}

impl Addressees {
    /// Loads them; `None` for no such batch.
    pub async fn load(conn: &mut SqliteConnection, batch: BatchId) -> anyhow::Result<Option<Self>> {
        let Some(info) = Store::batch_info(&mut *conn, batch).await? else {
            return Ok(None);
        };
        Ok(Some(Addressees {
            info,
            members: Store::members(&mut *conn).await?,
            participants: Store::participants(conn, batch).await?,
            no_letters: Numbers::new(),
        }))
    }

    /// The audience of messages that go to `groups` too and may cite `letters`.
    pub fn audience<'a>(
        &'a self,
        calendar: &'a Calendar,
        groups: &'a [GroupChat],
        letters: &'a Numbers,
    ) -> Audience<'a> {
        Audience {
            batch: &self.info,
            members: &self.members,
            participants: &self.participants,
            groups,
            calendar,
            letters,
        }
    }

    /// The audience of private messages only (no group, no letter cited).
    pub fn private<'a>(&'a self, calendar: &'a Calendar) -> Audience<'a> {
        self.audience(calendar, &[], &self.no_letters)
    }
}
