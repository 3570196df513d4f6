//! How domain values read on screen and in the CLI: labels, status words,
//! errors in words. Only `tui` and `cli` use it, so the domain modules
//! (`vault`, `auth`, `actions`, `catalog`) and the locale tables stay
//! independent of each other.

pub mod labels;
pub mod response;
