//! `exec` and `get` against a token endpoint the test starts on 127.0.0.1:
//! what the program sees, what `ps` could see, exit codes, and `get --clip`
//! in a pseudo-terminal.
#![allow(unsafe_code)] // libc: signals to flowvault, and a process without a terminal

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::terminal::{self, Terminal};
use common::{BIN, TestVault, assert_error, assert_success, write_private};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cret-client-value";

fn token_body(token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }))
}

/// A token endpoint that hands out `token`, and an Auth0 connection "m" on it.
async fn vault_with_token_server(token: &str) -> (TestVault, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_body(token, 86_400))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, &server);
    (vault, server)
}

fn add_auth0(vault: &TestVault, server: &MockServer) {
    vault.add(
        "auth0",
        "m",
        None,
        &[("domain", &server.uri()), ("client_id", "client-abc")],
        &[("client_secret", SECRET)],
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `/proc/PID/cmdline` with its NULs as spaces.
fn cmdline_text(raw: &str) -> String {
    raw.replace('\0', " ")
}

#[tokio::test]
async fn the_program_sees_the_secret_and_the_token_and_no_argv_holds_them() {
    let (vault, _server) = vault_with_token_server("tok-from-server").await;
    let dir = vault.dir.path();
    // The script reads its own and its parent's (flowvault's) command line
    // while flowvault waits for it.
    let script = "printf %s \"$SECRET\" > secret; printf %s \"$TOKEN\" > token; \
                  cat /proc/$$/cmdline > child_cmdline; cat /proc/$PPID/cmdline > parent_cmdline";
    let out = vault
        .cmd()
        .current_dir(dir)
        // Already in the environment: resolved as `op run` does.
        .env("TOKEN", "flowvault://m/token")
        .args(["exec", "--env", "SECRET=flowvault://m/client_secret", "--"])
        .args(["sh", "-c", script])
        .output()
        .unwrap();
    assert_success(&out, "exec");
    assert_eq!(read(&dir.join("secret")), SECRET);
    assert_eq!(read(&dir.join("token")), "tok-from-server");
    let child = cmdline_text(&read(&dir.join("child_cmdline")));
    let parent = cmdline_text(&read(&dir.join("parent_cmdline")));
    assert!(child.starts_with("sh -c printf"), "{child}");
    assert!(
        parent.contains(" exec --env SECRET=flowvault://m/client_secret"),
        "{parent}"
    );
    for cmdline in [&child, &parent] {
        assert!(!cmdline.contains(SECRET), "{cmdline}");
        assert!(!cmdline.contains("tok-from-server"), "{cmdline}");
    }
    // Nothing of the values on flowvault's own output either.
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !printed.contains(SECRET) && !printed.contains("tok-from-server"),
        "{printed}"
    );
    // One audit entry for the connection, naming fields and program only.
    let audit = vault.cmd().args(["audit", "m", "--json"]).output().unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(audit.contains("\"exec_env\""), "{audit}");
    assert!(
        audit.contains("token, client_secret (sh)") || audit.contains("client_secret, token (sh)"),
        "{audit}"
    );
    assert!(!audit.contains(SECRET), "{audit}");
}

#[tokio::test]
async fn the_programs_exit_status_is_flowvaults() {
    let (vault, _server) = vault_with_token_server("t").await;
    for code in [0, 3, 42] {
        let out = vault
            .cmd()
            .args(["exec", "--env", "T=flowvault://m/token", "--"])
            .args(["sh", "-c", &format!("exit {code}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "exit {code}: {out:?}");
        assert!(out.stderr.is_empty(), "{out:?}");
    }
    // Killed by a signal: 128 + N, as shells report it.
    for (signal, code) in [("TERM", 143), ("KILL", 137)] {
        let out = vault
            .cmd()
            .args(["exec", "--", "sh", "-c", &format!("kill -{signal} $$")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {out:?}");
    }
}

/// `--env` arguments, a variable already in the environment, what the error says.
type MissingCase = (
    &'static [&'static str],
    Option<(&'static str, &'static str)>,
    &'static str,
);

#[tokio::test]
async fn a_missing_reference_stops_everything_before_the_program_starts() {
    let (vault, _server) = vault_with_token_server("t").await;
    let ran = vault.dir.path().join("ran");
    let touch = format!("touch {}", ran.display());
    let cases: [MissingCase; 3] = [
        (
            &["--env", "A=flowvault://m/no_such_field"],
            None,
            "A=flowvault://m/no_such_field",
        ),
        (
            &["--env", "A=flowvault://nobody/token"],
            None,
            "no connection named “nobody”",
        ),
        (
            &[],
            Some(("FROM_ENV", "flowvault://m/nope")),
            "FROM_ENV=flowvault://m/nope",
        ),
    ];
    for (args, env, says) in cases {
        let mut cmd = vault.cmd();
        cmd.arg("exec")
            .args(["--env", "OK=flowvault://m/client_secret"])
            .args(args);
        if let Some((var, value)) = env {
            cmd.env(var, value);
        }
        let out = cmd.args(["--", "sh", "-c", &touch]).output().unwrap();
        let stderr = assert_error(&out, 5, &format!("exec {args:?} {env:?}"));
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("nothing was run"), "{stderr}");
        assert!(!stderr.contains(SECRET), "{stderr}");
        assert!(!ran.exists(), "the program ran for {args:?} {env:?}");
    }
    // The fields that exist are named, never their values.
    let out = vault
        .cmd()
        .args(["exec", "--env", "A=flowvault://m/nope", "--", "true"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 5, "unknown field");
    assert!(
        stderr.contains("client_secret") && stderr.contains("token"),
        "{stderr}"
    );
    // A malformed reference is a usage error, and a non-reference is not echoed.
    let out = vault
        .cmd()
        .args([
            "exec",
            "--env",
            "A=flowvault://m/a/b",
            "--",
            "sh",
            "-c",
            &touch,
        ])
        .output()
        .unwrap();
    assert!(assert_error(&out, 2, "malformed").contains("%2F"));
    let out = vault
        .cmd()
        .args(["exec", "--env", "A=sk_live_oops", "--", "sh", "-c", &touch])
        .output()
        .unwrap();
    assert!(!assert_error(&out, 2, "not a reference").contains("sk_live_oops"));
    assert!(!ran.exists());
}

#[test]
fn a_program_that_cannot_start_gives_127_or_126() {
    let vault = TestVault::new();
    let out = vault
        .cmd()
        .args(["exec", "--", "no-such-program-anywhere"])
        .output()
        .unwrap();
    assert!(assert_error(&out, 127, "not found").contains("command not found"));
    let script = vault.dir.path().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let out = vault
        .cmd()
        .arg("exec")
        .arg("--")
        .arg(&script)
        .output()
        .unwrap();
    assert!(assert_error(&out, 126, "not executable").contains("cannot run"));
}

#[tokio::test]
async fn a_token_expiring_within_a_minute_is_renewed_before_the_program_starts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_body("tok-short", 30))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_body("tok-renewed", 3600))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, &server);
    // Stored with 30 s to live: still fresh for `get` by the renewal schedule.
    let first = vault.cmd().args(["get", "m", "token"]).output().unwrap();
    assert_success(&first, "get token");
    assert_eq!(first.stdout, b"tok-short");
    assert_eq!(
        vault
            .cmd()
            .args(["get", "m", "token"])
            .output()
            .unwrap()
            .stdout,
        b"tok-short"
    );

    let out = vault
        .cmd()
        .env("TOKEN", "flowvault://m/token")
        .args(["exec", "--", "sh", "-c", "printf %s \"$TOKEN\""])
        .output()
        .unwrap();
    assert_success(&out, "exec");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tok-renewed");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[test]
fn a_term_sent_to_flowvault_reaches_the_program_which_gets_to_handle_it() {
    let vault = TestVault::new();
    let dir = vault.dir.path();
    let script = "trap 'echo handled > handled; exit 7' TERM; echo ready > ready; \
                  while :; do sleep 0.1; done";
    let mut cmd = std::process::Command::new(BIN);
    common::isolate(&mut cmd);
    cmd.current_dir(dir)
        .arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key)
        .args(["exec", "--", "sh", "-c", script]);
    let mut flowvault = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join("ready").exists() {
        assert!(Instant::now() < deadline, "the program never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = libc::pid_t::try_from(flowvault.id()).unwrap();
    // SAFETY: signals our own child process, which has not been reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = flowvault.wait().unwrap();
    assert_eq!(status.code(), Some(7), "{status:?}");
    assert_eq!(read(&dir.join("handled")).trim(), "handled");
}

#[tokio::test]
async fn get_prints_one_value_raw_and_names_what_is_missing() {
    let (vault, _server) = vault_with_token_server("tok-from-server").await;
    let out = vault
        .cmd()
        .args(["get", "m", "client_secret"])
        .output()
        .unwrap();
    assert_success(&out, "get field");
    assert_eq!(
        out.stdout,
        SECRET.as_bytes(),
        "raw, no newline through a pipe"
    );
    let out = vault
        .cmd()
        .args(["get", "flowvault://m/token"])
        .output()
        .unwrap();
    assert_success(&out, "get token");
    assert_eq!(out.stdout, b"tok-from-server");
    // A field left to its default gives the value in use.
    let out = vault.cmd().args(["get", "m", "audience"]).output().unwrap();
    assert_success(&out, "get a defaulted field");
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("/api/v2/"),
        "{out:?}"
    );

    let out = vault
        .cmd()
        .args(["get", "nobody", "token"])
        .output()
        .unwrap();
    assert_error(&out, 5, "unknown connection");
    let out = vault.cmd().args(["get", "m", "password"]).output().unwrap();
    let stderr = assert_error(&out, 5, "unknown field");
    assert!(stderr.contains("client_id, client_secret"), "{stderr}");
    assert!(
        !stderr.contains(SECRET) && !stderr.contains("client-abc"),
        "{stderr}"
    );

    vault.add(
        "http",
        "oauth",
        Some("oauth2"),
        &[
            ("token_url", "http://127.0.0.1:9/token"),
            ("client_id", "id"),
        ],
        &[("client_secret", "x")],
    );
    let out = vault
        .cmd()
        .args(["get", "oauth", "scope"])
        .output()
        .unwrap();
    assert!(assert_error(&out, 5, "empty optional field").contains("has no value"));
    let out = vault.cmd().args(["get", "flowvault://m"]).output().unwrap();
    assert_error(&out, 2, "no field in the reference");

    let audit = vault.cmd().args(["audit", "m", "--json"]).output().unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(audit.contains("\"secret_printed\""), "{audit}");
    assert!(audit.contains("\"token_printed\""), "{audit}");
}

#[test]
fn get_clip_without_a_terminal_is_a_clear_error() {
    let vault = TestVault::new();
    vault.add("http", "api", Some("bearer"), &[], &[("token", "tok")]);
    let mut cmd = std::process::Command::new(BIN);
    common::isolate(&mut cmd);
    cmd.arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key);
    // SAFETY: setsid in the child before exec: a new session has no terminal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd
        .args(["get", "api", "token", "--clip"])
        .output()
        .unwrap();
    assert!(assert_error(&out, 1, "no terminal").contains("no terminal"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tok"));
}

/// A shell command line in a pseudo-terminal; returns what the terminal
/// received within `wait`, and how long the shell took to end.
fn in_terminal(shell_line: &str, wait: Duration) -> (String, Duration) {
    let mut cmd = terminal::isolated("sh");
    cmd.args(["-c", shell_line]);
    let started = Instant::now();
    let mut terminal = Terminal::spawn(cmd, 200);
    let mut seen = Vec::new();
    let mut ended = None;
    let deadline = started + wait;
    while Instant::now() < deadline {
        if let Some(chunk) = terminal.read(Duration::from_millis(50)) {
            seen.extend(chunk);
        }
        if ended.is_none() && terminal.ended() {
            ended = Some(started.elapsed());
        }
    }
    (
        String::from_utf8_lossy(&seen).into_owned(),
        ended.expect("the shell ended"),
    )
}

fn clip_vault(clear_after: &str) -> (TestVault, std::path::PathBuf) {
    let vault = TestVault::new();
    vault.add(
        "http",
        "api",
        Some("bearer"),
        &[],
        &[("token", "first-value")],
    );
    vault.add(
        "http",
        "other",
        Some("bearer"),
        &[],
        &[("token", "second-value")],
    );
    let config = vault.dir.path().join("config.toml");
    write_private(
        &config,
        format!("[timeouts]\nclipboard_clear = \"{clear_after}\"\n"),
    );
    (vault, config)
}

fn flowvault_line(vault: &TestVault, config: &Path, args: &str) -> String {
    format!(
        "{BIN} --config {} --vault {} --key-file {} {args}",
        config.display(),
        vault.path.display(),
        vault.key.display()
    )
}

const CLEAR: &str = "\x1b]52;c;\x07";

fn osc52(value: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(value)
    )
}

#[test]
fn get_clip_copies_by_osc52_returns_at_once_and_clears_later() {
    let (vault, config) = clip_vault("1s");
    let line = flowvault_line(&vault, &config, "get api token --clip");
    let (screen, ended) = in_terminal(&line, Duration::from_secs(4));
    let copied = screen
        .find(&osc52("first-value"))
        .unwrap_or_else(|| panic!("{screen:?}"));
    let cleared = screen
        .find(CLEAR)
        .unwrap_or_else(|| panic!("no clear: {screen:?}"));
    assert!(copied < cleared, "{screen:?}");
    assert!(screen.contains("copied; clears in 1s"), "{screen:?}");
    assert!(
        !screen.contains("first-value"),
        "the value only base64-encoded: {screen:?}"
    );
    assert_eq!(screen.matches(CLEAR).count(), 1, "{screen:?}");
    assert!(
        ended < Duration::from_secs(1),
        "get waited for the clear: {ended:?}"
    );
}

#[test]
fn a_newer_copy_cancels_the_older_clear() {
    let (vault, config) = clip_vault("3s");
    let line = format!(
        "{}; sleep 1; {}; sleep 5",
        flowvault_line(&vault, &config, "get api token --clip"),
        flowvault_line(&vault, &config, "get other token --clip"),
    );
    let (screen, _) = in_terminal(&line, Duration::from_secs(9));
    let first = screen
        .find(&osc52("first-value"))
        .unwrap_or_else(|| panic!("{screen:?}"));
    let second = screen
        .find(&osc52("second-value"))
        .unwrap_or_else(|| panic!("{screen:?}"));
    assert!(first < second, "{screen:?}");
    // Only the second copy's clear: the first one's would have come at 3 s,
    // between them on the screen, and would have wiped the second value.
    assert_eq!(screen.matches(CLEAR).count(), 1, "{screen:?}");
    assert!(screen.rfind(CLEAR).unwrap() > second, "{screen:?}");
}

#[test]
fn get_on_a_terminal_ends_the_value_with_a_newline_and_escapes_controls() {
    let (vault, config) = clip_vault("off");
    vault.add(
        "http",
        "odd",
        Some("bearer"),
        &[],
        &[("token", "a\u{1b}[2Jb")],
    );
    let line = format!(
        "{}; {}",
        flowvault_line(&vault, &config, "get api token"),
        flowvault_line(&vault, &config, "get odd token"),
    );
    let (screen, _) = in_terminal(&line, Duration::from_secs(3));
    assert!(screen.contains("first-value\r\n"), "{screen:?}");
    assert!(
        !screen.contains('\u{1b}'),
        "escaped on a terminal: {screen:?}"
    );
    assert!(screen.contains(r"a\x1b[2Jb"), "{screen:?}");
}

#[test]
fn get_clip_refuses_a_marker_folder_others_may_enter_and_copies_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let (vault, config) = clip_vault("1s");
    let runtime = vault.dir.path().join("runtime");
    std::fs::create_dir_all(runtime.join("flowvault")).unwrap();
    std::fs::set_permissions(
        runtime.join("flowvault"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let line = format!(
        "XDG_RUNTIME_DIR={} {}; echo \"exit=$?\"",
        runtime.display(),
        flowvault_line(&vault, &config, "get api token --clip")
    );
    let (screen, _) = in_terminal(&line, Duration::from_secs(3));
    assert!(
        screen.contains("is not a folder only you can enter"),
        "{screen:?}"
    );
    assert!(screen.contains("exit=1"), "{screen:?}");
    assert!(!screen.contains("\x1b]52"), "nothing copied: {screen:?}");
}
