//! The service manager's notification protocol (sd_notify(3)): state lines
//! such as `READY=1` sent as one datagram to the Unix socket named by
//! `NOTIFY_SOCKET`, a path or an abstract `@name`. Written by hand: it is a
//! datagram, and a crate would bring more than it saves.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The variable systemd sets for `Type=notify` services.
const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Why the notification socket cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("NOTIFY_SOCKET={0:?} is neither a socket path nor an abstract @name")]
    Unsupported(OsString),
    #[error("cannot open a socket to notify the service manager: {0}")]
    Socket(io::Error),
}

/// A connection to the service manager's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    address: SocketAddr,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` asks for, or `None` when it is unset (not
    /// started by a service manager). The variable is taken out of the
    /// environment, so that no child process notifies in the daemon's name.
    pub fn from_env() -> Result<Option<Notifier>, NotifyError> {
        let Some(address) = std::env::var_os(NOTIFY_SOCKET).filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        unset_notify_socket();
        Notifier::to(&address).map(Some)
    }

    /// A notifier sending to `address`: a file system path, or `@name` for
    /// a Linux abstract socket.
    pub fn to(address: &OsStr) -> Result<Notifier, NotifyError> {
        let unsupported = || NotifyError::Unsupported(address.to_owned());
        let address = match address.as_bytes() {
            [b'/', ..] => SocketAddr::from_pathname(address).map_err(|_| unsupported())?,
            [b'@', name @ ..] => abstract_address(name).ok_or_else(unsupported)?,
            _ => return Err(unsupported()),
        };
        let socket = UnixDatagram::unbound().map_err(NotifyError::Socket)?;
        Ok(Notifier { socket, address })
    }

    /// Sends `state`: newline-separated `KEY=VALUE` assignments, one datagram.
    pub fn send(&self, state: &str) -> io::Result<()> {
        let sent = self.socket.send_to_addr(state.as_bytes(), &self.address)?;
        if sent != state.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the notification was cut short",
            ));
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn abstract_address(name: &[u8]) -> Option<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name).ok()
}

#[cfg(not(target_os = "linux"))]
fn abstract_address(_name: &[u8]) -> Option<SocketAddr> {
    None
}

/// Removes `NOTIFY_SOCKET` from the environment when this is the process's
/// only thread; otherwise leaves it (the daemon starts no children, so a
/// variable left behind has no one to mislead).
fn unset_notify_socket() {
    if !is_only_thread() {
        return;
    }
    // SAFETY: no other thread exists (checked just above, and only this
    // thread could start one), so none can read the environment meanwhile.
    unsafe { std::env::remove_var(NOTIFY_SOCKET) };
}

/// Whether the calling thread is the process's only one (Linux's
/// `/proc/self/task`; elsewhere unknown, so `false`).
fn is_only_thread() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

/// `CLOCK_MONOTONIC` in microseconds: what `MONOTONIC_USEC=` carries with
/// `RELOADING=1`, so systemd can tell this reload from an older one.
pub fn monotonic_usec() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call to fill;
    // CLOCK_MONOTONIC is always available on the platforms we build for.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    if rc != 0 {
        return 0;
    }
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000).saturating_add(nanos / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reaches_a_socket_bound_at_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier::to(path.as_os_str()).unwrap();
        notifier.send("READY=1\nSTATUS=up").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=up");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_state_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("flowvault-test-{}", std::process::id());
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        let notifier = Notifier::to(OsStr::new(&format!("@{name}"))).unwrap();
        notifier.send("STOPPING=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    #[test]
    fn other_addresses_are_refused() {
        for address in ["", "relative/path", "vsock:2:1234"] {
            assert!(
                matches!(
                    Notifier::to(OsStr::new(address)),
                    Err(NotifyError::Unsupported(_))
                ),
                "{address:?}"
            );
        }
    }

    #[test]
    fn the_monotonic_clock_moves_forward() {
        let before = monotonic_usec();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let after = monotonic_usec();
        assert!(
            before > 0 && after >= before + 2_000,
            "{before} then {after}"
        );
    }
}
