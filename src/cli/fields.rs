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

/// Largest file `--secret-file` reads: room for a certificate chain or a
/// service-account JSON file, never a read until memory runs out.
pub const MAX_SECRET_FILE_BYTES: usize = 1024 * 1024;

/// Field values given to one command, before they reach a connection.
#[derive(Default)]
pub struct FieldInput {
    values: Vec<GivenValue>,
}

/// One value given for a field.
struct GivenValue {
    key: String,
    value: Zeroizing<String>,
    /// Kept byte for byte (a file, a heredoc block); a `KEY=VALUE` value is
    /// trimmed, as a typed value's stray spaces are never meant.
    exact: bool,
}

impl GivenValue {
    fn typed(key: &str, value: &str) -> GivenValue {
        GivenValue {
            key: key.to_owned(),
            value: Zeroizing::new(value.to_owned()),
            exact: false,
        }
    }

    fn exact(key: &str, value: Zeroizing<String>) -> GivenValue {
        GivenValue {
            key: key.to_owned(),
            value,
            exact: true,
        }
    }
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
            input.values.push(GivenValue::typed(key, value));
        }
        Ok(input)
    }

    /// Adds `--secret-file KEY=PATH` values: each file's bytes exactly (no
    /// newline added or removed), UTF-8, at most [`MAX_SECRET_FILE_BYTES`].
    pub fn read_files(&mut self, set: &FieldSet<'_>, files: &[String]) -> Result<(), CliError> {
        for arg in files {
            let (key, path) = arg.split_once('=').ok_or_else(|| {
                CliError::usage(crate::locale::current().t("secret_input.file_syntax"))
            })?;
            set.known(key)?;
            let value = read_secret_file(key, std::path::Path::new(path))?;
            self.values.push(GivenValue::exact(key, value));
        }
        Ok(())
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

    /// Reads `KEY=VALUE` lines and `KEY<<MARKER` … `MARKER` blocks. A
    /// block's value is exactly the text between the line after `KEY<<MARKER`
    /// and the line break before the `MARKER` line, as a shell's `$(cat
    /// file)` would give: the block's last line break is not part of it.
    fn parse_lines(&mut self, set: &FieldSet<'_>, text: &str) -> Result<(), CliError> {
        let mut lines = Lines::new(text);
        while let Some(line) = lines.next_line() {
            let n = line.number;
            let content = line.content;
            if content.trim().is_empty() || content.trim_start().starts_with('#') {
                continue;
            }
            if let Some((key, marker)) = heredoc_start(content) {
                let field = set.field(key).ok_or_else(|| unknown_on_line(set, n))?;
                if marker.is_empty() || marker.contains(char::is_whitespace) {
                    return Err(CliError::usage(crate::locale::current().f(
                        "secret_input.heredoc_no_marker",
                        &[("line", &n.to_string()), ("key", &field.key)],
                    )));
                }
                let value = lines.block_until(marker).ok_or_else(|| {
                    CliError::usage(crate::locale::current().f(
                        "secret_input.heredoc_unterminated",
                        &[
                            ("key", &field.key),
                            ("marker", marker),
                            ("line", &n.to_string()),
                        ],
                    ))
                })?;
                check_value_size(&value, n)?;
                self.values.push(GivenValue::exact(&field.key, value));
                continue;
            }
            // The line may hold a secret: messages name only the line number.
            let (key, value) = content.split_once('=').ok_or_else(|| {
                CliError::usage(
                    crate::locale::current().f("cli.stdin_syntax", &[("line", &n.to_string())]),
                )
            })?;
            check_value_size(value, n)?;
            if set.field(key.trim()).is_none() {
                return Err(unknown_on_line(set, n));
            }
            self.values.push(GivenValue::typed(key.trim(), value));
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
            self.values.push(GivenValue {
                key: field.key.clone(),
                value,
                exact: false,
            });
        }
        Ok(())
    }

    fn has(&self, key: &str) -> bool {
        self.values
            .iter()
            .any(|v| v.key == key && !v.value.trim().is_empty())
    }

    /// Validates every given value and writes it into `fields` (blank clears).
    pub fn apply(&self, set: &FieldSet<'_>, fields: &mut Credentials) -> Result<(), CliError> {
        for GivenValue { key, value, exact } in &self.values {
            let field = set.field(key).expect("keys were checked when read");
            let blank = value.trim().is_empty();
            if !blank {
                field.validate(value).map_err(|e| {
                    CliError::usage(crate::present::labels::field_error(
                        crate::locale::current(),
                        set.label(field),
                        &e,
                    ))
                })?;
            }
            let stored = if *exact && !blank {
                value.as_str()
            } else {
                value.trim()
            };
            fields.set(key.clone(), stored.to_owned());
        }
        Ok(())
    }
}

/// The lines of standard input, each with its number (from 1) and where it
/// starts, so a block can be cut out of the text exactly.
struct Lines<'t> {
    text: &'t str,
    pos: usize,
    number: usize,
}

/// One line: its number and its text without the line break (nor a `\r`
/// before it).
struct Line<'t> {
    number: usize,
    start: usize,
    content: &'t str,
    /// Whether it ended in `\r\n`.
    crlf: bool,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            pos: 0,
            number: 0,
        }
    }

    fn next_line(&mut self) -> Option<Line<'t>> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i + 1);
        self.pos = end;
        self.number += 1;
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        let (content, crlf) = match line.strip_suffix('\r') {
            Some(content) => (content, true),
            None => (line, false),
        };
        Some(Line {
            number: self.number,
            start,
            content,
            crlf,
        })
    }

    /// The text from here to the line break before the next line that is
    /// exactly `marker`; `None` if no such line comes.
    fn block_until(&mut self, marker: &str) -> Option<Zeroizing<String>> {
        let body_start = self.pos;
        while let Some(line) = self.next_line() {
            if line.content == marker {
                let body = &self.text[body_start..line.start.max(body_start)];
                let body = body.strip_suffix('\n').unwrap_or(body);
                // A block typed with CRLF line ends loses the whole last break.
                let body = if line.crlf {
                    body.strip_suffix('\r').unwrap_or(body)
                } else {
                    body
                };
                return Some(Zeroizing::new(body.to_owned()));
            }
        }
        None
    }
}

/// `KEY<<MARKER`: the key and the marker, when `<<` comes before any `=`.
fn heredoc_start(line: &str) -> Option<(&str, &str)> {
    let at = line.find("<<")?;
    if line.find('=').is_some_and(|eq| eq < at) {
        return None;
    }
    Some((line[..at].trim(), line[at + 2..].trim()))
}

fn check_value_size(value: &str, line: usize) -> Result<(), CliError> {
    if value.len() <= MAX_STDIN_VALUE_BYTES {
        return Ok(());
    }
    Err(CliError::usage(crate::locale::current().f(
        "cli.stdin_value_too_large",
        &[
            ("line", &line.to_string()),
            ("max", &MAX_STDIN_VALUE_BYTES.to_string()),
        ],
    )))
}

/// An unknown key on standard input, named by line only (it may be a
/// secret typed on the wrong line).
fn unknown_on_line(set: &FieldSet<'_>, line: usize) -> CliError {
    CliError::usage(crate::locale::current().f(
        "cli.stdin_unknown_field",
        &[
            ("line", &line.to_string()),
            ("owner", &set.owner),
            ("keys", &set.keys()),
        ],
    ))
}

/// A `--secret-file` file's text, refused if too large or not UTF-8; the
/// messages name the key and the path, never the content.
fn read_secret_file(key: &str, path: &std::path::Path) -> Result<Zeroizing<String>, CliError> {
    let locale = crate::locale::current();
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| {
        CliError::usage(locale.f(
            "secret_input.file_unreadable",
            &[("path", &shown), ("key", key), ("error", &e.to_string())],
        ))
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // Room for it all at once: a growing buffer would leave copies behind.
    let size = file.metadata().map_or(0, |m| m.len());
    let capacity =
        usize::try_from(size).map_or(MAX_SECRET_FILE_BYTES, |n| n.min(MAX_SECRET_FILE_BYTES)) + 1;
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    // One byte over the limit is enough to know it was exceeded.
    file.take(MAX_SECRET_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > MAX_SECRET_FILE_BYTES {
        return Err(CliError::usage(locale.f(
            "secret_input.file_too_large",
            &[
                ("path", &shown),
                ("key", key),
                ("max", &MAX_SECRET_FILE_BYTES.to_string()),
            ],
        )));
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            // The refused bytes are wiped like any secret.
            drop(Zeroizing::new(e.into_bytes()));
            Err(CliError::usage(locale.f(
                "secret_input.file_not_utf8",
                &[("path", &shown), ("key", key)],
            )))
        }
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

    fn http_bearer() -> FieldSet<'static> {
        let s = Catalog::embedded().service("http").unwrap();
        FieldSet::credentials(s, s.method("bearer").unwrap())
    }

    fn parsed(set: &FieldSet<'_>, text: &str) -> Result<Credentials, CliError> {
        let mut input = FieldInput::default();
        input.parse_lines(set, text)?;
        let mut fields = Credentials::default();
        input.apply(set, &mut fields)?;
        Ok(fields)
    }

    #[test]
    fn a_heredoc_block_is_the_text_between_its_lines_without_the_last_break() {
        let set = http_bearer();
        let pem = "-----BEGIN PRIVATE KEY-----\n  indented = kept \n\n-----END PRIVATE KEY-----";
        let text = format!("# a key\ntoken<<END\n{pem}\nEND\n");
        assert_eq!(parsed(&set, &text).unwrap().get("token"), Some(pem));
        // A blank line before the marker is a final newline kept.
        let fields = parsed(&set, "token<<X\nabc\n\nX").unwrap();
        assert_eq!(fields.get("token"), Some("abc\n"));
        // CRLF input loses the whole last break, and keeps the inner ones.
        let fields = parsed(&set, "token<<X\r\na\r\nb\r\nX\r\n").unwrap();
        assert_eq!(fields.get("token"), Some("a\r\nb"));
        // A marker must be the whole line; one inside a line is content.
        let fields = parsed(&set, "token << EOF\nnot EOF\nEOF \nEOF").unwrap();
        assert_eq!(fields.get("token"), Some("not EOF\nEOF "));
    }

    #[test]
    fn heredoc_blocks_sit_beside_key_value_lines() {
        let s = Catalog::embedded().service("twilio").unwrap();
        let set = FieldSet::credentials(s, s.default_method());
        let fields = parsed(
            &set,
            "account_sid=AC0123456789abcdef0123456789abcdef\nauth_token<<T\nx<<y=z\nT\n",
        )
        .unwrap();
        assert_eq!(fields.get("auth_token"), Some("x<<y=z"));
        // `=` before `<<`: a plain line whose value holds `<<`.
        let fields = parsed(&set, "auth_token=a<<b\n").unwrap();
        assert_eq!(fields.get("auth_token"), Some("a<<b"));
    }

    #[test]
    fn an_unterminated_block_names_its_key_and_marker_and_never_its_content() {
        let set = http_bearer();
        let err = parsed(&set, "token<<END\nsekrit\nEN\n").err().unwrap();
        assert_eq!(err.exit, crate::cli::Exit::Usage);
        assert!(err.message.contains("token<<END"), "{}", err.message);
        assert!(err.message.contains("line 1"), "{}", err.message);
        assert!(!err.message.contains("sekrit"));
        let err = parsed(&set, "token<<\nx\n").err().unwrap();
        assert!(err.message.contains("marker"), "{}", err.message);
        let err = parsed(&set, "sekrit<<END\nEND\n").err().unwrap();
        assert!(!err.message.contains("sekrit"), "{}", err.message);
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
