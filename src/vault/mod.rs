//! The encrypted vault: crypto, the SQLite file and its migrations, the domain model.

pub mod agent;
pub mod audit;
mod backend;
pub mod backup;
pub mod copy;
pub mod crypto;
mod error;
pub mod export;
mod file;
pub mod file_admin;
mod flow;
mod integrity;
mod keyslot;
pub mod location;
mod migrations;
mod model;
pub mod openbao;
mod sqlite;
pub mod status;
mod store;
mod token;

pub use backend::{BaoOptions, DEFAULT_TRANSIT_KEY, StoreAccess, create_store, open_store};
pub use error::{InsecureReason, VaultError};
pub use file::{check_new_path, put_in_place, temp_beside};
pub use flow::{Flow, FlowId, FlowStep, Usage};
pub use integrity::{Change, IntegrityReport, KindMismatch, RecordKind};
pub use keyslot::{KdfParams, MAX_KEY_FILE_LEN, MIN_KEY_FILE_LEN, UnlockKey};
pub use location::{LocationError, OpenBaoLocation, VaultLocation};
pub use model::{
    Connection, ConnectionId, Credentials, DamagedConnection, MAX_NAME_CHARS, NameError,
    SecretValue, StoredConnection, canonical_name, normalise_name, now, validate_name,
};
pub use sqlite::Vault;
pub use store::{AuditLog, ChangeFeed, ChangeMark, RecordBatch, Store, VaultStore};
pub use token::{RefreshState, Token, TokenRecord};

/// The default vault file: `<user data dir>/flowvault/vault.db`.
pub fn default_path() -> Option<std::path::PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_dir().join("flowvault").join("vault.db"))
}
