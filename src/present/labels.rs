//! Text for catalog and vault values: labels, status words, error messages.

use time::OffsetDateTime;

use crate::catalog::{Catalog, Field, FieldError, Method, Service};
use crate::locale::Locale;
use crate::vault::Connection;
use crate::vault::NameError;
use crate::vault::status::{Assessment, Detail, Status, Tone};

/// A field's label in the interface language, else the catalog's.
pub fn field_label<'a>(locale: &'a Locale, service: &str, field: &'a Field) -> &'a str {
    translated(
        locale,
        format!("catalog.{service}.fields.{}", field.key),
        &field.label,
    )
}

/// Whose fields a form shows, which decides where their labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelScope {
    /// A service's credential fields.
    Service(String),
    /// An action's inputs.
    Action(String),
}

/// A field's label in the interface language, for its scope.
pub fn scoped_label<'a>(locale: &'a Locale, scope: &LabelScope, field: &'a Field) -> &'a str {
    match scope {
        LabelScope::Service(service) => field_label(locale, service, field),
        LabelScope::Action(action) => input_label(locale, action, field),
    }
}

/// A service's name in the interface language (product names stay as they are).
pub fn service_name<'a>(locale: &'a Locale, service: &'a Service) -> &'a str {
    translated(
        locale,
        format!("catalog.{}.name", service.id),
        &service.name,
    )
}

/// A method's name in the interface language.
pub fn method_name<'a>(locale: &'a Locale, service: &str, method: &'a Method) -> &'a str {
    translated(
        locale,
        format!("catalog.{service}.method.{}", method.id),
        &method.name,
    )
}

fn translated<'a>(locale: &'a Locale, key: String, fallback: &'a str) -> &'a str {
    locale.lookup(&key).unwrap_or(fallback)
}

/// The status mark and word; never colour alone.
pub fn status_mark(status: Status) -> &'static str {
    match status {
        Status::Ready => "✓",
        Status::Pending => "○",
        Status::Empty => "!",
        Status::Refreshing => "↻",
        Status::Failed => "✗",
        Status::Damaged => "⚠",
    }
}

/// The mark of an assessment: a warning mark when a usable connection needs
/// a look (its renewal was refused), so "ready" is never shown as all well.
pub fn assessment_mark(a: &Assessment) -> &'static str {
    match (a.status, a.tone()) {
        (Status::Ready, Tone::Warning) => "!",
        (status, _) => status_mark(status),
    }
}

/// The status word of an assessment: "fetching" for a first token, which
/// renews nothing.
pub fn assessment_word<'a>(locale: &'a Locale, a: &Assessment) -> &'a str {
    match a.detail {
        Detail::Fetching => locale.t("status.fetching"),
        _ => status_word(locale, a.status),
    }
}

/// The status word in the interface language.
pub fn status_word(locale: &Locale, status: Status) -> &str {
    locale.t(match status {
        Status::Ready => "status.ready",
        Status::Pending => "status.pending",
        Status::Empty => "status.empty",
        Status::Refreshing => "status.refreshing",
        Status::Failed => "status.failed",
        Status::Damaged => "status.damaged",
    })
}

/// A connection's detail in words, field labels translated, times relative to `now`.
pub fn detail(
    locale: &Locale,
    connection: Option<&Connection>,
    assessment: &Assessment,
    now: OffsetDateTime,
) -> String {
    match &assessment.detail {
        Detail::Missing(_) => {
            let catalog = Catalog::embedded();
            let service = connection.and_then(|c| catalog.service(&c.service));
            let method = connection
                .zip(service)
                .and_then(|(c, s)| s.method(&c.method));
            let labels: Vec<&str> = assessment
                .missing
                .iter()
                .map(|key| match (service, method.and_then(|m| m.field(key))) {
                    (Some(s), Some(f)) => field_label(locale, &s.id, f),
                    _ => key.as_str(),
                })
                .collect();
            locale.f(
                "detail.missing",
                &[("fields", &labels.join(locale.t("common.separator")))],
            )
        }
        Detail::NoTokenYet => locale.t("detail.no_token").to_owned(),
        Detail::TokenExpired => locale.t("detail.token_expired").to_owned(),
        Detail::TokenValid {
            expires_at,
            renewal_failed,
        } => {
            let validity = match expires_at {
                Some(at) => locale.f(
                    "detail.token_expires_in",
                    &[("in", &duration(locale, *at - now))],
                ),
                None => locale.t("detail.token_no_expiry").to_owned(),
            };
            match renewal_failed {
                Some(reason) => locale.f(
                    "detail.valid_but_failed",
                    &[("validity", &validity), ("reason", reason)],
                ),
                None => validity,
            }
        }
        Detail::Renewing => locale.t("detail.renewing").to_owned(),
        Detail::Fetching => locale.t("detail.fetching").to_owned(),
        Detail::RenewalFailed {
            reason,
            needs_new_credentials,
        } => locale.f(
            if *needs_new_credentials {
                "detail.failed_credentials"
            } else {
                "detail.failed"
            },
            &[("reason", reason)],
        ),
        Detail::Static(kind) => {
            use crate::catalog::AuthKind::*;
            locale
                .t(match kind {
                    Webhook => "detail.webhook",
                    Basic => "detail.basic",
                    Bearer => "detail.bearer",
                    KeyPair => "detail.key_pair",
                    JwtLocal => "detail.jwt_local",
                    ServiceAccount => "detail.service_account",
                    _ => "detail.static_key",
                })
                .to_owned()
        }
        Detail::UnknownService(s) => locale.f("detail.unknown_service", &[("service", s)]),
        Detail::IntegrityFailed => locale.t("detail.integrity").to_owned(),
    }
}

/// A duration in the largest whole unit: `23h`, `5m`, `40s`.
pub fn duration(locale: &Locale, d: time::Duration) -> String {
    let (key, n) = duration_unit(d);
    locale.f(key, &[("n", &n.to_string())])
}

/// The unit's text key and the count [`duration`] shows.
fn duration_unit(d: time::Duration) -> (&'static str, i64) {
    let secs = d.whole_seconds().max(0);
    let (key, unit) = unit_of(secs);
    (key, secs / unit)
}

/// The largest whole unit [`duration`] shows `secs` in: its text key and its
/// length in seconds.
fn unit_of(secs: i64) -> (&'static str, i64) {
    match secs {
        s if s >= 2 * 86_400 => ("time.days", 86_400),
        s if s >= 3_600 => ("time.hours", 3_600),
        s if s >= 60 => ("time.minutes", 60),
        _ => ("time.seconds", 1),
    }
}

/// How long until [`duration`] of a time left that shrinks reads otherwise
/// (it does just after): to the next whole unit it shows. A countdown woken at that moment, rather
/// than every second or minute of the wall clock, changes at an even pace.
pub fn until_duration_changes(left: time::Duration) -> std::time::Duration {
    let ms = left.whole_milliseconds().max(0);
    let unit = i128::from(unit_of(left.whole_seconds().max(0)).1) * 1000;
    // The shown value changes just after this: wake a little later.
    std::time::Duration::from_millis(u64::try_from(ms % unit).unwrap_or(u64::MAX))
}

/// A field validation error in the interface language.
pub fn field_error(locale: &Locale, label: &str, error: &FieldError) -> String {
    // `extra` fills {choices} or {example}, whichever the message has.
    let (key, extra) = match error {
        FieldError::Required { .. } => ("field_error.required", None),
        FieldError::NotAHost { .. } => ("field_error.not_a_host", None),
        FieldError::NotAUrl { .. } => ("field_error.not_a_url", None),
        FieldError::NotHttps { .. } => ("field_error.not_https", None),
        FieldError::CredentialsInUrl { .. } => ("field_error.credentials_in_url", None),
        FieldError::NotAnEmail { .. } => ("field_error.not_an_email", None),
        FieldError::NotPem { .. } => ("field_error.not_pem", None),
        FieldError::NotAChoice { choices, .. } => {
            ("field_error.not_a_choice", Some(choices.as_str()))
        }
        FieldError::NotJson { .. } => ("field_error.not_json", None),
        FieldError::TooLong { max, .. } => {
            return locale.f(
                "field_error.too_long",
                &[("label", label), ("max", &max.to_string())],
            );
        }
        FieldError::NoMatch {
            example: Some(e), ..
        } => ("field_error.no_match_example", Some(e.as_str())),
        FieldError::NoMatch { example: None, .. } => ("field_error.no_match", None),
    };
    let extra = extra.unwrap_or_default();
    locale.f(
        key,
        &[("label", label), ("choices", extra), ("example", extra)],
    )
}

/// A name validation error in the interface language.
pub fn name_error(locale: &Locale, error: NameError) -> &str {
    locale.t(match error {
        NameError::Empty => "name_error.empty",
        NameError::TooLong => "name_error.too_long",
        NameError::ControlCharacters => "name_error.control",
        NameError::Invisible => "name_error.invisible",
    })
}

/// An action's name in the interface language.
pub fn action_name<'a>(locale: &'a Locale, action: &'a crate::catalog::Action) -> &'a str {
    translated(locale, format!("actions.{}.name", action.id), &action.name)
}

/// An action input's label in the interface language.
pub fn input_label<'a>(locale: &'a Locale, action: &str, field: &'a Field) -> &'a str {
    translated(
        locale,
        format!("actions.{action}.inputs.{}", field.key),
        &field.label,
    )
}

/// What keeps an action from running, in words.
pub fn warning(locale: &Locale, action: &str, warning: &crate::actions::Warning) -> String {
    use crate::actions::Warning as W;
    match warning {
        W::UnknownAction(id) => locale.f("warning.unknown_action", &[("action", id)]),
        W::NoConnection => locale.t("warning.no_connection").to_owned(),
        W::ConnectionUnusable => locale.t("warning.connection_unusable").to_owned(),
        W::WrongService => locale.t("warning.wrong_service").to_owned(),
        W::EmptyConnection(labels) => locale.f(
            "warning.empty_connection",
            &[("fields", &labels.join(locale.t("common.separator")))],
        ),
        W::MissingScope(scope) => locale.f("warning.missing_scope", &[("scope", scope)]),
        W::TokenFailed(reason) => locale.f("warning.token_failed", &[("reason", reason)]),
        W::Input(e) => {
            let label = crate::catalog::Catalog::embedded()
                .action(action)
                .and_then(|a| a.inputs.iter().find(|f| f.label == error_label(e)))
                .map_or_else(
                    || error_label(e).to_owned(),
                    |f| input_label(locale, action, f).to_owned(),
                );
            field_error(locale, &label, e)
        }
    }
}

/// The label a field error names.
pub fn error_label(e: &FieldError) -> &str {
    match e {
        FieldError::Required { label }
        | FieldError::NotAHost { label }
        | FieldError::NotAUrl { label }
        | FieldError::NotHttps { label }
        | FieldError::CredentialsInUrl { label }
        | FieldError::NotAnEmail { label }
        | FieldError::NotPem { label }
        | FieldError::NotJson { label }
        | FieldError::TooLong { label, .. }
        | FieldError::NotAChoice { label, .. }
        | FieldError::NoMatch { label, .. } => label,
    }
}

/// An error answer from a service, in words.
pub fn problem(locale: &Locale, problem: &crate::actions::problem::Problem) -> String {
    use crate::actions::problem::Problem as P;
    match problem {
        P::InsufficientScope { message } => {
            locale.f("problem.insufficient_scope", &[("message", message)])
        }
        P::Unauthorized { message } => locale.f(
            "problem.unauthorized",
            &[("message", message.as_deref().unwrap_or("-"))],
        ),
        P::Twilio { code, message } => locale.f(
            "problem.twilio",
            &[("code", &code.to_string()), ("message", message)],
        ),
        P::Http { status, message } => {
            let reason = reqwest::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or_default();
            let args = [
                ("status", status.to_string()),
                ("reason", reason.to_owned()),
                ("message", message.clone().unwrap_or_default()),
            ];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            locale.f(
                if message.is_some() {
                    "problem.http"
                } else {
                    "problem.http_bare"
                },
                &args,
            )
        }
    }
}

/// Why a step of a run failed, in words.
pub fn step_failure(
    locale: &Locale,
    action: &str,
    failure: &crate::actions::StepFailure,
) -> String {
    use crate::actions::StepFailure as F;
    match failure {
        F::UnknownAction(id) => locale.f("warning.unknown_action", &[("action", id)]),
        F::ConnectionUnusable(why) => locale.f("run.connection_unusable", &[("reason", why)]),
        F::Prepare(e) => locale.f(
            "run.cannot_build",
            &[("reason", &prepare_error(locale, action, e))],
        ),
        F::Token(why) => locale.f("run.no_token", &[("reason", &obtain_error(locale, why))]),
        F::Send { error, .. } => locale.f("run.no_answer", &[("reason", error)]),
        F::Refused { response, .. } => match &response.problem {
            Some(p) => problem(locale, p),
            None => format!("HTTP {}", response.status),
        },
        F::Local(e) => locale.f("run.local_failed", &[("reason", &e.to_string())]),
    }
}

/// A vault error in the interface language; technical details (SQLite, I/O)
/// stay as the system gives them.
pub fn vault_error(locale: &Locale, error: &crate::vault::VaultError) -> String {
    use crate::vault::{InsecureReason, VaultError as E};
    let path = |p: &std::path::Path| p.display().to_string();
    match error {
        E::CannotUnlock => locale.t("vault_error.cannot_unlock").to_owned(),
        E::AgentLocked => locale.t("vault_error.agent_locked").to_owned(),
        E::Missing(p) => locale.f("vault_error.missing", &[("path", &path(p))]),
        E::AlreadyExists(p) => locale.f("vault_error.already_exists", &[("path", &path(p))]),
        E::LeftoverLog(p) => locale.f("vault_error.leftover_log", &[("path", &path(p))]),
        E::InsecurePath { path: p, reason } => {
            let reason = match reason {
                InsecureReason::Symlink => locale.t("vault_error.symlink").to_owned(),
                InsecureReason::NotAFile => locale.t("vault_error.not_a_file").to_owned(),
                InsecureReason::OpenMode(mode) => locale.f(
                    "vault_error.open_mode",
                    &[("mode", &format!("{mode:o}")), ("path", &path(p))],
                ),
                InsecureReason::OtherOwner => locale.t("vault_error.other_owner").to_owned(),
                InsecureReason::OpenFolder(mode) => locale.f(
                    "vault_error.open_folder",
                    &[("mode", &format!("{mode:o}")), ("path", &path(p))],
                ),
            };
            locale.f(
                "vault_error.insecure",
                &[("path", &path(p)), ("reason", &reason)],
            )
        }
        E::NotAVault(p) => locale.f("vault_error.not_a_vault", &[("path", &path(p))]),
        E::ReadOnlyFolder(p) => locale.f("vault_error.read_only_folder", &[("path", &path(p))]),
        E::NotWritable(p) => locale.f("vault_error.not_writable", &[("path", &path(p))]),
        E::FileTooLarge { path: p, max } => locale.f(
            "vault_error.file_too_large",
            &[("path", &path(p)), ("max", &max.to_string())],
        ),
        E::TooNew(v) => locale.f("vault_error.too_new", &[("version", &v.to_string())]),
        E::FileExists(p) => locale.f("vault_error.file_exists", &[("path", &path(p))]),
        E::KeyFileTooShort { path: p, len } => locale.f(
            "vault_error.key_file_too_short",
            &[("path", &path(p)), ("len", &len.to_string())],
        ),
        E::NotFound(name) => locale.f("vault_error.not_found", &[("name", name)]),
        E::IdNotFound(id) => locale.f("vault_error.id_not_found", &[("id", id.as_str())]),
        E::FlowNotFound(name) => locale.f("vault_error.flow_not_found", &[("name", name)]),
        E::DuplicateFlow(name) => locale.f("vault_error.duplicate_flow", &[("name", name)]),
        E::DamagedFlow(name) => locale.f("vault_error.damaged_flow", &[("name", name)]),
        E::DuplicateName(name) => locale.f("vault_error.duplicate_name", &[("name", name)]),
        E::Damaged { id, name } => {
            let who = name
                .as_ref()
                .map_or_else(|| id.to_string(), |n| format!("“{n}”"));
            locale.f("vault_error.damaged", &[("name", &who)])
        }
        E::Conflict(name) => locale.f("vault_error.conflict", &[("name", name)]),
        E::Tampered(report) => locale.f(
            "vault_error.tampered",
            &[("changes", &integrity_changes(locale, report))],
        ),
        E::AuditBroken { seq, reason } => locale.f(
            "vault_error.audit_broken",
            &[("seq", &seq.to_string()), ("reason", reason)],
        ),
        E::FileOnly(operation) => locale.f("vault_error.file_only", &[("operation", operation)]),
        E::OpenBaoOnly(option) => locale.f("vault_error.openbao_only", &[("option", option)]),
        E::NoUnlockKey(p) => locale.f("vault_error.no_unlock_key", &[("path", &path(p))]),
        E::Agent(detail) => locale.f("vault_error.agent", &[("detail", detail)]),
        other => locale.f("vault_error.other", &[("detail", &other.to_string())]),
    }
}

/// What the whole-vault digest found, in words: "1 connection(s) removed; …".
pub fn integrity_changes(locale: &Locale, report: &crate::vault::IntegrityReport) -> String {
    use crate::vault::{Change, RecordKind};
    if report.mismatches.is_empty() {
        return locale.t("vault_error.tampered_digest").to_owned();
    }
    let parts: Vec<String> = report
        .mismatches
        .iter()
        .map(|m| {
            let kind = locale.t(match m.kind {
                RecordKind::Connections => "vault_error.kind_connections",
                RecordKind::Tokens => "vault_error.kind_tokens",
                RecordKind::RenewalStates => "vault_error.kind_refresh_state",
                RecordKind::Flows => "vault_error.kind_flows",
                RecordKind::FlowSteps => "vault_error.kind_flow_steps",
            });
            match m.change() {
                Change::Removed(n) => locale.f(
                    "vault_error.tampered_removed",
                    &[("n", &n.to_string()), ("kind", kind)],
                ),
                Change::Added(n) => locale.f(
                    "vault_error.tampered_added",
                    &[("n", &n.to_string()), ("kind", kind)],
                ),
                Change::RolledBack => {
                    locale.f("vault_error.tampered_rolled_back", &[("kind", kind)])
                }
            }
        })
        .collect();
    parts.join("; ")
}

/// Why no token request can be built, in words.
pub fn grant_setup_error(locale: &Locale, e: &crate::auth::grant::GrantSetupError) -> String {
    use crate::auth::grant::GrantSetupError as E;
    match e {
        E::NoToken => locale.t("auth_error.no_token").to_owned(),
        E::UnknownService(s) => locale.f("auth_error.unknown_service", &[("service", s)]),
        E::Missing(key) => locale.f("auth_error.missing", &[("fields", key)]),
        E::BadUrl => locale.t("auth_error.bad_url").to_owned(),
        E::Insecure => locale.t("auth_error.insecure").to_owned(),
    }
}

/// The line under a response body the server sent too much of.
pub fn response_cut(locale: &Locale) -> String {
    locale.f(
        "run.response_cut",
        &[(
            "limit",
            &crate::auth::client::size_words(crate::actions::run::MAX_RESPONSE),
        )],
    )
}

/// Why a token request failed, in words (the server's own codes stay as sent).
pub fn grant_error(locale: &Locale, e: &crate::auth::GrantError) -> String {
    use crate::auth::GrantError as E;
    match e {
        E::Refused {
            status,
            error,
            description,
            ..
        } => {
            let words = match (error, description) {
                (Some(e), Some(d)) => format!("{e}: {d}"),
                (Some(e), None) => e.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => "-".to_owned(),
            };
            locale.f(
                "auth_error.refused",
                &[("status", &status.to_string()), ("reason", &words)],
            )
        }
        E::BadResponse { status, what } => locale.f(
            if *what == "no access_token" {
                "auth_error.no_access_token"
            } else {
                "auth_error.not_json"
            },
            &[("status", &status.to_string())],
        ),
        E::Oversized {
            status,
            part,
            limit,
        } => locale.f(
            "auth_error.oversized",
            &[
                ("status", &status.to_string()),
                ("part", part),
                ("limit", &crate::auth::client::size_words(*limit)),
            ],
        ),
        E::BadLifetime { status, value } => locale.f(
            "auth_error.bad_lifetime",
            &[("status", &status.to_string()), ("value", value)],
        ),
        E::Timeout => locale.t("auth_error.timeout").to_owned(),
        E::Unreachable(why) => locale.f("auth_error.unreachable", &[("reason", why)]),
        E::Internal => locale.t("auth_error.internal").to_owned(),
    }
}

/// Why a token could not be had, in words.
pub fn cannot_renew(locale: &Locale, e: &crate::auth::renewal::CannotRenew) -> String {
    use crate::auth::renewal::CannotRenew as E;
    match e {
        E::Setup(e) => grant_setup_error(locale, e),
        E::CredentialsRefused(code) => {
            locale.f("auth_error.credentials_refused", &[("reason", code)])
        }
        E::NoToken => locale.t("cli.no_token_stored").to_owned(),
    }
}

/// Why no token could be obtained, in words.
pub fn obtain_error(locale: &Locale, e: &crate::auth::renewal::ObtainError) -> String {
    use crate::auth::renewal::ObtainError as E;
    match e {
        E::Vault(v) => vault_error(locale, v),
        E::Cannot(c) => cannot_renew(locale, c),
        E::Grant(g) => grant_error(locale, g),
        E::BusyTooLong => locale.t("auth_error.busy").to_owned(),
    }
}

/// Why a request could not be built, in words.
pub fn prepare_error(
    locale: &Locale,
    action: &str,
    e: &crate::actions::request::PrepareError,
) -> String {
    use crate::actions::request::PrepareError as E;
    match e {
        E::Input(field) => {
            let label = crate::catalog::Catalog::embedded()
                .action(action)
                .and_then(|a| a.inputs.iter().find(|f| f.label == error_label(field)))
                .map_or_else(
                    || error_label(field).to_owned(),
                    |f| input_label(locale, action, f).to_owned(),
                );
            field_error(locale, &label, field)
        }
        E::NoConnection => locale.t("warning.no_connection").to_owned(),
        E::WrongService => locale.t("warning.wrong_service").to_owned(),
        E::Incomplete(keys) => locale.f("warning.empty_connection", &[("fields", keys)]),
        E::BadUrl => locale.t("prepare_error.bad_url").to_owned(),
        E::Insecure => locale.t("prepare_error.insecure").to_owned(),
        E::Template(detail) => detail.clone(),
        E::BadHeaders => locale.t("prepare_error.bad_headers").to_owned(),
    }
}

/// An action in words.
pub fn audit_action(locale: &Locale, action: crate::vault::audit::AuditAction) -> &str {
    use crate::vault::audit::AuditAction;
    locale.t(match action {
        AuditAction::Add => "audit.action.add",
        AuditAction::Edit => "audit.action.edit",
        AuditAction::Rename => "audit.action.rename",
        AuditAction::Remove => "audit.action.remove",
        AuditAction::Reveal => "audit.action.reveal",
        AuditAction::Copy => "audit.action.copy",
        AuditAction::TokenPrinted => "audit.action.token_printed",
        AuditAction::RunSent => "audit.action.run_sent",
        AuditAction::Refresh => "audit.action.refresh",
        AuditAction::Passwd => "audit.action.passwd",
        AuditAction::Rekey => "audit.action.rekey",
        AuditAction::CopyVault => "audit.action.copy_vault",
        AuditAction::FlowAdd => "audit.action.flow_add",
        AuditAction::FlowEdit => "audit.action.flow_edit",
        AuditAction::FlowRename => "audit.action.flow_rename",
        AuditAction::FlowRemove => "audit.action.flow_remove",
        AuditAction::SecretPrinted => "audit.action.secret_printed",
        AuditAction::ExecEnv => "audit.action.exec_env",
        AuditAction::AgentUnlocked => "audit.action.agent_unlocked",
        AuditAction::AgentLocked => "audit.action.agent_locked",
        AuditAction::Export => "audit.action.export",
        AuditAction::Import => "audit.action.import",
        AuditAction::Backup => "audit.action.backup",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The wait ends on the last moment that reads as now: a millisecond
        /// later the countdown shows its next value, never one skipped.
        #[test]
        fn a_countdown_wakes_just_before_its_text_changes(ms in 1i64..400_000_000) {
            let left = time::Duration::milliseconds(ms);
            let wait = time::Duration::try_from(until_duration_changes(left)).unwrap();
            let at_wake = left - wait;
            prop_assert_eq!(duration_unit(at_wake), duration_unit(left));
            let next = duration_unit(at_wake - time::Duration::milliseconds(1));
            prop_assert_ne!(next, duration_unit(left));
        }
    }
}
