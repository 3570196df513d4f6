//! Key bytes in memory that is kept out of swap and out of core dumps, and
//! wiped when dropped.

use zeroize::Zeroize;

/// Page size the buffers are aligned to; where pages are larger, two buffers may
/// share a page and unlocking one unlocks both (still wiped, just swappable).
const PAGE_ALIGN: usize = 4096;

/// A heap buffer of its own page(s), so locking and unlocking it never touches
/// another allocation's page.
#[repr(C, align(4096))]
struct PageAligned<const N: usize>([u8; N]);

const _: () = assert!(std::mem::align_of::<PageAligned<32>>() == PAGE_ALIGN);

/// `N` secret bytes in locked memory (mlock), excluded from core dumps where
/// the platform allows, zeroized and unlocked on drop. Failing to lock (a low
/// `RLIMIT_MEMLOCK`) is not an error: the bytes are still wiped on drop.
pub struct LockedBytes<const N: usize> {
    buffer: Box<PageAligned<N>>,
    locked: bool,
}

impl<const N: usize> LockedBytes<N> {
    /// A zeroed buffer, locked in memory if the platform lets us.
    pub fn zeroed() -> LockedBytes<N> {
        let buffer = Box::new(PageAligned([0u8; N]));
        let locked = lock(&buffer);
        LockedBytes { buffer, locked }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8; N] {
        &self.buffer.0
    }

    /// The bytes, to fill in.
    pub fn bytes_mut(&mut self) -> &mut [u8; N] {
        &mut self.buffer.0
    }

    /// Whether the buffer is locked in memory (not swapped out).
    pub fn is_locked(&self) -> bool {
        self.locked
    }
}

impl<const N: usize> Clone for LockedBytes<N> {
    fn clone(&self) -> Self {
        let mut copy = LockedBytes::zeroed();
        copy.bytes_mut().copy_from_slice(self.bytes());
        copy
    }
}

impl<const N: usize> Zeroize for LockedBytes<N> {
    fn zeroize(&mut self) {
        self.buffer.0.zeroize();
    }
}

impl<const N: usize> Drop for LockedBytes<N> {
    fn drop(&mut self) {
        self.buffer.0.zeroize();
        if self.locked {
            unlock(&self.buffer);
        }
    }
}

fn lock<const N: usize>(buffer: &PageAligned<N>) -> bool {
    let ptr = std::ptr::from_ref(buffer).cast::<libc::c_void>();
    let len = std::mem::size_of::<PageAligned<N>>();
    exclude_from_core_dumps(ptr, len);
    // SAFETY: `ptr..ptr+len` is one live heap allocation of exactly `len`
    // bytes; mlock only changes paging, never the memory's contents.
    let rc = unsafe { libc::mlock(ptr, len) };
    if rc != 0 {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "key memory not locked (RLIMIT_MEMLOCK?); it may be swapped out"
        );
        return false;
    }
    true
}

fn unlock<const N: usize>(buffer: &PageAligned<N>) {
    let ptr = std::ptr::from_ref(buffer).cast::<libc::c_void>();
    let len = std::mem::size_of::<PageAligned<N>>();
    // SAFETY: the same range that `lock` locked, still allocated (called from
    // `drop` before the Box is freed).
    unsafe { libc::munlock(ptr, len) };
}

#[cfg(target_os = "linux")]
fn exclude_from_core_dumps(ptr: *const libc::c_void, len: usize) {
    // SAFETY: `ptr` is page-aligned (the type's alignment) and `ptr..ptr+len`
    // is one live allocation; MADV_DONTDUMP changes only what a core dump
    // includes. A failure (larger pages) leaves the default, which is safe.
    unsafe { libc::madvise(ptr.cast_mut(), len, libc::MADV_DONTDUMP) };
}

#[cfg(not(target_os = "linux"))]
fn exclude_from_core_dumps(_ptr: *const libc::c_void, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_page_aligned_locked_and_independent() {
        let mut a = LockedBytes::<32>::zeroed();
        a.bytes_mut().fill(0xAB);
        let b = a.clone();
        a.zeroize();
        assert_eq!(a.bytes(), &[0; 32]);
        assert_eq!(b.bytes(), &[0xAB; 32]);
        assert_eq!(std::ptr::from_ref(b.bytes()) as usize % PAGE_ALIGN, 0);
        // The test machine's RLIMIT_MEMLOCK allows a page or two.
        assert!(b.is_locked(), "mlock of one page failed");
    }
}
