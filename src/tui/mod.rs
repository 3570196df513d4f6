//! The terminal UI: app state, messages, event loop, screens, widgets, theme.

pub mod app;
pub mod editor;
pub mod effects;
pub mod event_loop;
#[cfg(any(test, feature = "test-support"))]
pub mod harness;
mod history;
pub mod intent;
pub mod keymap;
pub mod launch;
pub mod message;
mod safe_cells;
pub mod screens;
pub mod session;
pub mod settings;
pub mod terminal;
pub mod theme;
pub mod widgets;

pub use app::App;
