//! Unlock methods: how the data key is wrapped by a passphrase or a key file.

use std::fmt;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::crypto::{self, CryptoError, KEY_LEN, SecretKey, VAULT_ID_LEN};
use super::error::VaultError;

/// Salt length of every key slot.
pub const SALT_LEN: usize = 32;
/// Shortest key file accepted.
pub const MIN_KEY_FILE_LEN: usize = 32;

/// What the operator unlocks the vault with.
pub enum UnlockKey {
    Passphrase(Zeroizing<String>),
    KeyFile(Zeroizing<Vec<u8>>),
}

impl fmt::Debug for UnlockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnlockKey::Passphrase(_) => f.write_str("Passphrase([REDACTED])"),
            UnlockKey::KeyFile(_) => f.write_str("KeyFile([REDACTED])"),
        }
    }
}

impl UnlockKey {
    /// Reads a key file, refusing one too short to be a key.
    pub fn read_key_file(path: &Path) -> Result<UnlockKey, VaultError> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| VaultError::Io {
            context: "cannot read key file",
            path: path.to_owned(),
            source,
        })?);
        if bytes.len() < MIN_KEY_FILE_LEN {
            return Err(VaultError::KeyFileTooShort {
                path: path.to_owned(),
                len: bytes.len(),
            });
        }
        Ok(UnlockKey::KeyFile(bytes))
    }

    /// Writes a fresh random key file with mode 0600, refusing to overwrite one.
    pub fn create_key_file(path: &Path) -> Result<UnlockKey, VaultError> {
        let mut bytes = Zeroizing::new(vec![0u8; KEY_LEN]);
        crypto::fill_random(&mut bytes)?;
        super::file::write_new_private_file(path, &bytes)?;
        Ok(UnlockKey::KeyFile(bytes))
    }

    fn kind(&self) -> SlotKind {
        match self {
            UnlockKey::Passphrase(_) => SlotKind::Passphrase,
            UnlockKey::KeyFile(_) => SlotKind::KeyFile,
        }
    }
}

/// Argon2id cost parameters, stored in the file beside each passphrase slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Whether the parameters are sane; checked before the KDF runs, so an
    /// altered header can neither exhaust memory nor weaken the derivation.
    pub fn is_sane(&self) -> bool {
        (8 * 1024..=1024 * 1024).contains(&self.memory_kib)
            && (1..=64).contains(&self.iterations)
            && (1..=16).contains(&self.parallelism)
    }
}

/// The two kinds of key slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    Passphrase,
    KeyFile,
}

impl SlotKind {
    /// The name stored in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Passphrase => "passphrase",
            SlotKind::KeyFile => "key_file",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<SlotKind> {
        match s {
            "passphrase" => Some(SlotKind::Passphrase),
            "key_file" => Some(SlotKind::KeyFile),
            _ => None,
        }
    }
}

/// One wrapped copy of the data key, as stored.
#[derive(Debug, Clone)]
pub struct KeySlot {
    pub kind: SlotKind,
    /// Present for passphrase slots only.
    pub kdf: Option<KdfParams>,
    pub salt: Vec<u8>,
    pub wrapped: Vec<u8>,
}

impl KeySlot {
    /// Wraps `data_key` for `unlock`.
    pub fn wrap(
        vault_id: &[u8; VAULT_ID_LEN],
        unlock: &UnlockKey,
        kdf: KdfParams,
        data_key: &SecretKey,
    ) -> Result<KeySlot, VaultError> {
        let mut salt = vec![0u8; SALT_LEN];
        crypto::fill_random(&mut salt)?;
        let kind = unlock.kind();
        let kdf = (kind == SlotKind::Passphrase).then_some(kdf);
        let mut slot = KeySlot {
            kind,
            kdf,
            salt,
            wrapped: Vec::new(),
        };
        let kek = slot.derive_kek(unlock)?;
        slot.wrapped = crypto::wrap_key(&kek, data_key, &slot.associated_data(vault_id))?;
        Ok(slot)
    }

    /// Unwraps the data key; every failure is `CannotUnlock`, so a wrong key and an
    /// altered slot look alike.
    pub fn unwrap(
        &self,
        vault_id: &[u8; VAULT_ID_LEN],
        unlock: &UnlockKey,
    ) -> Result<SecretKey, VaultError> {
        if self.kind != unlock.kind() || self.salt.len() != SALT_LEN {
            return Err(VaultError::CannotUnlock);
        }
        let kek = self
            .derive_kek(unlock)
            .map_err(|_| VaultError::CannotUnlock)?;
        crypto::unwrap_key(&kek, &self.wrapped, &self.associated_data(vault_id))
            .map_err(|_| VaultError::CannotUnlock)
    }

    fn derive_kek(&self, unlock: &UnlockKey) -> Result<SecretKey, VaultError> {
        SecretKey::fill_with(|out| match (unlock, self.kdf) {
            (UnlockKey::Passphrase(pass), Some(kdf)) => {
                if !kdf.is_sane() {
                    return Err(VaultError::CannotUnlock);
                }
                let params = Params::new(
                    kdf.memory_kib,
                    kdf.iterations,
                    kdf.parallelism,
                    Some(KEY_LEN),
                )
                .map_err(|e| CryptoError::Kdf(e.to_string()))?;
                Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                    .hash_password_into(pass.as_bytes(), &self.salt, out)
                    .map_err(|e| CryptoError::Kdf(e.to_string()))?;
                Ok(())
            }
            (UnlockKey::KeyFile(bytes), None) => {
                // A key file is already high-entropy: HKDF, not a slow KDF.
                Hkdf::<Sha256>::new(Some(&self.salt), bytes)
                    .expand(b"flowvault/key-file-kek/v1", out)
                    .expect("32 bytes is a valid HKDF-SHA256 output length");
                Ok(())
            }
            _ => Err(VaultError::CannotUnlock),
        })
    }

    fn associated_data(&self, vault_id: &[u8; VAULT_ID_LEN]) -> Vec<u8> {
        let mut ad = b"flowvault/keyslot/v1".to_vec();
        ad.extend_from_slice(vault_id);
        ad.extend_from_slice(self.kind.as_str().as_bytes());
        let kdf = self.kdf.unwrap_or(KdfParams {
            memory_kib: 0,
            iterations: 0,
            parallelism: 0,
        });
        for n in [kdf.memory_kib, kdf.iterations, kdf.parallelism] {
            ad.extend_from_slice(&n.to_be_bytes());
        }
        ad.extend_from_slice(&self.salt);
        ad
    }
}
