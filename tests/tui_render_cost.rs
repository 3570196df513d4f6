//! What the terminal receives (issue 14, "fast at every size"): ratatui
//! writes only the cells that changed, so moving the selection must change
//! few of them; and the loop never asks the terminal its size to draw a
//! frame (crossterm opens `/dev/tty` for each ask), only when it was resized.

mod tui_common;

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use flowvault::locale::{Lang, Locale};
use flowvault::tui::App;
use flowvault::tui::event_loop;
use flowvault::tui::harness::buffer_text;
use flowvault::tui::keymap::Mode;
use flowvault::tui::message::{Msg, VaultCommand};
use flowvault::tui::session::VaultSession;
use flowvault::tui::terminal::TerminalExtras;
use flowvault::tui::theme::Theme;
use flowvault::vault::Connection;
use futures_util::stream;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend, WindowSize};
use ratatui::buffer::Cell as BufferCell;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use tui_common::{CHEAP_KDF, SID, TestVault, conn, key};

/// What the bench measures on 10,000 rows: names of twelve columns.
fn vault() -> TestVault {
    let conns: Vec<Connection> = (0..40)
        .map(|i| {
            let token = "0123456789abcdef0123456789abcdef";
            let fields: &[(&str, &str)] = if i % 3 == 0 {
                &[("account_sid", SID)]
            } else {
                &[("account_sid", SID), ("auth_token", token)]
            };
            conn(&format!("Twilio {i:05}"), "twilio", "auth_token", fields)
        })
        .collect();
    TestVault::with(&conns)
}

/// Bytes written, as a terminal would receive them.
#[derive(Clone, Default)]
struct Wire(Arc<Mutex<Vec<u8>>>);

impl Wire {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn key_event(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// A terminal whose viewport is fixed at 80x24, as the UI starts in one.
fn at_80x24<B: Backend>(backend: B) -> Terminal<B> {
    Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)),
        },
    )
    .unwrap()
}

/// The app on `vault` in English at 80x24.
fn app_on(vault: &TestVault, theme: Theme) -> App {
    App::new(
        vault.path.clone(),
        true,
        Locale::get(Lang::En),
        theme,
        (80, 24),
    )
}

/// The app on `vault`, unlocked and showing its list.
fn opened_app(vault: &TestVault, theme: Theme) -> App {
    let mut app = app_on(vault, theme);
    let mut session = VaultSession::new(&vault.path).with_kdf(CHEAP_KDF);
    app.update(Msg::Vault(session.perform(VaultCommand::Open(key()))));
    app
}

/// The bytes of the first frame at 80x24, then of a frame after each of `keys`.
fn wire_bytes(theme: Theme, keys: &[char]) -> Vec<Vec<u8>> {
    let vault = vault();
    let wire = Wire::default();
    let mut terminal = at_80x24(CrosstermBackend::new(wire.clone()));
    let mut app = opened_app(&vault, theme);
    terminal.draw(|f| app.render(f)).unwrap();
    let mut frames = vec![wire.take()];
    for &c in keys {
        app.update(Msg::Key(key_event(c)));
        terminal.draw(|f| app.render(f)).unwrap();
        frames.push(wire.take());
    }
    frames
}

#[test]
fn moving_the_selection_rewrites_few_cells() {
    for theme in [Theme::colored(), Theme::plain()] {
        let frames = wire_bytes(theme, &['j', 'j', 'k', 'G', 'g']);
        println!("{theme:?}: first frame {} bytes", frames[0].len());
        for (key, bytes) in ['j', 'j', 'k'].iter().zip(&frames[1..]) {
            println!(
                "`{key}`: {} bytes: {:?}",
                bytes.len(),
                String::from_utf8_lossy(bytes)
            );
            assert!(
                bytes.len() <= 120,
                "{} bytes for `{key}` ({theme:?}): {:?}",
                bytes.len(),
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

/// A backend that counts how often it is asked its size: on a real
/// terminal, each ask opens `/dev/tty`.
struct Counted {
    inner: TestBackend,
    asked: Rc<Cell<usize>>,
}

impl Backend for Counted {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a BufferCell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.asked.set(self.asked.get() + 1);
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

impl TerminalExtras for Counted {
    fn begin_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn end_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn copy_to_clipboard(&mut self, _text: &str) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn frames_never_ask_the_terminal_its_size_and_a_resize_is_drawn() {
    let vault = vault();
    let asked = Rc::new(Cell::new(0));
    // The window grows from 80x24 to 140x30 while the UI runs.
    let backend = Counted {
        inner: TestBackend::new(140, 30),
        asked: Rc::clone(&asked),
    };
    let mut terminal = at_80x24(backend);
    let mut app = app_on(&vault, Theme::plain());
    let start = app.start(Some(key()));
    let session = VaultSession::new(&vault.path).with_kdf(CHEAP_KDF);
    let mut events = vec![
        Event::Key(key_event('j')),
        Event::Key(key_event('j')),
        Event::Resize(140, 30),
        Event::Key(key_event('j')),
    ]
    .into_iter();
    let mut frames = Vec::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // One event after each frame, so every key is drawn; the input ends after the last.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let input = stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|frame| frame.and_then(|()| events.next()).map(Ok))
    });
    runtime
        .block_on(event_loop::run_observed(
            &mut terminal,
            Box::pin(input),
            app,
            session,
            start,
            |app, terminal| {
                frames.push(buffer_text(terminal.backend().inner.buffer()));
                // Keys wait for the list: before it, they would be typed into nothing.
                if app.mode() == Mode::List {
                    let _ = tx.send(());
                }
            },
        ))
        .unwrap();
    // Terminal::resize asks once, to clear what the old frame left.
    assert!(asked.get() <= 1, "asked its size {} times", asked.get());
    let last = frames.last().unwrap();
    let rows: Vec<&str> = last.lines().collect();
    assert!(rows[1].contains("Method"), "not redrawn wide:\n{last}");
    assert!(
        rows[29].contains("q quit"),
        "footer not at the bottom:\n{last}"
    );
    assert!(
        rows[5].starts_with('>') && rows[5].contains("Twilio 00003"),
        "{last}"
    );
}

/// Row `y` of `buffer` as runs of one style: `[text] fg bg modifiers`,
/// default styles left out, trailing blanks dropped.
fn styled_row(buffer: &ratatui::buffer::Buffer, y: u16) -> String {
    let mut runs: Vec<(String, String)> = Vec::new();
    for x in 0..buffer.area.width {
        let cell = &buffer[(x, y)];
        let mut style = Vec::new();
        if cell.fg != ratatui::style::Color::Reset {
            style.push(format!("fg={:?}", cell.fg));
        }
        if cell.bg != ratatui::style::Color::Reset {
            style.push(format!("bg={:?}", cell.bg));
        }
        if !cell.modifier.is_empty() {
            style.push(format!("{:?}", cell.modifier));
        }
        let style = style.join(" ");
        match runs.last_mut() {
            Some((text, last)) if *last == style => text.push_str(cell.symbol()),
            _ => runs.push((cell.symbol().to_owned(), style)),
        }
    }
    if let Some((text, style)) = runs.last_mut()
        && style.is_empty()
    {
        text.truncate(text.trim_end().len());
        if text.is_empty() {
            runs.pop();
        }
    }
    runs.iter()
        .map(|(text, style)| format!("[{text}] {style}").trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The look of the selection in both themes: `>` and the name reversed; the
/// rest of the line is as on any other.
#[test]
fn the_selection_is_a_marker_and_the_name() {
    let vault = vault();
    let mut out = String::new();
    for (label, theme) in [("colored", Theme::colored()), ("plain", Theme::plain())] {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut app = opened_app(&vault, theme);
        app.update(Msg::Key(key_event('j')));
        terminal.draw(|f| app.render(f)).unwrap();
        let buffer = terminal.backend().buffer();
        for (what, y) in [("row above", 2), ("selected", 3), ("row below", 4)] {
            out.push_str(&format!("--- {label}, {what}\n{}\n", styled_row(buffer, y)));
        }
    }
    insta::assert_snapshot!("selection_styles", out);
}
