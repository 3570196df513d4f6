//! Field values from `--set`, standard input and prompts, checked against the
//! catalog: a connection's credentials or an action's inputs.

use std::io::Read;

use zeroize::Zeroizing;

use crate::catalog::{Action, Field, Method, Service, domain_url};
use crate::present::labels::{LabelScope, scoped_label};
use crate::vault::Credentials;

use super::error::CliError;
use super::unlock;

/// Most bytes read from standard input by `--secrets-stdin`: room for a few
/// PEM keys and certificates, never a read until memory runs out.
pub const MAX_STDIN_BYTES: usize = 1024 * 1024;
/// Longest single value on standard input; a 4096-bit RSA key in PEM is about
/// 3.3 KiB, so this leaves room for chains and JSON service-account files.
pub const MAX_STDIN_VALUE_BYTES: usize = 64 * 1024;

/// The fields a command may set, with the name errors use for their owner.
pub struct FieldSet<'a> {
    /// "Twilio (auth_token)" or "twilio.send_sms".
    pub owner: String,
    /// Where the fields' labels come from.
    pub scope: LabelScope,
    pub fields: &'a [Field],
}

impl<'a> FieldSet<'a> {
    /// A method's credential fields.
    pub fn credentials(service: &Service, method: &'a Method) -> FieldSet<'a> {
        FieldSet {
            owner: format!("{} ({})", service.name, method.id),
            scope: LabelScope::Service(service.id.clone()),
            fields: &method.fields,
        }
    }

    /// An action's inputs.
    pub fn inputs(action: &'a Action) -> FieldSet<'a> {
        FieldSet {
            owner: action.id.clone(),
            scope: LabelScope::Action(action.id.clone()),
            fields: &action.inputs,
        }
    }

    fn field(&self, key: &str) -> Option<&'a Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// A field's label in the interface language.
    pub fn label(&self, field: &'a Field) -> &'a str {
        scoped_label(crate::locale::current(), &self.scope, field)
    }

    fn keys(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn known(&self, key: &str) -> Result<&'a Field, CliError> {
        self.field(key).ok_or_else(|| {
            CliError::usage(crate::locale::current().f(
                "cli.unknown_field",
                &[("owner", &self.owner), ("key", key), ("keys", &self.keys())],
            ))
        })
    }
}

/// Field values given to one command, before they reach a connection.
#[derive(Default)]
pub struct FieldInput {
    values: Vec<(String, Zeroizing<String>)>,
}

impl FieldInput {
    /// Parses `--set KEY=VALUE` arguments; a secret field is refused here.
    pub fn from_args(set: &FieldSet<'_>, sets: &[String]) -> Result<FieldInput, CliError> {
        let mut input = FieldInput::default();
        for arg in sets {
            let (key, value) = arg
                .split_once('=')
                .ok_or_else(|| CliError::usage(crate::locale::current().t("cli.set_syntax")))?;
            let field = set.known(key)?;
            if field.secret {
                return Err(CliError::usage(
                    crate::locale::current()
                        .f("cli.secret_on_command_line", &[("label", set.label(field))]),
                ));
            }
            input
                .values
                .push((key.to_owned(), Zeroizing::new(value.to_owned())));
        }
        Ok(input)
    }

    /// Adds `KEY=VALUE` lines read from standard input (at most
    /// `MAX_STDIN_BYTES`, enforced while reading).
    pub fn read_stdin(&mut self, set: &FieldSet<'_>) -> Result<(), CliError> {
        let mut text = Zeroizing::new(String::new());
        // One byte over the limit is enough to know it was exceeded.
        std::io::stdin()
            .take(MAX_STDIN_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| {
                CliError::usage(
                    crate::locale::current().f("cli.no_stdin", &[("error", &e.to_string())]),
                )
            })?;
        if text.len() > MAX_STDIN_BYTES {
            return Err(CliError::usage(crate::locale::current().f(
                "cli.stdin_too_large",
                &[("max", &MAX_STDIN_BYTES.to_string())],
            )));
        }
        self.parse_lines(set, &text)
    }

    fn parse_lines(&mut self, set: &FieldSet<'_>, text: &str) -> Result<(), CliError> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            // The line may hold a secret: messages name only the line number.
            let (key, value) = line.split_once('=').ok_or_else(|| {
                CliError::usage(
                    crate::locale::current()
                        .f("cli.stdin_syntax", &[("line", &(n + 1).to_string())]),
                )
            })?;
            if value.len() > MAX_STDIN_VALUE_BYTES {
                return Err(CliError::usage(crate::locale::current().f(
                    "cli.stdin_value_too_large",
                    &[
                        ("line", &(n + 1).to_string()),
                        ("max", &MAX_STDIN_VALUE_BYTES.to_string()),
                    ],
                )));
            }
            if set.field(key.trim()).is_none() {
                return Err(CliError::usage(crate::locale::current().f(
                    "cli.stdin_unknown_field",
                    &[
                        ("line", &(n + 1).to_string()),
                        ("owner", &set.owner),
                        ("keys", &set.keys()),
                    ],
                )));
            }
            self.values
                .push((key.trim().to_owned(), Zeroizing::new(value.to_owned())));
        }
        Ok(())
    }

    /// Asks on the terminal for required secret fields that are still blank.
    pub fn prompt_missing_secrets(
        &mut self,
        set: &FieldSet<'_>,
        current: &Credentials,
    ) -> Result<(), CliError> {
        for field in set.fields.iter().filter(|f| f.secret && f.required) {
            if self.has(&field.key) || current.get(&field.key).is_some() {
                continue;
            }
            if !unlock::has_terminal() {
                return Ok(());
            }
            let value = unlock::prompt_secret(&format!("{}: ", set.label(field)))?;
            self.values.push((field.key.clone(), value));
        }
        Ok(())
    }

    fn has(&self, key: &str) -> bool {
        self.values
            .iter()
            .any(|(k, v)| k == key && !v.trim().is_empty())
    }

    /// Validates every given value and writes it into `fields` (blank clears).
    pub fn apply(&self, set: &FieldSet<'_>, fields: &mut Credentials) -> Result<(), CliError> {
        for (key, value) in &self.values {
            let field = set.field(key).expect("keys were checked when read");
            if !value.trim().is_empty() {
                field.validate(value).map_err(|e| {
                    CliError::usage(crate::present::labels::field_error(
                        crate::locale::current(),
                        set.label(field),
                        &e,
                    ))
                })?;
            }
            fields.set(key.clone(), value.trim().to_owned());
        }
        Ok(())
    }
}

/// Checks that every required field has a value (or a default).
pub fn require_complete(set: &FieldSet<'_>, fields: &Credentials) -> Result<(), CliError> {
    let missing: Vec<_> = set
        .fields
        .iter()
        .filter(|f| f.required && f.default.is_none() && fields.get(&f.key).is_none())
        .map(|f| format!("{} ({})", set.label(f), f.key))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(crate::locale::current().f(
        "cli.missing_required",
        &[(
            "fields",
            &missing.join(crate::locale::current().t("common.separator")),
        )],
    )))
}

/// The value a field has, falling back to its default.
pub fn effective_value(method: &Method, fields: &Credentials, key: &str) -> Option<String> {
    if let Some(v) = fields.get(key) {
        return Some(v.to_owned());
    }
    let domain = fields.get("domain");
    method
        .field(key)?
        .default_for(domain)
        .or_else(|| (key == "domain").then(|| domain.map(domain_url)).flatten())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn twilio() -> FieldSet<'static> {
        let s = Catalog::embedded().service("twilio").unwrap();
        FieldSet::credentials(s, s.default_method())
    }

    #[test]
    fn a_secret_on_the_command_line_is_refused() {
        let err = FieldInput::from_args(&twilio(), &["auth_token=abc".into()])
            .err()
            .unwrap();
        assert!(
            err.message.contains("Auth Token is secret"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("abc"));
    }

    #[test]
    fn stdin_lines_set_secrets_and_errors_never_echo_them() {
        let set = twilio();
        let mut input = FieldInput::default();
        input
            .parse_lines(&set, "# comment\nauth_token=tok=en\n\n")
            .unwrap();
        let mut fields = Credentials::default();
        input.apply(&set, &mut fields).unwrap();
        assert_eq!(fields.get("auth_token"), Some("tok=en"));
        let err = input
            .parse_lines(&set, "sekrit-without-equals")
            .err()
            .unwrap();
        assert!(!err.message.contains("sekrit"));
        let err = input.parse_lines(&set, "sekrit=x").err().unwrap();
        assert!(!err.message.contains("sekrit"));
    }

    #[test]
    fn an_oversized_stdin_value_is_refused_without_echo() {
        let set = twilio();
        let mut input = FieldInput::default();
        let line = format!("auth_token=sekrit{}", "x".repeat(MAX_STDIN_VALUE_BYTES));
        let err = input.parse_lines(&set, &line).err().unwrap();
        assert!(err.message.contains("65536"), "{}", err.message);
        assert!(!err.message.contains("sekrit"));
        let fits = format!("auth_token={}", "x".repeat(MAX_STDIN_VALUE_BYTES));
        input.parse_lines(&set, &fits).unwrap();
    }

    #[test]
    fn unknown_fields_name_the_known_ones() {
        let err = FieldInput::from_args(&twilio(), &["sid=AC1".into()])
            .err()
            .unwrap();
        assert!(
            err.message.contains("account_sid, auth_token, base_url"),
            "{}",
            err.message
        );
    }

    #[test]
    fn action_inputs_are_checked_too() {
        let action = Catalog::embedded().action("twilio.send_sms").unwrap();
        let set = FieldSet::inputs(action);
        let input = FieldInput::from_args(&set, &["body=".to_owned() + &"x".repeat(1601)]).unwrap();
        let err = input
            .apply(&set, &mut Credentials::default())
            .err()
            .unwrap();
        assert!(err.message.contains("1600"), "{}", err.message);
    }
}
