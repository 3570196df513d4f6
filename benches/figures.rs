//! The performance table of the README, measured on the release binary as a
//! user runs it: whole processes, the UI in a pseudo-terminal at 80x24.
//!
//! Run with `cargo figures` (`cargo bench --bench figures`). It builds the
//! vaults it needs in a temporary folder, so runs compare with each other.
//! Medians, since a 2-core machine has outliers; nothing here asserts a time.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use flowvault::vault::{
    Connection, Credentials, KdfParams, SecretValue, Token, UnlockKey, Vault, VaultStore,
};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use tempfile::TempDir;

/// The binary measured; `FLOWVAULT_FIGURES_BIN` names another build of the
/// same version (an older copy of this bench with its binary, kept aside).
fn bin() -> PathBuf {
    std::env::var_os("FLOWVAULT_FIGURES_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_flowvault")),
        PathBuf::from,
    )
}
const ROWS: u16 = 24;
const COLS: u16 = 80;
const LARGE: usize = 10_000;
const SMALL: usize = 100;
/// Variables that would point the binary at the developer's own vault.
const ISOLATING_ENV: &[&str] = &[
    "FLOWVAULT_VAULT",
    "FLOWVAULT_KEY_FILE",
    "FLOWVAULT_PASSPHRASE_FILE",
    "FLOWVAULT_LANG",
    "FLOWVAULT_LOG",
    "NO_COLOR",
    "LC_ALL",
    "LC_MESSAGES",
];

fn main() {
    let place = Place::new();
    let small = place.vault("small", SMALL);
    let large = place.vault("large", LARGE);
    let adds = place.vault("adds", SMALL);

    let mut table = Table::default();
    table.row(
        "UI first frame, 100 connections, key file",
        ms(median(
            (0..15).map(|_| Ui::start(&place, &small).first_frame_and_quit()),
        )),
        "≤ 30 ms",
    );
    table.row(
        "UI first frame, 10,000 connections",
        ms(median(
            (0..9).map(|_| Ui::start(&place, &large).first_frame_and_quit()),
        )),
        "≤ 100 ms",
    );
    table.row(
        "`list --json`, 10,000 connections",
        ms(median(
            (0..11).map(|_| place.timed(&large, &["list", "--json"], None)),
        )),
        "≤ 80 ms",
    );
    table.row(
        "`show NAME --reveal`, key file, 10,000 connections",
        ms(median((0..21).map(|i| {
            let name = connection_name(i * 487 % LARGE);
            place.timed(&large, &["show", &name, "--reveal"], None)
        }))),
        "≤ 4 ms",
    );
    table.row(
        "`token NAME` (cached), 10,000 connections",
        ms(median((0..21).map(|i| {
            let name = connection_name(i * 4 % LARGE);
            place.timed(&large, &["token", &name], None)
        }))),
        "",
    );
    place.unlock(&large);
    for (what, through_agent) in [("key file", false), ("through the agent", true)] {
        let time = |args: &[&str]| {
            if through_agent {
                place.timed_through_agent(&large, args)
            } else {
                place.timed(&large, args, None)
            }
        };
        table.row(
            &format!("`get NAME FIELD`, {what}, 10,000 connections"),
            ms(median((0..21).map(|i| {
                let name = connection_name((i * 4 + 1) % LARGE);
                time(&["get", &name, "account_sid"])
            }))),
            "",
        );
        table.row(
            &format!("`exec --env` a secret and a token `-- true`, {what}"),
            ms(median((0..21).map(|i| {
                let secret = format!("S=flowvault://Connection%20{:05}/account_sid", i * 4 + 1);
                let token = format!("T=flowvault://Connection%20{:05}/token", i * 4);
                time(&["exec", "--env", &secret, "--env", &token, "--", "true"])
            }))),
            "",
        );
    }
    place.lock(&large);

    let export = place.dir.join("large.age");
    let passphrase = place.dir.join("export-passphrase");
    std::fs::write(&passphrase, "a passphrase for the figures\n").unwrap();
    private(&passphrase, 0o600);
    let age_args = ["--age-passphrase-file", passphrase.to_str().unwrap()];
    let export_arg = export.to_str().unwrap();
    table.row(
        "`export` 10,000 connections (age, passphrase)",
        ms(median((0..3).map(|_| {
            place.timed(
                &large,
                &[&["export", export_arg, "--force"], &age_args[..]].concat(),
                None,
            )
        }))),
        "",
    );
    let size = std::fs::metadata(&export).unwrap().len();
    table.row(
        &format!(
            "`import` 10,000 connections into an empty vault ({:.1} MB file)",
            mb(size)
        ),
        ms(median((0..3).map(|i| {
            let empty = place.vault(&format!("import-{i}"), 0);
            let args = [&["import", export_arg], &age_args[..]].concat();
            place.timed(&empty, &args, None)
        }))),
        "",
    );

    table.row(
        "`add` as a process (fsync bound)",
        ms(median((0..15).map(|i| {
            let name = format!("Added {i}");
            place.timed(
                &adds,
                &[
                    "add",
                    "twilio",
                    &name,
                    "--set",
                    "account_sid=AC0123456789abcdef0123456789abcdef",
                    "--secrets-stdin",
                ],
                Some("auth_token=0123456789abcdef\n"),
            )
        }))),
        "≤ 8 ms",
    );

    let mut ui = Ui::start(&place, &small);
    ui.first_frame();
    ui.quiet(Duration::from_millis(300));
    let per_j: Vec<usize> = (0..20)
        .map(|_| {
            ui.keys("j");
            ui.quiet(Duration::from_millis(150))
        })
        .collect();
    table.row(
        "bytes written to the terminal per `j` at 80x24",
        median_of(per_j).to_string(),
        "≤ 120",
    );
    let (cpu, bytes) = ui.idle(Duration::from_secs(3));
    table.row(
        "idle CPU, idle bytes (3 s after the last key)",
        format!("{cpu:.1} %, {bytes}"),
        "0, 0",
    );
    ui.quit();

    let mut ui = Ui::start(&place, &large);
    ui.first_frame();
    ui.quiet(Duration::from_millis(500));
    let (rss, peak) = ui.memory();
    table.row(
        "RSS with 10,000 connections (peak)",
        format!("{:.1} MB ({:.1} MB)", mb(rss), mb(peak)),
        "≤ 25 MB",
    );
    ui.quit();

    table.print();
}

/// The name of the `i`th connection of a vault made here.
fn connection_name(i: usize) -> String {
    format!("Connection {i:05}")
}

/// A private folder with a key file and the vaults made for the figures.
struct Place {
    dir: PathBuf,
    key: PathBuf,
    /// Removes the folder when the run ends, unless it is kept.
    _temporary: Option<TempDir>,
}

impl Place {
    /// In a temporary folder, or kept in `FLOWVAULT_FIGURES_DIR` for a
    /// profiler to run the same commands on afterwards.
    fn new() -> Place {
        let temporary = match std::env::var_os("FLOWVAULT_FIGURES_DIR") {
            Some(parent) => {
                std::fs::create_dir_all(&parent).unwrap();
                tempfile::Builder::new()
                    .prefix("figures-")
                    .tempdir_in(parent)
                    .unwrap()
            }
            None => TempDir::new().unwrap(),
        };
        let (dir, temporary) = if std::env::var_os("FLOWVAULT_FIGURES_DIR").is_some() {
            let kept = temporary.keep();
            eprintln!("vaults kept in {}", kept.display());
            (kept, None)
        } else {
            (temporary.path().to_owned(), Some(temporary))
        };
        private(&dir, 0o700);
        let key = dir.join("key");
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).unwrap();
        std::fs::write(&key, bytes).unwrap();
        private(&key, 0o600);
        Place {
            dir,
            key,
            _temporary: temporary,
        }
    }

    /// A vault of `count` connections as operators have them: mostly
    /// Twilio (a third missing its token), every fourth an Auth0 client with
    /// a cached access token.
    fn vault(&self, name: &str, count: usize) -> PathBuf {
        let path = self.dir.join(format!("{name}.db"));
        let unlock = UnlockKey::read_key_file(&self.key).unwrap();
        let mut vault = Vault::create(&path, &unlock, KdfParams::default()).unwrap();
        let conns: Vec<Connection> = (0..count)
            .map(|i| {
                let mut fields = Credentials::default();
                if i % 4 == 0 {
                    fields.set("domain", format!("tenant{i}.eu.auth0.com"));
                    fields.set("client_id", format!("client-{i:06}"));
                    fields.set("client_secret", "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t");
                    Connection::new(connection_name(i), "auth0", "client_credentials", fields)
                } else {
                    fields.set("account_sid", format!("AC{i:032x}"));
                    if i % 3 != 0 {
                        fields.set("auth_token", "0123456789abcdef0123456789abcdef");
                    }
                    Connection::new(connection_name(i), "twilio", "auth_token", fields)
                }
            })
            .collect();
        vault.add_connections(&conns).unwrap();
        let now = flowvault::vault::now();
        for c in conns.iter().step_by(4) {
            let token = Token {
                access_token: SecretValue::new(format!("eyJ.token-of-{}", c.id)),
                token_type: "Bearer".into(),
                scope: Some("read:users".into()),
                obtained_at: now,
                expires_at: Some(now + time::Duration::days(1)),
            };
            vault.store_token(&c.id, &token, None).unwrap();
        }
        path
    }

    fn command(&self, vault: &Path) -> Command {
        let mut cmd = self.command_without_key(vault);
        cmd.env("FLOWVAULT_KEY_FILE", &self.key);
        cmd
    }

    /// A command given no key: it works through the unlock agent of this
    /// place's socket.
    fn command_without_key(&self, vault: &Path) -> Command {
        let mut cmd = Command::new(bin());
        for var in ISOLATING_ENV {
            cmd.env_remove(var);
        }
        cmd.env("LANG", "C")
            .env("FLOWVAULT_VAULT", vault)
            .env("FLOWVAULT_AGENT_SOCKET", self.agent_socket())
            .env("FLOWVAULT_LOG_DIR", &self.dir);
        cmd
    }

    fn agent_socket(&self) -> PathBuf {
        self.dir.join("agent").join("agent.sock")
    }

    /// Starts an agent holding `vault` (unlocked with the key file).
    fn unlock(&self, vault: &Path) {
        let out = self.command(vault).arg("unlock").output().unwrap();
        assert!(
            out.status.success(),
            "unlock: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Tells the agent to forget every key and end.
    fn lock(&self, vault: &Path) {
        let _ = self.command_without_key(vault).arg("lock").output();
    }

    /// The wall time of one whole command, from spawn to exit.
    fn timed(&self, vault: &Path, args: &[&str], stdin: Option<&str>) -> Duration {
        timed(self.command(vault), args, stdin)
    }

    /// As [`Place::timed`], through the unlock agent.
    fn timed_through_agent(&self, vault: &Path, args: &[&str]) -> Duration {
        timed(self.command_without_key(vault), args, None)
    }
}

/// The wall time of `cmd` with `args`, from spawn to exit.
fn timed(mut cmd: Command, args: &[&str], stdin: Option<&str>) -> Duration {
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn private(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

/// The UI in a pseudo-terminal; its output is read on a thread, stamped
/// with when it arrived.
struct Ui {
    started: Instant,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Receiver<(Instant, Vec<u8>)>,
    parser: vt100::Parser,
    /// Kept open: closing the master would hang up the child.
    _master: Box<dyn MasterPty + Send>,
}

impl Ui {
    fn start(place: &Place, vault: &Path) -> Ui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(bin());
        for var in ISOLATING_ENV {
            cmd.env_remove(var);
        }
        cmd.env("LANG", "C");
        cmd.env("TERM", "xterm-256color");
        cmd.env("FLOWVAULT_VAULT", vault);
        cmd.env("FLOWVAULT_KEY_FILE", &place.key);
        cmd.env("FLOWVAULT_LOG_DIR", &place.dir);
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        Ui {
            started,
            child,
            writer: pair.master.take_writer().unwrap(),
            output,
            parser: vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 0),
            _master: pair.master,
        }
    }

    /// From spawn to the output that first shows the list's first row.
    fn first_frame(&mut self) -> Duration {
        let first = connection_name(0);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.output.recv_timeout(Duration::from_millis(50)) {
                Ok((at, chunk)) => {
                    self.parser.process(&chunk);
                    if self.parser.screen().contents().contains(&first) {
                        return at - self.started;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "the UI ended before its first frame:\n{}",
                    self.parser.screen().contents()
                ),
            }
            assert!(Instant::now() < deadline, "no first frame in 30 s");
        }
    }

    fn first_frame_and_quit(mut self) -> Duration {
        let took = self.first_frame();
        self.quit();
        took
    }

    /// The bytes that arrive until none has for `silence`.
    fn quiet(&mut self, silence: Duration) -> usize {
        let mut bytes = 0;
        while let Ok((_, chunk)) = self.output.recv_timeout(silence) {
            self.parser.process(&chunk);
            bytes += chunk.len();
        }
        bytes
    }

    fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// CPU use (percent of one core) and bytes written over `span` with no key.
    fn idle(&mut self, span: Duration) -> (f64, usize) {
        let pid = self.child.process_id().unwrap();
        let before = cpu_ticks(pid);
        let start = Instant::now();
        let mut bytes = 0;
        while let Some(left) = span.checked_sub(start.elapsed()) {
            if let Ok((_, chunk)) = self.output.recv_timeout(left) {
                bytes += chunk.len();
            }
        }
        let ticks = cpu_ticks(pid) - before;
        // Linux counts CPU time in USER_HZ (100 per second).
        let cpu = ticks as f64 / 100.0 / start.elapsed().as_secs_f64() * 100.0;
        (cpu, bytes)
    }

    /// Resident memory now and at its peak, in bytes.
    fn memory(&self) -> (u64, u64) {
        let pid = self.child.process_id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib = |field: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        (kib("VmRSS:") * 1024, kib("VmHWM:") * 1024)
    }

    fn quit(mut self) {
        self.keys("q");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the UI did not quit on q");
            }
            let _ = self.output.recv_timeout(Duration::from_millis(10));
        }
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces: count fields after its closing paren.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn median(samples: impl Iterator<Item = Duration>) -> Duration {
    let mut samples: Vec<Duration> = samples.collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn median_of(mut samples: Vec<usize>) -> usize {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Rows printed as a Markdown table, ready for a closing note.
#[derive(Default)]
struct Table {
    rows: Vec<(String, String, String)>,
}

impl Table {
    fn row(&mut self, what: &str, figure: String, target: &str) {
        eprintln!("{what}: {figure}");
        self.rows.push((what.into(), figure, target.into()));
    }

    fn print(&self) {
        println!("\n| what | figure (median) | target |\n|---|---|---|");
        for (what, figure, target) in &self.rows {
            println!("| {what} | {figure} | {target} |");
        }
    }
}
