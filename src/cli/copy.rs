//! `copy --to LOCATION`: every connection, token and flow of this vault into
//! another one, file or OpenBao, in either direction.

use std::path::PathBuf;

use crate::vault::audit::{AuditAction, AuditEvent, AuditTarget, TargetKind};
use crate::vault::copy::{CopyError, CopyReport, copy_vault};
use crate::vault::{StoreAccess, VaultLocation};

use super::GlobalArgs;
use super::error::{CliError, Exit};
use super::output::message;
use super::unlock;

/// What `copy` was given.
#[derive(Debug)]
pub struct CopyArgs {
    pub to: VaultLocation,
    /// Unlocks a destination file with a key file.
    pub to_key_file: Option<PathBuf>,
    /// Unlocks a destination file with the first line of a file.
    pub to_passphrase_file: Option<PathBuf>,
    pub overwrite: bool,
}

/// Copies the vault `--vault` names into `--to`.
pub fn copy(global: &GlobalArgs, args: CopyArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let from_location = unlock::location(global)?;
    if from_location == args.to {
        return Err(CliError::usage(locale.t("cli.copy_same_vault")));
    }
    let mut from = unlock::open_store(global)?;
    let bao = unlock::bao_options(global);
    let mut to = match &args.to {
        VaultLocation::File(path) => {
            if !path.exists() {
                return Err(crate::vault::VaultError::Missing(path.to_owned()).into());
            }
            unlock::with_key(
                path,
                args.to_key_file.as_deref(),
                args.to_passphrase_file.as_deref(),
                |key| {
                    let access = StoreAccess {
                        unlock: Some(key),
                        bao: bao.clone(),
                    };
                    Ok(crate::vault::open_store(&args.to, &access)?)
                },
            )?
        }
        VaultLocation::OpenBao(_) => {
            crate::vault::open_store(&args.to, &StoreAccess { unlock: None, bao })?
        }
    };
    let report = copy_vault(from.as_ref(), to.as_mut(), args.overwrite)
        .map_err(|e| copy_error(global, e))?;
    // Both trails say where the records went and came from.
    let (from_name, to_name) = (from.location(), to.location());
    from.append_audit(&copied(&to_name, "to"))?;
    to.append_audit(&copied(&from_name, "from"))?;
    message(&summary(global, &to_name, &report));
    Ok(())
}

fn copied(other: &str, direction: &str) -> AuditEvent {
    AuditEvent {
        action: AuditAction::CopyVault,
        target: Some(AuditTarget {
            kind: TargetKind::Vault,
            id: other.to_owned(),
            name: other.to_owned(),
        }),
        detail: Some(format!("{direction} {other}")),
    }
}

fn copy_error(global: &GlobalArgs, error: CopyError) -> CliError {
    let locale = global.locale();
    match error {
        CopyError::Differs(records) => CliError {
            exit: Exit::Failure,
            message: locale.f("cli.copy_differs", &[("records", &records.join(", "))]),
        },
        CopyError::Damaged { vault, record } => CliError {
            exit: Exit::Integrity,
            message: locale.f(
                if vault == "source" {
                    "cli.copy_damaged_source"
                } else {
                    "cli.copy_damaged_destination"
                },
                &[("record", &record)],
            ),
        },
        CopyError::Vault(e) => e.into(),
    }
}

fn summary(global: &GlobalArgs, to: &str, report: &CopyReport) -> String {
    let n = |v: usize| v.to_string();
    let (c, f) = (&report.connections, &report.flows);
    global.locale().f(
        "cli.copied",
        &[
            ("to", to),
            ("c_added", &n(c.added)),
            ("c_same", &n(c.unchanged)),
            ("c_over", &n(c.overwritten)),
            ("f_added", &n(f.added)),
            ("f_same", &n(f.unchanged)),
            ("f_over", &n(f.overwritten)),
            ("tokens", &n(report.tokens)),
        ],
    )
}
