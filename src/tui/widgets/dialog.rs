//! The frame every dialog and full screen shares: cleared, bordered, titled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear};

use crate::locale::width::truncate;
use crate::tui::theme::Theme;

/// Clears `area`, draws a border titled `title` (cut to fit) and returns the inside.
pub fn frame_dialog(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    border: Style,
    theme: &Theme,
) -> Rect {
    let title = truncate(title, area.width.saturating_sub(4) as usize);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title))
        .border_style(border);
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inner
}
