//! Questions about files that `std` cannot answer: who we are, and whether a
//! folder can really be written (read-only mounts, permissions).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The real user id of this process.
pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Whether `path` is on a file system mounted read-only.
pub fn is_read_only_fs(path: &Path) -> std::io::Result<bool> {
    let c_path = c_path(path)?;
    // SAFETY: an all-zero statvfs is a valid value of this plain C struct.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a NUL-terminated string and `stat` a writable
    // statvfs; both outlive the call.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &raw mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat.f_flag & libc::ST_RDONLY != 0)
}

/// Whether this process may write to `path` (access(2) with `W_OK`), which
/// accounts for the mode, the owner, root's rights and read-only mounts.
pub fn is_writable(path: &Path) -> bool {
    let Ok(c_path) = c_path(path) else {
        return false;
    };
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

fn c_path(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"))
}
