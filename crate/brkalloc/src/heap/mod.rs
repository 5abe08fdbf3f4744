//! The heap: a chain of blocks from the heap start to the program break.
//!
//! [`Heap`] is generic over where its memory comes from (a [`Break`]), how it behaves (a
//! [`Config`]: the placement policy and whether to split, coalesce and trim) and who watches it
//! (an [`Observer`]), and may keep a [`StartMap`] of where headers start. Files in this folder:
//!
//! - `block.rs`: the header layout and every raw read and write of heap memory;
//! - `ops.rs`: growing, reusing, splitting, coalescing and giving memory back;
//! - `search.rs`: the placement policies' searches;
//! - `seglist.rs`: the segregated policy's size-class lists;
//! - `realloc.rs`: `realloc` in place or by moving;
//! - `check.rs`: the invariant checker, and the bounds-checked walk that `blocks()` shares;
//! - `segments.rs`: where the heap's memory is, recorded outside it;
//! - `startmap.rs`: where headers start, recorded outside the heap, for the checked calls;
//! - `policy.rs` and `error.rs`: options and error types.
//!
//! # Invariants
//!
//! Between two operations, the heap keeps these, and [`Heap::check`] verifies every one:
//!
//! 1. Following `next` from the first block visits every block once, in address order; the
//!    last block's `next` is null and its data ends at the break.
//! 2. Within a segment, blocks tile memory with no gap: each block's `next` is the header right
//!    after its data. Between segments, `next` jumps up, and the block it reaches is flagged as
//!    a segment start. With boundary tags ([`Config::stores_next`] `false`) no header holds
//!    `next`: it is derived from the size, and at a segment's end from the segment table, so
//!    there is no stored `next` to check.
//! 3. Every header and data address is aligned to [`ALIGN`], and every data size is a multiple
//!    of it, at least [`MIN_DATA`].
//! 4. A free block's last data word (its footer) points to its header, and the block after it
//!    in the same segment has the `PREV_FREE` flag; no other block has it.
//! 5. With coalescing on, no two adjacent blocks are both free.
//! 6. With the segregated policy, every free block but the last is on the list of its size
//!    class, and the bitmaps say exactly which lists are not empty. A free last block (the
//!    *top*) is on no list: it is used only when no listed block fits, before the break
//!    moves, so that it stays in one piece for as long as possible.
//! 7. The segment table (kept in the `Heap` value, not in heap memory) records every segment's
//!    start and end: the first block of a segment sits at its start, and the blocks of a
//!    segment tile it exactly.
//! 8. Every address the [`StartMap`] contains is the header of a block on the chain (the map
//!    may leave some headers out). The checker counts the chain's headers the map contains
//!    against [`StartMap::recorded`], the number of addresses it contains: any address that is
//!    no header makes the second larger.
//!
//! # What each operation costs
//!
//! | operation | cost |
//! |---|---|
//! | `alloc` under the segregated policy | constant time |
//! | `alloc` under first, next, best and worst fit | a walk of the chain, as in the brief |
//! | `free`, `realloc` (checked), with no [`StartMap`] | a walk of the chain to find the pointer: O(blocks), under every policy |
//! | `free`, `realloc` (checked), with a [`StartMap`] that holds the pointer's header | constant time; when the freed block ends the heap, giving the end back needs the block before it, which [`StartMap::below`] names (else a walk finds it) |
//! | `free_unchecked`, `realloc_unchecked` | constant time, plus the search when `realloc` moves |
//! | `check`, `stats`, `blocks` | O(blocks) |
//!
//! The checked `free` and `realloc` accept any pointer value and must prove it is a used block
//! before touching anything. The chain is the heap's own record of where blocks start, so
//! without more they walk it. A [`StartMap`] is a second record, kept outside heap memory in
//! step with the chain: when it holds the header just before the pointer, that header is read
//! directly. Any pointer it does not hold (a bad one, or one it forgot) is looked up by the
//! walk, which also says precisely why a pointer is refused. Code that knows its pointers are
//! live (a `GlobalAlloc`, a trace replayer that keeps its own table of live blocks) can use
//! the unchecked methods instead, and keep no map.
//!
//! The map costs memory, one bit per [`ALIGN`] bytes of heap with [`StartBits`] (one byte of
//! bitmap per 128 bytes of heap on 64-bit targets, per 64 on wasm32), and time: every split,
//! merge and growth sets or clears a bit. Counted with callgrind on the benchmark's profile
//! example (`bench/core/examples/profile.rs`, 64-bit, the segregated policy with every option
//! of [`Options`], instructions per operation over five repetitions of 100,000):
//!
//! | variant | `random` | `trace-coalesce` |
//! |---|---|---|
//! | no map, `free_unchecked` (`segregated-options`) | 286 | 243 |
//! | `StartBits` kept up, `free_unchecked` (`segregated-map`) | 306 (+7%) | 266 (+9%) |
//! | no map, checked `free` and `realloc` (`segregated-checked`) | 1,304 | 405 |
//! | `StartBits`, checked `free` and `realloc` (`segregated-map-checked`) | 335 | 295 |
//!
//! Freeing 20,000 blocks in the reverse order of their allocation (`lifo-20000`), each free
//! gives the end of the heap back: the checked `free` takes 34 ns a block with the map (which
//! names the block before the last) and 25 µs without (which walks to it); `free_unchecked`,
//! which keeps a small free end rather than give it back, 15 ns.
//!
//! The checked calls with a map cost a little more than the unchecked ones because they also
//! validate the pointer and, as the brief's `free` does, give the end of the heap back whatever
//! its size. A heap that only ever frees through the unchecked calls (a `GlobalAlloc`) has no
//! use for a map, and keeps none: `()` costs nothing.

mod block;
mod check;
mod error;
mod ops;
mod policy;
mod realloc;
mod search;
mod seglist;
mod segments;
mod startmap;
#[cfg(test)]
mod tests;

pub use block::{Header, ALIGN, HEADER_SIZE, MIN_DATA};
pub use check::Corruption;
pub use error::{AllocError, FreeError, ReallocError};
pub use policy::{Config, GrowOnlyConfig, Options, Policy, SegregatedConfig};
pub use segments::MAX_SEGMENTS;
pub use startmap::{highest_below, StartBits, StartMap, BELOW_WORDS};

use core::alloc::Layout;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};

use crate::brk::Break;
use crate::observer::Observer;
use block::{Block, FREE};
use seglist::FreeLists;
use segments::Segments;

/// The largest data size a block can have, and the largest alignment the heap serves: the
/// largest multiple of [`ALIGN`] that is at most `isize::MAX` (about 2 GiB on wasm32, whose
/// memory can grow to 4 GiB). No Rust object is larger, and every sum the heap forms from a
/// size and an alignment this large still fits in a `usize`.
pub const MAX_SIZE: usize = isize::MAX as usize & !(ALIGN - 1);

/// On the unchecked path (`free_unchecked`, and so `GlobalAlloc`), the free bytes at the end
/// of the heap are given back through the break once they exceed this many (less one page of
/// the backend's, so that the memory a page-granular backend keeps committed above the last
/// used block stays below it). Smaller free ends stay, ready for the next allocation:
/// moving the break costs a system call, and a heap that just shrank often grows again
/// (dlmalloc's trim threshold works the same way, and glibc's defaults to the same value).
/// The checked `free` gives the end of the heap back whatever its size, as the brief's
/// allocator does.
pub const TRIM_THRESHOLD: usize = 128 * 1024;

/// One block as seen from outside: addresses and sizes, no pointers to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockInfo {
    /// Address of the header.
    pub header: usize,
    /// Address of the data: what `malloc` returned.
    pub data: usize,
    /// Data bytes.
    pub size: usize,
    /// Whether the block is free.
    pub free: bool,
    /// Address of the next block's header, or 0 for the last block.
    pub next: usize,
}

/// A heap of blocks over a program break.
///
/// ```text
///   heap_start()                                                    brk()
///   v                                                                   v
///   +--------+-----------+--------+------+--------+---------------------+
///   | header | data      | header | data | header | data                |
///   | next --+---------->| next --+----->| next = null                  |
///   +--------+-----------+--------+------+--------+---------------------+
/// ```
///
/// The checked methods ([`alloc`](Heap::alloc), [`free`](Heap::free),
/// [`realloc`](Heap::realloc), [`calloc`](Heap::calloc)) validate everything and leave the heap
/// exactly as it was when they return an error, with one exception: when someone else grew
/// the memory, so that the break handed out a new region, and the request still does not fit,
/// the region's bytes stay with the heap as a free block starting a new segment (the break
/// cannot go back below the region's start, and the heap must end at the break). The `unsafe`
/// unchecked methods trust their caller, for speed, and are what the `GlobalAlloc` adapter
/// uses. What each costs is in the [module documentation](self).
///
/// The fourth parameter, a [`StartMap`], records where headers start so that the checked
/// `free` and `realloc` need not walk the chain; `()`, the default, records nothing.
pub struct Heap<B: Break, C: Config = Options, O: Observer = (), M: StartMap = ()> {
    brk: B,
    config: C,
    observer: O,
    /// Where headers start (invariant 8).
    map: M,
    /// The first block, or null when the heap has none.
    head: Block,
    /// The last block, or null.
    tail: Block,
    /// The heap's break: the end of the last block. Null before the first growth.
    end: *mut u8,
    /// Where the heap's memory is (invariant 7).
    segments: Segments,
    /// Set when the break jumped once more than [`MAX_SEGMENTS`] allows and the new region
    /// was handed back: the backend's break then no longer ends the heap, and the heap does
    /// not grow again.
    stranded: bool,
    /// Where next fit resumes its search (null: from the first block).
    rover: Block,
    /// The segregated policy's size classes (empty under the other policies).
    lists: FreeLists,
}

// SAFETY: the heap owns the memory its pointers reach (through its `Break`), so moving it to
// another thread moves that ownership along; it is `Send` exactly when its parts are.
unsafe impl<B: Break + Send, C: Config + Send, O: Observer + Send, M: StartMap + Send> Send
    for Heap<B, C, O, M>
{
}

impl<B: Break, C: Config> Heap<B, C, (), ()> {
    /// An empty heap: no block yet, and the break where `brk` has it.
    pub const fn new(brk: B, config: C) -> Self {
        Heap::with_observer(brk, config, ())
    }
}

impl<B: Break, C: Config, O: Observer> Heap<B, C, O, ()> {
    /// An empty heap that reports what it does to `observer`.
    pub const fn with_observer(brk: B, config: C, observer: O) -> Self {
        Heap::build(brk, config, observer, ())
    }
}

impl<B: Break, C: Config, M: StartMap> Heap<B, C, (), M> {
    /// An empty heap that records where its headers start in `map` (cleared first), so that
    /// the checked [`free`](Heap::free) and [`realloc`](Heap::realloc) find a pointer's block
    /// without walking the chain.
    pub fn with_map(brk: B, config: C, map: M) -> Self {
        Heap::with_observer_and_map(brk, config, (), map)
    }
}

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    /// An empty heap that reports what it does to `observer` and records where its headers
    /// start in `map` (cleared first).
    pub fn with_observer_and_map(brk: B, config: C, observer: O, map: M) -> Self {
        let mut map = map;
        map.clear();
        Heap::build(brk, config, observer, map)
    }

    /// An empty heap over `map`, which records nothing yet.
    const fn build(brk: B, config: C, observer: O, map: M) -> Self {
        Heap {
            brk,
            config,
            observer,
            map,
            head: Block::NULL,
            tail: Block::NULL,
            end: ptr::null_mut(),
            segments: Segments::new(),
            stranded: false,
            rover: Block::NULL,
            lists: FreeLists::new(),
        }
    }

    /// `malloc(size)`: a block of at least `size` bytes, its data aligned to [`ALIGN`].
    ///
    /// `alloc(0)` is served like `alloc(1)`: a unique, minimum-size block ([`MIN_DATA`] bytes)
    /// that must be freed like any other.
    pub fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, AllocError> {
        self.alloc_aligned(size, ALIGN)
    }

    /// A block for `layout`: any power-of-two alignment is honoured.
    pub fn alloc_layout(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.alloc_aligned(layout.size(), layout.align())
    }

    /// [`alloc_layout`](Heap::alloc_layout) without the error's details: `None` when the
    /// request cannot be served. What a `GlobalAlloc` needs, and a little faster.
    #[inline]
    pub fn try_alloc_layout(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let need = data_size(layout.size())?;
        if layout.align() > MAX_SIZE {
            return None;
        }
        self.alloc_need(need, layout.align().max(ALIGN)).ok()
    }

    /// `calloc(count, size)`: `count * size` zeroed bytes. The product is checked for overflow.
    pub fn calloc(&mut self, count: usize, size: usize) -> Result<NonNull<u8>, AllocError> {
        let bytes = count
            .checked_mul(size)
            .ok_or(AllocError::CountOverflow { count, size })?;
        let p = self.alloc(bytes)?;
        // SAFETY: `alloc` returned a block of at least `bytes` writable bytes.
        unsafe { p.as_ptr().write_bytes(0, bytes) };
        Ok(p)
    }

    /// `free(ptr)`, checked: `ptr` must be the data address of a used block of this heap.
    /// Anything else is refused with a [`FreeError`] saying why, and changes nothing.
    ///
    /// Only the address is compared, so any pointer value may be passed. When the heap's
    /// [`StartMap`] holds the header just before `ptr`, that header is read directly, in
    /// constant time. Otherwise (no map, a map that forgot it, or a pointer that is no block's
    /// data) `free` walks the chain from the first block, under every policy: its cost grows
    /// with the number of blocks. An [`Event::Lookup`](crate::Event::Lookup) says how many
    /// blocks it looked at (1 when the map held the header).
    /// [`free_unchecked`](Heap::free_unchecked) takes constant time.
    pub fn free(&mut self, ptr: *mut u8) -> Result<(), FreeError> {
        let (b, prev) = self.find_used(ptr.addr())?;
        // SAFETY: `find_used` found `b` on the chain, used, and `prev` just before it or null.
        unsafe { self.free_block(b, prev, true) };
        Ok(())
    }

    /// `realloc(ptr, new_size)`, checked: resizes the used block whose data is at `ptr`, in
    /// place when it can, else moves the data to a new block (aligned to [`ALIGN`]) and frees
    /// the old one. The first `min(old, new)` bytes are kept. `new_size == 0` shrinks the block
    /// to the minimum and keeps it. On error, nothing changed.
    ///
    /// It finds `ptr` as [`free`](Heap::free) does: through the [`StartMap`], else by a walk.
    pub fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> Result<NonNull<u8>, ReallocError> {
        let (b, _) = self.find_used(ptr.addr())?;
        let need = data_size(new_size).ok_or(AllocError::TooLarge { size: new_size })?;
        // SAFETY: `b` is a used block on the chain.
        let p = unsafe { self.realloc_block(b, need, ALIGN, true) }.map_err(|cause| {
            AllocError::OutOfMemory {
                size: new_size,
                cause,
            }
        })?;
        Ok(p)
    }

    /// [`free`](Heap::free) for a pointer the caller knows to be live: the same outcome,
    /// without the walk that proves the pointer is a block. Constant time, except when the
    /// freed block ends the heap: then, as `free` does, it gives the end back through the break,
    /// which needs the block before it: named by the heap's [`StartMap`] when it can
    /// ([`StartMap::below`]), else found by a walk. What a replayer that keeps its own
    /// table of live blocks uses.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap and has not been freed since
    /// (nor passed to a `realloc` that moved it).
    pub unsafe fn free_live(&mut self, ptr: NonNull<u8>) {
        let b = self.block_of(ptr);
        // SAFETY: the caller guarantees `b` is a live used block; the block before it is
        // unknown (null), which `free_block` finds by walking when it needs it.
        unsafe { self.free_block(b, Block::NULL, true) }
    }

    /// [`realloc`](Heap::realloc) for a pointer the caller knows to be live: the same outcome,
    /// without the walk that proves the pointer is a block (see [`free_live`](Heap::free_live)).
    ///
    /// # Safety
    ///
    /// As for [`free_live`](Heap::free_live).
    pub unsafe fn realloc_live(
        &mut self,
        ptr: NonNull<u8>,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        let need = data_size(new_size).ok_or(AllocError::TooLarge { size: new_size })?;
        let b = self.block_of(ptr);
        // SAFETY: the caller guarantees `b` is a live used block (data aligned to ALIGN).
        unsafe { self.realloc_block(b, need, ALIGN, true) }.map_err(|cause| {
            AllocError::OutOfMemory {
                size: new_size,
                cause,
            }
        })
    }

    /// `free` without validation, in constant time.
    ///
    /// When the end of the heap becomes free, it stays free and ready for reuse (the next
    /// allocation takes or extends it) until it exceeds [`TRIM_THRESHOLD`] bytes; then it is
    /// cut down to the smallest block and the rest goes back through the break. That holds
    /// when the freed block was the heap's only one, too: the heap keeps it, free, for the
    /// next allocation.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap and has not been freed since
    /// (nor passed to a `realloc` that moved it).
    pub unsafe fn free_unchecked(&mut self, ptr: NonNull<u8>) {
        let b = self.block_of(ptr);
        // SAFETY: the caller guarantees `b` is a live used block; the block before it is
        // unknown (null), which `free_block` handles.
        unsafe { self.free_block(b, Block::NULL, false) }
    }

    /// `realloc` without validation, keeping `layout.align()`. Returns `None`, with nothing
    /// changed, when the new size cannot be served.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap and has not been freed since,
    /// and its data is aligned to `layout.align()` (a block that has to move is given that
    /// alignment again).
    pub unsafe fn realloc_unchecked(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        let need = data_size(new_size)?;
        let b = self.block_of(ptr);
        // SAFETY: the caller guarantees `b` is a live used block.
        unsafe { self.realloc_block(b, need, layout.align().max(ALIGN), false) }.ok()
    }

    /// Forgets every block and moves the break back down as far as it goes: to the start of
    /// the heap, or, when the break had to jump, to the start of the last segment (the earlier
    /// segments' memory stays with the backend, unused). The next allocation starts there, so a
    /// heap that is reset and given the same requests hands out the same addresses.
    ///
    /// Pointers into the heap are dangling afterwards; the safe methods never follow them.
    pub fn reset(&mut self) {
        let last_segment = self.segments.last_start();
        if !last_segment.is_null() && !self.stranded {
            let bytes = self.end.addr() - last_segment.addr();
            if self.lower_break(bytes) {
                let from = self.end.addr();
                self.end = self.end.wrapping_sub(bytes);
                self.observer.event(crate::observer::Event::BreakMoved {
                    from,
                    to: self.end.addr(),
                });
            }
        }
        if self.stranded {
            // The backend's break moved on without the heap; with no block left, the heap
            // starts again where the backend is.
            self.end = self.brk.current();
            self.stranded = false;
        }
        self.head = Block::NULL;
        self.tail = Block::NULL;
        self.rover = Block::NULL;
        self.segments.clear();
        self.lists = FreeLists::new();
        if M::KEEPS {
            self.map.clear();
        }
    }

    /// Moves the break down by `bytes`, in steps `sbrk` can take (a step is at most
    /// `isize::MAX`: a wasm32 heap can be larger). If a step is refused, the steps already
    /// taken are undone and `false` is returned: nothing changed.
    pub(crate) fn lower_break(&mut self, bytes: usize) -> bool {
        const STEP: usize = isize::MAX as usize;
        let mut done = 0;
        while done < bytes {
            let step = (bytes - done).min(STEP);
            if self.brk.sbrk(-(step as isize)).is_err() {
                while done > 0 {
                    let back = done.min(STEP);
                    // The bytes just given up are above the break, with nobody else's in
                    // between (nothing else moves it during one operation), so they come back.
                    let _ = self.brk.sbrk(back as isize);
                    done -= back;
                }
                return false;
            }
            done += step;
        }
        true
    }

    /// Takes the backend back, to build another heap on the same memory (after
    /// [`reset`](Heap::reset), a new heap over it starts where this one did).
    pub fn into_backend(self) -> B {
        self.brk
    }

    /// Every block, in chain order.
    ///
    /// The walk checks each header against the segment table before it reads it, as
    /// [`check`](Heap::check) does, and stops at the first one that cannot be a block of
    /// this heap: it never reads outside the heap's memory, whatever its bytes hold.
    pub fn blocks(&self) -> Blocks<'_> {
        let view = self.view();
        Blocks {
            walk: check::Walk::new(&view),
            view,
        }
    }

    /// The heap's totals: blocks, bytes and the free end, in one walk of the chain. The
    /// block and byte counts are [`Stats::from_blocks`] of [`blocks`](Heap::blocks); the rest
    /// comes from the heap's own records: `segments` from its segment table (which also counts
    /// a segment whose blocks were all given back), `pages` from the backend.
    pub fn stats(&self) -> Stats {
        Stats {
            segments: self.segments.len(),
            pages: self.brk.pages(),
            stranded: self.stranded,
            ..Stats::from_blocks(self.heap_start(), self.brk(), self.blocks())
        }
    }

    /// The data bytes of the used block whose data is at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap and has not been freed since.
    pub unsafe fn usable_size(&self, ptr: NonNull<u8>) -> usize {
        // SAFETY: the caller guarantees a live block, whose header is just before its data.
        unsafe { self.block_of(ptr).size() }
    }

    /// The blocks on the segregated policy's size-class lists, lowest class first and each
    /// list in order, as `(class, smallest size of the class, header address)`; none under
    /// the other policies. Each entry is checked as [`blocks`](Heap::blocks) checks a block
    /// before it is read, and each list stops at the first entry that fails or after as many
    /// entries as the heap has blocks.
    pub fn listed(&self) -> Listed<'_> {
        let view = self.view();
        Listed {
            limit: view.block_limit(),
            view,
            fl: 0,
            sl: 0,
            block: Block::NULL,
            started: false,
            left: 0,
        }
    }

    /// The `len` bytes of heap memory at `addr`, headers and free blocks included, when they
    /// lie inside one segment of the heap; `None` otherwise. They are `MaybeUninit`: bytes no
    /// one has written yet are whatever the break handed out.
    pub fn bytes(&self, addr: usize, len: usize) -> Option<&[MaybeUninit<u8>]> {
        let (p, _) = self.segments.locate(addr, len, self.end.addr())?;
        // SAFETY: `locate` found the range inside one segment of memory the break handed to
        // this heap, and `p` carries that segment's provenance. The slice borrows `self`, so no
        // operation can write or give back those bytes while it lives; `MaybeUninit` makes no
        // claim about their contents.
        Some(unsafe { core::slice::from_raw_parts(p.cast(), len) })
    }

    /// The data bytes of the used block whose data starts at `data`, to write: what a program
    /// does with the memory `malloc` gave it. `None` when no used block's data starts there
    /// (the walk that finds it checks every header before reading it, as
    /// [`free`](Heap::free)'s does, so any address may be passed). The bytes of a used block
    /// are the program's alone (the heap keeps its bookkeeping in headers and free blocks), so
    /// nothing written there can break the heap.
    pub fn data_mut(&mut self, data: usize) -> Option<&mut [MaybeUninit<u8>]> {
        let b = self.blocks().find(|b| b.data == data && !b.free)?;
        let p = self.segments.ptr_to(b.data);
        // SAFETY: the walk found a used block of the heap whose `size` data bytes lie inside
        // one segment of the heap's memory (it checks every block against the segment table);
        // `p` carries that segment's provenance. The slice borrows `self` mutably, so nothing
        // else reads or writes those bytes while it lives.
        Some(unsafe { core::slice::from_raw_parts_mut(p.cast(), b.size) })
    }

    /// The block whose data starts at `data`, if there is one.
    pub fn block_at(&self, data: usize) -> Option<BlockInfo> {
        self.blocks().find(|b| b.data == data)
    }

    /// The address of the first header, or of the break when the heap has no block.
    pub fn heap_start(&self) -> usize {
        if !self.head.is_null() {
            self.head.addr()
        } else if !self.end.is_null() {
            self.end.addr()
        } else {
            block::round_up(self.brk.current().addr(), ALIGN)
        }
    }

    /// The heap's break: the end of its last block.
    pub fn brk(&self) -> usize {
        if self.end.is_null() {
            self.heap_start()
        } else {
            self.end.addr()
        }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.brk
    }

    /// The options.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The observer.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// The observer, to take what it recorded.
    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    /// The map of header starts. (Only the heap writes to it: a header it did not record
    /// would be trusted.)
    pub fn map(&self) -> &M {
        &self.map
    }

    /// Finds the used block whose data is at `addr`, and the block before it (null for the
    /// first, or when the map found the block and so the one before is unknown), or says why
    /// there is none.
    fn find_used(&mut self, addr: usize) -> Result<(Block, Block), FreeError> {
        if addr == 0 {
            return Err(FreeError::Null);
        }
        if M::KEEPS && addr % ALIGN == 0 && self.map.contains(addr.wrapping_sub(HEADER_SIZE)) {
            let b = self.block_of_addr(addr);
            self.observer
                .event(crate::observer::Event::Lookup { addr, blocks: 1 });
            // SAFETY: the map holds only headers of blocks on the chain (invariant 8, kept by
            // the `StartMap` contract and the heap's calls), so `b` is a live block.
            return if unsafe { b.is_free() } {
                Err(FreeError::DoubleFree { addr })
            } else {
                Ok((b, Block::NULL))
            };
        }
        let mut visited = 0;
        let found = self.find_used_walk(addr, &mut visited);
        self.observer.event(crate::observer::Event::Lookup {
            addr,
            blocks: visited,
        });
        found
    }

    fn find_used_walk(
        &self,
        addr: usize,
        visited: &mut usize,
    ) -> Result<(Block, Block), FreeError> {
        let mut prev = Block::NULL;
        let mut b = self.head;
        while !b.is_null() {
            *visited += 1;
            // SAFETY: `b` is on the chain (invariant 1).
            let (data, end, free, next) = unsafe {
                (
                    b.data().addr(),
                    b.end().addr(),
                    b.is_free(),
                    self.next_of(b),
                )
            };
            if addr == data {
                return if free {
                    Err(FreeError::DoubleFree { addr })
                } else {
                    Ok((b, prev))
                };
            }
            if addr >= b.addr() && addr < end {
                return Err(if addr < data {
                    FreeError::Header { addr, data }
                } else {
                    FreeError::InsideBlock {
                        addr,
                        data,
                        offset: addr - data,
                    }
                });
            }
            prev = b;
            b = next;
        }
        Err(FreeError::NotInHeap { addr })
    }

    fn alloc_aligned(&mut self, size: usize, align: usize) -> Result<NonNull<u8>, AllocError> {
        if !align.is_power_of_two() {
            return Err(AllocError::BadAlign { align });
        }
        if align > MAX_SIZE {
            return Err(AllocError::AlignTooLarge { align });
        }
        let need = data_size(size).ok_or(AllocError::TooLarge { size })?;
        self.alloc_need(need, align.max(ALIGN))
            .map_err(|cause| AllocError::OutOfMemory { size, cause })
    }

    /// Serves `need` data bytes (already rounded) at alignment `align` (at least [`ALIGN`]).
    #[inline]
    fn alloc_need(
        &mut self,
        need: usize,
        align: usize,
    ) -> Result<NonNull<u8>, crate::brk::BreakError> {
        if let Some((b, gap)) = self.find(need, align) {
            // SAFETY: `find` returns a free block on the chain that holds `need` bytes at
            // `align` after a lead gap of `gap` bytes.
            return Ok(unsafe { self.take(b, need, gap) });
        }
        self.append(need, align)
    }
}

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    /// The block whose data a caller's pointer points to, reached through the heap's own
    /// pointer to that memory (see `Segments::ptr_to`): only the address of `ptr` is used.
    /// With a backend whose pointers are addresses ([`Break::EXPOSED`]), the address alone
    /// makes that pointer.
    #[inline(always)]
    fn block_of(&self, ptr: NonNull<u8>) -> Block {
        self.block_of_addr(ptr.as_ptr().addr())
    }

    /// The block whose data is at `data`, reached through the heap's own pointer (with a
    /// backend whose pointers are addresses, [`Break::EXPOSED`], the address alone makes it).
    #[inline(always)]
    fn block_of_addr(&self, data: usize) -> Block {
        Block::from_data(if B::EXPOSED {
            ptr::with_exposed_provenance_mut(data)
        } else {
            self.segments.ptr_to(data)
        })
    }
}

/// The data size a request for `size` bytes gets: rounded up to [`ALIGN`], at least
/// [`MIN_DATA`]. `None` when it is too large to serve. What a layer in front of the heap (a
/// cache of blocks by size, a model of the heap) uses to know the size of the block a request
/// will get.
///
/// ```
/// use brkalloc::heap::data_size;
/// use brkalloc::{ALIGN, MIN_DATA, MAX_SIZE};
///
/// assert_eq!(data_size(0), Some(MIN_DATA));
/// assert_eq!(data_size(MIN_DATA + 1), Some(MIN_DATA + ALIGN));
/// assert_eq!(data_size(MAX_SIZE + 1), None);
/// ```
#[inline(always)]
pub fn data_size(size: usize) -> Option<usize> {
    if size > MAX_SIZE {
        None
    } else if size <= MIN_DATA {
        Some(MIN_DATA)
    } else {
        Some(block::round_up(size, ALIGN))
    }
}

/// Iterator over the blocks of a heap, in chain order. See [`Heap::blocks`].
pub struct Blocks<'a> {
    walk: check::Walk,
    view: check::View<'a>,
}

impl Iterator for Blocks<'_> {
    type Item = BlockInfo;

    fn next(&mut self) -> Option<BlockInfo> {
        let b = self.walk.step(&self.view).ok()??;
        Some(BlockInfo {
            header: b.header,
            data: b.header + HEADER_SIZE,
            size: b.size,
            free: b.flags & FREE != 0,
            next: b.next,
        })
    }
}

/// Iterator over the blocks on the size-class lists. See [`Heap::listed`].
pub struct Listed<'a> {
    view: check::View<'a>,
    fl: usize,
    sl: usize,
    block: Block,
    started: bool,
    /// Entries this list may still yield.
    left: usize,
    /// The most blocks the heap can hold: no list is longer.
    limit: usize,
}

impl Iterator for Listed<'_> {
    /// `(class, smallest size of the class, header address)`.
    type Item = (usize, usize, usize);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.fl >= seglist::FL {
                return None;
            }
            if !self.started {
                self.started = true;
                self.block = self.view.list_head(self.fl, self.sl);
                self.left = self.limit;
            }
            let b = self.block;
            if !b.is_null() && self.left > 0 {
                if let Some((_, _, (_, next))) = self.view.read_listed(b) {
                    self.left -= 1;
                    self.block = next;
                    return Some((
                        self.fl * seglist::SL + self.sl,
                        seglist::class_min(self.fl, self.sl),
                        b.addr(),
                    ));
                }
            }
            self.started = false;
            self.sl += 1;
            if self.sl == seglist::SL {
                self.sl = 0;
                self.fl += 1;
            }
        }
    }
}

/// The heap's totals, from one walk of its chain ([`Heap::stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Address of the first header (or of the break, with no block).
    pub heap_start: usize,
    /// The heap's break: the end of its last block.
    pub brk: usize,
    /// Runs of adjacent blocks (more than one when the break had to jump).
    pub segments: usize,
    /// Blocks in the chain.
    pub blocks: usize,
    /// Of those, used.
    pub used_blocks: usize,
    /// Of those, free.
    pub free_blocks: usize,
    /// Data bytes of the used blocks.
    pub used_bytes: usize,
    /// Data bytes of the free blocks.
    pub free_bytes: usize,
    /// Data bytes of the largest free block.
    pub largest_free: usize,
    /// Bytes of all blocks, headers included: the heap's memory, gaps between segments left
    /// out.
    pub heap_bytes: usize,
    /// The end of the last used block's data (the heap start when no block is used): every
    /// byte from here to the break is free.
    pub last_used_end: usize,
    /// Page accounting, when the backend obtains memory in pages.
    pub pages: Option<crate::brk::Pages>,
    /// Whether the heap has stopped growing: its memory already lay in [`MAX_SEGMENTS`]
    /// segments when the break jumped once more, so the new region went back and the
    /// backend's break no longer ends the heap.
    pub stranded: bool,
}

impl Stats {
    /// The totals of `blocks`, a chain in chain order, of a heap from `heap_start` to `brk`:
    /// block and byte counts, the largest free block, the end of the last used block, and
    /// `segments` as the runs of adjacent blocks the chain shows. This is what
    /// [`Heap::stats`] adds up, written once so that blocks copied out of a heap (as
    /// [`BrkAlloc::copy_into`](crate::BrkAlloc::copy_into) copies them, to be read without the
    /// allocator's lock) give the same totals, [`fragmentation`](Stats::fragmentation)
    /// included. What a chain cannot tell is left for the caller: `pages` is `None` and
    /// `stranded` is `false`.
    ///
    /// ```
    /// use brkalloc::{ArenaBreak, Heap, Options, Stats};
    /// use core::mem::MaybeUninit;
    ///
    /// let mut buffer = [MaybeUninit::new(0u8); 4096];
    /// let mut heap = Heap::new(ArenaBreak::new(&mut buffer), Options::SEED);
    /// let a = heap.alloc(64).unwrap();
    /// heap.alloc(8).unwrap();
    /// heap.free(a.as_ptr()).unwrap();
    /// let copied: Vec<_> = heap.blocks().collect();
    /// let stats = Stats::from_blocks(heap.heap_start(), heap.brk(), copied);
    /// assert_eq!((stats.blocks, stats.free_blocks, stats.free_bytes), (2, 1, 64));
    /// assert_eq!(stats.fragmentation(), 0.0, "one free block: nothing scattered");
    /// assert_eq!(stats.segments, 1);
    /// assert_eq!(
    ///     Stats { pages: None, ..heap.stats() },
    ///     stats,
    ///     "the same totals as the heap's own walk"
    /// );
    /// ```
    pub fn from_blocks(
        heap_start: usize,
        brk: usize,
        blocks: impl IntoIterator<Item = BlockInfo>,
    ) -> Stats {
        let mut s = Stats {
            heap_start,
            brk,
            last_used_end: heap_start,
            ..Stats::default()
        };
        let mut run_end = None;
        for b in blocks {
            if run_end != Some(b.header) {
                s.segments += 1;
            }
            run_end = Some(b.data + b.size);
            s.blocks += 1;
            s.heap_bytes += HEADER_SIZE + b.size;
            if b.free {
                s.free_blocks += 1;
                s.free_bytes += b.size;
                s.largest_free = s.largest_free.max(b.size);
            } else {
                s.used_blocks += 1;
                s.used_bytes += b.size;
                s.last_used_end = b.data + b.size;
            }
        }
        s
    }

    /// External fragmentation: 1 − largest free block / all free bytes, from 0 (the free
    /// bytes are one block) towards 1 (they are scattered in many small ones); 0 when nothing
    /// is free.
    pub fn fragmentation(&self) -> f64 {
        if self.free_bytes == 0 {
            0.0
        } else {
            1.0 - self.largest_free as f64 / self.free_bytes as f64
        }
    }

    /// Bytes from the end of the last used block to the break: the free end of the heap.
    pub fn free_end(&self) -> usize {
        self.brk.saturating_sub(self.last_used_end)
    }
}
