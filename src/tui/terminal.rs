//! The real terminal: set up and restored on every path, synchronized frames, OSC 52.

use std::io::{self, Write};

use base64::Engine;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode, size,
};
use ratatui::crossterm::{execute, queue};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// Takes the terminal: raw mode, the alternate screen and bracketed paste (a
/// paste arrives as one event, never as keys). A panic hands it back before
/// its report prints; so must [`leave`], on every other way out.
///
/// The viewport is fixed at the size the window has now, and the event loop
/// resizes it on each resize event. A full-screen one would ask the
/// terminal its size before every frame, and crossterm opens `/dev/tty` for
/// each ask.
pub fn enter() -> io::Result<UiTerminal> {
    let (width, height) = size()?;
    // As ratatui's own set-up does: raw mode off and the main screen back
    // before a panic's report prints.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        ratatui::restore();
        // A frame being drawn holds what the terminal's drop writes, the
        // cursor shown again among it: shown here, straight to the terminal.
        let _ = execute!(io::stdout(), Show);
        previous(info);
    }));
    enable_raw_mode()?;
    let terminal = Terminal::with_options(
        CrosstermBackend::new(FrameWriter::new(io::stdout())),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )?;
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
    /// which works over SSH; an empty text clears it.
    fn copy_to_clipboard(&mut self, text: &str) -> io::Result<()>;
    /// Hands the terminal back as the shell had it (for the operator's
    /// editor). A backend with no real terminal has nothing to hand back.
    fn release(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Takes the terminal again after [`TerminalExtras::release`].
    fn take_back(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The terminal the UI draws on.
pub type UiTerminal = Terminal<CrosstermBackend<FrameWriter<io::Stdout>>>;

/// A frame's bytes from which it is drawn inside a synchronized update.
const SYNCHRONIZED_FROM: usize = 512;

/// The terminal's output, a frame at a time: what one draw writes is held
/// and sent in one write when the frame ends. A frame large enough to be
/// seen drawing (a new screen, a scroll of many rows) goes inside a
/// synchronized update, which the terminal shows all at once; a small one
/// (a moved selection: two markers and two names) does not, since the two
/// escapes would be an eighth of its bytes.
#[derive(Debug)]
pub struct FrameWriter<W: Write> {
    out: W,
    /// The frame being drawn, if one was begun.
    frame: Option<Vec<u8>>,
}

impl<W: Write> FrameWriter<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> FrameWriter<W> {
        FrameWriter { out, frame: None }
    }

    fn begin(&mut self) {
        self.frame.get_or_insert_with(Vec::new).clear();
    }

    fn end(&mut self) -> io::Result<()> {
        let Some(frame) = self.frame.take() else {
            return Ok(());
        };
        if frame.len() >= SYNCHRONIZED_FROM {
            queue!(self.out, BeginSynchronizedUpdate)?;
            self.out.write_all(&frame)?;
            queue!(self.out, EndSynchronizedUpdate)?;
        } else {
            self.out.write_all(&frame)?;
        }
        self.out.flush()
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.frame {
            Some(frame) => {
                frame.extend_from_slice(buf);
                Ok(buf.len())
            }
            None => self.out.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // Inside a frame, the frame's end flushes.
        match self.frame {
            Some(_) => Ok(()),
            None => self.out.flush(),
        }
    }
}

impl<W: Write> TerminalExtras for CrosstermBackend<FrameWriter<W>> {
    fn begin_frame(&mut self) -> io::Result<()> {
        self.writer_mut().begin();
        Ok(())
    }

    fn end_frame(&mut self) -> io::Result<()> {
        self.writer_mut().end()
    }

    fn copy_to_clipboard(&mut self, text: &str) -> io::Result<()> {
        let encoded =
            zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(text));
        write!(self, "\x1b]52;c;{}\x07", encoded.as_str())?;
        self.flush()
    }

    fn release(&mut self) -> io::Result<()> {
        execute!(self, DisableBracketedPaste, LeaveAlternateScreen, Show)?;
        disable_raw_mode()
    }

    fn take_back(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        execute!(self, EnterAlternateScreen, EnableBracketedPaste)
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

#[cfg(test)]
mod frame_tests {
    use super::*;

    fn framed(bytes: usize) -> Vec<u8> {
        let mut writer = FrameWriter::new(Vec::new());
        writer.begin();
        writer.write_all(&vec![b'x'; bytes]).unwrap();
        writer.flush().unwrap();
        assert!(
            writer.out.is_empty(),
            "nothing leaves before the frame ends"
        );
        writer.end().unwrap();
        writer.out
    }

    #[test]
    fn a_small_frame_goes_out_bare_and_a_large_one_synchronized() {
        assert_eq!(framed(40), vec![b'x'; 40]);
        let large = framed(SYNCHRONIZED_FROM);
        assert!(large.starts_with(b"\x1b[?2026h"));
        assert!(large.ends_with(b"\x1b[?2026l"));
        assert_eq!(large.len(), SYNCHRONIZED_FROM + 16);
    }

    #[test]
    fn writes_outside_a_frame_go_straight_out() {
        let mut writer = FrameWriter::new(Vec::new());
        writer.write_all(b"\x1b]52;c;\x07").unwrap();
        assert_eq!(writer.out, b"\x1b]52;c;\x07");
        writer.end().unwrap();
        assert_eq!(writer.out, b"\x1b]52;c;\x07", "no frame, nothing to end");
    }
}
