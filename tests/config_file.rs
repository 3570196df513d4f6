//! The config file from the command line: a broken file is a warning with
//! its line and column and the program runs on defaults; `flowvault config`
//! says where each value came from; flags beat variables beat the file.

mod common;

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{TestVault, bare_cmd};
use serde_json::Value;
use tempfile::TempDir;

/// A config file in its own folder.
fn config_file(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write the config file");
    // Whatever the umask: a file others may write is not read.
    std::fs::set_permissions(&path, Permissions::from_mode(0o600)).expect("chmod");
    (dir, path)
}

fn config_json(cmd: &mut assert_cmd::Command) -> Value {
    config_json_and_warnings(cmd).0
}

/// `config --json` run by `cmd`: its JSON, and what it said on stderr.
fn config_json_and_warnings(cmd: &mut assert_cmd::Command) -> (Value, String) {
    let out = cmd.args(["config", "--json"]).output().expect("run");
    assert!(out.status.success(), "{out:?}");
    let json = serde_json::from_slice(&out.stdout).expect("config --json is JSON");
    (json, stderr(&out))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_file_that_is_not_toml_is_a_warning_with_line_and_column_and_defaults_apply() {
    let (_dir, path) = config_file("vault = \"/srv/elsewhere.db\"\n\n[timeouts\nreveal = 30\n");
    let (json, err) = config_json_and_warnings(bare_cmd().arg("--config").arg(&path));
    let expected = format!("warning: config file {}, line 3, column ", path.display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("not valid TOML"), "{err}");
    // Nothing of the file applies, not even its first, good line.
    assert_eq!(json["vault"]["source"]["kind"], "default");
    assert_ne!(json["vault"]["value"], "/srv/elsewhere.db");
    assert_eq!(json["timeouts"]["reveal"]["value"]["seconds"], 10);
    assert_eq!(json["warnings"][0]["line"], 3);
    assert!(json["warnings"][0]["column"].as_u64().unwrap() >= 1);
}

#[test]
fn a_wrong_type_costs_only_its_section_and_every_command_warns() {
    let vault = TestVault::new();
    let (_dir, path) = config_file(&format!(
        "vault = \"{}\"\n[timeouts]\nreveal = true\n[theme]\nmuted = \"gray\"\n",
        vault.path.display()
    ));
    // A real command: the file's vault is the one opened, and the warning
    // names the line and column of `true`.
    let out = bare_cmd()
        .arg("--config")
        .arg(&path)
        .arg("--key-file")
        .arg(&vault.key)
        .args(["list", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: config file {}, line 3, column 10:",
            path.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let json = config_json(bare_cmd().arg("--config").arg(&path));
    assert_eq!(json["timeouts"]["reveal"]["source"]["kind"], "default");
    let muted = &json["theme"].as_array().unwrap()[1];
    assert_eq!(muted["role"], "muted");
    assert_eq!(muted["style"], "gray");
    assert_eq!(muted["source"]["kind"], "file");
}

#[test]
fn config_prints_each_value_and_where_it_came_from() {
    let (dir, path) = config_file(
        "vault = \"team.db\"\n[timeouts]\nreveal = \"30s\"\n[keys.list]\ndelete = \"x\"\n[keys.details]\ncopy = [\"y\", \"ctrl-y\"]\n",
    );
    let out = bare_cmd()
        .env("FLOWVAULT_CONFIG", &path)
        .env("FLOWVAULT_LANG", "en")
        .args(["config"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let file = path.display();
    assert_eq!(text.lines().next().unwrap(), format!("config file: {file}"));
    // Relative to the file's folder, as kubeconfig paths are.
    let team = dir.path().join("team.db");
    assert_eq!(
        line("vault"),
        format!("vault {} file {file}", team.display())
    );
    assert_eq!(line("lang"), "lang en env FLOWVAULT_LANG");
    assert_eq!(
        line("timeouts.reveal"),
        format!("timeouts.reveal 30s file {file}")
    );
    // The UI acts on both: no "(not used yet)" any more, and the UI
    // locks itself after 15 minutes unless the file says otherwise.
    assert_eq!(
        line("timeouts.clipboard_clear"),
        "timeouts.clipboard_clear 30s default"
    );
    assert_eq!(line("timeouts.auto_lock"), "timeouts.auto_lock 15m default");
    assert_eq!(line("theme.muted"), "theme.muted dim default");
    assert_eq!(
        line("keys.list.delete"),
        format!("keys.list.delete x file {file}")
    );
    assert_eq!(
        line("keys.details.copy"),
        format!("keys.details.copy y, ctrl-y file {file}")
    );
}

#[test]
fn a_refused_rebinding_is_a_warning_and_not_listed() {
    let (_dir, path) = config_file("[keys.list]\ndelete = \"a\"\nrefresh = \"F5\"\n");
    let json = config_json(bare_cmd().arg("--config").arg(&path));
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["action"], "refresh");
    assert_eq!(keys[0]["keys"][0], "F5");
    let warning = &json["warnings"][0];
    assert_eq!(
        (warning["line"].as_u64(), warning["column"].as_u64()),
        (Some(2), Some(10))
    );
    let message = warning["message"].as_str().unwrap();
    assert!(message.contains("already does “add”"), "{message}");
}

/// A screen that does not exist takes nothing: `config` does not list the
/// rebinding as applied, and says why, as text and as JSON.
#[test]
fn a_rebinding_on_an_unknown_screen_is_not_listed_as_applied() {
    let (_dir, path) = config_file("[keys.lists]\ndelete = \"x\"\n[keys.list]\nedit = \"E\"\n");
    let json = config_json(bare_cmd().arg("--config").arg(&path));
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["screen"], "list");
    assert_eq!(keys[0]["action"], "edit");
    let message = json["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("unknown screen “lists”"), "{message}");
    let out = bare_cmd()
        .arg("--config")
        .arg(&path)
        .env("FLOWVAULT_LANG", "en")
        .arg("config")
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("keys.lists"), "{text}");
    assert!(text.contains("keys.list.edit"), "{text}");
}

/// Every command, not only `config`, says which rebindings were refused.
#[test]
fn commands_warn_of_refused_rebindings() {
    let vault = TestVault::new();
    let (_dir, path) = config_file(&format!(
        "vault = \"{}\"\n[keys.lists]\ndelete = \"x\"\n[keys.list]\nlaunch = \"l\"\nedit = \"ctrl-shift-e\"\n",
        vault.path.display()
    ));
    let out = bare_cmd()
        .arg("--config")
        .arg(&path)
        .arg("--key-file")
        .arg(&vault.key)
        .env("FLOWVAULT_LANG", "en")
        .args(["list", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    let file = path.display();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("warning: config file {file}, line 2, column 7:"))
            && lines[0].contains("unknown screen “lists”"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("warning: config file {file}, line 5, column 10:"))
            && lines[1].contains("no action “launch”"),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("warning: config file {file}, line 6, column 8:"))
            && lines[2].contains("ctrl-shift-e"),
        "{err}"
    );
}

#[test]
fn every_timeout_is_marked_used_in_json() {
    let (_dir, path) = config_file("[timeouts]\nclipboard_clear = 45\nauto_lock = \"15m\"\n");
    let (json, err) = config_json_and_warnings(bare_cmd().arg("--config").arg(&path));
    // Setting them is no mistake: no warning.
    assert_eq!(err, "");
    let timeouts = &json["timeouts"];
    assert_eq!(timeouts["reveal"]["used"], true);
    assert_eq!(timeouts["clipboard_clear"]["used"], true);
    assert_eq!(timeouts["clipboard_clear"]["value"]["seconds"], 45);
    assert_eq!(timeouts["auto_lock"]["used"], true);
    assert_eq!(timeouts["auto_lock"]["value"]["seconds"], 900);
    assert_eq!(timeouts["auto_lock"]["source"]["kind"], "file");
}

/// A file anyone may change could point `vault` at their server, which
/// would get the OpenBao login: it is not read.
#[test]
fn a_file_others_may_write_is_refused_with_a_warning() {
    let (_dir, path) = config_file("vault = \"openbao://bao.example:8200/team\"\n");
    std::fs::set_permissions(&path, Permissions::from_mode(0o666)).unwrap();
    let (json, err) = config_json_and_warnings(
        bare_cmd()
            .arg("--config")
            .arg(&path)
            .env("FLOWVAULT_LANG", "en"),
    );
    assert!(
        err.starts_with(&format!("warning: config file {}:", path.display()))
            && err.contains("writable by its group or by others"),
        "{err}"
    );
    assert_eq!(json["vault"]["source"]["kind"], "default");
}

/// Flag beats variable beats file beats default, for the vault and the language.
#[test]
fn flags_beat_variables_beat_the_file() {
    let (_dir, path) = config_file("vault = \"/from/file.db\"\nlang = \"fr\"\n");
    let with_file = || {
        let mut cmd = bare_cmd();
        cmd.arg("--config").arg(&path);
        cmd
    };
    let source = |json: &Value, what: &str| {
        (
            json[what]["value"].as_str().unwrap().to_owned(),
            json[what]["source"]["kind"].as_str().unwrap().to_owned(),
        )
    };
    let json = config_json(
        with_file()
            .env("FLOWVAULT_VAULT", "/from/env.db")
            .env("FLOWVAULT_LANG", "ja")
            .args(["--vault", "/from/flag.db", "--lang", "en"]),
    );
    assert_eq!(
        source(&json, "vault"),
        ("/from/flag.db".into(), "flag".into())
    );
    assert_eq!(source(&json, "lang"), ("en".into(), "flag".into()));
    let json = config_json(
        with_file()
            .env("FLOWVAULT_VAULT", "/from/env.db")
            .env("FLOWVAULT_LANG", "ja"),
    );
    assert_eq!(
        source(&json, "vault"),
        ("/from/env.db".into(), "env".into())
    );
    assert_eq!(source(&json, "lang"), ("ja".into(), "env".into()));
    assert_eq!(json["vault"]["source"]["var"], "FLOWVAULT_VAULT");
    let json = config_json(&mut with_file());
    assert_eq!(
        source(&json, "vault"),
        ("/from/file.db".into(), "file".into())
    );
    assert_eq!(source(&json, "lang"), ("fr".into(), "file".into()));
    assert_eq!(json["file"]["source"]["kind"], "flag");
    // Without the file: the defaults (the language from LANG=C: English).
    let json = config_json(&mut bare_cmd());
    assert_eq!(json["vault"]["source"]["kind"], "default");
    assert_eq!(json["lang"]["value"], "en");
    assert_eq!(json["file"]["found"], false);
}

/// The file's language is the interface's: the warning of a bad setting
/// further down is in it.
#[test]
fn the_file_language_applies_to_messages() {
    let (_dir, path) = config_file("lang = \"fr\"\ncolour = \"red\"\n");
    let out = bare_cmd()
        .arg("--config")
        .arg(&path)
        .args(["config"])
        .output()
        .expect("run");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "warning: fichier de configuration {}, ligne 2, colonne 1 : réglage « colour » inconnu",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn a_named_file_that_is_missing_is_a_warning() {
    let missing = Path::new("/nonexistent/flowvault/config.toml");
    let out = bare_cmd()
        .arg("--config")
        .arg(missing)
        .args(["config", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stderr(&out).trim_end(),
        "warning: config file /nonexistent/flowvault/config.toml: not found; using the defaults"
    );
}
