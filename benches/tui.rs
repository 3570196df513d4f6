//! Measurements of the terminal UI, printed as figures (`cargo bench --bench tui`):
//! time to first frame with 10,000 connections, time per frame, and bytes
//! written to the terminal for one `j` keystroke at 80x24.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::App;
use flowvault::tui::harness::Harness;
use flowvault::tui::message::{Msg, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::theme::Theme;
use flowvault::vault::{Connection, Credentials, KdfParams, UnlockKey, Vault, VaultStore};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroizing;

const COUNT: usize = 10_000;

fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![42u8; 32]))
}

/// Counts bytes written, as a terminal would receive them.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &key(), KdfParams::default()).unwrap();
    let conns: Vec<Connection> = (0..COUNT)
        .map(|i| {
            let mut fields = Credentials::default();
            fields.set("account_sid", format!("AC{i:032x}"));
            if i % 3 != 0 {
                fields.set("auth_token", "0123456789abcdef0123456789abcdef");
            }
            Connection::new(format!("Twilio {i:05}"), "twilio", "auth_token", fields)
        })
        .collect();
    vault.add_connections(&conns).unwrap();
    drop(vault);

    // Key-file unlock, reading and assessing every row, and the first frame.
    let first_frame = median(
        (0..7)
            .map(|_| {
                let start = Instant::now();
                let mut h = Harness::new(&path, Some(key()), Lang::En, 80, 24);
                let screen = h.screen();
                assert!(screen.contains("Twilio 00000"));
                start.elapsed()
            })
            .collect(),
    );
    println!("time to first frame, {COUNT} connections, key file: {first_frame:.1?} (median of 7)");

    // Redraw of a frame after moving one row, without terminal I/O.
    let mut h = Harness::new(&path, Some(key()), Lang::En, 80, 24);
    h.screen();
    let frames = 200;
    let start = Instant::now();
    for _ in 0..frames {
        h.press(KeyCode::Char('j'));
        h.screen();
    }
    println!(
        "update + render per keystroke at 80x24: {:.1?}",
        start.elapsed() / frames
    );
    let start = Instant::now();
    h.press(KeyCode::Char('G'));
    h.screen();
    println!(
        "jump to the last of {COUNT} rows (G) + render: {:.1?}",
        start.elapsed()
    );
    let start = Instant::now();
    h.type_text("/");
    h.type_text("99");
    h.screen();
    println!(
        "filter {COUNT} rows by two typed characters + render: {:.1?}",
        start.elapsed()
    );

    // Bytes a real terminal receives for one `j`: ratatui writes only changed cells.
    let counter = Counter::default();
    let backend = CrosstermBackend::new(counter.clone());
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 80, 24)),
        },
    )
    .unwrap();
    let mut app = App::new(
        path.clone(),
        true,
        Locale::get(Lang::En),
        Theme::colored(),
        (80, 24),
    );
    let mut session = VaultSession::new(&path);
    let reply = session.perform(VaultCommand::Open(key()));
    app.update(Msg::Vault(reply));
    terminal.draw(|f| app.render(f)).unwrap();
    let before = *counter.0.lock().unwrap();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
    )));
    terminal.draw(|f| app.render(f)).unwrap();
    let full = before;
    let one_key = *counter.0.lock().unwrap() - before;
    println!("bytes written for the first frame at 80x24: {full}");
    println!("bytes written for one `j` keystroke at 80x24: {one_key}");
}
