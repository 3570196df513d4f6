//! The screens: each a component with its own state, key handling and drawing.

pub mod confirm;
pub mod details;
pub mod flow_edit;
pub mod flows;
pub mod help;
pub mod list;
pub mod pickers;
pub mod run_view;
pub mod unlock;
pub mod wizard;

use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::locale::Locale;
use crate::tui::theme::Theme;

/// What every screen draws with.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub theme: &'a Theme,
    pub locale: &'a Locale,
    /// The app's clock at this frame, for countdowns.
    pub now: time::OffsetDateTime,
}

/// A rectangle of at most `width` x `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
