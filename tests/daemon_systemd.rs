//! The daemon as systemd runs it: a real `flowvault daemon` process on a temp
//! vault with a key file, a token endpoint on 127.0.0.1, and what a service
//! manager sees: sd_notify datagrams on a socket the test binds, SIGHUP
//! reloads, journald's JOURNAL_STREAM, English log lines, the sample unit.
#![allow(unsafe_code)] // libc: signals to the daemon, the monotonic clock

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::TestVault;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Long enough for a debug build to unlock a vault on a busy machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A token endpoint that answers every request of `client_id` with a token
/// living `expires_in` seconds.
async fn endpoint(server: &MockServer, client_id: &str, expires_in: i64) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains(format!("client_id={client_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "CANARY-TOKEN-3f1a",
            "expires_in": expires_in,
        })))
        .mount(server)
        .await;
}

fn add_auth0(vault: &TestVault, name: &str, server: &MockServer, client_id: &str) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", &server.uri()), ("client_id", client_id)],
        &[("client_secret", "CANARY-SECRET-77d0")],
    );
}

/// Requests `server` got from `client_id`.
async fn requests_from(server: &MockServer, client_id: &str) -> usize {
    let needle = format!("client_id={client_id}");
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains(&needle))
        .count()
}

/// `flowvault --vault … --key-file … [extra…] daemon`, isolated, with `env`.
fn daemon_cmd(vault: &TestVault, extra: &[&str], env: &[(&str, &str)]) -> Command {
    daemon_cmd_with_key(vault, &vault.key, extra, env)
}

fn daemon_cmd_with_key(
    vault: &TestVault,
    key: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(common::BIN);
    common::isolate(&mut cmd);
    cmd.env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .env_remove("FLOWVAULT_LOG")
        .arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(key)
        .args(extra)
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A running daemon whose stderr lines are read as they come.
struct Running {
    child: Child,
    lines: Receiver<String>,
    /// Every line read so far.
    log: Vec<String>,
    /// Lines before this one were passed by an earlier `wait_for`.
    seen: usize,
}

impl Running {
    fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the daemon");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            log: Vec::new(),
            seen: 0,
        }
    }

    /// The first line containing `needle` after the one the last call
    /// found, reading more as needed; fails the test after PATIENCE.
    fn wait_for(&mut self, needle: &str) -> String {
        if let Some(i) = self.log[self.seen..]
            .iter()
            .position(|l| l.contains(needle))
        {
            self.seen += i + 1;
            return self.log[self.seen - 1].clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        self.seen = self.log.len();
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {needle:?} in time; log so far:\n{}", self.text())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the daemon ended before {needle:?}; log:\n{}", self.text())
                }
            }
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill with the pid of our own child and a valid signal.
        let rc = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGTERM, then the exit status and the whole log.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        self.signal(libc::SIGTERM);
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        (status, self.text())
    }

    fn text(&self) -> String {
        self.log.join("\n")
    }
}

#[tokio::test]
async fn sighup_reloads_picks_up_new_connections_drops_removed_ones_and_never_kills() {
    let server = MockServer::start().await;
    // A 2 s token renews about every second: its requests show the daemon at work.
    endpoint(&server, "client-old", 2).await;
    endpoint(&server, "client-new", 3600).await;
    let vault = TestVault::new();
    add_auth0(&vault, "old", &server, "client-old");

    let mut daemon = Running::spawn(daemon_cmd(&vault, &[], &[]));
    daemon.wait_for("keeping tokens fresh");
    daemon.wait_for("renewed “old”");

    // Several reloads in a row, one right after the other: each is logged,
    // none ends the daemon.
    for _ in 0..3 {
        daemon.signal(libc::SIGHUP);
        daemon.wait_for("configuration reloaded");
    }
    assert!(
        daemon.is_running(),
        "SIGHUP ended the daemon:\n{}",
        daemon.text()
    );

    // Another process adds one connection and removes the other; a reload
    // renews the new one and forgets the old.
    add_auth0(&vault, "new", &server, "client-new");
    vault.cmd().args(["rm", "old", "--yes"]).assert().success();
    daemon.signal(libc::SIGHUP);
    daemon.wait_for("configuration reloaded");
    daemon.wait_for("renewed “new”");
    let old_after_reload = requests_from(&server, "client-old").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        requests_from(&server, "client-old").await,
        old_after_reload,
        "a removed connection is renewed no more"
    );
    assert_eq!(requests_from(&server, "client-new").await, 1);

    assert!(daemon.is_running());
    let (status, log) = daemon.stop();
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(log.contains("stopped"), "{log}");
    for canary in ["CANARY-TOKEN", "CANARY-SECRET"] {
        assert!(!log.contains(canary), "{canary} in the log:\n{log}");
    }
}

/// Whether process `pid` catches `signal` (its bit in /proc's SigCgt mask).
fn catches(pid: u32, signal: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
}

#[tokio::test]
async fn a_sighup_while_the_vault_unlocks_is_a_reload_not_the_end() {
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 3600).await;
    // A passphrase: Argon2id takes a moment, the window for the signal.
    let vault = TestVault::with_passphrase("correct horse battery staple");
    add_auth0(&vault, "a", &server, "client-a");
    let mut cmd = Command::new(common::BIN);
    common::isolate(&mut cmd)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .arg("--vault")
        .arg(&vault.path)
        .arg("--passphrase-file")
        .arg(&vault.key)
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut daemon = Running::spawn(cmd);
    let pid = daemon.child.id();
    let deadline = Instant::now() + PATIENCE;
    while !catches(pid, libc::SIGHUP) {
        assert!(daemon.is_running(), "ended before catching SIGHUP");
        assert!(Instant::now() < deadline, "SIGHUP never caught");
        std::thread::sleep(Duration::from_millis(1));
    }
    let sent = time::OffsetDateTime::now_utc();
    daemon.signal(libc::SIGHUP);
    let started = daemon.wait_for("keeping tokens fresh");
    // The signal came before the daemon was up: while it unlocked.
    let stamp = started.split_whitespace().next().unwrap();
    let started_at =
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(sent < started_at, "SIGHUP at {sent}, up at {started_at}");
    daemon.wait_for("configuration reloaded");
    daemon.wait_for("renewed “a”");
    assert!(daemon.is_running());
    let (status, log) = daemon.stop();
    assert!(status.success(), "exit {status:?}:\n{log}");
}

#[tokio::test]
async fn a_reload_that_cannot_open_the_vault_keeps_the_one_it_has() {
    use std::os::unix::fs::PermissionsExt;
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 2).await;
    let vault = TestVault::new();
    add_auth0(&vault, "a", &server, "client-a");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    let mut daemon = Running::spawn(daemon_cmd(
        &vault,
        &[],
        &[("NOTIFY_SOCKET", path.to_str().unwrap())],
    ));
    assert_eq!(value(&next_notification(&socket), "READY"), Some("1"));
    daemon.wait_for("renewed “a”");

    // The key file opened to everyone: refused, as at start.
    std::fs::set_permissions(&vault.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    daemon.signal(libc::SIGHUP);
    let failed = daemon.wait_for("could not reopen");
    assert!(
        failed.contains("still using the vault opened before"),
        "{failed}"
    );
    assert!(failed.contains(&*vault.key.to_string_lossy()), "{failed}");
    let reloading = next_notification(&socket);
    assert_eq!(value(&reloading, "RELOADING"), Some("1"));
    let ready = next_notification(&socket);
    assert_eq!(value(&ready, "READY"), Some("1"), "{ready:?}");
    assert_eq!(
        value(&ready, "STATUS"),
        Some("reload failed: still using the vault opened before")
    );

    // The vault opened at start goes on renewing.
    let before = requests_from(&server, "client-a").await;
    daemon.wait_for("renewed “a”");
    daemon.wait_for("renewed “a”");
    assert!(requests_from(&server, "client-a").await >= before + 2);
    assert!(daemon.is_running());
    let (status, log) = daemon.stop();
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(!log.contains("configuration reloaded"), "{log}");
}

#[tokio::test]
async fn sigint_stops_it_cleanly_too() {
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 3600).await;
    let vault = TestVault::new();
    add_auth0(&vault, "a", &server, "client-a");
    let mut daemon = Running::spawn(daemon_cmd(&vault, &[], &[]));
    daemon.wait_for("renewed “a”");
    daemon.signal(libc::SIGINT);
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "exit {status:?}:\n{}", daemon.text());
    daemon.wait_for("stopped");
}

/// The next datagram on `socket`, as text; fails the test after PATIENCE.
fn next_notification(socket: &UnixDatagram) -> String {
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = [0u8; 4096];
    let n = socket
        .recv(&mut buf)
        .expect("a notification from the daemon in time");
    String::from_utf8(buf[..n].to_vec()).expect("notifications are text")
}

/// The assignments of a notification, `KEY=VALUE` per line.
fn assignments(message: &str) -> Vec<(&str, &str)> {
    message
        .lines()
        .map(|l| l.split_once('=').expect("KEY=VALUE"))
        .collect()
}

fn value<'a>(message: &'a str, key: &str) -> Option<&'a str> {
    assignments(message)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// CLOCK_MONOTONIC in microseconds, the clock MONOTONIC_USEC is read on.
fn monotonic_usec() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000
}

/// READY=1 once the vault is unlocked and renewals are scheduled,
/// RELOADING=1 (with the time) then READY=1 around SIGHUP, STOPPING=1 on
/// SIGTERM: what systemd's Type=notify and notify-reload wait for.
async fn notifies_systemd_through(socket: UnixDatagram, address: &str) {
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 3600).await;
    let vault = TestVault::new();
    add_auth0(&vault, "a", &server, "client-a");
    let mut daemon = Running::spawn(daemon_cmd(&vault, &[], &[("NOTIFY_SOCKET", address)]));

    let ready = next_notification(&socket);
    assert_eq!(value(&ready, "READY"), Some("1"), "{ready:?}");
    assert_eq!(
        value(&ready, "STATUS"),
        Some("keeping tokens fresh; renewals scheduled: 1"),
        "{ready:?}"
    );
    daemon.wait_for("keeping tokens fresh in");

    let before = monotonic_usec();
    daemon.signal(libc::SIGHUP);
    let reloading = next_notification(&socket);
    let after = monotonic_usec();
    assert_eq!(value(&reloading, "RELOADING"), Some("1"), "{reloading:?}");
    let stamp: u64 = value(&reloading, "MONOTONIC_USEC")
        .expect("MONOTONIC_USEC with RELOADING=1")
        .parse()
        .unwrap();
    assert!(
        (before..=after).contains(&stamp),
        "{stamp} not between {before} and {after}"
    );
    let ready_again = next_notification(&socket);
    assert_eq!(value(&ready_again, "READY"), Some("1"), "{ready_again:?}");

    daemon.signal(libc::SIGTERM);
    let stopping = next_notification(&socket);
    assert_eq!(stopping, "STOPPING=1");
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
}

#[tokio::test]
async fn notify_socket_at_a_path_hears_ready_reloading_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    notifies_systemd_through(socket, path.to_str().unwrap()).await;
}

#[tokio::test]
async fn notify_socket_at_an_abstract_address_hears_them_too() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("flowvault-notify-test-{}", std::process::id());
    let address = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
    let socket = UnixDatagram::bind_addr(&address).unwrap();
    notifies_systemd_through(socket, &format!("@{name}")).await;
}

#[test]
fn a_vault_that_does_not_unlock_is_never_reported_ready() {
    let vault = TestVault::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    let wrong_key = dir.path().join("wrong.key");
    common::write_private(&wrong_key, vec![7u8; 32]);
    let mut cmd = daemon_cmd_with_key(
        &vault,
        &wrong_key,
        &[],
        &[("NOTIFY_SOCKET", path.to_str().unwrap())],
    );
    let out = cmd.stderr(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    socket.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    match socket.recv(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a notification from a daemon that never unlocked: {other:?}"),
    }
}

/// What to set `JOURNAL_STREAM` to, from the device and inode of stderr's file.
type JournalStream = fn(u64, u64) -> String;

fn the_same_file(device: u64, inode: u64) -> String {
    format!("{device}:{inode}")
}

fn another_file(device: u64, inode: u64) -> String {
    format!("{device}:{}", inode + 1)
}

/// The daemon's stderr written to a file, with `JOURNAL_STREAM` set to what
/// `journal_stream` makes of that file's device and inode (or unset).
async fn log_with_journal_stream(journal_stream: Option<JournalStream>) -> String {
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 3600).await;
    let vault = TestVault::new();
    add_auth0(&vault, "a", &server, "client-a");
    let log_path = vault.dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let meta = log_file.metadata().unwrap();
    let mut cmd = daemon_cmd(&vault, &[], &[]);
    if let Some(stream) = journal_stream {
        cmd.env("JOURNAL_STREAM", stream(meta.dev(), meta.ino()));
    }
    let mut child = cmd.stderr(log_file).spawn().unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !read(&log_path).contains("renewed “a”") {
        assert!(
            Instant::now() < deadline,
            "no renewal:\n{}",
            read(&log_path)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: kill with the pid of our own child and a valid signal.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    read(&log_path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Whether a line starts with an RFC 3339 time (`2026-12-02T12:30:00.123Z`).
fn stamped(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
}

#[tokio::test]
async fn under_journald_lines_carry_no_timestamp_and_otherwise_they_do() {
    let journal = log_with_journal_stream(Some(the_same_file)).await;
    let lines: Vec<&str> = journal.lines().collect();
    assert!(lines.len() >= 3, "{journal}");
    for line in &lines {
        assert!(!stamped(line), "a timestamp under journald: {line:?}");
        assert!(
            line.trim_start().starts_with("INFO") || line.trim_start().starts_with("WARN"),
            "each line still starts with its level: {line:?}"
        );
    }

    let terminal = log_with_journal_stream(None).await;
    assert!(terminal.lines().count() >= 3, "{terminal}");
    for line in terminal.lines() {
        assert!(stamped(line), "no timestamp without journald: {line:?}");
    }

    // JOURNAL_STREAM inherited, but stderr sent elsewhere (`2>>file` in a
    // unit): that file has no journald to stamp it, so the daemon does.
    let elsewhere = log_with_journal_stream(Some(another_file)).await;
    for line in elsewhere.lines() {
        assert!(stamped(line), "stderr is not the journal: {line:?}");
    }
}

/// Any character of a Japanese script (kana, CJK ideographs, full-width forms).
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
}

#[tokio::test]
async fn log_lines_are_english_under_french_and_japanese() {
    let server = MockServer::start().await;
    endpoint(&server, "client-ok", 3600).await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=client-refused"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "30"))
        .mount(&server)
        .await;
    for language in ["fr", "ja"] {
        // A vault each: the first run leaves tokens and backoffs behind.
        let vault = TestVault::new();
        add_auth0(&vault, "ok", &server, "client-ok");
        add_auth0(&vault, "down", &server, "client-refused");
        let cmd = match language {
            "fr" => daemon_cmd(&vault, &["--lang", "fr"], &[]),
            _ => daemon_cmd(&vault, &[], &[("LANG", "ja_JP.UTF-8")]),
        };
        let mut daemon = Running::spawn(cmd);
        daemon.wait_for("keeping tokens fresh in");
        daemon.wait_for("renewing “down” failed: HTTP 503; retrying in");
        daemon.signal(libc::SIGHUP);
        daemon.wait_for("configuration reloaded");
        let (status, log) = daemon.stop();
        assert!(status.success(), "{language}: exit {status:?}:\n{log}");
        assert!(
            log.contains("renewed “ok”: token expires in"),
            "{language}:\n{log}"
        );
        assert!(
            log.lines().last().unwrap().ends_with("stopped"),
            "{language}:\n{log}"
        );
        for french_word in ["jeton", "renouvellement", "arrêté", "rechargée", "échec"] {
            assert!(
                !log.contains(french_word),
                "{language}: {french_word:?} in\n{log}"
            );
        }
        assert!(
            !log.chars().any(is_japanese),
            "{language}: Japanese in\n{log}"
        );
    }

    // The interface itself stays French: an error of the command is.
    let vault = TestVault::new();
    let french = vault
        .cmd()
        .args(["--lang", "fr", "token", "nobody"])
        .output()
        .unwrap();
    let english = vault.cmd().args(["token", "nobody"]).output().unwrap();
    let (french, english) = (
        String::from_utf8_lossy(&french.stderr),
        String::from_utf8_lossy(&english.stderr),
    );
    assert!(french.starts_with("error: "), "{french}");
    assert_ne!(
        french, english,
        "the CLI's own messages are still translated"
    );
}

#[test]
fn the_sample_unit_passes_systemd_analyze_verify() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/systemd/flowvault.service");
    let text = read(&unit);
    // What the README promises of it.
    for line in [
        "Type=notify",
        "LoadCredential=vault-key:",
        "--key-file %d/vault-key",
        "RestartPreventExitStatus=3 4",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=flowvault",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(text.contains(line), "the unit lacks {line:?}");
    }
    let Ok(found) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: systemd-analyze is not installed here (apt-get install systemd)");
        return;
    };
    assert!(found.status.success());
    // verify checks that ExecStart's binary exists: point it at this build.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("flowvault.service");
    std::fs::write(&copy, text.replace("/usr/bin/flowvault", common::BIN)).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify:\n{stderr}");
    assert!(
        !stderr.contains("flowvault.service"),
        "warnings about the unit:\n{stderr}"
    );
}

#[tokio::test]
async fn a_reload_reads_the_config_file_again_and_opens_the_vault_it_names_now() {
    let server = MockServer::start().await;
    endpoint(&server, "client-a", 3600).await;
    endpoint(&server, "client-b", 3600).await;
    let first = TestVault::new();
    add_auth0(&first, "in-a", &server, "client-a");
    // A second vault unlocked by the same key file.
    let second = first.dir.path().join("second.db");
    let mut init = Command::new(common::BIN);
    common::isolate(&mut init);
    let out = init
        .arg("--vault")
        .arg(&second)
        .arg("--key-file")
        .arg(&first.key)
        .arg("init")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut add = Command::new(common::BIN);
    common::isolate(&mut add);
    let out = add
        .arg("--vault")
        .arg(&second)
        .arg("--key-file")
        .arg(&first.key)
        .args([
            "add",
            "auth0",
            "in-b",
            "--set",
            &format!("domain={}", server.uri()),
        ])
        .args(["--set", "client_id=client-b", "--secrets-stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"client_secret=s\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let config = first.dir.path().join("config.toml");
    let names = |path: &Path| format!("vault = {:?}\n", path.display().to_string());
    // flowvault ignores a config file others could write, whatever the umask.
    std::fs::write(&config, names(&first.path)).unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // No --vault: the config file names the vault.
    let mut cmd = Command::new(common::BIN);
    common::isolate(&mut cmd);
    cmd.env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .arg("--config")
        .arg(&config)
        .arg("--key-file")
        .arg(&first.key)
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut daemon = Running::spawn(cmd);
    daemon.wait_for("renewed “in-a”");

    // A vault that is not there: the log names the one tried, the daemon
    // keeps the one it has.
    let missing = first.dir.path().join("missing.db");
    std::fs::write(&config, names(&missing)).unwrap();
    daemon.signal(libc::SIGHUP);
    let failed = daemon.wait_for("could not reopen");
    assert!(failed.contains("missing.db"), "{failed}");

    std::fs::write(&config, format!("{}bogus = 1\n", names(&second))).unwrap();
    daemon.signal(libc::SIGHUP);
    let warning = daemon.wait_for("bogus");
    assert!(warning.contains("config.toml"), "{warning}");
    daemon.wait_for("second.db");
    daemon.wait_for("configuration reloaded");
    daemon.wait_for("renewed “in-b”");
    let (status, log) = daemon.stop();
    assert!(status.success(), "exit {status:?}:\n{log}");
}

#[test]
fn sigterm_while_the_vault_unlocks_ends_the_daemon_at_once() {
    // A passphrase: Argon2id takes a moment, the window for the signal.
    let vault = TestVault::with_passphrase("correct horse battery staple");
    let mut cmd = Command::new(common::BIN);
    common::isolate(&mut cmd)
        .env_remove("NOTIFY_SOCKET")
        .arg("--vault")
        .arg(&vault.path)
        .arg("--passphrase-file")
        .arg(&vault.key)
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut daemon = Running::spawn(cmd);
    let pid = daemon.child.id();
    let deadline = Instant::now() + PATIENCE;
    // SIGHUP is caught from the start; SIGTERM keeps its default action
    // until the vault is open, so `systemctl stop` never waits on a prompt.
    while !catches(pid, libc::SIGHUP) {
        assert!(daemon.is_running(), "ended before catching SIGHUP");
        assert!(Instant::now() < deadline, "SIGHUP never caught");
        std::thread::sleep(Duration::from_millis(1));
    }
    let unlocking = !catches(pid, libc::SIGTERM);
    let (status, log) = daemon.stop();
    if unlocking {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{log}");
        assert!(!log.contains("keeping tokens fresh"), "{log}");
    } else {
        // Unlocked already on a fast machine: a clean stop is right too.
        assert!(status.success(), "exit {status:?}:\n{log}");
    }
}
