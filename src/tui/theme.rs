//! Styles by meaning, with a plain variant for `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

/// The styles screens draw with; screens never name colours themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub success: Style,
    /// Empty connections and notices that need attention (orange).
    pub warning: Style,
    pub error: Style,
    /// The selected item's name (only its name: see [`Theme::marker`]).
    pub selected: Style,
    pub key: Style,
    pub border: Style,
    pub focused_border: Style,
}

impl Theme {
    /// Colours on the terminal's own background.
    pub fn colored() -> Theme {
        Theme {
            text: Style::new(),
            muted: Style::new().fg(Color::DarkGray),
            title: Style::new().add_modifier(Modifier::BOLD),
            success: Style::new().fg(Color::Green),
            // 208 is orange in the 256-colour palette; ANSI's 16 have none.
            warning: Style::new().fg(Color::Indexed(208)),
            error: Style::new().fg(Color::Red),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            focused_border: Style::new().fg(Color::Cyan),
        }
    }

    /// No colour at all; selection stays visible by its `>` marker and reverse video.
    pub fn plain() -> Theme {
        Theme {
            text: Style::new(),
            muted: Style::new(),
            title: Style::new().add_modifier(Modifier::BOLD),
            success: Style::new(),
            warning: Style::new(),
            error: Style::new(),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: Style::new().add_modifier(Modifier::BOLD),
            border: Style::new(),
            focused_border: Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// The first cell of an item in a list: `>` on the selected one.
    ///
    /// The selection shows as this marker plus [`Theme::selected`] on the
    /// item's name, never as a restyled line: moving it then rewrites a
    /// dozen cells on the terminal instead of two whole lines, and without
    /// colour the marker and the reversed name still stand out.
    pub fn marker(&self, selected: bool) -> Span<'static> {
        if selected {
            // The same style as the name beside it: a move rewrites the two
            // cells and the name with no style change between them.
            Span::styled(">", self.selected)
        } else {
            Span::raw(" ")
        }
    }

    /// The style of an item's name: [`Theme::selected`] on the selected one.
    pub fn name(&self, selected: bool) -> Style {
        if selected { self.selected } else { self.text }
    }

    /// The plain theme when `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::plain(),
            _ => Theme::colored(),
        }
    }
}
