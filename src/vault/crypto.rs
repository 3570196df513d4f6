//! Keys, sealing of values with XChaCha20-Poly1305, and key derivation.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::platform::LockedBytes;

/// Length of every symmetric key in the vault.
pub const KEY_LEN: usize = 32;
/// Length of the random vault id that binds sealed values to their file.
pub const VAULT_ID_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Version byte of values sealed as they are (still opened, no longer written).
const SEALED_FORMAT_V1: u8 = 1;
/// Version byte of values padded to a size bucket before sealing, so a
/// ciphertext's length says little about the name or secret inside.
const SEALED_FORMAT_V2: u8 = 2;
/// Padded sizes grow in steps of this many bytes up to [`PAD_LINEAR_LIMIT`],
/// then by powers of two.
const PAD_STEP: usize = 32;
const PAD_LINEAR_LIMIT: usize = 256;
/// The byte that ends a value before its padding (ISO/IEC 7816-4 style).
const PAD_MARK: u8 = 0x80;
const SEALED_HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

/// Failures of the cryptographic layer; never carries key or plaintext bytes.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("sealed value is truncated or of an unknown format")]
    Malformed,
    #[error("sealed value was made with key version {0}, which this vault does not have")]
    UnknownKeyVersion(u32),
    #[error("sealed value failed its integrity check")]
    Integrity,
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// A 256-bit key in its own locked page (kept out of swap and core dumps),
/// wiped from memory when dropped and never printed.
#[derive(Clone)]
pub struct SecretKey(LockedBytes<KEY_LEN>);

impl SecretKey {
    /// A fresh key from the operating system's generator.
    pub fn random() -> Result<SecretKey, CryptoError> {
        let mut key = SecretKey(LockedBytes::zeroed());
        fill_random(key.0.bytes_mut())?;
        Ok(key)
    }

    /// Wraps raw key bytes (the caller's copy should be zeroized).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        let mut key = SecretKey(LockedBytes::zeroed());
        key.0.bytes_mut().copy_from_slice(&bytes);
        key
    }

    /// A key written straight into its locked page by `fill`, so no copy of it
    /// is left on the stack.
    pub fn fill_with<E>(
        fill: impl FnOnce(&mut [u8; KEY_LEN]) -> Result<(), E>,
    ) -> Result<SecretKey, E> {
        let mut key = SecretKey(LockedBytes::zeroed());
        fill(key.0.bytes_mut())?;
        Ok(key)
    }

    /// The raw bytes, for the cipher and the KDFs only.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.bytes()
    }

    /// Derives an independent sub-key for one purpose (HKDF-SHA256).
    pub fn derive(&self, purpose: &str) -> SecretKey {
        let hk = Hkdf::<Sha256>::new(None, self.0.bytes());
        let mut out = SecretKey(LockedBytes::zeroed());
        hk.expand(purpose.as_bytes(), out.0.bytes_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }
}

impl Zeroize for SecretKey {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// `LockedBytes` wipes itself on drop.
impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// Fills `buf` from the operating system's random number generator.
pub fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::getrandom(buf).map_err(|_| CryptoError::Random)
}

/// A random (version 4) UUID for a record's id.
///
/// Built from our own random bytes so that uuid's `v4` feature, and the
/// other getrandom major it brings, stay out of the build.
pub fn random_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    // As `Uuid::new_v4` does: with no random source there is no safe id.
    getrandom::getrandom(&mut bytes).expect("the operating system's random source answers");
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Where a sealed value lives; bound into the value so it cannot be moved.
#[derive(Debug, Clone, Copy)]
pub struct SealContext<'a> {
    pub vault_id: &'a [u8; VAULT_ID_LEN],
    pub table: &'a str,
    pub row_id: &'a str,
    pub column: &'a str,
}

impl SealContext<'_> {
    fn associated_data(&self, format: u8, key_version: u32) -> Vec<u8> {
        let parts = self.table.len() + self.row_id.len() + self.column.len();
        // Label, vault id, three length-prefixed parts and the key version:
        // one allocation of the exact size for every value opened.
        let mut ad = Vec::with_capacity(19 + self.vault_id.len() + 3 * 4 + parts + 4);
        // The format is bound too, so a padded value cannot be passed off as
        // an unpadded one by changing its first byte.
        ad.extend_from_slice(match format {
            SEALED_FORMAT_V1 => b"flowvault/sealed/v1",
            _ => b"flowvault/sealed/v2",
        });
        ad.extend_from_slice(self.vault_id);
        for part in [self.table, self.row_id, self.column] {
            // Length prefixes keep ("ab","c") and ("a","bc") apart.
            ad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            ad.extend_from_slice(part.as_bytes());
        }
        ad.extend_from_slice(&key_version.to_be_bytes());
        ad
    }
}

/// The key that seals every value of one vault, with its version.
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
    version: u32,
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealingKey(v{}, [REDACTED])", self.version)
    }
}

impl SealingKey {
    /// A sealing key of the given version.
    pub fn new(key: &SecretKey, version: u32) -> SealingKey {
        let cipher = XChaCha20Poly1305::new(key.expose().into());
        SealingKey { cipher, version }
    }

    /// The version of the data key this sealing key comes from.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Seals `plaintext` for the place `ctx` names, padded to a size bucket.
    ///
    /// Format: `[2][key version: u32 BE][nonce: 24][ciphertext + tag: 16]`,
    /// the plaintext followed by `0x80` and zeros up to [`padded_len`].
    pub fn seal(&self, ctx: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let ad = ctx.associated_data(SEALED_FORMAT_V2, self.version);
        let mut padded = Zeroizing::new(Vec::with_capacity(padded_len(plaintext.len())));
        padded.extend_from_slice(plaintext);
        padded.push(PAD_MARK);
        padded.resize(padded_len(plaintext.len()), 0);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &padded,
                    aad: &ad,
                },
            )
            .map_err(|_| CryptoError::Integrity)?;
        let mut out = Vec::with_capacity(SEALED_HEADER_LEN + ciphertext.len());
        out.push(SEALED_FORMAT_V2);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a value sealed for the place `ctx` names, checking its integrity.
    pub fn open(
        &self,
        ctx: &SealContext<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let format = *sealed.first().ok_or(CryptoError::Malformed)?;
        if sealed.len() < SEALED_HEADER_LEN + TAG_LEN
            || !matches!(format, SEALED_FORMAT_V1 | SEALED_FORMAT_V2)
        {
            return Err(CryptoError::Malformed);
        }
        let mut version = [0u8; 4];
        version.copy_from_slice(&sealed[1..5]);
        let version = u32::from_be_bytes(version);
        if version != self.version {
            return Err(CryptoError::UnknownKeyVersion(version));
        }
        let nonce = XNonce::from_slice(&sealed[5..SEALED_HEADER_LEN]);
        let ad = ctx.associated_data(format, version);
        let mut plain = self
            .cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[SEALED_HEADER_LEN..],
                    aad: &ad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Integrity)?;
        if format == SEALED_FORMAT_V2 {
            let end = plain
                .iter()
                .rposition(|&b| b != 0)
                .filter(|&i| plain[i] == PAD_MARK)
                .ok_or(CryptoError::Malformed)?;
            plain.truncate(end);
        }
        Ok(plain)
    }
}

/// The size a value of `len` bytes is padded to before sealing: the next
/// step of 32 bytes up to 256, then the next power of two.
pub fn padded_len(len: usize) -> usize {
    let needed = len.saturating_add(1);
    if needed <= PAD_LINEAR_LIMIT {
        needed.div_ceil(PAD_STEP) * PAD_STEP
    } else {
        needed.checked_next_power_of_two().unwrap_or(needed)
    }
}

/// Keyed hash of connection names, so uniqueness holds without clear names.
pub struct NameHasher {
    key: SecretKey,
}

impl NameHasher {
    /// A hasher with its own key.
    pub fn new(key: SecretKey) -> NameHasher {
        NameHasher { key }
    }

    /// HMAC-SHA256 of the normalised name: trimmed, inner spaces collapsed, lower case.
    pub fn hash(&self, name: &str) -> Vec<u8> {
        self.mac(name).finalize().into_bytes().to_vec()
    }

    /// Whether `hash` is the hash of `name`, compared in constant time.
    pub fn verify(&self, name: &str, hash: &[u8]) -> bool {
        self.mac(name).verify_slice(hash).is_ok()
    }

    fn mac(&self, name: &str) -> Hmac<Sha256> {
        let normalised = Zeroizing::new(super::model::normalise_name(name));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose())
            .expect("HMAC takes keys of any length");
        mac.update(normalised.as_bytes());
        mac
    }
}

/// Wraps (encrypts) a data key under a key-encryption key, bound to `ad`.
pub fn wrap_key(kek: &SecretKey, data_key: &SecretKey, ad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(kek.expose().into());
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: data_key.expose(),
                aad: ad,
            },
        )
        .map_err(|_| CryptoError::Integrity)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Unwraps a data key; any mismatch of key, bytes or `ad` is an integrity error.
pub fn unwrap_key(kek: &SecretKey, wrapped: &[u8], ad: &[u8]) -> Result<SecretKey, CryptoError> {
    if wrapped.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    let cipher = XChaCha20Poly1305::new(kek.expose().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&wrapped[..NONCE_LEN]),
                Payload {
                    msg: &wrapped[NONCE_LEN..],
                    aad: ad,
                },
            )
            .map_err(|_| CryptoError::Integrity)?,
    );
    SecretKey::fill_with(|key| {
        key.copy_from_slice(&plain);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: [u8; VAULT_ID_LEN] = [7; VAULT_ID_LEN];

    fn ctx<'a>(row: &'a str, column: &'a str) -> SealContext<'a> {
        SealContext {
            vault_id: &VAULT,
            table: "connections",
            row_id: row,
            column,
        }
    }

    #[test]
    fn seal_open_round_trip_with_fresh_nonces() {
        let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
        let a = key.seal(&ctx("r1", "fields"), b"hunter2").unwrap();
        let b = key.seal(&ctx("r1", "fields"), b"hunter2").unwrap();
        assert_ne!(a, b, "each seal uses a new nonce");
        assert_eq!(&*key.open(&ctx("r1", "fields"), &a).unwrap(), b"hunter2");
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
        let sealed = key.seal(&ctx("r1", "name"), b"canary").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(key.open(&ctx("r1", "name"), &bad).is_err(), "byte {i}");
        }
        assert!(matches!(
            key.open(&ctx("r1", "name"), &sealed[..20]),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn a_value_cannot_move_to_another_row_or_column() {
        let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
        let sealed = key.seal(&ctx("r1", "name"), b"canary").unwrap();
        assert!(matches!(
            key.open(&ctx("r2", "name"), &sealed),
            Err(CryptoError::Integrity)
        ));
        assert!(matches!(
            key.open(&ctx("r1", "fields"), &sealed),
            Err(CryptoError::Integrity)
        ));
    }

    #[test]
    fn lengths_within_a_bucket_seal_to_the_same_size() {
        let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
        let short = key.seal(&ctx("r1", "name"), b"SMS").unwrap();
        let long = key.seal(&ctx("r1", "name"), b"Production Twilio").unwrap();
        assert_eq!(short.len(), long.len());
        for n in [0usize, 1, 30, 31, 32, 255, 256, 300, 5000] {
            let value = vec![b'x'; n];
            let sealed = key.seal(&ctx("r1", "fields"), &value).unwrap();
            assert_eq!(
                &*key.open(&ctx("r1", "fields"), &sealed).unwrap(),
                &value[..]
            );
            assert!(padded_len(n) > n);
        }
        assert_eq!(padded_len(300), 512);
    }

    #[test]
    fn a_padded_value_cannot_pass_as_an_unpadded_one() {
        let key = SealingKey::new(&SecretKey::random().unwrap(), 1);
        let mut sealed = key.seal(&ctx("r1", "name"), b"canary").unwrap();
        sealed[0] = SEALED_FORMAT_V1;
        assert!(key.open(&ctx("r1", "name"), &sealed).is_err());
    }

    #[test]
    fn names_hash_the_same_after_normalising() {
        let h = NameHasher::new(SecretKey::random().unwrap());
        assert_eq!(h.hash("Mgmt  API "), h.hash("mgmt api"));
        assert_ne!(h.hash("mgmt api"), h.hash("mgmt apis"));
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SecretKey::from_bytes([0xAB; KEY_LEN]);
        assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
    }
}
