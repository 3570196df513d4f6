//! A response body as received, and as it reads: JSON re-indented in the
//! server's own key order, form bodies as `key = value` lines, other text as
//! it came; and a body saved to a file exactly, never over one by accident.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::auth::bounds::truncated;

/// Largest response body kept for display.
pub const MAX_SHOWN: usize = 1 << 20;

/// A JSON value that keeps an object's members in the order they came.
///
/// serde_json's `Value` sorts them unless the crate is built with
/// `preserve_order`, which would also reorder every other JSON the program
/// prints; this keeps the choice to response bodies and costs no dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderedJson {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<OrderedJson>),
    /// Members in the server's order, duplicates kept as sent.
    Object(Vec<(String, OrderedJson)>),
}

impl OrderedJson {
    /// The body parsed as JSON, or `None` if it is not JSON.
    pub fn parse(bytes: &[u8]) -> Option<OrderedJson> {
        serde_json::from_slice(bytes).ok()
    }
}

impl Serialize for OrderedJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OrderedJson::Null => serializer.serialize_unit(),
            OrderedJson::Bool(b) => serializer.serialize_bool(*b),
            OrderedJson::Number(n) => n.serialize(serializer),
            OrderedJson::String(s) => serializer.serialize_str(s),
            OrderedJson::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            OrderedJson::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for OrderedJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = OrderedJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }

    fn visit_none<E>(self) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OrderedJson, D::Error> {
        OrderedJson::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<OrderedJson, E> {
        serde_json::Number::from_f64(n)
            .map(OrderedJson::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, s: &str) -> Result<OrderedJson, E> {
        Ok(OrderedJson::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<OrderedJson, E> {
        Ok(OrderedJson::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OrderedJson, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(OrderedJson::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedJson, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, OrderedJson>()? {
            members.push((key, value));
        }
        Ok(OrderedJson::Object(members))
    }
}

/// Whether the headers say the body is an HTML form's fields.
pub fn is_form(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-type")
            && value.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
    })
}

/// The body as it reads: JSON pretty-printed in the server's key order, a
/// form's fields decoded one `key = value` a line, other bytes as text; cut
/// at [`MAX_SHOWN`]. A cut body (`complete` false) is never parsed: its
/// end is missing.
pub fn shown_body(bytes: &[u8], headers: &[(String, String)], complete: bool) -> String {
    if complete
        && let Some(json) = OrderedJson::parse(bytes)
        && let Ok(pretty) = serde_json::to_string_pretty(&json)
    {
        return truncated(&pretty, MAX_SHOWN);
    }
    let bytes = &bytes[..bytes.len().min(MAX_SHOWN)];
    if is_form(headers) {
        let lines: Vec<String> = url::form_urlencoded::parse(bytes)
            .map(|(key, value)| format!("{key} = {value}"))
            .collect();
        return lines.join("\n");
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Why a body could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file is there; saving again with `overwrite` replaces it.
    #[error("{0} exists")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `body` to `path` exactly. An existing file is replaced only with
/// `overwrite`, and then whole or not at all: the body goes to a file beside
/// it that is renamed over it once written.
pub fn save_body(path: &Path, body: &[u8], overwrite: bool) -> Result<(), SaveError> {
    let io = |source| SaveError::Io {
        path: path.to_owned(),
        source,
    };
    if !overwrite {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => SaveError::Exists(path.to_owned()),
                _ => io(e),
            })?;
        return file
            .write_all(body)
            .and_then(|()| file.sync_all())
            .map_err(io);
    }
    let name = path.file_name().map_or_else(
        || std::ffi::OsString::from("body"),
        std::ffi::OsStr::to_os_string,
    );
    let mut partial = name;
    partial.push(format!(".{}.part", std::process::id()));
    let temp = path.with_file_name(partial);
    let written = std::fs::File::create(&temp)
        .and_then(|mut file| file.write_all(body).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(io)
}

/// A path as typed: `~/` is the home folder.
pub fn expand_home(typed: &str) -> PathBuf {
    match typed.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map_or_else(|| PathBuf::from(typed), |d| d.home_dir().join(rest)),
        None => PathBuf::from(typed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Vec<(String, String)> {
        vec![(
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )]
    }

    #[test]
    fn json_keeps_the_servers_key_order() {
        let shown = shown_body(br#"{"z":1,"a":{"y":[true,null],"b":"x"}}"#, &[], true);
        assert_eq!(
            shown,
            "{\n  \"z\": 1,\n  \"a\": {\n    \"y\": [\n      true,\n      null\n    ],\n    \"b\": \"x\"\n  }\n}"
        );
    }

    #[test]
    fn a_form_body_reads_one_field_a_line() {
        let shown = shown_body(b"token=a%2Bb&scope=read+write&empty=", &form(), true);
        assert_eq!(shown, "token = a+b\nscope = read write\nempty = ");
        // Not said to be a form: shown as it came.
        assert_eq!(shown_body(b"a=1&b=2", &[], true), "a=1&b=2");
    }

    #[test]
    fn a_cut_body_is_shown_as_text() {
        assert_eq!(shown_body(br#"{"a":1}"#, &[], false), r#"{"a":1}"#);
    }

    #[test]
    fn saving_refuses_an_existing_file_unless_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.json");
        save_body(&path, b"first", false).unwrap();
        assert!(matches!(
            save_body(&path, b"second", false),
            Err(SaveError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        save_body(&path, b"\x00second\xff", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"\x00second\xff");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no partial file is left: {left:?}");
    }
}
