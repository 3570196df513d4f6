//! The OpenBao backend: records in a KV v2 mount, sealed client-side with
//! the same XChaCha20-Poly1305 format as the file, under a data key wrapped
//! by the transit engine. Every write checks-and-sets the version it read.
//!
//! Layout under `MOUNT/PREFIX/`: `keys/data` (the wrapped data key),
//! `connections/<id>`, `names/<name hash>`, `tokens/<id>`, `leases/<id>`,
//! `flows/<id>`, `flow-names/<hash>`, `audit/<seq>`, and `changes`, whose
//! KV version is the change mark.

mod audit;
mod connections;
mod error;
mod flows;
mod http;
mod kv;
mod location;
mod login;
mod store;
mod tokens;
mod transit;

use std::sync::Arc;

use serde_json::json;

pub use error::OpenBaoError;
pub use location::OpenBaoLocation;
pub use login::BaoLogin;
pub use store::OpenBaoStore;

use super::crypto::{VAULT_ID_LEN, fill_random};
use super::error::VaultError;
use http::Http;
use kv::Kv;

/// Where the wrapped data key lives.
const KEYS: &str = "keys/data";

/// Opens the vault at `location`: one read and one transit decrypt.
pub fn open(location: &OpenBaoLocation, login: &BaoLogin) -> Result<OpenBaoStore, VaultError> {
    let (kv, actor) = connect(location, login)?;
    let keys = kv
        .read(KEYS)?
        .ok_or_else(|| OpenBaoError::NotInitialised {
            location: location.to_string(),
        })?
        .data;
    let malformed = |what: &str| OpenBaoError::Malformed {
        path: format!("{}/data/{}/{KEYS}", location.mount, location.prefix),
        what: what.to_owned(),
    };
    let transit_key = keys["transit_key"]
        .as_str()
        .ok_or_else(|| malformed("no transit key name"))?;
    let ciphertext = keys["ciphertext"]
        .as_str()
        .ok_or_else(|| malformed("no wrapped data key"))?;
    let vault_id = keys["vault_id"]
        .as_str()
        .and_then(store::unhex)
        .and_then(|id| <[u8; VAULT_ID_LEN]>::try_from(id).ok())
        .ok_or_else(|| malformed("no vault id"))?;
    let data_key = transit::decrypt(&kv.http, transit_key, ciphertext)?;
    Ok(OpenBaoStore::new(
        kv,
        location.clone(),
        vault_id,
        data_key,
        actor,
    ))
}

/// Creates a vault at `location`: the transit key if missing, a new data key
/// wrapped by it, stored create-only (an initialised location is refused).
pub fn init(
    location: &OpenBaoLocation,
    login: &BaoLogin,
    transit_key: &str,
) -> Result<OpenBaoStore, VaultError> {
    let (kv, actor) = connect(location, login)?;
    if kv.current_version(KEYS)? > 0 {
        return Err(already(location));
    }
    transit::ensure_key(&kv.http, transit_key)?;
    let (data_key, ciphertext) = transit::data_key(&kv.http, transit_key)?;
    let mut vault_id = [0u8; VAULT_ID_LEN];
    fill_random(&mut vault_id)?;
    let keys = json!({
        "transit_key": transit_key,
        "ciphertext": ciphertext,
        "vault_id": store::hex(&vault_id),
        "format": 1,
    });
    match kv.write(KEYS, keys, 0) {
        Err(OpenBaoError::CasConflict { .. }) => return Err(already(location)),
        other => other?,
    };
    let store = OpenBaoStore::new(kv, location.clone(), vault_id, data_key, actor);
    store.bump()?;
    Ok(store)
}

fn already(location: &OpenBaoLocation) -> VaultError {
    OpenBaoError::AlreadyInitialised {
        location: location.to_string(),
    }
    .into()
}

/// Starts the client, logs in, and says who the session is.
fn connect(location: &OpenBaoLocation, login: &BaoLogin) -> Result<(Kv, String), VaultError> {
    let http = Arc::new(Http::start(location)?);
    let session = login.start(&http)?;
    let kv = Kv {
        http,
        mount: location.mount.clone(),
        prefix: location.prefix.clone(),
    };
    Ok((kv, session.actor))
}
