//! Vaults written by earlier releases open in this build with every
//! connection, token, renewal state and flow as it was.
//!
//! - `tests/fixtures/vault-0.3/` was made by the 0.3 binary (schema 3, before
//!   versions, row tags and the integrity digest): four connections (one with
//!   a token, one whose renewal was refused, one empty), a flow of three
//!   actions and an empty flow; `list.json`, `flows.json` and `show.json` are
//!   what 0.3 printed for it. It is protected from then on.
//! - `tests/fixtures/vault-0.5/` was made by the 0.5 binary (schema 6, with the
//!   audit trail): the same kinds of records plus a bearer-token connection,
//!   and `audit.json`, the trail 0.5 printed.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{TestVault, Unlock, assert_error, assert_success};
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-0.3");
const FIXTURE_0_5: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-0.5");

/// The 0.3 fixture copied into a private temporary folder.
fn old_vault() -> TestVault {
    fixture_vault(FIXTURE)
}

/// A fixture copied into a private temporary folder, as a user would have it.
fn fixture_vault(fixture: &str) -> TestVault {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = dir.path().join("vault.db");
    let key = dir.path().join("key");
    for (from, to) in [("vault.db", &path), ("key", &key)] {
        std::fs::copy(Path::new(fixture).join(from), to).unwrap();
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    TestVault {
        dir,
        path,
        key,
        unlock: Unlock::KeyFile,
    }
}

fn fixture_json(name: &str) -> Value {
    json_file(FIXTURE, name)
}

fn json_file(fixture: &str, name: &str) -> Value {
    let path: PathBuf = Path::new(fixture).join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Drops what depends on the day the test runs ("token expires in 3649d").
fn without_detail(mut value: Value) -> Value {
    match &mut value {
        Value::Array(items) => items.iter_mut().for_each(|v| *v = without_detail(v.take())),
        Value::Object(map) => {
            // Both say the time left or the failure of the moment; the
            // fixtures predate `detail_code`.
            map.remove("detail");
            map.remove("detail_code");
        }
        _ => {}
    }
    value
}

fn json_of(vault: &TestVault, args: &[&str]) -> Value {
    let out = vault.cmd().args(args).output().unwrap();
    assert_success(&out, &format!("{args:?}"));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_record_of_a_0_3_vault_survives_the_migration() {
    let vault = old_vault();
    assert_eq!(
        without_detail(json_of(&vault, &["list", "--json"])),
        without_detail(fixture_json("list.json"))
    );
    assert_eq!(
        without_detail(json_of(&vault, &["show", "Mgmt API", "--reveal", "--json"])),
        without_detail(fixture_json("show.json"))
    );
    assert_eq!(
        json_of(&vault, &["flows", "list", "--json"]),
        fixture_json("flows.json")
    );
    // The cached token is still there: no server is needed to print it.
    let out = vault.cmd().args(["token", "Mgmt API"]).output().unwrap();
    assert_success(&out, "token");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "fixture-access-token-0123456789"
    );
    let refused = vault.list_entry("Refusé");
    assert_eq!(refused["status"], "failed");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("invalid_client"),
        "{refused}"
    );
    assert_success(&vault.cmd().arg("verify").output().unwrap(), "verify");
}

#[test]
fn a_migrated_vault_is_tagged_and_guarded_from_then_on() {
    let vault = old_vault();
    vault.list_json();
    let db = vault.db();
    let schema: i64 = db
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(schema, 7, "every migration, up to the integrity buckets");
    assert!(
        has_buckets(&vault),
        "the buckets are made once the rows match"
    );
    for table in [
        "connections",
        "tokens",
        "refresh_state",
        "flows",
        "flow_steps",
    ] {
        let untagged: i64 = db
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE tag IS NULL"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(untagged, 0, "{table}");
    }
    db.execute("DELETE FROM flow_steps WHERE position = 2", [])
        .unwrap();
    drop(db);
    let out = vault.cmd().arg("list").output().unwrap();
    let stderr = assert_error(&out, 4, "list after removing a step");
    assert!(stderr.contains("1 flow action(s) removed"), "{stderr}");
}

#[test]
fn a_0_3_vault_can_be_edited_and_rekeyed() {
    let vault = old_vault();
    let out = vault
        .cmd()
        .args(["edit", "本番 Twilio", "--secrets-stdin"])
        .write_stdin("auth_token=rotated\n")
        .output()
        .unwrap();
    assert_success(&out, "edit");
    assert_success(&vault.cmd().arg("rekey").output().unwrap(), "rekey");
    let shown = vault.show_json("本番 Twilio", true);
    assert_eq!(shown["fields"]["auth_token"], "rotated");
    assert_eq!(
        json_of(&vault, &["flows", "list", "--json"]),
        fixture_json("flows.json")
    );
}

#[test]
fn a_migrated_vault_starts_an_empty_audit_trail_and_records_from_then_on() {
    let vault = old_vault();
    let out = vault.cmd().args(["audit", "--verify"]).output().unwrap();
    assert_success(&out, "audit --verify of a migrated vault");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "audit trail intact: 0 entries"
    );
    let out = vault
        .cmd()
        .args(["rename", "Mgmt API", "Management API"])
        .output()
        .unwrap();
    assert_success(&out, "rename");
    let entries = json_of(&vault, &["audit", "--json"]);
    assert_eq!(entries[0]["action"], "rename");
    assert_eq!(entries[0]["target"]["name"], "Management API");
    let out = vault.cmd().args(["audit", "--verify"]).output().unwrap();
    assert_success(&out, "audit --verify after a rename");
    // Removing the trail with its head is not taken for a vault never migrated.
    vault
        .db()
        .execute_batch("DELETE FROM audit; UPDATE vault_meta SET audit_head = NULL;")
        .unwrap();
    let out = vault.cmd().args(["audit", "--verify"]).output().unwrap();
    assert_error(&out, 1, "audit --verify without its head");
}

#[test]
fn every_record_of_a_0_5_vault_survives_the_migration() {
    let vault = fixture_vault(FIXTURE_0_5);
    assert_eq!(
        without_detail(json_of(&vault, &["list", "--json"])),
        without_detail(json_file(FIXTURE_0_5, "list.json"))
    );
    assert_eq!(
        json_of(&vault, &["flows", "list", "--json"]),
        json_file(FIXTURE_0_5, "flows.json")
    );
    // The trail as 0.5 left it comes first; what this test does follows it.
    let trail = json_of(&vault, &["audit", "--json"]);
    let old_trail = json_file(FIXTURE_0_5, "audit.json");
    let old_len = old_trail.as_array().unwrap().len();
    assert_eq!(
        trail.as_array().unwrap()[..old_len],
        old_trail.as_array().unwrap()[..]
    );

    assert_eq!(
        without_detail(json_of(&vault, &["show", "Mgmt API", "--reveal", "--json"])),
        without_detail(json_file(FIXTURE_0_5, "show.json"))
    );
    let bearer = vault.show_json("Bearer API", true);
    assert_eq!(bearer["fields"]["token"], "bearer-token-0123", "{bearer}");
    assert_eq!(bearer["method"], "bearer", "{bearer}");
    let twilio = vault.show_json("本番 Twilio", true);
    assert_eq!(
        twilio["fields"]["auth_token"], "fedcba9876543210fedcba9876543210",
        "the edited value, not the first one: {twilio}"
    );
    // The cached token is still there: no server is needed to print it.
    let out = vault.cmd().args(["token", "Mgmt API"]).output().unwrap();
    assert_success(&out, "token");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "fixture-access-token-0-5"
    );
    let refused = vault.list_entry("Refusé");
    assert_eq!(refused["status"], "failed");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("invalid_client"), "{refused}");
    assert_eq!(vault.list_entry("Empty mail")["missing"][0], "api_key");

    assert_success(&vault.cmd().arg("verify").output().unwrap(), "verify");
    let out = vault.cmd().args(["audit", "--verify"]).output().unwrap();
    assert_success(&out, "audit --verify of a migrated 0.5 vault");
    assert!(
        has_buckets(&vault),
        "a one-record command checks its bucket from now on"
    );
    // Reading it again changes nothing: the migration ran once.
    assert_eq!(
        without_detail(json_of(&vault, &["list", "--json"])),
        without_detail(json_file(FIXTURE_0_5, "list.json"))
    );
}

#[test]
fn a_0_5_vault_can_be_edited_renamed_and_rekeyed_after_the_migration() {
    let vault = fixture_vault(FIXTURE_0_5);
    let out = vault
        .cmd()
        .args(["edit", "Bearer API", "--secrets-stdin"])
        .write_stdin("token=rotated-bearer\n")
        .output()
        .unwrap();
    assert_success(&out, "edit");
    let out = vault
        .cmd()
        .args(["rename", "Empty mail", "Mail"])
        .output()
        .unwrap();
    assert_success(&out, "rename");
    assert_success(&vault.cmd().arg("rekey").output().unwrap(), "rekey");
    assert_eq!(
        vault.show_json("Bearer API", true)["fields"]["token"],
        "rotated-bearer"
    );
    assert_eq!(vault.list_entry("Mail")["status"], "empty");
    assert_eq!(
        json_of(&vault, &["flows", "list", "--json"]),
        json_file(FIXTURE_0_5, "flows.json")
    );
    let out = vault.cmd().args(["token", "Mgmt API"]).output().unwrap();
    assert_success(&out, "token after rekey");
    assert_success(&vault.cmd().arg("verify").output().unwrap(), "verify");
}

#[test]
fn a_tampered_0_5_vault_gets_no_buckets_until_the_operator_accepts_its_state() {
    let vault = fixture_vault(FIXTURE_0_5);
    let id = fixture_id("Bearer API");
    vault
        .db()
        .execute("DELETE FROM connections WHERE id = ?1", [&id])
        .unwrap();
    // A command about another connection checks the whole vault, since
    // buckets made now would describe the altered rows as intact.
    let out = vault.cmd().args(["show", "本番 Twilio"]).output().unwrap();
    let stderr = assert_error(&out, 4, "show on a tampered 0.5 vault");
    assert!(stderr.contains("1 connection(s) removed"), "{stderr}");
    assert!(!has_buckets(&vault));

    assert_success(
        &vault.cmd().args(["verify", "--accept"]).output().unwrap(),
        "verify --accept",
    );
    assert_success(
        &vault.cmd().args(["show", "本番 Twilio"]).output().unwrap(),
        "show after accepting",
    );
    assert_eq!(
        json_of(&vault, &["list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

/// The id of a connection of the 0.5 fixture, as its list gives it.
fn fixture_id(name: &str) -> String {
    let list = json_file(FIXTURE_0_5, "list.json");
    let entry = list.as_array().unwrap().iter().find(|e| e["name"] == name);
    entry.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Whether the vault's header holds the per-bucket digests (schema 7 on).
fn has_buckets(vault: &TestVault) -> bool {
    let buckets: Option<Vec<u8>> = vault
        .db()
        .query_row("SELECT buckets FROM vault_meta", [], |r| r.get(0))
        .unwrap();
    buckets.is_some()
}
