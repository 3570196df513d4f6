//! Measurements of the terminal UI, printed as figures (`cargo bench --bench tui`):
//! time to first frame with 100 and 10,000 connections; key-to-frame latency
//! (p50/p99) of the real event loop while an unlock (Argon2id) runs and while
//! saves over 10,000 connections run; time per frame; and bytes written to
//! the terminal for one `j` keystroke at 80x24. (Latency during 1,000
//! renewals is measured by `benches/refresh.rs`.)

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::App;
use flowvault::tui::event_loop;
use flowvault::tui::harness::Harness;
use flowvault::tui::keymap::Mode;
use flowvault::tui::message::{Msg, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::terminal::FrameWriter;
use flowvault::tui::theme::Theme;
use flowvault::vault::{Connection, Credentials, KdfParams, UnlockKey, Vault, VaultStore};
use futures_util::stream;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

const COUNT: usize = 10_000;
/// Keys are typed this often while work runs: faster than any typist.
const KEY_EVERY: Duration = Duration::from_millis(2);

fn key() -> UnlockKey {
    UnlockKey::KeyFile(Zeroizing::new(vec![42u8; 32]))
}

fn passphrase() -> UnlockKey {
    UnlockKey::Passphrase(Zeroizing::new("bench passphrase".to_owned()))
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

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at]
}

/// A vault of `count` Twilio connections, unlocked by `unlock` (default KDF).
fn make_vault(dir: &Path, name: &str, count: usize, unlock: &UnlockKey) -> PathBuf {
    let path = dir.join(format!("{name}-{count}.db"));
    let mut vault = Vault::create(&path, unlock, KdfParams::default()).unwrap();
    let conns: Vec<Connection> = (0..count)
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
    path
}

/// A frame the loop drew: how many keys it had taken by then, when, and
/// what the app was doing.
#[derive(Clone, Copy)]
struct Frame {
    keys_taken: usize,
    at: Instant,
    busy: bool,
    mode: Mode,
}

/// The real event loop, on its own thread, writing to a crossterm backend.
struct Live {
    keys: Option<mpsc::UnboundedSender<Event>>,
    taken: Arc<AtomicUsize>,
    frames: Arc<Mutex<Vec<Frame>>>,
    /// When each key was typed, in order.
    sent: Vec<Instant>,
    thread: Option<JoinHandle<()>>,
}

impl Live {
    fn start(path: &Path, unlock: UnlockKey) -> Live {
        let (keys, mut inbox) = mpsc::unbounded_channel::<Event>();
        let taken = Arc::new(AtomicUsize::new(0));
        let frames = Arc::new(Mutex::new(Vec::new()));
        let (path, counted, seen) = (path.to_owned(), taken.clone(), frames.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut app = App::new(
                path.clone(),
                true,
                Locale::get(Lang::En),
                Theme::colored(),
                (80, 24),
            );
            let start = app.start(Some(unlock));
            let mut terminal = Terminal::with_options(
                CrosstermBackend::new(FrameWriter::new(Counter::default())),
                TerminalOptions {
                    viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)),
                },
            )
            .unwrap();
            let counting = counted.clone();
            let events = stream::poll_fn(move |cx| {
                inbox.poll_recv(cx).map(|e| {
                    counting.fetch_add(1, Ordering::SeqCst);
                    e.map(Ok)
                })
            });
            runtime
                .block_on(event_loop::run_observed(
                    &mut terminal,
                    Box::pin(events),
                    app,
                    VaultSession::new(&path),
                    start,
                    |app, _| {
                        seen.lock().unwrap().push(Frame {
                            keys_taken: counted.load(Ordering::SeqCst),
                            at: Instant::now(),
                            busy: app.busy(),
                            mode: app.mode(),
                        });
                    },
                ))
                .unwrap();
        });
        Live {
            keys: Some(keys),
            taken,
            frames,
            sent: Vec::new(),
            thread: Some(thread),
        }
    }

    fn press(&mut self, c: char) {
        self.sent.push(Instant::now());
        let event = Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        self.keys.as_ref().unwrap().send(event).unwrap();
    }

    fn last_frame(&self) -> Option<Frame> {
        self.frames.lock().unwrap().last().copied()
    }

    /// Waits until the loop drew a frame after taking every key sent.
    fn settle(&self) {
        let sent = self.sent.len();
        while self.taken.load(Ordering::SeqCst) < sent
            || self.last_frame().is_none_or(|f| f.keys_taken < sent)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Types `j`/`k` every [`KEY_EVERY`] until `done` holds of a frame;
    /// the latency of each, from typed to the first frame drawn after it.
    fn keys_while(&mut self, done: impl Fn(&Frame) -> bool) -> Vec<Duration> {
        let first = self.sent.len();
        let mut up = false;
        while !self.last_frame().is_some_and(|f| done(&f)) {
            self.press(if up { 'k' } else { 'j' });
            up = !up;
            std::thread::sleep(KEY_EVERY);
        }
        self.settle();
        let frames = self.frames.lock().unwrap();
        (first..self.sent.len())
            .map(|n| {
                let frame = frames
                    .iter()
                    .find(|f| f.keys_taken > n)
                    .expect("a frame after every key");
                frame.at - self.sent[n]
            })
            .collect()
    }

    fn stop(mut self) {
        self.keys.take();
        self.thread.take().unwrap().join().unwrap();
    }
}

fn report(what: &str, mut samples: Vec<Duration>) {
    let n = samples.len();
    let p50 = percentile(&mut samples, 0.50);
    let p99 = percentile(&mut samples, 0.99);
    let max = *samples.last().unwrap();
    println!("key-to-frame latency {what}: p50 {p50:.2?}, p99 {p99:.2?}, max {max:.2?} ({n} keys)");
}

fn first_frame(path: &Path, count: usize) {
    let first_frame = median(
        (0..7)
            .map(|_| {
                let start = Instant::now();
                let mut h = Harness::new(path, Some(key()), Lang::En, 80, 24);
                let screen = h.screen();
                assert!(screen.contains("Twilio 00000"));
                start.elapsed()
            })
            .collect(),
    );
    println!("time to first frame, {count} connections, key file: {first_frame:.1?} (median of 7)");
}

/// Update and render of one `j`, with `count` rows; the harness, for more.
fn per_keystroke(path: &Path, count: usize) -> Harness {
    let mut h = Harness::new(path, Some(key()), Lang::En, 80, 24);
    h.screen();
    let frames = 200;
    let start = Instant::now();
    for _ in 0..frames {
        h.press(KeyCode::Char('j'));
        h.screen();
    }
    println!(
        "update + render per keystroke at 80x24, {count} rows: {:.1?}",
        start.elapsed() / frames
    );
    h
}

fn main() {
    let dir = tempfile::TempDir::new().unwrap();
    let small = make_vault(dir.path(), "key-file", 100, &key());
    let path = make_vault(dir.path(), "key-file", COUNT, &key());
    let locked = make_vault(dir.path(), "passphrase", COUNT, &passphrase());

    // Key-file unlock, reading and assessing every row, and the first frame.
    first_frame(&small, 100);
    first_frame(&path, COUNT);

    // While a passphrase unlock runs (Argon2id, default costs, then reading
    // 10,000 rows), keys are typed; the last of them wait for the rows.
    let mut during_unlock = Vec::new();
    for _ in 0..5 {
        let mut live = Live::start(&locked, passphrase());
        during_unlock.extend(live.keys_while(|f| f.mode != Mode::Unlock));
        live.stop();
    }
    report(
        &format!("while unlocking (Argon2id + {COUNT} rows)"),
        during_unlock,
    );

    // While saves run: delete a row (d, y), each save re-reads 10,000 rows.
    let mut live = Live::start(&path, key());
    live.keys_while(|f| f.mode == Mode::List);
    let mut during_save = Vec::new();
    for _ in 0..10 {
        live.press('d');
        live.press('y');
        live.settle();
        let saving_from = live.sent.len();
        during_save.extend(live.keys_while(|f| f.keys_taken >= saving_from && !f.busy));
    }
    live.stop();
    report(
        &format!("while saving over {COUNT} connections"),
        during_save,
    );

    // Redraw of a frame after moving one row, without terminal I/O: the
    // same with 100 rows as with 10,000, as only the rows that show are drawn.
    per_keystroke(&small, 100);
    let mut h = per_keystroke(&path, COUNT);
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
