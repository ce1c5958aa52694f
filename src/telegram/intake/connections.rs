//! The webhook's connections, bounded: at most [`MAX_OPEN`] at once, each
//! given [`HEADERS_WITHIN`] to send a request's headers and [`IDLE_FOR`]
//! of quiet between requests. A newcomer past the limit makes room by
//! closing the oldest idle connection (one with no request in hand, such
//! as a client dribbling its headers), or is closed itself when every one
//! is busy. Shedding is logged at most once a minute, with how many.
//!
//! A thousand idle or dribbling connections thus cost a few hundred file
//! descriptors for seconds, never the process's last one: Telegram's own
//! posts keep being taken, and the bot keeps answering.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// Most connections open at once (Telegram itself opens at most 40).
pub const MAX_OPEN: usize = 256;
/// How long a request's headers may take to arrive.
pub const HEADERS_WITHIN: Duration = Duration::from_secs(5);
/// How long a connection may stay open with no request in hand.
pub const IDLE_FOR: Duration = Duration::from_secs(15);
/// How long the stop waits for requests in hand.
const FINISH_WITHIN: Duration = Duration::from_secs(5);

/// One open connection, as the gate sees it.
struct Open {
    /// Requests in hand on it now.
    in_hand: Arc<AtomicUsize>,
    /// When it last finished a request or was opened.
    quiet_since: Arc<Mutex<Instant>>,
    /// Told to close (gracefully: a request in hand is finished).
    close: Arc<Notify>,
    /// Already told to close, and on its way out.
    closing: std::sync::atomic::AtomicBool,
}

impl Open {
    fn idle(&self) -> bool {
        self.in_hand.load(Ordering::Relaxed) == 0 && !self.closing.load(Ordering::Relaxed)
    }

    fn shut(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.close.notify_one();
    }
}

/// Connections on their way out beyond [`MAX_OPEN`] that the gate
/// tolerates before it turns newcomers away: the bound on descriptors.
const CLOSING_SLACK: usize = MAX_OPEN / 4;

/// The open connections, by the order they came in.
#[derive(Default)]
struct Gate {
    open: Mutex<BTreeMap<u64, Open>>,
    next: AtomicU64,
    /// Connections shed since the last log line.
    shed: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Gate {
    /// Makes room for a newcomer: the oldest idle connection is closed;
    /// false when all are busy and the newcomer must go.
    fn make_room(&self) -> bool {
        let open = self.open.lock().expect("not poisoned");
        let closing = open
            .values()
            .filter(|c| c.closing.load(Ordering::Relaxed))
            .count();
        if open.len() - closing < MAX_OPEN {
            return open.len() < MAX_OPEN + CLOSING_SLACK;
        }
        self.shed.fetch_add(1, Ordering::Relaxed);
        self.log_shedding();
        match open.values().find(|c| c.idle()) {
            Some(conn) => {
                conn.shut();
                // In its place, while the descriptors allow.
                open.len() < MAX_OPEN + CLOSING_SLACK
            }
            None => false,
        }
    }

    /// Closes every connection idle past [`IDLE_FOR`].
    fn close_quiet(&self) {
        let now = Instant::now();
        for conn in self.open.lock().expect("not poisoned").values() {
            let quiet = *conn.quiet_since.lock().expect("not poisoned");
            if conn.idle() && now.duration_since(quiet) > IDLE_FOR {
                conn.shut();
            }
        }
    }

    /// One line a minute at most, counting what was shed meanwhile.
    fn log_shedding(&self) {
        let mut last = self.last_logged.lock().expect("not poisoned");
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < Duration::from_secs(60)) {
            return;
        }
        *last = Some(now);
        let shed = self.shed.swap(0, Ordering::Relaxed);
        tracing::warn!(
            shed,
            limit = MAX_OPEN,
            "the webhook had more connections than it keeps open; the oldest idle ones were closed (a flood of connections?)"
        );
    }
}

/// Serves `router` on `listener` until `stop`, within the bounds above.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let gate = Arc::new(Gate::default());
    let mut tasks = tokio::task::JoinSet::new();
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    let mut accept_failures = crate::logging::FailureLog::new("accepting webhook connections");
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = sweep.tick() => {
                gate.close_quiet();
                while tasks.try_join_next().is_some() {}
                continue;
            }
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                accept_failures.recovered();
                accepted
            }
            Err(e) => {
                // Out of descriptors, say: wait a little rather than spin.
                let pause = accept_failures.failed(&e.to_string());
                tokio::time::sleep(pause.min(Duration::from_millis(250))).await;
                continue;
            }
        };
        if !gate.make_room() {
            drop(stream);
            // Let the connections told to close go before the next accept.
            tokio::task::yield_now().await;
            continue;
        }
        let id = gate.next.fetch_add(1, Ordering::Relaxed);
        let conn = Open {
            in_hand: Arc::default(),
            quiet_since: Arc::new(Mutex::new(Instant::now())),
            close: Arc::default(),
            closing: Default::default(),
        };
        let handles = (
            conn.in_hand.clone(),
            conn.quiet_since.clone(),
            conn.close.clone(),
        );
        gate.open.lock().expect("not poisoned").insert(id, conn);
        let gate = gate.clone();
        let (router, stopping) = (router.clone(), stop.clone());
        tasks.spawn(async move {
            one_connection(stream, peer, router, handles, stopping).await;
            gate.open.lock().expect("not poisoned").remove(&id);
        });
    }
    // The stop: no new connection; requests in hand are finished.
    for conn in gate.open.lock().expect("not poisoned").values() {
        conn.shut();
    }
    let _ = tokio::time::timeout(FINISH_WITHIN, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
}

/// Serves one connection until it ends, closing it gracefully when the
/// gate asks (`close`) or the service stops; each request is counted in
/// hand while it runs (`in_hand`, `quiet_since`).
async fn one_connection(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    router: axum::Router,
    (in_hand, quiet_since, close): (Arc<AtomicUsize>, Arc<Mutex<Instant>>, Arc<Notify>),
    mut stopping: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let in_hand = InHand::new(in_hand.clone(), quiet_since.clone());
        let router = router.clone();
        async move {
            let _in_hand = in_hand;
            tower::ServiceExt::oneshot(router, request).await
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADERS_WITHIN)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = &mut connection => break,
            () = close.notified(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = stopping.wait_for(|s| *s), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A request in hand on a connection, counted while it lives.
struct InHand {
    count: Arc<AtomicUsize>,
    quiet_since: Arc<Mutex<Instant>>,
}

impl InHand {
    fn new(count: Arc<AtomicUsize>, quiet_since: Arc<Mutex<Instant>>) -> InHand {
        count.fetch_add(1, Ordering::Relaxed);
        InHand { count, quiet_since }
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        *self.quiet_since.lock().expect("not poisoned") = Instant::now();
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The soft limit of open files raised to the hard one (1,024 by default
/// on most systems, where the hard limit is far higher): the webhook's
/// connections, the database and Telegram's never compete for the last.
pub fn raise_open_files_limit() {
    // SAFETY: getrlimit and setrlimit read and set this process's own
    // limit through a plain struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(gate: &Gate, busy: bool) -> Arc<Notify> {
        let conn = Open {
            in_hand: Arc::new(AtomicUsize::new(usize::from(busy))),
            quiet_since: Arc::new(Mutex::new(Instant::now())),
            close: Arc::default(),
            closing: Default::default(),
        };
        let close = conn.close.clone();
        let id = gate.next.fetch_add(1, Ordering::Relaxed);
        gate.open.lock().unwrap().insert(id, conn);
        close
    }

    #[tokio::test]
    async fn a_newcomer_past_the_limit_closes_the_oldest_idle_or_is_turned_away() {
        let gate = Gate::default();
        let busy = open(&gate, true);
        let first_idle = open(&gate, false);
        for _ in 2..MAX_OPEN {
            open(&gate, false);
        }
        assert!(gate.make_room());
        // The oldest idle one was told to close, not the busy one.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), first_idle.notified())
                .await
                .is_ok()
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(50), busy.notified())
                .await
                .is_err()
        );
        // All busy: the newcomer goes.
        let gate = Gate::default();
        for _ in 0..MAX_OPEN {
            open(&gate, true);
        }
        assert!(!gate.make_room());
    }
}
