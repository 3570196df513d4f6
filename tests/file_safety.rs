//! Files and inputs a careful tool refuses (issue 10, finding 10): key and
//! passphrase files others can read or that are symlinks or devices, vaults in
//! folders others can write, read-only file systems, endless or oversized
//! input, costly KDF headers, credentials in URLs, look-alike names, and log
//! files others can read or that are symlinks. Each test drives the binary.
#![allow(unsafe_code)] // libc: the effective uid, a FIFO, sessions of child processes

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TestVault, Unlock, assert_error, assert_success, bare_cmd, isolate, write_private};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn list_with(vault: &TestVault, unlock: Unlock, key: &Path) -> Output {
    vault
        .cmd_with_key(unlock, key)
        .arg("list")
        .output()
        .unwrap()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

// ---------------------------------------------------------------------------
// Key and passphrase files

#[test]
fn key_and_passphrase_files_others_can_read_or_write_are_refused() {
    for unlock in [Unlock::KeyFile, Unlock::Passphrase] {
        let vault = match unlock {
            Unlock::KeyFile => TestVault::new(),
            Unlock::Passphrase => TestVault::with_passphrase("correct horse battery"),
        };
        for mode in [0o644, 0o666, 0o640, 0o602] {
            chmod(&vault.key, mode);
            let out = list_with(&vault, unlock, &vault.key);
            let stderr = assert_error(&out, 1, &format!("{unlock:?} mode {mode:o}"));
            assert!(
                stderr.contains(&format!("its mode {mode:o} lets others read or write it"))
                    && stderr.contains("chmod 600"),
                "{stderr}"
            );
        }
        for mode in [0o600, 0o400] {
            chmod(&vault.key, mode);
            assert_success(&list_with(&vault, unlock, &vault.key), "private key file");
        }
    }
}

#[test]
fn key_and_passphrase_files_behind_a_symlink_are_refused() {
    for unlock in [Unlock::KeyFile, Unlock::Passphrase] {
        let vault = match unlock {
            Unlock::KeyFile => TestVault::new(),
            Unlock::Passphrase => TestVault::with_passphrase("correct horse battery"),
        };
        let link = vault.dir.path().join("link");
        symlink(&vault.key, &link).unwrap();
        let out = list_with(&vault, unlock, &link);
        let stderr = assert_error(&out, 1, &format!("{unlock:?} via symlink"));
        assert!(stderr.contains("it is a symbolic link"), "{stderr}");
    }
}

#[test]
fn devices_pipes_and_huge_files_are_not_key_files() {
    let vault = TestVault::new();
    // `/dev/zero` used to be read until memory ran out; `/dev/stdin` here is
    // an endless pipe.
    for device in ["/dev/zero", "/dev/urandom"] {
        let out = list_with(&vault, Unlock::KeyFile, Path::new(device));
        let stderr = assert_error(&out, 1, device);
        assert!(stderr.contains("it is not a regular file"), "{stderr}");
    }
    let fifo = vault.dir.path().join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    for unlock in [Unlock::KeyFile, Unlock::Passphrase] {
        // Nobody writes to the FIFO: opening it must not wait for a writer.
        let out = list_with(&vault, unlock, &fifo);
        let stderr = assert_error(&out, 1, &format!("{unlock:?} FIFO"));
        assert!(stderr.contains("it is not a regular file"), "{stderr}");
    }
    let huge = vault.dir.path().join("huge");
    write_private(&huge, vec![b'k'; 64 * 1024]);
    let out = list_with(&vault, Unlock::KeyFile, &huge);
    let stderr = assert_error(&out, 1, "huge key file");
    assert!(stderr.contains("larger than 4096 bytes"), "{stderr}");
    let out = list_with(&vault, Unlock::Passphrase, &huge);
    let stderr = assert_error(&out, 1, "huge passphrase file");
    assert!(stderr.contains("larger than 4096 bytes"), "{stderr}");
}

#[test]
fn a_passphrase_handed_through_a_pipe_is_read_with_the_same_limit() {
    // `--passphrase-file <(pass show vault)` keeps the passphrase off the
    // disk; `/dev/stdin` is the same kind of descriptor the process holds.
    let vault = TestVault::with_passphrase("correct horse battery");
    let out = vault
        .cmd_with_key(Unlock::Passphrase, Path::new("/dev/stdin"))
        .arg("list")
        .write_stdin("correct horse battery\n")
        .output()
        .unwrap();
    assert_success(&out, "passphrase through a pipe");
    let out = vault
        .cmd_with_key(Unlock::Passphrase, Path::new("/dev/stdin"))
        .arg("list")
        .write_stdin(vec![b'p'; 64 * 1024])
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "endless passphrase pipe");
    assert!(stderr.contains("larger than 4096 bytes"), "{stderr}");
}

// ---------------------------------------------------------------------------
// The vault's folder and file system

#[test]
fn a_vault_in_a_folder_others_can_write_is_refused() {
    let vault = TestVault::new();
    let folder = vault.dir.path();
    for mode in [0o777, 0o775, 0o757] {
        chmod(folder, mode);
        let out = vault.cmd().arg("list").output().unwrap();
        let stderr = assert_error(&out, 1, &format!("folder mode {mode:o}"));
        assert!(
            stderr.contains("it is a folder others can write to")
                && stderr.contains(&format!("mode {mode:o}"))
                && stderr.contains(&folder.display().to_string()),
            "{stderr}"
        );
    }
    chmod(folder, 0o755);
    assert_success(&vault.cmd().arg("list").output().unwrap(), "0755 folder");

    // `init` refuses such a folder too, before it writes a key file.
    let open = tempfile::TempDir::new().unwrap();
    chmod(open.path(), 0o777);
    let key = open.path().join("key");
    let out = bare_cmd()
        .arg("--vault")
        .arg(open.path().join("vault.db"))
        .args(["init", "--new-key-file"])
        .arg(&key)
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "init in a 0777 folder");
    assert!(stderr.contains("others can write to"), "{stderr}");
    assert!(!key.exists() && !open.path().join("vault.db").exists());
}

/// A tmpfs mounted over a fresh folder, unmounted when dropped.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    /// `None` where this process may not mount (not root, no CAP_SYS_ADMIN).
    fn tmpfs() -> Option<Mount> {
        let dir = tempfile::TempDir::new().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Mount { dir })
    }

    fn remount_read_only(&self) {
        let status = std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount read-only");
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_vault_on_a_read_only_file_system_says_so() {
    if !is_root() {
        eprintln!("skipped: mounting a read-only file system needs root");
        return;
    }
    let Some(mount) = Mount::tmpfs() else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let vault = mount.path().join("vault.db");
    let key = mount.path().join("key");
    let cmd = |args: &[&str]| {
        let mut cmd = bare_cmd();
        cmd.arg("--vault").arg(&vault).arg("--key-file").arg(&key);
        cmd.args(args).output().unwrap()
    };
    let out = bare_cmd()
        .arg("--vault")
        .arg(&vault)
        .args(["init", "--new-key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert_success(&out, "init on tmpfs");
    assert_success(&cmd(&["list"]), "list before remount");
    mount.remount_read_only();
    let out = cmd(&["list"]);
    let stderr = assert_error(&out, 1, "list on a read-only fs");
    assert!(
        stderr.contains("is on a read-only file system") && !stderr.contains("not a flowvault"),
        "{stderr}"
    );
    // `init` there says the same, not "cannot create".
    let other = mount.path().join("other.db");
    let out = bare_cmd()
        .arg("--vault")
        .arg(&other)
        .arg("--key-file")
        .arg(&key)
        .arg("init")
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "init on a read-only fs");
    assert!(stderr.contains("is on a read-only file system"), "{stderr}");
}

#[test]
fn init_on_a_device_says_it_is_not_a_regular_file() {
    let dir = tempfile::TempDir::new().unwrap();
    let key = dir.path().join("key");
    let out = bare_cmd()
        .args(["--vault", "/dev/null", "init", "--new-key-file"])
        .arg(&key)
        .output()
        .unwrap();
    let stderr = assert_error(&out, 1, "init /dev/null");
    assert!(
        stderr.contains("/dev/null") && stderr.contains("it is not a regular file"),
        "{stderr}"
    );
    assert!(!stderr.contains("already exists"), "{stderr}");
    assert!(!key.exists(), "no key file for a vault that was not made");
}

// ---------------------------------------------------------------------------
// KDF parameters in the header

/// `list` on `vault` under resource limits the old, unbounded parameters would
/// break: `memory` bytes of address space and `cpu_secs` of CPU time.
fn list_limited(vault: &TestVault, memory: u64, cpu_secs: u64) -> Output {
    let mut cmd = std::process::Command::new(common::BIN);
    isolate(&mut cmd)
        .arg("--vault")
        .arg(&vault.path)
        .arg("--passphrase-file")
        .arg(&vault.key)
        .arg("list");
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            for (resource, value) in [(libc::RLIMIT_AS, memory), (libc::RLIMIT_CPU, cpu_secs)] {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &raw const limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[test]
fn costly_kdf_parameters_are_refused_before_the_kdf_runs() {
    let vault = TestVault::with_passphrase("correct horse battery");
    let wrong = vault.dir.path().join("wrong");
    write_private(&wrong, "incorrect horse\n");
    let wrong_message = assert_error(&list_with(&vault, Unlock::Passphrase, &wrong), 3, "wrong");
    let set_slot = |memory_kib: i64, iterations: i64| {
        vault
            .db()
            .execute(
                "UPDATE key_slots SET kdf_memory_kib = ?1, kdf_iterations = ?2",
                [memory_kib, iterations],
            )
            .unwrap();
    };
    // The default header opens within these limits: 768 MiB of address space
    // and 20 s of CPU.
    const MEMORY: u64 = 768 << 20;
    assert_success(
        &list_limited(&vault, MEMORY, 20),
        "default KDF under limits",
    );
    // Headers the old bounds allowed: 1 GiB would not fit the address space
    // (the process would abort), 256 MiB × 64 passes would spend about 85
    // times the default's CPU. Both must be refused like a wrong passphrase.
    for (memory_kib, iterations) in [(1024 * 1024, 1), (256 * 1024, 64), (64 * 1024, 64)] {
        set_slot(memory_kib, iterations);
        let out = list_limited(&vault, MEMORY, 5);
        let what = format!("m = {memory_kib} KiB, t = {iterations}");
        let stderr = assert_error(&out, 3, &what);
        assert_eq!(stderr, wrong_message, "{what}");
    }
}

// ---------------------------------------------------------------------------
// Secrets on standard input

#[test]
fn oversized_standard_input_is_refused_while_reading() {
    let vault = TestVault::new();
    let huge = format!("auth_token={}\n", "x".repeat(2 * 1024 * 1024));
    let out = vault
        .cmd()
        .args(["add", "twilio", "big", "--set"])
        .arg("account_sid=AC0123456789abcdef0123456789abcdef")
        .arg("--secrets-stdin")
        .write_stdin(huge)
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "2 MiB on stdin");
    assert!(
        stderr.contains("standard input is larger than 1048576 bytes"),
        "{stderr}"
    );

    let long_value = format!("auth_token=sekrit{}\n", "x".repeat(70 * 1024));
    let out = vault
        .cmd()
        .args(["add", "twilio", "big", "--set"])
        .arg("account_sid=AC0123456789abcdef0123456789abcdef")
        .arg("--secrets-stdin")
        .write_stdin(long_value)
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "70 KiB value");
    assert!(
        stderr.contains("line 1") && stderr.contains("longer than 65536 bytes"),
        "{stderr}"
    );
    assert!(!stderr.contains("sekrit"));
    assert!(vault.list_json().is_empty(), "nothing was saved");

    // A PEM key of a usual size still fits.
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----{}-----END PRIVATE KEY-----",
        "A".repeat(3300)
    );
    vault.add(
        "twilio",
        "usual",
        None,
        &[("account_sid", "AC0123456789abcdef0123456789abcdef")],
        &[("auth_token", &pem)],
    );
}

// ---------------------------------------------------------------------------
// Credentials in URLs

#[test]
fn credentials_in_urls_are_refused_and_never_echoed() {
    let vault = TestVault::new();
    for domain in [
        "https://admin:hunter2@tenant.eu.auth0.com",
        "admin:hunter2@tenant.eu.auth0.com",
    ] {
        let out = vault.try_add(
            "auth0",
            "mgmt",
            None,
            &[("domain", domain)],
            &[("client_id", "id"), ("client_secret", "s")],
        );
        let stderr = assert_error(&out, 2, domain);
        assert!(
            stderr.contains("must not hold a user name or password"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    let out = vault.try_add(
        "twilio",
        "t",
        None,
        &[
            ("account_sid", "AC0123456789abcdef0123456789abcdef"),
            ("base_url", "https://u:hunter2@api.twilio.com"),
        ],
        &[("auth_token", "tok")],
    );
    let stderr = assert_error(&out, 2, "base_url with credentials");
    assert!(stderr.contains("Base URL must not hold"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let out = vault.try_add(
        "slack",
        "hook",
        Some("webhook"),
        &[],
        &[(
            "webhook_url",
            "https://u:hunter2@hooks.slack.com/services/x",
        )],
    );
    let stderr = assert_error(&out, 2, "webhook with credentials");
    assert!(stderr.contains("Webhook URL must not hold"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(vault.list_json().is_empty());
}

// ---------------------------------------------------------------------------
// Names

fn add_empty(vault: &TestVault, name: &str) -> Output {
    vault
        .cmd()
        .args(["add", "twilio", name, "--empty"])
        .output()
        .unwrap()
}

#[test]
fn names_with_invisible_or_reordering_characters_are_refused() {
    let vault = TestVault::new();
    for name in [
        "prod\u{202E}dorp",
        "pro\u{200B}d",
        "\u{FEFF}prod",
        "prod\u{2066}x\u{2069}",
        "prod\u{200E}",
        "prod\u{061C}",
    ] {
        let out = add_empty(&vault, name);
        let stderr = assert_error(&out, 2, &format!("{name:?}"));
        assert!(
            stderr.contains("invisible or direction-changing characters"),
            "{stderr}"
        );
    }
    let out = vault
        .cmd()
        .args(["flows", "add", "flow\u{200D}x"])
        .output()
        .unwrap();
    assert_error(&out, 2, "flow name with a zero-width joiner");
    assert!(vault.list_json().is_empty());
}

#[test]
fn a_decomposed_name_is_the_same_name() {
    let vault = TestVault::new();
    assert_success(&add_empty(&vault, "Caf\u{E9} prod"), "composed name");
    let out = add_empty(&vault, "Cafe\u{301} prod");
    let stderr = assert_error(&out, 2, "decomposed look-alike");
    assert!(stderr.contains("already exists"), "{stderr}");
    let names: Vec<_> = vault
        .list_json()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Caf\u{E9} prod"]);
}

// ---------------------------------------------------------------------------
// The UI's log file

/// Starts the UI (no command) with its log in `log_dir`, in a new session
/// without a terminal: it sets up logging, then fails to take the terminal.
fn ui_without_terminal(log_dir: &Path) -> String {
    let mut cmd = std::process::Command::new(common::BIN);
    isolate(&mut cmd)
        .env("FLOWVAULT_LOG_DIR", log_dir)
        .env("FLOWVAULT_LOG", "trace")
        .arg("--vault")
        .arg(log_dir.join("absent.db"))
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "no terminal, no UI");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_new_log_is_private() {
    let dir = tempfile::TempDir::new().unwrap();
    let logs = dir.path().join("logs");
    let stderr = ui_without_terminal(&logs);
    assert!(!stderr.contains("logging is off"), "{stderr}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&logs), 0o700);
    assert_eq!(mode(&logs.join("flowvault.log")), 0o600);
}

#[test]
fn a_log_others_can_read_is_not_used() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = dir.path().join("flowvault.log");
    write_private(&log, "");
    chmod(&log, 0o644);
    let stderr = ui_without_terminal(dir.path());
    assert!(
        stderr.contains("logging is off") && stderr.contains("its mode 644"),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 0, "nothing logged");
}

#[test]
fn a_symlinked_log_is_never_followed() {
    let dir = tempfile::TempDir::new().unwrap();
    let target = dir.path().join("elsewhere");
    write_private(&target, "");
    symlink(&target, dir.path().join("flowvault.log")).unwrap();
    let stderr = ui_without_terminal(dir.path());
    assert!(
        stderr.contains("logging is off") && stderr.contains("symbolic link"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::metadata(&target).unwrap().len(),
        0,
        "nothing logged"
    );
}

#[test]
fn init_refuses_a_path_beside_another_vaults_write_ahead_log() {
    let vault = TestVault::new();
    add_empty(&vault, "Kept in the log");
    let log = std::path::PathBuf::from(format!("{}-wal", vault.path.display()));
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "the last commit is still in the log"
    );
    // The vault moved away without its log: a new vault at the same path
    // would take the old commits in, and a failed init would delete them.
    let moved = vault.dir.path().join("moved.db");
    std::fs::rename(&vault.path, &moved).unwrap();
    let out = vault
        .cmd()
        .arg("init")
        .arg("--new-key-file")
        .arg(vault.dir.path().join("new-key"))
        .output()
        .unwrap();
    let stderr = assert_error(&out, 2, "init beside a leftover log");
    assert!(
        stderr.contains("latest changes of another vault"),
        "{stderr}"
    );
    assert!(!vault.path.exists(), "no vault was created");
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "the log is kept"
    );

    // Put back together, the vault has every commit.
    std::fs::rename(&moved, &vault.path).unwrap();
    let names: Vec<_> = vault
        .list_json()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Kept in the log"]);
}
