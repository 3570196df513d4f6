//! The running binary cannot be dumped: no core files, and no same-user
//! debugger or `/proc/PID/mem` reader, in every mode (CLI and daemon).
//!
//! How it is observed from outside: Linux makes the files of `/proc/PID`
//! belong to root once a process is non-dumpable, instead of to the process's
//! user. The tests run as root, so the binary is started as an unprivileged
//! user (uid 65534): dumpable, its `/proc/PID/status` is that user's; hardened,
//! it is root's. A control run of `cat` shows the observation tells the two
//! apart. The core limit is read from `/proc/PID/limits`, with the child
//! started under an unlimited core limit so an inherited 0 proves nothing.
#![allow(unsafe_code)] // libc: signals and sessions of child processes, the effective uid
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, isolate};

/// An unprivileged user for the child ("nobody" on most systems).
const NOBODY: u32 = 65534;
const TIMEOUT: Duration = Duration::from_secs(30);
/// The hardened limit: soft 0, the hard one as the parent left it (unlimited
/// in these tests), so `exec` can hand the user's own limit back.
const NO_CORE: (&str, &str) = ("0", "unlimited");

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` with an unlimited core limit (as a shell with `ulimit -c
/// unlimited` would), optionally as `NOBODY`.
fn spawn(mut cmd: Command, as_nobody: bool) -> Running {
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let unlimited = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &raw const unlimited) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    if as_nobody {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    Running(cmd.spawn().expect("spawn"))
}

/// Waits until the child has exec'd (its command line holds `marker`) and
/// sleeps, blocked in a read: by then `main` has run its first lines.
fn wait_blocked(child: &Running, marker: &str) {
    let pid = child.0.id();
    let start = Instant::now();
    loop {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Field 3, after the parenthesised command name.
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        if String::from_utf8_lossy(&cmdline).contains(marker) && state == Some("S") {
            return;
        }
        assert!(start.elapsed() < TIMEOUT, "pid {pid} never blocked: {stat}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The owner of `/proc/PID/status`: the process's user, or root if non-dumpable.
fn proc_owner(child: &Running) -> u32 {
    std::fs::metadata(format!("/proc/{}/status", child.0.id()))
        .expect("the child is running")
        .uid()
}

/// "Max core file size" from `/proc/PID/limits`: (soft, hard) as printed.
fn core_limit(child: &Running) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.0.id())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("a core limit line");
    let mut words = line["Max core file size".len()..].split_whitespace();
    let mut word = || words.next().unwrap_or_default().to_owned();
    (word(), word())
}

/// `add ... --secrets-stdin` reads standard input before it needs a vault, so
/// it waits there as long as the pipe stays open.
fn cli_waiting_on_stdin() -> Command {
    let mut cmd = Command::new(BIN);
    isolate(&mut cmd)
        .args(["--vault", "/nonexistent/vault.db", "add", "twilio", "probe"])
        .arg("--secrets-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn the_observation_tells_a_dumpable_process_apart() {
    if !is_root() {
        eprintln!("skipped: needs root to start a process as another user");
        return;
    }
    let mut cat = Command::new("cat");
    cat.arg("-").stdin(Stdio::piped()).stdout(Stdio::null());
    let cat = spawn(cat, true);
    wait_blocked(&cat, "cat");
    assert_eq!(proc_owner(&cat), NOBODY, "a plain process stays dumpable");
    assert_eq!(
        core_limit(&cat).0,
        "unlimited",
        "the raised limit is inherited"
    );
}

#[test]
fn a_cli_command_is_not_dumpable_and_writes_no_core() {
    if !is_root() {
        eprintln!("skipped: needs root to start a process as another user");
        return;
    }
    let child = spawn(cli_waiting_on_stdin(), true);
    wait_blocked(&child, "--secrets-stdin");
    assert_eq!(
        proc_owner(&child),
        0,
        "/proc/PID of the CLI must be root's: the process is non-dumpable"
    );
    assert_eq!(core_limit(&child), (NO_CORE.0.into(), NO_CORE.1.into()));
}

#[test]
fn the_core_limit_is_zero_even_when_the_shell_allows_cores() {
    // Needs no other user: root may raise its own core limit before exec.
    let child = spawn(cli_waiting_on_stdin(), false);
    wait_blocked(&child, "--secrets-stdin");
    assert_eq!(core_limit(&child), (NO_CORE.0.into(), NO_CORE.1.into()));
}

#[test]
fn the_daemon_is_not_dumpable_and_writes_no_core() {
    if !is_root() {
        eprintln!("skipped: needs root to start a process as another user");
        return;
    }
    // The daemon's vault belongs to the user it runs as.
    let dir = tempfile::TempDir::new().unwrap();
    std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let vault = dir.path().join("vault.db");
    let key = dir.path().join("key");
    let mut init = Command::new(BIN);
    isolate(&mut init)
        .arg("--vault")
        .arg(&vault)
        .args(["init", "--new-key-file"])
        .arg(&key)
        .uid(NOBODY)
        .gid(NOBODY);
    let out = init.output().unwrap();
    assert!(
        out.status.success(),
        "init as nobody: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut daemon = Command::new(BIN);
    isolate(&mut daemon)
        .arg("--vault")
        .arg(&vault)
        .arg("--key-file")
        .arg(&key)
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(daemon, true);
    // The daemon says it started once the vault is open and the key unwrapped.
    let stdout = child.0.stdout.take().unwrap();
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(stdout) as Box<dyn std::io::Read + Send>,
        Box::new(stderr),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let started = rx
        .recv_timeout(TIMEOUT)
        .expect("the daemon prints a first line");
    assert!(started.contains("keeping tokens fresh"), "{started}");
    assert_eq!(
        proc_owner(&child),
        0,
        "/proc/PID of the daemon must be root's: the process is non-dumpable"
    );
    assert_eq!(core_limit(&child), (NO_CORE.0.into(), NO_CORE.1.into()));
}

#[test]
fn a_program_exec_starts_gets_the_users_core_limit_back() {
    // flowvault itself dumps nothing, but the user's program is not ours to
    // change: under `ulimit -c unlimited` it keeps an unlimited limit.
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("limit");
    let mut cmd = Command::new(BIN);
    isolate(&mut cmd)
        .args(["exec", "--", "sh", "-c"])
        .arg(format!("ulimit -c > {}", out.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = spawn(cmd, false);
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exec -- sh: {status}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "unlimited");
}
