//! Helpers shared by the integration tests: a throw-away vault per test and
//! the `flowvault` binary run against it, isolated from the caller's setup.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod terminal;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// How `show` prints a secret that is not revealed.
pub const MASK: &str = "••••••";

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_flowvault");

/// Environment that would otherwise point a test at the developer's own vault
/// or key, or change the language of the messages the tests read.
const ISOLATING_ENV: &[&str] = &[
    "FLOWVAULT_VAULT",
    "FLOWVAULT_KEY_FILE",
    "FLOWVAULT_PASSPHRASE_FILE",
    "FLOWVAULT_LANG",
    "FLOWVAULT_CONFIG",
    "LC_ALL",
    "LC_MESSAGES",
];

/// Applies the isolation to a plain `std` command (for tests that need
/// `pre_exec`, or to kill the child).
pub fn isolate(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in ISOLATING_ENV {
        cmd.env_remove(var);
    }
    // Never the developer's own config file: the default place is one
    // that does not exist.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/flowvault-tests")
        .env("LANG", "C")
}

/// The binary with no vault or key options at all.
pub fn bare_cmd() -> Command {
    let mut std_cmd = std::process::Command::new(BIN);
    isolate(&mut std_cmd);
    let mut cmd = Command::from_std(std_cmd);
    // A command that unexpectedly waits for a passphrase must fail, not hang.
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// What unlocks a test vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock {
    KeyFile,
    Passphrase,
}

/// A vault in its own temporary folder, with the file that unlocks it.
pub struct TestVault {
    pub dir: TempDir,
    /// `DIR/vault.db`.
    pub path: PathBuf,
    /// The key file or passphrase file.
    pub key: PathBuf,
    pub unlock: Unlock,
}

impl TestVault {
    /// A new vault unlocked by a fresh key file (`init --new-key-file`).
    pub fn new() -> TestVault {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("vault.db");
        let key = dir.path().join("key");
        bare_cmd()
            .arg("--vault")
            .arg(&path)
            .arg("init")
            .arg("--new-key-file")
            .arg(&key)
            .assert()
            .success();
        TestVault {
            dir,
            path,
            key,
            unlock: Unlock::KeyFile,
        }
    }

    /// A new vault unlocked by a passphrase read from a file.
    pub fn with_passphrase(passphrase: &str) -> TestVault {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("vault.db");
        let key = dir.path().join("passphrase");
        write_private(&key, format!("{passphrase}\n"));
        let vault = TestVault {
            dir,
            path,
            key,
            unlock: Unlock::Passphrase,
        };
        vault.cmd().arg("init").assert().success();
        vault
    }

    /// The binary pointed at this vault and its key.
    pub fn cmd(&self) -> Command {
        self.cmd_with_key(self.unlock, &self.key)
    }

    /// The binary pointed at this vault, unlocked by another file.
    pub fn cmd_with_key(&self, unlock: Unlock, key: &Path) -> Command {
        let mut cmd = bare_cmd();
        cmd.arg("--vault").arg(&self.path);
        cmd.arg(match unlock {
            Unlock::KeyFile => "--key-file",
            Unlock::Passphrase => "--passphrase-file",
        });
        cmd.arg(key);
        cmd
    }

    /// Adds a connection, non-secret fields by `--set`, secrets on stdin;
    /// returns the output without judging it.
    pub fn try_add(
        &self,
        service: &str,
        name: &str,
        method: Option<&str>,
        sets: &[(&str, &str)],
        secrets: &[(&str, &str)],
    ) -> Output {
        let mut cmd = self.cmd();
        cmd.args(["add", service, name]);
        if let Some(method) = method {
            cmd.args(["--method", method]);
        }
        for (k, v) in sets {
            cmd.arg("--set").arg(format!("{k}={v}"));
        }
        cmd.arg("--secrets-stdin").write_stdin(stdin_lines(secrets));
        cmd.output().expect("run flowvault add")
    }

    /// Like `try_add`, and the add must succeed.
    pub fn add(
        &self,
        service: &str,
        name: &str,
        method: Option<&str>,
        sets: &[(&str, &str)],
        secrets: &[(&str, &str)],
    ) {
        let out = self.try_add(service, name, method, sets, secrets);
        assert_success(&out, &format!("add {service} {name:?}"));
    }

    /// `list --json`, which must succeed.
    pub fn list_json(&self) -> Vec<Value> {
        let out = self.cmd().args(["list", "--json"]).output().unwrap();
        assert_success(&out, "list --json");
        match serde_json::from_slice(&out.stdout).expect("list --json prints JSON") {
            Value::Array(rows) => rows,
            other => panic!("list --json is not an array: {other}"),
        }
    }

    /// The `list --json` element of the connection with this name.
    pub fn list_entry(&self, name: &str) -> Value {
        self.list_json()
            .into_iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name:?} is not in list --json"))
    }

    /// `show NAME --json [--reveal]`, which must succeed.
    pub fn show_json(&self, name: &str, reveal: bool) -> Value {
        let mut cmd = self.cmd();
        cmd.args(["show", name, "--json"]);
        if reveal {
            cmd.arg("--reveal");
        }
        let out = cmd.output().unwrap();
        assert_success(&out, &format!("show {name:?}"));
        serde_json::from_slice(&out.stdout).expect("show --json prints JSON")
    }

    /// The vault file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }

    /// A direct SQLite handle on the vault file, to inspect or tamper with it.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }
}

/// Writes a key or passphrase file readable by its owner only (mode 0600), as
/// flowvault requires, whatever the umask.
pub fn write_private(path: &Path, contents: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `KEY=VALUE` lines, as `--secrets-stdin` reads them.
pub fn stdin_lines(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// Fails with the command's stderr, which says why.
pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks a failure the way a script sees it: the exit code, and one
/// `error:` line on stderr. Returns that stderr.
pub fn assert_error(out: &Output, code: i32, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit code; stderr: {stderr}"
    );
    assert!(
        stderr.starts_with("error:"),
        "{what}: stderr must start with `error:`: {stderr:?}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{what}: exactly one error line: {stderr:?}"
    );
    stderr
}
