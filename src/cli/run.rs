//! `run`: a flow's actions sent in order, their answers printed as text, as
//! JSON (`--json`), or one body exactly as received (`--body`, `--output`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::actions::request::ShownRequest;
use crate::actions::response::{OrderedJson, SaveError, save_body};
use crate::actions::{ActionClients, ResponseView, StepFailure, StepOutcome, StepReport};
use crate::catalog::Catalog;
use crate::locale::Locale;
use crate::locale::terminal_safe::escape_text;
use crate::present::labels::{action_name, step_failure};
use crate::present::response::status_line;
use crate::vault::{Flow, Store};

use super::GlobalArgs;
use super::error::CliError;
use super::flows::step_index;
use super::output::{message, print_json, print_line, print_text};
use super::unlock::open_store;

/// Arguments of `run`.
pub struct RunArgs {
    pub flow: String,
    /// 1-based.
    pub position: Option<usize>,
    pub dry_run: bool,
    pub json: bool,
    /// Print only the body of the (last) action's response.
    pub body: bool,
    /// Write the body of the (last) action's response to this file.
    pub output: Option<PathBuf>,
    /// Let `output` replace a file.
    pub force: bool,
}

/// `run FLOW [POS] [--dry-run] [--json | --body] [--output FILE [--force]]`.
pub fn run(global: &GlobalArgs, args: RunArgs) -> Result<(), CliError> {
    let locale = global.locale();
    // Before anything is sent: a run must not be wasted on a file it
    // then refuses to replace.
    if let Some(path) = &args.output
        && !args.force
        && path.exists()
    {
        return Err(exists(locale, path));
    }
    let mut vault = open_store(global)?;
    let flow = vault.flow(&args.flow)?;
    if let Some(p) = args.position {
        step_index(locale, &flow, p)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(locale.f("cli.no_runtime", &[("error", &e.to_string())])))?;
    let clients = ActionClients::new();
    let reports = runtime.block_on(crate::actions::run_flow(
        vault.as_mut(),
        &clients,
        &flow,
        args.position,
        args.dry_run,
    ));
    if let Some(sent) = crate::actions::run_sent_event(&flow, &reports) {
        vault.append_audit(&sent)?;
    }
    let failed = first_failure(locale, &reports);
    if args.json {
        print_json(&run_json(
            vault.as_ref(),
            &flow,
            args.dry_run,
            &reports,
            locale,
        ));
    } else if args.body {
        print_body(locale, reports.last())?;
    } else {
        print_reports(locale, &reports);
    }
    if let Some(path) = &args.output {
        let body = body_of(locale, reports.last())?;
        save_body(path, &body, args.force).map_err(|e| match e {
            SaveError::Exists(_) => exists(locale, path),
            SaveError::Io { .. } => {
                CliError::failure(crate::present::response::save_error(locale, &e))
            }
        })?;
        // A failed run's stderr is its one `error:` line, which scripts match.
        if failed.is_none() {
            message(&locale.f(
                "response.saved",
                &[
                    (
                        "size",
                        &crate::present::response::size_words(locale, body.len()),
                    ),
                    ("path", &path.display().to_string()),
                ],
            ));
        }
    }
    failed.map_or(Ok(()), Err)
}

fn exists(locale: &Locale, path: &std::path::Path) -> CliError {
    CliError::usage(locale.f(
        "flows_cli.output_exists",
        &[("path", &path.display().to_string())],
    ))
}

/// The error of the first action that failed, if one did.
fn first_failure(locale: &Locale, reports: &[StepReport]) -> Option<CliError> {
    reports.iter().find_map(|report| match &report.outcome {
        StepOutcome::Failed(failure) => Some(step_failed(locale, report, failure)),
        _ => None,
    })
}

fn step_failed(locale: &Locale, report: &StepReport, failure: &StepFailure) -> CliError {
    CliError::failure(locale.f(
        "cli.step_failed",
        &[
            ("position", &report.position.to_string()),
            ("action", &report.action),
            ("reason", &step_failure(locale, &report.action, failure)),
        ],
    ))
}

/// What `--body` and `--output` take from an action: its response's body as
/// received, or a local action's result. Without either, why not.
fn body_of(locale: &Locale, report: Option<&StepReport>) -> Result<bytes::Bytes, CliError> {
    let Some(report) = report else {
        return Err(CliError::failure(locale.t("flows_cli.no_actions")));
    };
    match &report.outcome {
        StepOutcome::Answered { response, .. }
        | StepOutcome::Failed(StepFailure::Refused { response, .. }) => Ok(response.raw.clone()),
        StepOutcome::Local(output) => Ok(bytes::Bytes::copy_from_slice(output.as_bytes())),
        StepOutcome::Failed(failure) => Err(step_failed(locale, report, failure)),
        StepOutcome::DryRun(_) => Err(CliError::usage(locale.f(
            "flows_cli.no_body",
            &[("position", &report.position.to_string())],
        ))),
    }
}

/// `--body`: the body exactly as received when stdout is not a terminal
/// (for `jq`); on one, controls a terminal would obey are escaped.
fn print_body(locale: &Locale, report: Option<&StepReport>) -> Result<(), CliError> {
    let body = body_of(locale, report)?;
    let mut out = std::io::stdout().lock();
    let written = if out.is_terminal() {
        writeln!(out, "{}", escape_text(&String::from_utf8_lossy(&body)))
    } else {
        out.write_all(&body)
    };
    written.and_then(|()| out.flush()).map_err(|e| {
        CliError::failure(locale.f("flows_cli.cannot_print", &[("error", &e.to_string())]))
    })
}

/// The text report: each action's request and answer, up to the first
/// failure (the error returned for it says why).
fn print_reports(locale: &Locale, reports: &[StepReport]) {
    for report in reports {
        let name = Catalog::embedded()
            .action(&report.action)
            .map_or(report.action.as_str(), |a| action_name(locale, a));
        print_line(&format!(
            "── {}. {name} ({})",
            report.position, report.action
        ));
        match &report.outcome {
            StepOutcome::DryRun(request) => print_request(request),
            StepOutcome::Answered { request, response } => {
                print_request(request);
                print_response(locale, response);
            }
            StepOutcome::Local(output) => print_text(output),
            StepOutcome::Failed(failure) => {
                match failure {
                    StepFailure::Send { request, .. } => print_request(request),
                    StepFailure::Refused { request, response } => {
                        print_request(request);
                        print_response(locale, response);
                    }
                    _ => {}
                }
                return;
            }
        }
        println!();
    }
}

// A request shows what a flow's inputs made; a response is the server's own
// text: both are escaped, bodies keeping their line breaks.
fn print_request(request: &ShownRequest) {
    print_line(&format!("{} {}", request.method, request.url));
    for (name, value) in &request.headers {
        print_line(&format!("{name}: {value}"));
    }
    if let Some(body) = &request.body {
        print_text(&format!("\n{body}"));
    }
}

fn print_response(locale: &Locale, response: &ResponseView) {
    println!();
    print_line(&status_line(locale, response));
    for (name, value) in &response.headers {
        print_line(&format!("{name}: {value}"));
    }
    if !response.body.is_empty() {
        print_text(&format!("\n{}", response.body));
    }
    if response.cut {
        print_line(&crate::present::labels::response_cut(locale));
    }
}

/// `run --json`: the run and each action's part of it.
#[derive(Debug, Serialize)]
pub struct RunJson<'a> {
    pub flow: &'a str,
    pub dry_run: bool,
    /// No action failed.
    pub ok: bool,
    pub actions: Vec<ActionJson<'a>>,
}

/// One action of `run --json`; what it did not get to is `null`.
#[derive(Debug, Serialize)]
pub struct ActionJson<'a> {
    /// 1-based.
    pub position: usize,
    /// The catalog id (`twilio.send_sms`).
    pub action: &'a str,
    pub connection: Option<ConnectionJson>,
    /// The request as built, secrets masked.
    pub request: Option<RequestJson<'a>>,
    pub status: Option<u16>,
    pub elapsed_ms: Option<u64>,
    /// Bytes of the body received.
    pub size: Option<usize>,
    /// The response's headers, in the order they came.
    pub headers: Option<Vec<HeaderJson<'a>>>,
    /// A JSON body as JSON (its keys in the server's order), any other as a
    /// string; a local action's (JWT) result likewise.
    pub body: Option<BodyJson>,
    /// The server sent more than was read: `body` is its beginning.
    pub truncated: bool,
    /// Why the action failed.
    pub error: Option<ErrorJson>,
}

/// Why an action failed: a code that never changes with the language, and
/// the reason in words.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// `unknown_action`, `connection_unusable`, `cannot_build`, `no_token`,
    /// `no_answer`, `refused` or `local_failed`.
    pub code: &'static str,
    pub message: String,
}

/// The code of a failure in `run --json`.
fn failure_code(failure: &StepFailure) -> &'static str {
    match failure {
        StepFailure::UnknownAction(_) => "unknown_action",
        StepFailure::ConnectionUnusable(_) => "connection_unusable",
        StepFailure::Prepare(_) => "cannot_build",
        StepFailure::Token(_) => "no_token",
        StepFailure::Send { .. } => "no_answer",
        StepFailure::Refused { .. } => "refused",
        StepFailure::Local(_) => "local_failed",
    }
}

/// The connection an action uses.
#[derive(Debug, Serialize)]
pub struct ConnectionJson {
    pub id: String,
    /// `null` when it is gone or cannot be read.
    pub name: Option<String>,
}

/// A request as built.
#[derive(Debug, Serialize)]
pub struct RequestJson<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<HeaderJson<'a>>,
    pub body: Option<&'a str>,
}

/// One header.
#[derive(Debug, Serialize)]
pub struct HeaderJson<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// A body: JSON when it parses as JSON, else text.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BodyJson {
    Json(OrderedJson),
    Text(String),
}

impl BodyJson {
    fn of(bytes: &[u8], complete: bool) -> BodyJson {
        match complete.then(|| OrderedJson::parse(bytes)).flatten() {
            Some(json) => BodyJson::Json(json),
            None => BodyJson::Text(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

fn headers_json(headers: &[(String, String)]) -> Vec<HeaderJson<'_>> {
    headers
        .iter()
        .map(|(name, value)| HeaderJson { name, value })
        .collect()
}

fn run_json<'a>(
    vault: &dyn Store,
    flow: &'a Flow,
    dry_run: bool,
    reports: &'a [StepReport],
    locale: &Locale,
) -> RunJson<'a> {
    let actions = reports
        .iter()
        .map(|report| {
            let connection = flow
                .steps
                .get(report.position - 1)
                .and_then(|s| s.connection.as_ref())
                .map(|id| ConnectionJson {
                    id: id.as_str().to_owned(),
                    name: vault.connection_by_id(id).ok().map(|c| c.name),
                });
            let mut entry = ActionJson {
                position: report.position,
                action: &report.action,
                connection,
                request: None,
                status: None,
                elapsed_ms: None,
                size: None,
                headers: None,
                body: None,
                truncated: false,
                error: None,
            };
            let (request, response) = match &report.outcome {
                StepOutcome::DryRun(request) => (Some(request), None),
                StepOutcome::Answered { request, response }
                | StepOutcome::Failed(StepFailure::Refused { request, response }) => {
                    (Some(request), Some(response))
                }
                StepOutcome::Failed(StepFailure::Send { request, .. }) => (Some(request), None),
                StepOutcome::Local(output) => {
                    entry.body = Some(BodyJson::of(output.as_bytes(), true));
                    (None, None)
                }
                StepOutcome::Failed(_) => (None, None),
            };
            entry.request = request.map(|r| RequestJson {
                method: &r.method,
                url: &r.url,
                headers: headers_json(&r.headers),
                body: r.body.as_deref(),
            });
            if let Some(response) = response {
                entry.status = Some(response.status);
                entry.elapsed_ms =
                    Some(u64::try_from(response.elapsed.as_millis()).unwrap_or(u64::MAX));
                entry.size = Some(response.raw.len());
                entry.headers = Some(headers_json(&response.headers));
                entry.body = Some(BodyJson::of(&response.raw, !response.cut));
                entry.truncated = response.cut;
            }
            if let StepOutcome::Failed(failure) = &report.outcome {
                entry.error = Some(ErrorJson {
                    code: failure_code(failure),
                    message: step_failure(locale, &report.action, failure),
                });
            }
            entry
        })
        .collect();
    RunJson {
        flow: &flow.name,
        dry_run,
        ok: reports.iter().all(|r| !r.outcome.failed()),
        actions,
    }
}
