//! The real terminal: set up and restored on every path, synchronized frames, OSC 52.

use std::io::{self, Write};

use base64::Engine;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, size,
};
use ratatui::layout::Rect;
use ratatui::{DefaultTerminal, TerminalOptions, Viewport};

/// Takes the terminal: raw mode, the alternate screen and bracketed paste (a
/// paste arrives as one event, never as keys). A panic hands it back before
/// its report prints; so must [`leave`], on every other way out.
///
/// The viewport is fixed at the size the window has now, and the event loop
/// resizes it on each resize event. A full-screen one would ask the
/// terminal its size before every frame, and crossterm opens `/dev/tty` for
/// each ask.
pub fn enter() -> io::Result<DefaultTerminal> {
    let (width, height) = size()?;
    // Installs ratatui's panic hook: raw mode off, main screen back.
    let terminal = ratatui::try_init_with_options(TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    })?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen) {
        leave();
        return Err(e);
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A shell left in bracketed paste wraps every later paste in
        // `ESC[200~`, which most programs show as junk.
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        previous(info);
    }));
    if let Err(e) = execute!(io::stdout(), EnableBracketedPaste) {
        leave();
        return Err(e);
    }
    Ok(terminal)
}

/// Hands the terminal back as [`enter`] found it.
pub fn leave() {
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// What the event loop needs of a backend beyond drawing.
pub trait TerminalExtras {
    /// Starts a frame the terminal shows all at once.
    fn begin_frame(&mut self) -> io::Result<()>;
    /// Ends the frame started by [`TerminalExtras::begin_frame`].
    fn end_frame(&mut self) -> io::Result<()>;
    /// Puts `text` on the clipboard of the operator's own terminal (OSC 52),
    /// which works over SSH.
    fn copy_to_clipboard(&mut self, text: &str) -> io::Result<()>;
}

impl<W: Write> TerminalExtras for CrosstermBackend<W> {
    fn begin_frame(&mut self) -> io::Result<()> {
        execute!(self, BeginSynchronizedUpdate)
    }

    fn end_frame(&mut self) -> io::Result<()> {
        execute!(self, EndSynchronizedUpdate)
    }

    fn copy_to_clipboard(&mut self, text: &str) -> io::Result<()> {
        let encoded =
            zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(text));
        write!(self, "\x1b]52;c;{}\x07", encoded.as_str())?;
        self.flush()
    }
}

impl TerminalExtras for TestBackend {
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
