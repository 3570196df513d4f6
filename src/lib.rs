//! flowvault: a terminal console for a vault of connections used by flow actions.

pub mod actions;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod locale;
#[allow(unsafe_code)] // system calls behind safe functions: the one place for unsafe
pub mod platform;
pub mod present;
pub mod tls;
pub mod tui;
pub mod vault;
