//! The age layer: a document sealed to a passphrase (scrypt) or to X25519
//! recipients, and opened again. Plaintext buffers are zeroized.

use std::io::{Read, Write};

use age::secrecy::SecretString;
use age::{DecryptError, Identity, Recipient};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::PortingError;
use super::document::{ExportDocument, FORMAT, VERSION};

/// The highest scrypt work factor a passphrase file may ask for: the age
/// tool writes about 18; each step doubles time and memory (r = 8: 1 KiB ×
/// 2^N), so 20 is 1 GiB and a few seconds, and a hostile file asking for
/// more is refused rather than let it exhaust memory.
const MAX_WORK_FACTOR: u8 = 20;

/// How an export is encrypted.
pub enum Encryption {
    /// To a passphrase (age's scrypt recipient).
    Passphrase(SecretString),
    /// To age X25519 public keys (`age1…`).
    Recipients(Vec<age::x25519::Recipient>),
}

/// How an export is decrypted.
pub enum Decryption {
    /// With the passphrase it was encrypted to.
    Passphrase(SecretString),
    /// With identities from an age identity file.
    Identities(Vec<Box<dyn Identity>>),
}

/// Serialises `doc` straight into the encryptor (no whole plaintext in
/// memory) and writes the age file to `out`.
pub fn seal_document<W: Write>(
    doc: &ExportDocument,
    encryption: Encryption,
    out: W,
) -> Result<W, PortingError> {
    let encryptor = match encryption {
        Encryption::Passphrase(passphrase) => age::Encryptor::with_user_passphrase(passphrase),
        Encryption::Recipients(recipients) => {
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn Recipient))
                .map_err(|e| PortingError::Write(std::io::Error::other(e.to_string())))?
        }
    };
    let mut writer = Counting {
        inner: encryptor.wrap_output(out).map_err(PortingError::Write)?,
        written: 0,
    };
    serde_json::to_writer(&mut writer, doc)
        .map_err(|e| PortingError::Write(std::io::Error::other(e)))?;
    // age keeps the last chunk of plaintext in a buffer it drops without
    // zeroizing: spaces, which a JSON reader skips, fill that chunk and
    // then the whole buffer once more, so no secret is left in it.
    let tail = writer.written % AGE_CHUNK;
    let padding = vec![b' '; AGE_CHUNK - tail + AGE_CHUNK];
    writer
        .inner
        .write_all(&padding)
        .map_err(PortingError::Write)?;
    writer.inner.finish().map_err(PortingError::Write)
}

/// The plaintext chunk of age's STREAM (its writer's buffer).
const AGE_CHUNK: usize = 64 * 1024;

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    written: usize,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Whether `bytes` is an age file encrypted to a passphrase (rather than
/// to recipients); an error if it is no age file at all.
pub fn is_passphrase_encrypted(bytes: &[u8]) -> Result<bool, PortingError> {
    Ok(age::Decryptor::new_buffered(bytes)
        .map_err(decrypt_error)?
        .is_scrypt())
}

/// Decrypts and parses an export; every failure is told apart as a wrong
/// key, a damaged file or a document this version does not read.
pub fn open_document(bytes: &[u8], decryption: Decryption) -> Result<ExportDocument, PortingError> {
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(decrypt_error)?;
    let identities: Vec<Box<dyn Identity>> = match decryption {
        Decryption::Passphrase(passphrase) => {
            let mut identity = age::scrypt::Identity::new(passphrase);
            // age's own limit follows this machine's speed, and refuses
            // the work factor the age tool writes (18) on a slow one.
            identity.set_max_work_factor(MAX_WORK_FACTOR);
            vec![Box::new(identity)]
        }
        Decryption::Identities(identities) => identities,
    };
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn Identity))
        .map_err(decrypt_error)?;
    // The ciphertext is longer than the plaintext: one allocation, so no
    // copy of the plaintext is left behind by a reallocation.
    let mut plain = Zeroizing::new(Vec::with_capacity(bytes.len()));
    reader
        .read_to_end(&mut plain)
        .map_err(|e| PortingError::Damaged(e.to_string()))?;
    parse(&plain)
}

/// The document in `plain`, after its format and version are checked.
fn parse(plain: &[u8]) -> Result<ExportDocument, PortingError> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
    }
    let header: Header = serde_json::from_slice(plain)
        .map_err(|_| PortingError::NotAnExport("its content is not a JSON object".into()))?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(PortingError::NotAnExport(format!(
            "its format is not \"{FORMAT}\""
        )));
    }
    match header.version {
        Some(VERSION) => {}
        Some(v) if v > VERSION => {
            return Err(PortingError::NotAnExport(format!(
                "it is version {v}, written by a newer flowvault; upgrade flowvault"
            )));
        }
        other => {
            return Err(PortingError::NotAnExport(format!(
                "version {} is not one this flowvault reads",
                other.map_or("(none)".to_owned(), |v| v.to_string())
            )));
        }
    }
    // The error names where, never a value.
    serde_json::from_slice(plain).map_err(|e| {
        PortingError::NotAnExport(format!(
            "malformed at line {} column {}",
            e.line(),
            e.column()
        ))
    })
}

fn decrypt_error(e: DecryptError) -> PortingError {
    match e {
        DecryptError::DecryptionFailed
        | DecryptError::KeyDecryptionFailed
        | DecryptError::NoMatchingKeys => PortingError::WrongKey,
        DecryptError::ExcessiveWork { required, .. } => PortingError::TooMuchWork(required),
        DecryptError::InvalidHeader => PortingError::Damaged("its age header is malformed".into()),
        DecryptError::InvalidMac => PortingError::Damaged("its age header was altered".into()),
        DecryptError::UnknownFormat => {
            PortingError::Damaged("it is not in a known age format".into())
        }
        DecryptError::Io(e) => PortingError::Damaged(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(json: &str) -> Vec<u8> {
        let identity = age::x25519::Identity::generate();
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&identity.to_public() as _)).unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(json.as_bytes()).unwrap();
        writer.finish().unwrap();
        let opened = open_document(&out, Decryption::Identities(vec![Box::new(identity)]));
        match opened {
            Ok(_) => Vec::new(),
            Err(e) => e.to_string().into_bytes(),
        }
    }

    #[test]
    fn the_sealed_document_ends_in_a_whole_chunk_of_spaces() {
        let identity = age::x25519::Identity::generate();
        let doc = ExportDocument {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: crate::vault::now(),
            connections: Vec::new(),
            flows: Vec::new(),
        };
        let sealed = seal_document(
            &doc,
            Encryption::Recipients(vec![identity.to_public()]),
            Vec::new(),
        )
        .unwrap();
        let decryptor = age::Decryptor::new_buffered(&sealed[..]).unwrap();
        let mut plain = Vec::new();
        decryptor
            .decrypt(std::iter::once(&identity as &dyn Identity))
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        // The last chunk age buffered holds spaces only, none of the document.
        assert_eq!(plain.len() % AGE_CHUNK, 0);
        assert!(plain[plain.len() - AGE_CHUNK..].iter().all(|&b| b == b' '));
        let read: ExportDocument = serde_json::from_slice(&plain).unwrap();
        assert_eq!(read, doc);
        let opened = open_document(&sealed, Decryption::Identities(vec![Box::new(identity)]));
        assert_eq!(opened.unwrap(), doc);
    }

    #[test]
    fn a_document_of_another_format_or_version_is_named_as_such() {
        let said = |json: &str| String::from_utf8(sealed(json)).unwrap();
        assert!(said("[1, 2]").contains("not a JSON object"));
        assert!(said(r#"{"format":"other","version":1}"#).contains("format is not"));
        assert!(said(r#"{"format":"flowvault-export","version":9}"#).contains("newer flowvault"));
        assert!(said(r#"{"format":"flowvault-export"}"#).contains("(none)"));
        let malformed = said(r#"{"format":"flowvault-export","version":1,"connections":7}"#);
        assert!(malformed.contains("malformed at line 1"), "{malformed}");
        let valid = r#"{"format":"flowvault-export","version":1,
            "exported_at":"2026-12-02T10:00:00Z","connections":[],"flows":[]}"#;
        assert_eq!(said(valid), "");
    }
}
