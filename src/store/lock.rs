//! One service per database: `sertibot run` holds an exclusive lock on a
//! file beside the database (`sertibot.db.lock`) for as long as it runs, so
//! a second service on the same database is refused instead of sending
//! everything twice. The command line does not take it: it writes through
//! SQLite's own locking and wakes the service. The lock is the operating
//! system's (flock), so it goes with the process, however it ends.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct ServiceLock {
    _file: File,
}

/// Why the lock was not had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another sertibot service is already running on the database {database} (process {pid}); stop it first"
    )]
    Held { database: String, pid: String },
    #[error("cannot lock {path}: {error}")]
    Io { path: String, error: std::io::Error },
}

/// The lock file beside the database: `sertibot.db` → `sertibot.db.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl ServiceLock {
    /// Takes the lock for `database`, or says which process holds it.
    ///
    /// # Errors
    /// [`LockError::Held`] when another service runs on the database.
    pub fn acquire(database: &Path) -> Result<ServiceLock, LockError> {
        let path = lock_path(database);
        let io = |error| LockError::Io {
            path: path.display().to_string(),
            error,
        };
        let mut file = crate::files::private_file_options()
            .read(true)
            .write(true)
            .truncate(false)
            .create(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(LockError::Held {
                    database: database.display().to_string(),
                    pid: pid.trim().chars().take(20).collect(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(ServiceLock { _file: file })
    }
}
