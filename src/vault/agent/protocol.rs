//! What crosses the agent's socket: length-prefixed frames of JSON, one
//! [`Request`] answered by one [`Response`].

use std::io::{Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::audit::{AuditCheck, AuditEntry, AuditEvent, AuditQuery};
use crate::vault::{
    ChangeMark, Connection, ConnectionId, Flow, FlowId, IntegrityReport, RefreshState, SecretValue,
    StoredConnection, Token, TokenRecord, UnlockKey, Usage, VaultError,
};

/// The largest frame accepted: a 10,000-connection list is a few MiB; a
/// length beyond this is a peer speaking another protocol or attacking.
pub const MAX_FRAME: u32 = 64 * 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("a frame of {0} bytes is larger than the {MAX_FRAME}-byte limit")]
    TooLarge(u64),
    #[error("the connection closed in the middle of a frame")]
    Truncated,
    #[error("a frame is not a message of the agent's protocol: {0}")]
    Garbled(serde_json::Error),
    #[error("cannot use the agent's socket: {0}")]
    Io(#[from] std::io::Error),
}

impl From<FrameError> for VaultError {
    fn from(e: FrameError) -> VaultError {
        VaultError::Agent(e.to_string())
    }
}

/// The key `unlock` hands the agent, which derives the data key from it.
#[derive(Serialize, Deserialize)]
pub enum WireKey {
    Passphrase(Zeroizing<String>),
    KeyFile(Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for WireKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WireKey([REDACTED])")
    }
}

impl From<UnlockKey> for WireKey {
    fn from(key: UnlockKey) -> WireKey {
        match key {
            UnlockKey::Passphrase(p) => WireKey::Passphrase(p),
            UnlockKey::KeyFile(k) => WireKey::KeyFile(k),
        }
    }
}

impl From<WireKey> for UnlockKey {
    fn from(key: WireKey) -> UnlockKey {
        match key {
            WireKey::Passphrase(p) => UnlockKey::Passphrase(p),
            WireKey::KeyFile(k) => UnlockKey::KeyFile(k),
        }
    }
}

/// One request. The first three manage the agent; the rest are calls of
/// [`crate::vault::Store`] on the vault a previous `Open` chose.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Open the vault file at `path` with `key` and keep it; the idle
    /// timeout becomes `timeout_secs`.
    Unlock {
        path: PathBuf,
        key: WireKey,
        timeout_secs: u64,
    },
    /// Forget every vault and end the agent.
    Lock,
    /// Work on the vault at `path` on this connection, if the agent holds it.
    Open {
        path: PathBuf,
    },
    Connections,
    FirstConnections {
        limit: usize,
    },
    Connection {
        name: String,
    },
    ConnectionId {
        name_or_id: String,
    },
    ConnectionById {
        id: ConnectionId,
    },
    AddConnection {
        connection: Connection,
    },
    AddConnections {
        connections: Vec<Connection>,
    },
    /// One batch, so an import through the agent is one transaction too.
    WriteBatch {
        batch: crate::vault::RecordBatch,
    },
    UpdateConnection {
        connection: Connection,
    },
    DeleteConnection {
        id: ConnectionId,
    },
    TokenRecord {
        id: ConnectionId,
    },
    TokenRecords,
    StoreToken {
        id: ConnectionId,
        token: Token,
        rotated_refresh_token: Option<SecretValue>,
    },
    StoreRefreshState {
        id: ConnectionId,
        state: RefreshState,
    },
    TryLease {
        id: ConnectionId,
        holder: String,
        ttl_ms: u64,
    },
    ReleaseLease {
        id: ConnectionId,
        holder: String,
    },
    Flows,
    Flow {
        name: String,
    },
    AddFlow {
        flow: Flow,
    },
    RenameFlow {
        flow: Flow,
        name: String,
    },
    DeleteFlow {
        id: FlowId,
    },
    SaveSteps {
        flow: Flow,
    },
    ConnectionUsage {
        id: ConnectionId,
    },
    ChangeMark,
    ChangedSince {
        mark: ChangeMark,
    },
    AppendAudit {
        event: AuditEvent,
    },
    AuditEntries {
        query: AuditQuery,
    },
    VerifyAudit,
    Verify,
    ShedCaches,
}

impl Request {
    /// A look for changes or housekeeping that an open UI or daemon makes on
    /// its own, not a use of the vault by anyone: it does not hold off the
    /// idle timeout.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Request::ChangeMark | Request::ChangedSince { .. } | Request::ShedCaches
        )
    }
}

/// One answer; `Failed` for any request that failed.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    Done,
    Opened { location: String },
    Connections(Vec<StoredConnection>),
    FirstConnections(Vec<StoredConnection>, usize),
    Connection(Connection),
    ConnectionId(ConnectionId),
    Version(i64),
    TokenRecord(TokenRecord),
    TokenRecords(Vec<(ConnectionId, TokenRecord)>),
    Leased(bool),
    Flows(Vec<Flow>),
    Flow(Flow),
    Usage(Vec<Usage>),
    ChangeMark(ChangeMark),
    ChangedSince(Option<ChangeMark>),
    AuditEntries(Vec<AuditEntry>),
    AuditCheck(AuditCheck),
    Failed(WireError),
}

/// A vault error as it crosses the socket: the variants whose kind decides
/// an exit code or a screen keep it; the rest are their words.
#[derive(Debug, Serialize, Deserialize)]
pub enum WireError {
    /// The agent does not hold the vault asked for (never unlocked, locked, timed out).
    NotHeld,
    /// The operation needs the passphrase or key file itself.
    NeedsKey,
    CannotUnlock,
    Missing(PathBuf),
    NotFound(String),
    IdNotFound(ConnectionId),
    FlowNotFound(String),
    DuplicateName(String),
    DuplicateFlow(String),
    Conflict(String),
    Damaged {
        id: ConnectionId,
        name: Option<String>,
    },
    DamagedFlow(String),
    Tampered(IntegrityReport),
    AuditBroken {
        seq: u64,
        reason: String,
    },
    /// Any other error, in the agent's words (which never hold a secret).
    Other(String),
}

impl From<VaultError> for WireError {
    fn from(e: VaultError) -> WireError {
        match e {
            VaultError::CannotUnlock => WireError::CannotUnlock,
            VaultError::Missing(p) => WireError::Missing(p),
            VaultError::NotFound(n) => WireError::NotFound(n),
            VaultError::IdNotFound(id) => WireError::IdNotFound(id),
            VaultError::FlowNotFound(n) => WireError::FlowNotFound(n),
            VaultError::DuplicateName(n) => WireError::DuplicateName(n),
            VaultError::DuplicateFlow(n) => WireError::DuplicateFlow(n),
            VaultError::Conflict(n) => WireError::Conflict(n),
            VaultError::Damaged { id, name } => WireError::Damaged { id, name },
            VaultError::DamagedFlow(n) => WireError::DamagedFlow(n),
            VaultError::Tampered(r) => WireError::Tampered(r),
            VaultError::AuditBroken { seq, reason } => WireError::AuditBroken { seq, reason },
            // Already the agent's words: not wrapped a second time.
            VaultError::Agent(words) => WireError::Other(words),
            VaultError::AgentLocked => WireError::NotHeld,
            other => WireError::Other(other.to_string()),
        }
    }
}

impl From<WireError> for VaultError {
    fn from(e: WireError) -> VaultError {
        match e {
            WireError::NotHeld => VaultError::AgentLocked,
            WireError::NeedsKey => VaultError::Agent(
                "this needs the passphrase or key file itself, which the agent never hands out"
                    .to_owned(),
            ),
            WireError::CannotUnlock => VaultError::CannotUnlock,
            WireError::Missing(p) => VaultError::Missing(p),
            WireError::NotFound(n) => VaultError::NotFound(n),
            WireError::IdNotFound(id) => VaultError::IdNotFound(id),
            WireError::FlowNotFound(n) => VaultError::FlowNotFound(n),
            WireError::DuplicateName(n) => VaultError::DuplicateName(n),
            WireError::DuplicateFlow(n) => VaultError::DuplicateFlow(n),
            WireError::Conflict(n) => VaultError::Conflict(n),
            WireError::Damaged { id, name } => VaultError::Damaged { id, name },
            WireError::DamagedFlow(n) => VaultError::DamagedFlow(n),
            WireError::Tampered(r) => VaultError::Tampered(r),
            WireError::AuditBroken { seq, reason } => VaultError::AuditBroken { seq, reason },
            WireError::Other(words) => VaultError::Agent(words),
        }
    }
}

/// Writes `message` as one frame; the JSON, which may hold secrets, is
/// wiped once sent.
pub fn write_message<T: Serialize>(out: &mut impl Write, message: &T) -> Result<(), FrameError> {
    // Sized first, so the buffer never grows: a growing buffer would leave
    // the secrets of its earlier, smaller copies in freed memory unwiped.
    let mut size = ByteCount(0);
    serde_json::to_writer(&mut size, message).map_err(FrameError::Garbled)?;
    let mut body = Zeroizing::new(Vec::with_capacity(size.0));
    serde_json::to_writer(&mut *body, message).map_err(FrameError::Garbled)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME)
        .ok_or(FrameError::TooLarge(body.len() as u64))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(&body)?;
    out.flush()?;
    Ok(())
}

/// Reads one frame and its message; `Ok(None)` when the peer closed the
/// connection between frames. The frame's bytes are wiped once parsed.
pub fn read_message<T: for<'de> Deserialize<'de>>(
    input: &mut impl Read,
) -> Result<Option<T>, FrameError> {
    let Some(body) = read_frame(input)? else {
        return Ok(None);
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(FrameError::Garbled)
}

/// Counts what is written, to size a buffer before writing into it.
struct ByteCount(usize);

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One frame's bytes: a big-endian u32 length, then that many bytes.
fn read_frame(input: &mut impl Read) -> Result<Option<Zeroizing<Vec<u8>>>, FrameError> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(header);
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(u64::from(len)));
    }
    // Allocated once at its full size (see `write_message`). The peer is
    // already known to be this user's own process (SO_PEERCRED), and the
    // length is capped, so a large announcement costs at most MAX_FRAME.
    let mut body = Zeroizing::new(vec![0u8; len as usize]);
    input.read_exact(&mut body).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => FrameError::Truncated,
        _ => FrameError::Io(e),
    })?;
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = len.to_be_bytes().to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn a_request_survives_the_trip() {
        let mut wire = Vec::new();
        write_message(
            &mut wire,
            &Request::Connection {
                name: "billing".into(),
            },
        )
        .unwrap();
        let back: Request = read_message(&mut wire.as_slice()).unwrap().unwrap();
        assert!(matches!(back, Request::Connection { name } if name == "billing"));
    }

    #[test]
    fn an_oversized_length_is_refused_before_reading_the_body() {
        let bytes = frame(MAX_FRAME + 1, b"{}");
        let e = read_message::<Request>(&mut bytes.as_slice()).unwrap_err();
        assert!(
            matches!(e, FrameError::TooLarge(n) if n == u64::from(MAX_FRAME) + 1),
            "{e}"
        );
        let bytes = frame(u32::MAX, b"");
        assert!(matches!(
            read_message::<Request>(&mut bytes.as_slice()),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn garbage_and_short_frames_are_clear_errors() {
        let bytes = frame(9, b"not json!");
        let e = read_message::<Request>(&mut bytes.as_slice()).unwrap_err();
        assert!(matches!(e, FrameError::Garbled(_)), "{e}");
        let bytes = frame(20, b"{\"Open\"");
        assert!(matches!(
            read_message::<Request>(&mut bytes.as_slice()),
            Err(FrameError::Truncated)
        ));
        let bytes = [0u8, 0];
        assert!(matches!(
            read_message::<Request>(&mut bytes.as_slice()),
            Err(FrameError::Truncated)
        ));
        // Valid JSON of the wrong shape is no request either.
        let bytes = frame(14, b"{\"Lock\":[1,2]}");
        assert!(matches!(
            read_message::<Request>(&mut bytes.as_slice()),
            Err(FrameError::Garbled(_))
        ));
        let empty: [u8; 0] = [];
        assert!(
            read_message::<Request>(&mut empty.as_slice())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn errors_keep_the_kind_an_exit_code_depends_on() {
        let cases = [
            VaultError::NotFound("a".into()),
            VaultError::DuplicateName("a".into()),
            VaultError::Conflict("a".into()),
            VaultError::CannotUnlock,
            VaultError::FlowNotFound("f".into()),
        ];
        for e in cases {
            let expected = std::mem::discriminant(&e);
            let mut wire = Vec::new();
            write_message(&mut wire, &Response::Failed(e.into())).unwrap();
            let Some(Response::Failed(back)) = read_message(&mut wire.as_slice()).unwrap() else {
                panic!("not a failure");
            };
            assert_eq!(std::mem::discriminant(&VaultError::from(back)), expected);
        }
    }

    #[test]
    fn debug_of_a_key_hides_it() {
        let key = WireKey::Passphrase(Zeroizing::new("canary-pass".into()));
        assert!(
            !format!(
                "{:?}",
                Request::Unlock {
                    path: "/v".into(),
                    key,
                    timeout_secs: 1
                }
            )
            .contains("canary")
        );
    }
}
