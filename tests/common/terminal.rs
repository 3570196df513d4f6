//! A program in a pseudo-terminal: keys in, what it drew out, as a person
//! at a terminal would see it. Output is read on a thread so a test can wait
//! with a deadline.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Variables that would point the binary at the developer's own vault, key
/// or language; removed from every command built by [`flowvault`].
const ISOLATING_ENV: &[&str] = &[
    "FLOWVAULT_VAULT",
    "FLOWVAULT_KEY_FILE",
    "FLOWVAULT_PASSPHRASE_FILE",
    "FLOWVAULT_LANG",
    "LC_ALL",
];

/// The binary under test for a pseudo-terminal, isolated as
/// `common::isolate` does for pipes: English, no key or vault from the
/// caller's environment.
pub fn flowvault() -> CommandBuilder {
    isolated(super::BIN)
}

/// `program` (a shell running the binary, say) with the same isolation.
pub fn isolated(program: &str) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(program);
    for var in ISOLATING_ENV {
        cmd.env_remove(var);
    }
    cmd.env("LANG", "C");
    cmd
}

pub struct Terminal {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    output: mpsc::Receiver<Vec<u8>>,
    /// Kept open: closing the master would hang up the child.
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Terminal {
    /// `cmd` in a new 24-row terminal `cols` wide.
    pub fn spawn(cmd: CommandBuilder, cols: u16) -> Terminal {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let keys = pty.master.take_writer().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            keys,
            output,
            _master: pty.master,
        }
    }

    /// The next bytes the program wrote, if any came within `wait`.
    pub fn read(&self, wait: Duration) -> Option<Vec<u8>> {
        self.output.recv_timeout(wait).ok()
    }

    /// Adds what arrives within `wait` to `seen`.
    pub fn read_into(&self, seen: &mut String, wait: Duration) {
        if let Some(chunk) = self.read(wait) {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads into `seen` until it holds `needle` (30 s at most).
    pub fn wait_for(&self, needle: &str, seen: &mut String) {
        let end = Instant::now() + Duration::from_secs(30);
        while !seen.contains(needle) && Instant::now() < end {
            self.read_into(seen, Duration::from_millis(100));
        }
        assert!(seen.contains(needle), "no {needle:?} in:\n{seen}");
    }

    pub fn type_keys(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
    }

    /// Whether the program has ended.
    pub fn ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Runs `cmd` to its end, typing the next of `answers` (and Enter) each
    /// time another `prompt` appears; returns the exit code and what it
    /// drew. Fails after a minute.
    pub fn answering(cmd: CommandBuilder, prompt: &str, answers: &[&str]) -> (u32, String) {
        let mut terminal = Terminal::spawn(cmd, 200);
        let mut seen = String::new();
        let mut answered = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            terminal.read_into(&mut seen, Duration::from_millis(50));
            if seen.matches(prompt).count() > answered && answered < answers.len() {
                terminal.type_keys(&format!("{}\r", answers[answered]));
                answered += 1;
            }
            if let Some(status) = terminal.child.try_wait().unwrap() {
                // What it printed last, before the terminal closed.
                while let Some(chunk) = terminal.read(Duration::from_millis(200)) {
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                }
                return (status.exit_code(), seen);
            }
            assert!(
                Instant::now() < deadline,
                "no end; the terminal shows:\n{seen}"
            );
        }
    }
}
