//! Messages into `update` and the effects it asks the event loop to perform.

use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::screens::list::ListRow;
use crate::actions::StepReport;
use crate::auth::{RefreshCommand, RefreshEvent};
use crate::vault::audit::{AuditEntry, AuditEvent};
use crate::vault::{Connection, ConnectionId, Flow, FlowId, SecretValue, UnlockKey};

/// Everything that can change the app's state.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Vault(VaultReply),
    /// News from the token refresher.
    Refresh(RefreshEvent),
    /// A run of a flow (or one of its actions) finished.
    RunFinished {
        run: u64,
        reports: Vec<StepReport>,
    },
    Timer(Timer),
    /// The operator's editor closed on a form field's value: the text it
    /// left, or why there is none.
    Edited {
        /// The catalog key of the field that was edited.
        field: String,
        result: Result<Zeroizing<String>, crate::tui::editor::EditorError>,
    },
    /// A response body was written to `path`, or why not.
    BodySaved {
        path: std::path::PathBuf,
        size: usize,
        result: Result<(), BodyNotSaved>,
    },
}

/// Why a response body was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyNotSaved {
    /// The file exists; saving again with `overwrite` replaces it.
    Exists,
    /// Any other failure, in words.
    Failed(String),
}

/// What a vault command came back with.
#[derive(Debug)]
pub enum VaultReply {
    /// The vault is open; here are its connections.
    Opened(Snapshot),
    /// Wrong passphrase or key (or an altered header); the operator may retry.
    WrongKey,
    /// The unlock agent this vault was opened through forgot its key
    /// (`flowvault lock`, or its timeout): the UI locks too. `noticed` when
    /// the periodic look found it, not the answer to a command.
    AgentLocked { noticed: bool },
    /// Any other failure, in words.
    Failed(String),
    /// A write succeeded: what it did, and the file as it is now.
    Saved { done: Done, snapshot: Snapshot },
    /// A write was refused: another process changed or deleted the record
    /// since it was read. Nothing was saved; here is the file as it is now.
    Conflict {
        conflict: Conflict,
        snapshot: Snapshot,
    },
    /// A write was refused because the name is taken.
    DuplicateName(String),
    /// A flow was not saved because its name is taken.
    DuplicateFlow(String),
    /// The file as it is now (after a run stored a token, say).
    Reloaded(Snapshot),
    /// Another process (the CLI, another UI, the daemon) wrote to the file:
    /// the file as it is now. Not an answer to any command of this app.
    ChangedElsewhere(Snapshot),
    /// The vault's server stopped answering (said once, in words): the UI
    /// keeps what it shows and the worker keeps looking.
    Unreachable(String),
    /// The server answers again: the vault as it is now.
    Reachable(Snapshot),
    /// A connection's most recent audit entries, oldest first.
    History {
        id: ConnectionId,
        entries: Vec<AuditEntry>,
    },
    /// An audit entry about no connection was appended.
    Recorded,
    /// The session let go of the vault (the UI locked itself).
    Locked,
}

/// What a write did, as the vault did it: the app writes its notice and
/// tells the refresher from this, not from the screen that happens to be open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// A new connection.
    Added(ConnectionId),
    /// A connection's name or fields changed.
    Updated(ConnectionId),
    /// A connection is gone; its name as it was (none if it was unreadable).
    Deleted {
        id: ConnectionId,
        name: Option<String>,
    },
    FlowAdded(FlowId),
    FlowRenamed(FlowId),
    FlowDeleted {
        id: FlowId,
        name: String,
    },
    /// A flow's steps were saved; what changed in them.
    StepsSaved {
        flow: FlowId,
        change: StepsChange,
    },
}

/// How a flow's saved steps differ from the stored ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepsChange {
    /// An action was appended.
    ActionAdded,
    /// The action at this position was removed; its catalog id.
    Removed { action: String },
    /// An action's connection was set (or cleared).
    ConnectionSet,
    /// An action's inputs changed.
    InputsSaved,
    /// Actions moved.
    Moved,
    /// The steps are as stored (a connection chosen again, say).
    Unchanged,
}

/// Why an edit was refused.
#[derive(Debug)]
pub enum Conflict {
    /// The connection was changed elsewhere where this edit changes it too;
    /// here it is as stored now.
    Changed(Box<Connection>),
    /// The connection was deleted elsewhere.
    Deleted(ConnectionId),
    /// Another record (a flow) moved on; in words.
    Other(String),
}

/// The vault's connections, with what is known of their tokens, as the list
/// shows them, and its flows. Read and assessed on the vault thread: with
/// 10,000 rows that is tens of milliseconds the UI thread does not spend.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub rows: Vec<ListRow>,
    pub flows: Vec<Flow>,
    /// `Some(n)`: only the oldest of the vault's `n` connections, the first
    /// screen of a large vault, drawn before the rest is read.
    pub first_page_of: Option<usize>,
}

/// Work for the event loop; `update` never does I/O itself.
#[derive(Debug)]
pub enum Effect {
    Quit,
    Vault(VaultCommand),
    /// Put text on the clipboard with OSC 52 (works over SSH); an empty
    /// text clears it.
    Copy(Zeroizing<String>),
    /// Hand the terminal to the operator's editor on `text`; the result
    /// comes back as `Msg::Edited` for the field `field`.
    Edit {
        field: String,
        text: Zeroizing<String>,
    },
    /// Stop the token refresher and let go of the second vault handle
    /// (the UI locked itself; a new unlock starts them again).
    StopRefresher,
    /// Send `Msg::Timer` after the delay.
    StartTimer(Timer, Duration),
    /// Start the token refresher on the unlocked vault.
    StartRefresher,
    /// Tell the refresher something.
    Refresher(RefreshCommand),
    /// Write a response body to a file; one that exists only with `overwrite`.
    SaveBody {
        path: std::path::PathBuf,
        body: bytes::Bytes,
        overwrite: bool,
    },
    /// Run a flow's actions (or one), in the background.
    Run {
        /// Numbers the run, so its result finds its view.
        run: u64,
        flow: Flow,
        only: Option<usize>,
        dry_run: bool,
    },
}

/// A change to the vault file.
#[derive(Debug)]
pub enum VaultCommand {
    Open(UnlockKey),
    /// Opens a vault that needs no key (OpenBao: the login is the key).
    Connect,
    Create(UnlockKey),
    Add(Connection),
    /// Rename a connection and change the fields the operator changed
    /// (a blank value clears one). `base` is the connection as the form
    /// opened it: changes made elsewhere since then are kept where they
    /// touch other fields, and refused as a conflict where they touch these.
    Edit {
        base: Box<Connection>,
        name: String,
        changes: Vec<(String, SecretValue)>,
    },
    Delete(ConnectionId),
    AddFlow(Flow),
    /// Rename a flow, as read (its version is checked).
    RenameFlow(Flow, String),
    DeleteFlow(FlowId),
    /// Save a flow's steps as they are now.
    SaveFlow(Flow),
    /// Read everything again.
    Reload,
    /// Append an entry to the audit trail (a reveal, a copy, a run sent).
    Audit(AuditEvent),
    /// Read a connection's recent history, for its details.
    History(ConnectionId),
    /// Let go of the vault and its key (the UI locked itself).
    Lock,
}

/// A timer; the generation lets a newer timer supersede an older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    HideSecrets(u64),
    ClearNotice(u64),
    /// Countdowns ("expires in 23h") may show a new value.
    Countdown(u64),
    /// Try again to read the connections past the first page.
    ReadTheRest,
    /// Clear the clipboard, if this generation's copy is still the last.
    ClearClipboard(u64),
    /// See whether the operator has been idle long enough to lock.
    AutoLock(u64),
}
