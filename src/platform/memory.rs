//! Handing freed heap memory back to the operating system.

/// Returns the free memory of every malloc arena to the system.
///
/// glibc gives each thread that allocates its own arena and keeps what is
/// freed there for later. Reading a whole vault on the vault worker or the
/// refresher leaves megabytes freed in their arenas (the sealed rows, the
/// previous snapshot), all still counted in the process's resident size.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer; it only returns free pages of
    // the allocator's own arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn releasing_free_memory_leaves_live_memory_alone() {
        let live = vec![7u8; 1 << 20];
        drop(vec![1u8; 8 << 20]);
        super::release_free_heap();
        assert!(live.iter().all(|&b| b == 7));
    }
}
