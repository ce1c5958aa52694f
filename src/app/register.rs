//! The member register in memory: who is an active member, by Telegram
//! id, read once instead of with three queries for every update. It is
//! forgotten whenever it may have changed: after this process's own
//! member writes (adding, registering, activating, changing roles), when
//! the command line pokes the service after a write in another process
//! ([`crate::wake`]), and at the latest [`REGISTER_KEPT`] after it was read
//! (the same bound as every other command-line write has when the poke
//! cannot arrive).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// The longest a read register is used without reading it again.
pub const REGISTER_KEPT: Duration = Duration::from_secs(60);

/// The register as last read, and a count of the times it was forgotten
/// (a read that raced with a change is not kept).
#[derive(Debug, Default)]
pub(super) struct Register {
    read: std::sync::Mutex<Option<(Arc<Vec<Member>>, Instant)>>,
    forgotten: AtomicU64,
}

impl App {
    /// The active members, from memory when the register is fresh.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub(super) async fn register(&self) -> Result<Arc<Vec<Member>>, AppError> {
        let kept = self
            .register
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((members, at)) = kept
            && at.elapsed() < REGISTER_KEPT
        {
            return Ok(members);
        }
        let generation = self.register.forgotten.load(Ordering::Acquire);
        let mut conn = self.conn().await?;
        let members = Arc::new(Store::members(&mut conn).await?);
        let mut read = self
            .register
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A change committed while this read ran may not be in it, and
        // what an update's handling wrote is not committed yet: use it
        // once, keep it not.
        if self.register.forgotten.load(Ordering::Acquire) == generation
            && !crate::store::unit::uncommitted_here()
        {
            *read = Some((members.clone(), Instant::now()));
        }
        Ok(members)
    }

    /// Forgets the register: it is read again at its next use. Inside
    /// the handling of a Telegram update, again once its work is
    /// committed (another task may have read the register meanwhile).
    pub fn forget_register(&self) {
        self.register.forget();
        let register = self.register.clone();
        crate::store::unit::when_committed(move || register.forget());
    }
}

impl Register {
    fn forget(&self) {
        let mut read = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        *read = None;
    }
}
