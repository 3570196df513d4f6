//! A process killed in the middle of writing must leave a vault that opens,
//! with every connection whose `add` reported success, and nothing half-made.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TestVault, isolate};

const ADDS: usize = 40;
/// One add in this many is killed.
const KILL_EVERY: usize = 3;
/// An add runs for about 10 ms in a debug build; kills are spread below this
/// so most land while it opens, unlocks or writes.
const MAX_KILL_DELAY_US: u64 = 15_000;

fn spawn_add(vault: &TestVault, name: &str) -> std::process::Child {
    let mut cmd = Command::new(common::BIN);
    isolate(&mut cmd)
        .arg("--vault")
        .arg(&vault.path)
        .arg("--key-file")
        .arg(&vault.key)
        .args(["add", "auth0", name, "--secrets-stdin"])
        .args(["--set=domain=tenant.eu.auth0.com", "--set=client_id=cid"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn flowvault add");
    // The pipe buffers the line, and a child killed before reading it makes
    // the write fail, which is no concern here.
    let mut stdin = child.stdin.take().unwrap();
    let _ = writeln!(stdin, "client_secret=secret-of-{name}");
    drop(stdin);
    child
}

#[test]
fn killed_adds_never_corrupt_the_vault_nor_lose_finished_ones() {
    let vault = TestVault::new();
    let mut finished = BTreeSet::new();
    let mut killed = BTreeSet::new();

    for i in 0..ADDS {
        let name = format!("conn-{i:02}");
        let mut child = spawn_add(&vault, &name);
        if i % KILL_EVERY == KILL_EVERY - 1 {
            let delay = (i as u64 * 3_517) % MAX_KILL_DELAY_US;
            std::thread::sleep(Duration::from_micros(delay));
            let _ = child.kill();
            let status = child.wait().unwrap();
            if status.success() {
                finished.insert(name);
            } else {
                killed.insert(name);
            }
        } else {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "add {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            finished.insert(name);
        }
    }

    // Otherwise the kills all came too late and nothing was tested.
    assert!(!killed.is_empty(), "no add was interrupted");

    {
        let db = vault.db();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    let list = vault.list_json();
    let mut listed = BTreeSet::new();
    for entry in &list {
        assert_ne!(entry["status"], "damaged", "half-written row: {entry}");
        assert_eq!(entry["status"], "pending", "{entry}");
        listed.insert(entry["name"].as_str().unwrap().to_owned());
    }
    let lost: Vec<_> = finished.difference(&listed).collect();
    assert!(
        lost.is_empty(),
        "adds that reported success are gone: {lost:?}"
    );
    let unknown: Vec<_> = listed
        .iter()
        .filter(|n| !finished.contains(*n) && !killed.contains(*n))
        .collect();
    assert!(unknown.is_empty(), "rows nobody added: {unknown:?}");

    // A killed add that made it in is whole, secret included.
    for name in killed.intersection(&listed) {
        let shown = vault.show_json(name, true);
        assert_eq!(
            shown["fields"]["client_secret"],
            format!("secret-of-{name}").as_str()
        );
    }
}
