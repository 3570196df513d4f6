//! `--vault` / `FLOWVAULT_VAULT` as a script sees it: a malformed OpenBao
//! URL is a usage error, a vault on OpenBao is never asked a passphrase for,
//! and the file-only commands say they are file-only.

mod common;

use common::{assert_error, bare_cmd};

/// Nothing listens on port 1 of the loopback host.
const UNREACHABLE: &str = "openbao+http://127.0.0.1:1/secret/flowvault";

#[test]
fn a_malformed_location_is_a_usage_error_that_says_why() {
    let out = bare_cmd()
        .args([
            "--vault",
            "openbao+http://bao.example.com/secret/fv",
            "list",
        ])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "plain http to a remote host");
    assert!(
        stderr.contains("accepted only for loopback hosts"),
        "{stderr}"
    );
    let out = bare_cmd()
        .env("FLOWVAULT_VAULT", "openbao://bao.example.com/secret")
        .arg("list")
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "no prefix");
    assert!(stderr.contains("needs a mount and a prefix"), "{stderr}");
}

#[test]
fn a_vault_on_openbao_is_never_asked_a_passphrase_for() {
    // Without a terminal, asking would fail with exit 3 ("no terminal").
    let out = bare_cmd()
        .args(["--vault", UNREACHABLE, "list"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "list on OpenBao");
    assert!(!stderr.to_lowercase().contains("passphrase"), "{stderr}");
}

#[test]
fn file_only_commands_refuse_an_openbao_vault() {
    for args in [&["passwd"][..], &["rekey"][..], &["verify", "--accept"][..]] {
        let out = bare_cmd()
            .args(["--vault", UNREACHABLE])
            .args(args)
            .output()
            .unwrap();
        let stderr = assert_error(&out, 2, &args.join(" "));
        assert!(
            stderr.contains("works on a vault file"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_transit_key_is_for_openbao_only() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = bare_cmd()
        .arg("--vault")
        .arg(dir.path().join("vault.db"))
        .args(["init", "--transit-key", "team"])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "init --transit-key on a file");
    assert!(stderr.contains("is for a vault on OpenBao"), "{stderr}");
    assert!(!dir.path().join("vault.db").exists());
}
