//! `actions`, `flows …` and `run`: flows and their actions from the command line.

use crate::actions::request::ShownRequest;
use crate::actions::{ActionClients, ResponseView, StepOutcome};
use crate::catalog::{Action, Catalog, ConnectionNeed};
use crate::locale::Locale;
use crate::present::labels::{action_name, step_failure};
use crate::vault::{Connection, Flow, FlowStep, Store, validate_name};

use super::GlobalArgs;
use super::error::CliError;
use super::fields::{FieldInput, FieldSet};
use super::output::{message, print_json, print_line, print_text};
use super::shapes::{action_entry, flow_entry};
use super::unlock::open_store;

/// `actions [--json]`: the catalog of flow actions.
pub fn actions(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let catalog = Catalog::embedded();
    if json {
        let list: Vec<_> = catalog
            .actions()
            .iter()
            .map(|a| action_entry(locale, a))
            .collect();
        print_json(&list);
        return Ok(());
    }
    for a in catalog.actions() {
        let service = a.service.as_deref().unwrap_or("-");
        let scopes = if a.scopes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", a.scopes.join(", "))
        };
        print_line(&format!(
            "{:<24} {:<12} {}{scopes}",
            a.id,
            service,
            action_name(locale, a)
        ));
        let inputs: Vec<String> = a
            .inputs
            .iter()
            .map(|f| format!("{}{}", f.key, if f.required { "*" } else { "" }))
            .collect();
        print_line(&format!("{:<24} {}", "", inputs.join(" ")));
    }
    Ok(())
}

/// `flows list [--json]`: flows with their actions, connections and warnings.
pub fn list(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let locale = global.locale();
    let vault = open_store(global)?;
    let flows = vault.flows()?;
    let connections = vault.connections()?;
    let tokens = vault.token_records()?;
    let entries: Vec<_> = flows
        .iter()
        .map(|flow| flow_entry(locale, flow, &connections, &tokens))
        .collect();
    if json {
        print_json(&entries);
        return Ok(());
    }
    if flows.is_empty() {
        message(locale.t("cli.no_flows"));
    }
    for entry in &entries {
        print_line(entry.name);
        for action in &entry.actions {
            let connection = action
                .connection
                .as_ref()
                .and_then(|c| c.name)
                .unwrap_or("-");
            print_line(&format!(
                "  {}. {:<24} {}",
                action.position, action.action, connection
            ));
            for w in &action.warnings {
                print_line(&format!("       ! {}", w.message));
            }
        }
    }
    Ok(())
}

/// `flows add FLOW`.
pub fn add(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    validate_name(name)
        .map_err(|e| CliError::usage(crate::present::labels::name_error(global.locale(), e)))?;
    let mut vault = open_store(global)?;
    vault.add_flow(&Flow::new(name.trim()))?;
    message(
        &global
            .locale()
            .f("cli.flow_added", &[("name", name.trim())]),
    );
    Ok(())
}

/// `flows rm FLOW`.
pub fn remove(global: &GlobalArgs, name: &str) -> Result<(), CliError> {
    let mut vault = open_store(global)?;
    let flow = vault.flow(name)?;
    vault.delete_flow(&flow.id)?;
    message(
        &global
            .locale()
            .f("cli.flow_deleted", &[("name", &flow.name)]),
    );
    Ok(())
}

/// Arguments of `flows add-action`.
pub struct AddActionArgs {
    pub flow: String,
    pub action: String,
    pub connection: Option<String>,
    pub set: Vec<String>,
    pub secrets_stdin: bool,
}

/// `flows add-action FLOW ACTION [--connection NAME] [--set KEY=VALUE]…`: prints the position.
pub fn add_action(global: &GlobalArgs, args: AddActionArgs) -> Result<(), CliError> {
    let action = find_action(&args.action)?;
    let set = FieldSet::inputs(action);
    let mut input = FieldInput::from_args(&set, &args.set)?;
    if args.secrets_stdin {
        input.read_stdin(&set)?;
    }
    let mut inputs = crate::vault::Credentials::default();
    input.apply(&set, &mut inputs)?;
    let mut vault = open_store(global)?;
    let mut flow = vault.flow(&args.flow)?;
    let connection = match &args.connection {
        Some(name) => Some(compatible(vault.as_ref(), action, name)?.id),
        None => None,
    };
    if action.connection == ConnectionNeed::None && connection.is_some() {
        return Err(CliError::usage(
            global
                .locale()
                .f("cli.action_takes_no_connection", &[("action", &action.id)]),
        ));
    }
    flow.steps
        .push(FlowStep::new(action.id.clone(), connection, inputs));
    vault.save_steps(&flow)?;
    println!("{}", flow.steps.len());
    Ok(())
}

/// `flows set-connection FLOW POS NAME`.
pub fn set_connection(
    global: &GlobalArgs,
    flow: &str,
    position: usize,
    name: &str,
) -> Result<(), CliError> {
    let mut vault = open_store(global)?;
    let mut flow = vault.flow(flow)?;
    let index = step_index(global.locale(), &flow, position)?;
    let action = find_action(&flow.steps[index].action)?;
    let connection = compatible(vault.as_ref(), action, name)?;
    flow.steps[index].connection = Some(connection.id);
    vault.save_steps(&flow)?;
    message(&global.locale().f(
        "cli.connection_set",
        &[
            ("flow", &flow.name),
            ("position", &position.to_string()),
            ("name", &connection.name),
        ],
    ));
    Ok(())
}

/// `run FLOW [POS] [--dry-run]`.
pub fn run(
    global: &GlobalArgs,
    flow: &str,
    position: Option<usize>,
    dry_run: bool,
) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let flow = vault.flow(flow)?;
    if let Some(p) = position {
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
        position,
        dry_run,
    ));
    if let Some(sent) = crate::actions::run_sent_event(&flow, &reports) {
        vault.append_audit(&sent)?;
    }
    for report in &reports {
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
                print_response(response);
            }
            StepOutcome::Local(output) => print_text(output),
            StepOutcome::Failed(failure) => {
                use crate::actions::StepFailure as F;
                match failure {
                    F::Send { request, .. } => print_request(request),
                    F::Refused { request, response } => {
                        print_request(request);
                        print_response(response);
                    }
                    _ => {}
                }
                return Err(CliError::failure(locale.f(
                    "cli.step_failed",
                    &[
                        ("position", &report.position.to_string()),
                        ("action", &report.action),
                        ("reason", &step_failure(locale, &report.action, failure)),
                    ],
                )));
            }
        }
        println!();
    }
    Ok(())
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

fn print_response(response: &ResponseView) {
    println!();
    print_line(&format!("→ {} {}", response.status, response.reason));
    for (name, value) in &response.headers {
        print_line(&format!("{name}: {value}"));
    }
    if !response.body.is_empty() {
        print_text(&format!("\n{}", response.body));
    }
    if response.cut {
        print_line(&crate::present::labels::response_cut(
            crate::locale::current(),
        ));
    }
}

fn find_action(id: &str) -> Result<&'static Action, CliError> {
    Catalog::embedded().action(id).ok_or_else(|| {
        CliError::usage(crate::locale::current().f("cli.unknown_action", &[("action", id)]))
    })
}

fn step_index(locale: &Locale, flow: &Flow, position: usize) -> Result<usize, CliError> {
    if position == 0 || position > flow.steps.len() {
        return Err(CliError {
            exit: super::error::Exit::NotFound,
            message: locale.f(
                "cli.no_such_position",
                &[
                    ("flow", &flow.name),
                    ("position", &position.to_string()),
                    ("n", &flow.steps.len().to_string()),
                ],
            ),
        });
    }
    Ok(position - 1)
}

/// The connection named `name`, if it can serve `action`; else a usage error.
fn compatible(vault: &dyn Store, action: &Action, name: &str) -> Result<Connection, CliError> {
    let connection = vault.connection(name)?;
    if !action.accepts(&connection.service, &connection.method) {
        return Err(CliError::usage(crate::locale::current().f(
            "cli.wrong_service",
            &[
                ("name", &connection.name),
                ("service", &connection.service),
                ("action", &action.id),
                ("needs", action.service.as_deref().unwrap_or("-")),
            ],
        )));
    }
    Ok(connection)
}
