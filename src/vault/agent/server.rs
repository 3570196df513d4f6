//! The agent process: listens on its socket, keeps the vaults it was handed
//! open, and serves each client connection on a thread with a handle of its own.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::platform::QuietWriter;

use super::protocol::{Request, Response, WireError, read_message, write_message};
use super::socket::private_folder;
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::{Store, StoreAccess, UnlockKey, VaultError, VaultLocation};

/// How long an agent that holds nothing waits for its first `unlock`
/// before it ends (it was started for one that never came).
const FIRST_UNLOCK_WAIT: Duration = Duration::from_secs(10);

/// How long the end waits for threads in a request to drop their handles.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to hold keys: this process could be dumped or traced (PR_SET_DUMPABLE failed)"
    )]
    Dumpable,
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Runs the agent on `socket` until it is locked, or idle for `timeout`.
/// Returns at once, successfully, when another agent already serves there.
pub fn serve(socket: &Path, timeout: Duration) -> Result<(), ServeError> {
    if crate::platform::is_dumpable() {
        return Err(ServeError::Dumpable);
    }
    // The agent starts no programs, so its hard core limit goes to 0 too:
    // nothing it runs could ever raise it again. A failure leaves the soft
    // limit at 0 and the process non-dumpable, which already keep cores out.
    let _ = crate::platform::forbid_core_files();
    let folder = private_folder(socket)?;
    // One agent per socket: the lock is held for the process's life, so two
    // `unlock`s racing start one agent, and the loser leaves the winner's
    // socket alone.
    let Some(_lock) = take_agent_lock(&folder, socket)? else {
        return Ok(());
    };
    if std::fs::symlink_metadata(socket).is_ok() {
        if super::client::is_running(socket) {
            return Ok(());
        }
        // Left by an agent that was killed: nobody listens on it.
        let _ = std::fs::remove_file(socket);
    }
    let listen_error = |source| ServeError::Listen {
        path: socket.to_owned(),
        source,
    };
    let listener = UnixListener::bind(socket).map_err(listen_error)?;
    // The folder is 0700 already; the mode is a second lock on the door.
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .map_err(listen_error)?;
    let identity = std::fs::metadata(socket)
        .map(|m| (m.dev(), m.ino()))
        .map_err(listen_error)?;
    let agent = Arc::new(Agent {
        socket: socket.to_owned(),
        identity,
        held: Mutex::new(HashMap::new()),
        idle: Mutex::new(Idle {
            last_request: Instant::now(),
            timeout,
        }),
        started: Instant::now(),
        peers: Mutex::new(HashMap::new()),
        next_peer: AtomicU64::new(0),
        handles: AtomicUsize::new(0),
        ending: AtomicBool::new(false),
        tried_unlock: AtomicBool::new(false),
    });
    let watchdog = Arc::clone(&agent);
    std::thread::spawn(move || watchdog.watch());
    let own_uid = crate::platform::current_uid();
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of descriptors or memory for now: wait rather than spin.
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        // Another user's process is closed on without a word: the socket's
        // mode should already have kept it out.
        if crate::platform::peer_uid(&stream).ok() != Some(own_uid) {
            drop(stream);
            continue;
        }
        let agent = Arc::clone(&agent);
        std::thread::spawn(move || agent.serve_peer(stream));
    }
    Ok(())
}

/// Takes the agent's lock file beside its socket; `None` if another agent has it.
fn take_agent_lock(folder: &Path, socket: &Path) -> Result<Option<File>, VaultError> {
    let name = socket.file_name().map_or_else(
        || "agent.lock".to_owned(),
        |n| format!("{}.lock", n.to_string_lossy()),
    );
    let path = folder.join(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| VaultError::Io {
            context: "cannot open the agent's lock file",
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(source)) => Err(VaultError::Io {
            context: "cannot lock the agent's lock file",
            path,
            source,
        }),
    }
}

/// When the agent last served a request, and how long it may stay idle.
struct Idle {
    last_request: Instant,
    timeout: Duration,
}

/// The running agent, shared by its threads.
struct Agent {
    socket: PathBuf,
    /// The socket file's device and inode: the end removes it only if it is
    /// still this agent's.
    identity: (u64, u64),
    /// Every vault unlocked, by canonical path.
    held: Mutex<HashMap<PathBuf, Box<dyn Store>>>,
    idle: Mutex<Idle>,
    started: Instant,
    /// A second handle on each client connection, to close it at the end.
    peers: Mutex<HashMap<u64, UnixStream>>,
    next_peer: AtomicU64,
    /// Per-connection vault handles still alive.
    handles: AtomicUsize,
    /// Set by the first thread to end the agent; any other waits for the exit.
    ending: AtomicBool,
    /// Whether any `unlock` was asked of this agent, successful or not.
    tried_unlock: AtomicBool,
}

/// A lock that a panicking thread poisoned still guards valid data here:
/// every critical section leaves the map or the times whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Agent {
    /// Serves one client until it closes its end.
    fn serve_peer(self: Arc<Self>, mut stream: UnixStream) {
        let id = self.next_peer.fetch_add(1, Ordering::Relaxed);
        if let Ok(second) = stream.try_clone() {
            lock(&self.peers).insert(id, second);
        }
        let mut handle = PeerHandle {
            store: None,
            count: &self.handles,
        };
        loop {
            let request = match read_message::<Request>(&mut stream) {
                Ok(Some(request)) => request,
                Ok(None) => break,
                Err(e) => {
                    // A confused peer gets one clear answer, then is closed.
                    let _ = write_message(
                        &mut QuietWriter(&stream),
                        &Response::Failed(WireError::Other(e.to_string())),
                    );
                    break;
                }
            };
            // A UI's or daemon's look for changes is not a use of the key:
            // counted, it would keep the agent unlocked for as long as one
            // is open, whatever its timeout.
            if !request.is_background() {
                self.touch();
            }
            if matches!(request, Request::Lock) {
                self.end("lock", Some((id, &stream)));
            }
            let response = self.answer(request, &mut handle);
            if write_message(&mut QuietWriter(&stream), &response).is_err() {
                break;
            }
        }
        drop(handle);
        lock(&self.peers).remove(&id);
        // An agent whose every `unlock` failed holds nothing and has no
        // one left to try again: it ends rather than linger. (Before any
        // `unlock` came, a client that only looked is no reason to end:
        // the `unlock` that started the agent may still be connecting.)
        if self.tried_unlock.load(Ordering::Acquire)
            && lock(&self.held).is_empty()
            && lock(&self.peers).is_empty()
        {
            self.end("nothing held", None);
        }
    }

    fn touch(&self) {
        lock(&self.idle).last_request = Instant::now();
    }

    fn answer(&self, request: Request, handle: &mut PeerHandle<'_>) -> Response {
        let result = match request {
            Request::Unlock {
                path,
                key,
                timeout_secs,
            } => {
                self.tried_unlock.store(true, Ordering::Release);
                self.unlock(path, key.into(), Duration::from_secs(timeout_secs))
                    .map(|()| Response::Done)
            }
            Request::Open { path } => self.open(&path, handle),
            Request::Lock => Ok(Response::Done),
            call => match handle.store.as_mut() {
                Some(store) => dispatch(store.as_mut(), call),
                None => Err(WireError::NotHeld),
            },
        };
        result.unwrap_or_else(Response::Failed)
    }

    /// Opens the vault file at `path` with `key` (the key derivation runs
    /// here) and keeps it, replacing an earlier copy.
    fn unlock(&self, path: PathBuf, key: UnlockKey, timeout: Duration) -> Result<(), WireError> {
        let location = VaultLocation::File(path.clone());
        let mut store = crate::vault::open_store(&location, &StoreAccess::with_key(key))?;
        // Reading one thing checks the key against the data as well as the
        // header, before the agent says yes.
        store.change_mark()?;
        store.append_audit(&AuditEvent {
            action: AuditAction::AgentUnlocked,
            target: None,
            detail: Some(format!(
                "idle timeout {}",
                crate::config::timeouts::describe(Some(timeout))
            )),
        })?;
        lock(&self.held).insert(path, store);
        lock(&self.idle).timeout = timeout;
        Ok(())
    }

    /// Gives this connection its own handle on a vault the agent holds.
    fn open(&self, path: &Path, handle: &mut PeerHandle<'_>) -> Result<Response, WireError> {
        let held = lock(&self.held);
        let store = held.get(path).ok_or(WireError::NotHeld)?;
        let mine = store.reopen()?;
        let location = mine.location();
        handle.set(mine);
        Ok(Response::Opened { location })
    }

    /// Checks the idle time until it passes, then ends the agent.
    fn watch(&self) {
        loop {
            let (idle_for, timeout) = {
                let idle = lock(&self.idle);
                (idle.last_request.elapsed(), idle.timeout)
            };
            if idle_for >= timeout {
                self.end("idle timeout", None);
            }
            if lock(&self.held).is_empty()
                && lock(&self.peers).is_empty()
                && self.started.elapsed() >= FIRST_UNLOCK_WAIT
            {
                self.end("nothing held", None);
            }
            let left = timeout.saturating_sub(idle_for);
            std::thread::sleep(left.clamp(Duration::from_millis(50), Duration::from_millis(500)));
        }
    }

    /// Forgets every key and ends the process: the socket goes first, so
    /// no new client reaches an agent on its way out, then every other
    /// client is cut off and every store dropped; only then is the client
    /// that asked for the lock (`locker`: its id and stream) told it is done.
    fn end(&self, why: &str, locker: Option<(u64, &UnixStream)>) -> ! {
        if self.ending.swap(true, Ordering::AcqRel) {
            // Another thread (a lock, the timeout) is already ending it.
            loop {
                std::thread::park();
            }
        }
        let ours = std::fs::symlink_metadata(&self.socket)
            .is_ok_and(|m| (m.dev(), m.ino()) == self.identity);
        if ours {
            let _ = std::fs::remove_file(&self.socket);
        }
        for (id, peer) in lock(&self.peers).drain() {
            if locker.is_none_or(|(locker, _)| locker != id) {
                let _ = peer.shutdown(std::net::Shutdown::Both);
            }
        }
        let stores: Vec<Box<dyn Store>> = lock(&self.held).drain().map(|(_, s)| s).collect();
        for mut store in stores {
            // The audit trail says when the key was forgotten and why; a
            // failure to write it must not keep the key in memory.
            let _ = store.append_audit(&AuditEvent {
                action: AuditAction::AgentLocked,
                target: None,
                detail: Some(why.to_owned()),
            });
            // Dropping the store wipes its data key (locked, zeroized memory).
            drop(store);
        }
        let deadline = Instant::now() + DRAIN_WAIT;
        while self.handles.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some((_, stream)) = locker {
            let _ = write_message(&mut QuietWriter(stream), &Response::Done);
        }
        std::process::exit(0)
    }
}

/// A connection's own vault handle, counted so the end can wait for it.
struct PeerHandle<'a> {
    store: Option<Box<dyn Store>>,
    count: &'a AtomicUsize,
}

impl PeerHandle<'_> {
    fn set(&mut self, store: Box<dyn Store>) {
        if self.store.replace(store).is_none() {
            self.count.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl Drop for PeerHandle<'_> {
    fn drop(&mut self) {
        if self.store.take().is_some() {
            self.count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Runs one store call on `store` and wraps its result.
fn dispatch(store: &mut dyn Store, call: Request) -> Result<Response, WireError> {
    use Response as R;
    let response = match call {
        Request::Connections => R::Connections(store.connections()?),
        Request::FirstConnections { limit } => {
            let (first, total) = store.first_connections(limit)?;
            R::FirstConnections(first, total)
        }
        Request::Connection { name } => R::Connection(store.connection(&name)?),
        Request::ConnectionId { name_or_id } => R::ConnectionId(store.connection_id(&name_or_id)?),
        Request::ConnectionById { id } => R::Connection(store.connection_by_id(&id)?),
        Request::AddConnection { connection } => {
            store.add_connection(&connection)?;
            R::Done
        }
        Request::AddConnections { connections } => {
            store.add_connections(&connections)?;
            R::Done
        }
        Request::WriteBatch { batch } => {
            store.write_batch(&batch)?;
            R::Done
        }
        Request::UpdateConnection { connection } => {
            R::Version(store.update_connection(&connection)?)
        }
        Request::DeleteConnection { id } => {
            store.delete_connection(&id)?;
            R::Done
        }
        Request::TokenRecord { id } => R::TokenRecord(store.token_record(&id)?),
        Request::TokenRecords => R::TokenRecords(store.token_records()?.into_iter().collect()),
        Request::StoreToken {
            id,
            token,
            rotated_refresh_token,
        } => {
            store.store_token(&id, &token, rotated_refresh_token.as_ref())?;
            R::Done
        }
        Request::StoreRefreshState { id, state } => {
            store.store_refresh_state(&id, &state)?;
            R::Done
        }
        Request::TryLease { id, holder, ttl_ms } => {
            R::Leased(store.try_lease(&id, &holder, Duration::from_millis(ttl_ms))?)
        }
        Request::ReleaseLease { id, holder } => {
            store.release_lease(&id, &holder)?;
            R::Done
        }
        Request::Flows => R::Flows(store.flows()?),
        Request::Flow { name } => R::Flow(store.flow(&name)?),
        Request::AddFlow { flow } => {
            store.add_flow(&flow)?;
            R::Done
        }
        Request::RenameFlow { flow, name } => R::Version(store.rename_flow(&flow, &name)?),
        Request::DeleteFlow { id } => {
            store.delete_flow(&id)?;
            R::Done
        }
        Request::SaveSteps { flow } => R::Version(store.save_steps(&flow)?),
        Request::ConnectionUsage { id } => R::Usage(store.connection_usage(&id)?),
        Request::ChangeMark => R::ChangeMark(store.change_mark()?),
        Request::ChangedSince { mark } => R::ChangedSince(store.changed_since(&mark)?),
        Request::AppendAudit { event } => {
            store.append_audit(&event)?;
            R::Done
        }
        Request::AuditEntries { query } => R::AuditEntries(store.audit_entries(&query)?),
        Request::VerifyAudit => R::AuditCheck(store.verify_audit()?),
        Request::Verify => {
            store.verify()?;
            R::Done
        }
        Request::ShedCaches => {
            store.shed_caches();
            R::Done
        }
        // Answered before a handle is needed.
        Request::Unlock { .. } | Request::Lock | Request::Open { .. } => {
            return Err(WireError::Other("not a vault call".to_owned()));
        }
    };
    Ok(response)
}
