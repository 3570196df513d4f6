//! Services, their authentication methods and fields.

use serde::Deserialize;

use super::{CatalogError, Syntax};

/// An external service connections can be made for ("Twilio", "Auth0").
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    /// How the service can authenticate; the first is the default.
    pub methods: Vec<Method>,
}

/// One way a service authenticates, with the fields it needs.
#[derive(Debug, Clone)]
pub struct Method {
    pub id: String,
    pub name: String,
    pub auth: AuthKind,
    pub fields: Vec<Field>,
}

/// How a method authenticates, which decides whether it keeps a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    ClientCredentials,
    RefreshToken,
    Bearer,
    ApiKey,
    Basic,
    Webhook,
    StaticKey,
    KeyPair,
    JwtLocal,
    ServiceAccount,
}

impl AuthKind {
    /// Whether connections of this kind keep an access token that expires.
    pub fn uses_tokens(self) -> bool {
        matches!(self, AuthKind::ClientCredentials | AuthKind::RefreshToken)
    }
}

/// One credential field of a method.
#[derive(Debug, Clone)]
pub struct Field {
    pub key: String,
    pub label: String,
    pub secret: bool,
    pub required: bool,
    /// Used when the field is blank; may contain `{domain_url}`.
    pub default: Option<String>,
    pub rule: Option<Rule>,
    /// Longest value accepted, in characters.
    pub max_len: Option<usize>,
}

/// The validation a field's value must pass.
#[derive(Debug, Clone)]
pub enum Rule {
    /// A host name, or a loopback `http://` URL.
    Domain,
    /// An `https://` URL, or `http://` on a loopback host.
    Url,
    Email,
    /// A PEM-encoded private key.
    Pem,
    Choice(Vec<String>),
    /// A JSON document.
    Json,
    /// The whole value must match; the example shows the form.
    Pattern {
        regex: regex_lite::Regex,
        example: Option<String>,
    },
}

impl Service {
    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.id == id)
    }

    /// The method used when none is asked for.
    pub fn default_method(&self) -> &Method {
        &self.methods[0]
    }
}

impl Method {
    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    services: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    name: String,
    methods: Vec<RawMethod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    id: String,
    name: String,
    auth: AuthKind,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    key: String,
    label: String,
    #[serde(default)]
    secret: bool,
    #[serde(default)]
    required: bool,
    default: Option<String>,
    rule: Option<String>,
    pattern: Option<String>,
    example: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
    max_len: Option<usize>,
}

impl RawField {
    /// The typed field; `owner` names the service or action in errors.
    pub(super) fn into_field(self, owner: &str) -> Result<Field, CatalogError> {
        let rule = parse_rule(owner, &self)?;
        Ok(Field {
            key: self.key,
            label: self.label,
            secret: self.secret,
            required: self.required,
            default: self.default,
            rule,
            max_len: self.max_len,
        })
    }
}

pub(super) fn parse_services(text: &str, syntax: Syntax) -> Result<Vec<Service>, CatalogError> {
    let raw: RawCatalog = syntax.read(text)?;
    let mut services = Vec::with_capacity(raw.services.len());
    for s in raw.services {
        if services.iter().any(|o: &Service| o.id == s.id) {
            return Err(invalid(format!("service {} appears twice", s.id)));
        }
        if s.methods.is_empty() {
            return Err(invalid(format!("service {} has no method", s.id)));
        }
        let mut methods = Vec::with_capacity(s.methods.len());
        for m in s.methods {
            if methods.iter().any(|o: &Method| o.id == m.id) {
                return Err(invalid(format!("{}: method {} appears twice", s.id, m.id)));
            }
            let mut fields = Vec::with_capacity(m.fields.len());
            for f in m.fields {
                if fields.iter().any(|o: &Field| o.key == f.key) {
                    return Err(invalid(format!("{}.{}: field {} twice", s.id, m.id, f.key)));
                }
                fields.push(f.into_field(&s.id)?);
            }
            methods.push(Method {
                id: m.id,
                name: m.name,
                auth: m.auth,
                fields,
            });
        }
        services.push(Service {
            id: s.id,
            name: s.name,
            methods,
        });
    }
    Ok(services)
}

fn parse_rule(service: &str, f: &RawField) -> Result<Option<Rule>, CatalogError> {
    let Some(rule) = f.rule.as_deref() else {
        return Ok(None);
    };
    let rule = match rule {
        "domain" => Rule::Domain,
        "url" => Rule::Url,
        "email" => Rule::Email,
        "pem" => Rule::Pem,
        "json" => Rule::Json,
        "choice" if !f.choices.is_empty() => Rule::Choice(f.choices.clone()),
        "pattern" => {
            let pattern = f.pattern.as_deref().unwrap_or_default();
            // Anchored here so the catalog states only the shape of the value.
            let regex = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| invalid(format!("{service}.{}: bad pattern: {e}", f.key)))?;
            Rule::Pattern {
                regex,
                example: f.example.clone(),
            }
        }
        other => {
            return Err(invalid(format!(
                "{service}.{}: unknown rule {other}",
                f.key
            )));
        }
    };
    Ok(Some(rule))
}

pub(super) fn invalid(message: String) -> CatalogError {
    CatalogError::Invalid(message)
}
