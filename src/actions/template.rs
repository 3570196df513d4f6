//! Expands the catalog's request templates, twice: the real value, and the one
//! shown to the operator with every secret as `••••••`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::catalog::{Action, Method, domain_url};
use crate::vault::{Connection, Credentials};

/// What secrets look like wherever a request is shown.
pub const MASK: &str = "••••••";

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An expanded template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub real: String,
    pub shown: String,
    /// The template was a single placeholder whose value is empty: an optional
    /// input left blank, which bodies leave out.
    pub blank: bool,
    /// A secret went into it.
    pub secret: bool,
}

/// Where an expansion goes, which decides the encoding of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Url,
    Text,
}

/// A template placeholder that names nothing known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown placeholder {{{0}}} in the action's template")]
pub struct UnknownPlaceholder(pub String);

/// The values templates can use.
pub struct TemplateContext<'a> {
    pub action: &'a Action,
    pub inputs: &'a Credentials,
    pub connection: Option<(&'a Connection, &'a Method)>,
}

impl TemplateContext<'_> {
    /// An input's value, or its default.
    pub fn input(&self, key: &str) -> Option<(String, bool)> {
        let field = self.action.input(key)?;
        let value = self
            .inputs
            .get(key)
            .map(str::to_owned)
            .or_else(|| field.default.clone())?;
        Some((value, field.secret))
    }

    /// A connection field's value, or its default.
    pub fn field(&self, key: &str) -> Option<(String, bool)> {
        let (connection, method) = self.connection?;
        let field = method.field(key)?;
        let value = connection
            .fields
            .get(key)
            .map(str::to_owned)
            .or_else(|| field.default_for(connection.fields.get("domain")))?;
        Some((value, field.secret))
    }

    fn lookup(&self, name: &str) -> Result<(String, bool), UnknownPlaceholder> {
        let unknown = || UnknownPlaceholder(name.to_owned());
        if name == "domain_url" {
            let (domain, _) = self.field("domain").ok_or_else(unknown)?;
            return Ok((domain_url(&domain), false));
        }
        if let Some(key) = name.strip_prefix("input.") {
            self.action.input(key).ok_or_else(unknown)?;
            return Ok(self.input(key).unwrap_or_default());
        }
        if let Some(key) = name.strip_prefix("conn.") {
            return Ok(self.field(key).unwrap_or_default());
        }
        Err(unknown())
    }

    /// Expands `template` for `place`.
    pub fn expand(&self, template: &str, place: Place) -> Result<Expanded, UnknownPlaceholder> {
        let mut out = Expanded {
            real: String::new(),
            shown: String::new(),
            blank: false,
            secret: false,
        };
        let mut rest = template;
        let mut placeholders = 0;
        let mut literal = false;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let (before, inner) = (&rest[..start], &rest[start + 1..start + len]);
            literal |= !before.is_empty();
            out.real.push_str(before);
            out.shown.push_str(before);
            let (name, raw) = match inner.strip_suffix("|raw") {
                Some(name) => (name, true),
                // A base URL is never a path segment.
                None => (inner, inner == "domain_url"),
            };
            let (value, secret) = self.lookup(name)?;
            placeholders += 1;
            let encoded = match place {
                Place::Url if !raw => utf8_percent_encode(&value, PATH_SEGMENT).to_string(),
                _ => value.clone(),
            };
            out.real.push_str(&encoded);
            out.shown.push_str(if secret { MASK } else { &encoded });
            out.secret |= secret;
            out.blank = value.is_empty();
            rest = &rest[start + len + 1..];
        }
        literal |= !rest.is_empty();
        out.real.push_str(rest);
        out.shown.push_str(rest);
        out.blank &= placeholders == 1 && !literal;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn twilio() -> Connection {
        let mut fields = Credentials::default();
        fields.set("account_sid", "AC0123456789abcdef0123456789abcdef");
        fields.set("auth_token", "tok-secret");
        Connection::new("sms", "twilio", "auth_token", fields)
    }

    #[test]
    fn secrets_are_masked_in_what_is_shown_and_values_encoded_in_urls() {
        let catalog = Catalog::embedded();
        let action = catalog.action("auth0.get_user").unwrap();
        let mut fields = Credentials::default();
        fields.set("domain", "t.eu.auth0.com");
        let conn = Connection::new("m", "auth0", "client_credentials", fields);
        let method = catalog.service("auth0").unwrap().default_method();
        let mut inputs = Credentials::default();
        inputs.set("user_id", "auth0|42");
        let ctx = TemplateContext {
            action,
            inputs: &inputs,
            connection: Some((&conn, method)),
        };
        let url = ctx
            .expand("{domain_url}/api/v2/users/{input.user_id}", Place::Url)
            .unwrap();
        assert_eq!(url.real, "https://t.eu.auth0.com/api/v2/users/auth0%7C42");
        assert_eq!(url.shown, url.real);

        let sms = catalog.action("twilio.send_sms").unwrap();
        let conn = twilio();
        let method = catalog.service("twilio").unwrap().default_method();
        let ctx = TemplateContext {
            action: sms,
            inputs: &inputs,
            connection: Some((&conn, method)),
        };
        let pass = ctx.expand("{conn.auth_token}", Place::Text).unwrap();
        assert_eq!(
            (pass.real.as_str(), pass.shown.as_str(), pass.secret),
            ("tok-secret", MASK, true)
        );
        let base = ctx.expand("{conn.base_url|raw}/x", Place::Url).unwrap();
        assert_eq!(
            base.real, "https://api.twilio.com/x",
            "defaults fill blank fields"
        );
    }

    #[test]
    fn a_lone_blank_optional_input_is_blank() {
        let catalog = Catalog::embedded();
        let action = catalog.action("auth0.create_user").unwrap();
        let inputs = Credentials::default();
        let ctx = TemplateContext {
            action,
            inputs: &inputs,
            connection: None,
        };
        assert!(ctx.expand("{input.password}", Place::Text).unwrap().blank);
        assert!(!ctx.expand("x{input.password}", Place::Text).unwrap().blank);
        assert!(ctx.expand("{input.nope}", Place::Text).is_err());
    }
}
