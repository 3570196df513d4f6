//! The real binary in a pseudo-terminal, for what only a real terminal shows:
//! that it starts on the vault it is given, draws, takes keys, and hands the
//! terminal back as it found it when it quits.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_flowvault");
const ROWS: u16 = 24;
const COLS: u16 = 80;
/// Generous: a debug build on a busy CI machine can be slow to start. Waits
/// poll and return as soon as the screen is right, so this costs nothing.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Variables that would point the binary at the developer's own vault or key,
/// or change the language of the text the test reads.
const ISOLATING_ENV: &[&str] = &[
    "FLOWVAULT_VAULT",
    "FLOWVAULT_KEY_FILE",
    "FLOWVAULT_PASSPHRASE_FILE",
    "FLOWVAULT_LANG",
    "FLOWVAULT_LOG",
    "LC_ALL",
    "LC_MESSAGES",
];

/// A vault made by `flowvault init --new-key-file`, as an operator would.
struct Setup {
    dir: TempDir,
    vault: PathBuf,
    key: PathBuf,
}

impl Setup {
    /// A vault unlocked by a passphrase, read from a file by `init`.
    fn with_passphrase(passphrase: &str) -> Setup {
        let dir = TempDir::new().unwrap();
        let vault = dir.path().join("vault.db");
        let key = dir.path().join("passphrase");
        std::fs::write(&key, format!("{passphrase}\n")).unwrap();
        // flowvault refuses a passphrase file others could read.
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&key, private).unwrap();
        let out = Setup::cli(&vault, &key)
            .env_remove("FLOWVAULT_KEY_FILE")
            .env("FLOWVAULT_PASSPHRASE_FILE", &key)
            .arg("init")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Setup { dir, vault, key }
    }

    fn new() -> Setup {
        let dir = TempDir::new().unwrap();
        let vault = dir.path().join("vault.db");
        let key = dir.path().join("key");
        let out = Setup::cli(&vault, &key)
            .arg("init")
            .arg("--new-key-file")
            .arg(&key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Setup { dir, vault, key }
    }

    fn cli(vault: &Path, key: &Path) -> Command {
        let mut cmd = Command::new(BIN);
        for var in ISOLATING_ENV {
            cmd.env_remove(var);
        }
        cmd.env("LANG", "C")
            .env("FLOWVAULT_VAULT", vault)
            .env("FLOWVAULT_KEY_FILE", key);
        cmd
    }

    fn list_json(&self) -> Vec<Value> {
        let out = Setup::cli(&self.vault, &self.key)
            .args(["list", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "list: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("list --json prints a JSON array")
    }
}

/// The binary running in a pseudo-terminal, its output read on a thread and
/// fed to a terminal emulator.
struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Receiver<Vec<u8>>,
    /// Everything the binary wrote, escape sequences included.
    raw: Vec<u8>,
    parser: vt100::Parser,
    /// Kept open: closing the master would hang up the child.
    _master: Box<dyn MasterPty + Send>,
}

impl Pty {
    fn spawn(setup: &Setup) -> Pty {
        Pty::spawn_with(setup, true)
    }

    /// Without the key file the UI asks for the passphrase itself.
    fn spawn_with(setup: &Setup, with_key_file: bool) -> Pty {
        Pty::spawn_with_env(setup, with_key_file, &[])
    }

    /// As [`Pty::spawn_with`], with more variables set (`EDITOR`, say).
    fn spawn_with_env(setup: &Setup, with_key_file: bool, env: &[(&str, &Path)]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(BIN);
        for var in ISOLATING_ENV {
            cmd.env_remove(var);
        }
        cmd.env("LANG", "C");
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        cmd.env("FLOWVAULT_VAULT", &setup.vault);
        if with_key_file {
            cmd.env("FLOWVAULT_KEY_FILE", &setup.key);
        }
        cmd.env("FLOWVAULT_LOG_DIR", setup.dir.path());
        for (var, value) in env {
            cmd.env(var, value);
        }
        cmd.cwd(setup.dir.path());
        let child = pair.slave.spawn_command(cmd).expect("spawn flowvault");
        // The child holds its own end; ours would keep the reader from ever
        // seeing the end of the output.
        drop(pair.slave);

        let mut reader = pair.master.try_clone_reader().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends with an error (EIO) or 0 once the child is gone.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Pty {
            child,
            writer,
            output,
            raw: Vec::new(),
            parser: vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 0),
            _master: pair.master,
        }
    }

    /// Resizes the terminal, as a window manager would (SIGWINCH).
    fn resize(&mut self, rows: u16, cols: u16) {
        self._master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser
            .screen_mut()
            .set_size(rows.try_into().unwrap(), cols.try_into().unwrap());
    }

    /// Takes in what arrives within `wait`; false once the output has ended.
    fn pump(&mut self, wait: Duration) -> bool {
        match self.output.recv_timeout(wait) {
            Ok(chunk) => {
                self.parser.process(&chunk);
                self.raw.extend_from_slice(&chunk);
                while let Ok(more) = self.output.try_recv() {
                    self.parser.process(&more);
                    self.raw.extend_from_slice(&more);
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        }
    }

    fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&mut self, text: &str) {
        let start = Instant::now();
        while !self.screen().contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {text:?}; the screen:\n{}",
                self.screen()
            );
            if !self.pump(Duration::from_millis(50)) && !self.screen().contains(text) {
                panic!(
                    "the output ended before {text:?} showed; the screen:\n{}",
                    self.screen()
                );
            }
        }
    }

    fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the process to exit and for the last of its output.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "flowvault did not exit; the screen:\n{}",
                self.screen()
            );
            self.pump(Duration::from_millis(20));
        };
        let start = Instant::now();
        while self.pump(Duration::from_millis(50)) && start.elapsed() < TIMEOUT {}
        status
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Never leave a child behind when an assertion fails mid-way.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

#[test]
fn add_a_connection_in_a_real_terminal_and_quit_cleanly() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet. Press a to add one.");
    assert!(
        pty.raw.windows(8).any(|w| w == b"\x1b[?1049h"),
        "the UI draws on the alternate screen"
    );

    pty.keys("a");
    pty.wait_for("Choose the service");
    pty.keys("sendgrid");
    pty.wait_for("Search: sendgrid");
    pty.keys("\r");
    pty.wait_for("Name the connection");
    pty.keys("Mail prod");
    pty.wait_for("✓ available");
    pty.keys("\r");
    pty.wait_for("Credentials");
    pty.keys("SG.pty-secret-value");
    pty.wait_for("•••••••••••••••••••");
    assert!(!pty.screen().contains("pty-secret"), "{}", pty.screen());
    // API Key, then the optional Base URL: the second Enter saves.
    pty.keys("\r\r");
    pty.wait_for("Added “Mail prod”.");
    let screen = pty.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("Mail prod"))
        .unwrap_or_else(|| panic!("no row for the new connection:\n{screen}"));
    assert!(row.starts_with('>'), "{row}");
    assert!(row.contains("✓ ready") && row.contains("SendGrid"), "{row}");

    let before_quit = pty.raw.len();
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success(), "exit status {status:?}");

    let after = &pty.raw[before_quit..];
    let has = |seq: &[u8]| after.windows(seq.len()).any(|w| w == seq);
    assert!(has(b"\x1b[?1049l"), "left the alternate screen");
    assert!(has(b"\x1b[?25h"), "showed the cursor again");
    // NO_COLOR: no colour was ever sent (256-colour or true-colour SGR).
    let all = &pty.raw;
    for sgr in [&b"\x1b[38;5;"[..], b"\x1b[48;5;", b"\x1b[38;2;"] {
        assert!(
            !all.windows(sgr.len()).any(|w| w == sgr),
            "colour sent despite NO_COLOR: {:?}",
            String::from_utf8_lossy(sgr)
        );
    }

    let list = setup.list_json();
    let entry = list
        .iter()
        .find(|e| e["name"] == "Mail prod")
        .unwrap_or_else(|| panic!("Mail prod not in list --json: {list:?}"));
    assert_eq!(entry["service"], "sendgrid", "{entry}");
    assert_eq!(entry["status"], "ready", "{entry}");
    assert!(!entry.to_string().contains("pty-secret"), "{entry}");
}

#[test]
fn resizing_the_terminal_redraws_at_the_new_size() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet.");
    pty.resize(10, 50);
    pty.wait_for("Terminal too small: need 60x15, have 50x10.");
    pty.resize(40, 120);
    pty.wait_for("No connections yet.");
    let header = pty.screen().lines().next().unwrap_or_default().to_owned();
    assert!(header.ends_with("vault.db"), "{header:?}");
    // Ctrl-c quits as cleanly as q.
    let before_quit = pty.raw.len();
    pty.keys("\x03");
    let status = pty.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let after = &pty.raw[before_quit..];
    assert!(after.windows(8).any(|w| w == b"\x1b[?1049l"));
}

#[test]
fn the_passphrase_is_never_echoed() {
    let passphrase = "pty passphrase 42";
    let setup = Setup::with_passphrase(passphrase);
    let mut pty = Pty::spawn_with(&setup, false);
    pty.wait_for("Unlock vault");
    pty.keys("wrong one\r");
    pty.wait_for("Wrong passphrase");
    pty.keys(passphrase);
    pty.wait_for(&"•".repeat(passphrase.len()));
    pty.keys("\r");
    pty.wait_for("No connections yet.");
    let raw = String::from_utf8_lossy(&pty.raw);
    assert!(
        !raw.contains(passphrase),
        "the passphrase reached the terminal"
    );
    assert!(!raw.contains("wrong one"));
    pty.keys("q");
    assert!(pty.wait_exit().success());
}

/// What a terminal sends for a paste once bracketed paste is on.
fn bracketed(text: &str) -> String {
    format!("\x1b[200~{text}\x1b[201~")
}

#[test]
fn a_pasted_private_key_of_30_lines_is_stored_exactly() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet.");
    assert!(
        pty.raw.windows(8).any(|w| w == b"\x1b[?2004h"),
        "bracketed paste is turned on"
    );
    pty.keys("a");
    pty.wait_for("Choose the service");
    pty.keys("bigquery");
    pty.wait_for("Search: bigquery");
    pty.keys("\r");
    pty.wait_for("Name the connection");
    pty.keys("Warehouse");
    pty.wait_for("✓ available");
    pty.keys("\r");
    pty.wait_for("Project ID");
    pty.keys("my-project-123\tsvc@my-project-123.iam.gserviceaccount.com\t");
    pty.wait_for("> Private Key");

    let mut lines = vec!["-----BEGIN PRIVATE KEY-----".to_owned()];
    // Base64 full of letters bound to keys elsewhere: q quits, d deletes, r runs.
    for i in 0..28 {
        lines.push(format!(
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBqdrx{i:012}"
        ));
    }
    lines.push("-----END PRIVATE KEY-----".to_owned());
    assert_eq!(lines.len(), 30);
    let pem = lines.join("\n");
    // A terminal sends the line breaks of a paste as CR, like Enter.
    pty.keys(&bracketed(&pem.replace('\n', "\r")));
    pty.wait_for("30 lines");
    let screen = pty.screen();
    assert!(screen.contains("Credentials"), "{screen}");
    assert!(!screen.contains("MIIE"), "{screen}");
    pty.keys("\r");
    pty.wait_for("Added “Warehouse”.");
    let raw = String::from_utf8_lossy(&pty.raw);
    assert!(!raw.contains("MIIE"), "the key reached the terminal");
    pty.keys("q");
    assert!(pty.wait_exit().success());

    let out = Setup::cli(&setup.vault, &setup.key)
        .args(["show", "Warehouse", "--reveal", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "show: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).expect("show --json prints JSON");
    assert_eq!(shown["fields"]["private_key"], Value::from(pem), "{shown}");
}

#[test]
fn a_paste_is_never_read_as_keys_and_paste_mode_ends_with_the_ui() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet.");
    // No text field has the focus: the paste is dropped, not read as `a`
    // (add), `d` (delete) or `q` (quit). `?` then shows the UI still listens
    // to keys, on the list.
    pty.keys(&bracketed("adq\r"));
    pty.keys("?");
    pty.wait_for("Keys");
    let screen = pty.screen();
    assert!(!screen.contains("Choose the service"), "{screen}");
    pty.keys("\x1b");
    pty.wait_for("No connections yet.");

    // In the wizard's search field it is text, its line break a space: read
    // as keys, the Enter would have chosen Twilio and `q` named it.
    pty.keys("a");
    pty.wait_for("Choose the service");
    pty.keys(&bracketed("twil\rq"));
    pty.wait_for("Search: twil q");
    let screen = pty.screen();
    assert!(screen.contains("Choose the service"), "{screen}");

    let before_quit = pty.raw.len();
    pty.keys("\x03");
    assert!(pty.wait_exit().success());
    let after = &pty.raw[before_quit..];
    assert!(
        after.windows(8).any(|w| w == b"\x1b[?2004l"),
        "bracketed paste is turned off on the way out"
    );
    assert!(after.windows(8).any(|w| w == b"\x1b[?1049l"));
}

#[test]
fn a_cli_add_from_another_process_appears_in_the_open_ui_within_2_s() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet. Press a to add one.");

    let mut add = Setup::cli(&setup.vault, &setup.key)
        .args(["add", "sendgrid", "From the shell", "--secrets-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"api_key=SG.from-the-shell\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "add: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // No key is pressed: the UI looks at the file every second.
    let added = Instant::now();
    while !pty.screen().contains("From the shell") {
        assert!(
            added.elapsed() < Duration::from_secs(2),
            "the connection added from the shell is not shown after 2 s:\n{}",
            pty.screen()
        );
        pty.pump(Duration::from_millis(20));
    }
    assert!(pty.screen().contains("Connections (1)"), "{}", pty.screen());

    pty.keys("q");
    assert!(pty.wait_exit().success());
}

#[test]
fn on_help_an_unbound_key_does_nothing_and_q_does_what_the_footer_says() {
    let setup = Setup::new();
    let mut pty = Pty::spawn(&setup);
    pty.wait_for("No connections yet.");
    pty.keys("?");
    pty.wait_for("Esc/?/q close");
    let help = pty.screen();
    // `x` is bound nowhere on help: it must neither close help silently nor
    // leave a picture the keys no longer match.
    pty.keys("x");
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        pty.pump(Duration::from_millis(50));
    }
    assert_eq!(pty.screen(), help, "an unbound key changed the screen");
    // The footer on screen says `q` closes help: it closes it, and quits nothing.
    pty.keys("q");
    pty.wait_for("No connections yet.");
    assert!(!pty.screen().contains("Esc/?/q close"), "{}", pty.screen());
    assert!(
        pty.child.try_wait().unwrap().is_none(),
        "q on help quit flowvault"
    );
    // On the list, `q` quits, as its footer says.
    pty.wait_for("q quit");
    pty.keys("q");
    assert!(pty.wait_exit().success());
}

/// Ctrl-o hands the real terminal to `$EDITOR` (raw mode off, the main
/// screen back), takes it again, and the key the editor wrote is saved
/// byte for byte, its final line break with it.
#[test]
fn ctrl_o_hands_the_terminal_to_the_editor_and_takes_its_bytes() {
    let setup = Setup::new();
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBqdrx\n-----END PRIVATE KEY-----\n";
    let source = setup.dir.path().join("key.pem");
    std::fs::write(&source, pem).unwrap();
    let editor = setup.dir.path().join("editor.sh");
    // The editor sees a terminal in cooked mode, as a shell leaves it.
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nstty -a | grep -q ' icanon' && echo cooked > '{}.mode'\ncat '{}' > \"$1\"\n",
            source.display(),
            source.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut pty = Pty::spawn_with_env(&setup, true, &[("VISUAL", &editor)]);
    pty.wait_for("No connections yet.");
    pty.keys("a");
    pty.wait_for("Choose the service");
    pty.keys("bigquery");
    pty.wait_for("Search: bigquery");
    pty.keys("\r");
    pty.wait_for("Name the connection");
    pty.keys("Warehouse");
    pty.wait_for("✓ available");
    pty.keys("\r");
    pty.wait_for("Project ID");
    pty.keys("my-project-123\tsvc@my-project-123.iam.gserviceaccount.com\t");
    pty.wait_for("> Private Key");
    let before = pty.raw.len();
    pty.keys("\x0f");
    pty.wait_for("3 lines");
    let during = &pty.raw[before..];
    let at = |seq: &[u8]| during.windows(seq.len()).position(|w| w == seq);
    let left = at(b"\x1b[?1049l").expect("the main screen back for the editor");
    let back = at(b"\x1b[?1049h").expect("the alternate screen again after");
    assert!(left < back);
    let mode = std::fs::read_to_string(format!("{}.mode", source.display()));
    assert_eq!(
        mode.ok().as_deref(),
        Some("cooked\n"),
        "raw mode off for the editor"
    );
    pty.keys("\r");
    pty.wait_for("Added “Warehouse”.");
    assert!(!String::from_utf8_lossy(&pty.raw).contains("MIIE"));

    // A copy, then a quit before its clear: the clipboard is cleared on the way out.
    pty.keys("\r");
    pty.wait_for("t copy token");
    pty.keys("y");
    pty.wait_for("the clipboard clears in 30 s");
    let before = pty.raw.len();
    pty.keys("\x03");
    assert!(pty.wait_exit().success());
    let after = &pty.raw[before..];
    assert!(
        after.windows(8).any(|w| w == b"\x1b]52;c;\x07"),
        "an empty OSC 52 at exit"
    );

    let out = Setup::cli(&setup.vault, &setup.key)
        .args(["show", "Warehouse", "--reveal", "--json"])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&out.stdout).expect("show --json prints JSON");
    assert_eq!(shown["fields"]["private_key"], Value::from(pem), "{shown}");
}
