//! `BRKALLOC_CHECK=1`: the heap is checked before and after every call, and every pointer
//! given to `free`, `realloc` and `malloc_usable_size` is proved to be a live block first. At the
//! first thing wrong, the process stops with a message that names the block (its header
//! address, and the data address `malloc` returned for it), says what is wrong with it in the
//! allocator's own words ([`Corruption`] and [`FreeError`]), and names the call that was about
//! to be served.
//!
//! Also here: [`guard`], the one pointer check made on every call whatever the settings.
//!
//! Everything else here walks the heap's chain, so each call costs time in proportion to the
//! number of blocks: a tool for finding a bug, not for production.

use core::fmt::{self, Write};
use core::ptr::NonNull;

use brkalloc::{BlockInfo, Corruption, FreeError, ALIGN, HEADER_SIZE};

use crate::report::Message;
use crate::MallocHeap;

/// The call being served, as the program made it: named in every message.
#[derive(Clone, Copy)]
pub(crate) enum Call {
    Malloc(usize),
    Calloc(usize, usize),
    /// `posix_memalign`, `aligned_alloc`, `memalign`, `valloc` or `pvalloc`, with its
    /// alignment and size.
    Aligned(&'static str, usize, usize),
    Free(usize),
    Realloc(usize, usize),
    UsableSize(usize),
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Call::Malloc(size) => write!(f, "malloc({size})"),
            Call::Calloc(count, size) => write!(f, "calloc({count}, {size})"),
            Call::Aligned(name, align, size) => write!(f, "{name}(alignment {align}, {size})"),
            Call::Free(p) => write!(f, "free(0x{p:x})"),
            Call::Realloc(p, size) => write!(f, "realloc(0x{p:x}, {size})"),
            Call::UsableSize(p) => write!(f, "malloc_usable_size(0x{p:x})"),
        }
    }
}

/// Checks the heap before serving `call`; stops the process if it is damaged.
pub(crate) fn before(heap: &MallocHeap, call: Call) {
    if let Err(c) = heap.check() {
        corrupt(heap, c, "before serving", call);
    }
}

/// Checks the heap after serving `call`; stops the process if it is damaged.
pub(crate) fn after(heap: &MallocHeap, call: Call) {
    if let Err(c) = heap.check() {
        corrupt(
            heap,
            c,
            "right after serving (it was sound before: a bug in brkalloc, or a write into the \
             heap by another thread meanwhile)",
            call,
        );
    }
}

/// The one check made without `BRKALLOC_CHECK` too, because it costs two comparisons: a
/// pointer outside the heap, or not aligned as every block's data is, cannot be a block, and
/// reading a "header" before it would go wrong somewhere else, later. Stops the process.
#[inline]
pub(crate) fn guard(heap: &MallocHeap, p: NonNull<u8>, call: Call) {
    let addr = p.as_ptr().addr();
    if addr % ALIGN != 0 || addr < heap.heap_start() + HEADER_SIZE || addr >= heap.brk() {
        outside(heap, call);
    }
}

#[cold]
#[inline(never)]
fn outside(heap: &MallocHeap, call: Call) -> ! {
    let mut m = Message::new();
    let _ = writeln!(
        m,
        "brkalloc: {call}: not a pointer malloc returned: it is outside the heap \
         (0x{:x}..0x{:x}) or misaligned. Run with BRKALLOC_CHECK=1 to have every pointer and \
         the heap checked on every call.",
        heap.heap_start(),
        heap.brk()
    );
    stop(m)
}

/// Frees `p` with the heap's checked `free`, which refuses (and changes nothing) unless `p` is
/// the data address of a used block; a refusal stops the process. Returns the block's data
/// bytes.
pub(crate) fn free(heap: &mut MallocHeap, p: NonNull<u8>, call: Call) -> usize {
    let size = live_size(heap, p);
    if let Err(e) = heap.free(p.as_ptr()) {
        refused(e, call);
    }
    size
}

/// The data bytes of the used block at `p`, or 0 when there is none (the checked `free` or
/// `realloc` that follows refuses it then, and says why).
pub(crate) fn live_size(heap: &MallocHeap, p: NonNull<u8>) -> usize {
    match heap.block_at(p.as_ptr().addr()) {
        Some(BlockInfo {
            free: false, size, ..
        }) => size,
        _ => 0,
    }
}

/// `malloc_usable_size(p)`, for a `p` proved to be the data of a used block.
pub(crate) fn usable_size(heap: &MallocHeap, p: NonNull<u8>, call: Call) -> usize {
    let addr = p.as_ptr().addr();
    match heap.block_at(addr) {
        Some(b) if !b.free => b.size,
        found => {
            let mut m = Message::new();
            let _ = writeln!(m, "brkalloc: {call} refused (BRKALLOC_CHECK=1):");
            let _ = match found {
                Some(b) => writeln!(
                    m,
                    "brkalloc:   the block at 0x{:x} (header at 0x{:x}) is free: a use after free",
                    b.data, b.header
                ),
                None => writeln!(
                    m,
                    "brkalloc:   0x{addr:x} is not the data address of any block of this heap: \
                     malloc never returned it"
                ),
            };
            stop(m)
        }
    }
}

/// Stops the process because the heap's checked `free` or `realloc` refused the pointer of
/// `call`, saying why and which block it concerns.
pub(crate) fn refused(e: FreeError, call: Call) -> ! {
    let mut m = Message::new();
    let _ = writeln!(m, "brkalloc: {call} refused (BRKALLOC_CHECK=1):");
    let _ = writeln!(m, "brkalloc:   {e}");
    let data = match e {
        FreeError::DoubleFree { addr } => Some(addr),
        FreeError::Header { data, .. } | FreeError::InsideBlock { data, .. } => Some(data),
        FreeError::Null | FreeError::NotInHeap { .. } => None,
    };
    if let Some(data) = data {
        let _ = writeln!(
            m,
            "brkalloc:   the block: header at 0x{:x}, data at 0x{data:x} (what malloc returned)",
            data - HEADER_SIZE
        );
    }
    stop(m)
}

/// Stops the process because `check()` found `c`, saying which block broke, what is wrong with
/// it, and which block before it could have written over its header.
fn corrupt(heap: &MallocHeap, c: Corruption, when: &str, call: Call) -> ! {
    let mut m = Message::new();
    let _ = writeln!(
        m,
        "brkalloc: heap corruption found {when} {call} (BRKALLOC_CHECK=1):"
    );
    let _ = writeln!(m, "brkalloc:   {c}");
    let header = c.block();
    if header != 0 {
        let _ = writeln!(
            m,
            "brkalloc:   the damaged block: header at 0x{header:x}, data at 0x{:x} (what malloc \
             returned for it)",
            header + HEADER_SIZE
        );
        // The blocks before it read fine (the walk stops at the first bad header): the one
        // right before it is where a write past the end would have come from.
        let before = heap.blocks().take_while(|b| b.header < header).last();
        if let Some(b) = before.filter(|b| b.data + b.size == header) {
            let _ = writeln!(
                m,
                "brkalloc:   the block before it: header at 0x{:x}, data at 0x{:x}, {} bytes, {}; \
                 a write past the end of its data lands in the damaged header",
                b.header,
                b.data,
                b.size,
                if b.free { "free" } else { "used" }
            );
        }
    }
    stop(m)
}

/// Ends every message the same way, and stops.
fn stop(mut m: Message) -> ! {
    let _ = writeln!(m, "brkalloc: stopping the process (SIGABRT).");
    m.die()
}
