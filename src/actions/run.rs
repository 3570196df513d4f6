//! Runs a flow's steps in order: a dry run shows each request, a real run
//! sends it and reads the answer; the first failure stops the run.

use crate::vault::audit::{AuditAction, AuditEvent};
use std::time::Duration;

use super::jwt;
use super::problem::{Problem, explain};
use super::request::{PrepareError, PreparedRequest, ShownRequest, method_of, prepare};
use super::response::shown_body;
use crate::auth::body::{read_capped, secret_bytes, secret_header};
use crate::auth::renewal::{ObtainError, holder_name, obtain, would_fetch};
use crate::auth::{HttpClient, TokenClient};
use crate::catalog::{Action, ActionRun, AuthKind, AuthSpec, Catalog, ConnectionNeed, LocalOp};
use crate::vault::{Connection, ConnectionId, Flow, FlowStep, SecretValue, VaultStore, now};

/// Largest response body read; the rest is never downloaded.
pub const MAX_RESPONSE: usize = 10 << 20;

/// The HTTP clients a run uses: one for token endpoints, one for services.
/// Both send through the same [`HttpClient`], built on the first request.
#[derive(Debug, Clone)]
pub struct ActionClients {
    pub tokens: TokenClient,
    pub http: HttpClient,
}

impl ActionClients {
    /// Clients with the standard timeouts (10 s to connect, 30 s in all):
    /// the process-wide one.
    pub fn new() -> ActionClients {
        ActionClients::on(HttpClient::shared())
    }

    /// Clients with other timeouts.
    pub fn with_timeouts(connect: Duration, total: Duration) -> ActionClients {
        ActionClients::on(HttpClient::with_timeouts(connect, total))
    }

    /// Clients that both send through `http`.
    pub fn on(http: HttpClient) -> ActionClients {
        ActionClients {
            tokens: TokenClient::on(http.clone()),
            http,
        }
    }
}

impl Default for ActionClients {
    fn default() -> Self {
        ActionClients::new()
    }
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// 1-based position in the flow.
    pub position: usize,
    pub action: String,
    pub outcome: StepOutcome,
    /// A dry run built the request without the token it needs: the real
    /// run asks the connection's token endpoint for one first. `None` in a
    /// real run, and when the stored token is fresh enough to be used.
    pub token_fetch: Option<TokenFetch>,
}

/// A token a real run would fetch before sending an action's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFetch {
    pub connection: ConnectionId,
    /// The connection's name when the dry run read it.
    pub name: String,
}

/// A step's result.
#[derive(Debug, Clone)]
pub enum StepOutcome {
    /// The request that would be sent; nothing was.
    DryRun(ShownRequest),
    /// Sent and answered with success.
    Answered {
        request: ShownRequest,
        response: ResponseView,
    },
    /// Done here (JWT): the result.
    Local(String),
    Failed(StepFailure),
}

impl StepOutcome {
    /// Whether the step failed (which stops the run).
    pub fn failed(&self) -> bool {
        matches!(self, StepOutcome::Failed(_))
    }
}

/// Why a step failed.
#[derive(Debug, Clone)]
pub enum StepFailure {
    UnknownAction(String),
    /// The connection it points at no longer exists or is damaged.
    ConnectionUnusable(String),
    Prepare(PrepareError),
    /// No token could be had for the connection (shared: a report is cloned
    /// into the views that show it).
    Token(std::sync::Arc<crate::auth::renewal::ObtainError>),
    /// The request did not get an answer.
    Send {
        request: ShownRequest,
        error: String,
    },
    /// The service answered with an error.
    Refused {
        request: ShownRequest,
        response: ResponseView,
    },
    Local(jwt::JwtError),
}

/// What about its connection made an action fail, when it is the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFault {
    /// None is chosen, or the one chosen is gone, damaged or for another
    /// service: another must be chosen.
    Choice,
    /// The connection is there, its credentials are not right: missing
    /// fields, no token to be had, refused by the service.
    Credentials,
}

impl StepFailure {
    /// Whether the action failed because of its connection, and how; `None`
    /// when the cause lies elsewhere (inputs, the network, the service).
    pub fn connection_fault(&self) -> Option<ConnectionFault> {
        use ConnectionFault::{Choice, Credentials};
        match self {
            StepFailure::ConnectionUnusable(_)
            | StepFailure::Prepare(PrepareError::NoConnection | PrepareError::WrongService) => {
                Some(Choice)
            }
            StepFailure::Prepare(PrepareError::Incomplete(_)) => Some(Credentials),
            StepFailure::Token(e) => match e.as_ref() {
                // The vault or another process, not the credentials.
                ObtainError::Vault(_) | ObtainError::BusyTooLong => None,
                ObtainError::Cannot(_) | ObtainError::Grant(_) => Some(Credentials),
            },
            StepFailure::Refused { response, .. } => {
                let refused = matches!(response.status, 401 | 403)
                    || matches!(
                        response.problem,
                        Some(Problem::Unauthorized { .. } | Problem::InsufficientScope { .. })
                    );
                refused.then_some(Credentials)
            }
            // The connection's algorithm is not the token's.
            StepFailure::Local(jwt::JwtError::WrongAlgorithm(..)) => Some(Credentials),
            StepFailure::UnknownAction(_)
            | StepFailure::Prepare(_)
            | StepFailure::Send { .. }
            | StepFailure::Local(_) => None,
        }
    }
}

/// A response: status, headers, its body as received and as it reads
/// (see [`shown_body`]), how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseView {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// The body as it reads: JSON pretty-printed in the server's key order,
    /// form fields one a line, other text as it came.
    pub body: String,
    /// The body exactly as received (its first [`MAX_RESPONSE`] bytes), for
    /// `run --body`, copies and saved files.
    pub raw: bytes::Bytes,
    /// From sending the request to the body's last byte.
    pub elapsed: Duration,
    /// The server sent more than [`MAX_RESPONSE`]: `body` is its beginning.
    pub cut: bool,
    pub problem: Option<Problem>,
}

/// Runs the steps of `flow` (or only the one at 1-based `only`). A real run
/// stops at the first failure; a dry run builds every step (each is built on
/// its own and nothing is sent), so it says why each one cannot run.
pub async fn run_flow<V: VaultStore + ?Sized>(
    vault: &mut V,
    clients: &ActionClients,
    flow: &Flow,
    only: Option<usize>,
    dry_run: bool,
) -> Vec<StepReport> {
    let mut reports = Vec::new();
    for (i, step) in flow.steps.iter().enumerate() {
        let position = i + 1;
        if only.is_some_and(|p| p != position) {
            continue;
        }
        let (outcome, token_fetch) = run_step(vault, clients, step, dry_run).await;
        let failed = outcome.failed();
        reports.push(StepReport {
            position,
            action: step.action.clone(),
            outcome,
            token_fetch,
        });
        if failed && !dry_run {
            break;
        }
    }
    reports
}

/// The audit entry of a run that sent requests: the flow and the hosts
/// contacted, in order, once each. `None` when nothing was sent (a dry run,
/// or every step failed before sending).
pub fn run_sent_event(flow: &Flow, reports: &[StepReport]) -> Option<AuditEvent> {
    let mut hosts: Vec<String> = Vec::new();
    for report in reports {
        let request = match &report.outcome {
            StepOutcome::Answered { request, .. }
            | StepOutcome::Failed(
                StepFailure::Send { request, .. } | StepFailure::Refused { request, .. },
            ) => request,
            _ => continue,
        };
        let host = url::Url::parse(&request.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    (!hosts.is_empty())
        .then(|| AuditEvent::flow(AuditAction::RunSent, flow, Some(hosts.join(", "))))
}

/// What a step did, and in a dry run the token its real run would fetch.
async fn run_step<V: VaultStore + ?Sized>(
    vault: &mut V,
    clients: &ActionClients,
    step: &FlowStep,
    dry_run: bool,
) -> (StepOutcome, Option<TokenFetch>) {
    let fail = |failure: StepFailure| (StepOutcome::Failed(failure), None);
    let Some(action) = Catalog::embedded().action(&step.action) else {
        return fail(StepFailure::UnknownAction(step.action.clone()));
    };
    let connection = match &step.connection {
        Some(id) => match vault.connection_by_id(id) {
            Ok(c) => Some(c),
            Err(e) => return fail(StepFailure::ConnectionUnusable(e.to_string())),
        },
        None => None,
    };
    if connection.is_none() && action.connection == ConnectionNeed::Required {
        return fail(StepFailure::Prepare(PrepareError::NoConnection));
    }
    match &action.run {
        ActionRun::Local(op) => (run_local(action, *op, step, connection.as_ref()), None),
        ActionRun::Http(spec) => {
            let needs_token = match (&spec.auth, connection.as_ref().and_then(method_of)) {
                (AuthSpec::Token, _) => true,
                (AuthSpec::Connection, Some(m)) => m.auth == AuthKind::ClientCredentials,
                _ => false,
            };
            let token = match (&connection, needs_token && !dry_run) {
                (Some(c), true) => {
                    match obtain(vault, &clients.tokens, &c.id, &holder_name(), false).await {
                        Ok((token, _)) => Some(token.access_token),
                        Err(e) => return fail(StepFailure::Token(std::sync::Arc::new(e))),
                    }
                }
                _ => None,
            };
            let prepared = match prepare(
                action,
                spec,
                &step.inputs,
                connection.as_ref(),
                token.as_ref(),
            ) {
                Ok(p) => p,
                Err(e) => return fail(StepFailure::Prepare(e)),
            };
            if dry_run {
                // What `obtain` would do in the real run, without asking.
                let token_fetch = connection
                    .filter(|c| {
                        needs_token
                            && vault
                                .token_record(&c.id)
                                .is_ok_and(|record| would_fetch(&record, now()))
                    })
                    .map(|c| TokenFetch {
                        connection: c.id,
                        name: c.name,
                    });
                return (StepOutcome::DryRun(prepared.shown), token_fetch);
            }
            (send(clients.http.get().await, prepared).await, None)
        }
    }
}

/// Sends a prepared request and reads the answer.
pub async fn send(http: &reqwest::Client, prepared: PreparedRequest) -> StepOutcome {
    let shown = prepared.shown.clone();
    let Ok(method) = reqwest::Method::from_bytes(prepared.method.as_bytes()) else {
        return StepOutcome::Failed(StepFailure::Prepare(PrepareError::BadUrl));
    };
    let mut request = http.request(method, &prepared.url);
    let started = std::time::Instant::now();
    for (name, value) in &prepared.headers {
        // Header values may be keys or tokens: sensitive, in wiped buffers.
        request = match secret_header(value.expose()) {
            Some(value) => request.header(name.as_str(), value),
            // Not a valid header value: reqwest reports it on send.
            None => request.header(name.as_str(), value.expose()),
        };
    }
    if let Some((_, body)) = &prepared.body {
        request = request.body(secret_bytes(body.expose()));
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let error = if e.is_timeout() {
                "timed out".to_owned()
            } else {
                innermost(&e)
            };
            return StepOutcome::Failed(StepFailure::Send {
                request: shown,
                error,
            });
        }
    };
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match read_capped(response, MAX_RESPONSE).await {
        Ok(b) => b,
        Err(e) => {
            let error = if e.is_timeout() {
                "timed out".to_owned()
            } else {
                innermost(&e)
            };
            return StepOutcome::Failed(StepFailure::Send {
                request: shown,
                error,
            });
        }
    };
    let elapsed = started.elapsed();
    let problem = explain(status.as_u16(), &body.bytes);
    let view = ResponseView {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or_default().to_owned(),
        body: shown_body(&body.bytes, &headers, body.complete),
        headers,
        raw: bytes::Bytes::copy_from_slice(&body.bytes),
        elapsed,
        cut: !body.complete,
        problem,
    };
    if view.problem.is_some() {
        StepOutcome::Failed(StepFailure::Refused {
            request: shown,
            response: view,
        })
    } else {
        StepOutcome::Answered {
            request: shown,
            response: view,
        }
    }
}

fn innermost(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

fn run_local(
    action: &Action,
    op: LocalOp,
    step: &FlowStep,
    connection: Option<&Connection>,
) -> StepOutcome {
    if let Err(e) = super::request::check_inputs(action, &step.inputs) {
        return StepOutcome::Failed(StepFailure::Prepare(PrepareError::Input(e)));
    }
    let input = |key: &str| step.inputs.get(key).unwrap_or_default().to_owned();
    let secret = connection
        .and_then(|c| c.fields.get("secret"))
        .map(SecretValue::new);
    let algorithm = connection
        .and_then(|c| c.fields.get("algorithm"))
        .unwrap_or("HS256")
        .to_owned();
    let result = match (op, secret) {
        (LocalOp::JwtDecode, _) => jwt::decode(&input("token")).map(|(header, payload)| {
            serde_json::to_string_pretty(&serde_json::json!({"header": header, "payload": payload}))
                .expect("JSON")
        }),
        (LocalOp::JwtSign, Some(secret)) => {
            let expires_in = input("expires_in").parse().ok();
            jwt::sign(
                &algorithm,
                secret.expose().as_bytes(),
                &input("payload"),
                expires_in,
                now(),
            )
        }
        (LocalOp::JwtVerify, Some(secret)) => jwt::verify(
            &algorithm,
            secret.expose().as_bytes(),
            &input("token"),
            now(),
        )
        .map(|claims| serde_json::to_string_pretty(&claims).expect("JSON")),
        (_, None) => return StepOutcome::Failed(StepFailure::Prepare(PrepareError::NoConnection)),
    };
    match result {
        Ok(output) => StepOutcome::Local(output),
        Err(e) => StepOutcome::Failed(StepFailure::Local(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::renewal::{CannotRenew, ObtainError};
    use std::sync::Arc;

    fn refused(status: u16, body: &str) -> StepFailure {
        StepFailure::Refused {
            request: ShownRequest {
                method: "GET".into(),
                url: "https://api.example.com/".into(),
                headers: Vec::new(),
                body: None,
            },
            response: ResponseView {
                status,
                reason: String::new(),
                headers: Vec::new(),
                body: body.into(),
                raw: bytes::Bytes::copy_from_slice(body.as_bytes()),
                elapsed: Duration::from_millis(12),
                cut: false,
                problem: explain(status, body.as_bytes()),
            },
        }
    }

    #[test]
    fn failures_of_the_connection_say_how_to_fix_it() {
        let choice = Some(ConnectionFault::Choice);
        let credentials = Some(ConnectionFault::Credentials);
        let cases = [
            (StepFailure::ConnectionUnusable("gone".into()), choice),
            (StepFailure::Prepare(PrepareError::NoConnection), choice),
            (StepFailure::Prepare(PrepareError::WrongService), choice),
            (
                StepFailure::Prepare(PrepareError::Incomplete("Auth Token".into())),
                credentials,
            ),
            (
                StepFailure::Token(Arc::new(ObtainError::Cannot(
                    CannotRenew::CredentialsRefused("invalid_client".into()),
                ))),
                credentials,
            ),
            (refused(401, "{}"), credentials),
            (
                refused(403, r#"{"errorCode":"insufficient_scope","message":"m"}"#),
                credentials,
            ),
        ];
        for (failure, fault) in cases {
            assert_eq!(failure.connection_fault(), fault, "{failure:?}");
        }
    }

    #[test]
    fn other_failures_are_not_the_connections() {
        let cases = [
            StepFailure::UnknownAction("x.y".into()),
            StepFailure::Prepare(PrepareError::BadHeaders),
            StepFailure::Token(Arc::new(ObtainError::BusyTooLong)),
            StepFailure::Send {
                request: ShownRequest {
                    method: "GET".into(),
                    url: "https://api.example.com/".into(),
                    headers: Vec::new(),
                    body: None,
                },
                error: "connection refused".into(),
            },
            refused(404, r#"{"message":"User not found"}"#),
            refused(500, ""),
            StepFailure::Local(jwt::JwtError::Malformed),
        ];
        for failure in cases {
            assert_eq!(failure.connection_fault(), None, "{failure:?}");
        }
    }
}
