//! A `GlobalAlloc` adapter: a [`Heap`] behind a small spin lock, usable as
//! `#[global_allocator]` natively and on wasm32.
//!
//! ```ignore
//! use brkalloc::{BrkAlloc, GrowOnlyConfig, WasmBreak};
//!
//! // On wasm32: segregated fit, and the break never moves down (wasm memory cannot shrink).
//! #[global_allocator]
//! static ALLOC: BrkAlloc<WasmBreak, GrowOnlyConfig> =
//!     BrkAlloc::new(WasmBreak::wasm(), GrowOnlyConfig);
//! ```
//!
//! Natively, `BrkAlloc<MmapBreak>` with [`SegregatedConfig`] gives memory back as the end of
//! the heap becomes free.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::brk::Break;
use crate::heap::{Config, Heap, SegregatedConfig};

/// A heap behind a spin lock. On single-threaded wasm the lock is never contended and costs a
/// couple of instructions.
pub struct BrkAlloc<B: Break, C: Config = SegregatedConfig> {
    locked: AtomicBool,
    heap: UnsafeCell<Heap<B, C>>,
}

// SAFETY: every access to the heap goes through `with`, which holds the lock, so the heap is
// never used from two threads at once; the heap's memory moves with it (`B: Send`).
unsafe impl<B: Break + Send, C: Config + Send> Sync for BrkAlloc<B, C> {}

impl<B: Break, C: Config> BrkAlloc<B, C> {
    /// An allocator over `brk`, configured by `config`.
    pub const fn new(brk: B, config: C) -> Self {
        BrkAlloc {
            locked: AtomicBool::new(false),
            heap: UnsafeCell::new(Heap::new(brk, config)),
        }
    }

    /// Runs `f` on the heap with the lock held.
    pub fn with<R>(&self, f: impl FnOnce(&mut Heap<B, C>) -> R) -> R {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to the heap until it is
        // released below.
        let r = f(unsafe { &mut *self.heap.get() });
        self.locked.store(false, Ordering::Release);
        r
    }
}

// SAFETY: `alloc` returns blocks of at least `layout.size()` bytes aligned to `layout.align()`
// (the heap's contract), or null; `dealloc` and `realloc` receive only pointers this allocator
// returned (GlobalAlloc's contract), which is what the unchecked heap methods require.
unsafe impl<B: Break + Send, C: Config + Send> GlobalAlloc for BrkAlloc<B, C> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.with(|h| {
            h.try_alloc_layout(layout)
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: GlobalAlloc's caller guarantees `ptr` is a live block of this allocator.
        self.with(|h| unsafe { h.free_unchecked(NonNull::new_unchecked(ptr)) })
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.with(|h| {
            // SAFETY: GlobalAlloc's caller guarantees `ptr` is a live block allocated with
            // `layout`.
            unsafe { h.realloc_unchecked(NonNull::new_unchecked(ptr), layout, new_size) }
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    }
}
