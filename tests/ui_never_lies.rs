//! The screen never lies: the real event loop, driven by thousands of random
//! keys over every screen, always shows exactly what its state renders to.
//!
//! The loop writes to a crossterm backend, exactly as in production, and the
//! bytes go through a terminal emulator (vt100). After every key the loop
//! has handled (the moment it would wait for the next one), the emulated
//! screen is compared with a fresh render of the app's state. A key that changed state without a redraw, or an overlay
//! that vanished from the state while its picture stayed, fails here with
//! the seed and the keys that led to it.
//!
//! `FLOWVAULT_UI_FUZZ_KEYS` sets how many keys per size (default 300) and
//! `FLOWVAULT_UI_FUZZ_SEED` the seed (default fixed, so runs repeat).

mod tui_common;

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::app::App;
use flowvault::tui::event_loop;
use flowvault::tui::harness::buffer_text;
use flowvault::tui::keymap::Mode;
use flowvault::tui::message::{Effect, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::terminal::FrameWriter;
use flowvault::tui::theme::Theme;
use flowvault::vault::{Credentials, Flow, FlowStep, VaultStore};
use futures_util::stream;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tui_common::{CHEAP_KDF, SID, TestVault, conn, key};

/// A small, seeded generator: the same seed gives the same keys.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Keys an operator presses: every binding of every screen, letters typed
/// into forms, and keys nothing binds.
fn random_key(rng: &mut SplitMix) -> KeyEvent {
    const BOUND: &str = "jkgG/?aedrvyxXRnc+JKhlbsNt ";
    const TYPED: &str = "qwzABC019-_.:@é日";
    let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
    // One key in a hundred quits (and the app starts again): the quit path
    // is covered without spending the run on restarts.
    if rng.below(100) == 0 {
        return plain(KeyCode::Char('q'));
    }
    match rng.below(19) {
        0..=7 => {
            let c = BOUND.chars().nth(rng.below(BOUND.chars().count())).unwrap();
            plain(KeyCode::Char(c))
        }
        8..=9 => {
            let c = TYPED.chars().nth(rng.below(TYPED.chars().count())).unwrap();
            plain(KeyCode::Char(c))
        }
        10 => plain(KeyCode::Esc),
        11 => plain(KeyCode::Enter),
        12 => plain(KeyCode::Tab),
        13 => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
        14 => plain(
            [
                KeyCode::Up,
                KeyCode::Down,
                KeyCode::Left,
                KeyCode::Right,
                KeyCode::Home,
                KeyCode::End,
                KeyCode::PageUp,
                KeyCode::PageDown,
            ][rng.below(8)],
        ),
        15 => plain(KeyCode::Backspace),
        16 => plain(
            [
                KeyCode::F(1),
                KeyCode::F(2),
                KeyCode::Delete,
                KeyCode::Insert,
            ][rng.below(4)],
        ),
        17 => KeyEvent::new(
            KeyCode::Char(['j', 'k', 'b', 'f', 'x'][rng.below(5)]),
            KeyModifiers::ALT,
        ),
        _ => KeyEvent::new(
            KeyCode::Char(['a', 'e', 'k', 'u', 'w', 's', 'n', 'r'][rng.below(8)]),
            KeyModifiers::CONTROL,
        ),
    }
}

/// A vault with a connection of each kind of screen and a flow to run;
/// every endpoint is a closed port on loopback, so nothing waits.
fn vault() -> TestVault {
    // In memory where the machine has it: saves are many here, and each one
    // waits for the disk otherwise.
    let dir = tempfile::TempDir::new_in("/dev/shm")
        .or_else(|_| tempfile::TempDir::new())
        .unwrap();
    let vault = TestVault::create_in(
        dir,
        &key(),
        &[
            conn(
                "SMS",
                "twilio",
                "auth_token",
                &[
                    ("account_sid", SID),
                    ("auth_token", "tok"),
                    ("base_url", "http://127.0.0.1:9"),
                ],
            ),
            conn("Mail", "sendgrid", "api_key", &[("api_key", "SG.x")]),
            conn("Empty", "stripe", "api_key", &[]),
        ],
    );
    let mut v = vault.open();
    let sms = v.connection("SMS").unwrap();
    let mut flow = Flow::new("Onboarding");
    v.add_flow(&flow).unwrap();
    let mut inputs = Credentials::default();
    for (k, val) in [
        ("to", "+14155550100"),
        ("from", "+14155550199"),
        ("body", "hi"),
    ] {
        inputs.set(k, val);
    }
    flow.steps = vec![
        FlowStep::new("twilio.send_sms", Some(sms.id.clone()), inputs),
        FlowStep::new("twilio.send_sms", None, Credentials::default()),
        FlowStep::new("jwt.decode", None, Credentials::default()),
    ];
    v.save_steps(&flow).unwrap();
    vault
}

fn fresh_render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let frame = terminal.draw(|f| app.render(f)).unwrap();
    buffer_text(frame.buffer)
}

/// Where the loop's terminal writes: every byte, for the emulator to read.
#[derive(Clone, Default)]
struct Wire(Arc<Mutex<Vec<u8>>>);

impl io::Write for Wire {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The emulated screen as text, one line per row, right-trimmed, like
/// [`buffer_text`].
fn screen_text(parser: &vt100::Parser) -> String {
    let screen = parser.screen();
    let (rows, cols) = screen.size();
    let mut out = String::new();
    for y in 0..rows.get() {
        let mut line = String::new();
        for x in 0..cols.get() {
            if let Some(cell) = screen.cell(y, x)
                && !cell.is_wide_continuation()
            {
                let text = cell.contents();
                line.push_str(if text.is_empty() { " " } else { text });
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Whether the app has vault work in flight, as last observed, and the key
/// stream waiting for it to end.
#[derive(Clone, Default)]
struct Idle(Arc<Mutex<(bool, Option<std::task::Waker>)>>);

impl Idle {
    fn set_busy(&self, busy: bool) {
        let mut state = self.0.lock().unwrap();
        state.0 = busy;
        if !busy && let Some(waker) = state.1.take() {
            waker.wake();
        }
    }

    /// Whether the stream must wait; if so, it is woken when the work ends.
    fn wait(&self, cx: &mut std::task::Context<'_>) -> bool {
        let mut state = self.0.lock().unwrap();
        if state.0 {
            state.1 = Some(cx.waker().clone());
        }
        state.0
    }
}

/// Runs the real loop on `keys` until they run out; a quit starts the app
/// again on the same vault with the keys that are left.
fn drive(vault: &TestVault, keys: Vec<KeyEvent>, seed: u64, width: u16, height: u16) -> Mode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let left: Arc<Mutex<VecDeque<(usize, KeyEvent)>>> =
        Arc::new(Mutex::new(keys.into_iter().enumerate().collect()));
    let last: Arc<Mutex<Option<(usize, KeyEvent)>>> = Arc::default();
    let mut mode = Mode::List;
    while !left.lock().unwrap().is_empty() {
        let app = App::new(
            vault.path.clone(),
            true,
            Locale::get(Lang::En),
            Theme::plain(),
            (width, height),
        );
        let session = VaultSession::new(&vault.path).with_kdf(CHEAP_KDF);
        let wire = Wire::default();
        let mut terminal = Terminal::with_options(
            CrosstermBackend::new(FrameWriter::new(wire.clone())),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )
        .unwrap();
        let mut emulator =
            vt100::Parser::new(height.try_into().unwrap(), width.try_into().unwrap(), 0);
        let (feed, shown) = (left.clone(), last.clone());
        // The next key waits while vault work is in flight (it runs on a
        // worker thread): keys and replies then always come in the same
        // order, so a seed repeats.
        let idle = Idle::default();
        let waiting = idle.clone();
        let events = stream::poll_fn(move |cx| {
            if waiting.wait(cx) {
                return std::task::Poll::Pending;
            }
            let next = feed.lock().unwrap().pop_front();
            *shown.lock().unwrap() = next;
            std::task::Poll::Ready(next.map(|(_, k)| Ok::<_, io::Error>(Event::Key(k))))
        });
        let start = vec![Effect::Vault(VaultCommand::Open(key()))];
        let last = last.clone();
        runtime
            .block_on(event_loop::run_observed(
                &mut terminal,
                Box::pin(events),
                app,
                session,
                start,
                |app, _terminal| {
                    idle.set_busy(app.busy());
                    mode = app.mode();
                    emulator.process(&std::mem::take(&mut *wire.0.lock().unwrap()));
                    let on_screen = screen_text(&emulator);
                    let expected = fresh_render(app, width, height);
                    if on_screen != expected {
                        let key = *last.lock().unwrap();
                        panic!(
                            "the screen lies at {width}x{height}, seed {seed}, after key {key:?}\n\
                             on screen:\n{on_screen}\nthe state renders:\n{expected}"
                        );
                    }
                },
            ))
            .unwrap();
    }
    mode
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn after_every_key_the_screen_shows_the_state() {
    let count = setting("FLOWVAULT_UI_FUZZ_KEYS", 300) as usize;
    let seed = setting("FLOWVAULT_UI_FUZZ_SEED", 0x5EED_F10A);
    for (i, (width, height)) in [(80, 24), (120, 40)].into_iter().enumerate() {
        let seed = seed + i as u64;
        let mut rng = SplitMix(seed);
        let keys = (0..count).map(|_| random_key(&mut rng)).collect();
        drive(&vault(), keys, seed, width, height);
    }
}

#[test]
fn unbound_keys_on_every_overlay_leave_it_on_screen() {
    // The sequences of the bug reports: an unbound key on help, on a dry
    // run, Alt-j on details, Enter on a confirmation. Each must leave the
    // overlay shown and in charge.
    let vault = vault();
    let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let c = |ch| plain(KeyCode::Char(ch));
    let cases: Vec<(Vec<KeyEvent>, Mode)> = vec![
        (vec![c('?'), c('x')], Mode::Help),
        (vec![c('?'), c('x'), c('z')], Mode::Help),
        (
            vec![plain(KeyCode::Tab), c('l'), c('x'), c('g')],
            Mode::RunView,
        ),
        (
            vec![plain(KeyCode::Tab), c('l'), c('x'), plain(KeyCode::End)],
            Mode::RunView,
        ),
        // `e` on a run where no connection failed means nothing.
        (
            vec![plain(KeyCode::Tab), c('l'), c('x'), c('e')],
            Mode::RunView,
        ),
        (
            vec![
                plain(KeyCode::Enter),
                KeyEvent::new(KeyCode::Char('j'), KeyModifiers::ALT),
            ],
            Mode::Details,
        ),
        (vec![c('d'), c('z')], Mode::Confirm),
        (vec![c('d'), plain(KeyCode::Enter)], Mode::Confirm),
    ];
    for (i, (keys, mode)) in cases.into_iter().enumerate() {
        let shown = drive(&vault, keys.clone(), i as u64, 80, 24);
        assert_eq!(shown, mode, "after {keys:?}");
    }
}
