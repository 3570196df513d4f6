//! Errors of the headless commands and their exit codes (CLI.md).

use std::process::ExitCode;

use crate::catalog::FieldError;
use crate::vault::VaultError;

/// The exit codes scripts rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Failure = 1,
    Usage = 2,
    CannotUnlock = 3,
    Integrity = 4,
    NotFound = 5,
    /// `exec`: the program exists but cannot be run (as shells say).
    CannotExecute = 126,
    /// `exec`: no such program (as shells say).
    CommandNotFound = 127,
}

/// A failed command: one line for stderr and its exit code; never a secret.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// A general failure (exit 1).
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Failure,
            message: message.into(),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<VaultError> for CliError {
    fn from(e: VaultError) -> CliError {
        let exit = match &e {
            VaultError::CannotUnlock => Exit::CannotUnlock,
            VaultError::Missing(_)
            | VaultError::NotFound(_)
            | VaultError::IdNotFound(_)
            | VaultError::FlowNotFound(_) => Exit::NotFound,
            VaultError::DuplicateName(_)
            | VaultError::AlreadyExists(_)
            | VaultError::LeftoverLog(_)
            | VaultError::FileExists(_) => Exit::Usage,
            VaultError::Damaged { .. }
            | VaultError::DamagedFlow(_)
            | VaultError::Tampered(_)
            | VaultError::AuditBroken { .. } => Exit::Integrity,
            VaultError::DuplicateFlow(_) | VaultError::FileOnly(_) | VaultError::OpenBaoOnly(_) => {
                Exit::Usage
            }
            VaultError::KeyFileTooShort { .. } | VaultError::AgentLocked => Exit::CannotUnlock,
            _ => Exit::Failure,
        };
        CliError {
            exit,
            message: crate::present::labels::vault_error(crate::locale::current(), &e),
        }
    }
}

impl From<FieldError> for CliError {
    fn from(e: FieldError) -> CliError {
        CliError::usage(field_error_text(&e))
    }
}

fn field_error_text(e: &FieldError) -> String {
    let locale = crate::locale::current();
    crate::present::labels::field_error(locale, crate::present::labels::error_label(e), e)
}
