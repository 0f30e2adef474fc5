//! Every heap block gw's Rust code frees is wiped first.
//!
//! Answers carry secrets (`session.aes256Key`, a masked or clear card
//! number quoted in `error.explanation`), and requests carry the password
//! and card data. gw wipes the buffers it owns explicitly, but not every
//! buffer an answer passes through is gw's: rustls 0.23 copies each
//! decrypted record into a `Vec` of its own (its in-place decryption is
//! still a TODO) and frees it unwiped once read; ureq, the `http` crate and
//! `Vec` growth anywhere free old blocks the same way. So the library's
//! allocator wipes every block it frees, and every block a reallocation
//! leaves behind: nothing freed by gw can still hold a secret, whatever
//! code freed it.
//!
//! This is the allocator of the Rust code in `libgw.so` / `gw.dll` /
//! `libgw.a` (and of a Rust program that links the `gw` crate with its
//! default `wipe-on-free` feature, which installs it in `lib.rs`); the
//! host's own `malloc` is not affected. The cost is one `memset` per freed
//! byte, measured in BENCHMARKS.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{compiler_fence, Ordering};

/// The system allocator, wiping each block before it frees it (unused when
/// the `wipe-on-free` feature is off).
#[cfg_attr(not(feature = "wipe-on-free"), allow(dead_code))]
pub struct WipeOnFree;

#[cfg(test)]
std::thread_local! {
    /// Blocks allocated by this thread (a reallocation counts as one): the
    /// unit tests' guard that a call's allocations do not creep back. In
    /// test builds only; a `const` thread-local allocates nothing itself.
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many blocks this thread has allocated so far (test builds only).
#[cfg(test)]
pub(crate) fn allocations() -> u64 {
    ALLOCATIONS.try_with(std::cell::Cell::get).unwrap_or(0)
}

/// Counts one allocation of this thread (test builds only).
#[cfg_attr(not(feature = "wipe-on-free"), allow(dead_code))]
fn counted() {
    #[cfg(test)]
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

/// Zeroes `len` bytes at `ptr` in a way the optimizer keeps: the block is
/// about to be freed, which would otherwise make the stores dead.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    // SAFETY: the caller hands a block it owns, `len` bytes long.
    unsafe { ptr.write_bytes(0, len) };
    // The pointer escapes, so the zeroes may be read: not dead stores.
    std::hint::black_box(ptr);
    compiler_fence(Ordering::SeqCst);
}

/// Zeroes `bytes` with one `memset` the optimizer keeps: for the buffers
/// gw reuses and wipes after each use (zeroize's byte-at-a-time volatile
/// loop costs a few instructions per byte on every call).
pub fn wipe_bytes(bytes: &mut [u8]) {
    // SAFETY: the slice's own memory, `len` bytes.
    unsafe { wipe(bytes.as_mut_ptr(), bytes.len()) }
}

/// Zeroes a reused buffer's whole capacity (what was written there by
/// earlier uses too) and empties it, keeping the allocation.
pub fn wipe_vec(buffer: &mut Vec<u8>) {
    // SAFETY: the vector's own allocation, `capacity` bytes; zeroes are a
    // valid value for its spare capacity, which is then not read as
    // elements (the length becomes 0).
    unsafe { wipe(buffer.as_mut_ptr(), buffer.capacity()) };
    buffer.clear();
}

// SAFETY: every method forwards to `System` with the caller's own layout
// (the contract of `GlobalAlloc` is passed through unchanged); the only
// addition is writing zeroes over a block the caller is giving back, which
// it owns until the `dealloc` that follows.
unsafe impl GlobalAlloc for WipeOnFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc_zeroed` requires.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes (the caller's contract).
        unsafe { wipe(ptr, layout.size()) };
        // SAFETY: the block came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    /// A new block, the old one copied over, wiped and freed: the system's
    /// `realloc` may move the data and free the old block unwiped.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with this alignment is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        counted();
        // SAFETY: a non-zero size (the caller's contract), the alignment of a valid layout.
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct; the copy is no longer than either.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: `ptr` is the caller's live block of `layout.size()` bytes, freed here.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A freed block reads back as zeroes through the allocator's own
    /// wipe (checked on a block the test still owns: reading freed memory
    /// would be undefined).
    #[test]
    fn wipe_zeroes_the_block() {
        let mut block = vec![0xA5u8; 4096];
        // SAFETY: the vector's own buffer, 4096 bytes long.
        unsafe { wipe(block.as_mut_ptr(), block.len()) };
        assert!(block.iter().all(|&b| b == 0));
    }

    /// Growth keeps the contents: a reallocation is a copy, not a loss.
    #[test]
    fn growth_keeps_the_contents() {
        let mut grown: Vec<u32> = (0..10).collect();
        for n in 10..5_000 {
            grown.push(n);
        }
        assert!(grown.iter().enumerate().all(|(i, &n)| i as u32 == n));
        let mut shrunk = grown.clone();
        shrunk.truncate(3);
        shrunk.shrink_to_fit();
        assert_eq!(shrunk, [0, 1, 2]);
    }
}
