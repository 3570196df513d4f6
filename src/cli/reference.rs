//! Secret references, `flowvault://NAME/FIELD`: how `get` and `exec` name
//! one value of one connection. Parsing only; resolving is `resolve`'s job.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// The scheme every reference starts with.
pub const SCHEME: &str = "flowvault://";

/// The field that stands for the connection's current access token.
pub const TOKEN_FIELD: &str = "token";

/// Longest reference accepted: a name is at most 100 characters, each at
/// most 12 bytes once percent-encoded, plus the scheme and a field key.
const MAX_REFERENCE_BYTES: usize = 2048;

/// What a name is percent-encoded for in a reference: the separator, the
/// escape character itself and spaces (so a reference is one shell word).
const NAME_ESCAPES: &AsciiSet = &CONTROLS.add(b'/').add(b'%').add(b' ');

/// Which value of a connection a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// The current access token, fetched or renewed as `token` does.
    Token,
    /// A catalog field key of the connection's method.
    Field(String),
}

/// One parsed `flowvault://NAME/FIELD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The connection's name, percent-decoded.
    pub name: String,
    pub field: FieldRef,
}

/// Why a text is not a reference; never holds more than the text's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("does not start with flowvault://")]
    NoScheme,
    #[error("is longer than {MAX_REFERENCE_BYTES} bytes")]
    TooLong,
    #[error("has no /FIELD after the connection name")]
    NoField,
    #[error("has an empty connection name")]
    EmptyName,
    #[error("has an empty field")]
    EmptyField,
    #[error("has more than NAME/FIELD (encode a / in a name as %2F)")]
    ExtraSegments,
    #[error("has a % not followed by two hexadecimal digits")]
    BadEscape,
    #[error("has a name that is not UTF-8 once decoded")]
    NotUtf8,
    #[error("holds a control character")]
    ControlCharacter,
    #[error("has a field that is not a field key (letters, digits, _)")]
    BadField,
}

impl Reference {
    /// Whether `text` is meant as a reference (it has the scheme), valid or not.
    pub fn looks_like(text: &str) -> bool {
        text.get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
    }

    /// Parses `flowvault://NAME/FIELD`; NAME may hold `%XX` escapes (`%2F`
    /// for `/`) and literal spaces.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        if !Reference::looks_like(text) {
            return Err(ReferenceError::NoScheme);
        }
        if text.len() > MAX_REFERENCE_BYTES {
            return Err(ReferenceError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(ReferenceError::ControlCharacter);
        }
        let rest = &text[SCHEME.len()..];
        let (raw_name, field) = rest.split_once('/').ok_or(ReferenceError::NoField)?;
        if field.contains('/') {
            return Err(ReferenceError::ExtraSegments);
        }
        let name = decode_name(raw_name)?;
        if name.trim().is_empty() {
            return Err(ReferenceError::EmptyName);
        }
        if field.is_empty() {
            return Err(ReferenceError::EmptyField);
        }
        Ok(Reference {
            name,
            field: parse_field(field)?,
        })
    }

    /// A reference to `field` of the connection `name`.
    pub fn new(name: &str, field: &str) -> Result<Reference, ReferenceError> {
        if name.trim().is_empty() {
            return Err(ReferenceError::EmptyName);
        }
        if name.chars().any(char::is_control) {
            return Err(ReferenceError::ControlCharacter);
        }
        Ok(Reference {
            name: name.to_owned(),
            field: parse_field(field)?,
        })
    }

    /// The field's key as written (`token` for the access token).
    pub fn field_key(&self) -> &str {
        match &self.field {
            FieldRef::Token => TOKEN_FIELD,
            FieldRef::Field(key) => key,
        }
    }
}

impl fmt::Display for Reference {
    /// The canonical form: the name percent-encoded where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}{}/{}",
            utf8_percent_encode(&self.name, NAME_ESCAPES),
            self.field_key()
        )
    }
}

fn decode_name(raw: &str) -> Result<String, ReferenceError> {
    // percent_decode_str passes a malformed escape through; refuse it instead,
    // so a typo never silently names another connection.
    let bytes = raw.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(ReferenceError::BadEscape);
        }
    }
    let name = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ReferenceError::NotUtf8)?;
    if name.chars().any(char::is_control) {
        return Err(ReferenceError::ControlCharacter);
    }
    Ok(name.into_owned())
}

fn parse_field(field: &str) -> Result<FieldRef, ReferenceError> {
    if field.is_empty() {
        return Err(ReferenceError::EmptyField);
    }
    if !field
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(ReferenceError::BadField);
    }
    Ok(if field == TOKEN_FIELD {
        FieldRef::Token
    } else {
        FieldRef::Field(field.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, key: &str) -> Reference {
        Reference {
            name: name.to_owned(),
            field: FieldRef::Field(key.to_owned()),
        }
    }

    #[test]
    fn a_plain_reference_names_a_connection_and_a_field() {
        assert_eq!(
            Reference::parse("flowvault://stripe/api_key"),
            Ok(field("stripe", "api_key"))
        );
        assert_eq!(
            Reference::parse("flowvault://Mgmt API/token"),
            Ok(Reference {
                name: "Mgmt API".into(),
                field: FieldRef::Token
            })
        );
    }

    #[test]
    fn escapes_and_literal_spaces_decode_to_the_same_name() {
        let spaced = Reference::parse("flowvault://billing api/secret").unwrap();
        let escaped = Reference::parse("flowvault://billing%20api/secret").unwrap();
        assert_eq!(spaced, escaped);
        assert_eq!(
            Reference::parse("flowvault://team%2Fprod/secret")
                .unwrap()
                .name,
            "team/prod"
        );
        assert_eq!(
            Reference::parse("flowvault://caf%C3%A9/secret")
                .unwrap()
                .name,
            "café"
        );
        assert_eq!(
            Reference::parse("flowvault://100%25/secret").unwrap().name,
            "100%"
        );
    }

    #[test]
    fn the_canonical_form_parses_back_to_the_same_reference() {
        for name in ["team/prod", "billing api", "100%", "café", "a?b#c"] {
            let reference = field(name, "client_secret");
            let text = reference.to_string();
            assert!(!text[SCHEME.len()..].contains(' '), "{text}");
            assert_eq!(Reference::parse(&text), Ok(reference), "{text}");
        }
        assert_eq!(
            field("team/prod", "x").to_string(),
            "flowvault://team%2Fprod/x"
        );
    }

    #[test]
    fn the_scheme_is_required_and_case_blind() {
        assert_eq!(
            Reference::parse("stripe/api_key"),
            Err(ReferenceError::NoScheme)
        );
        assert_eq!(Reference::parse("op://a/b"), Err(ReferenceError::NoScheme));
        assert_eq!(Reference::parse(""), Err(ReferenceError::NoScheme));
        assert!(Reference::parse("FlowVault://a/b").is_ok());
        assert!(!Reference::looks_like("flowvault:/"));
    }

    #[test]
    fn hostile_shapes_are_refused_with_what_is_wrong() {
        use ReferenceError as E;
        let cases = [
            ("flowvault://", E::NoField),
            ("flowvault://stripe", E::NoField),
            ("flowvault:///api_key", E::EmptyName),
            ("flowvault://%20/api_key", E::EmptyName),
            ("flowvault://stripe/", E::EmptyField),
            ("flowvault://team/prod/api_key", E::ExtraSegments),
            ("flowvault://stripe/api_key/", E::ExtraSegments),
            ("flowvault://a%2/b", E::BadEscape),
            ("flowvault://a%zz/b", E::BadEscape),
            ("flowvault://a%/b", E::BadEscape),
            ("flowvault://a%FF/b", E::NotUtf8),
            ("flowvault://a%0Ab/x", E::ControlCharacter),
            ("flowvault://a\u{1b}[31m/x", E::ControlCharacter),
            ("flowvault://a/x\n", E::ControlCharacter),
            ("flowvault://a/api key", E::BadField),
            ("flowvault://a/api%5Fkey", E::BadField),
            ("flowvault://a/tök", E::BadField),
        ];
        for (text, expected) in cases {
            assert_eq!(Reference::parse(text), Err(expected), "{text:?}");
        }
        let long = format!("flowvault://{}/x", "a".repeat(MAX_REFERENCE_BYTES));
        assert_eq!(Reference::parse(&long), Err(ReferenceError::TooLong));
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        // Multi-byte characters next to the scheme and escapes at the end
        // are where slicing would break.
        for text in [
            "flowvault:/é",
            "flowvaulté://a/b",
            "flowvault://é",
            "flowvault://%",
            "flowvault://%e",
            "flowvault://a/%",
            "é",
            "flowvault://\u{0}/\u{0}",
        ] {
            let _ = Reference::parse(text);
        }
    }

    #[test]
    fn a_reference_from_name_and_field_arguments_is_checked_too() {
        assert_eq!(
            Reference::new("team/prod", "token").unwrap().field,
            FieldRef::Token
        );
        assert_eq!(Reference::new(" ", "x"), Err(ReferenceError::EmptyName));
        assert_eq!(Reference::new("a", ""), Err(ReferenceError::EmptyField));
        assert_eq!(Reference::new("a", "b/c"), Err(ReferenceError::BadField));
    }
}
