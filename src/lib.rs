//! flowvault: a terminal console for a vault of connections used by flow actions.

pub mod actions;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod locale;
pub mod platform;
pub mod present;
pub mod tui;
pub mod vault;
