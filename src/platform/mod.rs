//! The few operating-system calls flowvault makes for its own safety, behind
//! safe functions: every `unsafe` block of the hardening work lives here.

pub mod child;
mod file_access;
mod hidden_input;
mod locked_memory;
mod memory;
mod process;
pub mod sd_notify;
pub mod thread_priority;
mod unix_peer;

pub use file_access::{current_uid, is_read_only_fs, is_writable};
pub use hidden_input::read_hidden_line;
pub use locked_memory::LockedBytes;
pub use memory::release_free_heap;
pub use process::{
    HardeningError, core_limit, end_quietly_on_closed_pipe, forbid_core_files, harden_process,
    is_dumpable, restore_core_limit,
};
pub use unix_peer::{QuietWriter, in_new_session, peer_uid};
