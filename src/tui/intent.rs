//! What a screen asks the app to do: the one vocabulary every screen answers
//! in, matched by the app in one place.

use zeroize::Zeroizing;

use super::message::VaultCommand;
use super::screens::confirm::DeleteTarget;
use super::screens::pickers::ConnectionChoice;
use crate::vault::{Connection, ConnectionId, Credentials, Flow, FlowId};

/// A request from a screen to the app.
#[derive(Debug)]
pub enum Intent {
    Quit,
    /// Open the help for the screen that has focus.
    Help,
    /// Move between the connections and the flows panes.
    NextPane,
    /// The add-connection wizard.
    AddConnection,
    /// A connection's details.
    OpenConnection(ConnectionId),
    /// The edit form of a connection.
    EditConnection(ConnectionId),
    /// The edit form of a connection at its name, to rename it.
    RenameConnection(ConnectionId),
    /// Ask before deleting a connection.
    DeleteConnection(ConnectionId),
    /// Renew a connection's token now.
    RenewNow(ConnectionId),
    /// Write to the vault (a form or the unlock screen was submitted).
    Save(VaultCommand),
    /// Secrets show now; hide them when this generation's timer fires.
    HideSecretsLater(u64),
    /// Put a field's value on the clipboard; the label is for the notice.
    Copy {
        value: Zeroizing<String>,
        label: String,
    },
    /// Put a connection's current access token on the clipboard, fetched
    /// or renewed first if it has none that is fresh.
    CopyToken(ConnectionId),
    /// Open the operator's editor on a form field's value.
    OpenEditor {
        /// The field's catalog key.
        field: String,
        text: Zeroizing<String>,
    },
    /// The operator said yes to a deletion.
    Confirmed(DeleteTarget),
    /// Something the flows pane asks for.
    Flow(FlowIntent),
    /// A flow name was typed: a new flow, or a rename of `renaming`.
    NameFlow {
        renaming: Option<FlowId>,
        name: String,
    },
    /// Append an action to a flow.
    AppendAction {
        flow: FlowId,
        action: String,
    },
    /// A connection (or none, or a new one) was picked for an action.
    SetConnection {
        flow: FlowId,
        step: usize,
        choice: ConnectionChoice,
    },
    /// An edit was refused, the connection changed elsewhere: put the
    /// stored connection under the form (fields changed there show the stored value).
    ReloadEdit(Box<Connection>),
    /// An edit was refused, the connection was deleted elsewhere: save what
    /// the form holds as a new connection.
    RecreateEdit,
    /// Put a response body (of the action at 1-based `position`) on the clipboard.
    CopyBody {
        position: usize,
        body: bytes::Bytes,
    },
    /// Ask where to save a response body.
    OpenSaveBody {
        position: usize,
        body: bytes::Bytes,
    },
    /// Write a response body to a file; one that exists only with `overwrite`.
    SaveBody {
        path: std::path::PathBuf,
        body: bytes::Bytes,
        overwrite: bool,
    },
    /// `y` or `s` where no action received a body (a dry run).
    NoBody,
    /// New input values for an action.
    SaveInputs {
        flow: FlowId,
        step: usize,
        inputs: Credentials,
    },
}

/// What the flows pane asks the app to do; positions are 0-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowIntent {
    NewFlow,
    RenameFlow(FlowId),
    DeleteFlow(FlowId),
    AddAction(FlowId),
    EditInputs(FlowId, usize),
    ChooseConnection(FlowId, usize),
    NewConnection(FlowId, usize),
    DeleteStep(FlowId, usize),
    /// Move the step at `from` by `by` places.
    MoveStep {
        flow: FlowId,
        from: usize,
        by: isize,
    },
    /// A dry run shows the requests; a real one asks first (see `Send`).
    Run {
        flow: FlowId,
        only: Option<usize>,
        dry_run: bool,
    },
    /// The operator said yes to the requests shown: send this flow, exactly
    /// as it was checked.
    Send {
        flow: Flow,
        only: Option<usize>,
    },
    /// `x` or `r` with no action selected: say which keys act on what.
    ChooseActionFirst,
}
