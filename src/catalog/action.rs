//! Flow actions: what each needs (service, scopes, inputs) and how its request is built.

use serde::Deserialize;

use super::service::{Field, RawField, invalid};
use super::{Catalog, CatalogError, Syntax};

/// One kind of step a flow can take ("Send SMS with Twilio").
#[derive(Debug, Clone)]
pub struct Action {
    pub id: String,
    pub name: String,
    /// The service whose connection it uses.
    pub service: Option<String>,
    /// Compatible methods of that service; empty means all.
    pub methods: Vec<String>,
    pub connection: ConnectionNeed,
    /// Management API scopes the connection's token must carry.
    pub scopes: Vec<String>,
    pub inputs: Vec<Field>,
    pub run: ActionRun,
}

/// Whether an action needs a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionNeed {
    Required,
    Optional,
    None,
}

/// How an action runs.
#[derive(Debug, Clone)]
pub enum ActionRun {
    Http(RequestSpec),
    Local(LocalOp),
}

/// Work done here rather than over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalOp {
    JwtSign,
    JwtVerify,
    JwtDecode,
}

/// The templates of an HTTP request.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: String,
    pub url: String,
    pub auth: AuthSpec,
    pub body: BodySpec,
    pub headers: Vec<(String, String)>,
}

/// How the request authenticates.
#[derive(Debug, Clone)]
pub enum AuthSpec {
    None,
    /// The connection's access token, renewed as needed.
    Token,
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// What the connection's own method says (HTTP service).
    Connection,
}

/// The request body.
#[derive(Debug, Clone)]
pub enum BodySpec {
    None,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    Raw {
        template: String,
        content_type: String,
    },
}

impl Action {
    /// Whether a connection of this service and method can serve the action.
    pub fn accepts(&self, service: &str, method: &str) -> bool {
        self.service.as_deref() == Some(service)
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == method))
    }

    /// The input with this key.
    pub fn input(&self, key: &str) -> Option<&Field> {
        self.inputs.iter().find(|f| f.key == key)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActions {
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    id: String,
    name: String,
    service: Option<String>,
    #[serde(default)]
    methods: Vec<String>,
    connection: Option<ConnectionNeed>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    inputs: Vec<RawField>,
    request: Option<RawRequest>,
    local: Option<LocalOp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    method: String,
    url: String,
    auth: String,
    basic_user: Option<String>,
    basic_password: Option<String>,
    bearer: Option<String>,
    body: Option<String>,
    form: Option<toml::Table>,
    json: Option<toml::Value>,
    raw: Option<String>,
    content_type: Option<String>,
    #[serde(default)]
    headers: toml::Table,
}

/// Parses and checks the action catalog against the services it names.
pub(super) fn parse_actions(
    text: &str,
    catalog: &Catalog,
    syntax: Syntax,
) -> Result<Vec<Action>, CatalogError> {
    let raw: RawActions = syntax.read(text)?;
    let mut actions: Vec<Action> = Vec::with_capacity(raw.actions.len());
    for a in raw.actions {
        if actions.iter().any(|o| o.id == a.id) {
            return Err(invalid(format!("action {} appears twice", a.id)));
        }
        if let Some(service) = &a.service {
            let s = catalog
                .service(service)
                .ok_or_else(|| invalid(format!("{}: unknown service {service}", a.id)))?;
            if let Some(m) = a.methods.iter().find(|m| s.method(m).is_none()) {
                return Err(invalid(format!("{}: {service} has no method {m}", a.id)));
            }
        }
        let connection = a.connection.unwrap_or(if a.service.is_some() {
            ConnectionNeed::Required
        } else {
            ConnectionNeed::None
        });
        if connection != ConnectionNeed::None && a.service.is_none() {
            return Err(invalid(format!("{}: a connection needs a service", a.id)));
        }
        let mut inputs = Vec::with_capacity(a.inputs.len());
        for f in a.inputs {
            let f = f.into_field(&a.id)?;
            if inputs.iter().any(|o: &Field| o.key == f.key) {
                return Err(invalid(format!("{}: input {} twice", a.id, f.key)));
            }
            inputs.push(f);
        }
        let run = match (a.request, a.local) {
            (Some(r), None) => ActionRun::Http(request_spec(&a.id, r)?),
            (None, Some(op)) => ActionRun::Local(op),
            _ => {
                return Err(invalid(format!(
                    "{}: give either a request or a local operation",
                    a.id
                )));
            }
        };
        actions.push(Action {
            id: a.id,
            name: a.name,
            service: a.service,
            methods: a.methods,
            connection,
            scopes: a.scopes,
            inputs,
            run,
        });
    }
    Ok(actions)
}

fn request_spec(id: &str, r: RawRequest) -> Result<RequestSpec, CatalogError> {
    let missing = |what: &str| invalid(format!("{id}: the request needs `{what}`"));
    let auth = match r.auth.as_str() {
        "none" => AuthSpec::None,
        "token" => AuthSpec::Token,
        "connection" => AuthSpec::Connection,
        "basic" => AuthSpec::Basic {
            user: r.basic_user.ok_or_else(|| missing("basic_user"))?,
            password: r.basic_password.ok_or_else(|| missing("basic_password"))?,
        },
        "bearer" => AuthSpec::Bearer(r.bearer.ok_or_else(|| missing("bearer"))?),
        other => return Err(invalid(format!("{id}: unknown auth {other}"))),
    };
    let body = match r.body.as_deref().unwrap_or("none") {
        "none" => BodySpec::None,
        "form" => BodySpec::Form(strings(id, r.form.ok_or_else(|| missing("form"))?)?),
        "json" => BodySpec::Json(
            serde_json::to_value(r.json.ok_or_else(|| missing("json"))?)
                .map_err(|e| invalid(format!("{id}: json template: {e}")))?,
        ),
        "raw" => BodySpec::Raw {
            template: r.raw.ok_or_else(|| missing("raw"))?,
            content_type: r.content_type.unwrap_or_else(|| "text/plain".to_owned()),
        },
        other => return Err(invalid(format!("{id}: unknown body {other}"))),
    };
    Ok(RequestSpec {
        method: r.method,
        url: r.url,
        auth,
        body,
        headers: strings(id, r.headers)?,
    })
}

fn strings(id: &str, table: toml::Table) -> Result<Vec<(String, String)>, CatalogError> {
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            _ => Err(invalid(format!("{id}: {k} must be a string template"))),
        })
        .collect()
}
