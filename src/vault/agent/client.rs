//! The client side: a [`Store`] whose every call is a request to the agent.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::platform::QuietWriter;

use super::protocol::{
    FrameError, Request, Response, WireError, WireKey, read_message, write_message,
};
use crate::vault::audit::{AuditCheck, AuditEntry, AuditEvent, AuditQuery};
use crate::vault::{
    AuditLog, ChangeFeed, ChangeMark, Connection, ConnectionId, Flow, FlowId, RefreshState,
    SecretValue, Store, StoredConnection, Token, TokenRecord, UnlockKey, Usage, VaultError,
    VaultStore,
};

/// How long a request may wait for its answer: `unlock` runs Argon2id in
/// the agent, and a large vault's first read checks every row.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to the agent, one request at a time.
struct Channel {
    stream: UnixStream,
}

impl Channel {
    /// Connects to the agent at `socket`; `None` when none answers there,
    /// or when what answers is another user's process: in a shared /tmp
    /// another user could have planted a listener to collect passphrases.
    fn connect(socket: &Path) -> Option<Channel> {
        let stream = UnixStream::connect(socket).ok()?;
        if crate::platform::peer_uid(&stream).ok()? != crate::platform::current_uid() {
            return None;
        }
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).ok()?;
        Some(Channel { stream })
    }

    fn call(&mut self, request: &Request) -> Result<Response, VaultError> {
        self.send(request)?;
        self.receive()
    }

    /// Closes the connection: the next send fails and reconnects.
    fn close(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }

    fn send(&mut self, request: &Request) -> Result<(), FrameError> {
        write_message(&mut QuietWriter(&self.stream), request)
    }

    fn receive(&mut self) -> Result<Response, VaultError> {
        match read_message(&mut self.stream)? {
            Some(response) => Ok(response),
            None => Err(VaultError::Agent(
                "it closed the connection without answering".to_owned(),
            )),
        }
    }
}

/// Whether an agent answers at `socket`.
pub fn is_running(socket: &Path) -> bool {
    UnixStream::connect(socket).is_ok()
}

/// Opens the vault file `path` through the agent at `socket`: `None` when no
/// agent runs there or it does not hold that vault, so the caller unlocks
/// it the usual way.
pub fn open(socket: &Path, path: &Path) -> Option<AgentStore> {
    let path = std::fs::canonicalize(path).ok()?;
    let (channel, location) = open_channel(socket, &path)?;
    Some(AgentStore {
        socket: socket.to_owned(),
        path,
        location,
        channel: Mutex::new(channel),
    })
}

/// A connection on which the agent has opened the vault at the canonical
/// `path`, and the vault's location as the agent names it.
fn open_channel(socket: &Path, path: &Path) -> Option<(Channel, String)> {
    let mut channel = Channel::connect(socket)?;
    match channel.call(&Request::Open {
        path: path.to_owned(),
    }) {
        Ok(Response::Opened { location }) => Some((channel, location)),
        _ => None,
    }
}

/// A connection to the agent for `unlock`: kept across the tries of a
/// mistyped passphrase, so an agent started for them stays up meanwhile.
pub struct Unlocker {
    channel: Channel,
}

impl Unlocker {
    /// Connects to the agent at `socket`; `None` when none answers there.
    pub fn connect(socket: &Path) -> Option<Unlocker> {
        Channel::connect(socket).map(|channel| Unlocker { channel })
    }

    /// Hands the agent the key of the vault file `path`; it opens the vault
    /// itself and keeps it until `timeout` passes with no request.
    pub fn unlock(
        &mut self,
        path: &Path,
        key: UnlockKey,
        timeout: Duration,
    ) -> Result<(), VaultError> {
        let path = std::fs::canonicalize(path).map_err(|source| VaultError::Io {
            context: "cannot find the vault file",
            path: path.to_owned(),
            source,
        })?;
        let request = Request::Unlock {
            path,
            key: WireKey::from(key),
            timeout_secs: timeout.as_secs(),
        };
        match self.channel.call(&request)? {
            Response::Done => Ok(()),
            Response::Failed(e) => Err(e.into()),
            other => Err(unexpected(&other)),
        }
    }
}

/// Tells the agent at `socket` to forget every vault and end: `Ok(false)`
/// when no agent was running.
pub fn lock(socket: &Path) -> Result<bool, VaultError> {
    let Some(mut channel) = Channel::connect(socket) else {
        return Ok(false);
    };
    match channel.call(&Request::Lock)? {
        Response::Done => Ok(true),
        Response::Failed(e) => Err(e.into()),
        other => Err(unexpected(&other)),
    }
}

fn unexpected(response: &Response) -> VaultError {
    // The variant's name only: a response may hold secrets.
    let name = format!("{response:?}");
    let name = name.split(['(', ' ', '{']).next().unwrap_or("?");
    VaultError::Agent(format!("it answered with an unexpected {name}"))
}

/// A vault the agent holds open: each call is one request on this client's
/// own connection, served by the agent on a handle of its own.
pub struct AgentStore {
    socket: PathBuf,
    path: PathBuf,
    location: String,
    channel: Mutex<Channel>,
}

impl AgentStore {
    fn call(&self, request: &Request) -> Result<Response, VaultError> {
        let mut channel = self
            .channel
            .lock()
            .map_err(|_| VaultError::Agent("a request failed midway".to_owned()))?;
        if channel.send(request).is_err() {
            // The agent this handle spoke to has gone (locked, timed out)
            // and read none of the request: an agent that holds the vault
            // again, after a new `unlock`, takes over, so a running daemon
            // carries on without a restart.
            let (fresh, _) = open_channel(&self.socket, &self.path)
                .ok_or_else(|| VaultError::from(WireError::NotHeld))?;
            *channel = fresh;
            channel.send(request)?;
        }
        let answer = channel.receive();
        if answer.is_err() {
            // A late or half-read answer would be taken for the next call's:
            // this connection is out of step, so the next call opens another.
            channel.close();
        }
        match answer? {
            Response::Failed(e) => Err(e.into()),
            response => Ok(response),
        }
    }
}

/// Sends a request and takes the one response variant it answers with.
macro_rules! ask {
    ($store:expr, $request:expr, $pattern:pat => $value:expr) => {
        match $store.call(&$request)? {
            $pattern => Ok($value),
            other => Err(unexpected(&other)),
        }
    };
}

impl VaultStore for AgentStore {
    fn connections(&self) -> Result<Vec<StoredConnection>, VaultError> {
        ask!(self, Request::Connections, Response::Connections(all) => all)
    }

    fn first_connections(
        &self,
        limit: usize,
    ) -> Result<(Vec<StoredConnection>, usize), VaultError> {
        ask!(self, Request::FirstConnections { limit },
            Response::FirstConnections(first, total) => (first, total))
    }

    fn connection(&self, name: &str) -> Result<Connection, VaultError> {
        ask!(self, Request::Connection { name: name.to_owned() }, Response::Connection(c) => c)
    }

    fn connection_id(&self, name_or_id: &str) -> Result<ConnectionId, VaultError> {
        let request = Request::ConnectionId {
            name_or_id: name_or_id.to_owned(),
        };
        ask!(self, request, Response::ConnectionId(id) => id)
    }

    fn connection_by_id(&self, id: &ConnectionId) -> Result<Connection, VaultError> {
        ask!(self, Request::ConnectionById { id: id.clone() }, Response::Connection(c) => c)
    }

    fn add_connection(&mut self, connection: &Connection) -> Result<(), VaultError> {
        let request = Request::AddConnection {
            connection: connection.clone(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn add_connections(&mut self, connections: &[Connection]) -> Result<(), VaultError> {
        let request = Request::AddConnections {
            connections: connections.to_vec(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn write_batch(&mut self, batch: &crate::vault::RecordBatch) -> Result<(), VaultError> {
        let request = Request::WriteBatch {
            batch: batch.clone(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn update_connection(&mut self, connection: &Connection) -> Result<i64, VaultError> {
        let request = Request::UpdateConnection {
            connection: connection.clone(),
        };
        ask!(self, request, Response::Version(v) => v)
    }

    fn delete_connection(&mut self, id: &ConnectionId) -> Result<(), VaultError> {
        ask!(self, Request::DeleteConnection { id: id.clone() }, Response::Done => ())
    }

    fn token_record(&self, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
        ask!(self, Request::TokenRecord { id: id.clone() }, Response::TokenRecord(r) => r)
    }

    fn token_records(&self) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
        ask!(self, Request::TokenRecords,
            Response::TokenRecords(records) => records.into_iter().collect())
    }

    fn store_token(
        &mut self,
        id: &ConnectionId,
        token: &Token,
        rotated_refresh_token: Option<&SecretValue>,
    ) -> Result<(), VaultError> {
        let request = Request::StoreToken {
            id: id.clone(),
            token: token.clone(),
            rotated_refresh_token: rotated_refresh_token.cloned(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn store_refresh_state(
        &mut self,
        id: &ConnectionId,
        state: &RefreshState,
    ) -> Result<(), VaultError> {
        let request = Request::StoreRefreshState {
            id: id.clone(),
            state: state.clone(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn try_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, VaultError> {
        let request = Request::TryLease {
            id: id.clone(),
            holder: holder.to_owned(),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
        };
        ask!(self, request, Response::Leased(taken) => taken)
    }

    fn release_lease(&mut self, id: &ConnectionId, holder: &str) -> Result<(), VaultError> {
        let request = Request::ReleaseLease {
            id: id.clone(),
            holder: holder.to_owned(),
        };
        ask!(self, request, Response::Done => ())
    }

    fn flows(&self) -> Result<Vec<Flow>, VaultError> {
        ask!(self, Request::Flows, Response::Flows(all) => all)
    }

    fn flow(&self, name: &str) -> Result<Flow, VaultError> {
        ask!(self, Request::Flow { name: name.to_owned() }, Response::Flow(f) => f)
    }

    fn add_flow(&mut self, flow: &Flow) -> Result<(), VaultError> {
        ask!(self, Request::AddFlow { flow: flow.clone() }, Response::Done => ())
    }

    fn rename_flow(&mut self, flow: &Flow, name: &str) -> Result<i64, VaultError> {
        let request = Request::RenameFlow {
            flow: flow.clone(),
            name: name.to_owned(),
        };
        ask!(self, request, Response::Version(v) => v)
    }

    fn delete_flow(&mut self, id: &FlowId) -> Result<(), VaultError> {
        ask!(self, Request::DeleteFlow { id: id.clone() }, Response::Done => ())
    }

    fn save_steps(&mut self, flow: &Flow) -> Result<i64, VaultError> {
        ask!(self, Request::SaveSteps { flow: flow.clone() }, Response::Version(v) => v)
    }

    fn connection_usage(&self, id: &ConnectionId) -> Result<Vec<Usage>, VaultError> {
        ask!(self, Request::ConnectionUsage { id: id.clone() }, Response::Usage(u) => u)
    }
}

impl ChangeFeed for AgentStore {
    fn change_mark(&self) -> Result<ChangeMark, VaultError> {
        ask!(self, Request::ChangeMark, Response::ChangeMark(mark) => mark)
    }

    fn changed_since(&self, mark: &ChangeMark) -> Result<Option<ChangeMark>, VaultError> {
        ask!(self, Request::ChangedSince { mark: mark.clone() },
            Response::ChangedSince(changed) => changed)
    }
}

impl AuditLog for AgentStore {
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), VaultError> {
        ask!(self, Request::AppendAudit { event: event.clone() }, Response::Done => ())
    }

    fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError> {
        ask!(self, Request::AuditEntries { query: query.clone() },
            Response::AuditEntries(entries) => entries)
    }

    fn verify_audit(&self) -> Result<AuditCheck, VaultError> {
        ask!(self, Request::VerifyAudit, Response::AuditCheck(check) => check)
    }
}

impl Store for AgentStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn reopen(&self) -> Result<Box<dyn Store>, VaultError> {
        match open(&self.socket, &self.path) {
            Some(store) => Ok(Box::new(store)),
            None => Err(WireError::NotHeld.into()),
        }
    }

    fn verify(&self) -> Result<(), VaultError> {
        ask!(self, Request::Verify, Response::Done => ())
    }

    fn shed_caches(&self) {
        // Only a hint: a failure here shows at the next real request.
        let _ = self.call(&Request::ShedCaches);
    }

    // `read_on_two_threads` keeps its default (nothing): it is a hint for a
    // one-shot process, and the agent is a long-lived one.
}
