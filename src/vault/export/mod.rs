//! Export and import: every connection, token and flow as a versioned JSON
//! document, sealed in an age-encrypted file, and merged back into a vault.

mod crypt;
mod document;
mod plan;
mod validate;

pub use crypt::{Decryption, Encryption, is_passphrase_encrypted, open_document, seal_document};
pub use document::{
    ExportDocument, ExportedConnection, ExportedFlow, ExportedStep, FORMAT, VERSION, build_document,
};
pub use plan::{Change, ImportPlan, PlannedRecord, plan_import};
pub use validate::validate;

use super::error::VaultError;

/// Why an export or import was refused; nothing was written then.
#[derive(Debug, thiserror::Error)]
pub enum PortingError {
    /// The passphrase or identity does not open the file.
    #[error("cannot decrypt the export: wrong passphrase or identity")]
    WrongKey,
    /// The file was cut short or altered.
    #[error("the export is damaged or was altered: {0}")]
    Damaged(String),
    /// It decrypts, but is not a flowvault export this version reads.
    #[error("not a flowvault export: {0}")]
    NotAnExport(String),
    /// The passphrase asks for more work than this machine allows.
    #[error("the export's passphrase needs too much work to check (scrypt work factor {0})")]
    TooMuchWork(u8),
    /// Records of the document that cannot go into a vault, each said.
    #[error("the export holds records that cannot be imported: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A record of the vault being exported failed its integrity check.
    #[error("{0} fails its integrity check; nothing was exported (run `flowvault verify`)")]
    DamagedRecord(String),
    /// The encrypted file could not be written.
    #[error("cannot write the export: {0}")]
    Write(std::io::Error),
    #[error(transparent)]
    Vault(#[from] VaultError),
}
