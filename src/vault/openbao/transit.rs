//! The transit engine wraps the vault's data key: `init` asks it for a new
//! data key (plaintext and wrapped), `open` unwraps it in one round-trip.

use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use super::error::OpenBaoError;
use super::http::{Http, Request, Response};
use super::kv::checked;
use crate::vault::crypto::{KEY_LEN, SecretKey};

/// Where the transit engine is mounted.
const MOUNT: &str = "transit";

#[derive(Deserialize)]
struct Answer<T> {
    data: T,
}

#[derive(Deserialize)]
struct DataKey {
    plaintext: Zeroizing<String>,
    ciphertext: String,
}

#[derive(Deserialize)]
struct Plaintext {
    plaintext: Zeroizing<String>,
}

/// Creates transit key `key` unless it exists. A policy that may not read
/// keys is not an error here: asking for a data key then says what is missing.
pub fn ensure_key(http: &Http, key: &str) -> Result<(), OpenBaoError> {
    let path = format!("{MOUNT}/keys/{key}");
    let answer = http.call(Request::get(path.clone()))?;
    match answer.status {
        200 | 403 => Ok(()),
        404 if answer.errors().contains("no handler") => {
            Err(OpenBaoError::TransitNotMounted { path })
        }
        404 => {
            let created = http.call(Request::post(path.clone(), json!({})))?;
            if created.status == 403 {
                return Err(OpenBaoError::TransitKeyCreateDenied {
                    key: key.to_owned(),
                    path,
                });
            }
            transit_error(&path, key, created).map(|_| ())
        }
        _ => transit_error(&path, key, answer).map(|_| ()),
    }
}

/// A fresh data key: the key itself, and its ciphertext under `key`.
pub fn data_key(http: &Http, key: &str) -> Result<(SecretKey, String), OpenBaoError> {
    let path = format!("{MOUNT}/datakey/plaintext/{key}");
    let answer = http.call(Request::post(path.clone(), json!({ "bits": 256 })))?;
    let answer: Answer<DataKey> = parse(&path, transit_error(&path, key, answer)?)?;
    Ok((
        decode_key(&path, &answer.data.plaintext)?,
        answer.data.ciphertext,
    ))
}

/// The data key wrapped as `ciphertext` under `key`.
pub fn decrypt(http: &Http, key: &str, ciphertext: &str) -> Result<SecretKey, OpenBaoError> {
    let path = format!("{MOUNT}/decrypt/{key}");
    let answer = http.call(Request::post(
        path.clone(),
        json!({ "ciphertext": ciphertext }),
    ))?;
    let answer: Answer<Plaintext> = parse(&path, transit_error(&path, key, answer)?)?;
    decode_key(&path, &answer.data.plaintext)
}

/// The answer if it is a success, else what its status means for transit.
fn transit_error(path: &str, key: &str, answer: Response) -> Result<Response, OpenBaoError> {
    let errors = answer.errors();
    match answer.status {
        200..=299 => Ok(answer),
        404 if errors.contains("no handler") => Err(OpenBaoError::TransitNotMounted {
            path: path.to_owned(),
        }),
        400 | 404 if errors.contains("not found") => Err(OpenBaoError::TransitKeyMissing {
            key: key.to_owned(),
            path: path.to_owned(),
        }),
        _ => checked(path, answer).map(|_| unreachable!("only errors reach here")),
    }
}

fn parse<T: serde::de::DeserializeOwned>(path: &str, answer: Response) -> Result<T, OpenBaoError> {
    serde_json::from_slice(&answer.body).map_err(|e| OpenBaoError::Malformed {
        path: path.to_owned(),
        what: format!("{e}"),
    })
}

/// Decodes a base64 key straight into locked memory.
fn decode_key(path: &str, text: &str) -> Result<SecretKey, OpenBaoError> {
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .unwrap_or_default(),
    );
    SecretKey::fill_with(|key| {
        if bytes.len() != KEY_LEN {
            return Err(OpenBaoError::Malformed {
                path: path.to_owned(),
                what: "the data key is not 256 bits".into(),
            });
        }
        key.copy_from_slice(&bytes);
        Ok(())
    })
}
