//! Field values from `--set`, standard input and prompts, checked against the catalog.

use std::io::Read;

use zeroize::Zeroizing;

use crate::catalog::{Method, Service, domain_url};
use crate::vault::Credentials;

use super::error::CliError;
use super::unlock;

/// Field values given to one command, before they reach a connection.
#[derive(Default)]
pub struct FieldInput {
    values: Vec<(String, Zeroizing<String>)>,
}

impl FieldInput {
    /// Parses `--set KEY=VALUE` arguments; a secret field is refused here.
    pub fn from_args(
        service: &Service,
        method: &Method,
        sets: &[String],
    ) -> Result<FieldInput, CliError> {
        let mut input = FieldInput::default();
        for set in sets {
            let (key, value) = set
                .split_once('=')
                .ok_or_else(|| CliError::usage("--set takes KEY=VALUE"))?;
            let field = known_field(service, method, key)?;
            if field.secret {
                return Err(CliError::usage(format!(
                    "{} is secret: give it on standard input with --secrets-stdin (KEY=VALUE lines), \
                     never on the command line",
                    field.label
                )));
            }
            input
                .values
                .push((key.to_owned(), Zeroizing::new(value.to_owned())));
        }
        Ok(input)
    }

    /// Adds `KEY=VALUE` lines read from standard input.
    pub fn read_stdin(&mut self, service: &Service, method: &Method) -> Result<(), CliError> {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
        self.parse_lines(service, method, &text)
    }

    fn parse_lines(
        &mut self,
        service: &Service,
        method: &Method,
        text: &str,
    ) -> Result<(), CliError> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            // The line may hold a secret: the message names only the line number.
            let (key, value) = line.split_once('=').ok_or_else(|| {
                CliError::usage(format!("standard input line {} is not KEY=VALUE", n + 1))
            })?;
            if method.field(key.trim()).is_none() {
                return Err(CliError::usage(format!(
                    "standard input line {} names no field of {} ({}); its fields are: {}",
                    n + 1,
                    service.name,
                    method.id,
                    field_keys(method)
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
        method: &Method,
        current: &Credentials,
    ) -> Result<(), CliError> {
        for field in method.fields.iter().filter(|f| f.secret && f.required) {
            if self.has(&field.key) || current.get(&field.key).is_some() {
                continue;
            }
            if !unlock::has_terminal() {
                return Ok(());
            }
            let value = unlock::prompt_secret(&format!("{}: ", field.label))?;
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
    pub fn apply(&self, method: &Method, fields: &mut Credentials) -> Result<(), CliError> {
        for (key, value) in &self.values {
            let field = method.field(key).expect("keys were checked when read");
            if !value.trim().is_empty() {
                field.validate(value)?;
            }
            fields.set(key.clone(), value.trim().to_owned());
        }
        Ok(())
    }
}

/// Checks that every required field has a value (or a default).
pub fn require_complete(method: &Method, fields: &Credentials) -> Result<(), CliError> {
    let missing: Vec<_> = method
        .fields
        .iter()
        .filter(|f| f.required && f.default.is_none() && fields.get(&f.key).is_none())
        .map(|f| format!("{} ({})", f.label, f.key))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "missing required field{}: {}; give them, or add the connection with --empty to fill in later",
        if missing.len() > 1 { "s" } else { "" },
        missing.join(", ")
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

fn known_field<'m>(
    service: &Service,
    method: &'m Method,
    key: &str,
) -> Result<&'m crate::catalog::Field, CliError> {
    method.field(key).ok_or_else(|| {
        CliError::usage(format!(
            "{} ({}) has no field \"{key}\"; its fields are: {}",
            service.name,
            method.id,
            field_keys(method)
        ))
    })
}

fn field_keys(method: &Method) -> String {
    method
        .fields
        .iter()
        .map(|f| f.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn twilio() -> (&'static Service, &'static Method) {
        let s = Catalog::embedded().service("twilio").unwrap();
        (s, s.default_method())
    }

    #[test]
    fn a_secret_on_the_command_line_is_refused() {
        let (s, m) = twilio();
        let err = FieldInput::from_args(s, m, &["auth_token=abc".into()])
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
        let (s, m) = twilio();
        let mut input = FieldInput::default();
        input
            .parse_lines(s, m, "# comment\nauth_token=tok=en\n\n")
            .unwrap();
        let mut fields = Credentials::default();
        input.apply(m, &mut fields).unwrap();
        assert_eq!(fields.get("auth_token"), Some("tok=en"));
        let err = input
            .parse_lines(s, m, "sekrit-without-equals")
            .err()
            .unwrap();
        assert!(!err.message.contains("sekrit"));
    }

    #[test]
    fn unknown_fields_name_the_known_ones() {
        let (s, m) = twilio();
        let err = FieldInput::from_args(s, m, &["sid=AC1".into()])
            .err()
            .unwrap();
        assert!(
            err.message.contains("account_sid, auth_token, base_url"),
            "{}",
            err.message
        );
    }
}
