//! Builds the exact request an action sends, and the copy shown with secrets masked.

use base64::Engine;
use url::Url;

use super::template::{MASK, Place, TemplateContext};
use crate::catalog::{
    Action, AuthKind, AuthSpec, BodySpec, Catalog, FieldError, Method, RequestSpec,
    is_loopback_http,
};
use crate::vault::{Connection, Credentials, SecretValue};

/// A request ready to send.
#[derive(Clone)]
pub struct PreparedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, SecretValue)>,
    pub body: Option<(String, SecretValue)>,
    /// The same request with every secret as `••••••`.
    pub shown: ShownRequest,
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.shown.fmt(f)
    }
}

/// A request as the operator sees it: nothing secret in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// Why a request cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("{0}")]
    Input(FieldError),
    #[error("the action needs a connection")]
    NoConnection,
    #[error("the connection is for another service")]
    WrongService,
    #[error("the connection is missing: {0}")]
    Incomplete(String),
    #[error("the request URL is not valid")]
    BadUrl,
    #[error("the request URL must use https:// (http:// only for 127.0.0.1 or localhost)")]
    Insecure,
    #[error("{0}")]
    Template(String),
    #[error("the headers input must be a JSON object of strings")]
    BadHeaders,
}

/// Checks every input of an action; the first problem, if any.
pub fn check_inputs(action: &Action, inputs: &Credentials) -> Result<(), FieldError> {
    for field in &action.inputs {
        let value = inputs.get(&field.key).unwrap_or_default();
        if value.is_empty() && field.default.is_some() {
            continue;
        }
        field.validate(value)?;
    }
    Ok(())
}

/// The catalog method of a connection.
pub fn method_of(connection: &Connection) -> Option<&'static Method> {
    Catalog::embedded()
        .service(&connection.service)?
        .method(&connection.method)
}

/// Builds the request of `spec`. `token` is the connection's access token,
/// where the action authenticates with one (`None` in a dry run: it shows masked).
pub fn prepare(
    action: &Action,
    spec: &RequestSpec,
    inputs: &Credentials,
    connection: Option<&Connection>,
    token: Option<&SecretValue>,
) -> Result<PreparedRequest, PrepareError> {
    check_inputs(action, inputs).map_err(PrepareError::Input)?;
    let connection = match connection {
        Some(c) if !action.accepts(&c.service, &c.method) => {
            return Err(PrepareError::WrongService);
        }
        Some(c) => {
            let method = method_of(c).ok_or(PrepareError::WrongService)?;
            let missing = crate::vault::status::missing_fields(c, method);
            if !missing.is_empty() {
                return Err(PrepareError::Incomplete(missing.join(", ")));
            }
            Some((c, method))
        }
        None if action.connection == crate::catalog::ConnectionNeed::Required => {
            return Err(PrepareError::NoConnection);
        }
        None => None,
    };
    let ctx = TemplateContext {
        action,
        inputs,
        connection,
    };
    let template = |t: &str, place| {
        ctx.expand(t, place)
            .map_err(|e| PrepareError::Template(e.to_string()))
    };

    let method = template(&spec.method, Place::Text)?.real.to_uppercase();
    let url = template(&spec.url, Place::Url)?;
    let (mut real_url, mut shown_url) = (url.real, url.shown);
    let mut headers: Vec<(String, SecretValue)> = Vec::new();
    let mut shown_headers: Vec<(String, String)> = Vec::new();
    let mut add_header = |name: &str, real: String, shown: String| {
        headers.push((name.to_owned(), SecretValue::new(real)));
        shown_headers.push((name.to_owned(), shown));
    };

    match &spec.auth {
        AuthSpec::None => {}
        AuthSpec::Token => add_header("Authorization", bearer(token), format!("Bearer {MASK}")),
        AuthSpec::Basic { user, password } => {
            let (user, password) = (
                template(user, Place::Text)?,
                template(password, Place::Text)?,
            );
            add_header(
                "Authorization",
                basic(&user.real, &password.real),
                format!("Basic {MASK}"),
            );
        }
        AuthSpec::Bearer(t) => {
            let value = template(t, Place::Text)?;
            add_header(
                "Authorization",
                format!("Bearer {}", value.real),
                format!("Bearer {}", value.shown),
            );
        }
        AuthSpec::Connection => {
            if let Some((_, m)) = connection {
                let field = |key: &str| ctx.field(key).map(|(v, _)| v).unwrap_or_default();
                match m.auth {
                    AuthKind::Bearer => add_header(
                        "Authorization",
                        format!("Bearer {}", field("token")),
                        format!("Bearer {MASK}"),
                    ),
                    AuthKind::Basic => add_header(
                        "Authorization",
                        basic(&field("username"), &field("password")),
                        format!("Basic {MASK}"),
                    ),
                    AuthKind::ClientCredentials => {
                        add_header("Authorization", bearer(token), format!("Bearer {MASK}"));
                    }
                    AuthKind::ApiKey if field("location") == "query" => {
                        let mut parsed = Url::parse(&real_url).map_err(|_| PrepareError::BadUrl)?;
                        parsed
                            .query_pairs_mut()
                            .append_pair(&field("name"), &field("value"));
                        real_url = parsed.to_string();
                        let mut shown = Url::parse(&shown_url).map_err(|_| PrepareError::BadUrl)?;
                        shown.query_pairs_mut().append_pair(&field("name"), MASK);
                        shown_url = shown.to_string();
                    }
                    AuthKind::ApiKey => add_header(&field("name"), field("value"), MASK.to_owned()),
                    _ => {}
                }
            }
        }
    }

    for (name, value) in &spec.headers {
        let value = template(value, Place::Text)?;
        add_header(name, value.real, value.shown);
    }
    // HTTP: Send request takes extra headers as a JSON object.
    if let Some((value, _)) = ctx.input("headers").filter(|(v, _)| !v.trim().is_empty()) {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&value).map_err(|_| PrepareError::BadHeaders)?;
        for (name, value) in map {
            let value = value.as_str().ok_or(PrepareError::BadHeaders)?.to_owned();
            add_header(&name, value.clone(), value);
        }
    }

    let body = match &spec.body {
        BodySpec::None => None,
        BodySpec::Form(pairs) => {
            let (mut real, mut shown) = (
                url::form_urlencoded::Serializer::new(String::new()),
                url::form_urlencoded::Serializer::new(String::new()),
            );
            for (key, t) in pairs {
                let value = template(t, Place::Text)?;
                if value.blank {
                    continue;
                }
                real.append_pair(key, &value.real);
                shown.append_pair(key, &value.shown);
            }
            Some((
                "application/x-www-form-urlencoded".to_owned(),
                real.finish(),
                shown.finish(),
            ))
        }
        BodySpec::Json(t) => {
            let (real, shown) = json_template(t, &ctx)?;
            let pretty = serde_json::to_string_pretty(&shown).expect("JSON values serialise");
            Some(("application/json".to_owned(), real.to_string(), pretty))
        }
        BodySpec::Raw {
            template: t,
            content_type,
        } => {
            let value = template(t, Place::Text)?;
            (!value.real.trim().is_empty()).then(|| (content_type.clone(), value.real, value.shown))
        }
    };
    let parsed = Url::parse(&real_url).map_err(|_| PrepareError::BadUrl)?;
    if parsed.scheme() != "https" && !is_loopback_http(&parsed) {
        return Err(PrepareError::Insecure);
    }
    let (body, shown_body) = match body {
        Some((content_type, real, shown)) => {
            add_header("Content-Type", content_type.clone(), content_type.clone());
            (Some((content_type, SecretValue::new(real))), Some(shown))
        }
        None => (None, None),
    };
    Ok(PreparedRequest {
        shown: ShownRequest {
            method: method.clone(),
            url: shown_url,
            headers: shown_headers,
            body: shown_body,
        },
        method,
        url: real_url,
        headers,
        body,
    })
}

fn bearer(token: Option<&SecretValue>) -> String {
    // Sized up front: a growing `format!` would free partial copies unwiped.
    let token = token.map_or("", SecretValue::expose);
    let mut value = String::with_capacity(7 + token.len());
    value.push_str("Bearer ");
    value.push_str(token);
    value
}

/// `Basic base64(user:password)`; the intermediate copies are wiped (the
/// result goes straight into a [`SecretValue`], which wipes itself).
fn basic(user: &str, password: &str) -> String {
    let mut pair = zeroize::Zeroizing::new(String::with_capacity(user.len() + 1 + password.len()));
    pair.push_str(user);
    pair.push(':');
    pair.push_str(password);
    let encoded =
        zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
    let mut value = String::with_capacity(6 + encoded.len());
    value.push_str("Basic ");
    value.push_str(&encoded);
    value
}

/// Expands the strings of a JSON template, leaving out keys whose value is a
/// blank optional input.
fn json_template(
    t: &serde_json::Value,
    ctx: &TemplateContext<'_>,
) -> Result<(serde_json::Value, serde_json::Value), PrepareError> {
    use serde_json::Value;
    Ok(match t {
        Value::String(s) => {
            let v = ctx
                .expand(s, Place::Text)
                .map_err(|e| PrepareError::Template(e.to_string()))?;
            (Value::String(v.real), Value::String(v.shown))
        }
        Value::Array(items) => {
            let (mut real, mut shown) = (Vec::new(), Vec::new());
            for item in items {
                let (r, s) = json_template(item, ctx)?;
                real.push(r);
                shown.push(s);
            }
            (Value::Array(real), Value::Array(shown))
        }
        Value::Object(map) => {
            let (mut real, mut shown) = (serde_json::Map::new(), serde_json::Map::new());
            for (key, value) in map {
                if let Value::String(s) = value
                    && ctx
                        .expand(s, Place::Text)
                        .map_err(|e| PrepareError::Template(e.to_string()))?
                        .blank
                {
                    continue;
                }
                let (r, s) = json_template(value, ctx)?;
                real.insert(key.clone(), r);
                shown.insert(key.clone(), s);
            }
            (Value::Object(real), Value::Object(shown))
        }
        other => (other.clone(), other.clone()),
    })
}
