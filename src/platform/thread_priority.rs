//! A lower scheduling priority for background threads, so that on a small
//! machine a key still draws its frame at once while Argon2id or a large save
//! keeps a core busy.

/// Lowers the calling thread's priority (nice +10 on Linux, where a thread
/// has a priority of its own); does nothing where it cannot. A failure only
/// costs responsiveness, so it is ignored.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments; setpriority only reads its
        // integer arguments and changes the calling thread's nice value.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 10);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lowered_thread_has_a_higher_nice_value_and_others_keep_theirs() {
        // SAFETY: getpriority with PRIO_PROCESS and 0 reads the caller's nice value.
        let own = || unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let before = own();
        let lowered = std::thread::spawn(move || {
            super::lower_this_thread();
            own()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, (before + 10).min(19));
        assert_eq!(own(), before, "only the calling thread is lowered");
    }
}
