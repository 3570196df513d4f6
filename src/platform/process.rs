//! Process hardening at start: no core files and no debugger or `/proc/PID/mem`
//! access by other processes of the same user, so a crash or a curious
//! neighbour cannot copy the data key and secrets out of memory.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Which step of the hardening failed; the process still runs, less protected.
#[derive(Debug, thiserror::Error)]
pub enum HardeningError {
    #[error("cannot make the process non-dumpable: {0}")]
    Dumpable(std::io::Error),
    #[error("cannot set the core file size limit to 0: {0}")]
    CoreLimit(std::io::Error),
}

/// Makes the process non-dumpable and its core size limit 0. Call first
/// thing in `main`, before any secret is read. Both steps are tried even if
/// one fails.
///
/// Only the soft limit is lowered: a non-dumpable process leaves no core
/// whatever its limit, and keeping the hard one lets a program `exec` starts
/// get back the limit the user set ([`restore_core_limit`]).
pub fn harden_process() -> Result<(), HardeningError> {
    let dumpable = disable_dumping();
    let core = disable_core_files();
    dumpable.map_err(HardeningError::Dumpable)?;
    core.map_err(HardeningError::CoreLimit)
}

/// Restores SIGPIPE's default action (end the process), which Rust's runtime
/// sets to ignore, so a closed pipe ends a command quietly. Call before any
/// thread starts.
pub fn end_quietly_on_closed_pipe() {
    // SAFETY: sets one signal's disposition to its default; no handler, no
    // pointer, and no other thread exists yet to race with.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// Whether the process may be dumped or attached to by its user (Linux's
/// `PR_GET_DUMPABLE`); always `true` where the platform has no such switch.
pub fn is_dumpable() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_DUMPABLE takes no pointer arguments and only reads a
        // flag of the calling process.
        let flag = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        flag != 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// The process's core file size limit: (soft, hard), in bytes.
pub fn core_limit() -> std::io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call to fill.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &raw mut limit) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // rlim_t is u64 on Linux but not on every platform.
    #[allow(clippy::unnecessary_cast)]
    Ok((limit.rlim_cur as u64, limit.rlim_max as u64))
}

#[cfg(target_os = "linux")]
fn disable_dumping() -> std::io::Result<()> {
    // SAFETY: PR_SET_DUMPABLE with 0 takes no pointer arguments; it only
    // changes a flag of the calling process.
    let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn disable_dumping() -> std::io::Result<()> {
    // No portable equivalent; the core limit below still prevents core files.
    Ok(())
}

/// The core limit the process started with (soft, hard); set once, read
/// between fork and exec, hence atomics rather than a lock.
static STARTING_CORE_LIMIT: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static CORE_LIMIT_KNOWN: AtomicBool = AtomicBool::new(false);

fn disable_core_files() -> std::io::Result<()> {
    let (soft, hard) = core_limit()?;
    STARTING_CORE_LIMIT[0].store(soft, Ordering::SeqCst);
    STARTING_CORE_LIMIT[1].store(hard, Ordering::SeqCst);
    CORE_LIMIT_KNOWN.store(true, Ordering::SeqCst);
    // rlim_t is u64 on Linux but not on every platform.
    #[allow(clippy::unnecessary_cast)]
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: `zero` is a valid rlimit that lives across the call; lowering a
    // limit needs no privilege.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const zero) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Sets both core limits to 0, for a process that starts no programs of the
/// user's (the unlock agent): no later code in it can raise the limit again.
pub fn forbid_core_files() -> std::io::Result<()> {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `zero` is a valid rlimit that lives across the call; lowering a
    // limit needs no privilege.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const zero) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Gives the program `command` starts the core limit this process started
/// with, so `flowvault exec` does not change what the user's program may dump.
pub fn restore_core_limit(command: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only atomics are read and setrlimit, which
    // is async-signal-safe, is called with a valid local.
    unsafe {
        command.pre_exec(|| {
            if !CORE_LIMIT_KNOWN.load(Ordering::SeqCst) {
                return Ok(());
            }
            // rlim_t is u64 on Linux but not on every platform.
            #[allow(clippy::unnecessary_cast)]
            let limit = libc::rlimit {
                rlim_cur: STARTING_CORE_LIMIT[0].load(Ordering::SeqCst) as libc::rlim_t,
                rlim_max: STARTING_CORE_LIMIT[1].load(Ordering::SeqCst) as libc::rlim_t,
            };
            // Failing leaves the program with no core files, the safe side.
            libc::setrlimit(libc::RLIMIT_CORE, &raw const limit);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardening_turns_off_dumping_and_core_files() {
        harden_process().unwrap();
        #[cfg(target_os = "linux")]
        assert!(!is_dumpable(), "PR_GET_DUMPABLE must be 0 after hardening");
        let (soft, hard) = core_limit().unwrap();
        assert_eq!(soft, 0, "no core file from this process");
        assert_eq!(
            hard,
            STARTING_CORE_LIMIT[1].load(Ordering::SeqCst),
            "the hard limit is kept for the programs `exec` starts"
        );
    }
}
