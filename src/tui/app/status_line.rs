//! The status line: a short notice that clears itself after a while, or the
//! vault work under way.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::locale::width::truncate;
use crate::tui::message::{Effect, Timer};
use crate::tui::theme::Theme;

/// How long a notice stays in the status line.
const NOTICE_SECONDS: u64 = 6;

/// A short message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// The notice shown, numbered so that only its own timer clears it.
#[derive(Debug, Default)]
pub struct StatusLine {
    notice: Option<Notice>,
    generation: u64,
    /// A lasting condition ("OpenBao unreachable, retrying…"), shown until
    /// it is cleared, beneath any notice.
    warning: Option<String>,
    /// What was wrong with the config file, shown when nothing else is.
    config_warning: Option<String>,
}

impl StatusLine {
    /// Shows `text`; the effect is the timer that clears it.
    pub fn notify(&mut self, text: String, is_error: bool) -> Effect {
        self.notice = Some(Notice { text, is_error });
        self.generation += 1;
        Effect::StartTimer(
            Timer::ClearNotice(self.generation),
            Duration::from_secs(NOTICE_SECONDS),
        )
    }

    /// The clearing timer of `generation` fired: whether a notice went.
    pub fn expire(&mut self, generation: u64) -> bool {
        generation == self.generation && self.notice.take().is_some()
    }

    /// Counts notices given, so a caller can tell whether one was given since.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Sets or clears the lasting warning.
    pub fn set_warning(&mut self, warning: Option<String>) {
        self.warning = warning;
    }

    /// Sets the config file's warning, shown for the whole session.
    pub fn set_config_warning(&mut self, warning: Option<String>) {
        self.config_warning = warning;
    }

    /// The config file's warning, if any.
    pub fn config_warning(&self) -> Option<&str> {
        self.config_warning.as_deref()
    }

    /// Removes the notice at once: the screen it was given on is gone.
    pub fn dismiss(&mut self) {
        self.notice = None;
    }

    /// Draws the line right-aligned in `area`. An error wins over vault work
    /// in flight (`work`), which wins over the lasting warning, which wins
    /// over any other notice.
    pub fn render(&self, frame: &mut Frame, area: Rect, work: Option<&str>, theme: &Theme) {
        // A lasting warning says more than news of something done.
        let line = match (work, &self.notice, self.warning.as_deref()) {
            (_, Some(notice), _) if notice.is_error => Some((notice.text.as_str(), theme.error)),
            (Some(text), _, _) => Some((text, theme.muted)),
            (None, _, Some(warning)) => Some((warning, theme.error)),
            (None, Some(notice), None) => Some((notice.text.as_str(), theme.success)),
            (None, None, None) => self.config_warning.as_deref().map(|w| (w, theme.warning)),
        };
        let Some((text, style)) = line else {
            return;
        };
        let text = truncate(text, area.width as usize);
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)).right_aligned(),
            area,
        );
    }
}
