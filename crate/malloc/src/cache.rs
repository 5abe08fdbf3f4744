//! Per-thread caches of small blocks: what lets `malloc` serve most small requests without
//! the heap's lock.
//!
//! ```text
//!   thread A's cache                              the heap (one lock)
//!   bin 2 (32 B):  [blk] -> [blk] -> null         blocks, free lists, the break
//!   bin 3 (48 B):  [blk] -> null                  (a cached block is a *used* block there)
//!   ...
//!   bin 16 (256 B): null
//! ```
//!
//! - `free(p)` of a block of at most [`MAX_CACHED`] data bytes takes the lock only to read the
//!   block's size (every header write happens under that lock, so the read races with none),
//!   then keeps the block on its thread's bin for that size, linked through its first data
//!   word, instead of freeing it in the heap. A bin holds at most [`PER_BIN`] blocks; past
//!   that, the block is freed in the heap as before.
//! - `malloc(n)` whose rounded size has a non-empty bin pops a block from it **without the
//!   lock**: the bin is the thread's own, and the block was the program's until it gave it
//!   up, so nothing else reads or writes either.
//! - For the heap, a cached block stays *used*: its header, the chain, the lists and
//!   `check()` are exactly as they would be had the program kept it. What the cache changes
//!   is only which thread's next `malloc` gets it.
//! - When a thread ends, its cache goes back to the heap (a `pthread_key_create` destructor).
//!   After `fork`, the child keeps the cache of the thread that forked; the other threads'
//!   cached blocks stay used, as the rest of their memory does.
//! - `BRKALLOC_CHECK` and `BRKALLOC_STATS` turn the cache off: every call then reaches the
//!   heap, so that every pointer is checked and every byte counted.

use core::alloc::Layout;
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use brkalloc::ALIGN;

use crate::MallocHeap;

/// The largest data size a cached block has.
pub(crate) const MAX_CACHED: usize = 256;

/// The most blocks one bin holds.
pub(crate) const PER_BIN: u32 = 16;

/// One bin per data size that is a multiple of [`ALIGN`], up to [`MAX_CACHED`]: bin `i` holds
/// blocks of exactly `i * ALIGN` data bytes.
const BINS: usize = MAX_CACHED / ALIGN + 1;

/// A thread's cache. It lives in a block of the heap, allocated at the thread's first cached
/// `free`.
#[repr(C)]
struct Cache {
    /// The first block of each bin (null: empty); each block's first data word links to the
    /// next.
    heads: [*mut u8; BINS],
    /// How many blocks each bin holds.
    counts: [u32; BINS],
}

/// The thread-specific key whose value is the calling thread's cache (null before its
/// first cached `free`).
static KEY: AtomicU32 = AtomicU32::new(0);
/// Whether [`KEY`] was created: without it, nothing is cached.
static READY: AtomicBool = AtomicBool::new(false);

/// Creates the key, with [`release`] as its destructor. Called once, when the library is
/// loaded; if it fails, nothing is ever cached.
pub(crate) fn init() {
    if READY.load(Ordering::Relaxed) {
        return;
    }
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: `key` is a valid place for the new key; `release` is an `extern "C"` function
    // that lives as long as the process.
    if unsafe { libc::pthread_key_create(&mut key, Some(release)) } == 0 {
        KEY.store(key, Ordering::Relaxed);
        READY.store(true, Ordering::Release);
    }
}

/// The calling thread's cache, or null.
#[inline(always)]
fn current() -> *mut Cache {
    if !READY.load(Ordering::Acquire) {
        return ptr::null_mut();
    }
    // SAFETY: the key was created (READY); `pthread_getspecific` only reads the calling
    // thread's value for it.
    unsafe { libc::pthread_getspecific(KEY.load(Ordering::Relaxed)) }.cast()
}

/// A cached block of exactly `need` data bytes (a size `malloc` rounded), taken from the
/// calling thread's cache without the heap's lock; `None` when its bin is empty.
#[inline]
pub(crate) fn take(need: usize) -> Option<NonNull<u8>> {
    if need > MAX_CACHED {
        return None;
    }
    let c = current();
    if c.is_null() {
        return None;
    }
    let i = need / ALIGN;
    // SAFETY: `c` is the calling thread's cache (its key's value), which only this thread
    // reads or writes; `i < BINS` because `need <= MAX_CACHED`. The bin's blocks are used
    // blocks of the heap that the program gave up: their first data word is the link, written
    // by `keep`, and nothing else touches them.
    unsafe {
        let head = *(*c).heads.get_unchecked(i);
        let block = NonNull::new(head)?;
        *(*c).heads.get_unchecked_mut(i) = block.as_ptr().cast::<*mut u8>().read();
        *(*c).counts.get_unchecked_mut(i) -= 1;
        Some(block)
    }
}

/// Keeps `p`, a block of `size` data bytes that the program just freed, in the calling
/// thread's cache; `false` when it does not fit there (too large, its bin full, or no cache
/// could be made), and the caller frees it in the heap.
///
/// # Safety
///
/// The heap's lock is held, `heap` is the heap, and `p` is a live used block of it with
/// `size` data bytes, which the program has given up (a C `free(p)`).
pub(crate) unsafe fn keep(heap: &mut MallocHeap, p: NonNull<u8>, size: usize) -> bool {
    if size > MAX_CACHED {
        return false;
    }
    let mut c = current();
    if c.is_null() {
        c = make(heap);
        if c.is_null() {
            return false;
        }
    }
    let i = size / ALIGN;
    // SAFETY: `c` is the calling thread's cache (see `take`); `i < BINS`. The program gave
    // `p` up, so its data (at least MIN_DATA bytes, aligned) is the cache's to link through.
    unsafe {
        let count = (*c).counts.get_unchecked_mut(i);
        if *count >= PER_BIN {
            return false;
        }
        *count += 1;
        let head = (*c).heads.get_unchecked_mut(i);
        p.as_ptr().cast::<*mut u8>().write(*head);
        *head = p.as_ptr();
    }
    true
}

/// Allocates the calling thread's cache in the heap and records it under the key; null when
/// the heap has no room or the key cannot hold it.
fn make(heap: &mut MallocHeap) -> *mut Cache {
    if !READY.load(Ordering::Acquire) {
        return ptr::null_mut();
    }
    let Some(p) = heap.try_alloc_layout(Layout::new::<Cache>()) else {
        return ptr::null_mut();
    };
    let c = p.as_ptr().cast::<Cache>();
    // SAFETY: `p` is a new block of at least `size_of::<Cache>()` bytes, aligned to ALIGN,
    // which is at least a pointer's alignment.
    unsafe {
        c.write(Cache {
            heads: [ptr::null_mut(); BINS],
            counts: [0; BINS],
        })
    };
    // SAFETY: the key was created (READY); the value is this thread's own.
    if unsafe { libc::pthread_setspecific(KEY.load(Ordering::Relaxed), c.cast()) } != 0 {
        // SAFETY: `p` was just allocated and nothing else knows of it.
        unsafe { heap.free_unchecked(p) };
        return ptr::null_mut();
    }
    c
}

/// The key's destructor, run when a thread ends with a cache: every cached block, then the
/// cache itself, is freed in the heap.
unsafe extern "C" fn release(value: *mut c_void) {
    let c = value.cast::<Cache>();
    if c.is_null() {
        return;
    }
    // SAFETY: `c` was this thread's cache (pthread passes the value it held and has cleared
    // it); its blocks and its own block are used blocks of the heap that no one else owns, so
    // `with`'s promise holds: only blocks given up are freed.
    unsafe {
        crate::HEAP.with(|heap| {
            for i in 0..BINS {
                let mut b = (*c).heads[i];
                while let Some(block) = NonNull::new(b) {
                    b = block.as_ptr().cast::<*mut u8>().read();
                    heap.free_unchecked(block);
                }
            }
            heap.free_unchecked(NonNull::new_unchecked(c.cast()));
        })
    }
}
