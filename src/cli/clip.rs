//! `get --clip`: a value onto the terminal's clipboard by OSC 52, and its
//! clearing later by a detached helper (the hidden `clear-clipboard`
//! command), so `get` returns at once as `pass -c` does.
//!
//! A newer copy on the same terminal supersedes an older clear: each copy
//! writes a random generation id into a marker file (one per terminal, in a
//! directory only the user can enter), and a helper clears only if the
//! marker still holds its own id when its time comes. The value itself never
//! reaches the helper: not in its arguments, environment or marker.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use zeroize::Zeroizing;

use super::error::CliError;

/// The terminal the clipboard sequence goes to.
const TERMINAL: &str = "/dev/tty";
/// What an empty OSC 52 looks like: it clears the clipboard.
const CLEAR_SEQUENCE: &[u8] = b"\x1b]52;c;\x07";

/// The controlling terminal, opened for writing; a clear error without one.
pub fn open_terminal() -> Result<File, CliError> {
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(TERMINAL)
        .map_err(|e| {
            CliError::failure(
                crate::locale::current().f("clip.no_terminal", &[("error", &e.to_string())]),
            )
        })
}

/// Puts `value` on the clipboard of `terminal`; with `clear_after`, starts
/// the helper that clears it then unless a newer copy came since.
pub fn copy(
    terminal: &mut File,
    value: &str,
    clear_after: Option<Duration>,
) -> Result<(), CliError> {
    // Where the clear is tracked is settled first: a copy that could not
    // be cleared is refused before it is made.
    let marker = clear_after.map(|_| marker_path(terminal)).transpose()?;
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(value));
    let sequence = Zeroizing::new(format!("\x1b]52;c;{}\x07", encoded.as_str()));
    write_to_terminal(terminal, sequence.as_bytes())?;
    let (Some(after), Some(marker)) = (clear_after, marker) else {
        return Ok(());
    };
    // Claimed before the helper starts, so an older helper sees it at once.
    let generation = crate::vault::crypto::random_uuid().simple().to_string();
    write_marker(&marker, &generation).map_err(|e| {
        CliError::failure(crate::locale::current().f("clip.no_clearer", &[("error", &e.message)]))
    })?;
    start_clearer(terminal, after, &generation, &marker)
}

fn write_to_terminal(terminal: &mut File, bytes: &[u8]) -> Result<(), CliError> {
    terminal
        .write_all(bytes)
        .and_then(|()| terminal.flush())
        .map_err(|e| {
            CliError::failure(
                crate::locale::current().f("clip.no_terminal", &[("error", &e.to_string())]),
            )
        })
}

/// The hidden `clear-clipboard` command: waits, then clears the clipboard of
/// the terminal on its stdout if the marker still holds `generation`.
pub fn clear_later(after: Duration, generation: &str, marker: &Path) -> Result<(), CliError> {
    std::thread::sleep(after);
    if read_marker(marker).as_deref() != Some(generation) {
        // A newer copy owns the clipboard, and its own clear.
        return Ok(());
    }
    let mut terminal = std::io::stdout().lock();
    // The terminal may be gone (window closed): nothing is left to clear.
    let _ = terminal
        .write_all(CLEAR_SEQUENCE)
        .and_then(|()| terminal.flush());
    if read_marker(marker).as_deref() == Some(generation) {
        let _ = std::fs::remove_file(marker);
    }
    Ok(())
}

fn start_clearer(
    terminal: &File,
    after: Duration,
    generation: &str,
    marker: &Path,
) -> Result<(), CliError> {
    let failed = |e: std::io::Error| {
        CliError::failure(
            crate::locale::current().f("clip.no_clearer", &[("error", &e.to_string())]),
        )
    };
    let exe = std::env::current_exe().map_err(failed)?;
    let output = terminal.try_clone().map_err(failed)?;
    let mut command = Command::new(exe);
    command
        .arg("clear-clipboard")
        .arg("--after-ms")
        .arg(after.as_millis().to_string())
        .arg("--generation")
        .arg(generation)
        .arg("--marker")
        .arg(marker)
        // It needs nothing of this process's environment, so it gets none.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::from(output))
        .stderr(Stdio::null());
    crate::platform::child::detach_session(&mut command);
    // Not waited for: it outlives this command, as `pass -c`'s does.
    command.spawn().map(drop).map_err(failed)
}

/// `<private dir>/clipboard-<terminal device>`: one marker per terminal, so
/// a copy in one window does not cancel the clear of another.
fn marker_path(terminal: &File) -> Result<PathBuf, CliError> {
    // `/dev/tty` itself is one device for everyone: the terminal behind it
    // is the controlling terminal that /proc names.
    let device = match controlling_terminal() {
        Some(device) => device,
        None => terminal
            .metadata()
            .map_err(|e| marker_error(Path::new(TERMINAL), &e))?
            .rdev(),
    };
    Ok(private_dir()?.join(format!("clipboard-{device:x}")))
}

/// The device number of this process's controlling terminal (`tty_nr` of
/// `/proc/self/stat`), where the system says.
fn controlling_terminal() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in parentheses may hold spaces and parentheses itself.
    let after_name = &stat[stat.rfind(')')? + 1..];
    // state, ppid, pgrp, session, tty_nr.
    let device: u64 = after_name.split_whitespace().nth(4)?.parse().ok()?;
    (device != 0).then_some(device)
}

/// `$XDG_RUNTIME_DIR/flowvault`, else `/tmp/flowvault-UID`: created mode
/// 0700, and refused unless it is a real directory of this user that no
/// one else may enter (another user could otherwise cancel the clears).
fn private_dir() -> Result<PathBuf, CliError> {
    let uid = crate::platform::current_uid();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("flowvault"),
        None => std::env::temp_dir().join(format!("flowvault-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(marker_error(&dir, &e)),
    }
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| marker_error(&dir, &e))?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(CliError::failure(
            crate::locale::current().f("clip.unsafe_dir", &[("path", &dir.display().to_string())]),
        ));
    }
    Ok(dir)
}

fn write_marker(marker: &Path, generation: &str) -> Result<(), CliError> {
    // Written whole then renamed: a helper never reads half an id.
    let partial = marker.with_extension("new");
    let _ = std::fs::remove_file(&partial);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .and_then(|mut f| f.write_all(generation.as_bytes()))
        .and_then(|()| std::fs::rename(&partial, marker))
        .map_err(|e| marker_error(marker, &e))
}

fn read_marker(marker: &Path) -> Option<String> {
    std::fs::read_to_string(marker).ok()
}

fn marker_error(path: &Path, error: &std::io::Error) -> CliError {
    CliError::failure(crate::locale::current().f(
        "clip.no_marker",
        &[
            ("path", &path.display().to_string()),
            ("error", &error.to_string()),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_whose_marker_was_replaced_writes_nothing_and_keeps_the_marker() {
        let dir = tempfile::TempDir::new().unwrap();
        let marker = dir.path().join("clipboard-1");
        write_marker(&marker, "newer").unwrap();
        clear_later(Duration::ZERO, "older", &marker).unwrap();
        assert_eq!(read_marker(&marker).as_deref(), Some("newer"));
        write_marker(&marker, "newest").unwrap();
        assert_eq!(read_marker(&marker).as_deref(), Some("newest"));
    }
}
