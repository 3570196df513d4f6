//! Finding the vault, and what opens it: the key of a vault file, the
//! login options of an OpenBao vault.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::vault::{BaoOptions, KdfParams, Store, StoreAccess, UnlockKey, VaultLocation};

use super::GlobalArgs;
use super::error::{CliError, Exit};

/// Shortest passphrase accepted for a new vault.
const MIN_PASSPHRASE_CHARS: usize = 8;

/// Tries a passphrase typed at the prompt gets, as sudo and ssh give.
const PASSPHRASE_TRIES: u32 = 3;

/// The vault the command works on: `--vault`, else the default file.
pub fn location(args: &GlobalArgs) -> Result<VaultLocation, CliError> {
    match &args.vault {
        Some(location) => Ok(location.clone()),
        None => crate::vault::default_path()
            .map(VaultLocation::File)
            .ok_or_else(|| CliError::failure(crate::locale::current().t("cli.no_data_dir"))),
    }
}

/// The vault file, for `operation`s only a file has; an OpenBao location is
/// refused.
pub fn file_path(args: &GlobalArgs, operation: &'static str) -> Result<PathBuf, CliError> {
    match location(args)? {
        VaultLocation::File(path) => Ok(path),
        VaultLocation::OpenBao(_) => Err(crate::vault::VaultError::FileOnly(operation).into()),
    }
}

/// Opens the vault; a file with no key option given is reached through the
/// unlock agent if it holds it, else asks for its passphrase on the
/// terminal if no file gives a key; OpenBao never does.
pub fn open_store(args: &GlobalArgs) -> Result<Box<dyn Store>, CliError> {
    let location = location(args)?;
    if let VaultLocation::File(path) = &location
        && no_key_option(args)
        && let Some(store) = crate::vault::agent::open(path)
    {
        return Ok(Box::new(store));
    }
    match &location {
        VaultLocation::File(path) => with_file_key(args, path, |key| {
            let access = StoreAccess {
                unlock: Some(key),
                bao: bao_options(args),
            };
            Ok(crate::vault::open_store(&location, &access)?)
        }),
        VaultLocation::OpenBao(_) => Ok(crate::vault::open_store(
            &location,
            &StoreAccess {
                unlock: None,
                bao: bao_options(args),
            },
        )?),
    }
}

/// The OpenBao login options given on the command line.
pub fn bao_options(args: &GlobalArgs) -> BaoOptions {
    BaoOptions {
        role_id: args.bao_role_id.clone(),
        secret_id_file: args.bao_secret_id_file.clone(),
        transit_key: None,
    }
}

/// Runs `operation` (one only a file has) on the vault file with its key;
/// a typed passphrase that does not unlock it is asked for again.
pub fn with_file<T>(
    args: &GlobalArgs,
    operation: &'static str,
    mut run: impl FnMut(&Path, &UnlockKey) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let path = file_path(args, operation)?;
    if no_key_option(args) && crate::vault::agent::open(&path).is_some() {
        // Said before the prompt, so nobody wonders why the agent did not answer.
        let text = crate::locale::current().f("agent.needs_key", &[("operation", operation)]);
        if !has_terminal() {
            return Err(CliError {
                exit: Exit::CannotUnlock,
                message: text,
            });
        }
        super::output::message(&text);
    }
    with_file_key(args, &path, |key| run(&path, &key))
}

/// Whether neither `--key-file` nor `--passphrase-file` (nor their
/// variables) was given: only then is the unlock agent asked.
fn no_key_option(args: &GlobalArgs) -> bool {
    args.key_file.is_none() && args.passphrase_file.is_none()
}

/// Runs `open` with the key of the vault file `path` the global options give.
fn with_file_key<T>(
    args: &GlobalArgs,
    path: &Path,
    open: impl FnMut(UnlockKey) -> Result<T, CliError>,
) -> Result<T, CliError> {
    // Say "no vault" before asking for a passphrase that could not be used.
    if !path.exists() && std::fs::symlink_metadata(path).is_err() {
        return Err(crate::vault::VaultError::Missing(path.to_owned()).into());
    }
    with_key(
        path,
        args.key_file.as_deref(),
        args.passphrase_file.as_deref(),
        open,
    )
}

/// Runs `open` with the key of the vault file `vault`: from `key_file`, else
/// the first line of `passphrase_file`, else typed at the prompt. A typed
/// passphrase that does not unlock the file is asked for again, three tries
/// in all; a key or passphrase given by file gets one. A vault that only a
/// key file opens is said so instead of asking for a passphrase.
pub fn with_key<T>(
    vault: &Path,
    key_file: Option<&Path>,
    passphrase_file: Option<&Path>,
    mut open: impl FnMut(UnlockKey) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let typed = key_file.is_none() && passphrase_file.is_none();
    if typed && crate::vault::file_admin::opens_only_with_key_file(vault) {
        return Err(CliError {
            exit: Exit::CannotUnlock,
            message: crate::locale::current().t("cli.needs_key_file").to_owned(),
        });
    }
    let mut left = if typed { PASSPHRASE_TRIES - 1 } else { 0 };
    loop {
        match open(key_for(vault, key_file, passphrase_file)?) {
            // Only a wrong key ends an open with this exit: no terminal or a
            // failed read ends the prompt, before `open` runs.
            Err(e) if e.exit == Exit::CannotUnlock && left > 0 => {
                eprintln!(
                    "{}",
                    crate::locale::current()
                        .f("cli.wrong_passphrase_retry", &[("left", &left.to_string())])
                );
                left -= 1;
            }
            result => return result,
        }
    }
}

/// The key given by `--key-file` or `--passphrase-file`, else asked for.
pub fn existing_key(args: &GlobalArgs, vault: &Path) -> Result<UnlockKey, CliError> {
    key_for(
        vault,
        args.key_file.as_deref(),
        args.passphrase_file.as_deref(),
    )
}

/// The key of the vault file `vault`: from `key_file`, else the first line
/// of `passphrase_file`, else asked for on the terminal.
pub fn key_for(
    vault: &Path,
    key_file: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> Result<UnlockKey, CliError> {
    if let Some(path) = key_file {
        return Ok(UnlockKey::read_key_file(path)?);
    }
    if let Some(path) = passphrase_file {
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
    crate::platform::read_hidden_line(&crate::locale::terminal_safe::escape_line(prompt)).map_err(
        |e| CliError {
            exit: Exit::CannotUnlock,
            message: crate::locale::current().f("cli.terminal_error", &[("error", &e.to_string())]),
        },
    )
}

/// Whether a terminal is there to ask the operator.
pub fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}
