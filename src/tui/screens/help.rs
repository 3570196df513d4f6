//! The help screen, generated from the keymap so it never lies.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::tui::keymap::{Action, HELP_MODES, Keymap, Mode};
use crate::tui::widgets::dialog::frame_dialog;

/// The help screen's scroll position.
#[derive(Debug, Default)]
pub struct Help {
    pub scroll: u16,
}

impl Help {
    /// Help opened from `mode`: scrolled to the section of its keys, as far
    /// as a body `visible` lines high allows.
    pub fn at(keymap: &Keymap, mode: Mode, visible: u16) -> Help {
        let section = mode.help_section();
        let mut line = 0u16;
        for m in HELP_MODES {
            if m == section {
                break;
            }
            // The title, the keys and the blank line after them.
            line += keymap.entries(m).len() as u16 + 2;
        }
        let max_scroll = Help::line_count(keymap).saturating_sub(visible.saturating_sub(2));
        Help {
            scroll: line.min(max_scroll),
        }
    }

    /// Handles a key. `max_scroll` keeps the last line at the bottom rather
    /// than scrolling into emptiness.
    pub fn handle(&mut self, action: Action, max_scroll: u16) -> Reply {
        match action {
            Action::Down => self.scroll = (self.scroll + 1).min(max_scroll),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Back | Action::ForceQuit => return Reply::Close,
            _ => return Reply::Ignored,
        }
        Reply::Changed
    }

    /// How many lines the help has.
    pub fn line_count(keymap: &Keymap) -> u16 {
        let lines: usize = HELP_MODES.iter().map(|m| keymap.entries(*m).len()).sum();
        // A title per mode, and a blank line between modes.
        (lines + HELP_MODES.len() * 2 - 1) as u16
    }

    fn lines<'a>(view: View<'a>) -> Vec<Line<'a>> {
        let View {
            theme,
            keymap,
            locale,
            ..
        } = view;
        let mut lines = Vec::new();
        for mode in HELP_MODES {
            if !lines.is_empty() {
                lines.push(Line::from(""));
            }
            lines.push(Line::from(Span::styled(
                locale.t(mode.title_key()),
                theme.title,
            )));
            for e in keymap.entries(mode) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<16}", e.keys), theme.key),
                    Span::raw(locale.t(e.hint)),
                ]));
            }
        }
        lines
    }

    /// Draws the keys of every mode, scrolled.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let popup = centered(area, 64, area.height);
        let inner = frame_dialog(
            frame,
            popup,
            view.locale.t("help.title"),
            view.theme.focused_border,
            view.theme,
        );
        let lines = Help::lines(view);
        let max_scroll = (lines.len() as u16).saturating_sub(inner.height);
        frame.render_widget(
            Paragraph::new(lines).scroll((self.scroll.min(max_scroll), 0)),
            inner,
        );
    }
}

impl Screen for Help {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        // The help box fills the body, less its two borders.
        let visible = ctx.body.height.saturating_sub(2);
        key.action.map_or(Reply::Ignored, |action| {
            let lines = Help::line_count(ctx.view.keymap);
            Help::handle(self, action, lines.saturating_sub(visible))
        })
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        Help::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> Mode {
        Mode::Help
    }
}
