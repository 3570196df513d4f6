//! `services [--json]`: the catalog.

use crate::catalog::Catalog;
use crate::locale::width::pad;
use crate::present::labels::{field_label, method_name, service_name};

use super::error::CliError;
use super::output::{print_json, print_line};
use super::shapes::service_entry;

/// Prints the catalog of services with their methods and fields.
pub fn services(json: bool) -> Result<(), CliError> {
    let locale = crate::locale::current();
    let catalog = Catalog::embedded();
    if json {
        let services: Vec<_> = catalog.services().iter().map(service_entry).collect();
        print_json(&services);
        return Ok(());
    }
    for s in catalog.services() {
        print_line(&format!("{:<16} {}", s.id, service_name(locale, s)));
        for m in &s.methods {
            if s.methods.len() > 1 {
                print_line(&format!(
                    "  --method {} ({})",
                    m.id,
                    method_name(locale, &s.id, m)
                ));
            }
            for f in &m.fields {
                let mut marks = Vec::new();
                if f.required {
                    marks.push(locale.t("cli.mark_required"));
                }
                if f.secret {
                    marks.push(locale.t("cli.mark_secret"));
                }
                let indent = if s.methods.len() > 1 { "    " } else { "  " };
                let label = field_label(locale, &s.id, f);
                print_line(&format!(
                    "{indent}{:<18} {} {}",
                    f.key,
                    pad(label, 24),
                    marks.join(locale.t("common.separator"))
                ));
            }
        }
    }
    Ok(())
}
