//! `services [--json]`: the catalog.

use serde_json::json;

use crate::catalog::Catalog;
use crate::locale::width::pad;
use crate::present::labels::{field_label, method_name, service_name};

use super::error::CliError;
use super::output::{print_json, print_line};

/// Prints the catalog of services with their methods and fields.
pub fn services(json: bool) -> Result<(), CliError> {
    let locale = crate::locale::current();
    let catalog = Catalog::embedded();
    if json {
        let services: Vec<_> = catalog
            .services()
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "name": s.name,
                    "methods": s.methods.iter().map(|m| json!({
                        "id": m.id,
                        "name": m.name,
                        "fields": m.fields.iter().map(|f| json!({
                            "key": f.key,
                            "label": f.label,
                            "secret": f.secret,
                            "required": f.required,
                            "default": f.default,
                        })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    // The first method's fields, for scripts that ignore methods.
                    "fields": s.default_method().fields.iter().map(|f| json!({
                        "key": f.key, "label": f.label, "secret": f.secret, "required": f.required,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
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
