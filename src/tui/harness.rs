//! Drives the app without a terminal: keys in, screen text out. For tests and
//! measurements; effects go through the event loop's own runner, timers on demand.

use std::path::Path;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthStr;

use super::app::App;
use super::effects::{EffectRunner, Outside};
use super::message::{Effect, Msg, Timer};
use super::session::VaultSession;
use super::settings::UiSettings;
use super::theme::Theme;
use crate::auth::RefreshCommand;
use crate::locale::{Lang, Locale};
use crate::vault::{BaoOptions, KdfParams, UnlockKey, VaultLocation};

/// An app on a `TestBackend`, its effects performed by the loop's own
/// [`EffectRunner`], blocking: vault commands and runs finish before the
/// next key; timers and the refresher are recorded for the test to play.
pub struct Harness {
    pub app: App,
    pub runner: EffectRunner,
    pub terminal: Terminal<TestBackend>,
    /// Texts put on the clipboard, in order.
    pub copied: Vec<String>,
    /// Timers started and not yet fired.
    pub timers: Vec<Timer>,
    /// The app asked for the token refresher; tests feed its events with `send`.
    pub refresher_started: bool,
    /// Commands the app sent to the refresher.
    pub refresh_commands: Vec<RefreshCommand>,
    /// The app stopped the refresher (it locked itself).
    pub refresher_stopped: bool,
    pub quit: bool,
}

/// The harness's outside: copies are recorded (an empty one is a clear),
/// and the editor runs at once, there being no terminal to hand over.
struct Recorder<'a> {
    copied: &'a mut Vec<String>,
}

impl Outside for Recorder<'_> {
    fn copy(&mut self, text: zeroize::Zeroizing<String>) -> std::io::Result<()> {
        self.copied.push(text.to_string());
        Ok(())
    }

    fn with_terminal_released(&mut self, work: &mut dyn FnMut()) -> std::io::Result<()> {
        work();
        Ok(())
    }
}

impl Harness {
    /// An app on the vault at `path`, `width` x `height`, in `lang`, plain theme.
    /// With `key`, it unlocks at once, as with `--key-file`.
    pub fn new(
        path: &Path,
        key: Option<UnlockKey>,
        lang: Lang,
        width: u16,
        height: u16,
    ) -> Harness {
        Harness::at(
            &VaultLocation::File(path.to_owned()),
            key,
            lang,
            width,
            height,
        )
    }

    /// An app on the vault at `location`, as [`Harness::new`]; a vault on
    /// OpenBao opens at once, with the login from the environment.
    pub fn at(
        location: &VaultLocation,
        key: Option<UnlockKey>,
        lang: Lang,
        width: u16,
        height: u16,
    ) -> Harness {
        Harness::build(location, key, lang, (width, height), None)
    }

    /// As [`Harness::new`], with the config file's keys, theme and timeouts
    /// (`ui`), as `launch` gives them.
    pub fn configured(
        path: &Path,
        key: Option<UnlockKey>,
        lang: Lang,
        (width, height): (u16, u16),
        ui: UiSettings,
    ) -> Harness {
        let location = VaultLocation::File(path.to_owned());
        Harness::build(&location, key, lang, (width, height), Some(ui))
    }

    fn build(
        location: &VaultLocation,
        key: Option<UnlockKey>,
        lang: Lang,
        (width, height): (u16, u16),
        ui: Option<UiSettings>,
    ) -> Harness {
        let (mut app, start) = App::on_location(
            location,
            key,
            Locale::get(lang),
            Theme::plain(),
            (width, height),
        );
        if let Some(ui) = ui {
            app.configure(ui);
        }
        // Cheap KDF costs: vaults created by tests need not resist attack.
        let kdf = KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        };
        let session = VaultSession::at(location.clone(), BaoOptions::default()).with_kdf(kdf);
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        let mut harness = Harness {
            app,
            runner: EffectRunner::blocking(session),
            terminal,
            copied: Vec::new(),
            timers: Vec::new(),
            refresher_started: false,
            refresh_commands: Vec::new(),
            refresher_stopped: false,
            quit: false,
        };
        harness.perform(start);
        harness
    }

    /// Sends one message and performs the effects that follow.
    pub fn send(&mut self, msg: Msg) {
        let effects = self.app.update(msg);
        self.perform(effects);
    }

    /// Looks, as the loop does every second, whether another process wrote
    /// to the vault; applies the news if so.
    pub fn poll_vault(&mut self) {
        if let Some(msg) = self.runner.poll() {
            self.send(msg);
        }
    }

    fn perform(&mut self, effects: Vec<Effect>) {
        let mut outside = Recorder {
            copied: &mut self.copied,
        };
        let quit = self
            .runner
            .perform_all(&mut self.app, effects, &mut outside)
            .expect("a test clipboard never fails");
        self.quit |= quit;
        let recorded = &mut self.runner.recorded;
        self.timers.append(&mut recorded.timers);
        self.refresher_started |= recorded.refresher_started;
        self.refresher_stopped |= std::mem::take(&mut recorded.refresher_stopped);
        self.refresh_commands.append(&mut recorded.refresh_commands);
    }

    /// Presses a key.
    pub fn press(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Presses Ctrl and a letter.
    pub fn ctrl(&mut self, c: char) {
        self.send(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }

    /// Types text, one key per character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let modifiers = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), modifiers)));
        }
    }

    /// Fires every pending timer.
    pub fn fire_timers(&mut self) {
        for timer in std::mem::take(&mut self.timers) {
            self.send(Msg::Timer(timer));
        }
    }

    /// Fires the pending timers `which` picks; the others stay pending.
    pub fn fire(&mut self, which: impl Fn(&Timer) -> bool) {
        let (fired, kept) = std::mem::take(&mut self.timers)
            .into_iter()
            .partition::<Vec<_>, _>(|t| which(t));
        self.timers = kept;
        for timer in fired {
            self.send(Msg::Timer(timer));
        }
    }

    /// Time passes for the app (its clock moves on) without a sleep; the
    /// timers that would have fired meanwhile are fired by the test.
    pub fn pass_time(&mut self, by: std::time::Duration) {
        self.app.pass_time(by);
    }

    /// Resizes the terminal.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().resize(width, height);
        self.send(Msg::Resize(width, height));
    }

    /// Draws and returns the screen as text, one line per row, right-trimmed.
    pub fn screen(&mut self) -> String {
        self.app.take_changed();
        let frame = self
            .terminal
            .draw(|f| self.app.render(f))
            .expect("draw on a test backend");
        buffer_text(frame.buffer)
    }

    /// The cursor position after the last draw, if shown.
    pub fn cursor(&mut self) -> Option<(u16, u16)> {
        use ratatui::backend::Backend;
        let backend = self.terminal.backend_mut();
        backend.get_cursor_position().ok().map(|p| (p.x, p.y))
    }
}

/// A buffer as text; a wide character's second cell is not printed twice.
pub fn buffer_text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            skip = symbol.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
