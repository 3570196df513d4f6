//! Everything an import checks before it writes anything.

use std::collections::HashSet;

use super::PortingError;
use super::document::ExportDocument;
use crate::catalog::Catalog;
use crate::vault::model::{normalise_name, validate_name};

/// Problems listed at most; the rest are counted.
const MAX_PROBLEMS: usize = 20;

/// Checks every record of `doc` as `add` and `flows add-action` would:
/// names valid and unique, services, methods and actions in the catalog,
/// field keys known and values valid, step connections in the document.
pub fn validate(doc: &ExportDocument, catalog: &Catalog) -> Result<(), PortingError> {
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    for c in &doc.connections {
        let what = format!("connection “{}”", c.name);
        if let Err(e) = validate_name(&c.name) {
            problems.push(format!("{what}: {e}"));
        }
        if !names.insert(normalise_name(&c.name)) {
            problems.push(format!("{what}: the name appears twice"));
        }
        if !ids.insert(c.id.clone()) {
            problems.push(format!("{what}: its id {} appears twice", c.id));
        }
        let Some(service) = catalog.service(&c.service) else {
            problems.push(format!("{what}: no service “{}” in the catalog", c.service));
            continue;
        };
        let Some(method) = service.method(&c.method) else {
            problems.push(format!(
                "{what}: {} has no method “{}”",
                service.id, c.method
            ));
            continue;
        };
        for (key, value) in c.fields.iter() {
            match method.fields.iter().find(|f| f.key == key) {
                None => problems.push(format!("{what}: no field “{key}” in {}", method.id)),
                Some(field) => {
                    if let Err(e) = field.validate(value.expose()) {
                        problems.push(format!("{what}: {e}"));
                    }
                }
            }
        }
    }
    let mut flow_names = HashSet::new();
    for flow in &doc.flows {
        let what = format!("flow “{}”", flow.name);
        if let Err(e) = validate_name(&flow.name) {
            problems.push(format!("{what}: {e}"));
        }
        if !flow_names.insert(normalise_name(&flow.name)) {
            problems.push(format!("{what}: the name appears twice"));
        }
        for (i, step) in flow.steps.iter().enumerate() {
            let Some(action) = catalog.action(&step.action) else {
                problems.push(format!(
                    "{what} action {}: no action “{}” in the catalog",
                    i + 1,
                    step.action
                ));
                continue;
            };
            for (key, value) in step.inputs.iter() {
                match action.inputs.iter().find(|f| f.key == key) {
                    None => problems.push(format!(
                        "{what} action {}: {} has no input “{key}”",
                        i + 1,
                        action.id
                    )),
                    Some(field) => {
                        if let Err(e) = field.validate(value.expose()) {
                            problems.push(format!("{what} action {}: {e}", i + 1));
                        }
                    }
                }
            }
            if let Some(id) = &step.connection
                && !ids.contains(id)
            {
                problems.push(format!(
                    "{what} action {}: its connection {id} is not in the export",
                    i + 1
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    problems.truncate(MAX_PROBLEMS);
    if more > 0 {
        problems.push(format!("and {more} more"));
    }
    Err(PortingError::Invalid(problems))
}
