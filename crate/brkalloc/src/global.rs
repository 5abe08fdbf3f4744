//! A `GlobalAlloc` adapter: a [`Heap`] behind a lock, usable as `#[global_allocator]` natively
//! and on wasm32.
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
//! # What it promises, and what it asks
//!
//! - Every safe method is sound for every caller. Safe code sees the live heap only through
//!   views that cannot free or replace anything: [`BrkAlloc::check`], [`BrkAlloc::stats`],
//!   [`BrkAlloc::blocks_into`] and [`BrkAlloc::copy_into`] (from which `brkalloc-lab` builds a
//!   snapshot of the live heap). None of them allocates.
//! - [`BrkAlloc::with`], which hands out `&mut Heap`, is `unsafe`: the heap it reaches holds
//!   the program's own boxes and vectors.
//! - The lock knows its owner. A reentrant call (an allocation inside `with`) or a panic
//!   while the lock is held stops the process with a message that names the cause; it never
//!   waits forever. How each target waits for the lock is written on [`BrkAlloc`].
//! - The backend's own constructor carries any promise it needs: `SbrkBreak::new` (unix) is
//!   `unsafe`, because nothing else may move the process break while it works.
//! - Natively, with [`SegregatedConfig`], free memory at the end of the heap goes back
//!   through the break in constant time once it exceeds [`TRIM_THRESHOLD`] bytes.
//!
//! [`TRIM_THRESHOLD`]: crate::TRIM_THRESHOLD

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::mem;
use core::ptr::{self, NonNull};

use crate::brk::Break;
use crate::heap::{BlockInfo, Config, Corruption, Heap, SegregatedConfig, Stats};
use crate::lock::{Lock, NoUnwind};

/// What a panic inside the allocator's own code (a bug) stops the process with.
const PANIC_INSIDE: &str =
    "brkalloc: a panic inside the allocator while it held its lock; a global allocator may not \
unwind, so the process stops here.";

/// What a panic inside the closure given to [`BrkAlloc::with`] stops the process with.
const PANIC_IN_WITH: &str = "brkalloc: a panic inside the closure given to BrkAlloc::with, while \
the allocator's lock was held; the process stops here.";

/// A heap behind a lock: a `GlobalAlloc`.
///
/// The lock knows which thread holds it, so that a reentrant call stops the process instead of
/// waiting for itself:
///
/// | target | who holds the lock | waiting for another thread | a reentrant call |
/// |---|---|---|---|
/// | unix | `pthread_self()` | spin briefly, then `sched_yield` | stops with a message (`SIGABRT`) |
/// | wasm32 without threads | the only thread there is | (there is none: any wait is reentrant) | traps (`unreachable`), no message |
/// | anything else | not known | spin | not detected |
///
/// On single-threaded wasm (no `atomics` target feature) the lock is a flag, never contended,
/// and costs a load and two stores; a reentrant call traps at once, since no message could be
/// shown without memory from the allocator whose lock is held.
pub struct BrkAlloc<B: Break, C: Config = SegregatedConfig> {
    lock: Lock,
    heap: UnsafeCell<Heap<B, C>>,
}

// SAFETY: every access to the heap holds the lock, so the heap is never used from two threads at
// once; the heap's memory moves with it (`B: Send`).
unsafe impl<B: Break + Send, C: Config + Send> Sync for BrkAlloc<B, C> {}

/// The lock, held: the heap may be used until it is dropped.
struct Held<'a, B: Break, C: Config> {
    alloc: &'a BrkAlloc<B, C>,
}

impl<B: Break, C: Config> Held<'_, B, C> {
    /// The heap, for as long as the lock is held.
    fn heap(&mut self) -> &mut Heap<B, C> {
        // SAFETY: the lock is held for the life of `self`, and `&mut self` makes this the only
        // reference to the heap derived from it.
        unsafe { &mut *self.alloc.heap.get() }
    }
}

impl<B: Break, C: Config> Drop for Held<'_, B, C> {
    fn drop(&mut self) {
        self.alloc.lock.release();
    }
}

impl<B: Break, C: Config> BrkAlloc<B, C> {
    /// An allocator over `brk`, configured by `config`. It grows nothing until the first
    /// allocation, so this can initialise a `static`.
    pub const fn new(brk: B, config: C) -> Self {
        BrkAlloc {
            lock: Lock::new(),
            heap: UnsafeCell::new(Heap::new(brk, config)),
        }
    }

    /// Takes the lock (stopping the process on a reentrant call).
    #[inline]
    fn hold(&self) -> Held<'_, B, C> {
        self.lock.acquire();
        Held { alloc: self }
    }

    /// Runs `f` on the heap with the lock held.
    ///
    /// A panic inside `f`, or an allocation through this allocator (`f` runs with its lock
    /// held), stops the process with a message; it never waits forever.
    ///
    /// Safe code cannot reach the live heap: with `&mut Heap` it could free a block that a
    /// `Box` still owns, or replace the heap under every live allocation.
    ///
    /// ```compile_fail,E0133
    /// use brkalloc::{BrkAlloc, MmapBreak, SegregatedConfig};
    ///
    /// static ALLOC: BrkAlloc<MmapBreak> =
    ///     BrkAlloc::new(MmapBreak::with_default_reserve(), SegregatedConfig);
    /// ALLOC.with(|heap| heap.reset());
    /// ```
    ///
    /// # Safety
    ///
    /// The heap holds the memory of every live allocation made through this allocator: the
    /// program's boxes, vectors and strings when it is the global allocator. `f` must leave
    /// every allocation still in use live and in place: it may free or reallocate only
    /// blocks whose owner has given them up (ones `f` allocated itself, or the one a caller
    /// hands over, as a C `free(p)` does), must not reset or replace the heap
    /// (`*heap = ...`, `mem::swap`), and must not write into blocks it does not own.
    pub unsafe fn with<R>(&self, f: impl FnOnce(&mut Heap<B, C>) -> R) -> R {
        let mut held = self.hold();
        let bomb = NoUnwind(PANIC_IN_WITH);
        let r = f(held.heap());
        mem::forget(bomb);
        r
    }

    /// Runs the invariant checker ([`Heap::check`]) on the live heap.
    pub fn check(&self) -> Result<(), Corruption> {
        self.hold().heap().check()
    }

    /// The heap's totals ([`Heap::stats`]).
    pub fn stats(&self) -> Stats {
        self.hold().heap().stats()
    }

    /// Copies the heap's blocks, in chain order, into `out` as far as it has room, and returns
    /// how many blocks the heap has (more than `out.len()` when some did not fit). Nothing is
    /// allocated.
    pub fn blocks_into(&self, out: &mut [BlockInfo]) -> usize {
        let mut held = self.hold();
        let mut n = 0;
        for b in held.heap().blocks() {
            if let Some(slot) = out.get_mut(n) {
                *slot = b;
            }
            n += 1;
        }
        n
    }

    /// Copies the heap's blocks (as [`blocks_into`](BrkAlloc::blocks_into) does) and the
    /// blocks on its size-class lists (as [`Heap::listed`] yields them) into the two buffers,
    /// as far as each has room, all under one hold of the lock, and says how many of each the
    /// heap has, with its bounds. Nothing is allocated: this is what a snapshot of the live
    /// heap is built from.
    pub fn copy_into(
        &self,
        blocks: &mut [BlockInfo],
        listed: &mut [(usize, usize, usize)],
    ) -> Outline {
        let mut held = self.hold();
        let heap = held.heap();
        let mut n = 0;
        for b in heap.blocks() {
            if let Some(slot) = blocks.get_mut(n) {
                *slot = b;
            }
            n += 1;
        }
        let mut m = 0;
        for entry in heap.listed() {
            if let Some(slot) = listed.get_mut(m) {
                *slot = entry;
            }
            m += 1;
        }
        Outline {
            heap_start: heap.heap_start(),
            brk: heap.brk(),
            pages: heap.backend().pages(),
            policy: heap.config().policy(),
            blocks: n,
            listed: m,
        }
    }

    /// The data bytes of the block at `ptr`: at least what was asked for, and all of them
    /// usable (`malloc_usable_size`).
    ///
    /// # Safety
    ///
    /// `ptr` was returned by this allocator and has not been freed since.
    pub unsafe fn usable_size(&self, ptr: NonNull<u8>) -> usize {
        // SAFETY: the caller guarantees a live block of this heap.
        unsafe { self.hold().heap().usable_size(ptr) }
    }

    /// Takes the lock and keeps it, so that a `fork` in this thread copies a heap no other
    /// thread is halfway through changing (a `pthread_atfork` *prepare* handler). Until
    /// [`after_fork`](BrkAlloc::after_fork), every other use of the allocator waits, and this
    /// thread must not use it either.
    pub fn before_fork(&self) {
        self.lock.acquire();
    }

    /// Lets go of the lock [`before_fork`](BrkAlloc::before_fork) took: the *parent* and
    /// *child* handlers of `pthread_atfork`.
    ///
    /// # Safety
    ///
    /// The lock is held by a `before_fork` of this thread (in the parent), or of the thread
    /// that called `fork` (in the child, whose only thread that is), and nothing else has
    /// released it since.
    pub unsafe fn after_fork(&self) {
        self.lock.release();
    }
}

/// What [`BrkAlloc::copy_into`] found, besides the blocks it copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outline {
    /// The heap's start ([`Heap::heap_start`]).
    pub heap_start: usize,
    /// The heap's break ([`Heap::brk`]).
    pub brk: usize,
    /// The backend's page accounting.
    pub pages: Option<crate::brk::Pages>,
    /// The placement policy.
    pub policy: crate::heap::Policy,
    /// How many blocks the heap has (copied as far as the buffer had room).
    pub blocks: usize,
    /// How many blocks its size-class lists hold (likewise).
    pub listed: usize,
}

// SAFETY: `alloc` returns blocks of at least `layout.size()` bytes aligned to `layout.align()`
// (the heap's contract), or null; `dealloc` and `realloc` receive only pointers this allocator
// returned (GlobalAlloc's contract), which is what the unchecked heap methods require. No
// method unwinds: a panic while the lock is held stops the process.
unsafe impl<B: Break + Send, C: Config + Send> GlobalAlloc for BrkAlloc<B, C> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut held = self.hold();
        let bomb = NoUnwind(PANIC_INSIDE);
        let p = held
            .heap()
            .try_alloc_layout(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr);
        mem::forget(bomb);
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        let mut held = self.hold();
        let bomb = NoUnwind(PANIC_INSIDE);
        // SAFETY: GlobalAlloc's caller guarantees `ptr` is a live block of this allocator.
        unsafe { held.heap().free_unchecked(NonNull::new_unchecked(ptr)) };
        mem::forget(bomb);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut held = self.hold();
        let bomb = NoUnwind(PANIC_INSIDE);
        // SAFETY: GlobalAlloc's caller guarantees `ptr` is a live block allocated with
        // `layout`.
        let p = unsafe {
            held.heap()
                .realloc_unchecked(NonNull::new_unchecked(ptr), layout, new_size)
        }
        .map_or(ptr::null_mut(), NonNull::as_ptr);
        mem::forget(bomb);
        p
    }
}
