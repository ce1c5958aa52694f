//! The unit of work of one Telegram update: everything handling the update
//! writes (its claim, the use case's change, the reply, card edits,
//! conversation steps, audit rows) commits together, once, or not at all.
//!
//! The intake makes an [`UpdateUnit`] for each update and runs the
//! handler inside it ([`UpdateUnit::run`]). Inside, every transaction the
//! application begins ([`super::Store::begin`]) is a savepoint of the
//! update's one transaction, every single write ([`super::Store::write`])
//! runs in it, and every read ([`super::Store::read`]) goes through it once
//! it has written, so the handler sees its own changes. The transaction is
//! opened at the first write, not before: a handler that only reads and
//! replies later (or downloads a file first) holds no one up meanwhile,
//! and the update is claimed (marked handled, taken out of the inbox) in
//! the same transaction. The intake then commits the unit
//! ([`UpdateUnit::commit`]) or, when the handler failed, rolls it back
//! ([`UpdateUnit::rollback`]) and the update stays in the inbox to be
//! handled again: a crash or a failure between an action and its reply
//! leaves neither. What must wait for the commit (a button's pop-up
//! answer, waking the workers, forgetting cached members) is handed to
//! [`when_committed`].

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection};
use tokio::sync::OwnedMutexGuard;

use super::Store;
use super::writer::{Own, Single, Writer};

tokio::task_local! {
    /// The unit of the update this task is handling, if any.
    static CURRENT: Arc<UpdateUnit>;
}

/// What is to happen once the unit's work is committed.
type Callback = Box<dyn FnOnce() + Send>;

/// One update's unit of work (see the module's comment).
pub struct UpdateUnit {
    update_id: i64,
    now: DateTime<Utc>,
    writer: Writer,
    held: Arc<tokio::sync::Mutex<Held>>,
    /// The transaction is open (something was written).
    opened: AtomicBool,
    /// The update was found handled already when the unit opened.
    handled_before: AtomicBool,
    after_commit: std::sync::Mutex<Vec<Callback>>,
}

/// The update's transaction, once opened, and an inner savepoint left
/// behind by a dropped [`Tx`] (undone before the next use).
#[derive(Debug, Default)]
pub struct Held {
    tx: Option<Own>,
    abandoned: bool,
}

impl UpdateUnit {
    /// A unit for `update_id`, claimed (when it writes) at `now`.
    pub fn new(store: &Store, update_id: i64, now: DateTime<Utc>) -> Arc<UpdateUnit> {
        Arc::new(UpdateUnit {
            update_id,
            now,
            writer: store.writer.clone(),
            held: Arc::default(),
            opened: AtomicBool::new(false),
            handled_before: AtomicBool::new(false),
            after_commit: std::sync::Mutex::default(),
        })
    }

    /// Runs `work` (the update's handling) inside this unit.
    pub async fn run<F: std::future::Future>(self: &Arc<Self>, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }

    /// Whether the update turned out to be handled already (by an earlier
    /// run whose commit landed): nothing of this run may be kept.
    pub fn handled_before(&self) -> bool {
        self.handled_before.load(Ordering::Acquire)
    }

    /// Commits what the handling wrote, with the update's claim, in one
    /// transaction (a handling that wrote nothing commits the claim
    /// alone), then runs what waited for the commit.
    ///
    /// # Errors
    /// When the database refuses the commit: nothing of the unit is kept,
    /// and the update stays in the inbox.
    pub async fn commit(self: Arc<Self>) -> anyhow::Result<()> {
        let mut held = self.held.clone().lock_owned().await;
        settle(&mut held).await?;
        let tx = match held.tx.take() {
            Some(tx) => tx,
            None => {
                let mut tx = self.writer.begin().await?;
                Store::claim_update(&mut tx, self.update_id, self.now).await?;
                tx
            }
        };
        drop(held);
        if self.handled_before() {
            return tx.rollback().await;
        }
        tx.commit().await?;
        let callbacks = std::mem::take(
            &mut *self
                .after_commit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for callback in callbacks {
            callback();
        }
        Ok(())
    }

    /// Undoes everything the handling wrote; the update stays in the inbox.
    pub async fn rollback(self: Arc<Self>) {
        let tx = self.held.clone().lock_owned().await.tx.take();
        if let Some(tx) = tx {
            let _ = tx.rollback().await;
        }
    }

    /// The update's transaction, opened (and the update claimed) if it
    /// is not yet. Only this task uses the unit, one piece at a time: a
    /// second use while one is held would wait for itself, so it is an error.
    async fn hold(&self) -> anyhow::Result<OwnedMutexGuard<Held>> {
        let mut held = self.held.clone().try_lock_owned().map_err(|_| {
            anyhow::anyhow!("the update's unit of work is in use by another part of its handling")
        })?;
        settle(&mut held).await?;
        if held.tx.is_none() {
            let mut tx = self.writer.begin().await?;
            if !Store::claim_update(&mut tx, self.update_id, self.now).await? {
                self.handled_before.store(true, Ordering::Release);
                anyhow::bail!("update {} was handled already", self.update_id);
            }
            held.tx = Some(tx);
            self.opened.store(true, Ordering::Release);
        }
        Ok(held)
    }
}

/// Undoes the inner savepoint a dropped [`Tx`] left behind.
async fn settle(held: &mut Held) -> anyhow::Result<()> {
    if std::mem::take(&mut held.abandoned)
        && let Some(tx) = held.tx.as_mut()
    {
        undo(tx).await?;
    }
    Ok(())
}

/// Undoes the innermost savepoint.
async fn undo(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    sqlx::query("ROLLBACK TO step").execute(&mut *conn).await?;
    sqlx::query("RELEASE step").execute(&mut *conn).await?;
    Ok(())
}

/// The unit of the update this task handles, when it writes to `writer`.
fn current(writer: &Writer) -> Option<Arc<UpdateUnit>> {
    CURRENT
        .try_with(Arc::clone)
        .ok()
        .filter(|unit| unit.writer.same(writer))
}

/// Runs `callback` once the work of the update being handled is
/// committed (never, when it is rolled back), or at once outside an update.
pub fn when_committed(callback: impl FnOnce() + Send + 'static) {
    match CURRENT.try_with(Arc::clone) {
        Ok(unit) => unit
            .after_commit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Box::new(callback)),
        Err(_) => callback(),
    }
}

/// Whether this task handles an update whose unit has written something
/// not yet committed (what it reads may never be committed).
pub fn uncommitted_here() -> bool {
    CURRENT
        .try_with(|unit| unit.opened.load(Ordering::Acquire))
        .unwrap_or(false)
}

/// A unit of work: reads and writes through it (it derefs to the
/// connection), then [`Tx::commit`] or [`Tx::rollback`]; dropped without
/// either, it is rolled back. Outside an update it is a transaction of
/// its own (group-committed with others, see [`super::writer`]); inside
/// an update, a savepoint of the update's transaction, whose commit only
/// keeps it for the update's own commit.
#[derive(Debug)]
pub struct Tx(Kind);

#[derive(Debug)]
enum Kind {
    Own(Own),
    Step(Step),
}

/// A savepoint in the update's transaction, holding it while it lasts.
#[derive(Debug)]
struct Step(Option<OwnedMutexGuard<Held>>);

impl Tx {
    /// Begins a unit on `writer`, or a step of the update's unit.
    pub(super) async fn begin(writer: &Writer) -> anyhow::Result<Tx> {
        let Some(unit) = current(writer) else {
            return Ok(Tx(Kind::Own(writer.begin().await?)));
        };
        let mut held = unit.hold().await?;
        let conn: &mut SqliteConnection = held.tx.as_mut().expect("held open");
        sqlx::query("SAVEPOINT step")
            .execute(conn)
            .await
            .context("cannot start a database transaction")?;
        Ok(Tx(Kind::Step(Step(Some(held)))))
    }

    /// Keeps the unit's work: committed when this returns (outside an
    /// update), or kept for the update's commit.
    ///
    /// # Errors
    /// When the database refuses it; nothing of the unit is kept then.
    pub async fn commit(self) -> anyhow::Result<()> {
        match self.0 {
            Kind::Own(own) => own.commit().await,
            Kind::Step(mut step) => {
                let mut held = step.0.take().expect("a step is committed once");
                let conn: &mut SqliteConnection = held.tx.as_mut().expect("held open");
                if let Err(e) = sqlx::query("RELEASE step").execute(&mut *conn).await {
                    undo(conn).await?;
                    return Err(e).context("cannot commit the database transaction");
                }
                Ok(())
            }
        }
    }

    /// Undoes the unit's work.
    ///
    /// # Errors
    /// When the undo itself fails (the update's transaction is then lost
    /// with it, and its commit fails).
    pub async fn rollback(self) -> anyhow::Result<()> {
        match self.0 {
            Kind::Own(own) => own.rollback().await,
            Kind::Step(mut step) => {
                let mut held = step.0.take().expect("a step is undone once");
                undo(held.tx.as_mut().expect("held open")).await
            }
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(mut held) = self.0.take() {
            // Undone at the unit's next use (no await in a drop).
            held.abandoned = true;
        }
    }
}

impl Deref for Tx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.0 {
            Kind::Own(own) => own,
            Kind::Step(step) => step
                .0
                .as_ref()
                .and_then(|h| h.tx.as_deref())
                .expect("a step holds the update's transaction"),
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.0 {
            Kind::Own(own) => own,
            Kind::Step(step) => step
                .0
                .as_mut()
                .and_then(|h| h.tx.as_deref_mut())
                .expect("a step holds the update's transaction"),
        }
    }
}

/// The writing connection for single statements: each commits on its
/// own outside an update; inside one, it is part of the update's work.
#[derive(Debug)]
pub struct Write(WriteKind);

#[derive(Debug)]
enum WriteKind {
    Single(Single),
    Unit(OwnedMutexGuard<Held>),
}

impl Write {
    pub(super) async fn on(writer: &Writer) -> anyhow::Result<Write> {
        Ok(Write(match current(writer) {
            Some(unit) => WriteKind::Unit(unit.hold().await?),
            None => WriteKind::Single(writer.write().await?),
        }))
    }
}

impl Deref for Write {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.0 {
            WriteKind::Single(single) => single,
            WriteKind::Unit(held) => held.tx.as_deref().expect("held open"),
        }
    }
}

impl DerefMut for Write {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.0 {
            WriteKind::Single(single) => single,
            WriteKind::Unit(held) => held.tx.as_deref_mut().expect("held open"),
        }
    }
}

/// A connection for reading: one of the pool's, or, inside an update
/// that has written, the update's own transaction (so the handling reads
/// what it wrote).
#[derive(Debug)]
pub struct Read(ReadKind);

#[derive(Debug)]
enum ReadKind {
    Pool(PoolConnection<Sqlite>),
    Unit(OwnedMutexGuard<Held>),
}

impl Read {
    pub(super) async fn on(store: &Store) -> anyhow::Result<Read> {
        if let Some(unit) = current(&store.writer)
            && unit.opened.load(Ordering::Acquire)
        {
            return Ok(Read(ReadKind::Unit(unit.hold().await?)));
        }
        Ok(Read(ReadKind::Pool(
            store
                .pool
                .acquire()
                .await
                .context("cannot reach the database to read")?,
        )))
    }
}

impl Deref for Read {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.0 {
            ReadKind::Pool(conn) => conn,
            ReadKind::Unit(held) => held.tx.as_deref().expect("held open"),
        }
    }
}

impl DerefMut for Read {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.0 {
            ReadKind::Pool(conn) => conn,
            ReadKind::Unit(held) => held.tx.as_deref_mut().expect("held open"),
        }
    }
}

#[cfg(test)]
mod tests;
