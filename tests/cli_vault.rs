//! The command-line contract (CLI.md) as a user or a script sees it: what is
//! printed, the exit codes, and what lands on disk.
#![allow(unsafe_code)] // libc: sessions of child processes

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use flowvault::catalog::{Catalog, Field, Method, Rule, Service};
use serde_json::{Value, json};

use common::{
    MASK, TestVault, Unlock, assert_error, assert_success, bare_cmd, isolate, stdin_lines,
};

// ---------------------------------------------------------------------------
// Valid values for every catalog field

/// A value that passes the field's rule; `variant` 0 and 1 differ, so an edit
/// can be told apart from the original.
fn valid_value(service: &Service, method: &Method, field: &Field, variant: usize) -> String {
    let value = match &field.rule {
        None => format!("{}-{}-{}-v{variant}", service.id, method.id, field.key),
        Some(Rule::Domain) => ["tenant.eu.auth0.com", "other.us.auth0.com"][variant].into(),
        Some(Rule::Url) => format!("https://example.com/x{variant}/{}", field.key),
        Some(Rule::Email) => format!("svc{variant}@proj.iam.gserviceaccount.com"),
        // A PEM key spans lines, but a `--secrets-stdin` value is one line; the
        // rule only looks at the armour, so a one-line key still passes.
        Some(Rule::Pem) => {
            format!("-----BEGIN PRIVATE KEY-----abc{variant}-----END PRIVATE KEY-----")
        }
        Some(Rule::Choice(choices)) => [choices.first(), choices.last()][variant].unwrap().clone(),
        Some(Rule::Json) => format!("{{\"v\": {variant}}}"),
        Some(Rule::Pattern { .. }) => {
            let pair = match (service.id.as_str(), field.key.as_str()) {
                ("twilio", "account_sid") => [
                    "AC0123456789abcdef0123456789abcdef",
                    "ACfedcba9876543210FEDCBA9876543210",
                ],
                ("telegram", "token") => ["123456:ABC-def_ghi", "654321:xyz_UVW-rst"],
                ("stripe", "secret_key") => ["sk_test_abc123", "rk_live_xyz789"],
                ("stripe", "publishable_key") => ["pk_test_abc", "pk_live_def"],
                ("mailchimp", "api_key") => [
                    "0123456789abcdef0123456789abcdef-us6",
                    "fedcba9876543210fedcba9876543210-eu12",
                ],
                ("http", "name") => ["X-Api-Key", "X-Other_Key"],
                ("bigquery", "project_id") => ["my-project-1", "other.project-2"],
                (s, k) => panic!("the catalog has a new pattern field {s}.{k}: add values here"),
            };
            pair[variant].into()
        }
    };
    assert!(
        field.validate(&value).is_ok(),
        "test value for {}.{}.{} must pass its own rule: {value:?}",
        service.id,
        method.id,
        field.key
    );
    value
}

/// Every field of a method with a valid value.
fn method_values(service: &Service, method: &Method, variant: usize) -> Vec<(String, String)> {
    method
        .fields
        .iter()
        .map(|f| (f.key.clone(), valid_value(service, method, f, variant)))
        .collect()
}

/// `KEY=VALUE` pairs, as the helpers take them.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

/// `--set` pairs and stdin pairs of a method's values.
fn split_values<'a>(method: &Method, values: &'a [(String, String)]) -> (Pairs<'a>, Pairs<'a>) {
    values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .partition(|(k, _)| !method.field(k).unwrap().secret)
}

/// What `show --json` must print for the fields, masked or not.
fn expected_fields(method: &Method, values: &[(String, String)], reveal: bool) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in values {
        let shown = if method.field(k).unwrap().secret && !reveal {
            MASK
        } else {
            v.as_str()
        };
        map.insert(k.clone(), Value::from(shown));
    }
    Value::Object(map)
}

#[test]
fn every_service_and_method_of_the_catalog_round_trips() {
    let vault = TestVault::new();
    let catalog = Catalog::embedded();
    let mut added = Vec::new();
    for service in catalog.services() {
        for method in &service.methods {
            let name = format!("{} via {}", service.name, method.id);
            // Without --method the service's first method is used, which is
            // how most users will add single-method services.
            let method_arg = (service.methods.len() > 1).then_some(method.id.as_str());
            let values = method_values(service, method, 0);
            let (sets, secrets) = split_values(method, &values);
            vault.add(&service.id, &name, method_arg, &sets, &secrets);

            let shown = vault.show_json(&name, true);
            assert_eq!(shown["name"], name.as_str());
            assert_eq!(shown["service"], service.id.as_str());
            assert_eq!(shown["method"], method.id.as_str(), "{name}");
            assert_eq!(
                shown["fields"],
                expected_fields(method, &values, true),
                "{name}: --reveal shows every value as given"
            );
            assert_eq!(
                vault.show_json(&name, false)["fields"],
                expected_fields(method, &values, false),
                "{name}: without --reveal only secrets are masked"
            );

            // One edit changes every field: non-secrets by --set, secrets on stdin.
            let edited = method_values(service, method, 1);
            let (sets, secrets) = split_values(method, &edited);
            let mut edit = vault.cmd();
            edit.args(["edit", &name]);
            for (k, v) in &sets {
                edit.arg("--set").arg(format!("{k}={v}"));
            }
            if !secrets.is_empty() {
                edit.arg("--secrets-stdin")
                    .write_stdin(stdin_lines(&secrets));
            }
            assert_success(&edit.output().unwrap(), &format!("edit {name}"));
            assert_eq!(
                vault.show_json(&name, true)["fields"],
                expected_fields(method, &edited, true),
                "{name}: show sees the edit"
            );
            added.push((name, method));
        }
    }

    let list = vault.list_json();
    assert_eq!(list.len(), added.len(), "one row per connection added");
    for (name, method) in added {
        let entry = list.iter().find(|e| e["name"] == name.as_str()).unwrap();
        let status = if method.auth.uses_tokens() {
            "pending"
        } else {
            "ready"
        };
        assert_eq!(entry["status"], status, "{name}: {entry}");
        assert_eq!(entry["missing"], json!([]), "{name}");
        assert_eq!(entry["expires_at"], Value::Null, "{name}");
    }
}

#[test]
fn a_connection_added_empty_names_what_is_missing() {
    let vault = TestVault::new();
    let domain = "--set=domain=tenant.eu.auth0.com";

    // Without --empty, missing required fields are a usage error and nothing is saved.
    let out = vault
        .cmd()
        .args(["add", "auth0", "Later", domain, "--secrets-stdin"])
        .output()
        .unwrap();
    assert_error(&out, 2, "add with missing fields");
    assert!(vault.list_json().is_empty());

    // --empty still validates the fields that are given.
    let out = vault
        .cmd()
        .args([
            "add",
            "auth0",
            "Later",
            "--set=domain=not a domain",
            "--empty",
        ])
        .output()
        .unwrap();
    assert_error(&out, 2, "add --empty with an invalid domain");

    vault
        .cmd()
        .args(["add", "auth0", "Later", domain, "--empty"])
        .assert()
        .success();
    let entry = vault.list_entry("Later");
    assert_eq!(entry["status"], "empty");
    assert_eq!(entry["missing"], json!(["client_id", "client_secret"]));
    let detail = entry["detail"].as_str().unwrap();
    assert!(detail.contains("Client Secret"), "{detail}");

    // Filling the gaps later makes it usable.
    vault
        .cmd()
        .args(["edit", "Later", "--set=client_id=abc", "--secrets-stdin"])
        .write_stdin("client_secret=s3cret\n")
        .assert()
        .success();
    let entry = vault.list_entry("Later");
    assert_eq!(entry["status"], "pending");
    assert_eq!(entry["missing"], json!([]));
}

// ---------------------------------------------------------------------------
// Unlocking

fn add_sample(vault: &TestVault, name: &str) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", "tenant.eu.auth0.com"), ("client_id", "cid")],
        &[("client_secret", "the-secret")],
    );
}

#[test]
fn a_wrong_key_file_cannot_unlock_and_changes_nothing() {
    let vault = TestVault::new();
    add_sample(&vault, "Mgmt API");
    let before = vault.bytes();
    let wrong = vault.dir.path().join("wrong-key");
    common::write_private(&wrong, [0x5a; 32]);

    for args in [
        &["list"][..],
        &["show", "Mgmt API"],
        &["rm", "Mgmt API"],
        &["rename", "Mgmt API", "Other"],
    ] {
        let out = vault
            .cmd_with_key(Unlock::KeyFile, &wrong)
            .args(args)
            .output()
            .unwrap();
        assert_error(&out, 3, &format!("{args:?} with a wrong key"));
    }
    let out = vault
        .cmd_with_key(Unlock::KeyFile, &wrong)
        .args(["add", "sendgrid", "sg", "--secrets-stdin"])
        .write_stdin("api_key=SG.x\n")
        .output()
        .unwrap();
    assert_error(&out, 3, "add with a wrong key");

    assert!(before == vault.bytes(), "the vault file was modified");
    assert_eq!(vault.list_json().len(), 1);
}

#[test]
fn a_wrong_passphrase_cannot_unlock() {
    let vault = TestVault::with_passphrase("correct horse battery");
    let wrong = vault.dir.path().join("wrong");
    common::write_private(&wrong, "correct horse battery staple\n");
    let out = vault
        .cmd_with_key(Unlock::Passphrase, &wrong)
        .arg("list")
        .output()
        .unwrap();
    assert_error(&out, 3, "wrong passphrase");
    // A key file cannot open a passphrase vault either.
    let key = vault.dir.path().join("key");
    common::write_private(&key, [1; 32]);
    let out = vault
        .cmd_with_key(Unlock::KeyFile, &key)
        .arg("list")
        .output()
        .unwrap();
    assert_error(&out, 3, "key file on a passphrase vault");
}

#[test]
fn without_a_key_and_without_a_terminal_it_fails_instead_of_waiting() {
    let vault = TestVault::new();
    let mut cmd = std::process::Command::new(common::BIN);
    isolate(&mut cmd)
        .arg("--vault")
        .arg(&vault.path)
        .arg("list");
    // A new session has no controlling terminal, as under cron or systemd.
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    let stderr = assert_error(&out, 3, "no key, no terminal");
    assert!(stderr.contains("--key-file"), "says what to do: {stderr}");
}

#[test]
fn passwd_to_a_new_key_file_retires_the_old_key() {
    let vault = TestVault::new();
    add_sample(&vault, "Mgmt API");
    let new_key = vault.dir.path().join("new-key");
    vault
        .cmd()
        .arg("passwd")
        .arg("--new-key-file")
        .arg(&new_key)
        .assert()
        .success();
    let mode = std::fs::metadata(&new_key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the new key file is private");

    let out = vault.cmd().arg("list").output().unwrap();
    assert_error(&out, 3, "old key after passwd");

    let out = vault
        .cmd_with_key(Unlock::KeyFile, &new_key)
        .args(["show", "Mgmt API", "--json", "--reveal"])
        .output()
        .unwrap();
    assert_success(&out, "show with the new key");
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["fields"]["client_secret"], "the-secret");
}

#[test]
fn passwd_to_a_passphrase_retires_the_key_file() {
    let vault = TestVault::new();
    add_sample(&vault, "Mgmt API");

    // Too short a passphrase is refused before anything changes.
    let short = vault.dir.path().join("short");
    common::write_private(&short, "1234567\n");
    let out = vault
        .cmd()
        .arg("passwd")
        .arg("--new-passphrase-file")
        .arg(&short)
        .output()
        .unwrap();
    assert_error(&out, 2, "short passphrase");
    vault.cmd().arg("list").assert().success();

    let pass = vault.dir.path().join("pass");
    common::write_private(&pass, "a much longer passphrase\n");
    vault
        .cmd()
        .arg("passwd")
        .arg("--new-passphrase-file")
        .arg(&pass)
        .assert()
        .success();
    let out = vault.cmd().arg("list").output().unwrap();
    assert_error(&out, 3, "old key file after passwd");
    let out = vault
        .cmd_with_key(Unlock::Passphrase, &pass)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert_success(&out, "list with the new passphrase");
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "Mgmt API");
}

// ---------------------------------------------------------------------------
// Tampering with the file

const SEALED_COLUMNS: [&str; 4] = ["name", "service", "method", "fields"];

fn read_blob(vault: &TestVault, id: &str, column: &str) -> Vec<u8> {
    vault
        .db()
        .query_row(
            &format!("SELECT {column} FROM connections WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

fn write_blob(vault: &TestVault, id: &str, column: &str, blob: &[u8]) {
    let n = vault
        .db()
        .execute(
            &format!("UPDATE connections SET {column} = ?1 WHERE id = ?2"),
            rusqlite::params![blob, id],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn id_of(vault: &TestVault, name: &str) -> String {
    vault.list_entry(name)["id"].as_str().unwrap().to_owned()
}

/// `show NAME` must refuse with exit 4 and say why.
fn assert_show_integrity_error(vault: &TestVault, name: &str, what: &str) {
    let out = vault.cmd().args(["show", name]).output().unwrap();
    let stderr = assert_error(&out, 4, what);
    assert!(stderr.contains("integrity"), "{what}: {stderr}");
}

/// The listed row of `id`, which must be there.
fn listed(vault: &TestVault, id: &str) -> Value {
    vault
        .list_json()
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("id {id} missing from list --json"))
}

#[test]
fn a_flipped_byte_anywhere_in_a_sealed_value_is_detected() {
    let vault = TestVault::new();
    add_sample(&vault, "Victim");
    vault.add(
        "twilio",
        "Bystander",
        None,
        &[("account_sid", "AC0123456789abcdef0123456789abcdef")],
        &[("auth_token", "tok")],
    );
    let id = id_of(&vault, "Victim");

    for column in SEALED_COLUMNS {
        let original = read_blob(&vault, &id, column);
        let len = original.len();
        // Sealed layout: [format][key version: 4][nonce: 24][ciphertext][tag: 16].
        let positions = [0, 1, 4, 5, 17, 28, 29, len - 17, len - 16, len - 1];
        for pos in positions {
            let what = format!("{column} byte {pos} of {len}");
            let mut bad = original.clone();
            bad[pos] ^= 0x01;
            write_blob(&vault, &id, column, &bad);

            // The name is found by its keyed hash, so even with the sealed
            // name altered `show` reaches the row and reports the damage.
            assert_show_integrity_error(&vault, "Victim", &what);

            let row = listed(&vault, &id);
            assert_eq!(row["status"], "damaged", "{what}: {row}");
            let expected_name = if column == "name" {
                Value::Null
            } else {
                json!("Victim")
            };
            assert_eq!(row["name"], expected_name, "{what}: {row}");
            assert!(
                row["detail"].as_str().unwrap().contains("integrity"),
                "{what}: {row}"
            );

            // The rest of the vault stays usable.
            vault.cmd().args(["show", "Bystander"]).assert().success();
            let out = vault.cmd().arg("list").output().unwrap();
            assert_success(&out, &what);
            assert!(String::from_utf8_lossy(&out.stdout).contains("damaged"));
        }
        write_blob(&vault, &id, column, &original);
        vault.cmd().args(["show", "Victim"]).assert().success();
    }
}

#[test]
fn a_sealed_value_moved_to_another_row_or_column_is_detected() {
    let vault = TestVault::new();
    add_sample(&vault, "A");
    add_sample(&vault, "B");
    let (a, b) = (id_of(&vault, "A"), id_of(&vault, "B"));

    // Same service and shape: only the binding to the row can tell them apart.
    let b_fields = read_blob(&vault, &b, "fields");
    write_blob(&vault, &b, "fields", &read_blob(&vault, &a, "fields"));
    assert_show_integrity_error(&vault, "B", "A's fields in row B");
    assert_eq!(listed(&vault, &b)["status"], "damaged");
    vault.cmd().args(["show", "A"]).assert().success();
    write_blob(&vault, &b, "fields", &b_fields);

    write_blob(&vault, &a, "method", &read_blob(&vault, &a, "service"));
    assert_show_integrity_error(&vault, "A", "A's service in A's method");
    assert_eq!(listed(&vault, &a)["status"], "damaged");
    vault.cmd().args(["show", "B"]).assert().success();
}

#[test]
fn an_altered_key_slot_looks_like_a_wrong_passphrase() {
    let vault = TestVault::with_passphrase("correct horse battery");
    let wrong = vault.dir.path().join("wrong");
    common::write_private(&wrong, "incorrect horse\n");
    let out = vault
        .cmd_with_key(Unlock::Passphrase, &wrong)
        .arg("list")
        .output()
        .unwrap();
    let wrong_passphrase_message = assert_error(&out, 3, "wrong passphrase");

    let set_slot = |column: &str, value: i64| {
        vault
            .db()
            .execute(&format!("UPDATE key_slots SET {column} = ?1"), [value])
            .unwrap();
    };
    let (memory, iterations): (i64, i64) = vault
        .db()
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations FROM key_slots",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();

    // Plausible costs: the KDF runs, and the key it gives does not unwrap.
    for (column, value, original) in [
        ("kdf_iterations", iterations + 1, iterations),
        ("kdf_memory_kib", memory + 1024, memory),
    ] {
        set_slot(column, value);
        let out = vault.cmd().arg("list").output().unwrap();
        let stderr = assert_error(&out, 3, &format!("{column} = {value}"));
        assert_eq!(stderr, wrong_passphrase_message, "{column}");
        set_slot(column, original);
    }

    // Absurd costs are refused before the KDF would allocate or spin.
    for value in [1 << 40, i64::from(u32::MAX), 0, -1] {
        set_slot("kdf_memory_kib", value);
        let start = Instant::now();
        let out = vault.cmd().arg("list").output().unwrap();
        let stderr = assert_error(&out, 3, &format!("kdf_memory_kib = {value}"));
        assert_eq!(stderr, wrong_passphrase_message);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "kdf_memory_kib = {value} took {:?}",
            start.elapsed()
        );
    }
    set_slot("kdf_memory_kib", memory);
    vault.cmd().arg("list").assert().success();
}

#[test]

fn a_name_hash_moved_to_another_row_is_detected() {
    let vault = TestVault::new();
    add_sample(&vault, "A");
    vault.add("sendgrid", "B", None, &[], &[("api_key", "SG.b-secret")]);
    let (a, b) = (id_of(&vault, "A"), id_of(&vault, "B"));
    let hash = |id: &str| read_blob(&vault, id, "name_hash");
    let (hash_a, hash_b) = (hash(&a), hash(&b));
    // Swapped in three steps, as the column is UNIQUE.
    write_blob(&vault, &a, "name_hash", b"placeholder");
    write_blob(&vault, &b, "name_hash", &hash_a);
    write_blob(&vault, &a, "name_hash", &hash_b);

    // Otherwise `show A`, `rm A` or `edit A` silently act on B.
    assert_show_integrity_error(&vault, "A", "A's name hash on row B");
}

// ---------------------------------------------------------------------------
// Nothing readable on disk

/// Every file SQLite keeps for the vault, with its bytes.
fn vault_files(vault: &TestVault) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let path = format!("{}{suffix}", vault.path.display());
            std::fs::read(&path).ok().map(|bytes| (path, bytes))
        })
        .collect()
}

fn assert_nothing_readable(vault: &TestVault, needles: &[&str], when: &str) {
    let files = vault_files(vault);
    assert!(!files.is_empty());
    for (path, bytes) in files {
        for needle in needles {
            for form in [needle.to_string(), needle.to_lowercase()] {
                let found = bytes.windows(form.len()).any(|w| w == form.as_bytes());
                assert!(!found, "{when}: {form:?} is readable in {path}");
            }
        }
    }
}

#[test]
fn nothing_typed_is_readable_in_the_vault_files() {
    let vault = TestVault::new();
    // Holding a connection open keeps the other processes from checkpointing
    // and deleting the write-ahead log, so fresh writes are still in it.
    let holder = vault.db();
    let _: i64 = holder
        .query_row("SELECT count(*) FROM connections", [], |r| r.get(0))
        .unwrap();

    vault.add(
        "auth0",
        "CANARY-NAME-7f3a",
        None,
        &[
            ("domain", "canary-domain-3c1e.eu.auth0.com"),
            ("client_id", "CANARY-CLIENTID-91b2"),
        ],
        &[("client_secret", "CANARY-SECRET-55cd")],
    );
    vault.add(
        "twilio",
        "CANARY-NAME-b8e0",
        None,
        &[("account_sid", "AC0123456789abcdef0123456789abcdef")],
        &[("auth_token", "CANARY-SECRET-a9d4")],
    );
    vault
        .cmd()
        .args(["rename", "CANARY-NAME-b8e0", "CANARY-RENAMED-2d6f"])
        .assert()
        .success();
    vault
        .cmd()
        .args(["edit", "CANARY-NAME-7f3a", "--secrets-stdin"])
        .write_stdin("client_secret=CANARY-SECRET-EDITED-e4f1\n")
        .assert()
        .success();

    let needles = [
        "CANARY",
        "canary-domain-3c1e",
        "AC0123456789abcdef0123456789abcdef",
        "auth0",
        "twilio",
        "client_credentials",
        "auth_token",
        "client_secret",
    ];
    assert!(
        Path::new(&format!("{}-wal", vault.path.display())).exists(),
        "the write-ahead log is still there while a handle is open"
    );
    assert_nothing_readable(&vault, &needles, "with a handle open");
    drop(holder);
    vault.cmd().arg("list").assert().success();
    assert_nothing_readable(&vault, &needles, "after every handle closed");
}

// ---------------------------------------------------------------------------
// Exit codes

#[test]
fn usage_errors_exit_2_with_one_error_line() {
    let vault = TestVault::new();
    add_sample(&vault, "Mgmt API");

    let out = vault
        .cmd()
        .args(["add", "nosuchservice", "X", "--secrets-stdin"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "unknown service");
    assert!(stderr.contains("nosuchservice"), "{stderr}");

    let out = vault
        .cmd()
        .args(["add", "http", "X", "--method", "carrier_pigeon"])
        .output()
        .unwrap();
    assert_error(&out, 2, "unknown method");

    // Names are unique whatever their case and spacing.
    for dup in ["Mgmt API", "mgmt  api", " MGMT API "] {
        let out = vault.try_add(
            "auth0",
            dup,
            None,
            &[("domain", "tenant.eu.auth0.com"), ("client_id", "cid")],
            &[("client_secret", "s")],
        );
        assert_error(&out, 2, &format!("duplicate name {dup:?}"));
    }

    let out = vault.try_add(
        "auth0",
        "Bad domain",
        None,
        &[("domain", "not a domain"), ("client_id", "cid")],
        &[("client_secret", "s")],
    );
    let stderr = assert_error(&out, 2, "invalid field");
    assert!(stderr.contains("Tenant Domain"), "{stderr}");

    let out = vault.cmd().args(["--bogus", "list"]).output().unwrap();
    assert_error(&out, 2, "unknown option");

    assert_eq!(vault.list_json().len(), 1, "no failed add left anything");
}

#[test]
fn a_secret_on_the_command_line_is_refused_without_echoing_it() {
    let vault = TestVault::new();
    let secret = "TOPSECRET-8c2d-value";
    let out = vault
        .cmd()
        .args([
            "add",
            "auth0",
            "X",
            "--set=domain=tenant.eu.auth0.com",
            "--set=client_id=cid",
        ])
        .arg(format!("--set=client_secret={secret}"))
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "secret via --set");
    assert!(!stderr.contains(secret), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));

    add_sample(&vault, "Y");
    let out = vault
        .cmd()
        .args(["edit", "Y"])
        .arg(format!("--set=client_secret={secret}"))
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "secret via edit --set");
    assert!(!stderr.contains(secret), "{stderr}");
    assert_eq!(
        vault.show_json("Y", true)["fields"]["client_secret"],
        "the-secret"
    );
}

#[test]

fn a_bad_stdin_line_never_echoes_what_may_be_a_secret() {
    let vault = TestVault::new();
    // A pasted base64 secret without its `KEY=`: the text before the first
    // `=` is most of the secret.
    let secret = "dGhpcy1pcy1hLXNlY3JldA==";
    let out = vault
        .cmd()
        .args(["add", "sendgrid", "sg", "--secrets-stdin"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "stdin line without a key");
    assert!(!stderr.contains(&secret[..16]), "{stderr}");
}

#[test]
fn missing_things_exit_5() {
    let vault = TestVault::new();
    for args in [
        &["show", "Nope"][..],
        &["edit", "Nope", "--set=client_id=x"],
        &["rename", "Nope", "Other"],
        &["rm", "Nope"],
    ] {
        let out = vault.cmd().args(args).output().unwrap();
        assert_error(&out, 5, &format!("{args:?}"));
    }
}

#[test]
fn init_never_overwrites_an_existing_vault() {
    let vault = TestVault::new();
    add_sample(&vault, "Mgmt API");
    let before = vault.bytes();
    let key_before = std::fs::read(&vault.key).unwrap();
    let other_key = vault.dir.path().join("other-key");

    let out = bare_cmd()
        .arg("--vault")
        .arg(&vault.path)
        .arg("init")
        .arg("--new-key-file")
        .arg(&other_key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
    assert!(before == vault.bytes(), "the vault was changed");
    assert!(!other_key.exists(), "a key for nothing was left behind");

    // Nor is an existing key file replaced by a new vault's key.
    let out = bare_cmd()
        .arg("--vault")
        .arg(vault.dir.path().join("second.db"))
        .arg("init")
        .arg("--new-key-file")
        .arg(&vault.key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&vault.key).unwrap(), key_before);
    assert!(!vault.dir.path().join("second.db").exists());
    assert_eq!(vault.list_json().len(), 1);
}

// ---------------------------------------------------------------------------
// Files

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn init_creates_private_folders_and_files() {
    let dir = tempfile::TempDir::new().unwrap();
    let parent = dir.path().join("new").join("folder");
    let path = parent.join("vault.db");
    let key = dir.path().join("key");
    bare_cmd()
        .arg("--vault")
        .arg(&path)
        .arg("init")
        .arg("--new-key-file")
        .arg(&key)
        .assert()
        .success();
    assert_eq!(mode(&path), 0o600, "vault file");
    assert_eq!(mode(&key), 0o600, "key file");
    assert_eq!(mode(&parent), 0o700, "new folder");
    assert_eq!(mode(parent.parent().unwrap()), 0o700, "new folder above");
}

#[test]
fn a_vault_readable_by_others_is_refused() {
    let vault = TestVault::new();
    std::fs::set_permissions(&vault.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = vault.cmd().arg("list").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(
        stderr.contains("chmod") || stderr.contains("mode"),
        "says how to fix it: {stderr}"
    );
    std::fs::set_permissions(&vault.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    vault.cmd().arg("list").assert().success();
}

#[test]
fn a_vault_path_that_is_a_symlink_is_refused() {
    let vault = TestVault::new();
    let link = vault.dir.path().join("link.db");
    std::os::unix::fs::symlink(&vault.path, &link).unwrap();
    let out = bare_cmd()
        .arg("--vault")
        .arg(&link)
        .arg("--key-file")
        .arg(&vault.key)
        .arg("list")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Rename and remove

#[test]
fn rename_moves_the_name_and_rm_removes_the_connection() {
    let vault = TestVault::new();
    add_sample(&vault, "Old name");
    add_sample(&vault, "Taken");
    let id = id_of(&vault, "Old name");

    let out = vault
        .cmd()
        .args(["rename", "Old name", "taken"])
        .output()
        .unwrap();
    assert_error(&out, 2, "rename onto another connection's name");

    vault
        .cmd()
        .args(["rename", "Old name", "New name"])
        .assert()
        .success();
    let shown = vault.show_json("new NAME", true);
    assert_eq!(shown["name"], "New name");
    assert_eq!(shown["id"], id.as_str(), "the same connection, renamed");
    assert_eq!(shown["fields"]["client_secret"], "the-secret");
    let out = vault.cmd().args(["show", "Old name"]).output().unwrap();
    assert_error(&out, 5, "show the old name");

    vault
        .cmd()
        .args(["rm", "New name", "--yes"])
        .assert()
        .success();
    let out = vault.cmd().args(["show", "New name"]).output().unwrap();
    assert_error(&out, 5, "show after rm");
    let names: Vec<_> = vault
        .list_json()
        .into_iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, [json!("Taken")]);
}

#[test]
fn another_sqlite_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("other.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
        .unwrap();
    drop(db);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let key = dir.path().join("key");
    common::write_private(&key, [7u8; 32]);
    let out = common::bare_cmd()
        .arg("--vault")
        .arg(&path)
        .arg("--key-file")
        .arg(&key)
        .arg("list")
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "list on a non-vault SQLite file");
    assert!(stderr.contains("not a flowvault vault"), "{stderr}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is untouched (still not WAL)"
    );
}

#[test]
fn adding_a_taken_name_says_so_before_any_missing_field() {
    let vault = TestVault::new();
    add_sample(&vault, "Taken");
    // No fields at all: the name is what is wrong, not the fields.
    let out = vault.try_add("twilio", "  taken ", None, &[], &[]);
    let stderr = assert_error(&out, 2, "add a taken name");
    assert!(
        stderr.contains("a connection named “taken” already exists"),
        "{stderr}"
    );
    assert!(!stderr.contains("missing"), "{stderr}");
}
