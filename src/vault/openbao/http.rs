//! A blocking OpenBao client that is safe to call from inside a tokio
//! runtime: one thread owns a current-thread runtime and a `reqwest::Client`;
//! callers send it requests on a channel and wait on a reply channel. It
//! moves to the next node when one cannot be reached, remembers the good one,
//! and renews its token when it is renewable and past half its lifetime.

use std::cell::Cell;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::Method;
use zeroize::Zeroizing;

use super::error::OpenBaoError;
use super::location::OpenBaoLocation;
use crate::auth::body::{read_capped, secret_bytes, secret_header};

/// Total time of one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read: a list of many thousands of keys fits.
const BODY_CAP: usize = 16 * 1024 * 1024;
/// Requests of one batch in flight at once: hides network latency to a
/// remote cluster (on a busy loopback, 1 to 16 measured the same).
const CONCURRENCY: usize = 8;

/// One call to the OpenBao HTTP API, `path` below `/v1/`.
pub struct Request {
    pub method: Method,
    pub path: String,
    /// A JSON body; may hold a secret id, so it is sent from a wiped buffer.
    pub body: Option<serde_json::Value>,
}

impl Request {
    pub fn get(path: String) -> Request {
        Request {
            method: Method::GET,
            path,
            body: None,
        }
    }

    pub fn post(path: String, body: serde_json::Value) -> Request {
        Request {
            method: Method::POST,
            path,
            body: Some(body),
        }
    }

    pub fn list(path: String) -> Request {
        Request {
            method: Method::from_bytes(b"LIST").expect("LIST is a valid method"),
            path,
            body: None,
        }
    }

    pub fn delete(path: String) -> Request {
        Request {
            method: Method::DELETE,
            path,
            body: None,
        }
    }
}

/// An answer: its status and its body (wiped on drop; it may hold a key).
pub struct Response {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
}

impl Response {
    /// The body as JSON (an empty body is `null`).
    pub fn json(&self, path: &str) -> Result<serde_json::Value, OpenBaoError> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| OpenBaoError::Malformed {
            path: path.to_owned(),
            what: format!("not JSON ({e})"),
        })
    }

    /// The server's error messages, joined.
    pub fn errors(&self) -> String {
        let json: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        json["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }
}

/// How the token in use is kept alive.
#[derive(Debug, Clone, Copy)]
pub struct Renewal {
    /// Its lifetime when last granted or renewed.
    pub ttl: Duration,
    /// When that was.
    pub since: Instant,
}

enum Job {
    Batch(
        Vec<Request>,
        mpsc::Sender<Vec<Result<Response, OpenBaoError>>>,
    ),
    Token(Zeroizing<String>, Option<Renewal>),
}

/// The handle callers hold; cheap to share between store handles.
pub struct Http {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http { .. }")
    }
}

impl Http {
    /// Starts the client thread for `location`'s nodes; it ends when the
    /// last handle is dropped.
    pub fn start(location: &OpenBaoLocation) -> Result<Http, OpenBaoError> {
        crate::tls::install_provider();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OpenBaoError::Unreachable {
                hosts: location.to_string(),
                reason: format!("cannot build an HTTP client ({e})"),
            })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OpenBaoError::Unreachable {
                hosts: location.to_string(),
                reason: format!("cannot start the OpenBao client thread ({e})"),
            })?;
        let scheme = if location.tls { "https" } else { "http" };
        let worker = Worker {
            client,
            bases: location
                .hosts
                .iter()
                // An IPv6 address is bracketed in a URL.
                .map(|(h, p)| match h.contains(':') {
                    true => format!("{scheme}://[{h}]:{p}"),
                    false => format!("{scheme}://{h}:{p}"),
                })
                .collect(),
            current: Cell::new(0),
            token: Zeroizing::new(String::new()),
            renewal: None,
        };
        let (jobs, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("openbao".into())
            .spawn(move || worker.run(runtime, inbox))
            .map_err(|e| OpenBaoError::Unreachable {
                hosts: location.to_string(),
                reason: format!("cannot start the OpenBao client thread ({e})"),
            })?;
        Ok(Http { jobs })
    }

    /// Uses `token` from now on, renewed as `renewal` says (`None`: never).
    pub fn set_token(&self, token: Zeroizing<String>, renewal: Option<Renewal>) {
        let _ = self.jobs.send(Job::Token(token, renewal));
    }

    /// Sends one request and waits for its answer.
    pub fn call(&self, request: Request) -> Result<Response, OpenBaoError> {
        self.batch(vec![request])
            .pop()
            .expect("one answer per request")
    }

    /// Sends requests concurrently; answers come back in the same order.
    pub fn batch(&self, requests: Vec<Request>) -> Vec<Result<Response, OpenBaoError>> {
        let n = requests.len();
        let (reply, answers) = mpsc::channel();
        let gone = || {
            (0..n)
                .map(|_| {
                    Err(OpenBaoError::Unreachable {
                        hosts: "(client thread)".into(),
                        reason: "the OpenBao client thread stopped".into(),
                    })
                })
                .collect()
        };
        if self.jobs.send(Job::Batch(requests, reply)).is_err() {
            return gone();
        }
        answers.recv().unwrap_or_else(|_| gone())
    }
}

struct Worker {
    client: reqwest::Client,
    /// `scheme://host:port` of each node.
    bases: Vec<String>,
    /// The node that answered last: tried first.
    current: Cell<usize>,
    token: Zeroizing<String>,
    renewal: Option<Renewal>,
}

impl Worker {
    fn run(mut self, runtime: tokio::runtime::Runtime, inbox: mpsc::Receiver<Job>) {
        while let Ok(job) = inbox.recv() {
            match job {
                Job::Token(token, renewal) => {
                    self.token = token;
                    self.renewal = renewal;
                }
                Job::Batch(requests, reply) => {
                    runtime.block_on(self.renew_if_due());
                    let answers = runtime.block_on(
                        futures_util::stream::iter(requests)
                            .map(|r| self.send(r))
                            .buffered(CONCURRENCY)
                            .collect::<Vec<_>>(),
                    );
                    let _ = reply.send(answers);
                }
            }
        }
    }

    /// Renews the token past half its lifetime; a failed renewal is left to
    /// show as the next request's error once the token expires.
    async fn renew_if_due(&mut self) {
        let Some(renewal) = self.renewal else { return };
        if renewal.since.elapsed() < renewal.ttl / 2 {
            return;
        }
        let request = Request::post("auth/token/renew-self".into(), serde_json::json!({}));
        let Ok(response) = self.send(request).await else {
            return;
        };
        let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
        let ttl = json["auth"]["lease_duration"].as_u64();
        self.renewal = match (response.status, ttl) {
            (200, Some(ttl)) if ttl > 0 => Some(Renewal {
                ttl: Duration::from_secs(ttl),
                since: Instant::now(),
            }),
            // Not renewable any more (max TTL reached): stop trying.
            _ => None,
        };
        if let Some(r) = &self.renewal {
            tracing::debug!(ttl = r.ttl.as_secs(), "renewed the OpenBao token");
        }
    }

    /// Sends one request to the current node, then to each other node while
    /// they cannot be reached or are sealed.
    async fn send(&self, request: Request) -> Result<Response, OpenBaoError> {
        let body: Option<Bytes> = request.body.as_ref().map(|b| {
            let text = Zeroizing::new(b.to_string());
            secret_bytes(&text)
        });
        let n = self.bases.len();
        let mut failures = Vec::new();
        let mut sealed = None;
        for attempt in 0..n {
            let index = (self.current.get() + attempt) % n;
            let base = &self.bases[index];
            let mut builder = self.client.request(
                request.method.clone(),
                format!("{base}/v1/{}", request.path),
            );
            if !self.token.is_empty()
                && let Some(header) = secret_header(&self.token)
            {
                builder = builder.header("X-Vault-Token", header);
            }
            if let Some(body) = &body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = match builder.send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() || e.is_timeout() => {
                    failures.push(format!("{base}: {}", describe(&e)));
                    continue;
                }
                Err(e) => {
                    return Err(OpenBaoError::Unreachable {
                        hosts: base.clone(),
                        reason: describe(&e),
                    });
                }
            };
            let status = response.status().as_u16();
            let capped =
                read_capped(response, BODY_CAP)
                    .await
                    .map_err(|e| OpenBaoError::Unreachable {
                        hosts: base.clone(),
                        reason: describe(&e),
                    })?;
            if !capped.complete {
                return Err(OpenBaoError::Malformed {
                    path: request.path.clone(),
                    what: format!("answer larger than {BODY_CAP} bytes"),
                });
            }
            let answer = Response {
                status,
                body: capped.bytes,
            };
            if status == 503 && answer.errors().contains("sealed") {
                sealed = Some(base.clone());
                failures.push(format!("{base}: sealed"));
                continue;
            }
            self.current.set(index);
            return Ok(answer);
        }
        if let (Some(host), true) = (sealed, failures.iter().all(|f| f.ends_with("sealed"))) {
            return Err(OpenBaoError::Sealed { host });
        }
        Err(OpenBaoError::Unreachable {
            hosts: self.bases.join(", "),
            reason: failures.join("; "),
        })
    }
}

/// An error in words, with its cause (reqwest's own text is terse).
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(" ({s})"));
        source = s.source();
    }
    text
}
