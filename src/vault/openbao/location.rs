//! Where an OpenBao vault lives: the location parsed from `--vault`.

pub use crate::vault::location::OpenBaoLocation;
