//! Turning references into values: the connection's field (or its default)
//! or its current access token, for `get` and `exec`.

use zeroize::Zeroizing;

use crate::catalog::{Catalog, Method};
use crate::locale::Locale;
use crate::vault::audit::{AuditAction, AuditEvent};
use crate::vault::{Connection, Store};

use super::error::{CliError, Exit};
use super::fields::effective_value;
use super::reference::{FieldRef, Reference, ReferenceError, TOKEN_FIELD};
use super::tokens::usable_token;

/// A resolved value, and whether it is an access token (not a stored field).
pub struct Resolved {
    pub value: Zeroizing<String>,
    pub is_access_token: bool,
}

/// Resolves references against one open vault, and remembers which fields
/// of which connection were handed out, for the audit trail.
pub struct Resolver<'v> {
    vault: &'v mut dyn Store,
    locale: &'static Locale,
    /// How long a token must still be valid when handed out.
    min_valid: time::Duration,
    /// Each connection used, with the keys resolved from it, in first-use order.
    used: Vec<(Connection, Vec<String>)>,
}

impl<'v> Resolver<'v> {
    /// A resolver whose tokens last at least `min_valid` more.
    pub fn new(
        vault: &'v mut dyn Store,
        locale: &'static Locale,
        min_valid: time::Duration,
    ) -> Resolver<'v> {
        Resolver {
            vault,
            locale,
            min_valid,
            used: Vec::new(),
        }
    }

    /// The value `reference` names. Errors say which connection and field,
    /// never a value: unknown connection, unknown field, or no value are
    /// "not found" (exit 5).
    pub fn resolve(&mut self, reference: &Reference) -> Result<Resolved, CliError> {
        let connection = self.vault.connection(&reference.name)?;
        let method = Catalog::embedded()
            .service(&connection.service)
            .and_then(|s| s.method(&connection.method));
        let uses_tokens = method.is_some_and(|m| m.auth.uses_tokens());
        let is_access_token = uses_tokens && reference.field == FieldRef::Token;
        let value = match &reference.field {
            // Static methods may have a field keyed `token` (http bearer,
            // telegram): there it is that field, as the catalog names it.
            FieldRef::Token if !uses_tokens => {
                self.field_value(&connection, method, TOKEN_FIELD)?
            }
            FieldRef::Token => {
                let token =
                    usable_token(self.locale, &mut *self.vault, &connection, self.min_valid)?;
                Zeroizing::new(token.access_token.expose().to_owned())
            }
            FieldRef::Field(key) => self.field_value(&connection, method, key)?,
        };
        self.note_use(connection, reference.field_key());
        Ok(Resolved {
            value,
            is_access_token,
        })
    }

    fn field_value(
        &self,
        connection: &Connection,
        method: Option<&Method>,
        key: &str,
    ) -> Result<Zeroizing<String>, CliError> {
        let known = method.map_or_else(
            || connection.fields.get(key).is_some(),
            |m| m.field(key).is_some(),
        );
        if !known {
            return Err(CliError {
                exit: Exit::NotFound,
                message: self.locale.f(
                    "reference.unknown_field",
                    &[
                        ("name", &connection.name),
                        ("field", key),
                        ("keys", &field_keys(connection, method).join(", ")),
                    ],
                ),
            });
        }
        let value = match method {
            Some(m) => effective_value(m, &connection.fields, key),
            None => connection.fields.get(key).map(str::to_owned),
        };
        value.map(Zeroizing::new).ok_or_else(|| CliError {
            exit: Exit::NotFound,
            message: self.locale.f(
                "reference.no_value",
                &[("name", &connection.name), ("field", key)],
            ),
        })
    }

    fn note_use(&mut self, connection: Connection, key: &str) {
        match self.used.iter_mut().find(|(c, _)| c.id == connection.id) {
            Some((_, keys)) if keys.iter().any(|k| k == key) => {}
            Some((_, keys)) => keys.push(key.to_owned()),
            None => self.used.push((connection, vec![key.to_owned()])),
        }
    }

    /// Records one `action` entry per connection used, naming the keys
    /// resolved from it and `purpose` (never a value).
    pub fn record(&mut self, action: AuditAction, purpose: Option<&str>) -> Result<(), CliError> {
        for (connection, keys) in &self.used {
            let detail = match purpose {
                Some(purpose) => format!("{} ({purpose})", keys.join(", ")),
                None => keys.join(", "),
            };
            self.vault
                .append_audit(&AuditEvent::connection(action, connection, Some(detail)))?;
        }
        Ok(())
    }
}

/// The keys a reference to `connection` may name: its method's fields, and
/// `token` where the method keeps tokens.
fn field_keys(connection: &Connection, method: Option<&Method>) -> Vec<String> {
    let Some(method) = method else {
        return connection
            .fields
            .iter()
            .map(|(k, _)| k.to_owned())
            .collect();
    };
    let mut keys: Vec<String> = method.fields.iter().map(|f| f.key.clone()).collect();
    if method.auth.uses_tokens() {
        keys.push(TOKEN_FIELD.to_owned());
    }
    keys
}

/// A malformed reference as a usage error (exit 2) naming what is wrong.
/// A text that is no reference at all is not quoted: it may be a secret
/// given by mistake (`--env KEY=sk_live_…`).
pub fn reference_error(locale: &Locale, text: &str, error: &ReferenceError) -> CliError {
    if *error == ReferenceError::NoScheme {
        return CliError::usage(locale.t("reference.no_scheme"));
    }
    let why = locale.t(match error {
        ReferenceError::NoScheme => "reference.no_scheme",
        ReferenceError::TooLong => "reference.too_long",
        ReferenceError::NoField => "reference.no_field",
        ReferenceError::EmptyName => "reference.empty_name",
        ReferenceError::EmptyField => "reference.empty_field",
        ReferenceError::ExtraSegments => "reference.extra_segments",
        ReferenceError::BadEscape => "reference.bad_escape",
        ReferenceError::NotUtf8 => "reference.not_utf8",
        ReferenceError::ControlCharacter => "reference.control_character",
        ReferenceError::BadField => "reference.bad_field",
    });
    // A reference far too long is cut: the message is one readable line.
    let shown: String = text.chars().take(120).collect();
    CliError::usage(locale.f("reference.invalid", &[("reference", &shown), ("why", why)]))
}
