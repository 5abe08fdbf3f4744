//! # brkalloc-malloc
//!
//! The C allocator functions over one brkalloc heap, as a shared library to preload under a
//! program that was built for glibc's `malloc`:
//!
//! ```sh
//! cargo build --release -p brkalloc-malloc
//! LD_PRELOAD=$PWD/target/release/libbrkalloc_malloc.so python3 -c 'print(sum(range(10)))'
//! ```
//!
//! This file holds what the library exports — `malloc`, `free`, `calloc`, `realloc`,
//! `reallocarray`, `posix_memalign`, `aligned_alloc`, `memalign`, `valloc`, `pvalloc` and
//! `malloc_usable_size`, with glibc's answers to every edge case — and the one place they all
//! reach the heap through (`serve`). Beside it:
//!
//! - `backend.rs`: where the memory comes from (a private break in one `mmap` reservation);
//! - `cache.rs`: per-thread caches of small blocks, so that most small `malloc`s take no lock;
//! - `settings.rs`: what is decided at load (environment, fork handlers) and run at exit;
//! - `checked.rs`: `BRKALLOC_CHECK=1`, and the messages that name a broken block;
//! - `stats.rs`: `BRKALLOC_STATS=1`, high-water marks and the report at exit;
//! - `report.rs`: messages to standard error without allocating, and the panic handler.
//!
//! # What it promises, and what it asks
//!
//! - Every function is thread-safe (one lock around the heap, and a cache of small blocks per
//!   thread that only its thread touches) and fork-safe (the lock is held
//!   across `fork` by `pthread_atfork` handlers, so a child never inherits a heap that another
//!   thread was halfway through changing).
//! - It never calls an allocator on its own behalf: it is `no_std` (Rust's allocator is not
//!   even linked in), and its messages are formatted on the stack. The only memory it takes for
//!   itself is each thread's cache, a block of its own heap (`cache.rs`).
//! - `free`, `realloc` and `malloc_usable_size` trust that a pointer is one `malloc` returned
//!   and has not been freed, as glibc's do. They stop the process, with a message, on a pointer
//!   outside the heap; anything subtler (a double free, an interior pointer, a header written
//!   over) is caught, and named, with `BRKALLOC_CHECK=1`.
//! - Every block's data is aligned to 16 bytes and preceded by a 16-byte header (on x86_64):
//!   `malloc(0)` returns a unique block of 32 usable bytes.
#![no_std]

// The unit tests run on the standard library's test harness.
#[cfg(test)]
extern crate std;

mod backend;
mod cache;
mod checked;
mod report;
mod settings;
mod stats;

use core::alloc::Layout;
use core::ffi::{c_int, c_void};
use core::mem::size_of;
use core::ptr::{self, NonNull};

use brkalloc::{BrkAlloc, Heap, ReallocError, SegregatedConfig, ALIGN};

use backend::ReserveBreak;
use checked::Call;
use settings::Settings;

/// The heap behind every call: constant-time segregated fit that gives the free end of the heap
/// back once it exceeds `brkalloc::TRIM_THRESHOLD` (128 KiB).
type MallocHeap = Heap<ReserveBreak, SegregatedConfig>;

/// The one heap of the process, behind its lock. It reserves its address space at the first
/// allocation.
static HEAP: BrkAlloc<ReserveBreak, SegregatedConfig> =
    BrkAlloc::new(ReserveBreak::new(), SegregatedConfig);

/// What `realloc` tells the heap about a block it may move: its data is aligned to [`ALIGN`],
/// as every block's is, and the moved copy is aligned the same (glibc's `realloc` does not keep
/// a larger alignment either).
const BLOCK_LAYOUT: Layout = match Layout::from_size_align(ALIGN, ALIGN) {
    Ok(layout) => layout,
    Err(_) => panic!("ALIGN is a power of two"),
};

/// glibc's `MINSIZE`, the smallest chunk it has: `pvalloc`'s overflow check keeps room for it.
const GLIBC_MINSIZE: usize = 4 * size_of::<usize>();

/// Runs `op` on the heap with its lock held, with what the settings add around it: the heap
/// checked before and after (`BRKALLOC_CHECK`), and its extent recorded (`BRKALLOC_STATS`).
///
/// # Safety
///
/// `op` keeps the promise [`BrkAlloc::with`] asks for, read for a C allocator: the blocks in
/// the heap are the C program's, and `op` frees or resizes only the block the program hands to
/// the call being served (`free` and `realloc` are how the program gives a block up), writes
/// into no other block, and never replaces the heap.
#[inline(always)]
unsafe fn serve<R>(call: Call, op: impl FnOnce(&mut MallocHeap, Settings) -> R) -> R {
    let s = settings::get();
    // SAFETY: the caller's promise is `with`'s.
    unsafe {
        HEAP.with(|heap| {
            if !s.any() {
                return op(heap, s);
            }
            if s.check {
                checked::before(heap, call);
            }
            let r = op(heap, s);
            if s.check {
                checked::after(heap, call);
            }
            if s.stats {
                stats::extent(heap);
            }
            r
        })
    }
}

/// A new block of `size` bytes aligned to `align` (a power of two), or null with `errno` set to
/// `ENOMEM`.
#[inline]
fn allocate(size: usize, align: usize, call: Call) -> *mut c_void {
    if align <= ALIGN && size <= cache::MAX_CACHED && !settings::get().any() {
        // A block of exactly the data size the heap would give this request.
        if let Some(p) = brkalloc::heap::data_size(size).and_then(cache::take) {
            return p.as_ptr().cast();
        }
    }
    let Ok(layout) = Layout::from_size_align(size, align.max(ALIGN)) else {
        return out_of_memory();
    };
    let op = |heap: &mut MallocHeap, s: Settings| {
        let p = heap.try_alloc_layout(layout);
        if let (true, Some(p)) = (s.stats, p) {
            // SAFETY: `p` was just allocated.
            stats::allocated(unsafe { heap.usable_size(p) });
        }
        p
    };
    // SAFETY: `op` only allocates a new block.
    let p = unsafe { serve(call, op) };
    match p {
        Some(p) => p.as_ptr().cast(),
        None => out_of_memory(),
    }
}

/// Sets `errno` to `ENOMEM` and returns null: how every allocation function fails.
#[cold]
fn out_of_memory() -> *mut c_void {
    set_errno(libc::ENOMEM);
    ptr::null_mut()
}

fn errno() -> c_int {
    // SAFETY: `__errno_location` returns the calling thread's `errno`, valid for its lifetime.
    unsafe { *libc::__errno_location() }
}

fn set_errno(value: c_int) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value }
}

/// `memalign` and the functions glibc builds on it: an alignment up to 16 is `malloc`'s; a
/// larger one that is not a power of two is rounded up to the next; one above `SIZE_MAX / 2 + 1`
/// fails with `EINVAL`.
fn memalign_as(name: &'static str, align: usize, size: usize) -> *mut c_void {
    let call = Call::Aligned(name, align, size);
    if align <= ALIGN {
        return allocate(size, ALIGN, call);
    }
    if align > usize::MAX / 2 + 1 {
        set_errno(libc::EINVAL);
        return ptr::null_mut();
    }
    allocate(size, align.next_power_of_two(), call)
}

/// `malloc(size)`: a new block of at least `size` bytes, aligned to 16 (`ALIGN`). `malloc(0)`
/// returns a unique block. Null, with `errno = ENOMEM`, when there is no memory.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn malloc(size: usize) -> *mut c_void {
    allocate(size, ALIGN, Call::Malloc(size))
}

/// `calloc(count, size)`: `count * size` zeroed bytes; null with `errno = ENOMEM` when the
/// product overflows or there is no memory.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(bytes) = count.checked_mul(size) else {
        return out_of_memory();
    };
    let p = allocate(bytes, ALIGN, Call::Calloc(count, size));
    if !p.is_null() {
        // SAFETY: `p` is a new block of at least `bytes` writable bytes.
        unsafe { p.cast::<u8>().write_bytes(0, bytes) };
    }
    p
}

/// `free(ptr)`: gives the block back. `free(NULL)` does nothing; `errno` is left as it was.
///
/// # Safety
///
/// `ptr` is null, or a pointer one of these functions returned and that has not been freed
/// since (with `BRKALLOC_CHECK=1` any other pointer stops the process with a message).
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    let Some(p) = NonNull::new(ptr.cast::<u8>()) else {
        return;
    };
    let saved = errno();
    let call = Call::Free(p.as_ptr().addr());
    let op = |heap: &mut MallocHeap, s: Settings| {
        if s.check {
            let size = checked::free(heap, p, call);
            if s.stats {
                stats::freed(size);
            }
            return;
        }
        checked::guard(heap, p, call);
        if s.stats {
            // SAFETY: `p` is a live block (free's contract).
            stats::freed(unsafe { heap.usable_size(p) });
        } else {
            // SAFETY: `p` is a live block (free's contract), and the lock is held.
            let size = unsafe { heap.usable_size(p) };
            // SAFETY: the lock is held; `p` is a live block of `size` bytes that the program
            // gives up.
            if unsafe { cache::keep(heap, p, size) } {
                return;
            }
        }
        // SAFETY: `p` is a live block of this heap (free's contract).
        unsafe { heap.free_unchecked(p) }
    };
    // SAFETY: `op` frees only the block the program gives up.
    unsafe { serve(call, op) };
    set_errno(saved);
}

/// `realloc(ptr, size)`: resizes the block, in place when it can, else moves its data (the
/// first `min(old, new)` bytes are kept). `realloc(NULL, size)` is `malloc(size)`;
/// `realloc(ptr, 0)` frees the block and returns null, as glibc does. On failure it returns
/// null with `errno = ENOMEM` and the old block is untouched.
///
/// # Safety
///
/// As for [`free`].
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    let Some(p) = NonNull::new(ptr.cast::<u8>()) else {
        return allocate(size, ALIGN, Call::Realloc(0, size));
    };
    if size == 0 {
        // SAFETY: the caller's promise is free's.
        unsafe { free(ptr) };
        return ptr::null_mut();
    }
    let call = Call::Realloc(p.as_ptr().addr(), size);
    let op = |heap: &mut MallocHeap, s: Settings| {
        let (old, q) = if s.check {
            let old = if s.stats {
                checked::live_size(heap, p)
            } else {
                0
            };
            match heap.realloc(p.as_ptr(), size) {
                Ok(q) => (old, Some(q)),
                Err(ReallocError::Alloc(_)) => (old, None),
                Err(ReallocError::Free(e)) => checked::refused(e, call),
            }
        } else {
            checked::guard(heap, p, call);
            let old = if s.stats {
                // SAFETY: `p` is a live block (realloc's contract).
                unsafe { heap.usable_size(p) }
            } else {
                0
            };
            // SAFETY: `p` is a live block, and its data is aligned to ALIGN, as every block's
            // is: all that `realloc_unchecked` needs to know of its alignment.
            (old, unsafe {
                heap.realloc_unchecked(p, BLOCK_LAYOUT, size)
            })
        };
        if let (true, Some(q)) = (s.stats, q) {
            // SAFETY: `q` is the live, resized block.
            stats::resized(old, unsafe { heap.usable_size(q) });
        }
        q
    };
    // SAFETY: `op` resizes only the block the program hands over.
    let q = unsafe { serve(call, op) };
    match q {
        Some(q) => q.as_ptr().cast(),
        None => out_of_memory(),
    }
}

/// `reallocarray(ptr, count, size)`: `realloc(ptr, count * size)`, or null with
/// `errno = ENOMEM` (the block untouched) when the product overflows.
///
/// # Safety
///
/// As for [`free`].
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn reallocarray(ptr: *mut c_void, count: usize, size: usize) -> *mut c_void {
    let Some(bytes) = count.checked_mul(size) else {
        return out_of_memory();
    };
    // SAFETY: the caller's promise is realloc's.
    unsafe { realloc(ptr, bytes) }
}

/// `posix_memalign(memptr, alignment, size)`: stores a block aligned to `alignment` in
/// `*memptr` and returns 0; returns `EINVAL` when the alignment is not a power-of-two multiple
/// of `sizeof(void *)`, and `ENOMEM` (with `errno` set too) when there is no memory. On failure
/// `*memptr` is not touched.
///
/// # Safety
///
/// `memptr` is valid for a write of one pointer.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn posix_memalign(
    memptr: *mut *mut c_void,
    alignment: usize,
    size: usize,
) -> c_int {
    const WORD: usize = size_of::<*mut c_void>();
    if alignment % WORD != 0 || !(alignment / WORD).is_power_of_two() {
        return libc::EINVAL;
    }
    let p = allocate(
        size,
        alignment,
        Call::Aligned("posix_memalign", alignment, size),
    );
    if p.is_null() {
        return libc::ENOMEM;
    }
    // SAFETY: the caller guarantees `memptr` is writable.
    unsafe { memptr.write(p) };
    0
}

/// `aligned_alloc(alignment, size)`: as glibc's in this process. glibc 2.38 and later refuse
/// an alignment that is not a power of two (null, `errno = EINVAL`); earlier versions serve it
/// as `memalign` does.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn aligned_alloc(alignment: usize, size: usize) -> *mut c_void {
    if settings::strict_aligned_alloc() && !alignment.is_power_of_two() {
        set_errno(libc::EINVAL);
        return ptr::null_mut();
    }
    memalign_as("aligned_alloc", alignment, size)
}

/// `memalign(alignment, size)`: a block aligned to `alignment`, rounded up to a power of two
/// when it is not one (glibc's rule); null with `errno = EINVAL` for an alignment above
/// `SIZE_MAX / 2 + 1`, with `ENOMEM` when there is no memory.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn memalign(alignment: usize, size: usize) -> *mut c_void {
    memalign_as("memalign", alignment, size)
}

/// `valloc(size)`: a block aligned to the page size.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn valloc(size: usize) -> *mut c_void {
    memalign_as("valloc", settings::page_size(), size)
}

/// `pvalloc(size)`: a page-aligned block of `size` rounded up to a whole number of pages.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn pvalloc(size: usize) -> *mut c_void {
    let page = settings::page_size();
    if size > usize::MAX - 2 * page - GLIBC_MINSIZE {
        return out_of_memory();
    }
    memalign_as("pvalloc", page, size.next_multiple_of(page))
}

/// `malloc_usable_size(ptr)`: how many bytes the block at `ptr` really has (at least what was
/// asked for; all of them may be used). 0 for null.
///
/// # Safety
///
/// As for [`free`].
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn malloc_usable_size(ptr: *mut c_void) -> usize {
    let Some(p) = NonNull::new(ptr.cast::<u8>()) else {
        return 0;
    };
    let call = Call::UsableSize(p.as_ptr().addr());
    let op = |heap: &mut MallocHeap, s: Settings| {
        if s.check {
            return checked::usable_size(heap, p, call);
        }
        checked::guard(heap, p, call);
        // SAFETY: `p` is a live block (the caller's promise).
        unsafe { heap.usable_size(p) }
    };
    // SAFETY: `op` only reads the size of the block the program names.
    unsafe { serve(call, op) }
}
