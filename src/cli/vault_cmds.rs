//! `init`, `passwd`, `rekey` and `verify`: creating a vault, changing how it
//! is unlocked, replacing its data key and checking its integrity.

use std::path::Path;

use crate::vault::{StoreAccess, UnlockKey, VaultLocation, file_admin};

use super::GlobalArgs;
use super::error::CliError;
use super::output::{message, print_line};
use super::unlock;

/// `init [--new-key-file PATH | --transit-key NAME]`: a new vault file, or a new vault on OpenBao
/// (no passphrase: OpenBao's transit key wraps its data key).
pub fn init(
    global: &GlobalArgs,
    new_key_file: Option<&Path>,
    transit_key: Option<String>,
) -> Result<(), CliError> {
    let location = unlock::location(global)?;
    let path = match &location {
        VaultLocation::File(_) if transit_key.is_some() => {
            return Err(crate::vault::VaultError::OpenBaoOnly("init --transit-key").into());
        }
        VaultLocation::File(path) => path.clone(),
        VaultLocation::OpenBao(_) if new_key_file.is_some() => {
            return Err(crate::vault::VaultError::FileOnly("init --new-key-file").into());
        }
        VaultLocation::OpenBao(_) => {
            let mut bao = unlock::bao_options(global);
            bao.transit_key = transit_key;
            let access = StoreAccess { unlock: None, bao };
            crate::vault::create_store(&location, &access, unlock::kdf_params())?;
            message(
                &global
                    .locale()
                    .f("cli.created", &[("path", &location.to_string())]),
            );
            return Ok(());
        }
    };
    crate::vault::check_new_path(&path)?;
    let key = match new_key_file {
        Some(key_path) => UnlockKey::create_key_file(key_path)?,
        None => unlock::new_key(global)?,
    };
    let created =
        crate::vault::create_store(&location, &StoreAccess::with_key(key), unlock::kdf_params());
    if created.is_err()
        && let Some(key_path) = new_key_file
    {
        // The key file would unlock nothing.
        let _ = std::fs::remove_file(key_path);
    }
    created?;
    let locale = global.locale();
    message(&locale.f("cli.created", &[("path", &path.display().to_string())]));
    if let Some(key_path) = new_key_file {
        message(&locale.f(
            "cli.key_file_hint",
            &[("path", &key_path.display().to_string())],
        ));
    }
    Ok(())
}

/// `passwd (--new-key-file PATH | --new-passphrase-file PATH)`, or a new passphrase typed twice.
pub fn passwd(
    global: &GlobalArgs,
    new_key_file: Option<&Path>,
    new_passphrase_file: Option<&Path>,
) -> Result<(), CliError> {
    // The new key is asked for once the old one has opened the file.
    let mut made_key_file = false;
    let changed = unlock::with_file(global, "passwd", |path, old_key| {
        file_admin::change_unlock(path, old_key, unlock::kdf_params(), || {
            match (new_key_file, new_passphrase_file) {
                (Some(path), _) => {
                    let key = UnlockKey::create_key_file(path)?;
                    made_key_file = true;
                    Ok(key)
                }
                (None, Some(path)) => {
                    unlock::checked_new_passphrase(unlock::passphrase_from_file(path)?)
                }
                (None, None) => unlock::checked_new_passphrase(unlock::prompt_new_passphrase()?),
            }
        })
    });
    if let Err(e) = changed {
        // A key file made for a change that failed would unlock nothing.
        if let (Some(path), true) = (new_key_file, made_key_file) {
            let _ = std::fs::remove_file(path);
        }
        return Err(e);
    }
    let locale = global.locale();
    message(&match new_key_file {
        Some(path) => locale.f(
            "cli.passwd_key_file",
            &[("path", &path.display().to_string())],
        ),
        None => locale.t("cli.passwd_passphrase").to_owned(),
    });
    Ok(())
}

/// `rekey`: a fresh data key, every value resealed, one transaction; the
/// vault stays unlocked by the same passphrase or key file.
pub fn rekey(global: &GlobalArgs) -> Result<(), CliError> {
    let count = unlock::with_file(global, "rekey", |path, key| {
        Ok(file_admin::rekey(path, key, unlock::kdf_params())?)
    })?;
    message(
        &global
            .locale()
            .f("cli.rekeyed", &[("n", &count.to_string())]),
    );
    Ok(())
}

/// `verify [--accept]`: whether every record matches the integrity digest;
/// with `--accept`, trust the file as it is now.
pub fn verify(global: &GlobalArgs, accept: bool) -> Result<(), CliError> {
    let locale = global.locale();
    if !accept {
        // Opening checks every record; `verify` says so explicitly. Only a
        // file keeps an integrity digest over its rows.
        let location = unlock::location(global)?;
        unlock::open_store(global)?.verify()?;
        let ok = match location {
            VaultLocation::File(_) => "cli.verify_ok",
            VaultLocation::OpenBao(_) => "cli.verify_ok_records",
        };
        // The report is what `verify` asks for: data, on stdout.
        print_line(locale.t(ok));
        return Ok(());
    }
    let changes = unlock::with_file(global, "verify --accept", |path, key| {
        Ok(file_admin::accept_changes(path, key)?)
    })?;
    match changes {
        None => message(locale.t("cli.verify_ok")),
        Some(report) => message(&locale.f(
            "cli.verify_accepted",
            &[(
                "changes",
                &crate::present::labels::integrity_changes(locale, &report),
            )],
        )),
    }
    Ok(())
}
