//! The unlock agent as an operator meets it: real `flowvault` processes, a
//! real agent process and socket in a temporary folder, commands with no
//! terminal (as under cron), and a pseudo-terminal for the UI.
#![allow(unsafe_code)] // libc: sessions of child processes

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use flowvault::vault::{AuditLog, Credentials, VaultError, VaultStore};
use serde_json::Value;
use tempfile::TempDir;

use common::terminal::{self, Terminal};
use common::{BIN, TestVault, assert_error, assert_success, isolate, write_private};

const PASSPHRASE: &str = "correct horse battery staple";

/// A vault unlocked by a passphrase file, and an agent socket of its own.
struct Setup {
    vault: TestVault,
    /// Holds the agent's folder (`run/`).
    run: TempDir,
    socket: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let vault = TestVault::with_passphrase(PASSPHRASE);
        let run = TempDir::new().unwrap();
        let socket = run.path().join("agent").join("agent.sock");
        Setup { vault, run, socket }
    }

    /// The binary on this vault with no key option, no terminal and no
    /// standard input, as cron or a script would run it.
    fn bare(&self) -> Command {
        self.bare_on(&self.vault.path)
    }

    /// As [`Setup::bare`], on the vault file `vault`.
    fn bare_on(&self, vault: &Path) -> Command {
        let mut cmd = Command::new(BIN);
        isolate(&mut cmd)
            .env("FLOWVAULT_AGENT_SOCKET", &self.socket)
            .arg("--vault")
            .arg(vault)
            .stdin(Stdio::null());
        without_terminal(&mut cmd);
        cmd
    }

    /// `unlock` with the passphrase file (and the given extra arguments).
    fn unlock(&self, extra: &[&str]) -> Output {
        self.bare()
            .arg("--passphrase-file")
            .arg(&self.vault.key)
            .arg("unlock")
            .args(extra)
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.bare().args(args).output().unwrap()
    }

    /// Runs with `stdin` as standard input.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .bare()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// The agent process serving this setup's socket.
    fn agent_pids(&self) -> Vec<u32> {
        agent_pids(&self.socket)
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        // Never leave an agent behind, whatever the test did.
        let _ = self.run(&["lock"]);
    }
}

/// A new session has no controlling terminal, so a prompt cannot be shown.
fn without_terminal(cmd: &mut Command) {
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Every `agent-serve` process listening on `socket`, by its command line.
fn agent_pids(socket: &Path) -> Vec<u32> {
    let wanted = socket.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        });
        if !zombie && args.iter().any(|a| a == "agent-serve") && args.contains(&wanted) {
            pids.push(pid);
        }
    }
    pids
}

/// Waits up to `limit` for `done`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn audit_actions(setup: &Setup) -> Vec<(String, Option<String>)> {
    // With the key file, so the answer does not depend on the agent.
    let out = setup
        .vault
        .cmd()
        .args(["audit", "--json"])
        .output()
        .unwrap();
    assert_success(&out, "audit --json");
    let entries: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn one_unlock_then_ten_commands_without_a_key_or_a_prompt() {
    let setup = Setup::new();
    let out = setup.unlock(&[]);
    assert_success(&out, "unlock");
    assert!(stderr(&out).contains("flowvault lock"), "{}", stderr(&out));

    let secret = "sk-live-4f3a\u{e9}";
    let runs: Vec<(Vec<&str>, Option<String>)> = vec![
        (
            vec![
                "add",
                "http",
                "billing",
                "--method",
                "bearer",
                "--secrets-stdin",
            ],
            Some(format!("token={secret}\n")),
        ),
        (
            vec![
                "add",
                "http",
                "crm",
                "--method",
                "bearer",
                "--secrets-stdin",
            ],
            Some("token=t2\n".to_owned()),
        ),
        (vec!["list"], None),
        (vec!["show", "billing", "--reveal", "--json"], None),
        (
            vec!["edit", "crm", "--secrets-stdin"],
            Some("token=t3\n".to_owned()),
        ),
        (vec!["rename", "crm", "sales"], None),
        (vec!["flows", "add", "nightly"], None),
        (vec!["flows", "list", "--json"], None),
        (vec!["audit", "sales"], None),
        (vec!["verify"], None),
    ];
    let mut shown = None;
    for (args, stdin) in &runs {
        let out = match stdin {
            Some(text) => setup.run_with_stdin(args, text),
            None => setup.run(args),
        };
        assert_success(&out, &args.join(" "));
        assert!(
            !stderr(&out).to_lowercase().contains("passphrase"),
            "{args:?} asked: {}",
            stderr(&out)
        );
        if args[0] == "show" {
            shown = Some(out.stdout);
        }
    }
    let shown: Value = serde_json::from_slice(&shown.unwrap()).unwrap();
    assert_eq!(shown["fields"]["token"], secret, "{shown}");
    // What went through the agent is in the file, for any other way in.
    let names: Vec<String> = setup
        .vault
        .list_json()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["billing", "sales"]);
    let actions = audit_actions(&setup);
    assert_eq!(actions[0].0, "agent_unlocked", "{actions:?}");
    assert_eq!(actions[0].1.as_deref(), Some("idle timeout 15m"));
    assert_eq!(setup.agent_pids().len(), 1, "one agent");
}

#[test]
fn lock_forgets_the_key_at_once() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    assert_success(&setup.run(&["list"]), "list through the agent");
    let pid = setup.agent_pids()[0];

    let out = setup.run(&["lock"]);
    assert_success(&out, "lock");
    assert!(
        stderr(&out).contains("forgot every key"),
        "{}",
        stderr(&out)
    );
    assert!(!setup.socket.exists(), "the socket goes with the agent");
    assert!(
        eventually(Duration::from_secs(5), || !Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()
            || agent_pids(&setup.socket).is_empty()),
        "the agent ended"
    );
    let out = setup.run(&["list"]);
    let text = assert_error(&out, 3, "list after lock");
    assert!(text.contains("--key-file"), "{text}");

    let out = setup.run(&["lock"]);
    assert_success(&out, "lock with no agent");
    assert!(
        stderr(&out).contains("No agent was running"),
        "{}",
        stderr(&out)
    );
    let actions = audit_actions(&setup);
    assert_eq!(
        actions.last().unwrap(),
        &("agent_locked".to_owned(), Some("lock".to_owned()))
    );
}

#[test]
fn the_idle_timeout_forgets_the_key() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&["--timeout", "3s"]), "unlock --timeout 3s");
    assert_success(&setup.run(&["list"]), "list within the timeout");
    // Each request starts the count again: 2 s, then 2 s more, is 4 s after
    // the unlock and still within 3 s of the last request. (Wide margins: a
    // loaded machine can take a second to start a debug build.)
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    assert_success(&setup.run(&["list"]), "list 2 s later");
    std::thread::sleep(Duration::from_secs(2));
    assert_success(&setup.run(&["list"]), "list 2 s after that");
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "past the first deadline"
    );
    assert!(
        eventually(Duration::from_secs(6), || !setup.socket.exists()),
        "the socket is gone after the timeout"
    );
    assert!(eventually(Duration::from_secs(3), || setup
        .agent_pids()
        .is_empty()));
    assert_error(&setup.run(&["list"]), 3, "list after the timeout");
    let actions = audit_actions(&setup);
    assert_eq!(
        actions.last().unwrap(),
        &("agent_locked".to_owned(), Some("idle timeout".to_owned()))
    );
}

/// An open UI or daemon looks for changes every second or so; those looks
/// are no use of the key, so they do not keep the agent unlocked.
#[test]
fn looking_for_changes_does_not_hold_off_the_idle_timeout() {
    use flowvault::vault::ChangeFeed;
    let setup = Setup::new();
    assert_success(&setup.unlock(&["--timeout", "3s"]), "unlock --timeout 3s");
    let store = flowvault::vault::agent::open_at(&setup.socket, &setup.vault.path).unwrap();
    let mark = store.change_mark().unwrap();
    let started = Instant::now();
    let mut forgotten = false;
    while started.elapsed() < Duration::from_secs(12) {
        if store.changed_since(&mark).is_err() {
            forgotten = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        forgotten,
        "polled every 250 ms, the agent still held the key"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before its timeout"
    );
    assert_error(&setup.run(&["list"]), 3, "list after the timeout");
}

#[test]
fn a_bad_timeout_is_a_usage_error_and_starts_nothing() {
    let setup = Setup::new();
    for bad in ["soon", "0", "off", "-5m", "15x"] {
        let text = assert_error(&setup.unlock(&[&format!("--timeout={bad}")]), 2, bad);
        assert!(text.contains("30s"), "says what is accepted: {text}");
    }
    assert!(setup.agent_pids().is_empty());
}

#[test]
fn a_wrong_passphrase_exits_3_and_leaves_no_agent() {
    let setup = Setup::new();
    let wrong = setup.run.path().join("wrong");
    write_private(&wrong, "not the passphrase\n");
    let out = setup
        .bare()
        .arg("--passphrase-file")
        .arg(&wrong)
        .arg("unlock")
        .output()
        .unwrap();
    assert_error(&out, 3, "unlock with a wrong passphrase");
    assert!(
        eventually(Duration::from_secs(5), || setup.agent_pids().is_empty()
            && !setup.socket.exists()),
        "an agent that holds nothing does not stay: {:?}",
        setup.agent_pids()
    );
    assert_error(&setup.run(&["list"]), 3, "still locked");
}

#[test]
fn errors_cross_the_socket_with_their_exit_codes() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    let out = setup.run_with_stdin(
        &[
            "add",
            "http",
            "billing",
            "--method",
            "bearer",
            "--secrets-stdin",
        ],
        "token=abc\n",
    );
    assert_success(&out, "add");
    let text = assert_error(&setup.run(&["show", "missing"]), 5, "show missing");
    assert!(text.contains("missing"), "{text}");
    let out = setup.run_with_stdin(
        &[
            "add",
            "http",
            "billing",
            "--method",
            "bearer",
            "--secrets-stdin",
        ],
        "token=abc\n",
    );
    let text = assert_error(&out, 2, "a second billing");
    assert!(text.contains("already exists"), "{text}");
    assert_error(&setup.run(&["flows", "rm", "nope"]), 5, "flows rm nope");

    // Two handles through the agent, as two processes would have: the
    // second save of the same version is refused as a conflict.
    let mut first = flowvault::vault::agent::open_at(&setup.socket, &setup.vault.path).unwrap();
    let mut second = flowvault::vault::agent::open_at(&setup.socket, &setup.vault.path).unwrap();
    let mut a = first.connection("billing").unwrap();
    let mut b = second.connection("billing").unwrap();
    a.fields.set("token", "from-first");
    b.fields.set("token", "from-second");
    assert_eq!(first.update_connection(&a).unwrap(), 2);
    match second.update_connection(&b) {
        Err(VaultError::Conflict(name)) => assert_eq!(name, "billing"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        second.connection("billing").unwrap().fields.get("token"),
        Some("from-first")
    );
    let mut fields = Credentials::default();
    fields.set("token", "x");
    let dup = flowvault::vault::Connection::new("Billing", "http", "bearer", fields);
    assert!(matches!(
        first.add_connection(&dup),
        Err(VaultError::DuplicateName(_))
    ));
    // The audit trail reads through the agent as through the file.
    assert!(
        first
            .audit_entries(&Default::default())
            .unwrap()
            .iter()
            .any(|e| e.event.detail.as_deref() == Some("token"))
    );
}

#[test]
fn operations_on_the_key_itself_still_ask_for_it() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    for args in [&["rekey"][..], &["passwd"], &["verify", "--accept"]] {
        let out = setup.run(args);
        let text = assert_error(&out, 3, &args.join(" "));
        assert!(text.contains("never hands out"), "{text}");
        assert!(text.contains("--key-file"), "says what to do: {text}");
    }
    // And the agent still serves everything else.
    assert_success(&setup.run(&["list"]), "list");
}

#[test]
fn the_socket_and_its_folder_are_private() {
    let setup = Setup::new();
    let xdg = setup.run.path().join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
    let unlock = |runtime: &Path| {
        let mut cmd = setup.bare();
        cmd.env_remove("FLOWVAULT_AGENT_SOCKET")
            .env("XDG_RUNTIME_DIR", runtime)
            .arg("--passphrase-file")
            .arg(&setup.vault.key)
            .arg("unlock");
        cmd.output().unwrap()
    };
    assert_success(&unlock(&xdg), "unlock under XDG_RUNTIME_DIR");
    let folder = xdg.join("flowvault");
    let socket = folder.join("agent.sock");
    let folder_meta = std::fs::symlink_metadata(&folder).unwrap();
    assert!(folder_meta.is_dir());
    assert_eq!(folder_meta.permissions().mode() & 0o777, 0o700);
    let socket_meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(socket_meta.file_type().is_socket());
    assert_eq!(socket_meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(socket_meta.uid(), flowvault::platform::current_uid());
    let pid = agent_pids(&socket)[0];
    // No core file could ever hold the key.
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
    assert_eq!(core.split_whitespace().nth(5), Some("0"), "{core}");
    let mut lock = setup.bare();
    lock.env_remove("FLOWVAULT_AGENT_SOCKET")
        .env("XDG_RUNTIME_DIR", &xdg)
        .arg("lock");
    assert_success(&lock.output().unwrap(), "lock");

    // A folder others can enter is refused, not used.
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = unlock(&xdg);
    let text = assert_error(&out, 1, "unlock with an open folder");
    assert!(text.contains("755"), "{text}");
    assert!(agent_pids(&socket).is_empty());
}

#[test]
fn a_stale_socket_is_replaced_and_racing_unlocks_start_one_agent() {
    let setup = Setup::new();
    std::fs::create_dir(setup.socket.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        setup.socket.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    // What a killed agent leaves: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&setup.socket).unwrap());
    assert!(setup.socket.exists());

    let racers: Vec<_> = (0..3)
        .map(|_| {
            setup
                .bare()
                .arg("--passphrase-file")
                .arg(&setup.vault.key)
                .arg("unlock")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for racer in racers {
        let out = racer.wait_with_output().unwrap();
        assert_success(&out, "a racing unlock");
    }
    assert_eq!(setup.agent_pids().len(), 1, "one agent for three unlocks");
    assert_success(&setup.run(&["list"]), "list through the one agent");
}

/// A peer of another user is closed on without an answer. The socket's
/// folder (0700) and mode (0600) already keep other users out; to reach the
/// credential check behind them, the test opens both up, then connects as
/// `nobody` (uid 65534) from a Python child. Needs root to switch users;
/// as another user the test says so and checks only what it can.
#[test]
fn a_peer_of_another_uid_is_refused() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    // One frame: an `Open` of the vault, as a client would send first.
    let request = serde_json::to_vec(&serde_json::json!({
        "Open": { "path": std::fs::canonicalize(&setup.vault.path).unwrap() }
    }))
    .unwrap();
    let script = r#"
import socket
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect("SOCKET")
body = bytes.fromhex("HEX")
try:
    s.sendall(len(body).to_bytes(4, "big") + body)
except OSError:
    pass
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
        if len(got) > 4 and len(got) >= 4 + int.from_bytes(got[:4], "big"):
            break
except OSError:
    pass
print(len(got))
"#
    .replace("SOCKET", &setup.socket.to_string_lossy())
    .replace(
        "HEX",
        &request
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    let python = |uid: Option<u32>| {
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg("-c").arg(&script);
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        let out = cmd.output().unwrap();
        assert_success(&out, "the python client");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    // The same client as this user gets an answer: the script works.
    assert!(python(None) > 4, "our own uid is answered");
    if flowvault::platform::current_uid() != 0 {
        eprintln!(
            "not root: cannot connect as another user here; the folder and socket modes are tested elsewhere"
        );
        return;
    }
    for path in [setup.run.path(), setup.socket.parent().unwrap()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&setup.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(python(Some(65534)), 0, "another uid gets no byte back");
    // And the agent goes on serving its own user.
    assert_success(&setup.run(&["list"]), "list after the refused peer");
}

/// The agent is not dumpable: for such a process the kernel makes its
/// /proc files root's, so a process of the same user can neither read its
/// memory nor attach a debugger. Seen from root only if the agent runs as
/// another user: the test starts one as `nobody` and checks who owns its
/// /proc/PID/mem and environ (they would be nobody's if it were dumpable).
#[test]
fn the_agent_cannot_be_dumped_or_read_by_its_own_user() {
    if flowvault::platform::current_uid() != 0 {
        eprintln!("not root: cannot start an agent as another user to look at it from outside");
        return;
    }
    let run = TempDir::new().unwrap();
    std::fs::set_permissions(run.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = run.path().join("agent");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&folder, Some(65534), Some(65534)).unwrap();
    let socket = folder.join("agent.sock");
    let mut agent = Command::new(BIN);
    isolate(&mut agent)
        .args(["agent-serve", "--timeout-secs", "30", "--socket"])
        .arg(&socket)
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = agent.spawn().unwrap();
    assert!(
        eventually(Duration::from_secs(10), || socket.exists()),
        "the agent listens"
    );
    let pid = child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(uid_line.contains("65534"), "it runs as nobody: {uid_line}");
    for file in ["mem", "environ"] {
        let owner = std::fs::metadata(format!("/proc/{pid}/{file}"))
            .unwrap()
            .uid();
        assert_eq!(
            owner, 0,
            "/proc/{pid}/{file} is root's: the agent is not dumpable"
        );
    }
    // Its own user cannot read its memory.
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(format!("open('/proc/{pid}/environ','rb').read()"))
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(!out.status.success(), "nobody read the agent's environ");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    let _ = child.kill();
    let _ = child.wait();
    let mut buf = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut buf));
}

/// The UI on a vault the agent holds starts on the list, with no unlock screen.
/// Reads what `terminal` draws into `parser` until its screen satisfies
/// `wanted` (30 s at most); the screen as it is then.
fn screen_until(
    terminal: &Terminal,
    parser: &mut vt100::Parser,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let end = Instant::now() + Duration::from_secs(30);
    let mut screen = parser.screen().contents();
    while Instant::now() < end && !wanted(&screen) {
        if let Some(chunk) = terminal.read(Duration::from_millis(200)) {
            parser.process(&chunk);
            screen = parser.screen().contents();
        }
    }
    screen
}

#[test]
fn the_ui_opens_without_asking_when_the_agent_holds_the_vault_and_locks_with_it() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    let out = setup.run_with_stdin(
        &[
            "add",
            "http",
            "billing-api",
            "--method",
            "bearer",
            "--secrets-stdin",
        ],
        "token=abc\n",
    );
    assert_success(&out, "add");
    let mut cmd = terminal::flowvault();
    cmd.env("TERM", "xterm-256color");
    // A short auto-lock, from a config file as an operator would set it.
    let config = setup.run.path().join("config");
    std::fs::create_dir_all(config.join("flowvault")).unwrap();
    let config_file = config.join("flowvault").join("config.toml");
    std::fs::write(&config_file, "[timeouts]\nauto_lock = \"4s\"\n").unwrap();
    std::fs::set_permissions(&config_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    cmd.env("XDG_CONFIG_HOME", &config);
    cmd.env("FLOWVAULT_LOG_DIR", setup.run.path().join("log"));
    cmd.env("FLOWVAULT_AGENT_SOCKET", &setup.socket);
    cmd.arg("--vault");
    cmd.arg(&setup.vault.path);
    let mut terminal = Terminal::spawn(cmd, 100);
    let mut parser = vt100::Parser::new(24.try_into().unwrap(), 100.try_into().unwrap(), 0);
    let screen = screen_until(&terminal, &mut parser, |s| s.contains("billing-api"));
    assert!(
        screen.contains("billing-api"),
        "the list shows at once:\n{screen}"
    );
    assert!(
        !screen.to_lowercase().contains("passphrase"),
        "no unlock screen:\n{screen}"
    );
    // `flowvault lock` elsewhere: the UI notices within its next look at
    // the vault, forgets the list and asks for the passphrase, which opens
    // the vault directly, not through the (gone) agent.
    assert_success(&setup.run(&["lock"]), "lock the agent");
    let screen = screen_until(&terminal, &mut parser, |s| s.contains("forgot the key"));
    assert!(
        screen.contains("The unlock agent forgot the key"),
        "locked with the agent:\n{screen}"
    );
    assert!(
        !screen.contains("billing-api"),
        "the list is gone:\n{screen}"
    );
    terminal.type_keys(&format!("{PASSPHRASE}\r"));
    let screen = screen_until(&terminal, &mut parser, |s| s.contains("billing-api"));
    assert!(
        screen.contains("billing-api"),
        "the passphrase opens it again:\n{screen}"
    );
    // Idle past the auto-lock: a vault a passphrase opens locks in the UI.
    let screen = screen_until(&terminal, &mut parser, |s| s.contains("Locked after"));
    assert!(
        screen.contains("Locked after 4s"),
        "locked when idle:\n{screen}"
    );
    assert!(
        !screen.contains("billing-api"),
        "the list is gone:\n{screen}"
    );
    // Esc quits from the unlock screen.
    terminal.type_keys("\x1b");
    let _ = eventually(Duration::from_secs(10), || terminal.ended());
    let _ = terminal.child.kill();
}

/// The daemon opens the vault through the agent and renews tokens; once the
/// agent is locked its vault requests fail, which it logs, and it runs on,
/// to renew again once the vault is unlocked again.
#[tokio::test]
async fn the_daemon_renews_through_the_agent_and_outlives_a_lock() {
    use std::io::BufRead;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "CANARY-TOKEN-77aa",
            "expires_in": 2,
        })))
        .mount(&server)
        .await;
    let setup = Setup::new();
    setup.vault.add(
        "auth0",
        "mgmt",
        None,
        &[("domain", &server.uri()), ("client_id", "c1")],
        &[("client_secret", "CANARY-SECRET-77aa")],
    );
    assert_success(&setup.unlock(&[]), "unlock");
    let mut daemon = setup
        .bare()
        .env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .env_remove("FLOWVAULT_LOG")
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = daemon.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let wait_for = |needle: &str, log: &mut Vec<String>| {
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                let found = line.contains(needle);
                log.push(line);
                if found {
                    return;
                }
            }
        }
        panic!("no {needle:?} in the daemon's log:\n{}", log.join("\n"));
    };
    wait_for("renewed “mgmt”", &mut log);
    assert_success(&setup.run(&["lock"]), "lock");
    wait_for("unlock agent", &mut log);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon ended after the lock:\n{}",
        log.join("\n")
    );
    // Unlocked again, the daemon renews through the new agent, unrestarted.
    assert_success(&setup.unlock(&[]), "unlock again");
    wait_for("renewed “mgmt”", &mut log);
    // SAFETY: kill with the pid of our own child and a valid signal.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let status = daemon.wait().unwrap();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(status.success(), "{status:?}:\n{log}");
    assert!(!log.contains("CANARY"), "a secret in the log:\n{log}");
}

/// Hostile bytes on the socket get one clear answer and a closed
/// connection; the agent goes on serving.
#[test]
fn hostile_frames_are_answered_and_closed_and_the_agent_goes_on() {
    use std::os::unix::net::UnixStream;
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    let answer = |bytes: &[u8]| {
        let mut stream = UnixStream::connect(&setup.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(bytes).unwrap();
        // The agent closes with the rest of the bytes unread, which a Unix
        // socket reports as a reset once its answer has been read.
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got
    };
    let mut oversized = (u32::MAX).to_be_bytes().to_vec();
    oversized.extend_from_slice(b"{}");
    let mut garbage = 9u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(b"not json!");
    for (what, bytes) in [("oversized", oversized), ("garbage", garbage)] {
        let got = answer(&bytes);
        assert!(got.len() > 4, "{what}: an answer");
        let reply: Value = serde_json::from_slice(&got[4..]).unwrap();
        assert!(reply["Failed"]["Other"].is_string(), "{what}: {reply}");
    }
    // A store call before any `Open` is refused, not served.
    let body = serde_json::to_vec(&serde_json::json!("Connections")).unwrap();
    let mut frame = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    let mut stream = UnixStream::connect(&setup.socket).unwrap();
    stream.write_all(&frame).unwrap();
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut reply).unwrap();
    let reply: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(reply, serde_json::json!({"Failed": "NotHeld"}));
    assert_success(&setup.run(&["list"]), "list after the hostile peers");
}

/// Two vault files unlocked at once: each command reaches its own.
#[test]
fn two_vaults_are_held_at_once() {
    let setup = Setup::new();
    let other = TestVault::with_passphrase("another passphrase 42");
    assert_success(&setup.unlock(&[]), "unlock the first");
    let out = setup
        .bare_on(&other.path)
        .arg("--passphrase-file")
        .arg(&other.key)
        .args(["unlock", "--timeout", "10m"])
        .output()
        .unwrap();
    assert_success(&out, "unlock the second");
    assert_eq!(setup.agent_pids().len(), 1, "one agent holds both");
    let add = |vault: &Path, name: &str| {
        let mut child = setup
            .bare_on(vault)
            .args(["add", "http", name, "--method", "bearer", "--secrets-stdin"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"token=t\n").unwrap();
        assert_success(&child.wait_with_output().unwrap(), name);
    };
    add(&setup.vault.path, "in-first");
    add(&other.path, "in-second");
    let names = |vault: &TestVault| -> Vec<String> {
        vault
            .list_json()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&setup.vault), ["in-first"]);
    assert_eq!(names(&other), ["in-second"]);
}

/// `unlock` at a terminal: the passphrase typed at the prompt, a mistyped
/// one asked for again (the agent started for the first try waits for the
/// second), then commands with no prompt.
#[test]
fn unlock_asks_at_the_terminal_and_a_mistyped_passphrase_is_asked_again() {
    let setup = Setup::new();
    let mut cmd = terminal::flowvault();
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/flowvault-tests");
    cmd.env("FLOWVAULT_AGENT_SOCKET", &setup.socket);
    cmd.args(["--vault"]);
    cmd.arg(&setup.vault.path);
    cmd.args(["unlock", "--timeout", "5m"]);
    let mut terminal = Terminal::spawn(cmd, 200);
    let mut seen = String::new();
    terminal.wait_for("Passphrase for", &mut seen);
    terminal.type_keys("not it\r");
    terminal.wait_for("try again (2 left)", &mut seen);
    terminal.type_keys(&format!("{PASSPHRASE}\r"));
    terminal.wait_for("flowvault lock", &mut seen);
    assert!(
        eventually(Duration::from_secs(10), || terminal.ended()),
        "unlock ended"
    );
    assert!(terminal.child.wait().unwrap().success(), "{seen}");
    assert!(!seen.contains(PASSPHRASE), "the passphrase was echoed");
    assert_eq!(setup.agent_pids().len(), 1);
    assert_success(&setup.run(&["list"]), "list with no prompt");
}

/// A listener another user planted where the agent's socket should be (the
/// /tmp fallback is shared) never receives a passphrase: the client checks
/// who answers (SO_PEERCRED) before it sends anything, and `unlock` refuses
/// a folder that is not the user's own.
#[test]
fn a_socket_planted_by_another_user_gets_no_passphrase() {
    if flowvault::platform::current_uid() != 0 {
        eprintln!("not root: cannot run a listener as another user here");
        return;
    }
    let setup = Setup::new();
    std::fs::set_permissions(setup.run.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The other user's own folder, where ours should have been.
    let folder = setup.socket.parent().unwrap();
    std::fs::create_dir(folder).unwrap();
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(folder, Some(65534), Some(65534)).unwrap();
    let script = r#"
import os, socket
s = socket.socket(socket.AF_UNIX)
s.bind("SOCKET")
os.chmod("SOCKET", 0o777)
s.listen(8)
s.settimeout(8)
got = 0
try:
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
        except OSError:
            pass
except OSError:
    pass
print(got)
"#
    .replace("SOCKET", &setup.socket.to_string_lossy());
    let planted = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(&script)
        .uid(65534)
        .gid(65534)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(eventually(Duration::from_secs(10), || setup
        .socket
        .exists()));
    let out = setup.unlock(&[]);
    let text = assert_error(&out, 1, "unlock with a planted socket");
    assert!(text.contains("another user"), "{text}");
    assert_error(
        &setup.run(&["list"]),
        3,
        "list does not use the planted socket",
    );
    let out = planted.wait_with_output().unwrap();
    let received = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(received, "0", "the planted listener received bytes");
}

#[test]
fn export_and_import_work_through_the_agent() {
    let setup = Setup::new();
    assert_success(&setup.unlock(&[]), "unlock");
    for name in ["billing", "mail"] {
        let out = setup.run_with_stdin(
            &["add", "http", name, "--method", "bearer", "--secrets-stdin"],
            &format!("token={name}-secret\n"),
        );
        assert_success(&out, "add");
    }
    let files = TempDir::new().unwrap();
    let pass = files.path().join("export-pass");
    std::fs::write(&pass, "export passphrase\n").unwrap();
    std::fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let export = files.path().join("all.age");
    let out = setup.run(&[
        "export",
        export.to_str().unwrap(),
        "--age-passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert_success(&out, "export through the agent");

    for name in ["billing", "mail"] {
        assert_success(&setup.run(&["rm", name, "--yes"]), "rm");
    }
    let out = setup.run(&[
        "import",
        export.to_str().unwrap(),
        "--age-passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert_success(&out, "import through the agent");
    for name in ["billing", "mail"] {
        let out = setup.run(&["get", name, "token"]);
        assert_success(&out, "get");
        assert_eq!(out.stdout, format!("{name}-secret").as_bytes());
    }
}
