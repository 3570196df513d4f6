//! Who is at the other end of a Unix socket, and starting a process in a
//! session of its own: what the unlock agent needs from the system.

use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;

/// The user id of the process at the other end of `stream`, as the kernel
/// recorded it when the connection was made (SO_PEERCRED; the peer cannot
/// choose it).
#[cfg(target_os = "linux")]
pub fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is a writable ucred and `len` holds its size; the kernel
    // writes at most `len` bytes into it. The descriptor is open for the
    // call's duration (borrowed from `stream`).
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast::<libc::c_void>(),
            &raw mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cred.uid)
}

/// Elsewhere there is no SO_PEERCRED: every peer is refused.
#[cfg(not(target_os = "linux"))]
pub fn peer_uid(_stream: &UnixStream) -> std::io::Result<u32> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "peer credentials are not available on this platform",
    ))
}

/// Makes `command`'s process lead a new session (setsid): it has no
/// controlling terminal, so closing the shell that started it does not end it.
pub fn in_new_session(command: &mut std::process::Command) -> &mut std::process::Command {
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only setsid, which is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Writes to a Unix stream with MSG_NOSIGNAL: a peer that has gone is an
/// `EPIPE` error for the writer to handle, not a SIGPIPE that ends the
/// process (which `main` restores to its default for closed stdout pipes).
pub struct QuietWriter<'a>(pub &'a UnixStream);

impl Write for QuietWriter<'_> {
    #[cfg(target_os = "linux")]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: `buf` is a live slice of `buf.len()` readable bytes for the
        // call's duration, and the descriptor is borrowed from an open stream.
        let sent = unsafe {
            libc::send(
                self.0.as_raw_fd(),
                buf.as_ptr().cast::<libc::c_void>(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        usize::try_from(sent).map_err(|_| std::io::Error::last_os_error())
    }

    #[cfg(not(target_os = "linux"))]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&mut &*self.0).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_socket_pair_names_our_own_uid() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(peer_uid(&a).unwrap(), crate::platform::current_uid());
    }

    #[test]
    fn writing_to_a_closed_peer_is_an_error_not_a_signal() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let e = QuietWriter(&a).write_all(b"hello").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_process_started_in_a_new_session_leads_it() {
        let out = in_new_session(
            std::process::Command::new("sh").args(["-c", "ps -o sid= -p $$; echo $$"]),
        )
        .output()
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.split_whitespace();
        let (sid, pid) = (lines.next(), lines.next());
        assert!(sid.is_some() && sid == pid, "session {sid:?}, pid {pid:?}");
    }
}
