//! `audit [NAME] [--json] [--since WHEN] [--last N]` and `audit --verify`:
//! the vault's audit trail, listed or checked.

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::locale::Locale;
use crate::locale::terminal_safe::escape_line;
use crate::locale::width::width;
use crate::present::labels::audit_action;
use crate::vault::audit::{AuditCheck, AuditEntry, AuditQuery};
use crate::vault::{Store, VaultError, now};

use super::GlobalArgs;
use super::error::CliError;
use super::output::{message, print_json, print_line};
use super::shapes::audit_entry;
use super::unlock::open_store;

/// What `audit` was asked for.
#[derive(Debug)]
pub struct AuditArgs {
    pub name: Option<String>,
    pub json: bool,
    pub since: Option<String>,
    pub last: Option<usize>,
    pub verify: bool,
}

/// `audit`: lists the trail oldest first, or checks its chain.
pub fn audit(global: &GlobalArgs, args: AuditArgs) -> Result<(), CliError> {
    let vault = open_store(global)?;
    let locale = global.locale();
    if args.verify {
        return match vault.verify_audit()? {
            AuditCheck::Intact { entries } => {
                // The report is what `--verify` asks for: data, on stdout.
                print_line(&locale.f("cli.audit_intact", &[("n", &entries.to_string())]));
                Ok(())
            }
            AuditCheck::Broken { seq, reason } => Err(CliError::failure(locale.f(
                "cli.audit_broken",
                &[("seq", &seq.to_string()), ("reason", &reason)],
            ))),
        };
    }
    let since =
        match &args.since {
            Some(when) => Some(parse_when(when, now()).ok_or_else(|| {
                CliError::usage(locale.f("cli.audit_bad_since", &[("when", when)]))
            })?),
            None => None,
        };
    let target_id = match &args.name {
        Some(name) => Some(target_id(vault.as_ref(), name)?),
        None => None,
    };
    let entries = vault.audit_entries(&AuditQuery {
        target_id,
        since,
        last: args.last,
    })?;
    if args.json {
        let shown: Vec<_> = entries.iter().map(audit_entry).collect();
        print_json(&shown);
        return Ok(());
    }
    if entries.is_empty() {
        message(locale.t("cli.audit_empty"));
        return Ok(());
    }
    // The action column is as wide as its widest label in this listing, so
    // a long one ("handed to a program") does not push its row out of line.
    let action_width = entries
        .iter()
        .map(|e| width(audit_action(locale, e.event.action)))
        .fold(16, usize::max);
    for entry in &entries {
        print_line(&entry_line(locale, entry, action_width));
    }
    Ok(())
}

/// The id entries about `name` carry: a connection or flow by name or id,
/// or one that is gone, by the id or the name its entries recorded.
fn target_id(vault: &dyn Store, name: &str) -> Result<String, CliError> {
    match vault.connection_id(name) {
        Ok(id) => return Ok(id.as_str().to_owned()),
        Err(VaultError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    match vault.flow(name) {
        Ok(flow) => return Ok(flow.id.as_str().to_owned()),
        Err(VaultError::FlowNotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let wanted = crate::vault::normalise_name(name);
    vault
        .audit_entries(&AuditQuery::default())?
        .iter()
        .rev()
        .filter_map(|e| e.event.target.as_ref())
        .find(|t| t.id == name || crate::vault::normalise_name(&t.name) == wanted)
        .map(|t| t.id.clone())
        .ok_or_else(|| VaultError::NotFound(name.to_owned()).into())
}

/// One line of the listing: when, who, what, which, and the detail.
fn entry_line(locale: &Locale, entry: &AuditEntry, action_width: usize) -> String {
    let pad = |s: &str, w: usize| {
        let s = escape_line(s);
        format!("{s}{}", " ".repeat(w.saturating_sub(width(&s))))
    };
    let at = entry.at.format(&Rfc3339).unwrap_or_default();
    let target = entry.event.target.as_ref().map_or("-", |t| t.name.as_str());
    let detail = entry.event.detail.as_deref().unwrap_or("");
    format!(
        "{} {} {} {} {}",
        pad(&at, 20),
        pad(&entry.actor, 20),
        pad(audit_action(locale, entry.event.action), action_width),
        pad(target, 20),
        escape_line(detail)
    )
    .trim_end()
    .to_owned()
}

/// `--since`: an RFC 3339 time, a date (`2026-12-01`, midnight UTC), or a
/// span back from now (`30m`, `12h`, `7d`).
fn parse_when(when: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let when = when.trim();
    if let Ok(t) = OffsetDateTime::parse(when, &Rfc3339) {
        return Some(t);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(when, &date_format) {
        return Some(d.with_time(Time::MIDNIGHT).assume_utc());
    }
    let split = when.len().checked_sub(1)?;
    let (n, unit) = when.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| *n >= 0)?;
    let span = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => return None,
    };
    now.checked_sub(span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn since_takes_times_dates_and_spans() {
        let now = datetime!(2026-12-02 12:00 UTC);
        assert_eq!(
            parse_when("2026-12-01T10:00:00Z", now),
            Some(datetime!(2026-12-01 10:00 UTC))
        );
        assert_eq!(
            parse_when("2026-11-30", now),
            Some(datetime!(2026-11-30 0:00 UTC))
        );
        assert_eq!(parse_when("2h", now), Some(datetime!(2026-12-02 10:00 UTC)));
        assert_eq!(parse_when("7d", now), Some(datetime!(2026-11-25 12:00 UTC)));
        assert_eq!(parse_when("yesterday", now), None);
        assert_eq!(parse_when("-3d", now), None);
        assert_eq!(parse_when("", now), None);
    }
}
