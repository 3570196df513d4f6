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
/// Longest key file read: ours hold 32 bytes; anything far larger is not a key
/// file (and `/dev/zero` must not be read until memory runs out).
pub const MAX_KEY_FILE_LEN: u64 = 4096;
/// Longest passphrase file read (only its first line is used).
pub const MAX_PASSPHRASE_FILE_LEN: u64 = 4096;

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
    /// Reads a key file, refusing one too short to be a key, or one that is
    /// unsafe to use (see `file::read_private_file`).
    pub fn read_key_file(path: &Path) -> Result<UnlockKey, VaultError> {
        let bytes = super::file::read_private_file(path, MAX_KEY_FILE_LEN, "cannot read key file")?;
        if bytes.len() < MIN_KEY_FILE_LEN {
            return Err(VaultError::KeyFileTooShort {
                path: path.to_owned(),
                len: bytes.len(),
            });
        }
        Ok(UnlockKey::KeyFile(bytes))
    }

    /// Reads the first line of a passphrase file, with the same checks as a
    /// key file.
    pub fn read_passphrase_file(path: &Path) -> Result<UnlockKey, VaultError> {
        let bytes = super::file::read_private_file(
            path,
            MAX_PASSPHRASE_FILE_LEN,
            "cannot read passphrase file",
        )?;
        let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::Io {
            context: "cannot read passphrase file",
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })?;
        // `lines` leaves the \r of CRLF files; a passphrase never ends in one.
        let line = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r');
        Ok(UnlockKey::Passphrase(Zeroizing::new(line.to_owned())))
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

/// Largest Argon2 memory accepted: 256 MiB, four times the default.
const MAX_KDF_MEMORY_KIB: u32 = 256 * 1024;
/// Largest Argon2 cost accepted, memory × passes (KiB): four times the default
/// (64 MiB × 3). The time of Argon2 grows with this product (lanes run one
/// after another here), and the default takes about 0.4 s on a 2-core machine,
/// so an altered header makes a wrong passphrase cost under 2 s, not minutes.
const MAX_KDF_COST: u64 = 4 * 64 * 1024 * 3;

impl KdfParams {
    /// Whether the parameters are sane; checked before the KDF runs, so an
    /// altered header can neither exhaust memory, nor take long, nor weaken
    /// the derivation.
    pub fn is_sane(&self) -> bool {
        let cost = u64::from(self.memory_kib) * u64::from(self.iterations);
        (8 * 1024..=MAX_KDF_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=16).contains(&self.iterations)
            && (1..=4).contains(&self.parallelism)
            && cost <= MAX_KDF_COST
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sane_and_costly_headers_are_not() {
        assert!(KdfParams::default().is_sane());
        let with = |memory_kib, iterations, parallelism| KdfParams {
            memory_kib,
            iterations,
            parallelism,
        };
        assert!(with(8 * 1024, 1, 1).is_sane(), "the test suites' cheap KDF");
        assert!(with(256 * 1024, 3, 4).is_sane());
        assert!(!with(256 * 1024, 4, 1).is_sane(), "over the cost budget");
        assert!(!with(1024 * 1024, 1, 1).is_sane(), "1 GiB");
        assert!(!with(64 * 1024, 64, 1).is_sane(), "64 passes");
        assert!(!with(64 * 1024, 3, 16).is_sane());
        assert!(!with(u32::MAX, u32::MAX, u32::MAX).is_sane());
        assert!(!with(0, 0, 0).is_sane());
    }
}
