//! The vault's domain records: connections and their credentials.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Stable identity of a connection; flow actions refer to it, not to the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(String);

impl ConnectionId {
    /// A new random id.
    pub fn random() -> ConnectionId {
        ConnectionId(crate::vault::crypto::random_uuid().to_string())
    }

    /// Wraps an id read from storage.
    pub fn from_stored(id: String) -> ConnectionId {
        ConnectionId(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A credential value, wiped on drop and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> SecretValue {
        SecretValue(Zeroizing::new(value.into()))
    }

    /// The value itself; callers decide whether it may be shown.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// A connection's field values by field key.
///
/// A few fields each, kept as a vector sorted by key: a map's smallest node
/// holds eleven entries, which made every connection of a 10,000-row list
/// cost half a kilobyte more. Stored as a JSON object, as a map would be.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(Vec<(String, SecretValue)>);

impl Credentials {
    /// The value of a field, if set and not blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key)
            .ok()
            .map(|i| self.0[i].1.expose())
            .filter(|v| !v.trim().is_empty())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Sets a field; a blank value removes it.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match (self.find(&key), value.trim().is_empty()) {
            (Ok(i), true) => {
                self.0.remove(i);
            }
            (Err(_), true) => {}
            (Ok(i), false) => self.0[i].1 = SecretValue::new(value),
            (Err(i), false) => self.0.insert(i, (key, SecretValue::new(value))),
        }
    }

    /// Field keys and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SecretValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl Serialize for Credentials {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Credentials {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through a map: the same keys in any order, a repeated key's last value.
        let map = BTreeMap::<String, SecretValue>::deserialize(deserializer)?;
        Ok(Credentials(map.into_iter().collect()))
    }
}

/// A named set of credentials for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub name: String,
    /// Catalog service id ("auth0").
    pub service: String,
    /// Catalog method id of that service ("client_credentials").
    pub method: String,
    pub fields: Credentials,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The stored version this copy stands for (a new record is saved as
    /// version 1); a save names it, and fails if another writer came first.
    pub version: i64,
}

impl Connection {
    /// A new connection with a fresh id, created now.
    pub fn new(
        name: impl Into<String>,
        service: &str,
        method: &str,
        fields: Credentials,
    ) -> Connection {
        let now = now();
        Connection {
            id: ConnectionId::random(),
            name: canonical_name(&name.into()),
            service: service.to_owned(),
            method: method.to_owned(),
            fields,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// A connection whose sealed values failed their integrity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamagedConnection {
    pub id: ConnectionId,
    /// The name, when that value itself was intact.
    pub name: Option<String>,
}

/// One row of the connection table as read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StoredConnection {
    Intact(Connection),
    Damaged(DamagedConnection),
}

impl StoredConnection {
    /// The id, whatever the row's state.
    pub fn id(&self) -> &ConnectionId {
        match self {
            StoredConnection::Intact(c) => &c.id,
            StoredConnection::Damaged(d) => &d.id,
        }
    }

    /// The readable name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            StoredConnection::Intact(c) => Some(&c.name),
            StoredConnection::Damaged(d) => d.name.as_deref(),
        }
    }
}

/// Longest connection name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a connection name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the connection name is empty")]
    Empty,
    #[error("the connection name is longer than 100 characters")]
    TooLong,
    #[error("the connection name contains control characters")]
    ControlCharacters,
    #[error("the connection name contains invisible or direction-changing characters")]
    Invisible,
}

/// Checks a new connection or flow name: non-blank, of reasonable length, and
/// free of characters that make one name look like another or reorder what is
/// shown around it (controls, bidi overrides, zero-width characters).
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let name = canonical_name(name);
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().count() > MAX_NAME_CHARS {
        Err(NameError::TooLong)
    } else if name.chars().any(|c| c.is_control() || is_line_break(c)) {
        Err(NameError::ControlCharacters)
    } else if name.chars().any(is_invisible) {
        Err(NameError::Invisible)
    } else {
        Ok(())
    }
}

/// The form a name is stored in: trimmed and in Unicode NFC, so the same
/// text typed as composed or decomposed characters is one name.
pub fn canonical_name(name: &str) -> String {
    name.trim().nfc().collect()
}

/// The form names are compared in: NFC, trimmed, inner spaces collapsed, lower case.
pub fn normalise_name(name: &str) -> String {
    let composed: String = name.nfc().collect();
    let collapsed = composed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    // Lower-casing can decompose again in rare cases.
    collapsed.nfc().collect()
}

/// Line and paragraph separators, which `char::is_control` does not cover.
fn is_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters with no glyph of their own that can hide in a name: bidi
/// controls (which reorder the text around them), zero-width characters and
/// joiners, fillers and other invisible format characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                    // soft hyphen
        | '\u{034F}'                  // combining grapheme joiner
        | '\u{061C}'                  // Arabic letter mark
        | '\u{115F}' | '\u{1160}'     // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'     // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'     // Mongolian selectors and vowel separator
        | '\u{200B}'..='\u{200F}'     // zero-width space, (non-)joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'     // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'     // word joiner, invisible operators, bidi isolates
        | '\u{3164}' | '\u{FFA0}'     // Hangul fillers
        | '\u{FEFF}'                  // zero-width no-break space (BOM)
        | '\u{FFF9}'..='\u{FFFB}'     // interlinear annotation
        | '\u{1D173}'..='\u{1D17A}'   // musical formatting
        | '\u{E0000}'..='\u{E007F}'   // tags
    )
}

/// The current time, to the second (the vault stores no finer).
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_credentials_hides_every_value() {
        let mut fields = Credentials::default();
        fields.set("client_secret", "canary-secret-value");
        let conn = Connection::new("Mgmt", "auth0", "client_credentials", fields);
        let debug = format!("{conn:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert!(
            debug.contains("client_secret") && debug.contains("[REDACTED]"),
            "{debug}"
        );
    }

    #[test]
    fn names_with_hidden_or_reordering_characters_are_refused() {
        for name in [
            "prod\u{202E}gnp",
            "pro\u{200B}d",
            "\u{FEFF}prod",
            "prod\u{2066}x\u{2069}",
            "prod\u{200F}",
            "prod\u{061C}",
            "prod\u{2060}",
            "prod\u{200D}",
        ] {
            assert_eq!(validate_name(name), Err(NameError::Invisible), "{name:?}");
        }
        for name in ["a\tb", "a\u{1b}[31mb", "a\u{85}b", "a\u{2028}b"] {
            assert_eq!(
                validate_name(name),
                Err(NameError::ControlCharacters),
                "{name:?}"
            );
        }
        assert_eq!(validate_name("Café prod 🚀"), Ok(()));
    }

    #[test]
    fn composed_and_decomposed_names_are_one_name() {
        let composed = "Caf\u{E9}";
        let decomposed = "Cafe\u{301}";
        assert_eq!(normalise_name(composed), normalise_name(decomposed));
        assert_eq!(canonical_name(decomposed), composed);
        let conn = Connection::new(decomposed, "auth0", "m", Credentials::default());
        assert_eq!(conn.name, composed);
        // NFC keeps a 100-character limit on what is stored.
        assert_eq!(validate_name(&"e\u{301}".repeat(100)), Ok(()));
    }

    #[test]
    fn blank_values_unset_a_field() {
        let mut fields = Credentials::default();
        fields.set("a", "x");
        fields.set("a", "  ");
        assert!(fields.is_empty());
    }
}
