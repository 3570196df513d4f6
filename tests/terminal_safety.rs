//! Nothing a vault, a server or an argument holds reaches the user's terminal
//! raw: clipboard writes (OSC 52), title changes, screen clears, C1 codes,
//! DEL and bidi overrides are printed as visible escapes by every command.
//! Values asked for exactly (`token`, `show --reveal`) come out exactly when
//! piped or with `--raw`, and escaped on a terminal.

mod common;
mod tui_common;

use std::io::Read;
use std::path::Path;
use std::process::Output;

use common::{BIN, TestVault, assert_success, stdin_lines};
use flowvault::tui::harness::Harness;
use flowvault::vault::VaultStore;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::crossterm::event::KeyCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// OSC 52 clipboard write, title change, screen clear, a C1 CSI, DEL and a
/// right-to-left override, in one value.
const HOSTILE: &str =
    "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;pwn\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}kcatta";

/// How `HOSTILE` reads once escaped for one line.
const ESCAPED: &str = r"\x1b]52;c;ZXZpbA==\x07\x1b]0;pwn\x07\x1b[2J\u{9b}31m\x7f\u{202e}kcatta";

/// A character no terminal may receive raw from data: C0 but the line feed
/// and the tab (which only move the cursor; `list`'s TSV separates fields
/// with tabs and escapes those in values), DEL, C1, and bidi controls (the
/// issue's examples; the library's own list is wider and unit-tested).
fn is_forbidden(c: char) -> bool {
    (c < ' ' && c != '\n' && c != '\t')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The first forbidden character; a carriage return right before a line
/// feed only ends a line (response bodies keep their CRLF).
fn first_forbidden(bytes: &[u8]) -> Option<(usize, char)> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .char_indices()
        .find(|(_, c)| is_forbidden(*c))
}

/// Neither stdout nor stderr of `out` holds a forbidden character.
#[track_caller]
fn assert_safe(out: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some((at, c)) = first_forbidden(bytes) {
            panic!(
                "{what}: {stream} has U+{:04X} raw at byte {at}: {:?}",
                c as u32,
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

fn run(vault: &TestVault, args: &[&str]) -> Output {
    vault.cmd().args(args).output().expect("run flowvault")
}

/// Runs `args` and checks its output is safe; returns it.
#[track_caller]
fn safe_run(vault: &TestVault, args: &[&str]) -> Output {
    let out = run(vault, args);
    assert_safe(&out, &args.join(" "));
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A basic-auth connection whose username (`--set`) and password (stdin) are hostile.
fn add_hostile_basic(vault: &TestVault, name: &str) {
    let username = format!("u{HOSTILE}");
    let out = vault.try_add(
        "http",
        name,
        Some("basic"),
        &[("username", &username)],
        &[("password", HOSTILE)],
    );
    assert_success(&out, "add with hostile values");
    assert_safe(&out, "add");
}

#[test]
fn field_values_are_escaped_in_show_list_and_json() {
    let vault = TestVault::new();
    add_hostile_basic(&vault, "plain");

    let shown = text(&safe_run(&vault, &["show", "plain"]).stdout);
    assert!(shown.contains(&format!("u{ESCAPED}")), "{shown}");
    assert!(shown.contains(common::MASK), "{shown}");

    safe_run(&vault, &["list"]);
    safe_run(&vault, &["list", "--json"]);

    // JSON escapes decode to the exact values, revealed or not.
    for reveal in [false, true] {
        let mut args = vec!["show", "plain", "--json"];
        if reveal {
            args.push("--reveal");
        }
        let out = safe_run(&vault, &args);
        let value: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(value["fields"]["username"], format!("u{HOSTILE}"));
        if reveal {
            assert_eq!(value["fields"]["password"], HOSTILE);
        }
    }

    safe_run(
        &vault,
        &["edit", "plain", "--set", &format!("username=v{HOSTILE}")],
    );
}

#[test]
fn a_revealed_secret_is_exact_when_piped_or_raw_and_other_values_stay_escaped() {
    let vault = TestVault::new();
    add_hostile_basic(&vault, "plain");
    for args in [
        &["show", "plain", "--reveal"][..],
        &["show", "plain", "--reveal", "--raw"][..],
    ] {
        let out = run(&vault, args);
        assert_success(&out, &args.join(" "));
        let stdout = text(&out.stdout);
        let password = stdout
            .lines()
            .find(|l| l.starts_with("Password"))
            .expect("a password line");
        assert_eq!(
            password.trim_start_matches("Password").trim_start(),
            HOSTILE
        );
        // The non-secret field is still escaped.
        let username = stdout
            .lines()
            .find(|l| l.starts_with("Username"))
            .expect("a username line");
        assert!(username.ends_with(&format!("u{ESCAPED}")), "{username:?}");
        assert!(first_forbidden(username.as_bytes()).is_none());
    }
}

#[test]
fn raw_without_reveal_is_a_usage_error() {
    let vault = TestVault::new();
    add_hostile_basic(&vault, "plain");
    let out = run(&vault, &["show", "plain", "--raw"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn names_with_controls_are_refused_or_escaped() {
    let vault = TestVault::new();
    for name in [
        format!("n{HOSTILE}"),
        "evil\u{202e}gpj.exe".to_owned(),
        "bell\u{7}".to_owned(),
    ] {
        let out = vault.try_add(
            "http",
            &name,
            Some("basic"),
            &[("username", "x")],
            &[("password", "p")],
        );
        assert_safe(&out, "add with a hostile name");
        if !out.status.success() {
            continue;
        }
        safe_run(&vault, &["list"]);
        safe_run(&vault, &["list", "--json"]);
        safe_run(&vault, &["show", &name]);
        safe_run(&vault, &["rename", &name, "renamed"]);
        safe_run(&vault, &["rename", "renamed", &name]);
        safe_run(&vault, &["rm", &name, "--yes"]);
    }
    // Errors that echo a name the vault does not hold.
    safe_run(&vault, &["show", HOSTILE]);
    safe_run(&vault, &["token", HOSTILE]);
    safe_run(&vault, &["rm", HOSTILE, "--yes"]);
    safe_run(&vault, &["flows", "add", HOSTILE]);
    safe_run(&vault, &["run", HOSTILE]);
}

#[test]
fn lang_and_vault_values_and_unknown_arguments_are_escaped() {
    let vault = TestVault::new();
    let out = safe_run(&vault, &["--lang", HOSTILE, "list"]);
    assert!(text(&out.stderr).contains(ESCAPED), "{}", text(&out.stderr));

    let dir = tempfile::TempDir::new().unwrap();
    let hostile_path = dir.path().join(HOSTILE);
    let cmd = |args: &[&str]| {
        common::bare_cmd()
            .arg("--vault")
            .arg(&hostile_path)
            .args(args)
            .output()
            .unwrap()
    };
    let out = cmd(&["list"]);
    assert_safe(&out, "list on a missing hostile path");
    assert!(text(&out.stderr).contains(ESCAPED), "{}", text(&out.stderr));
    let key = dir.path().join("key");
    let out = cmd(&["init", "--new-key-file", key.to_str().unwrap()]);
    assert_success(&out, "init at a hostile path");
    assert_safe(&out, "init at a hostile path");

    let out = common::bare_cmd().args(["list", HOSTILE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_safe(&out, "an unexpected hostile argument");
}

/// A token endpoint granting `token` with a hostile scope, once; afterwards
/// refusing with a hostile `error_description`.
async fn hostile_token_endpoint(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": format!("read:users {HOSTILE}"),
        })))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": format!("invalid_grant{HOSTILE}"),
            "error_description": HOSTILE,
        })))
        .mount(server)
        .await;
}

fn add_auth0(vault: &TestVault, name: &str, server: &MockServer) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", &server.uri()), ("client_id", "cid")],
        &[("client_secret", "csecret")],
    );
}

#[tokio::test]
async fn server_scope_and_error_description_are_escaped_everywhere() {
    let server = MockServer::start().await;
    hostile_token_endpoint(&server, "tok-plain").await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server);

    let out = safe_run(&vault, &["token", "m"]);
    assert_eq!(text(&out.stdout).trim(), "tok-plain");
    let shown = text(&safe_run(&vault, &["show", "m"]).stdout);
    assert!(
        shown.contains(ESCAPED),
        "the scope is shown, escaped: {shown}"
    );
    let out = safe_run(&vault, &["show", "m", "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["scope"], format!("read:users {HOSTILE}"));

    // Renewal is refused with hostile texts: the error line, the stored
    // failure in `list` and `show`, and the all-connections refresh.
    let out = safe_run(&vault, &["refresh", "m"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(ESCAPED), "{}", text(&out.stderr));
    let listed = text(&safe_run(&vault, &["list", "--format", "table"]).stdout);
    assert!(listed.contains("renewal failed"), "{listed}");
    let listed = text(&safe_run(&vault, &["list", "--format", "tsv"]).stdout);
    assert!(listed.contains(ESCAPED), "{listed}");
    safe_run(&vault, &["list", "--json"]);
    safe_run(&vault, &["show", "m"]);
    let out = safe_run(&vault, &["refresh"]);
    assert_eq!(out.status.code(), Some(1));

    // A first token refused outright: the error line of `token`.
    add_auth0(&vault, "second", &server);
    let out = safe_run(&vault, &["token", "second"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error:"));
    safe_run(&vault, &["list"]);
    safe_run(&vault, &["flows", "list"]);
}

#[tokio::test]
async fn a_hostile_access_token_is_exact_when_piped_or_raw_and_escaped_on_a_terminal() {
    let server = MockServer::start().await;
    hostile_token_endpoint(&server, HOSTILE).await;
    let vault = TestVault::new();
    add_auth0(&vault, "m", &server);

    let out = run(&vault, &["token", "m"]);
    if !out.status.success() {
        // A client that refuses tokens with control characters is safe too.
        assert_safe(&out, "token refused");
        return;
    }
    assert_eq!(
        out.stdout,
        format!("{HOSTILE}\n").into_bytes(),
        "piped: exact"
    );
    let out = run(&vault, &["token", "m", "--raw"]);
    assert_eq!(
        out.stdout,
        format!("{HOSTILE}\n").into_bytes(),
        "--raw: exact"
    );

    let (vault_path, key) = (vault.path.clone(), vault.key.clone());
    let on_terminal = tokio::task::spawn_blocking(move || {
        let escaped = in_pty(&vault_path, &key, &["token", "m"]);
        let raw = in_pty(&vault_path, &key, &["token", "m", "--raw"]);
        (escaped, raw)
    })
    .await
    .unwrap();
    assert_terminal_escaped(&on_terminal.0);
    assert!(
        contains(&on_terminal.1, HOSTILE.as_bytes()),
        "--raw on a terminal is exact"
    );
}

#[test]
fn show_reveal_on_a_terminal_escapes_and_raw_does_not() {
    let vault = TestVault::new();
    add_hostile_basic(&vault, "plain");
    let shown = in_pty(&vault.path, &vault.key, &["show", "plain", "--reveal"]);
    assert_terminal_escaped(&shown);
    let raw = in_pty(
        &vault.path,
        &vault.key,
        &["show", "plain", "--reveal", "--raw"],
    );
    assert!(
        contains(&raw, HOSTILE.as_bytes()),
        "--raw on a terminal is exact"
    );
}

#[tokio::test]
async fn run_prints_server_responses_and_inputs_escaped() {
    let server = MockServer::start().await;
    let hostile_header = format!("x{}y", "\u{9b}31m\u{202e}");
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-evil", http_value(&hostile_header))
                .set_body_string(format!("line one\n{HOSTILE}\r\nend\rspoof")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "msg": HOSTILE })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/refused"))
        .respond_with(ResponseTemplate::new(500).set_body_string(HOSTILE))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    safe_run(&vault, &["flows", "add", "F"]);
    for (route, body) in [
        ("hook", format!("{{\"v\": \"{HOSTILE}\"}}")),
        ("json", "{}".to_owned()),
    ] {
        let out = safe_run(
            &vault,
            &[
                "flows",
                "add-action",
                "F",
                "http.request",
                "--set",
                "method=POST",
                "--set",
                &format!("url={}/{route}", server.uri()),
                "--set",
                &format!("body={body}"),
            ],
        );
        assert_success(&out, "add-action");
    }
    safe_run(&vault, &["flows", "list"]);
    safe_run(&vault, &["flows", "list", "--json"]);
    safe_run(&vault, &["run", "F", "--dry-run"]);
    let out = safe_run(&vault, &["run", "F"]);
    assert_success(&out, "run");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(ESCAPED),
        "the body is shown, escaped: {stdout}"
    );
    assert!(
        stdout.contains("line one\n"),
        "line breaks are kept: {stdout}"
    );
    assert!(
        stdout.contains(r"end\rspoof"),
        "a lone CR is escaped: {stdout}"
    );

    safe_run(&vault, &["flows", "add", "G"]);
    safe_run(
        &vault,
        &[
            "flows",
            "add-action",
            "G",
            "http.request",
            "--set",
            "method=POST",
            "--set",
            &format!("url={}/refused", server.uri()),
        ],
    );
    let out = safe_run(&vault, &["run", "G"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn the_catalogs_print_safely() {
    let vault = TestVault::new();
    for args in [
        &["services"][..],
        &["services", "--json"][..],
        &["actions"][..],
        &["actions", "--json"][..],
    ] {
        assert_success(&safe_run(&vault, args), &args.join(" "));
    }
}

#[test]
fn secrets_read_from_stdin_for_a_flow_input_are_masked_and_safe() {
    let vault = TestVault::new();
    safe_run(&vault, &["flows", "add", "J"]);
    let out = vault
        .cmd()
        .args(["flows", "add-action", "J", "jwt.decode", "--secrets-stdin"])
        .write_stdin(stdin_lines(&[("token", HOSTILE)]))
        .output()
        .unwrap();
    assert_safe(&out, "add-action with a hostile secret input");
    safe_run(&vault, &["flows", "list"]);
    safe_run(&vault, &["flows", "list", "--json"]);
    safe_run(&vault, &["run", "J"]);
}

/// A header value with bytes beyond ASCII, as a hostile server may send.
fn http_value(s: &str) -> wiremock::http::HeaderValue {
    wiremock::http::HeaderValue::from_bytes(s.as_bytes()).expect("obs-text is a valid header value")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a terminal received: none of the hostile characters raw, the
/// escaped form visible.
#[track_caller]
fn assert_terminal_escaped(received: &[u8]) {
    // The terminal turns "\n" into "\r\n"; every other control is from data.
    let shown = text(received);
    if let Some((at, c)) = first_forbidden(received) {
        panic!("U+{:04X} raw at {at}: {shown:?}", c as u32);
    }
    assert!(shown.contains(ESCAPED), "{shown:?}");
}

/// Runs the binary in a pseudo-terminal and returns everything it wrote there.
fn in_pty(vault: &Path, key: &Path, args: &[&str]) -> Vec<u8> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(BIN);
    for var in [
        "FLOWVAULT_LANG",
        "LC_ALL",
        "LC_MESSAGES",
        "FLOWVAULT_PASSPHRASE_FILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("LANG", "C");
    cmd.env("FLOWVAULT_VAULT", vault);
    cmd.env("FLOWVAULT_KEY_FILE", key);
    cmd.args(args);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn flowvault");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let reading = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        // Ends with EIO or 0 once the child has exited and its output is read.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().expect("wait for flowvault");
    // The master stays open until the output is read, then hangs up.
    let out = reading.join().unwrap();
    drop(pair.master);
    assert!(status.success(), "{args:?} in a pty: {}", text(&out));
    out
}

/// Every cell of the UI's screen is free of forbidden characters and joiners.
#[track_caller]
fn assert_screen_safe(harness: &mut Harness, what: &str) -> String {
    let screen = harness.screen();
    let joiner = screen
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{200b}'..='\u{200d}'));
    if let Some((at, c)) = first_forbidden(screen.as_bytes()).or(joiner) {
        panic!("{what}: U+{:04X} on screen at {at}: {screen}", c as u32);
    }
    screen
}

#[test]
fn the_ui_shows_no_control_bidi_or_invisible_character() {
    // Joiners cling to the character before them, so ratatui keeps them, and
    // with them a bidi override that follows.
    let value = format!("u{HOSTILE}a\u{200d}\u{202e}b\u{200c}c");
    let vault = tui_common::TestVault::with(&[tui_common::conn(
        "plain",
        "http",
        "basic",
        &[("username", &value), ("password", &value)],
    )]);
    // A look-alike name, while names with bidi controls are still accepted.
    let _ = vault.open().add_connection(&tui_common::conn(
        "evil\u{202e}gpj.exe\u{200d}",
        "http",
        "basic",
        &[("username", "x"), ("password", "y")],
    ));
    let mut ui = vault.harness(120, 40);
    assert_screen_safe(&mut ui, "list");
    ui.press(KeyCode::Enter);
    let details = assert_screen_safe(&mut ui, "details");
    assert!(details.contains("kcatta"), "the value is shown: {details}");
    ui.press(KeyCode::Char('v'));
    assert_screen_safe(&mut ui, "details revealed");
}
