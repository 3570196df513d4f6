//! Where the agent's socket lives, and the checks that keep that place
//! the user's own.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::vault::{InsecureReason, VaultError};

/// Overrides the socket's path (tests, or two agents side by side).
pub const SOCKET_ENV: &str = "FLOWVAULT_AGENT_SOCKET";

/// The socket's path: `$FLOWVAULT_AGENT_SOCKET`, else
/// `$XDG_RUNTIME_DIR/flowvault/agent.sock`, else
/// `/tmp/flowvault-$UID/agent.sock`.
pub fn socket_path() -> PathBuf {
    let path = if let Some(path) = std::env::var_os(SOCKET_ENV).filter(|p| !p.is_empty()) {
        PathBuf::from(path)
    } else {
        match std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("flowvault").join("agent.sock"),
            None => std::env::temp_dir()
                .join(format!("flowvault-{}", crate::platform::current_uid()))
                .join("agent.sock"),
        }
    };
    // The agent runs from `/`: a relative path would name another place there.
    std::path::absolute(&path).unwrap_or(path)
}

/// The socket's folder, made with mode 0700 if missing, and refused unless
/// it is a real folder of this user that nobody else can enter: in a
/// shared /tmp another user could have made it first.
pub fn private_folder(socket: &Path) -> Result<PathBuf, VaultError> {
    let folder = socket
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    let io = |source| VaultError::Io {
        context: "cannot make the agent's folder",
        path: folder.clone(),
        source,
    };
    if std::fs::symlink_metadata(&folder).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&folder)
            .map_err(io)?;
    }
    check_private_folder(&folder)?;
    Ok(folder)
}

/// Refuses a folder that is a link, not this user's, or open to others.
pub fn check_private_folder(folder: &Path) -> Result<(), VaultError> {
    let refuse = |reason| VaultError::InsecurePath {
        path: folder.to_owned(),
        reason,
    };
    let meta = std::fs::symlink_metadata(folder).map_err(|source| VaultError::Io {
        context: "cannot read the agent's folder",
        path: folder.to_owned(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(refuse(InsecureReason::Symlink));
    }
    if !meta.is_dir() {
        return Err(refuse(InsecureReason::NotAFile));
    }
    if meta.uid() != crate::platform::current_uid() {
        return Err(refuse(InsecureReason::OtherOwner));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refuse(InsecureReason::OpenFolder(mode)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_made_private_and_an_open_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("run").join("agent.sock");
        let folder = private_folder(&socket).unwrap();
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(matches!(
            private_folder(&socket),
            Err(VaultError::InsecurePath {
                reason: InsecureReason::OpenFolder(0o755),
                ..
            })
        ));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&folder, &link).unwrap();
        assert!(matches!(
            private_folder(&link.join("agent.sock")),
            Err(VaultError::InsecurePath {
                reason: InsecureReason::Symlink,
                ..
            })
        ));
    }
}
