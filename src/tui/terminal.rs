//! The real terminal: set up and restored on every path, synchronized frames, OSC 52.

use std::io::{self, Write};

use base64::Engine;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};

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
