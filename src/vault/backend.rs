//! Opening and creating a vault, whatever its backend, from its location:
//! the one place that knows which backend a location selects.

use std::path::PathBuf;

use super::error::VaultError;
use super::keyslot::{KdfParams, UnlockKey};
use super::location::VaultLocation;
use super::sqlite::Vault;
use super::store::Store;

/// The transit key an OpenBao vault's data key is wrapped by, unless told.
pub const DEFAULT_TRANSIT_KEY: &str = "flowvault";

/// How to log in to OpenBao, as given on the command line; the token itself
/// comes from the environment or the token helper file when opening.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaoOptions {
    /// AppRole role id (`--bao-role-id`).
    pub role_id: Option<String>,
    /// File holding the AppRole secret id (`--bao-secret-id-file`).
    pub secret_id_file: Option<PathBuf>,
    /// The transit key `init` creates or uses; [`DEFAULT_TRANSIT_KEY`] if unset.
    pub transit_key: Option<String>,
}

/// What opening a vault needs beyond its location.
#[derive(Default)]
pub struct StoreAccess {
    /// Unlocks a vault file; an OpenBao vault never needs it.
    pub unlock: Option<UnlockKey>,
    /// Logs in to OpenBao; unused for a file.
    pub bao: BaoOptions,
}

impl StoreAccess {
    /// Access to a vault file with this key.
    pub fn with_key(unlock: UnlockKey) -> StoreAccess {
        StoreAccess {
            unlock: Some(unlock),
            bao: BaoOptions::default(),
        }
    }
}

impl VaultLocation {
    /// Whether opening needs a passphrase or key file: only a file does, so
    /// nobody is asked for one when the vault is on OpenBao.
    pub fn needs_unlock_key(&self) -> bool {
        matches!(self, VaultLocation::File(_))
    }
}

/// Opens the vault at `location`; a file is unlocked and checks what is read
/// as [`Vault::open_checking_reads`] does, or, given no key, is reached
/// through the unlock agent if it holds it.
pub fn open_store(
    location: &VaultLocation,
    access: &StoreAccess,
) -> Result<Box<dyn Store>, VaultError> {
    match location {
        VaultLocation::File(path) => match &access.unlock {
            Some(key) => Ok(Box::new(Vault::open_checking_reads(path, key)?)),
            // No key: the unlock agent's copy, if it holds this vault.
            None => match super::agent::open(path) {
                Some(store) => Ok(Box::new(store)),
                None => Err(VaultError::NoUnlockKey(path.to_owned())),
            },
        },
        VaultLocation::OpenBao(location) => {
            let login = login(&access.bao)?;
            Ok(Box::new(super::openbao::open(location, &login)?))
        }
    }
}

/// Creates a new, empty vault at `location`; an existing one is left alone.
pub fn create_store(
    location: &VaultLocation,
    access: &StoreAccess,
    kdf: KdfParams,
) -> Result<Box<dyn Store>, VaultError> {
    match location {
        VaultLocation::File(path) => {
            let key = file_key(path, access)?;
            Ok(Box::new(Vault::create(path, key, kdf)?))
        }
        VaultLocation::OpenBao(location) => {
            let login = login(&access.bao)?;
            let transit_key = access
                .bao
                .transit_key
                .as_deref()
                .unwrap_or(DEFAULT_TRANSIT_KEY);
            Ok(Box::new(super::openbao::init(
                location,
                &login,
                transit_key,
            )?))
        }
    }
}

/// The OpenBao login the options and the environment give.
fn login(options: &BaoOptions) -> Result<super::openbao::BaoLogin, VaultError> {
    super::openbao::BaoLogin::from_env_and_args(
        options.role_id.clone(),
        options.secret_id_file.clone(),
    )
}

fn file_key<'a>(
    path: &std::path::Path,
    access: &'a StoreAccess,
) -> Result<&'a UnlockKey, VaultError> {
    access
        .unlock
        .as_ref()
        .ok_or_else(|| VaultError::NoUnlockKey(path.to_owned()))
}
