//! The keys of an export file, as `export` and `import` take them: age
//! public keys, an age identity file, or a passphrase from a file or typed
//! on the terminal. None ever comes from the command line itself.

use std::path::Path;

use age::secrecy::SecretString;

use crate::vault::UnlockKey;
use crate::vault::export::{Decryption, Encryption};

use super::error::{CliError, Exit};
use super::unlock;

/// The encryption `export` uses: the recipients given, else a passphrase
/// from `passphrase_file`, else one typed twice.
pub fn encryption(
    recipients: &[String],
    passphrase_file: Option<&Path>,
) -> Result<Encryption, CliError> {
    if !recipients.is_empty() {
        return recipients
            .iter()
            .map(|r| parse_recipient(r))
            .collect::<Result<Vec<_>, _>>()
            .map(Encryption::Recipients);
    }
    let locale = crate::locale::current();
    let key = match passphrase_file {
        Some(path) => unlock::passphrase_from_file(path)?,
        None => {
            require_terminal()?;
            let first = unlock::prompt_secret(locale.t("porting.prompt_passphrase"))?;
            let second = unlock::prompt_secret(locale.t("porting.prompt_repeat"))?;
            if *first != *second {
                return Err(CliError::usage(locale.t("cli.passphrase_mismatch")));
            }
            UnlockKey::Passphrase(first)
        }
    };
    Ok(Encryption::Passphrase(secret(
        unlock::checked_new_passphrase(key)?,
    )))
}

/// An `age1…` public key, or a usage error naming it.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, CliError> {
    text.trim().parse().map_err(|_| {
        CliError::usage(crate::locale::current().f("porting.bad_recipient", &[("recipient", text)]))
    })
}

/// The decryption `import` uses for `file` (whose bytes are `bytes`): the
/// identity file given, else a passphrase from `passphrase_file` or typed.
pub fn decryption(
    file: &str,
    passphrase_encrypted: bool,
    identity: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> Result<Decryption, CliError> {
    let locale = crate::locale::current();
    if let Some(path) = identity {
        let identities = age::IdentityFile::from_file(path.display().to_string())
            .map_err(|e| e.to_string())
            .and_then(|f| f.into_identities().map_err(|e| e.to_string()))
            .map_err(|error| CliError {
                exit: Exit::CannotUnlock,
                message: locale.f(
                    "porting.identity_file",
                    &[("path", &path.display().to_string()), ("error", &error)],
                ),
            })?;
        return Ok(Decryption::Identities(identities));
    }
    if !passphrase_encrypted {
        return Err(CliError::usage(
            locale.f("porting.needs_identity", &[("path", file)]),
        ));
    }
    let key = match passphrase_file {
        Some(path) => unlock::passphrase_from_file(path)?,
        None => {
            require_terminal()?;
            UnlockKey::Passphrase(unlock::prompt_secret(
                &locale.f("porting.prompt_open", &[("path", file)]),
            )?)
        }
    };
    Ok(Decryption::Passphrase(secret(key)))
}

/// Exit 3 with a hint at the options, rather than the vault's own hint.
fn require_terminal() -> Result<(), CliError> {
    if unlock::has_terminal() {
        return Ok(());
    }
    Err(CliError {
        exit: Exit::CannotUnlock,
        message: crate::locale::current().t("porting.no_terminal").to_owned(),
    })
}

/// The passphrase as age takes it; the zeroized original is dropped here.
fn secret(key: UnlockKey) -> SecretString {
    match key {
        UnlockKey::Passphrase(p) => SecretString::from(p.as_str().to_owned()),
        UnlockKey::KeyFile(bytes) => {
            SecretString::from(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}
