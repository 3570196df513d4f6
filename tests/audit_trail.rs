//! The audit trail on real vault files, through the real binary: an entry for
//! every change and every use of a secret, none holding a secret, and a
//! chain that `audit --verify` finds broken when an entry is edited or
//! removed.

mod common;

use common::{TestVault, Unlock, assert_error, assert_success, write_private};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "CANARY-7f3a9c-secret";
const TOKEN: &str = "tok-CANARY-d41d8c";

fn out(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault.cmd().args(args).output().unwrap()
}

fn ok(vault: &TestVault, args: &[&str]) -> String {
    let o = out(vault, args);
    assert_success(&o, &args.join(" "));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn entries(vault: &TestVault, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(vault, &all)).expect("audit --json prints JSON")
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// The vault file and its journal, as they are on disk.
fn file_bytes(vault: &TestVault) -> Vec<u8> {
    let mut bytes = vault.bytes();
    let wal = vault.path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// An Auth0 tenant on `server` granting [`TOKEN`], with one user to read.
async fn tenant(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400,
            "scope": "read:users"
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/auth0%7C42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": "auth0|42"})))
        .mount(server)
        .await;
}

fn add_auth0(vault: &TestVault, name: &str, server: &MockServer) {
    vault.add(
        "auth0",
        name,
        None,
        &[("domain", &server.uri()), ("client_id", "cid")],
        &[("client_secret", CANARY)],
    );
}

/// Three connections' worth of changes and uses, then the trail.
async fn a_busy_vault() -> (TestVault, MockServer) {
    let server = MockServer::start().await;
    tenant(&server).await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    let o = vault
        .cmd()
        .args(["edit", "Mgmt", "--secrets-stdin"])
        .write_stdin(format!("client_secret={CANARY}-2\n"))
        .output()
        .unwrap();
    assert_success(&o, "edit");
    ok(&vault, &["rename", "Mgmt", "Management"]);
    ok(&vault, &["show", "Management", "--reveal"]);
    ok(&vault, &["show", "Management"]);
    assert_eq!(ok(&vault, &["token", "Management"]).trim(), TOKEN);
    ok(&vault, &["refresh", "Management"]);
    ok(&vault, &["flows", "add", "Onboarding"]);
    ok(
        &vault,
        &[
            "flows",
            "add-action",
            "Onboarding",
            "auth0.get_user",
            "--connection",
            "Management",
            "--set",
            "user_id=auth0|42",
        ],
    );
    ok(&vault, &["run", "Onboarding", "--dry-run"]);
    ok(&vault, &["run", "Onboarding"]);
    ok(&vault, &["flows", "rm", "Onboarding"]);
    ok(&vault, &["rm", "Management", "--force", "--yes"]);
    (vault, server)
}

#[tokio::test]
async fn every_change_and_use_is_recorded_without_a_secret() {
    let (vault, _server) = a_busy_vault().await;
    let new_key = vault.dir.path().join("new-passphrase");
    write_private(&new_key, "another long passphrase here\n");
    let o = out(
        &vault,
        &["passwd", "--new-passphrase-file", new_key.to_str().unwrap()],
    );
    assert_success(&o, "passwd");
    let o = vault
        .cmd_with_key(Unlock::Passphrase, &new_key)
        .arg("rekey")
        .output()
        .unwrap();
    assert_success(&o, "rekey");

    let o = vault
        .cmd_with_key(Unlock::Passphrase, &new_key)
        .args(["audit", "--json"])
        .output()
        .unwrap();
    assert_success(&o, "audit --json");
    let listed = String::from_utf8_lossy(&o.stdout).into_owned();
    let all: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        actions(&all),
        [
            "add",
            "edit",
            "rename",
            "reveal",
            "refresh",
            "token_printed",
            "refresh",
            "flow_add",
            "flow_edit",
            "run_sent",
            "flow_remove",
            "remove",
            "passwd",
            "rekey",
        ],
        "{listed}"
    );
    // Numbered from 1 without gaps, with who and when.
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        assert!(e["actor"].as_str().unwrap().contains('@'), "{e}");
        assert!(e["at"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    // The edit names the field, the rename the old name, the run its host.
    assert_eq!(all[1]["detail"], "client_secret");
    assert_eq!(all[2]["detail"], "from Mgmt");
    assert_eq!(all[9]["detail"], "127.0.0.1");
    assert_eq!(all[9]["target"]["kind"], "flow");
    // Every entry about the connection carries its id, across the rename.
    let id = all[0]["target"]["id"].as_str().unwrap();
    assert!(
        all.iter()
            .filter(|e| e["target"]["kind"] == "connection")
            .all(|e| e["target"]["id"] == id)
    );

    for secret in [CANARY, TOKEN] {
        assert!(!listed.contains(secret), "{secret} in the entries");
        assert!(
            !contains(&file_bytes(&vault), secret),
            "{secret} in the file"
        );
    }
    // Nothing readable without the key: names, actor and details are sealed.
    let bytes = file_bytes(&vault);
    for clear in ["Management", "Onboarding", "client_secret", "127.0.0.1"] {
        assert!(!contains(&bytes, clear), "{clear} in the file in clear");
    }

    let o = vault
        .cmd_with_key(Unlock::Passphrase, &new_key)
        .args(["audit", "--verify"])
        .output()
        .unwrap();
    assert_success(&o, "audit --verify after rekey");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "audit trail intact: 14 entries"
    );
}

#[tokio::test]
async fn a_name_lists_its_history_across_renames_and_removal() {
    let (vault, _server) = a_busy_vault().await;
    // Removed, found by the name its entries recorded.
    let about = entries(&vault, &["Management"]);
    assert_eq!(
        actions(&about),
        [
            "add",
            "edit",
            "rename",
            "reveal",
            "refresh",
            "token_printed",
            "refresh",
            "remove"
        ]
    );
    let flow = entries(&vault, &["Onboarding"]);
    assert_eq!(
        actions(&flow),
        ["flow_add", "flow_edit", "run_sent", "flow_remove"]
    );
    assert_eq!(
        actions(&entries(&vault, &["--last", "2"])),
        ["flow_remove", "remove"]
    );
    assert!(entries(&vault, &["--since", "2099-01-01"]).is_empty());
    assert_eq!(entries(&vault, &["--since", "1h"]).len(), 12);

    let text = ok(&vault, &["audit"]);
    assert_eq!(text.lines().count(), 12, "{text}");
    assert!(text.lines().nth(2).unwrap().contains("renamed"), "{text}");
    let o = out(&vault, &["audit", "--since", "yesterday"]);
    assert_error(&o, 2, "--since yesterday");
    let o = out(&vault, &["audit", "nobody"]);
    assert_error(&o, 5, "audit of an unknown name");
}

fn a_small_trail() -> TestVault {
    let vault = TestVault::new();
    for name in ["one", "two", "three", "four"] {
        vault.add("http", name, Some("bearer"), &[], &[("token", CANARY)]);
    }
    let o = out(&vault, &["audit", "--verify"]);
    assert_success(&o, "audit --verify");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "audit trail intact: 4 entries"
    );
    vault
}

fn verify_fails_at(vault: &TestVault, seq: u64, reason: &str) {
    let o = out(vault, &["audit", "--verify"]);
    let stderr = assert_error(&o, 1, "audit --verify of a tampered trail");
    assert!(
        stderr.contains(&format!("entry {seq}:")) && stderr.contains(reason),
        "expected entry {seq} ({reason}): {stderr}"
    );
}

#[test]
fn an_edited_entry_is_found() {
    let vault = a_small_trail();
    let sealed: Vec<u8> = vault
        .db()
        .query_row("SELECT entry FROM audit WHERE seq = 2", [], |r| r.get(0))
        .unwrap();
    let mut flipped = sealed.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    vault
        .db()
        .execute("UPDATE audit SET entry = ?1 WHERE seq = 2", [flipped])
        .unwrap();
    verify_fails_at(&vault, 2, "altered");
}

#[test]
fn an_entry_swapped_for_another_is_found() {
    let vault = a_small_trail();
    let db = vault.db();
    db.execute_batch(
        "UPDATE audit SET entry = (SELECT entry FROM audit WHERE seq = 3),
                          mac = (SELECT mac FROM audit WHERE seq = 3) WHERE seq = 2;",
    )
    .unwrap();
    verify_fails_at(&vault, 2, "altered");
}

#[test]
fn an_entry_removed_in_the_middle_is_found() {
    let vault = a_small_trail();
    vault
        .db()
        .execute("DELETE FROM audit WHERE seq = 2", [])
        .unwrap();
    verify_fails_at(&vault, 2, "removed");
}

#[test]
fn entries_removed_at_the_end_are_found() {
    let vault = a_small_trail();
    vault
        .db()
        .execute("DELETE FROM audit WHERE seq >= 3", [])
        .unwrap();
    verify_fails_at(&vault, 3, "removed");
}

#[test]
fn a_trail_removed_with_its_head_is_found() {
    let vault = a_small_trail();
    vault
        .db()
        .execute_batch("DELETE FROM audit; UPDATE vault_meta SET audit_head = NULL;")
        .unwrap();
    verify_fails_at(&vault, 0, "head");
}

#[test]
fn rekey_refuses_a_broken_trail() {
    let vault = a_small_trail();
    vault
        .db()
        .execute("DELETE FROM audit WHERE seq = 1", [])
        .unwrap();
    let o = out(&vault, &["rekey"]);
    assert_error(&o, 4, "rekey over a broken trail");
    verify_fails_at(&vault, 1, "removed");
}

#[tokio::test]
async fn a_failed_renewal_is_recorded_with_its_error_code_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": format!("bad {CANARY}")}),
        ))
        .mount(&server)
        .await;
    let vault = TestVault::new();
    add_auth0(&vault, "Mgmt", &server);
    let o = out(&vault, &["refresh", "Mgmt"]);
    assert_error(&o, 1, "refresh refused");
    let all = entries(&vault, &[]);
    assert_eq!(actions(&all), ["add", "refresh"]);
    let detail = all[1]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("failed: ") && detail.contains("invalid_client"),
        "{detail}"
    );
    assert!(!detail.contains(CANARY), "{detail}");
    assert!(!contains(&file_bytes(&vault), CANARY));
}

#[test]
fn writes_go_on_over_an_altered_head_and_the_damage_stays_reported() {
    let vault = a_small_trail();
    vault
        .db()
        .execute(
            "UPDATE vault_meta SET audit_head = randomblob(80) WHERE id = 1",
            [],
        )
        .unwrap();
    verify_fails_at(&vault, 0, "head");
    vault.add("http", "five", Some("bearer"), &[], &[("token", CANARY)]);
    let all = entries(&vault, &[]);
    assert_eq!(all.len(), 5);
    assert_eq!(all[4]["seq"], 5);
    verify_fails_at(&vault, 4, "head");
    // Removing the trail with its head, then writing, is reported too.
    vault
        .db()
        .execute_batch("DELETE FROM audit; UPDATE vault_meta SET audit_head = NULL;")
        .unwrap();
    vault.add("http", "six", Some("bearer"), &[], &[("token", CANARY)]);
    verify_fails_at(&vault, 0, "missing");
}
