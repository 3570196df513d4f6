//! Finding the vault file and the key that unlocks it.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::vault::{KdfParams, UnlockKey, Vault};

use super::GlobalArgs;
use super::error::{CliError, Exit};

/// Shortest passphrase accepted for a new vault.
const MIN_PASSPHRASE_CHARS: usize = 8;

/// The vault file the command works on.
pub fn vault_path(args: &GlobalArgs) -> Result<PathBuf, CliError> {
    match &args.vault {
        Some(path) => Ok(path.clone()),
        None => crate::vault::default_path()
            .ok_or_else(|| CliError::failure(crate::locale::current().t("cli.no_data_dir"))),
    }
}

/// Opens the vault, asking for the passphrase on the terminal if no file gives a key.
pub fn open_vault(args: &GlobalArgs) -> Result<Vault, CliError> {
    let (path, key) = path_and_key(args)?;
    Ok(Vault::open(&path, &key)?)
}

/// Finds the vault file and the key that should unlock it, without opening it.
pub fn path_and_key(args: &GlobalArgs) -> Result<(PathBuf, UnlockKey), CliError> {
    let path = vault_path(args)?;
    // Say "no vault" before asking for a passphrase that could not be used.
    if !path.exists() && std::fs::symlink_metadata(&path).is_err() {
        return Err(crate::vault::VaultError::Missing(path).into());
    }
    let key = existing_key(args, &path)?;
    Ok((path, key))
}

/// The key given by `--key-file` or `--passphrase-file`, else asked for.
pub fn existing_key(args: &GlobalArgs, vault: &Path) -> Result<UnlockKey, CliError> {
    if let Some(path) = &args.key_file {
        return Ok(UnlockKey::read_key_file(path)?);
    }
    if let Some(path) = &args.passphrase_file {
        return passphrase_from_file(path);
    }
    let prompt = crate::locale::current().f(
        "cli.prompt_passphrase",
        &[("path", &vault.display().to_string())],
    );
    Ok(UnlockKey::Passphrase(prompt_secret(&prompt)?))
}

/// The key for a new vault: the key file or passphrase file given, else a
/// passphrase typed twice.
pub fn new_key(args: &GlobalArgs) -> Result<UnlockKey, CliError> {
    if let Some(path) = &args.key_file {
        return Ok(UnlockKey::read_key_file(path)?);
    }
    if let Some(path) = &args.passphrase_file {
        return checked_new_passphrase(passphrase_from_file(path)?);
    }
    checked_new_passphrase(prompt_new_passphrase()?)
}

/// Asks for a new passphrase twice on the terminal.
pub fn prompt_new_passphrase() -> Result<UnlockKey, CliError> {
    let locale = crate::locale::current();
    let first = prompt_secret(locale.t("cli.prompt_new_passphrase"))?;
    let second = prompt_secret(locale.t("cli.prompt_repeat_passphrase"))?;
    if *first != *second {
        return Err(CliError::usage(locale.t("cli.passphrase_mismatch")));
    }
    Ok(UnlockKey::Passphrase(first))
}

/// Refuses a passphrase too short to protect production credentials.
pub fn checked_new_passphrase(key: UnlockKey) -> Result<UnlockKey, CliError> {
    if let UnlockKey::Passphrase(p) = &key
        && p.chars().count() < MIN_PASSPHRASE_CHARS
    {
        return Err(CliError::usage(crate::locale::current().f(
            "cli.passphrase_too_short",
            &[("n", &MIN_PASSPHRASE_CHARS.to_string())],
        )));
    }
    Ok(key)
}

/// The first line of a passphrase file (a private regular file, as a key file).
pub fn passphrase_from_file(path: &Path) -> Result<UnlockKey, CliError> {
    UnlockKey::read_passphrase_file(path).map_err(|e| match e {
        crate::vault::VaultError::Io { source, .. } => CliError {
            exit: Exit::CannotUnlock,
            message: crate::locale::current().f(
                "cli.no_passphrase_file",
                &[
                    ("path", &path.display().to_string()),
                    ("error", &source.to_string()),
                ],
            ),
        },
        other => other.into(),
    })
}

/// The KDF cost for new passphrase slots.
pub fn kdf_params() -> KdfParams {
    KdfParams::default()
}

/// Reads a secret from the terminal without echo; no terminal is exit 3.
pub fn prompt_secret(prompt: &str) -> Result<Zeroizing<String>, CliError> {
    if !has_terminal() {
        return Err(CliError {
            exit: Exit::CannotUnlock,
            message: crate::locale::current().t("cli.no_terminal").to_owned(),
        });
    }
    // The prompt names the vault path, which came from an argument.
    rpassword::prompt_password(crate::locale::terminal_safe::escape_line(prompt))
        .map(Zeroizing::new)
        .map_err(|e| CliError {
            exit: Exit::CannotUnlock,
            message: crate::locale::current().f("cli.terminal_error", &[("error", &e.to_string())]),
        })
}

/// Whether a terminal is there to ask the operator.
pub fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}
