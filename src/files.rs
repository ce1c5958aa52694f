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

/// Writes `bytes` to a new or replaced file private to its owner. A
/// symbolic link at `path` is refused, never followed (one planted in a
/// shared folder would have sertibot overwrite its target), and so is
/// anything but a regular file; the mode is set on the file opened, not
/// on whatever the path names by then.
///
/// # Errors
/// When `path` is a symbolic link or not a regular file, or the file
/// cannot be written.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; sertibot does not write through one",
            path.display()
        )));
    }
    let mut options = private_file_options();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Swapped for a link after the look above: the open fails instead.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.set_len(0)?;
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

/// Creates a folder (and its parents) private to its owner. A folder that
/// is already there keeps its mode: sertibot never changes one it did not
/// make (`--out /tmp` must not take the sticky bit off /tmp); the files it
/// writes inside are private on their own.
///
/// # Errors
/// When the folder cannot be made.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_planted_link_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.conf");
        std::fs::write(&victim, "secret = 1\n").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let planted = dir.path().join("batch-1-undangan.pdf");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let refused = write_private(&planted, b"%PDF").unwrap_err();
        assert!(refused.to_string().contains("symbolic link"), "{refused}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "secret = 1\n");
        assert_eq!(mode(&victim), 0o644);
        // A dangling link is refused too, and nothing is made at its target.
        let nowhere = dir.path().join("nowhere");
        let dangling = dir.path().join("batch-1-linimasa.pdf");
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        assert!(write_private(&dangling, b"%PDF").is_err());
        assert!(!nowhere.exists());
    }

    #[test]
    fn a_file_is_replaced_privately_and_a_folder_not_ours_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        create_private_dir(&shared).unwrap();
        assert_eq!(mode(&shared), 0o1777, "an existing folder keeps its mode");
        let file = shared.join("a.pdf");
        std::fs::write(&file, "a much longer earlier content").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        assert_eq!(mode(&file), 0o600);
        let made = dir.path().join("made/inside");
        create_private_dir(&made).unwrap();
        assert_eq!(mode(&made), 0o700);
    }
}
