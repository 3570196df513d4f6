//! The vault's typed errors.

use std::path::PathBuf;

use super::crypto::CryptoError;
use super::integrity::IntegrityReport;
use super::model::ConnectionId;

/// What can go wrong opening or using a vault; never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Wrong passphrase or key file, or an altered header: deliberately one error.
    #[error("cannot unlock the vault: wrong passphrase or key file, or its header was altered")]
    CannotUnlock,
    #[error("no vault at {0}; create one with `flowvault init`")]
    Missing(PathBuf),
    #[error("a vault already exists at {0}; it was left untouched")]
    AlreadyExists(PathBuf),
    /// The write-ahead log of a vault moved or removed without it: a new
    /// vault at its path would take in its commits.
    #[error(
        "{0} holds the latest changes of another vault; put it back beside that vault, or remove it"
    )]
    LeftoverLog(PathBuf),
    #[error("refusing to use {path}: {reason}")]
    InsecurePath {
        path: PathBuf,
        reason: InsecureReason,
    },
    #[error("{0} is not a flowvault vault")]
    NotAVault(PathBuf),
    #[error(
        "the vault's folder {0} is on a read-only file system; flowvault must write beside the vault"
    )]
    ReadOnlyFolder(PathBuf),
    #[error("cannot write {0}; flowvault must write the vault and its journal beside it")]
    NotWritable(PathBuf),
    #[error("{path} is larger than {max} bytes; it is not a key or passphrase file")]
    FileTooLarge { path: PathBuf, max: u64 },
    #[error("this vault was written by a newer flowvault (schema {0}); upgrade flowvault")]
    TooNew(i64),
    #[error("{0} already exists; it was left untouched")]
    FileExists(PathBuf),
    #[error(
        "key file {path} is too short ({len} bytes; a key file holds at least 32 random bytes)"
    )]
    KeyFileTooShort { path: PathBuf, len: usize },
    #[error("no connection named \"{0}\"")]
    NotFound(String),
    #[error("no connection with id {0}")]
    IdNotFound(ConnectionId),
    #[error("no flow named \"{0}\"")]
    FlowNotFound(String),
    #[error("a flow named \"{0}\" already exists")]
    DuplicateFlow(String),
    #[error("flow \"{0}\" failed its integrity check: its stored values were altered")]
    DamagedFlow(String),
    #[error("a connection named \"{0}\" already exists")]
    DuplicateName(String),
    #[error("connection {} failed its integrity check: its stored values were altered", display_damaged(.id, .name))]
    Damaged {
        id: ConnectionId,
        name: Option<String>,
    },
    #[error("\"{0}\" was changed by another process since it was read; nothing was saved")]
    Conflict(String),
    #[error("the vault file was altered outside flowvault: {0}")]
    Tampered(IntegrityReport),
    /// A file-only operation was asked of a vault elsewhere.
    #[error(
        "`{0}` works on a vault file; on OpenBao, keys and access are managed with OpenBao's own policies and transit key"
    )]
    FileOnly(&'static str),
    /// An OpenBao-only option was given for a vault file.
    #[error("`{0}` is for a vault on OpenBao; this vault is a file")]
    OpenBaoOnly(&'static str),
    /// A vault file was to be opened without a passphrase or key file.
    #[error("the vault file {0} needs a passphrase or key file to open")]
    NoUnlockKey(PathBuf),
    /// The unlock agent no longer holds the vault this handle was opened
    /// on: `flowvault lock`, or its idle timeout.
    #[error(
        "the unlock agent no longer holds this vault (locked or timed out); run `flowvault unlock`"
    )]
    AgentLocked,
    /// The unlock agent could not be asked, or answered with something else
    /// than a vault error; never carries a secret.
    #[error("the unlock agent: {0}")]
    Agent(String),
    #[error("the audit trail was altered outside flowvault at entry {seq}: {reason}")]
    AuditBroken { seq: u64, reason: String },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    OpenBao(#[from] super::openbao::OpenBaoError),
    #[error("{context}: {source}")]
    Sqlite {
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error("{context} {path}: {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why a vault path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InsecureReason {
    #[error("it is a symbolic link")]
    Symlink,
    #[error("it is not a regular file")]
    NotAFile,
    #[error("its mode {0:o} lets others read or write it; run `chmod 600` on it")]
    OpenMode(u32),
    #[error("it belongs to another user")]
    OtherOwner,
    #[error("it is a folder others can write to (mode {0:o}); run `chmod go-w` on it")]
    OpenFolder(u32),
}

/// A backend's name as the operator knows it.
fn display_damaged(id: &ConnectionId, name: &Option<String>) -> String {
    match name {
        Some(name) => format!("\"{name}\""),
        None => id.to_string(),
    }
}

/// Adds a short context to SQLite errors at the vault's border.
pub(crate) trait SqliteContext<T> {
    fn context(self, context: &'static str) -> Result<T, VaultError>;
}

impl<T> SqliteContext<T> for Result<T, rusqlite::Error> {
    fn context(self, context: &'static str) -> Result<T, VaultError> {
        self.map_err(|source| VaultError::Sqlite { context, source })
    }
}
