//! Child processes: a helper detached from the terminal's session, and a
//! program waited for while the signals meant for it are passed on.
//!
//! Passing signals on: a Ctrl-C typed at the terminal reaches every process
//! of the foreground group, the program included, so those (sent by the
//! kernel) are not sent again; a `kill` aimed at flowvault alone is sent to
//! the program. Either way flowvault lives until the program ends and
//! reports how it ended. The program's process id is only signalled while
//! it is unreaped (a zombie keeps its id), so no other process can be hit.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals passed on to a waited-for program.
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The program signals are passed to; 0 while there is none.
static CHILD_PID: AtomicI32 = AtomicI32::new(0);
/// A signal that came before the program's id was known.
static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Makes `command`'s process the leader of a new session with no
/// controlling terminal, so the terminal's signals (Ctrl-C, hang-up) do not
/// end it; it can still write to a terminal it was handed as a file.
pub fn detach_session(command: &mut Command) -> &mut Command {
    // SAFETY: setsid is async-signal-safe and touches no memory of the
    // forked copy of this process.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Makes this process outlive SIGINT, SIGTERM, SIGHUP and SIGQUIT, passing
/// the ones another process sent on to the program later given to
/// [`wait_passing_signals`]. Call before spawning it. A signal this process
/// inherited as ignored stays ignored (and so it stays for the program).
pub fn catch_signals_for_child() -> io::Result<()> {
    for signal in FORWARDED {
        // SAFETY: a zeroed sigaction is a valid "default" value to be filled
        // in; both pointers passed are to valid locals.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &raw mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            if old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = pass_on as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

extern "C" fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands a SA_SIGINFO handler a valid siginfo.
    let code = unsafe { (*info).si_code };
    // si_code > 0: the kernel sent it (the terminal's Ctrl-C, hang-up),
    // which reached the program's process group as well.
    if code > 0 {
        return;
    }
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe; the id is of our unreaped child.
        unsafe { libc::kill(pid, signal) };
    } else {
        PENDING_SIGNAL.store(signal, Ordering::SeqCst);
    }
}

/// Waits for `child` to end, passing on signals as
/// [`catch_signals_for_child`] set up, then reaps it.
pub fn wait_passing_signals(child: &mut Child) -> io::Result<ExitStatus> {
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    CHILD_PID.store(pid, Ordering::SeqCst);
    let early = PENDING_SIGNAL.swap(0, Ordering::SeqCst);
    if early != 0 {
        // SAFETY: the child is not reaped yet, so the id is still its own.
        unsafe { libc::kill(pid, early) };
    }
    let ended = libc::id_t::try_from(pid)
        .map_err(io::Error::other)
        .and_then(wait_unreaped);
    // No signal may reach the id once it is reaped and free for reuse.
    CHILD_PID.store(0, Ordering::SeqCst);
    ended?;
    child.wait()
}

/// Waits until process `pid` has ended, leaving it to be reaped.
fn wait_unreaped(pid: libc::id_t) -> io::Result<()> {
    loop {
        // SAFETY: `info` is a valid, writable siginfo for waitid to fill.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid,
                &raw mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// The exit code a shell gives for `status`: the program's own code, or
/// 128 + N when signal N ended it.
pub fn shell_exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}
