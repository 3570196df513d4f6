//! Output a script can rely on: `list` as untranslated TSV when piped, every
//! `--json` shape of the README, messages on stderr and data on stdout,
//! `--quiet`, and `rm` that asks first on a terminal.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{TestVault, assert_error, assert_success};
use flowvault::vault::{
    Connection, Credentials, StoreAccess, UnlockKey, VaultLocation, open_store,
};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn run(vault: &TestVault, args: &[&str]) -> Output {
    vault.cmd().args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args`, which must succeed, and parses its stdout as JSON.
fn json_of(vault: &TestVault, args: &[&str]) -> Value {
    let out = run(vault, args);
    assert_success(&out, &args.join(" "));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?} prints JSON ({e}): {}", stdout(&out)))
}

/// A vault with a ready static connection, an empty one and a Japanese name.
fn sample_vault() -> TestVault {
    let vault = TestVault::new();
    vault.add(
        "sendgrid",
        "Mail",
        None,
        &[],
        &[("api_key", "SG.secret-value")],
    );
    let out = run(
        &vault,
        &[
            "add",
            "auth0",
            "Half done",
            "--set",
            "domain=tenant.eu.auth0.com",
            "--empty",
        ],
    );
    assert_success(&out, "add --empty");
    vault.add(
        "twilio",
        "本番 Twilio",
        None,
        &[("account_sid", SID)],
        &[("auth_token", "tok-secret")],
    );
    vault
}

// ---------------------------------------------------------------------------
// list: TSV, table, headers

#[test]
fn list_piped_is_tsv_of_untranslated_fields_in_every_language() {
    let vault = sample_vault();
    let listed = |lang: &str| {
        let out = run(&vault, &["--lang", lang, "list"]);
        assert_success(&out, &format!("list --lang {lang}"));
        out.stdout
    };
    let en = listed("en");
    // Byte for byte: only names could differ, and these are the same names.
    assert_eq!(listed("fr"), en, "fr differs from en");
    assert_eq!(listed("ja"), en, "ja differs from en");
    assert_eq!(
        run(&vault, &["--lang", "fr", "list", "--format", "tsv"]).stdout,
        en,
        "piped, the default is --format tsv"
    );

    let text = String::from_utf8(en).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["status", "name", "service", "detail_code", "id"]);
    assert_eq!(rows.len(), 4, "{text}");
    let by_name = |name: &str| rows.iter().find(|r| r[1] == name).unwrap().clone();
    let mail = by_name("Mail");
    assert_eq!(
        mail[..4],
        ["ready", "Mail", "sendgrid", "static:static_key"]
    );
    let half = by_name("Half done");
    assert_eq!(
        half[..4],
        [
            "empty",
            "Half done",
            "auth0",
            "missing:client_id,client_secret"
        ]
    );
    assert_eq!(by_name("本番 Twilio")[0], "ready");
    // The id column is the id `list --json` gives.
    for entry in vault.list_json() {
        let row = by_name(entry["name"].as_str().unwrap());
        assert_eq!(row[4], entry["id"], "{row:?}");
        assert_eq!(row[3], entry["detail_code"], "{row:?}");
    }
}

#[test]
fn no_headers_leaves_out_the_header_line_of_tsv_and_table() {
    let vault = sample_vault();
    let tsv = stdout(&run(&vault, &["list"]));
    let bare = stdout(&run(&vault, &["list", "--no-headers"]));
    assert_eq!(tsv.lines().count(), 4);
    assert_eq!(
        bare,
        tsv.lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );

    let table = stdout(&run(&vault, &["list", "--format", "table"]));
    let first = table.lines().next().unwrap();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["STATUS", "NAME", "SERVICE", "DETAIL"]
    );
    let bare = stdout(&run(&vault, &["list", "--format", "table", "--no-headers"]));
    assert_eq!(
        bare.lines().collect::<Vec<_>>(),
        table.lines().skip(1).collect::<Vec<_>>()
    );

    // An empty vault: the header alone on stdout, the hint on stderr.
    let empty = TestVault::new();
    let out = run(&empty, &["list"]);
    assert_eq!(stdout(&out), "status\tname\tservice\tdetail_code\tid\n");
    assert!(
        stderr(&out).contains("No connections yet"),
        "{}",
        stderr(&out)
    );
    let out = run(&empty, &["list", "--no-headers", "--quiet"]);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn json_and_format_json_are_the_same_and_exclude_each_other() {
    let vault = sample_vault();
    assert_eq!(
        json_of(&vault, &["list", "--json"]),
        json_of(&vault, &["list", "--format", "json"])
    );
    let out = run(&vault, &["list", "--json", "--format", "tsv"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Adds a connection straight through the library, which does not check
/// names as the CLI does: a vault written by another tool or version.
fn add_unchecked(vault: &TestVault, name: &str) {
    let access = StoreAccess::with_key(UnlockKey::read_key_file(&vault.key).unwrap());
    let mut store = open_store(&VaultLocation::File(vault.path.clone()), &access).unwrap();
    let mut fields = Credentials::default();
    fields.set("api_key", "SG.x");
    store
        .add_connection(&Connection::new(name, "sendgrid", "api_key", fields))
        .unwrap();
}

#[test]
fn tabs_and_line_breaks_in_a_name_do_not_break_the_tsv() {
    let vault = TestVault::new();
    add_unchecked(&vault, "two\twords\nand a\\line");
    let out = run(&vault, &["list", "--no-headers"]);
    assert_success(&out, "list");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text:?}");
    let fields: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
    assert_eq!(fields.len(), 5, "{text:?}");
    assert_eq!(fields[1], r"two\twords\nand a\\line");
}

#[test]
fn the_table_cuts_long_names_at_their_column() {
    let vault = TestVault::new();
    // 14 wide characters and one narrow: 29 cells, one more than the column.
    let japanese = "本番環境の顧客管理システム接続A";
    let latin = "production-customer-database-connection";
    for name in [japanese, latin, "Short"] {
        vault.add("sendgrid", name, None, &[], &[("api_key", "SG.x")]);
    }
    let table = stdout(&run(&vault, &["list", "--format", "table", "--no-headers"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let line_of = |start: &str| *lines.iter().find(|l| l.contains(start)).unwrap();
    // Status (11 cells), name (28), service (15), one space between each.
    assert!(
        line_of("本番").starts_with("ready       本番環境の顧客管理システム…  sendgrid        "),
        "{table}"
    );
    assert!(
        line_of("production")
            .starts_with("ready       production-customer-databas… sendgrid        "),
        "{table}"
    );
    assert!(
        line_of("Short").starts_with(&format!("ready       Short{} sendgrid", " ".repeat(23))),
        "{table}"
    );
    // The detail column starts at the same cell on every line.
    for line in &lines {
        let before = &line[..line.find("sendgrid").unwrap()];
        assert_eq!(before.width(), 11 + 1 + 28 + 1, "{line:?}");
    }
}

// ---------------------------------------------------------------------------
// JSON shapes (the README's "JSON output")

/// A JSON type as the README names it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    OptStr,
    Bool,
    Num,
    OptNum,
    Array,
    Object,
    OptObject,
}

/// `value` is an object with exactly these keys, each of its type.
#[track_caller]
fn assert_shape(value: &Value, shape: &[(&str, Kind)], what: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = shape.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{what}: keys of {value}");
    for (key, kind) in shape {
        let v = &object[*key];
        let ok = match kind {
            Kind::Str => v.is_string(),
            Kind::OptStr => v.is_string() || v.is_null(),
            Kind::Bool => v.is_boolean(),
            Kind::Num => v.is_u64(),
            Kind::OptNum => v.is_u64() || v.is_null(),
            Kind::Array => v.is_array(),
            Kind::Object => v.is_object(),
            Kind::OptObject => v.is_object() || v.is_null(),
        };
        assert!(ok, "{what}: {key} should be {kind:?}, is {v}");
    }
}

#[track_caller]
fn array(value: &Value, what: &str) -> Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {value}"))
        .clone()
}

const LIST_SHAPE: &[(&str, Kind)] = &[
    ("detail", Kind::Str),
    ("detail_code", Kind::Str),
    ("expires_at", Kind::OptStr),
    ("id", Kind::Str),
    ("missing", Kind::Array),
    ("name", Kind::OptStr),
    ("service", Kind::OptStr),
    ("status", Kind::Str),
    ("updated_at", Kind::OptStr),
];

const FIELD_SHAPE: &[(&str, Kind)] = &[
    ("default", Kind::OptStr),
    ("key", Kind::Str),
    ("label", Kind::Str),
    ("max_len", Kind::OptNum),
    ("required", Kind::Bool),
    ("secret", Kind::Bool),
];

#[test]
fn list_and_show_json_have_their_documented_shapes() {
    let vault = sample_vault();
    let list = array(&json_of(&vault, &["list", "--json"]), "list --json");
    assert_eq!(list.len(), 3);
    for entry in &list {
        assert_shape(entry, LIST_SHAPE, "list --json");
        let status = entry["status"].as_str().unwrap();
        assert!(
            [
                "empty",
                "pending",
                "ready",
                "refreshing",
                "failed",
                "damaged"
            ]
            .contains(&status),
            "{status}"
        );
    }
    let half = list.iter().find(|e| e["name"] == "Half done").unwrap();
    assert_eq!(half["missing"], json!(["client_id", "client_secret"]));

    let show = json_of(&vault, &["show", "Mail", "--json"]);
    assert_shape(
        &show,
        &[
            ("created_at", Kind::Str),
            ("detail", Kind::Str),
            ("detail_code", Kind::Str),
            ("expires_at", Kind::OptStr),
            ("fields", Kind::Object),
            ("id", Kind::Str),
            ("method", Kind::Str),
            ("missing", Kind::Array),
            ("name", Kind::Str),
            ("scope", Kind::OptStr),
            ("service", Kind::Str),
            ("status", Kind::Str),
            ("updated_at", Kind::Str),
        ],
        "show --json",
    );
    assert_eq!(show["fields"]["api_key"], common::MASK);
    let half = json_of(&vault, &["show", "Half done", "--json"]);
    assert_eq!(half["fields"]["domain"], "tenant.eu.auth0.com");
    assert!(half["fields"]["client_secret"].is_null());
}

#[test]
fn services_and_actions_json_have_their_documented_shapes() {
    let vault = TestVault::new();
    let services = array(&json_of(&vault, &["services", "--json"]), "services --json");
    assert!(services.len() > 10);
    for s in &services {
        let what = format!("service {}", s["id"]);
        assert_shape(
            s,
            &[
                ("fields", Kind::Array),
                ("id", Kind::Str),
                ("methods", Kind::Array),
                ("name", Kind::Str),
            ],
            &what,
        );
        for f in array(&s["fields"], &what) {
            assert_shape(&f, FIELD_SHAPE, &what);
        }
        for m in array(&s["methods"], &what) {
            assert_shape(
                &m,
                &[
                    ("fields", Kind::Array),
                    ("id", Kind::Str),
                    ("name", Kind::Str),
                ],
                &what,
            );
            for f in array(&m["fields"], &what) {
                assert_shape(&f, FIELD_SHAPE, &what);
            }
        }
    }
    let http = services.iter().find(|s| s["id"] == "http").unwrap();
    let methods: Vec<&str> = http["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["bearer", "api_key", "basic", "oauth2"]);

    let actions = array(&json_of(&vault, &["actions", "--json"]), "actions --json");
    assert!(!actions.is_empty());
    for a in &actions {
        let what = format!("action {}", a["id"]);
        assert_shape(
            a,
            &[
                ("connection", Kind::Str),
                ("id", Kind::Str),
                ("inputs", Kind::Array),
                ("name", Kind::Str),
                ("scopes", Kind::Array),
                ("service", Kind::OptStr),
            ],
            &what,
        );
        assert!(
            ["required", "optional", "none"].contains(&a["connection"].as_str().unwrap()),
            "{what}"
        );
        for f in array(&a["inputs"], &what) {
            assert_shape(&f, FIELD_SHAPE, &what);
        }
    }
}

#[test]
fn flows_list_and_audit_json_have_their_documented_shapes() {
    let vault = sample_vault();
    for args in [
        &["flows", "add", "Notify"][..],
        &[
            "flows",
            "add-action",
            "Notify",
            "twilio.send_sms",
            "--connection",
            "本番 Twilio",
            "--set",
            "to=+14155550100",
            "--set",
            "from=+14155550199",
            "--set",
            "body=Hello",
        ],
        &["flows", "add-action", "Notify", "twilio.send_sms"],
    ] {
        assert_success(&run(&vault, args), &args.join(" "));
    }
    let flows = array(&json_of(&vault, &["flows", "list", "--json"]), "flows list");
    assert_eq!(flows.len(), 1);
    assert_shape(
        &flows[0],
        &[
            ("actions", Kind::Array),
            ("damaged", Kind::Bool),
            ("id", Kind::Str),
            ("name", Kind::Str),
        ],
        "flow",
    );
    let actions = array(&flows[0]["actions"], "actions");
    assert_eq!(actions.len(), 2);
    for a in &actions {
        assert_shape(
            a,
            &[
                ("action", Kind::Str),
                ("connection", Kind::OptObject),
                ("inputs", Kind::Object),
                ("name", Kind::OptStr),
                ("position", Kind::Num),
                ("warnings", Kind::Array),
            ],
            "flow action",
        );
        for w in array(&a["warnings"], "warnings") {
            assert_shape(
                &w,
                &[("code", Kind::Str), ("message", Kind::Str)],
                "warning",
            );
        }
    }
    assert_shape(
        &actions[0]["connection"],
        &[("id", Kind::Str), ("name", Kind::OptStr)],
        "action connection",
    );
    assert_eq!(actions[0]["connection"]["name"], "本番 Twilio");
    assert_eq!(actions[0]["inputs"]["body"], "Hello");
    assert!(actions[1]["connection"].is_null());
    let codes: Vec<&str> = actions[1]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"no_connection"), "{codes:?}");

    let audit = array(&json_of(&vault, &["audit", "--json"]), "audit --json");
    assert!(audit.len() >= 4, "{audit:?}");
    for (i, entry) in audit.iter().enumerate() {
        assert_shape(
            entry,
            &[
                ("action", Kind::Str),
                ("actor", Kind::Str),
                ("at", Kind::Str),
                ("detail", Kind::OptStr),
                ("seq", Kind::Num),
                ("target", Kind::OptObject),
            ],
            "audit entry",
        );
        assert_eq!(entry["seq"], json!(i + 1));
    }
    assert_eq!(audit[0]["action"], "add");
    assert_shape(
        &audit[0]["target"],
        &[("id", Kind::Str), ("kind", Kind::Str), ("name", Kind::Str)],
        "audit target",
    );
    assert_eq!(audit[0]["target"]["kind"], "connection");
    assert_eq!(audit[0]["target"]["name"], "Mail");
}

fn token_endpoint(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn refresh_json_reports_each_connection_and_its_outcome() {
    let good = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_endpoint(
            200,
            json!({"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}),
        ))
        .mount(&good)
        .await;
    let bad = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_endpoint(401, json!({"error": "invalid_client"})))
        .mount(&bad)
        .await;
    let vault = TestVault::new();
    for (name, server) in [("Good", &good), ("Bad", &bad)] {
        vault.add(
            "auth0",
            name,
            None,
            &[("domain", &server.uri()), ("client_id", "abc")],
            &[("client_secret", "s")],
        );
    }

    let out = run(&vault, &["refresh", "--json"]);
    let err = assert_error(&out, 1, "refresh --json with a refused connection");
    assert!(err.contains("1 renewal(s) failed"), "{err}");
    let entries: Value = serde_json::from_slice(&out.stdout).expect("JSON even on failure");
    let entries = array(&entries, "refresh --json");
    assert_eq!(entries.len(), 2);
    let shape = &[
        ("error", Kind::OptStr),
        ("expires_at", Kind::OptStr),
        ("id", Kind::Str),
        ("name", Kind::Str),
        ("outcome", Kind::Str),
    ];
    for e in &entries {
        assert_shape(e, shape, "refresh --json");
    }
    let of = |name: &str| entries.iter().find(|e| e["name"] == name).unwrap();
    assert_eq!(of("Good")["outcome"], "renewed");
    assert!(of("Good")["error"].is_null());
    assert!(of("Good")["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(of("Good")["id"], vault.list_entry("Good")["id"]);
    assert_eq!(of("Bad")["outcome"], "failed");
    assert!(
        of("Bad")["error"]
            .as_str()
            .unwrap()
            .contains("invalid_client")
    );
    assert!(of("Bad")["expires_at"].is_null());

    // One connection: an array of one, and no message beside the JSON.
    let out = run(&vault, &["refresh", "Good", "--json"]);
    assert_success(&out, "refresh Good --json");
    let one = array(
        &serde_json::from_slice(&out.stdout).unwrap(),
        "refresh Good",
    );
    assert_eq!(one.len(), 1);
    assert_shape(&one[0], shape, "refresh Good --json");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = run(&vault, &["refresh", "Bad", "--json"]);
    assert_error(&out, 1, "refresh Bad --json");
    let one = array(&serde_json::from_slice(&out.stdout).unwrap(), "refresh Bad");
    assert_eq!(one[0]["outcome"], "failed");

    // Without --json: a message on stderr, nothing on stdout.
    let out = run(&vault, &["refresh", "Good"]);
    assert_success(&out, "refresh Good");
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("renewed “Good”"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// Messages on stderr, --quiet

#[test]
fn confirmations_go_to_stderr_and_quiet_silences_them() {
    let vault = TestVault::new();
    let add = |quiet: bool, name: &str| {
        let mut cmd = vault.cmd();
        if quiet {
            cmd.arg("-q");
        }
        cmd.args(["add", "sendgrid", name, "--secrets-stdin"])
            .write_stdin("api_key=SG.x\n")
            .output()
            .unwrap()
    };
    let out = add(false, "Loud");
    assert_success(&out, "add");
    assert!(out.stdout.is_empty(), "add printed data: {}", stdout(&out));
    assert!(stderr(&out).starts_with("Added “Loud”"), "{}", stderr(&out));

    let out = add(true, "Silent");
    assert_success(&out, "add -q");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");

    let out = vault
        .cmd()
        .args(["edit", "Loud", "--secrets-stdin"])
        .write_stdin("api_key=SG.y\n")
        .output()
        .unwrap();
    assert_success(&out, "edit");
    assert!(out.stdout.is_empty(), "edit printed data: {}", stdout(&out));
    assert!(stderr(&out).starts_with("Saved “Loud”"), "{}", stderr(&out));

    for (args, said) in [
        (
            &["rename", "Loud", "Louder"][..],
            "Renamed “Loud” to “Louder”.",
        ),
        (&["flows", "add", "F"], "Added flow “F”."),
        (&["flows", "rm", "F"], "Deleted flow “F”."),
        (&["rm", "Louder", "--yes"], "Deleted “Louder”."),
    ] {
        let out = run(&vault, args);
        assert_success(&out, &args.join(" "));
        assert_eq!(stderr(&out).trim_end(), said, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
    }

    let out = run(&vault, &["--quiet", "rm", "Silent", "--yes"]);
    assert_success(&out, "rm --quiet");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert!(vault.list_json().is_empty());

    // Errors are never silenced.
    let out = run(&vault, &["--quiet", "show", "Nope"]);
    assert_error(&out, 5, "show of a missing name, quiet");
}

// ---------------------------------------------------------------------------
// rm: asks on a terminal, refuses without one unless --yes

#[test]
fn rm_without_a_terminal_refuses_unless_yes() {
    let vault = sample_vault();
    let before = vault.list_json();
    let out = vault
        .cmd()
        .args(["rm", "Mail"])
        .write_stdin("y\n")
        .output()
        .unwrap();
    let err = assert_error(&out, 2, "rm without a terminal");
    assert!(err.contains("--yes"), "says what to do: {err}");
    assert!(err.contains("“Mail”"), "{err}");
    assert_eq!(vault.list_json(), before, "nothing was deleted");

    let out = run(&vault, &["rm", "Mail", "-y"]);
    assert_success(&out, "rm -y");
    assert!(vault.list_json().iter().all(|e| e["name"] != "Mail"));

    // A missing name is still "not found", before any question.
    assert_error(&run(&vault, &["rm", "Nope"]), 5, "rm of a missing name");
}

/// `flowvault rm NAME` in a pseudo-terminal, answering `answer`; returns
/// its exit code and everything it wrote.
fn rm_on_a_terminal(vault: &TestVault, name: &str, answer: &str) -> (u32, String) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(common::BIN);
    for var in [
        "FLOWVAULT_VAULT",
        "FLOWVAULT_KEY_FILE",
        "FLOWVAULT_LANG",
        "LC_ALL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("LANG", "C");
    cmd.args([
        "--vault",
        path_str(&vault.path),
        "--key-file",
        path_str(&vault.key),
    ]);
    cmd.args(["rm", name]);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn flowvault");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let start = Instant::now();
    let question = format!("Delete connection “{name}”? [y/N]");
    while !String::from_utf8_lossy(&seen).contains(&question) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no question; the terminal shows: {}",
            String::from_utf8_lossy(&seen)
        );
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(50)) {
            seen.extend(chunk);
        }
    }
    let mut writer = pair.master.take_writer().unwrap();
    writer.write_all(format!("{answer}\r").as_bytes()).unwrap();
    writer.flush().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "rm did not exit");
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(50)) {
            seen.extend(chunk);
        }
    };
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.extend(chunk);
    }
    (
        status.exit_code(),
        String::from_utf8_lossy(&seen).into_owned(),
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

#[test]
fn rm_on_a_terminal_asks_and_deletes_only_on_yes() {
    let vault = sample_vault();
    let (code, shown) = rm_on_a_terminal(&vault, "Mail", "n");
    assert_eq!(code, 1, "declined: {shown}");
    assert!(shown.contains("error: “Mail” was not deleted"), "{shown}");
    assert!(vault.list_json().iter().any(|e| e["name"] == "Mail"));

    let (code, shown) = rm_on_a_terminal(&vault, "Mail", "y");
    assert_eq!(code, 0, "accepted: {shown}");
    assert!(shown.contains("Deleted “Mail”."), "{shown}");
    assert!(vault.list_json().iter().all(|e| e["name"] != "Mail"));
}

#[test]
fn a_damaged_connection_is_a_tsv_row_with_its_id_and_no_words() {
    let vault = sample_vault();
    let id = vault.list_entry("Mail")["id"].as_str().unwrap().to_owned();
    // Flip one byte of the sealed name: the row fails its integrity check
    // and its name cannot be read.
    let db = vault.db();
    let mut name: Vec<u8> = db
        .query_row("SELECT name FROM connections WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    let last = name.len() - 1;
    name[last] ^= 1;
    db.execute(
        "UPDATE connections SET name = ?1 WHERE id = ?2",
        rusqlite::params![name, id],
    )
    .unwrap();

    let en = run(&vault, &["--lang", "en", "list", "--no-headers"]);
    assert_success(&en, "list with a damaged row");
    let ja = run(&vault, &["--lang", "ja", "list", "--no-headers"]);
    assert_eq!(ja.stdout, en.stdout, "the damaged row is the same in ja");
    let text = stdout(&en);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.ends_with(&id))
        .unwrap_or_else(|| panic!("no row with id {id}: {text}"))
        .split('\t')
        .collect();
    assert_eq!(row, ["damaged", "", "", "integrity_failed", id.as_str()]);
}
