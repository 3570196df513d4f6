//! The daemon's log: lines on stderr in English whatever the interface
//! language (they go to journals and to people searching them), stamped with
//! the time unless journald, which stamps lines itself, is reading them.

use std::os::unix::fs::MetadataExt;

use time::OffsetDateTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::auth::RefreshEvent;
use crate::locale::Locale;
use crate::locale::terminal_safe::escape_line;
use crate::present::labels::duration;
use crate::vault::now;

/// The language of every log line.
pub fn english() -> &'static Locale {
    Locale::english()
}

/// The installed log, whose level can be changed while it runs.
pub struct Log {
    filter: reload::Handle<EnvFilter, Registry>,
}

impl Log {
    /// Logs to stderr at the level `FLOWVAULT_LOG` says (default `info`),
    /// without colours; `None` when a logger was installed already (tests
    /// that run the daemon in-process).
    pub fn install() -> Option<Log> {
        let (filter, handle) = reload::Layer::new(level_filter());
        let lines = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_target(false)
            .with_writer(std::io::stderr);
        let registry = tracing_subscriber::registry().with(filter);
        let installed = if stderr_is_journal() {
            registry.with(lines.without_time()).try_init()
        } else {
            registry.with(lines).try_init()
        };
        installed.ok().map(|()| Log { filter: handle })
    }

    /// Reads the level again (from `FLOWVAULT_LOG` today; the config file's,
    /// when there is one, will be passed in here).
    pub fn reload_level(&self) -> Result<(), reload::Error> {
        self.filter.reload(level_filter())
    }
}

/// `FLOWVAULT_LOG` (`warn`, `flowvault=debug`, …), else `info`.
fn level_filter() -> EnvFilter {
    EnvFilter::try_from_env("FLOWVAULT_LOG").unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Whether stderr is journald's stream: `JOURNAL_STREAM` names its device
/// and inode (systemd.exec(5)). A daemon started by a unit but logging to a
/// file of its own (`2>>file`) inherits the variable, and keeps its stamps.
pub fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some(stream) = stream.to_str() else {
        return false;
    };
    stderr_identity().is_some_and(|(device, inode)| names_stream(stream, device, inode))
}

/// The device and inode of the file stderr is open on.
fn stderr_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(fd).metadata().ok()?;
    Some((metadata.dev(), metadata.ino()))
}

/// Whether `JOURNAL_STREAM`'s `DEVICE:INODE` (decimal) is this pair.
fn names_stream(stream: &str, device: u64, inode: u64) -> bool {
    let Some((d, i)) = stream.trim().split_once(':') else {
        return false;
    };
    d.parse() == Ok(device) && i.parse() == Ok(inode)
}

/// One log line per event, with the connection's id, the outcome and the next
/// attempt as fields; never a token or secret. A server's words are escaped:
/// the subscriber escapes ANSI sequences, not bidi or invisible characters.
pub fn log_event(event: &RefreshEvent) {
    let locale = english();
    let now = now();
    match event {
        RefreshEvent::Started { id, name } => {
            tracing::debug!(connection = %id, outcome = "started", "{}", locale.f("daemon.renewing", &[("name", name)]));
        }
        RefreshEvent::Renewed { id, name, record } => {
            let Some(token) = record.token.as_ref() else {
                return;
            };
            let next = crate::auth::schedule::renew_at(token, 0.0)
                .map_or_else(|| "-".to_owned(), format_time);
            tracing::info!(
                connection = %id,
                outcome = "renewed",
                next_attempt = %next,
                "{}",
                super::super::tokens::renewed_line(english(), name, token, now)
            );
        }
        RefreshEvent::Failed {
            id,
            name,
            reason,
            retry_in,
            ..
        } => {
            if let Some(wait) = retry_in {
                let next = crate::auth::schedule::after(now, *wait);
                tracing::warn!(
                    connection = %id,
                    outcome = "failed",
                    next_attempt = %format_time(next),
                    "{}",
                    locale.f(
                        "daemon.failed_retry",
                        &[
                            ("name", name),
                            ("reason", &escape_line(reason)),
                            (
                                "in",
                                &duration(locale, time::Duration::try_from(*wait).unwrap_or_default()),
                            ),
                        ],
                    )
                );
            } else {
                tracing::warn!(
                    connection = %id,
                    outcome = "failed",
                    next_attempt = "none",
                    "{}",
                    locale.f("daemon.failed_stop", &[("name", name), ("reason", &escape_line(reason))])
                );
            }
        }
        RefreshEvent::Updated { .. } => {}
    }
}

fn format_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_names_a_device_and_an_inode() {
        assert!(names_stream("8:12345", 8, 12345));
        assert!(names_stream("8:12345\n", 8, 12345));
        assert!(!names_stream("8:12346", 8, 12345));
        assert!(!names_stream("9:12345", 8, 12345));
        for junk in ["", "8", "8:", ":12345", "x:y", "8:12345:1"] {
            assert!(!names_stream(junk, 8, 12345), "{junk:?}");
        }
    }
}
