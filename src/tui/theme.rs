//! Styles by meaning, with a plain variant for `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::config::StyleSetting;

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
            // Dimmed text in the terminal's own colour, not palette index 8
            // (DarkGray): Solarized Dark and others make 8 the background's
            // colour, and the text vanished. DIM keeps it readable on light
            // and dark backgrounds alike; terminals without DIM show it plain.
            muted: Style::new().add_modifier(Modifier::DIM),
            title: Style::new().add_modifier(Modifier::BOLD),
            success: Style::new().fg(Color::Green),
            // 208 is orange in the 256-colour palette; ANSI's 16 have none.
            warning: Style::new().fg(Color::Indexed(208)),
            error: Style::new().fg(Color::Red),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new().add_modifier(Modifier::DIM),
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
        Theme::configured(&[])
    }

    /// The coloured theme with the config file's `[theme]` roles; `NO_COLOR`
    /// (set and non-empty) still wins: the plain theme, whatever the file says.
    pub fn configured(styles: &[StyleSetting]) -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::plain(),
            _ => Theme::colored().with_styles(styles),
        }
    }

    /// This theme with `styles` in place of its roles' own.
    pub fn with_styles(mut self, styles: &[StyleSetting]) -> Theme {
        for s in styles {
            if let Some(role) = self.role_mut(&s.role) {
                *role = s.style;
            }
        }
        self
    }

    /// Every role with its config-file name, in [`crate::config::theme::ROLES`] order.
    pub fn roles(&self) -> [(&'static str, Style); 10] {
        [
            ("text", self.text),
            ("muted", self.muted),
            ("title", self.title),
            ("success", self.success),
            ("warning", self.warning),
            ("error", self.error),
            ("selected", self.selected),
            ("key", self.key),
            ("border", self.border),
            ("focused_border", self.focused_border),
        ]
    }

    fn role_mut(&mut self, name: &str) -> Option<&mut Style> {
        Some(match name {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "title" => &mut self.title,
            "success" => &mut self.success,
            "warning" => &mut self.warning,
            "error" => &mut self.error,
            "selected" => &mut self.selected,
            "key" => &mut self.key,
            "border" => &mut self.border,
            "focused_border" => &mut self.focused_border,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config file's role names are the theme's, every one settable.
    #[test]
    fn every_config_role_names_a_theme_role() {
        let names: Vec<&str> = Theme::colored().roles().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, crate::config::theme::ROLES);
        let red = Style::new().fg(Color::Red);
        for name in names {
            let theme = Theme::plain().with_styles(&[StyleSetting {
                role: name.to_owned(),
                style: red,
            }]);
            let role = theme.roles().into_iter().find(|(n, _)| *n == name).unwrap();
            assert_eq!(role.1, red, "{name}");
        }
    }

    /// No role of the default theme draws in palette index 8, which
    /// Solarized Dark and similar schemes make the background's colour.
    #[test]
    fn the_default_theme_never_uses_dark_gray() {
        for (name, style) in Theme::colored().roles() {
            assert_ne!(style.fg, Some(Color::DarkGray), "{name}");
            assert_ne!(style.bg, Some(Color::DarkGray), "{name}");
        }
    }
}
