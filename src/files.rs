//! Files that hold personal data or secrets (the database and its
//! write-ahead log, email files, the config with the token) are the
//! owner's alone: files 0600, folders 0700, whatever the umask. The binary
//! sets its umask to 077 at start, so everything it creates (SQLite's own
//! files too) is private; the helpers here make that explicit where a file
//! is created, and find existing files that are looser, for `sertibot check`.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Makes every file and folder this process creates from now on private to
/// its owner (umask 077).
pub fn private_by_default() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file mode creation mask; it
    // cannot fail and touches no memory.
    unsafe {
        libc::umask(0o077);
    }
}

/// Options that create a file readable and writable by its owner only.
pub fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes `bytes` to a new or replaced file private to its owner.
///
/// # Errors
/// When the file cannot be written.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = private_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    restrict(path, false)?;
    file.write_all(bytes)
}

/// Writes `bytes` to a new file private to its owner, never over an
/// existing one, and syncs it.
///
/// # Errors
/// When the file exists or cannot be written.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = private_file_options()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates a folder (and its parents) private to its owner.
///
/// # Errors
/// When the folder cannot be made.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    restrict(path, true)
}

/// Takes the group's and others' permissions off a file (0600) or folder (0700).
///
/// # Errors
/// When the mode cannot be changed.
pub fn restrict(path: &Path, folder: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if folder { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, folder);
    Ok(())
}

/// The mode of an existing file or folder that others than its owner may
/// read or write (any group or other bit), if it is so.
pub fn looser_than_private(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The database's own files: the database, its write-ahead log and shared memory.
pub fn database_files(database: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}
