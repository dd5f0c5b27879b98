//! What a file looked like when it was read (length, modification time and,
//! on Unix, inode), so that a later look can tell whether it changed without
//! reading it again.

use std::path::Path;
use std::time::SystemTime;

/// A file's length, modification time and (on Unix) inode; two stamps
/// differ when the file was rewritten or replaced. `None` where a stamp is
/// expected means the file could not be looked at (it is missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    /// A file replaced by a rename has another inode, even when its length
    /// and time are the same.
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    /// The stamp of the file at `path` now, or `None` if it cannot be
    /// looked at. Follows symbolic links (Kubernetes mounts secrets as links
    /// that are swapped on update).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        Some(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode,
        })
    }
}
