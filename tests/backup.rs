//! `backup` as an operator relies on it: taken while others write, the copy
//! is one consistent state that opens with the same key and passes both
//! SQLite's and flowvault's integrity checks; it never replaces a file
//! unasked, and a vault on OpenBao is told to use OpenBao's own tools.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flowvault::vault::{Connection, Credentials, UnlockKey, Vault, VaultStore};
use serde_json::Value;
use zeroize::Zeroizing;

use common::{TestVault, assert_error, assert_success, bare_cmd};

const WRITERS: usize = 4;
const ADDS_PER_WRITER: usize = 50;

fn key_of(vault: &TestVault) -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(std::fs::read(&vault.key).unwrap()))
}

fn connection(writer: usize, i: usize) -> Connection {
    let mut fields = Credentials::default();
    fields.set("token", format!("token-{writer}-{i}"));
    Connection::new(format!("w{writer} c{i}"), "http", "bearer", fields)
}

/// Connections in the file at `path`, opened with `key`.
fn count(path: &Path, key: &UnlockKey) -> usize {
    Vault::open(path, key).unwrap().connections().unwrap().len()
}

#[test]
fn a_backup_taken_during_200_adds_is_one_consistent_state() {
    let vault = TestVault::new();
    for i in 0..10 {
        vault.add(
            "http",
            &format!("before {i}"),
            Some("bearer"),
            &[],
            &[("token", "t")],
        );
    }
    let key = key_of(&vault);
    let start = count(&vault.path, &key);
    let done = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (path, key, done) = (vault.path.clone(), key_of(&vault), done.clone());
            std::thread::spawn(move || {
                let mut handle = Vault::open(&path, &key).unwrap();
                for i in 0..ADDS_PER_WRITER {
                    handle.add_connection(&connection(writer, i)).unwrap();
                    done.fetch_add(1, Ordering::SeqCst);
                    // Paced as other users would be, so the adds span the backup.
                    std::thread::sleep(std::time::Duration::from_millis(40));
                }
            })
        })
        .collect();
    // Some adds have landed and most are still to come.
    while done.load(Ordering::SeqCst) < 20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let copy = vault.dir.path().join("copy.db");
    let out = vault.cmd().arg("backup").arg(&copy).output().unwrap();
    let during = done.load(Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    assert_success(&out, "backup");
    let end = count(&vault.path, &key);
    assert_eq!(end, start + WRITERS * ADDS_PER_WRITER);
    assert!(
        during < WRITERS * ADDS_PER_WRITER,
        "adds still ran when the backup ended ({during} done)"
    );

    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy is private");
    for suffix in ["-wal", "-shm"] {
        assert!(
            !Path::new(&format!("{}{suffix}", copy.display())).exists(),
            "the copy is one file, no {suffix} beside it"
        );
    }
    let sqlite = rusqlite::Connection::open(&copy).unwrap();
    let check: String = sqlite
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "SQLite's integrity check");
    drop(sqlite);
    let copied = count(&copy, &key);
    assert!(
        (start..=end).contains(&copied),
        "a consistent prefix: {start} ≤ {copied} ≤ {end}"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("connections {copied}")), "{said}");

    // flowvault's own check, through the command an operator would run.
    let verify = bare_cmd()
        .arg("--vault")
        .arg(&copy)
        .arg("--key-file")
        .arg(&vault.key)
        .arg("verify")
        .output()
        .unwrap();
    assert_success(&verify, "verify of the copy");
    // Every connection in it is intact and readable.
    let list = bare_cmd()
        .arg("--vault")
        .arg(&copy)
        .arg("--key-file")
        .arg(&vault.key)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert_success(&list, "list of the copy");
    let rows: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), copied);
}

#[test]
fn backup_keeps_an_existing_file_unless_forced_and_is_audited() {
    let vault = TestVault::new();
    vault.add("http", "api", Some("bearer"), &[], &[("token", "t0k3n")]);
    let copy = vault.dir.path().join("copy.db");
    std::fs::write(&copy, "precious").unwrap();
    let refused = vault.cmd().arg("backup").arg(&copy).output().unwrap();
    let said = assert_error(&refused, 2, "backup over a file");
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "precious");
    let leftovers: Vec<_> = std::fs::read_dir(vault.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let forced = vault
        .cmd()
        .arg("backup")
        .arg(&copy)
        .arg("--force")
        .output()
        .unwrap();
    assert_success(&forced, "backup --force");
    assert_eq!(count(&copy, &key_of(&vault)), 1);

    let itself = vault
        .cmd()
        .arg("backup")
        .arg(&vault.path)
        .arg("--force")
        .output()
        .unwrap();
    assert_error(&itself, 2, "backup onto the vault itself");
    assert_eq!(count(&vault.path, &key_of(&vault)), 1);

    let audit = vault.cmd().args(["audit", "--json"]).output().unwrap();
    assert_success(&audit, "audit");
    let entries: Vec<Value> = serde_json::from_slice(&audit.stdout).unwrap();
    let backups: Vec<&Value> = entries.iter().filter(|e| e["action"] == "backup").collect();
    assert_eq!(backups.len(), 1, "only the backup made: {entries:?}");
    let detail = backups[0]["detail"].as_str().unwrap();
    assert!(detail.contains("1 connections"), "{detail}");
    assert!(!detail.contains("t0k3n"));
}

#[test]
fn a_wrong_key_makes_no_backup_and_openbao_is_told_to_use_its_own_tools() {
    let vault = TestVault::new();
    let wrong = vault.dir.path().join("wrong.key");
    common::write_private(&wrong, [7u8; 32]);
    let copy = vault.dir.path().join("copy.db");
    let out = vault
        .cmd_with_key(common::Unlock::KeyFile, &wrong)
        .arg("backup")
        .arg(&copy)
        .output()
        .unwrap();
    assert_error(&out, 3, "backup with a wrong key");
    assert!(!copy.exists());

    let out = bare_cmd()
        .args([
            "--vault",
            "openbao://127.0.0.1:1/secret/flowvault",
            "backup",
        ])
        .arg(&copy)
        .output()
        .unwrap();
    let said = assert_error(&out, 2, "backup of an OpenBao vault");
    assert!(said.contains("`backup` works on a vault file"), "{said}");
    assert!(!copy.exists());
}
