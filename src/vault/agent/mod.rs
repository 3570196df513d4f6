//! The unlock agent: one passphrase, then every command without a prompt.
//!
//! # Design
//!
//! `flowvault unlock` reads the unlock key the usual way (prompt, key file
//! or passphrase file), starts the agent if none answers (the same binary's
//! hidden `agent-serve`, in a session of its own with its standard streams
//! on /dev/null, so it outlives the shell), and sends it the vault's path
//! and the key over a Unix socket. The agent opens the vault itself: the
//! key derivation runs there, and the data key is only ever in the agent's
//! memory, which is locked (`platform::LockedBytes`) and not dumpable
//! (`PR_SET_DUMPABLE` 0, core limit 0, set by `main` before anything else
//! and checked again by the agent, which refuses to run without it).
//!
//! **The agent answers requests; no key leaves it.** A client — every
//! command, the UI, the daemon — with no key option on a vault file asks
//! the agent to open that path. If the agent holds it, the client gets an
//! [`AgentStore`]: a [`crate::vault::Store`] whose every call is one request,
//! served by the agent on the client's own thread and its own handle
//! (`Store::reopen`). Values cross in clear, as they leave any store; the
//! data key, the passphrase and the sealed rows never go back out. If no
//! agent runs, or it does not hold that vault, the client silently unlocks
//! the usual way. Operations that need the key itself (`passwd`, `rekey`,
//! `verify --accept`) keep asking for the passphrase or key file.
//!
//! Wire: frames of a big-endian u32 length and that many bytes of JSON, at
//! most [`protocol::MAX_FRAME`]; one [`protocol::Request`], one
//! [`protocol::Response`]. Frames are wiped after use. Vault errors cross as
//! [`protocol::WireError`], which keeps the kinds exit codes depend on.
//!
//! Socket: `$XDG_RUNTIME_DIR/flowvault/agent.sock`, else
//! `/tmp/flowvault-$UID/agent.sock`, or `$FLOWVAULT_AGENT_SOCKET`; its folder
//! is made 0700 and refused if it is a link, another user's, or open to
//! others; the socket is 0600. Every connection's peer credentials
//! (SO_PEERCRED) are checked too, and another user's process is closed on
//! without an answer. A lock file beside the socket makes two racing
//! `unlock`s start one agent; a socket left by a killed agent is replaced.
//!
//! Lifetime: the idle timeout counts from the last request of any client;
//! when it passes, or on `flowvault lock`, the agent removes its socket,
//! records `agent_locked` in each vault's audit trail (with why), drops
//! every store (wiping the keys) and exits. An agent whose `unlock` failed
//! holds nothing and ends once its client leaves. After `rekey` the agent's
//! data key is the old one: run `flowvault unlock` again.

mod client;
pub mod protocol;
mod server;
mod socket;

use std::path::Path;
use std::time::Duration;

pub use client::{AgentStore, Unlocker};
pub use server::{ServeError, serve};
pub use socket::{SOCKET_ENV, socket_path};

use super::VaultError;

/// The idle timeout when `unlock` is given none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The vault file `path` through the agent, if one runs and holds it.
pub fn open(path: &Path) -> Option<AgentStore> {
    client::open(&socket_path(), path)
}

/// The vault file `path` through the agent on `socket`, if it holds it.
pub fn open_at(socket: &Path, path: &Path) -> Option<AgentStore> {
    client::open(socket, path)
}

/// Whether an agent answers on its socket.
pub fn is_running() -> bool {
    client::is_running(&socket_path())
}

/// A connection to the running agent to hand it keys; `None` if none runs.
pub fn unlocker() -> Option<Unlocker> {
    Unlocker::connect(&socket_path())
}

/// Makes the socket's folder (0700) if missing, and refuses one that is
/// not private: said by `unlock` before it starts an agent.
pub fn prepare_folder(socket: &Path) -> Result<(), VaultError> {
    socket::private_folder(socket).map(|_| ())
}

/// Tells the agent to forget every key and end; `Ok(false)` if none ran.
pub fn lock() -> Result<bool, VaultError> {
    client::lock(&socket_path())
}
