//! The allocators under test behind one small interface ([`BenchAlloc`]), and the workloads that
//! drive them ([`workload`]).
//!
//! Everything here is `no_std` and allocation-free, so the very same code runs natively (inside
//! the runner) and in the wasm32 throughput module, where the only allocator in the module is
//! the one being measured.
//!
//! - [`adapters`]: brkalloc (each policy), dlmalloc, talc and, on wasm32, lol_alloc, each over a
//!   [`PageMemory`](brkalloc::PageMemory) so that what it obtains from its backend is counted.
//! - [`workload`]: random actions, trace replay and steady-state scaling.
//! - [`rng`]: the deterministic random numbers they use.
#![no_std]

pub mod adapters;
pub mod rng;
pub mod workload;

/// [`BenchAlloc`]'s three calls made through a [`GlobalAlloc`](core::alloc::GlobalAlloc), for the
/// allocators measured through theirs (talc's cell, lol_alloc, the system allocator).
pub mod global {
    use core::alloc::{GlobalAlloc, Layout};

    /// [`BenchAlloc::alloc`](crate::BenchAlloc::alloc) through `g`.
    ///
    /// # Safety
    ///
    /// As for `BenchAlloc::alloc`.
    #[inline]
    pub unsafe fn alloc(g: &impl GlobalAlloc, size: usize, align: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a non-zero size and a power-of-two alignment up to
        // 4096: a valid layout.
        unsafe { g.alloc(Layout::from_size_align_unchecked(size, align)) }
    }

    /// [`BenchAlloc::free`](crate::BenchAlloc::free) through `g`.
    ///
    /// # Safety
    ///
    /// As for `BenchAlloc::free`: `ptr` is a live block of `g` with this layout.
    #[inline]
    pub unsafe fn free(g: &impl GlobalAlloc, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: the caller guarantees `ptr` is live with this layout.
        unsafe { g.dealloc(ptr, Layout::from_size_align_unchecked(size, align)) }
    }

    /// [`BenchAlloc::realloc`](crate::BenchAlloc::realloc) through `g`.
    ///
    /// # Safety
    ///
    /// As for `BenchAlloc::realloc`: `ptr` is a live block of `g` with this layout, and
    /// `new_size` is not zero.
    #[inline]
    pub unsafe fn realloc(
        g: &impl GlobalAlloc,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees `ptr` is live with this layout and `new_size` is valid.
        unsafe {
            g.realloc(
                ptr,
                Layout::from_size_align_unchecked(size, align),
                new_size,
            )
        }
    }
}

/// An allocator as the workloads see it: `malloc`, `free` and `realloc` with the caller keeping
/// each block's size and alignment, as Rust's `GlobalAlloc` does, plus what it cost in memory.
pub trait BenchAlloc {
    /// A block of `size` bytes aligned to `align`, or null.
    ///
    /// # Safety
    ///
    /// `size` is not zero and `align` is a power of two no larger than 4096.
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8;

    /// Gives a block back.
    ///
    /// # Safety
    ///
    /// `ptr` is a live block of this allocator, allocated with `size` and `align`.
    unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize);

    /// Resizes a block to `new_size` bytes, keeping its alignment and its first
    /// `min(size, new_size)` bytes; null (the old block untouched) if it cannot.
    ///
    /// # Safety
    ///
    /// As for [`BenchAlloc::free`], and `new_size` is not zero.
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8;

    /// The most bytes this allocator held from its backend at once: its heap extent. `None` when
    /// it cannot be known (the system allocator).
    fn peak_extent(&mut self) -> Option<usize>;

    /// Bytes of memory pages its backend grew for it. `None` when it cannot be known.
    fn footprint(&mut self) -> Option<usize>;
}

/// The allocators the wasm throughput module knows, by the number its `start` export takes.
/// The runner uses the same numbers; natively the set differs (the system allocator instead of
/// lol_alloc), so the runner has its own list there.
pub const WASM_SUBJECTS: [&str; 8] = [
    "first-fit",
    "next-fit",
    "best-fit",
    "worst-fit",
    "segregated",
    "dlmalloc",
    "talc",
    "lol_alloc",
];
