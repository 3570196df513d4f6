//! `unlock`, `lock` and the hidden `agent-serve`: the unlock agent's commands.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::vault::agent::{self, Unlocker};

use super::GlobalArgs;
use super::error::CliError;
use super::output::message;
use super::unlock;

/// How long `unlock` waits for an agent it started to listen.
const START_WAIT: Duration = Duration::from_secs(5);

/// `unlock [--timeout DURATION]`: hands the vault file's key to the agent,
/// starting it first if none runs.
pub fn unlock(global: &GlobalArgs, timeout: Option<&str>) -> Result<(), CliError> {
    let locale = global.locale();
    let timeout = match timeout {
        None => agent::DEFAULT_TIMEOUT,
        Some(text) => match crate::config::timeouts::parse_duration(text) {
            Some(Some(duration)) => duration,
            _ => {
                return Err(CliError::usage(
                    locale.f("agent.bad_timeout", &[("timeout", text)]),
                ));
            }
        },
    };
    let path = unlock::file_path(global, "unlock")?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(crate::vault::VaultError::Missing(path).into());
    }
    let mut unlocker = running_agent(timeout)?;
    unlock::with_key(
        &path,
        global.key_file.as_deref(),
        global.passphrase_file.as_deref(),
        |key| Ok(unlocker.unlock(&path, key, timeout)?),
    )?;
    message(&locale.f(
        "agent.unlocked",
        &[
            ("path", &path.display().to_string()),
            ("timeout", &crate::config::timeouts::describe(Some(timeout))),
        ],
    ));
    Ok(())
}

/// `lock`: the agent forgets every key now.
pub fn lock(global: &GlobalArgs) -> Result<(), CliError> {
    let locale = global.locale();
    if agent::lock()? {
        message(locale.t("agent.locked"));
    } else {
        message(locale.t("agent.not_running"));
    }
    Ok(())
}

/// `agent-serve --socket PATH --timeout-secs N`: the agent itself.
pub fn serve(socket: &Path, timeout_secs: u64) -> Result<(), CliError> {
    agent::serve(socket, Duration::from_secs(timeout_secs.max(1))).map_err(|e| match e {
        agent::ServeError::Vault(e) => e.into(),
        other => CliError::failure(other.to_string()),
    })
}

/// A connection to the agent, started (detached) if none answers.
fn running_agent(timeout: Duration) -> Result<Unlocker, CliError> {
    if let Some(unlocker) = agent::unlocker() {
        return Ok(unlocker);
    }
    let socket = agent::socket_path();
    // Said here, with its reason, rather than lost on the agent's /dev/null.
    agent::prepare_folder(&socket)?;
    let exe = std::env::current_exe().map_err(|e| start_failed(&e.to_string()))?;
    let mut command = Command::new(exe);
    command
        .arg("agent-serve")
        .arg("--socket")
        .arg(&socket)
        .arg("--timeout-secs")
        .arg(timeout.as_secs().to_string())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = crate::platform::in_new_session(&mut command)
        .spawn()
        .map_err(|e| start_failed(&e.to_string()))?;
    let deadline = Instant::now() + START_WAIT;
    loop {
        if let Some(unlocker) = Unlocker::connect(&socket) {
            return Ok(unlocker);
        }
        if let Ok(Some(status)) = child.try_wait() {
            // It ended at once: another agent won a race (then it answers
            // now), or it could not start.
            return Unlocker::connect(&socket).ok_or_else(|| start_failed(&status.to_string()));
        }
        if Instant::now() >= deadline {
            return Err(start_failed("it did not listen in time"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_failed(why: &str) -> CliError {
    CliError::failure(crate::locale::current().f("agent.start_failed", &[("error", why)]))
}
