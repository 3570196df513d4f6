//! A form field's value through the operator's own editor (`$VISUAL`,
//! `$EDITOR`, else `vi`): a PEM key or a JSON body is easier to write there
//! than on one line.
//!
//! The value is written to a file only the operator can read (0600, in a
//! fresh 0700 folder under `$XDG_RUNTIME_DIR`, a per-user tmpfs, else the
//! temporary folder). The editor runs through `sh -c`, as git runs it, so
//! `EDITOR="code --wait"` works. Afterwards every file in that folder (the
//! value, and the swap or backup files editors leave beside it) is
//! overwritten with zeros and removed, then the folder; on every way out.
//!
//! What the editor leaves is taken byte for byte; what a field does with a
//! final line break is the form's business (see `CredentialsForm::set_edited`).

use std::ffi::OsString;
use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use zeroize::Zeroizing;

/// The editor that runs when none is set: present on every Unix.
const FALLBACK: &str = "vi";

/// Why an edit left the value as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditorError {
    /// The editor exited with a failure (`:cq` in vi): the operator gave up.
    #[error("the editor exited with {0}")]
    Failed(String),
    /// The editor could not be started.
    #[error("cannot start the editor `{editor}`: {reason}")]
    NotStarted { editor: String, reason: String },
    /// The file it left is not text.
    #[error("the file the editor left is not UTF-8 text")]
    NotText,
    /// The private file could not be made, read or removed.
    #[error("{0}")]
    Io(String),
}

/// The editor command line, as the operator set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    command: OsString,
}

impl Editor {
    /// `$VISUAL`, else `$EDITOR`, else `vi`; an empty variable counts as unset.
    pub fn from_env() -> Editor {
        let command = ["VISUAL", "EDITOR"]
            .into_iter()
            .filter_map(std::env::var_os)
            .find(|v| !v.is_empty())
            .unwrap_or_else(|| FALLBACK.into());
        Editor { command }
    }

    /// A given command line (tests name a script).
    pub fn command(command: impl Into<OsString>) -> Editor {
        Editor {
            command: command.into(),
        }
    }

    /// Runs the editor on `text` and returns what it left. Blocks until the
    /// editor exits; the caller hands it the terminal first.
    pub fn edit(&self, text: &str) -> Result<Zeroizing<String>, EditorError> {
        let dir = PrivateDir::new()?;
        let path = dir.path.join("value.txt");
        write_private(&path, text.as_bytes()).map_err(|e| io_error(&path, &e))?;
        // `$1` keeps a path with spaces one word; the command line itself is
        // the operator's, split by the shell as they wrote it.
        let mut script = OsString::from(&self.command);
        script.push(" \"$1\"");
        let status = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg("flowvault-editor")
            .arg(&path)
            .status()
            .map_err(|e| EditorError::NotStarted {
                editor: self.command.to_string_lossy().into_owned(),
                reason: e.to_string(),
            })?;
        if !status.success() {
            return Err(EditorError::Failed(status.to_string()));
        }
        let bytes = Zeroizing::new(std::fs::read(&path).map_err(|e| io_error(&path, &e))?);
        match std::str::from_utf8(&bytes) {
            Ok(text) => Ok(Zeroizing::new(text.to_owned())),
            Err(_) => Err(EditorError::NotText),
        }
    }
}

fn io_error(path: &Path, error: &io::Error) -> EditorError {
    EditorError::Io(format!("{}: {error}", path.display()))
}

/// Creates `path` for the owner only and writes `bytes` to it.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A fresh folder only the operator can enter, wiped and removed on drop.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn new() -> Result<PrivateDir, EditorError> {
        // A tmpfs of the operator's own where there is one: the value never
        // reaches a disk.
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let name = format!("flowvault-edit-{}", crate::vault::crypto::random_uuid());
        let path = base.join(name);
        // `create`, not `recursive`: a folder planted there under that name is refused.
        DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| io_error(&path, &e))?;
        Ok(PrivateDir { path })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                let path = entry.path();
                // Zeros over what the file held, so the blocks it used do
                // not keep the value once it is unlinked.
                if entry.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = overwrite_with_zeros(&path);
                }
                let _ = std::fs::remove_file(&path);
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn overwrite_with_zeros(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let len = file.metadata()?.len();
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A script that records the file's mode and folder, then writes `out`.
    fn script(dir: &Path, body: &str) -> Editor {
        let path = dir.join("fake-editor.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        Editor::command(path.into_os_string())
    }

    #[test]
    fn the_editor_sees_the_value_in_a_private_file_and_its_output_is_taken_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("fv-editor-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seen = dir.join("seen");
        let editor = script(
            &dir,
            &format!(
                "cp \"$1\" '{seen}.value'; stat -c %a \"$1\" > '{seen}.mode'; \
                 stat -c %a \"$(dirname \"$1\")\" > '{seen}.dirmode'; echo \"$1\" > '{seen}.path'; \
                 printf 'line 1\\n\\tline 2\\r\\nno newline at the end' > \"$1\"",
                seen = seen.display()
            ),
        );
        let out = editor.edit("before\nafter\n").unwrap();
        assert_eq!(out.as_str(), "line 1\n\tline 2\r\nno newline at the end");
        let read =
            |ext: &str| std::fs::read_to_string(format!("{}.{ext}", seen.display())).unwrap();
        assert_eq!(read("value"), "before\nafter\n");
        assert_eq!(read("mode").trim(), "600");
        assert_eq!(read("dirmode").trim(), "700");
        let edited = PathBuf::from(read("path").trim());
        assert!(!edited.exists(), "the file is removed");
        assert!(!edited.parent().unwrap().exists(), "and its folder");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_editor_that_fails_or_is_missing_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("fv-editor-fail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let quits = script(&dir, "echo changed > \"$1\"; exit 3");
        assert!(matches!(quits.edit("kept"), Err(EditorError::Failed(_))));
        let missing = Editor::command("/nonexistent/editor");
        // The shell starts, the editor does not: sh says 127.
        assert!(matches!(missing.edit("kept"), Err(EditorError::Failed(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
