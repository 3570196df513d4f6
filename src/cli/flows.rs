//! `actions` and `flows …`: flows and their actions from the command line.

use crate::catalog::{Action, Catalog, ConnectionNeed};
use crate::locale::Locale;
use crate::present::labels::action_name;
use crate::vault::{Connection, Flow, FlowStep, Store, validate_name};

use super::GlobalArgs;
use super::error::CliError;
use super::fields::{FieldInput, FieldSet};
use super::output::{message, print_json, print_line};
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

/// `flows rename FLOW NEW_NAME`: the name checked as the flow editor checks it.
pub fn rename(global: &GlobalArgs, name: &str, new_name: &str) -> Result<(), CliError> {
    let locale = global.locale();
    validate_name(new_name)
        .map_err(|e| CliError::usage(crate::present::labels::name_error(locale, e)))?;
    let mut vault = open_store(global)?;
    let flow = vault.flow(name)?;
    vault.rename_flow(&flow, new_name.trim())?;
    message(&locale.f(
        "flows_cli.renamed",
        &[("old", &flow.name), ("new", new_name.trim())],
    ));
    Ok(())
}

/// `flows rm-action FLOW POS`: the actions after it move up one place.
pub fn remove_action(global: &GlobalArgs, flow: &str, position: usize) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let mut flow = vault.flow(flow)?;
    let index = step_index(locale, &flow, position)?;
    let removed = flow.steps.remove(index);
    vault.save_steps(&flow)?;
    message(&locale.f(
        "flows_cli.action_removed",
        &[
            ("flow", &flow.name),
            ("position", &position.to_string()),
            ("action", &removed.action),
        ],
    ));
    Ok(())
}

/// `flows move FLOW FROM TO`: the action at FROM goes to TO, the ones
/// between move over by one, as repeated moves in the flows pane would.
pub fn move_action(
    global: &GlobalArgs,
    flow: &str,
    from: usize,
    to: usize,
) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let mut flow = vault.flow(flow)?;
    let from_index = step_index(locale, &flow, from)?;
    let to_index = step_index(locale, &flow, to)?;
    let step = flow.steps.remove(from_index);
    flow.steps.insert(to_index, step);
    if from_index != to_index {
        vault.save_steps(&flow)?;
    }
    message(&locale.f(
        "flows_cli.action_moved",
        &[
            ("flow", &flow.name),
            ("from", &from.to_string()),
            ("to", &to.to_string()),
        ],
    ));
    Ok(())
}

/// Arguments of `flows set-input`.
pub struct SetInputArgs {
    pub flow: String,
    pub position: usize,
    /// `KEY=VALUE` given after the position and with `--set`.
    pub set: Vec<String>,
    pub secrets_stdin: bool,
}

/// `flows set-input FLOW POS KEY=VALUE… [--secrets-stdin]`: changes the
/// inputs named (a blank value clears one) and keeps the others; saved only
/// if every input of the action is then valid, as the inputs editor saves.
pub fn set_input(global: &GlobalArgs, args: SetInputArgs) -> Result<(), CliError> {
    let locale = global.locale();
    let mut vault = open_store(global)?;
    let mut flow = vault.flow(&args.flow)?;
    let index = step_index(locale, &flow, args.position)?;
    let action = find_action(&flow.steps[index].action)?;
    if action.inputs.is_empty() {
        return Err(CliError::usage(
            locale.f("flows_cli.no_inputs", &[("action", &action.id)]),
        ));
    }
    if args.set.is_empty() && !args.secrets_stdin {
        return Err(CliError::usage(locale.t("cli.nothing_to_change")));
    }
    let set = FieldSet::inputs(action);
    let mut input = FieldInput::from_args(&set, &args.set)?;
    if args.secrets_stdin {
        input.read_stdin(&set)?;
    }
    let step = &mut flow.steps[index];
    input.apply(&set, &mut step.inputs)?;
    // Then the whole action, required inputs included, as the editor does.
    crate::actions::request::check_inputs(action, &step.inputs).map_err(|e| {
        let wrong = crate::present::labels::error_label(&e);
        let label = action
            .inputs
            .iter()
            .find(|f| f.label == wrong)
            .map_or(wrong, |f| set.label(f));
        CliError::usage(crate::present::labels::field_error(locale, label, &e))
    })?;
    vault.save_steps(&flow)?;
    message(&locale.f(
        "flows_cli.inputs_set",
        &[
            ("flow", &flow.name),
            ("position", &args.position.to_string()),
        ],
    ));
    Ok(())
}

fn find_action(id: &str) -> Result<&'static Action, CliError> {
    Catalog::embedded().action(id).ok_or_else(|| {
        CliError::usage(crate::locale::current().f("cli.unknown_action", &[("action", id)]))
    })
}

pub(super) fn step_index(locale: &Locale, flow: &Flow, position: usize) -> Result<usize, CliError> {
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
