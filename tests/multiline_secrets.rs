//! Multi-line secrets: PEM keys and JSON files by `--secret-file` and by
//! `KEY<<MARKER` blocks on `--secrets-stdin`, read back by `get`, byte for byte.

mod common;

use std::path::{Path, PathBuf};

use common::{TestVault, assert_error, assert_success};

/// A 40-line RSA key generated for these tests only (it unlocks nothing).
fn pem_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multiline/test-only-rsa-3072.pem")
}

/// A service-account JSON file in Google's shape, for these tests only.
fn json_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/multiline/test-only-service-account.json")
}

/// `get NAME FIELD` through a pipe: the exact bytes.
fn get(vault: &TestVault, name: &str, field: &str) -> Vec<u8> {
    let out = vault.cmd().args(["get", name, field]).output().unwrap();
    assert_success(&out, &format!("get {name} {field}"));
    out.stdout
}

fn add_bigquery(vault: &TestVault, name: &str) -> std::process::Output {
    vault
        .cmd()
        .args(["add", "bigquery", name])
        .args(["--set", "project_id=flowvault-tests-123"])
        .args([
            "--set",
            "client_email=runner@flowvault-tests-123.iam.gserviceaccount.com",
        ])
        .arg("--secret-file")
        .arg(format!("private_key={}", pem_path().display()))
        .output()
        .unwrap()
}

#[test]
fn a_pem_key_and_a_json_file_round_trip_byte_for_byte_through_secret_file() {
    let pem = std::fs::read(pem_path()).unwrap();
    assert_eq!(pem.iter().filter(|b| **b == b'\n').count(), 40);
    let json = std::fs::read(json_path()).unwrap();
    let vault = TestVault::new();
    assert_success(&add_bigquery(&vault, "warehouse"), "add bigquery");
    let out = vault
        .cmd()
        .args(["add", "http", "google", "--method", "bearer"])
        .arg("--secret-file")
        .arg(format!("token={}", json_path().display()))
        .output()
        .unwrap();
    assert_success(&out, "add http with a JSON file");

    assert_eq!(get(&vault, "warehouse", "private_key"), pem);
    let out = vault
        .cmd()
        .args(["get", "flowvault://google/token"])
        .output()
        .unwrap();
    assert_success(&out, "get by reference");
    assert_eq!(out.stdout, json);
    // `show --json --reveal` decodes to the same text.
    let shown = vault.show_json("warehouse", true);
    assert_eq!(
        shown["fields"]["private_key"].as_str().map(str::as_bytes),
        Some(pem.as_slice()),
        "{shown}"
    );
}

#[test]
fn a_heredoc_block_gives_the_text_between_its_lines_without_the_final_newline() {
    let pem = std::fs::read_to_string(pem_path()).unwrap();
    let json = std::fs::read_to_string(json_path()).unwrap();
    let vault = TestVault::new();
    // As an operator would paste them: each file followed by its marker.
    let stdin = format!(
        "# pasted\nclient_email=runner@flowvault-tests-123.iam.gserviceaccount.com\nprivate_key<<PEM\n{pem}PEM\n"
    );
    let out = vault
        .cmd()
        .args(["add", "bigquery", "warehouse"])
        .args(["--set", "project_id=flowvault-tests-123"])
        .arg("--secrets-stdin")
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert_success(&out, "add with a heredoc");
    let out = vault
        .cmd()
        .args([
            "add",
            "http",
            "google",
            "--method",
            "bearer",
            "--secrets-stdin",
        ])
        .write_stdin(format!("token<<END_OF_JSON\n{json}END_OF_JSON\n"))
        .output()
        .unwrap();
    assert_success(&out, "add a JSON heredoc");

    // Like `$(cat file)`: the file's final newline is not in the block.
    assert_eq!(
        get(&vault, "warehouse", "private_key"),
        pem.strip_suffix('\n').unwrap().as_bytes()
    );
    assert_eq!(
        get(&vault, "google", "token"),
        json.strip_suffix('\n').unwrap().as_bytes()
    );
    // A blank line before the marker keeps a final newline.
    let out = vault
        .cmd()
        .args(["edit", "google", "--secrets-stdin"])
        .write_stdin(format!("token<<END_OF_JSON\n{json}\nEND_OF_JSON\n"))
        .output()
        .unwrap();
    assert_success(&out, "edit with a heredoc");
    assert_eq!(get(&vault, "google", "token"), json.as_bytes());
}

#[test]
fn edit_secret_file_replaces_a_value_byte_for_byte() {
    let vault = TestVault::new();
    vault.add(
        "http",
        "google",
        Some("bearer"),
        &[],
        &[("token", "short-lived")],
    );
    let out = vault
        .cmd()
        .args(["edit", "google"])
        .arg("--secret-file")
        .arg(format!("token={}", json_path().display()))
        .output()
        .unwrap();
    assert_success(&out, "edit --secret-file");
    assert_eq!(
        get(&vault, "google", "token"),
        std::fs::read(json_path()).unwrap()
    );
    let audit = vault
        .cmd()
        .args(["audit", "google", "--json"])
        .output()
        .unwrap();
    assert_success(&audit, "audit");
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(text.contains("\"edit\""), "{text}");
    assert!(
        !text.contains("service_account"),
        "no value in the trail: {text}"
    );
}

#[test]
fn an_unterminated_block_is_a_usage_error_and_nothing_is_saved() {
    let vault = TestVault::new();
    let pem = std::fs::read_to_string(pem_path()).unwrap();
    let out = vault
        .cmd()
        .args(["add", "bigquery", "warehouse"])
        .args(["--set", "project_id=flowvault-tests-123"])
        .args(["--set", "client_email=r@example.com"])
        .arg("--secrets-stdin")
        .write_stdin(format!("private_key<<PEM\n{pem}PE\n"))
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "unterminated heredoc on add");
    assert!(stderr.contains("private_key<<PEM"), "{stderr}");
    assert!(stderr.contains("nothing was saved"), "{stderr}");
    assert!(!stderr.contains("BEGIN"), "never the content: {stderr}");
    assert!(vault.list_json().is_empty(), "no connection was added");

    vault.add("http", "api", Some("bearer"), &[], &[("token", "kept")]);
    let out = vault
        .cmd()
        .args(["edit", "api", "--secrets-stdin"])
        .write_stdin("token<<EOF\nreplacement\n")
        .output()
        .unwrap();
    assert_error(&out, 2, "unterminated heredoc on edit");
    assert_eq!(get(&vault, "api", "token"), b"kept");
}

#[test]
fn a_secret_file_that_is_too_large_binary_or_missing_is_refused_by_name() {
    let vault = TestVault::new();
    vault.add("http", "api", Some("bearer"), &[], &[("token", "kept")]);
    let big = vault.dir.path().join("big");
    std::fs::write(&big, vec![b'a'; 1024 * 1024 + 1]).unwrap();
    let binary = vault.dir.path().join("binary");
    std::fs::write(&binary, b"\xff\xfesekrit").unwrap();
    let missing = vault.dir.path().join("missing");
    for (path, says) in [
        (&big, "larger than 1048576 bytes"),
        (&binary, "not UTF-8"),
        (&missing, "cannot read"),
    ] {
        let out = vault
            .cmd()
            .args(["edit", "api"])
            .arg("--secret-file")
            .arg(format!("token={}", path.display()))
            .output()
            .unwrap();
        let stderr = assert_error(&out, 2, &format!("--secret-file {}", path.display()));
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("token"), "names the key: {stderr}");
        assert!(!stderr.contains("sekrit"), "{stderr}");
    }
    // Exactly the limit is accepted.
    std::fs::write(&big, vec![b'a'; 1024 * 1024]).unwrap();
    let out = vault
        .cmd()
        .args(["edit", "api"])
        .arg("--secret-file")
        .arg(format!("token={}", big.display()))
        .output()
        .unwrap();
    assert_success(&out, "a 1 MiB file");
    assert_eq!(get(&vault, "api", "token").len(), 1024 * 1024);
    let out = vault
        .cmd()
        .args(["edit", "api", "--secret-file", "nokey"])
        .output()
        .unwrap();
    assert!(assert_error(&out, 2, "no =").contains("KEY=PATH"));
}
