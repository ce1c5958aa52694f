//! Waking the running service from another process: the command line
//! writes to the same database (a batch started, a member added) and then
//! pokes a local socket beside the database file, so the service's delivery
//! workers and scheduler look at once instead of at their next due time.
//! A poke carries nothing; with no service listening it does nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use crate::app::App;

/// The socket beside the database: `sertibot.db` → `sertibot.db.wake`.
pub fn socket_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".wake");
    PathBuf::from(name)
}

/// Tells a running service that the database changed. Never fails: a
/// service that is not running needs no waking.
pub fn poke(database: &Path) {
    #[cfg(unix)]
    {
        use std::io::Write;
        if let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket_path(database)) {
            let _ = stream.write_all(b"w");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = database;
    }
}

/// The most pokes accepted in one look at the socket before the loop looks
/// at its stop again.
#[cfg(unix)]
const POKES_PER_LOOK: usize = 4096;

/// Listens for pokes until `stop` turns true, telling `app` each time;
/// removes the socket when it stops.
///
/// # Errors
/// When the socket cannot be made (the folder is not writable).
pub async fn listen(app: Arc<App>, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let path = socket_path(&app.config.database);
        // A socket left by a service that was killed: nobody answers it.
        if std::os::unix::net::UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let listener = tokio::net::UnixListener::bind(&path)?;
        // Pokes are read in bulk and coalesced: once one arrives, every
        // connection already waiting is accepted and dropped at once (up
        // to [`POKES_PER_LOOK`], so a stop is never kept waiting), and the
        // service is told at most once per [`crate::outbox::SETTLE`]: a
        // flood of pokes costs little more than the accepts themselves.
        let mut told = tokio::time::Instant::now() - crate::outbox::SETTLE;
        let mut waiting = false;
        loop {
            let tell_at = told + crate::outbox::SETTLE;
            tokio::select! {
                accepted = listener.accept() => {
                    if accepted.is_ok() {
                        use futures_util::FutureExt;
                        let mut pokes = 1;
                        while pokes < POKES_PER_LOOK
                            && matches!(listener.accept().now_or_never(), Some(Ok(_)))
                        {
                            pokes += 1;
                        }
                        // Another process wrote: the member register may
                        // be stale now (a member deactivated), not only later.
                        app.forget_register();
                        waiting = true;
                    }
                }
                () = tokio::time::sleep_until(tell_at), if waiting => {}
                _ = stop.changed() => break,
            }
            if waiting && tokio::time::Instant::now() >= told + crate::outbox::SETTLE {
                app.changed();
                told = tokio::time::Instant::now();
                waiting = false;
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    #[cfg(not(unix))]
    {
        let _ = (app, stop.changed().await);
    }
    Ok(())
}
