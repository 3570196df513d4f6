//! The KV v2 calls the store makes: read, write with check-and-set, the
//! current version from metadata, list, and delete (every version).

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::OpenBaoError;
use super::http::{Http, Request, Response};

/// One KV v2 mount, with paths relative to the vault's prefix.
#[derive(Debug, Clone)]
pub struct Kv {
    pub http: Arc<Http>,
    pub mount: String,
    pub prefix: String,
}

/// An entry as read: its data and its version.
#[derive(Debug)]
pub struct Entry {
    pub version: i64,
    pub data: Value,
    /// When this version was written, if OpenBao said.
    pub written_at: Option<time::OffsetDateTime>,
}

impl Kv {
    fn data_path(&self, key: &str) -> String {
        format!("{}/data/{}/{key}", self.mount, self.prefix)
    }

    fn metadata_path(&self, key: &str) -> String {
        format!("{}/metadata/{}/{key}", self.mount, self.prefix)
    }

    /// The latest version of `key`, if there is one.
    pub fn read(&self, key: &str) -> Result<Option<Entry>, OpenBaoError> {
        self.read_many(&[key.to_owned()]).pop().expect("one answer")
    }

    /// Several entries at once, in order.
    pub fn read_many(&self, keys: &[String]) -> Vec<Result<Option<Entry>, OpenBaoError>> {
        let paths: Vec<String> = keys.iter().map(|k| self.data_path(k)).collect();
        let answers = self
            .http
            .batch(paths.iter().cloned().map(Request::get).collect());
        answers
            .into_iter()
            .zip(paths)
            .map(|(answer, path)| {
                let response = answer?;
                if self.absent(&path, &response)? {
                    return Ok(None);
                }
                let mut json = checked(&path, response)?;
                let version = json["data"]["metadata"]["version"]
                    .as_i64()
                    .ok_or_else(|| OpenBaoError::Malformed {
                        path: path.clone(),
                        what: "no version".into(),
                    })?;
                let written_at = json["data"]["metadata"]["created_time"]
                    .as_str()
                    .and_then(|t| {
                        time::OffsetDateTime::parse(
                            t,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    });
                Ok(Some(Entry {
                    version,
                    data: json["data"]["data"].take(),
                    written_at,
                }))
            })
            .collect()
    }

    /// Writes `data` at `key` if its current version is `cas` (0: only if
    /// it does not exist); returns the new version.
    pub fn write(&self, key: &str, data: Value, cas: i64) -> Result<i64, OpenBaoError> {
        self.put(key, json!({ "options": { "cas": cas }, "data": data }))
    }

    /// Writes without check-and-set (the change counter only).
    pub fn write_any(&self, key: &str, data: Value) -> Result<i64, OpenBaoError> {
        self.put(key, json!({ "data": data }))
    }

    fn put(&self, key: &str, body: Value) -> Result<i64, OpenBaoError> {
        let path = self.data_path(key);
        let response = self.http.call(Request::post(path.clone(), body))?;
        if response.status == 400 && response.errors().contains("check-and-set") {
            return Err(OpenBaoError::CasConflict { path });
        }
        let json = checked(&path, response)?;
        json["data"]["version"]
            .as_i64()
            .ok_or(OpenBaoError::Malformed {
                path,
                what: "no version".into(),
            })
    }

    /// The current version of `key` from its metadata (no value read); 0 if none.
    pub fn current_version(&self, key: &str) -> Result<i64, OpenBaoError> {
        let path = self.metadata_path(key);
        let response = self.http.call(Request::get(path.clone()))?;
        if self.absent(&path, &response)? {
            return Ok(0);
        }
        let json = checked(&path, response)?;
        Ok(json["data"]["current_version"].as_i64().unwrap_or(0))
    }

    /// The keys directly below folder `dir`.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, OpenBaoError> {
        let path = self.metadata_path(dir);
        let response = self.http.call(Request::list(format!("{path}/")))?;
        if self.absent(&path, &response)? {
            return Ok(Vec::new());
        }
        let json = checked(&path, response)?;
        Ok(json["data"]["keys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether a 404 means "no such entry"; a 404 for a path no mount
    /// handles is the mount missing.
    fn absent(&self, path: &str, response: &Response) -> Result<bool, OpenBaoError> {
        if response.status != 404 {
            return Ok(false);
        }
        if response.errors().contains("no handler") {
            return Err(OpenBaoError::KvNotMounted {
                mount: self.mount.clone(),
                path: path.to_owned(),
            });
        }
        Ok(true)
    }

    /// Removes `key` and every version of it.
    pub fn delete(&self, key: &str) -> Result<(), OpenBaoError> {
        let path = self.metadata_path(key);
        let response = self.http.call(Request::delete(path.clone()))?;
        if response.status == 404 {
            return Ok(());
        }
        checked(&path, response).map(|_| ())
    }
}

/// The JSON of a successful answer, or the error its status means.
pub fn checked(path: &str, response: Response) -> Result<Value, OpenBaoError> {
    match response.status {
        200..=299 => response.json(path),
        403 => Err(OpenBaoError::PermissionDenied {
            path: path.to_owned(),
        }),
        status => Err(OpenBaoError::Http {
            status,
            path: path.to_owned(),
            message: response.errors(),
        }),
    }
}
