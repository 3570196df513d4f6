//! No silent loss, no silent rollback: record versions, row tags, the sealed
//! whole-vault digest, `verify` and `rekey`, on real vault files.

mod common;

use std::process::Stdio;

use common::{TestVault, Unlock, assert_error, assert_success, stdin_lines};
use rusqlite::params;
use serde_json::Value;

fn add_auth0(vault: &TestVault, name: &str, secret: &str) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", "tenant.eu.auth0.com"), ("client_id", "abc123")],
        &[("client_secret", secret)],
    );
}

fn id_of(vault: &TestVault, name: &str) -> String {
    vault.list_entry(name)["id"].as_str().unwrap().to_owned()
}

fn edit_secret(vault: &TestVault, name: &str, secret: &str) -> std::process::Output {
    vault
        .cmd()
        .args(["edit", name, "--secrets-stdin"])
        .write_stdin(stdin_lines(&[("client_secret", secret)]))
        .output()
        .unwrap()
}

/// Every column of one connection row, to put back later.
fn row_values(vault: &TestVault, id: &str) -> Vec<rusqlite::types::Value> {
    let db = vault.db();
    let mut stmt = db
        .prepare("SELECT * FROM connections WHERE id = ?1")
        .unwrap();
    let n = stmt.column_count();
    stmt.query_row([id], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
}

fn put_row_back(vault: &TestVault, values: &[rusqlite::types::Value]) {
    let db = vault.db();
    let marks = vec!["?"; values.len()].join(", ");
    db.execute(
        &format!("INSERT OR REPLACE INTO connections VALUES ({marks})"),
        rusqlite::params_from_iter(values),
    )
    .unwrap();
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_old_sealed_secret_put_back_after_an_edit_is_refused() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "old-secret-canary");
    let id = id_of(&vault, "Mgmt API");
    let old_fields: Vec<u8> = vault
        .db()
        .query_row("SELECT fields FROM connections WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_success(&edit_secret(&vault, "Mgmt API", "new-secret"), "edit");

    vault
        .db()
        .execute(
            "UPDATE connections SET fields = ?1 WHERE id = ?2",
            params![old_fields, id],
        )
        .unwrap();

    let out = vault
        .cmd()
        .args(["show", "Mgmt API", "--reveal"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 4, "show after a rollback of fields");
    assert!(stderr.contains("integrity"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("old-secret-canary"));
    assert_eq!(vault.list_entry("Mgmt API")["status"], "damaged");
}

#[test]
fn a_whole_row_put_back_with_its_tag_and_version_is_reported() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "old-secret");
    add_auth0(&vault, "Other", "other-secret");
    let id = id_of(&vault, "Mgmt API");
    let other = id_of(&vault, "Other");
    let before = row_values(&vault, &id);
    assert_success(&edit_secret(&vault, "Mgmt API", "new-secret"), "edit");

    put_row_back(&vault, &before);

    let refused: &[&[&str]] = &[
        &["list"],
        &["show", "Mgmt API", "--reveal"],
        &["token", "Mgmt API"],
        &["edit", "Mgmt API", "--secrets-stdin"],
        &["rm", "Mgmt API", "--force", "--yes"],
        &["verify"],
    ];
    for args in refused {
        let out = vault.cmd().args(*args).output().unwrap();
        let stderr = assert_error(&out, 4, &format!("{args:?} after a row rollback"));
        assert!(
            stderr.contains("altered outside flowvault")
                && stderr.contains("connection(s) replaced by older copies"),
            "{stderr}"
        );
        assert!(!stderr.contains("old-secret"), "{stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("old-secret"));
    }
    // A command about another connection checks that connection's bucket of
    // the digest (ids by their first two hex digits), and goes on unless
    // the rolled-back row shares it.
    let out = vault.cmd().args(["show", "Other"]).output().unwrap();
    if other[..2] == id[..2] {
        assert_error(&out, 4, "show Other, in the rolled-back row's bucket");
    } else {
        assert_success(&out, "show Other, in another bucket");
    }
}

/// A vault file and its write-ahead log as they are on disk, put back
/// together: the log holds the latest commits, and a log left beside a file
/// it does not belong to would be applied to it.
struct SavedFiles {
    path: std::path::PathBuf,
    file: Vec<u8>,
    log: Option<Vec<u8>>,
}

impl SavedFiles {
    fn wal(path: &std::path::Path) -> std::path::PathBuf {
        format!("{}-wal", path.display()).into()
    }

    fn of(path: &std::path::Path) -> SavedFiles {
        SavedFiles {
            path: path.to_owned(),
            file: std::fs::read(path).unwrap(),
            log: std::fs::read(Self::wal(path)).ok(),
        }
    }

    fn restore(&self) {
        std::fs::write(&self.path, &self.file).unwrap();
        match &self.log {
            Some(log) => std::fs::write(Self::wal(&self.path), log).unwrap(),
            None => {
                let _ = std::fs::remove_file(Self::wal(&self.path));
            }
        }
        // The shared-memory index is rebuilt from the log.
        let _ = std::fs::remove_file(format!("{}-shm", self.path.display()));
    }
}

/// Connections added until two have ids in different digest buckets.
fn two_in_different_buckets(vault: &TestVault) -> (String, String) {
    add_auth0(vault, "First", "s0");
    let first = id_of(vault, "First");
    for i in 1.. {
        let name = format!("Second {i}");
        add_auth0(vault, &name, "s1");
        let id = id_of(vault, &name);
        if id[..2] != first[..2] {
            return (name, id);
        }
    }
    unreachable!()
}

#[test]
fn a_command_about_one_connection_checks_its_own_bucket_and_a_list_checks_every_row() {
    let vault = TestVault::new();
    let (second, second_id) = two_in_different_buckets(&vault);
    vault
        .db()
        .execute("DELETE FROM connections WHERE id = ?1", [&second_id])
        .unwrap();

    // "First" is intact and its bucket untouched: it is shown, its secret
    // can be changed, and the change is kept.
    let out = vault
        .cmd()
        .args(["show", "First", "--reveal"])
        .output()
        .unwrap();
    assert_success(&out, "show First");
    assert!(String::from_utf8_lossy(&out.stdout).contains("s0"));
    assert_success(&edit_secret(&vault, "First", "s0-rotated"), "edit First");

    // The removal is reported by every read of the whole vault, the edit
    // above notwithstanding.
    for args in [&["list"][..], &["verify"], &["flows", "list"]] {
        let out = vault.cmd().args(args).output().unwrap();
        let stderr = assert_error(&out, 4, &format!("{args:?} after a removed row"));
        assert!(
            stderr.contains("1 connection(s) removed"),
            "{args:?}: {stderr}"
        );
    }
    // A name no row has: the whole vault is checked, and the removal is
    // what is reported, not "not found".
    let out = vault.cmd().args(["show", &second]).output().unwrap();
    let stderr = assert_error(&out, 4, "show of the removed connection");
    assert!(stderr.contains("1 connection(s) removed"), "{stderr}");

    let out = vault.cmd().args(["verify", "--accept"]).output().unwrap();
    assert_success(&out, "verify --accept");
    let rows = vault.list_json();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        vault.show_json("First", true)["fields"]["client_secret"],
        "s0-rotated"
    );
}

#[test]
fn a_removed_row_is_reported_and_verify_accept_recovers() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "s1");
    add_auth0(&vault, "Other", "s2");
    let id = id_of(&vault, "Other");
    vault
        .db()
        .execute("DELETE FROM connections WHERE id = ?1", [&id])
        .unwrap();

    let out = vault.cmd().args(["list"]).output().unwrap();
    let stderr = assert_error(&out, 4, "list after a deleted row");
    assert!(stderr.contains("1 connection(s) removed"), "{stderr}");
    let out = vault.cmd().args(["verify"]).output().unwrap();
    assert_error(&out, 4, "verify after a deleted row");

    // The operator read the report and accepts the file as it is.
    let out = vault.cmd().args(["verify", "--accept"]).output().unwrap();
    assert_success(&out, "verify --accept");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 connection(s) removed"),
        "says what it accepted"
    );
    let rows = vault.list_json();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "Mgmt API");
    let out = vault.cmd().args(["verify"]).output().unwrap();
    assert_success(&out, "verify after accepting");
}

#[test]
fn a_row_inserted_from_an_older_copy_is_reported() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "s1");
    add_auth0(&vault, "Gone", "s2");
    let id = id_of(&vault, "Gone");
    let gone = row_values(&vault, &id);
    assert_success(
        &vault.cmd().args(["rm", "Gone", "--yes"]).output().unwrap(),
        "rm Gone",
    );

    put_row_back(&vault, &gone);

    let out = vault.cmd().args(["list"]).output().unwrap();
    let stderr = assert_error(&out, 4, "list after a re-inserted row");
    assert!(stderr.contains("1 connection(s) added"), "{stderr}");
}

/// A vault with a Twilio connection "SMS" used by action 1 of the flow "Onboarding".
fn vault_with_sms_flow() -> TestVault {
    let vault = TestVault::new();
    vault.add(
        "twilio",
        "SMS",
        None,
        &[("account_sid", "AC0123456789abcdef0123456789abcdef")],
        &[("auth_token", "tok")],
    );
    for args in [
        &["flows", "add", "Onboarding"][..],
        &[
            "flows",
            "add-action",
            "Onboarding",
            "twilio.send_sms",
            "--connection",
            "SMS",
            "--set",
            "to=+14155550100",
            "--set",
            "from=+14155550199",
            "--set",
            "body=hi",
        ],
    ] {
        assert_success(&vault.cmd().args(args).output().unwrap(), "flow setup");
    }
    vault
}

#[test]
fn a_flow_step_whose_connection_was_cleared_behind_our_back_is_damaged() {
    let vault = vault_with_sms_flow();
    vault
        .db()
        .execute("UPDATE flow_steps SET connection_id = NULL", [])
        .unwrap();

    let out = vault
        .cmd()
        .args(["run", "Onboarding", "--dry-run"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 4, "run after a cleared connection");
    assert!(stderr.contains("integrity"), "{stderr}");
}

#[test]
fn rm_force_still_clears_the_steps_that_used_the_connection() {
    let vault = vault_with_sms_flow();
    for args in [&["rm", "SMS", "--force", "--yes"][..], &["verify"]] {
        assert_success(
            &vault.cmd().args(args).output().unwrap(),
            &format!("{args:?}"),
        );
    }
    let out = vault
        .cmd()
        .args(["flows", "list", "--json"])
        .output()
        .unwrap();
    assert_success(&out, "flows list");
    let flows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = flows.to_string();
    assert!(!text.contains("\"damaged\":true"), "{text}");
}

#[test]
fn a_planted_lease_far_in_the_future_does_not_mark_a_connection_renewing() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "s1");
    let id = id_of(&vault, "Mgmt API");
    vault
        .db()
        .execute(
            "INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES (?1, 'evil', 4102444800)",
            [&id],
        )
        .unwrap();
    let entry = vault.list_entry("Mgmt API");
    assert_ne!(entry["status"], "refreshing", "{entry}");
}

#[test]
fn concurrent_edits_never_lose_a_change_silently() {
    let vault = TestVault::new();
    vault.add(
        "http",
        "API",
        Some("basic"),
        &[("username", "u0")],
        &[("password", "p0")],
    );
    let mut conflicts = 0;
    for round in 0..50 {
        let user = format!("user-{round}");
        let pass = format!("pass-{round}");
        let spawn = |args: &[&str], stdin: Option<String>| {
            let mut cmd = std::process::Command::new(common::BIN);
            common::isolate(&mut cmd);
            cmd.arg("--vault")
                .arg(&vault.path)
                .arg("--key-file")
                .arg(&vault.key)
                .args(args)
                .stdin(if stdin.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            if let Some(text) = stdin {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
            }
            child
        };
        let a = spawn(&["edit", "API", "--set", &format!("username={user}")], None);
        let b = spawn(
            &["edit", "API", "--secrets-stdin"],
            Some(format!("password={pass}\n")),
        );
        let a = a.wait_with_output().unwrap();
        let b = b.wait_with_output().unwrap();
        let shown = vault.show_json("API", true);
        let fields = &shown["fields"];
        for (out, key, value) in [(&a, "username", &user), (&b, "password", &pass)] {
            if out.status.success() {
                assert_eq!(fields[key], value.as_str(), "round {round}: {key} lost");
            } else {
                let stderr = stderr_of(out);
                assert_eq!(out.status.code(), Some(1), "round {round}: {stderr}");
                assert!(
                    stderr.contains("changed by another process") && stderr.contains("nothing"),
                    "round {round}: {stderr}"
                );
                conflicts += 1;
            }
        }
    }
    eprintln!("{conflicts} conflicts in 50 rounds");
}

#[test]
fn rekey_stops_an_old_key_slot_from_opening_new_secrets() {
    let vault = TestVault::new();
    add_auth0(&vault, "Before", "before-secret");
    let old_slot: Vec<rusqlite::types::Value> = {
        let db = vault.db();
        let mut stmt = db.prepare("SELECT * FROM key_slots").unwrap();
        let n = stmt.column_count();
        stmt.query_row([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
    };
    let splice_old_slot = || {
        let db = vault.db();
        db.execute("DELETE FROM key_slots", []).unwrap();
        let marks = vec!["?"; old_slot.len()].join(", ");
        db.execute(
            &format!("INSERT INTO key_slots VALUES ({marks})"),
            rusqlite::params_from_iter(&old_slot),
        )
        .unwrap();
    };
    let new_key = vault.dir.path().join("new-key");
    let out = vault
        .cmd()
        .arg("passwd")
        .arg("--new-key-file")
        .arg(&new_key)
        .output()
        .unwrap();
    assert_success(&out, "passwd");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("data key is unchanged"),
        "passwd says what it does not do"
    );
    let with_new = || vault.cmd_with_key(Unlock::KeyFile, &new_key);
    assert_success(
        &with_new()
            .args([
                "add",
                "auth0",
                "After passwd",
                "--set",
                "domain=t.eu.auth0.com",
            ])
            .args(["--set", "client_id=x", "--secrets-stdin"])
            .write_stdin("client_secret=after-passwd-secret\n")
            .output()
            .unwrap(),
        "add after passwd",
    );

    // Before rekey: the old key file plus the old slot still read new secrets.
    let saved = SavedFiles::of(&vault.path);
    splice_old_slot();
    assert_eq!(
        vault.show_json("After passwd", true)["fields"]["client_secret"],
        "after-passwd-secret"
    );
    saved.restore();

    let out = with_new().arg("rekey").output().unwrap();
    assert_success(&out, "rekey");
    assert_success(
        &with_new()
            .args([
                "add",
                "auth0",
                "After rekey",
                "--set",
                "domain=t.eu.auth0.com",
            ])
            .args(["--set", "client_id=x", "--secrets-stdin"])
            .write_stdin("client_secret=after-rekey-secret\n")
            .output()
            .unwrap(),
        "add after rekey",
    );
    // Everything is still there with the current key.
    let out = with_new()
        .args(["show", "Before", "--json", "--reveal"])
        .output()
        .unwrap();
    assert_success(&out, "show after rekey");
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["fields"]["client_secret"], "before-secret");

    // After rekey: the old slot opens nothing.
    splice_old_slot();
    for name in ["After rekey", "Before"] {
        let out = vault
            .cmd()
            .args(["show", name, "--reveal"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "old slot opened {name}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr_of(&out)
        );
        assert!(!all.contains("secret"), "{all}");
    }
}

#[test]
fn a_killed_rekey_leaves_a_vault_that_opens() {
    let vault = TestVault::new();
    let names: Vec<String> = (0..300).map(|i| format!("Conn {i:03}")).collect();
    for name in &names {
        vault.add(
            "sendgrid",
            name,
            None,
            &[],
            &[("api_key", &format!("SG.key-{name}"))],
        );
    }
    for (round, delay_ms) in [5u64, 20, 40, 80, 160].into_iter().enumerate() {
        let mut cmd = std::process::Command::new(common::BIN);
        common::isolate(&mut cmd);
        let mut child = cmd
            .arg("--vault")
            .arg(&vault.path)
            .arg("--key-file")
            .arg(&vault.key)
            .arg("rekey")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let rows = vault.list_json();
        assert_eq!(rows.len(), 300, "round {round}");
        assert!(
            rows.iter().all(|r| r["status"] == "ready"),
            "round {round}: every connection intact"
        );
        assert_eq!(
            vault.show_json("Conn 150", true)["fields"]["api_key"],
            "SG.key-Conn 150"
        );
    }
}

#[test]
fn a_conflict_says_nothing_was_saved_and_exits_1() {
    // Two handles of the library, as two processes would have.
    use flowvault::vault::{UnlockKey, Vault, VaultError, VaultStore};
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "s1");
    let key = UnlockKey::read_key_file(&vault.key).unwrap();
    let mut first = Vault::open(&vault.path, &key).unwrap();
    let mut second = Vault::open(&vault.path, &key).unwrap();
    let mut a = first.connection("Mgmt API").unwrap();
    let mut b = second.connection("Mgmt API").unwrap();
    a.fields.set("client_id", "from-a");
    b.fields.set("client_id", "from-b");
    let version = first.update_connection(&a).unwrap();
    assert_eq!(version, a.version + 1);
    match second.update_connection(&b) {
        Err(VaultError::Conflict(name)) => assert_eq!(name, "Mgmt API"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        second
            .connection("Mgmt API")
            .unwrap()
            .fields
            .get("client_id"),
        Some("from-a")
    );
}

#[test]
fn altered_buckets_are_set_aside_and_made_again_while_every_row_is_still_checked() {
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt API", "s1");
    add_auth0(&vault, "Other", "s2");
    vault
        .db()
        .execute("UPDATE vault_meta SET buckets = X'00'", [])
        .unwrap();
    // The buckets no longer match the digest's hash: the vault still opens,
    // one-record commands check every row instead, and the next unlock
    // that finds the rows intact seals new buckets.
    assert_success(
        &vault.cmd().args(["show", "Mgmt API"]).output().unwrap(),
        "show with altered buckets",
    );
    let buckets: Vec<u8> = vault
        .db()
        .query_row("SELECT buckets FROM vault_meta", [], |r| r.get(0))
        .unwrap();
    assert!(buckets.len() > 1000, "made again: {} bytes", buckets.len());

    // With the buckets set aside again, a removed row is still reported.
    let other = id_of(&vault, "Other");
    let db = vault.db();
    db.execute("UPDATE vault_meta SET buckets = NULL", [])
        .unwrap();
    db.execute("DELETE FROM connections WHERE id = ?1", [&other])
        .unwrap();
    drop(db);
    let out = vault.cmd().args(["show", "Mgmt API"]).output().unwrap();
    let stderr = assert_error(&out, 4, "show after a removal, buckets set aside");
    assert!(stderr.contains("1 connection(s) removed"), "{stderr}");
}
