//! The documents that travel with messages, as files in private chats:
//! the invitation's letter to each invitee, the papers a step's task needs
//! to its people (the berita acara with the decree's step, the BK letters
//! with the BK step, the BNSP package with the blank request), and the
//! timeline's picture to Ketua LSP when a batch finishes. Each is a
//! [`Message::Document`] naming what to make; the file is made when sent.

use super::views::DocumentFile;
use super::*;
use crate::documents::Kind;
use crate::domain::Role;
use crate::sop::{Applies, RecordKind};

fn file(audience: &Audience<'_>, kind: Kind, picture: bool, occasion: &str) -> Message {
    Message::Document(DocumentFile {
        batch: batch_view(audience.batch),
        kind: kind.slug().into(),
        title: kind.title().into(),
        participant: None,
        picture,
        occasion: occasion.into(),
    })
}

/// The invitation letter (PDF) to each invitee, after the invitation.
pub(super) fn with_invitation(
    state: &BatchState,
    audience: &Audience<'_>,
    plan: &mut Plan,
    invitees: &crate::domain::RoleSet,
) {
    let b = state.id.0;
    for member in holders(audience, &|m| !m.roles.is_disjoint(invitees)) {
        let key = format!("b{b}:doc:undangan:m{}", member.id);
        let message = file(audience, Kind::Undangan, false, "invitation");
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}

/// The documents a step's people need for its task, if it has any.
pub(super) fn with_task(state: &BatchState, audience: &Audience<'_>, plan: &mut Plan, step: &Step) {
    let kind = match (step.records, step.applies) {
        (Some(RecordKind::Decree), _) => Kind::BeritaAcara,
        (Some(RecordKind::BlankNumbers), _) => Kind::PaketBnsp,
        (None, Applies::SomeBk) => Kind::SuratBk,
        _ => return,
    };
    let b = state.id.0;
    let round = match state.run(step.no).round {
        0 => String::new(),
        n => format!(":r{n}"),
    };
    for member in holders(audience, &|m| !m.roles.is_disjoint(&step.roles)) {
        let key = format!(
            "b{b}:s{}{round}:doc:{}:m{}",
            step.no,
            kind.slug(),
            member.id
        );
        let message = file(audience, kind, false, "task");
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}

/// The timeline's picture to Ketua LSP, when the batch finished.
pub(super) fn with_finish(state: &BatchState, audience: &Audience<'_>, plan: &mut Plan) {
    let b = state.id.0;
    for member in holders(audience, &|m| m.roles.contains(&Role::KetuaLsp)) {
        let key = format!("b{b}:doc:linimasa:m{}", member.id);
        let message = file(audience, Kind::Linimasa, true, "finished");
        plan.messages
            .push(Outgoing::to_member(key, Some(state.id), member.id, message));
    }
}
