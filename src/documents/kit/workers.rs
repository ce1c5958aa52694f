//! Many documents at once: made by as many typesetting workers side by
//! side as the machine has cores (two at most), each taking the next
//! document when it is free.

use super::{BatchFacts, DocumentKit, Due, Numbers, TemplateFault};
use crate::documents::Document;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Most typesetting workers one call runs side by side.
const MAX_WORKERS: usize = 2;
/// Fewer documents than this are made by one worker (a second one's
/// start-up would cost more than it saves).
const PARALLEL_FROM: usize = 8;

impl DocumentKit {
    /// Makes `items` in their order, by as many workers side by side as
    /// the machine has cores (at most [`MAX_WORKERS`]; one for a few
    /// documents). The lists of the whole batch go first, the letters and
    /// receipts after, each worker taking the next when it is free, so
    /// one long list does not leave the other worker idle at the end. A
    /// failure stops the rest: of the failures met, the first in `items`'
    /// order is returned (a document not yet begun is not tried).
    pub(super) fn make_each(
        &self,
        facts: &BatchFacts,
        items: &[&Due],
        numbers: &Numbers,
    ) -> Result<Vec<Document>, TemplateFault> {
        let workers = if items.len() < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .min(MAX_WORKERS)
        };
        if workers == 1 {
            let mut session = self.typesetter.session();
            return items
                .iter()
                .map(|item| self.make(&mut session, facts, item, numbers))
                .collect();
        }
        // The batch's lists before the per-participant papers.
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| items[i].participant.is_some());
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let take = || {
            if failed.load(Ordering::Relaxed) {
                return None;
            }
            order.get(next.fetch_add(1, Ordering::Relaxed)).copied()
        };
        let results: Vec<Vec<(usize, Result<Document, TemplateFault>)>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..workers)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut session = self.typesetter.session();
                            let mut out = Vec::new();
                            while let Some(i) = take() {
                                let result = self.make(&mut session, facts, items[i], numbers);
                                if result.is_err() {
                                    failed.store(true, Ordering::Relaxed);
                                }
                                out.push((i, result));
                            }
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
        in_order(results.into_iter().flatten(), items)
    }
}

/// The workers' documents put back in the items' order: the first failure
/// in that order if any failed, else every document (a slot left empty,
/// when a worker thread ended early, is a failure to try again).
fn in_order(
    results: impl Iterator<Item = (usize, Result<Document, TemplateFault>)>,
    items: &[&Due],
) -> Result<Vec<Document>, TemplateFault> {
    let mut slots: Vec<Option<Result<Document, TemplateFault>>> =
        (0..items.len()).map(|_| None).collect();
    for (i, result) in results {
        slots[i] = Some(result);
    }
    // The first failure in the items' order; a slot left empty (the
    // rest stopped after a failure, or a worker thread ended early)
    // only when nothing failed.
    if let Some(fault) = slots.iter_mut().find_map(|s| match s {
        Some(Err(_)) => s.take().and_then(Result::err),
        _ => None,
    }) {
        return Err(fault);
    }
    slots
        .into_iter()
        .zip(items)
        .map(|(slot, item)| {
            slot.unwrap_or_else(|| {
                Err(TemplateFault {
                    file: item.kind.slug().to_string(),
                    line: 0,
                    message: "the typesetting thread ended before this document".into(),
                    passing: true,
                })
            })
        })
        .collect()
}
