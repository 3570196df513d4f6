//! `backup FILE`: a consistent copy of the vault file, made while others
//! use it, checked before it is kept.

use std::path::PathBuf;

use crate::vault::Vault;
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::backup::{BackupError, backup_vault};

use super::GlobalArgs;
use super::error::{CliError, Exit};
use super::output::message;
use super::unlock;

/// Copies the vault file into `file`. The vault is unlocked: the copy is
/// opened with the same key to check it, and the backup is an audit event.
pub fn backup(global: &GlobalArgs, file: PathBuf, force: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let (vault_path, report) = unlock::with_file(global, "backup", |path, key| {
        let mut vault = Vault::open_checking_reads(path, key)?;
        let report = backup_vault(&vault, key, &file, force).map_err(backup_error)?;
        crate::vault::AuditLog::append_audit(
            &mut vault,
            &AuditEvent {
                action: AuditAction::Backup,
                target: None,
                detail: Some(format!(
                    "to {}: {} pages, {} bytes, {} connections",
                    file.display(),
                    report.pages,
                    report.bytes,
                    report.connections
                )),
            },
        )?;
        Ok((path.to_owned(), report))
    })?;
    message(&locale.f(
        "porting.backed_up",
        &[
            ("path", &vault_path.display().to_string()),
            ("dest", &file.display().to_string()),
            ("pages", &report.pages.to_string()),
            (
                "size",
                &crate::present::response::size_words(
                    locale,
                    usize::try_from(report.bytes).unwrap_or(usize::MAX),
                ),
            ),
            ("connections", &report.connections.to_string()),
        ],
    ));
    Ok(())
}

fn backup_error(error: BackupError) -> CliError {
    let locale = crate::locale::current();
    match error {
        BackupError::SameFile => CliError::usage(locale.t("porting.backup_same_file")),
        BackupError::CopyDamaged(detail) => CliError {
            exit: Exit::Integrity,
            message: locale.f("porting.backup_damaged", &[("detail", &detail)]),
        },
        BackupError::Vault(e) => e.into(),
    }
}
