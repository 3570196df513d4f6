//! At home in the shell: completions that load and complete, a manual page
//! that renders cleanly, help on every argument, a version that matches the
//! changelog, usage lines that tell the truth, and a passphrase prompt that
//! forgives a typo.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use common::terminal::{self, Terminal};
use common::{BIN, TestVault, assert_success, bare_cmd};
use flowvault::cli::Cli;

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has(program: &str) -> bool {
    StdCommand::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A folder holding `flowvault` (a link to the binary under test), for PATH:
/// the scripts call the binary by that name.
fn bin_dir(vault: &TestVault) -> std::path::PathBuf {
    let dir = vault.dir.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(BIN, dir.join("flowvault")).unwrap();
    dir
}

/// What bash's completion offers for `words`, the last one being typed, with
/// the script `flowvault completions bash` prints loaded.
fn bash_completes(vault: &TestVault, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        r#"source <(flowvault completions bash) || exit 9
COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9
_clap_complete_flowvault flowvault "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let path = format!(
        "{}:{}",
        bin_dir_once(vault).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut bash = StdCommand::new("bash");
    common::isolate(&mut bash);
    let out = bash
        .args(["-c", &script])
        .env("PATH", path)
        .env("FLOWVAULT_VAULT", &vault.path)
        .env("FLOWVAULT_KEY_FILE", &vault.key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_of(&out).lines().map(str::to_owned).collect()
}

fn bin_dir_once(vault: &TestVault) -> std::path::PathBuf {
    let dir = vault.dir.path().join("bin");
    if dir.join("flowvault").exists() {
        dir
    } else {
        bin_dir(vault)
    }
}

#[test]
fn every_shell_gets_a_script_and_bash_and_zsh_parse_theirs() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = bare_cmd().args(["completions", shell]).output().unwrap();
        assert_success(&out, shell);
        let script = stdout_of(&out);
        assert!(
            script.contains("FLOWVAULT_COMPLETE"),
            "{shell}: the script must call back into flowvault:\n{script}"
        );
        let checker = match shell {
            "bash" => "bash",
            "zsh" => "zsh",
            _ => continue,
        };
        if !has(checker) {
            eprintln!("skipped: no {checker} on this machine to parse the {shell} script");
            continue;
        }
        let dir = tempfile::TempDir::new().unwrap();
        let file = dir.path().join("completion");
        std::fs::write(&file, &script).unwrap();
        let check = StdCommand::new(checker)
            .arg("-n")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{checker} -n: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let out = bare_cmd().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn bash_completes_commands_services_and_the_vaults_own_names() {
    let vault = TestVault::new();
    vault
        .cmd()
        .args(["add", "http", "billing-api", "--empty"])
        .assert()
        .success();
    vault
        .cmd()
        .args(["add", "http", "other", "--empty"])
        .assert()
        .success();
    vault
        .cmd()
        .args(["flows", "add", "deploy"])
        .assert()
        .success();

    assert_eq!(bash_completes(&vault, &["flowvault", "sho"]), ["show"]);
    assert_eq!(
        bash_completes(&vault, &["flowvault", "flows", "add-a"]),
        ["add-action"]
    );
    assert_eq!(
        bash_completes(&vault, &["flowvault", "add", "auth"]),
        ["auth0"]
    );
    assert_eq!(
        bash_completes(&vault, &["flowvault", "show", "bil"]),
        ["billing-api"]
    );
    assert_eq!(
        bash_completes(&vault, &["flowvault", "run", "de"]),
        ["deploy"]
    );
    let all = bash_completes(&vault, &["flowvault", "rm", ""]);
    assert!(
        all.contains(&"billing-api".to_owned()) && all.contains(&"other".to_owned()),
        "{all:?}"
    );
}

#[test]
fn without_a_key_file_names_are_not_offered_and_nothing_is_asked() {
    let vault = TestVault::with_passphrase("correct horse battery");
    let mut cmd = StdCommand::new(BIN);
    common::isolate(&mut cmd);
    // The shell's own call, as the script makes it; no key: no names, no prompt.
    let out = cmd
        .args(["--", "flowvault", "show", ""])
        .env("FLOWVAULT_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .env("_CLAP_IFS", "\n")
        .env("FLOWVAULT_VAULT", &vault.path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let offered = stdout_of(&out);
    assert!(offered.contains("--reveal"), "{offered}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// groff's complaints about a page: none is the bar.
fn groff_warnings(page: &[u8]) -> String {
    let mut groff = StdCommand::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    groff.stdin.take().unwrap().write_all(page).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_manual_pages_render_without_warnings() {
    let out = bare_cmd().arg("man").output().unwrap();
    assert_success(&out, "man");
    let page = stdout_of(&out);
    assert!(page.contains(".TH flowvault 1"), "{page}");
    assert!(page.contains("EXIT STATUS") && page.contains("completions"));
    if !has("groff") {
        eprintln!("skipped: no groff on this machine to render the pages");
        return;
    }
    assert_eq!(groff_warnings(page.as_bytes()), "", "flowvault(1)");
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        let mut words = vec![sub.get_name().to_owned()];
        let pages: Vec<Vec<String>> = std::iter::once(words.clone())
            .chain(sub.get_subcommands().map(|s| {
                words.push(s.get_name().to_owned());
                let page = words.clone();
                words.pop();
                page
            }))
            .collect();
        for page_of in pages {
            let out = bare_cmd().arg("man").args(&page_of).output().unwrap();
            assert_success(&out, &page_of.join(" "));
            assert!(stdout_of(&out).contains(&format!(".TH flowvault-{}", page_of.join("-"))));
            assert_eq!(groff_warnings(&out.stdout), "", "{page_of:?}");
        }
    }
}

#[test]
fn every_argument_and_flag_says_what_it_is() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if arg.get_help().is_none() && !arg.is_hide_set() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (the command)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cli = Cli::command();
    cli.build();
    let mut missing = Vec::new();
    walk(&cli, "flowvault", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
}

#[test]
fn global_options_show_under_their_own_heading() {
    let out = bare_cmd().args(["show", "--help"]).output().unwrap();
    let help = stdout_of(&out);
    let (own, global) = help.split_once("Global options:").expect(&help);
    assert!(
        own.contains("--reveal") && !own.contains("--key-file"),
        "{help}"
    );
    assert!(
        global.contains("--key-file") && global.contains("--vault"),
        "{help}"
    );
}

/// The version the README's changelog names last.
fn changelog_version() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_once(" — ").map(|(v, _)| v.trim()))
        .rfind(|v| v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()))
        .expect("a changelog entry")
        .to_owned()
}

#[test]
fn the_version_is_the_changelogs_latest() {
    let out = bare_cmd().arg("--version").output().unwrap();
    assert_eq!(
        stdout_of(&out).trim(),
        format!("flowvault {}", changelog_version())
    );
}

#[tokio::test]
async fn the_user_agent_carries_the_same_version() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header(
            "user-agent",
            format!("flowvault/{}", changelog_version()).as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok", "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    let vault = TestVault::new();
    vault.add(
        "auth0",
        "Mgmt API",
        None,
        &[("domain", &server.uri()), ("client_id", "abc")],
        &[("client_secret", "s3cret")],
    );
    let out = vault.cmd().args(["token", "Mgmt API"]).output().unwrap();
    assert_success(&out, "token");
    server.verify().await;
}

#[test]
fn options_set_by_the_environment_are_not_shown_as_required() {
    let vault = TestVault::with_passphrase("correct horse battery");
    let out = bare_cmd()
        .arg("show")
        .env("FLOWVAULT_VAULT", &vault.path)
        .env("FLOWVAULT_PASSPHRASE_FILE", &vault.key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Usage: flowvault show [OPTIONS] <NAME>"),
        "{stderr}"
    );
    assert!(!stderr.contains("--passphrase-file <"), "{stderr}");
}

/// `flowvault ARGS` in a pseudo-terminal, answering each passphrase prompt
/// with the next of `answers`; returns the exit code and what it printed.
fn with_typed_passphrases(vault: &TestVault, args: &[&str], answers: &[&str]) -> (u32, String) {
    let mut cmd = terminal::flowvault();
    cmd.arg("--vault");
    cmd.arg(&vault.path);
    cmd.args(args);
    Terminal::answering(cmd, "Passphrase for", answers)
}

#[test]
fn a_mistyped_passphrase_is_asked_again_three_tries_in_all() {
    let vault = TestVault::with_passphrase("correct horse battery");
    vault
        .cmd()
        .args(["add", "http", "api", "--empty"])
        .assert()
        .success();

    let (code, screen) = with_typed_passphrases(
        &vault,
        &["list"],
        &["wrong", "also wrong", "correct horse battery"],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen.matches("Passphrase for").count(), 3, "{screen}");
    assert!(
        screen.contains("wrong passphrase; try again (2 left)"),
        "{screen}"
    );
    assert!(
        screen.contains("wrong passphrase; try again (1 left)"),
        "{screen}"
    );
    assert!(screen.contains("api"), "{screen}");
    // Typed the moment each prompt showed, and never drawn: echo goes off
    // before the prompt is written.
    for typed in ["also wrong", "correct horse battery"] {
        assert!(!screen.contains(typed), "{typed:?} echoed:\n{screen}");
    }

    let (code, screen) = with_typed_passphrases(&vault, &["list"], &["a", "b", "c", "d"]);
    assert_eq!(code, 3, "{screen}");
    assert_eq!(screen.matches("Passphrase for").count(), 3, "{screen}");
    assert!(
        screen.contains("error: cannot unlock the vault"),
        "{screen}"
    );

    // A passphrase given by file gets one try: no prompt to retry at.
    let wrong = vault.dir.path().join("wrong");
    common::write_private(&wrong, "nope\n");
    let out = bare_cmd()
        .args(["--vault"])
        .arg(&vault.path)
        .arg("--passphrase-file")
        .arg(&wrong)
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("try again"));
}

#[test]
fn a_vault_only_a_key_file_opens_is_said_so_instead_of_asking() {
    let vault = TestVault::new();
    // On a terminal, where a passphrase could be asked for: it is not.
    let (code, screen) = with_typed_passphrases(&vault, &["list"], &["guess"]);
    assert_eq!(code, 3, "{screen}");
    assert!(!screen.contains("Passphrase for"), "{screen}");
    assert!(screen.contains("opens only with its key file"), "{screen}");
    assert!(screen.contains("--key-file"), "{screen}");
}

#[test]
fn copy_asks_again_for_a_mistyped_destination_passphrase() {
    let from = TestVault::new();
    from.cmd()
        .args(["add", "http", "api", "--empty"])
        .assert()
        .success();
    let to = TestVault::with_passphrase("destination passphrase");
    let to_path = to.path.display().to_string();
    // The source opens by its key file; the destination's passphrase is typed.
    let key = from.key.display().to_string();
    let (code, screen) = with_typed_passphrases(
        &from,
        &["--key-file", &key, "copy", "--to", &to_path],
        &["wrong", "destination passphrase"],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("wrong passphrase; try again (2 left)"),
        "{screen}"
    );
    let out = to.cmd().args(["show", "api"]).output().unwrap();
    assert_success(&out, "show the copied connection");
}

/// Types `keys` into an interactive bash (no rc files) in a pseudo-terminal
/// with the completion script loaded, and returns the screen once `until`
/// shows on it.
fn interactive_bash(vault: &TestVault, keys: &str, until: &str) -> String {
    let mut cmd = portable_pty::CommandBuilder::new("bash");
    cmd.args(["--norc", "--noprofile", "-i"]);
    cmd.env_clear();
    cmd.env("TERM", "xterm");
    cmd.env("HOME", vault.dir.path());
    cmd.env("PS1", "$ ");
    cmd.env(
        "PATH",
        format!("{}:/usr/bin:/bin", bin_dir_once(vault).display()),
    );
    cmd.env("FLOWVAULT_VAULT", &vault.path);
    cmd.env("FLOWVAULT_KEY_FILE", &vault.key);
    let mut terminal = Terminal::spawn(cmd, 120);
    terminal.type_keys("source <(flowvault completions bash); echo LOADED\r");
    let mut seen = String::new();
    let mut typed = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.contains(until) || !typed {
        terminal.read_into(&mut seen, Duration::from_millis(50));
        if !typed && seen.contains("LOADED\r\n") {
            terminal.type_keys(keys);
            typed = true;
        }
        assert!(Instant::now() < deadline, "never showed {until:?}:\n{seen}");
    }
    terminal.child.kill().ok();
    seen
}

#[test]
fn bash_puts_a_name_with_a_space_on_the_line_as_one_word() {
    if !has("bash") {
        eprintln!("skipped: no bash");
        return;
    }
    let vault = TestVault::new();
    vault
        .cmd()
        .args(["add", "http", "billing api", "--empty"])
        .assert()
        .success();
    let screen = interactive_bash(&vault, "flowvault show bil\t", "billing\\ api");
    assert!(screen.contains("flowvault show billing\\ api"), "{screen}");
}
