//! flowvault: a terminal console for a vault of connections used by flow actions.

pub mod catalog;
pub mod cli;
pub mod vault;
