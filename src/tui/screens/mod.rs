//! The screens: each a component with its own state, key handling and drawing.

pub mod confirm;
pub mod details;
pub mod flow_edit;
pub mod flows;
pub mod help;
pub mod list;
pub mod pickers;
pub mod run_confirm;
pub mod run_view;
pub mod stale;
pub mod unlock;
pub mod wizard;

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::locale::Locale;
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Keymap, Mode};
use crate::tui::theme::Theme;
use crate::vault::Flow;
use list::ListRow;

/// What a screen made of a key: the one answer every screen gives.
#[derive(Debug)]
pub enum Reply {
    /// The key means nothing here: nothing changed, the screen stays.
    Ignored,
    /// The screen's own state changed (a selection, typed text).
    Changed,
    /// The screen is done (Esc, "no"): it leaves the stack.
    Close,
    /// The app should do something; the screen stays until the app says otherwise.
    Do(Intent),
}

/// One key (or paste) as screens see it: what the keymap binds it to in the
/// screen's mode, and the raw event, for text inputs. A paste has no action.
#[derive(Debug)]
pub struct KeyInput {
    pub action: Option<Action>,
    pub event: Event,
}

/// What screens read while handling a key or drawing: the app's data,
/// never a way to change it.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub view: View<'a>,
    pub rows: &'a [ListRow],
    pub flows: &'a [Flow],
    /// Where full screens draw (between the header and the status line).
    pub body: Rect,
}

/// The contract of every screen and overlay: it handles a key with a
/// [`Reply`] and draws itself; the keymap mode says what its keys mean.
pub trait Screen {
    /// Handles one key; never closes on a key it does not bind.
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply;
    /// Draws the screen in `area`; changes nothing.
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>);
    /// The keymap mode, which decides key bindings, the footer and help.
    fn mode(&self) -> Mode;
    /// Values for placeholders in the footer's hints (a countdown).
    fn footer_args(&self, _ctx: &Context<'_>) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// What every screen draws with.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub theme: &'a Theme,
    /// The keys, for screens that show them (the help).
    pub keymap: &'a Keymap,
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
