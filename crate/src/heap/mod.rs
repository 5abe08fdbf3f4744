//! The heap: a chain of blocks from the heap start to the program break.
//!
//! [`Heap`] is generic over where its memory comes from (a [`Break`]), how it behaves (a
//! [`Config`]: the placement policy and whether to split, coalesce and trim) and who watches it
//! (an [`Observer`]). Files in this folder:
//!
//! - `block.rs`: the header layout and every raw read and write of heap memory;
//! - `ops.rs`: growing, reusing, splitting, coalescing and giving memory back;
//! - `search.rs`: the placement policies' searches;
//! - `seglist.rs`: the segregated policy's size-class lists;
//! - `realloc.rs`: `realloc` in place or by moving;
//! - `check.rs`: the invariant checker;
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
//!    a segment start.
//! 3. Every header and data address is aligned to [`ALIGN`], and every data size is a multiple
//!    of it, at least [`MIN_DATA`].
//! 4. A free block's last data word (its footer) points to its header, and the block after it
//!    in the same segment has the `PREV_FREE` flag; no other block has it.
//! 5. With coalescing on, no two adjacent blocks are both free.
//! 6. With the segregated policy, every free block but the last is on the list of its size
//!    class, and the bitmaps say exactly which lists are not empty. A free last block (the
//!    *top*) is on no list: it is used only when no listed block fits, before the break
//!    moves, so that it stays in one piece for as long as possible.

mod block;
mod check;
mod error;
mod ops;
mod policy;
mod realloc;
mod search;
mod seglist;
#[cfg(test)]
mod tests;

pub use block::{Header, ALIGN, HEADER_SIZE, MIN_DATA};
pub use check::Corruption;
pub use error::{AllocError, FreeError, ReallocError};
pub use policy::{Config, GrowOnlyConfig, Options, Policy, SegregatedConfig};

use core::alloc::Layout;
use core::ptr::{self, NonNull};

use crate::brk::Break;
use crate::observer::Observer;
use block::{Block, FREE};
use seglist::FreeLists;

/// The largest data size the heap will try to serve: far beyond any real memory, and small
/// enough that adding headers and alignment to it never overflows.
pub(crate) const MAX_SIZE: usize = isize::MAX as usize / 4;

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
/// cannot go back below the region's start, and the heap must end at the break). The `unsafe` unchecked methods trust their
/// caller, for speed, and are what the `GlobalAlloc` adapter uses.
pub struct Heap<B: Break, C: Config = Options, O: Observer = ()> {
    brk: B,
    config: C,
    observer: O,
    /// The first block, or null when the heap has none.
    head: Block,
    /// The last block, or null.
    tail: Block,
    /// The block before `tail` when known, else null. Lets `free` of the last block find the new
    /// last block without walking the chain. Always null when the configuration never gives
    /// bytes back.
    before_tail: Block,
    /// The heap's break: the end of the last block. Null before the first growth.
    end: *mut u8,
    /// Where next fit resumes its search (null: from the first block).
    rover: Block,
    /// The segregated policy's size classes (empty under the other policies).
    lists: FreeLists,
}

// SAFETY: the heap owns the memory its pointers reach (through its `Break`), so moving it to
// another thread moves that ownership along; it is `Send` exactly when its parts are.
unsafe impl<B: Break + Send, C: Config + Send, O: Observer + Send> Send for Heap<B, C, O> {}

impl<B: Break, C: Config> Heap<B, C, ()> {
    /// An empty heap: no block yet, and the break where `brk` has it.
    pub const fn new(brk: B, config: C) -> Self {
        Heap::with_observer(brk, config, ())
    }
}

impl<B: Break, C: Config, O: Observer> Heap<B, C, O> {
    /// An empty heap that reports what it does to `observer`.
    pub const fn with_observer(brk: B, config: C, observer: O) -> Self {
        Heap {
            brk,
            config,
            observer,
            head: Block::NULL,
            tail: Block::NULL,
            before_tail: Block::NULL,
            end: ptr::null_mut(),
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
    /// Only the address is compared, so any pointer value may be passed.
    pub fn free(&mut self, ptr: *mut u8) -> Result<(), FreeError> {
        let (b, prev) = self.find_used(ptr.addr())?;
        // SAFETY: `find_used` found `b` on the chain, used, and `prev` just before it.
        unsafe { self.free_block(b, prev, true) };
        Ok(())
    }

    /// `realloc(ptr, new_size)`, checked: resizes the used block whose data is at `ptr`, in
    /// place when it can, else moves the data to a new block (aligned to [`ALIGN`]) and frees
    /// the old one. The first `min(old, new)` bytes are kept. `new_size == 0` shrinks the block
    /// to the minimum and keeps it. On error, nothing changed.
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

    /// `free` without validation, in constant time.
    ///
    /// It gives the last block back through the break like [`free`](Heap::free) whenever it
    /// knows the block before it without walking the chain (as it does right after that block
    /// was appended). Otherwise the last block stays, free and ready for reuse: the next
    /// allocation takes or extends it, and the next checked `free` near the end of the heap
    /// trims it.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap and has not been freed since
    /// (nor passed to a `realloc` that moved it).
    pub unsafe fn free_unchecked(&mut self, ptr: NonNull<u8>) {
        let b = Block::from_data(ptr.as_ptr());
        // SAFETY: the caller guarantees `b` is a live used block; the block before it is
        // unknown (null), which `free_block` handles.
        unsafe { self.free_block(b, Block::NULL, false) }
    }

    /// `realloc` without validation, keeping `layout.align()`. Returns `None`, with nothing
    /// changed, when the new size cannot be served.
    ///
    /// # Safety
    ///
    /// `ptr` was returned by an allocation method of this heap with alignment `layout.align()`
    /// (or less) and has not been freed since.
    pub unsafe fn realloc_unchecked(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        let need = data_size(new_size)?;
        let b = Block::from_data(ptr.as_ptr());
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
        let mut last_segment = Block::NULL;
        let mut b = self.head;
        while !b.is_null() {
            // SAFETY: `b` is on the chain (invariant 1).
            unsafe {
                if b.has(block::SEGMENT_START) {
                    last_segment = b;
                }
                b = b.next();
            }
        }
        if !last_segment.is_null() {
            let bytes = self.end.addr() - last_segment.addr();
            if self.brk.sbrk(-(bytes as isize)).is_ok() {
                let from = self.end.addr();
                self.end = last_segment.0.cast();
                self.observer.event(crate::observer::Event::BreakMoved {
                    from,
                    to: self.end.addr(),
                });
            }
        }
        self.head = Block::NULL;
        self.tail = Block::NULL;
        self.before_tail = Block::NULL;
        self.rover = Block::NULL;
        self.lists = FreeLists::new();
    }

    /// Takes the backend back, to build another heap on the same memory (after
    /// [`reset`](Heap::reset), a new heap over it starts where this one did).
    pub fn into_backend(self) -> B {
        self.brk
    }

    /// Every block, in chain order.
    pub fn blocks(&self) -> Blocks<'_> {
        Blocks {
            block: self.head,
            _heap: core::marker::PhantomData,
        }
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

    /// The heap as data: blocks, segments, totals.
    #[cfg(feature = "alloc")]
    pub fn snapshot(&self) -> crate::snapshot::Snapshot {
        crate::snapshot::Snapshot::build(
            self.heap_start(),
            self.brk(),
            self.brk.pages(),
            self.config.policy(),
            self.blocks(),
            self.free_lists(),
        )
    }

    /// The segregated policy's non-empty size-class lists, lowest class first, each block by
    /// its header address in list order (none under the other policies). A free last block
    /// is on none of them (invariant 6).
    #[cfg(feature = "alloc")]
    pub fn free_lists(&self) -> alloc::vec::Vec<crate::snapshot::FreeList> {
        use crate::snapshot::FreeList;
        let mut lists = alloc::vec::Vec::new();
        if self.config.policy() == Policy::Segregated {
            for fl in 0..seglist::FL {
                for sl in 0..seglist::SL {
                    let mut b = self.lists.head(fl, sl);
                    if b.is_null() {
                        continue;
                    }
                    let mut blocks = alloc::vec::Vec::new();
                    while !b.is_null() {
                        blocks.push(b.addr());
                        // SAFETY: blocks on a list are live free blocks (invariant 6).
                        b = unsafe { b.links().1 };
                    }
                    lists.push(FreeList {
                        class: fl * seglist::SL + sl,
                        min_size: seglist::class_min(fl, sl),
                        blocks,
                    });
                }
            }
        }
        lists
    }

    /// Finds the used block whose data is at `addr`, and the block before it (null for the
    /// first), or says why there is none.
    fn find_used(&self, addr: usize) -> Result<(Block, Block), FreeError> {
        if addr == 0 {
            return Err(FreeError::Null);
        }
        let mut prev = Block::NULL;
        let mut b = self.head;
        while !b.is_null() {
            // SAFETY: `b` is on the chain (invariant 1).
            let (data, end, free, next) =
                unsafe { (b.data().addr(), b.end().addr(), b.is_free(), b.next()) };
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
        let need = data_size(size).ok_or(AllocError::TooLarge { size })?;
        if align > MAX_SIZE {
            return Err(AllocError::TooLarge { size });
        }
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

/// The data size a request for `size` bytes gets: rounded up to [`ALIGN`], at least
/// [`MIN_DATA`]. `None` when it is too large to serve.
#[inline]
pub(crate) fn data_size(size: usize) -> Option<usize> {
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
    block: Block,
    _heap: core::marker::PhantomData<&'a ()>,
}

impl Iterator for Blocks<'_> {
    type Item = BlockInfo;

    fn next(&mut self) -> Option<BlockInfo> {
        let b = self.block;
        if b.is_null() {
            return None;
        }
        // SAFETY: `b` is on the chain of a heap borrowed for `'a`, so it is live and stays so
        // while this iterator exists.
        let (size, flags, next) = unsafe { (b.size(), b.flags(), b.next()) };
        self.block = next;
        Some(BlockInfo {
            header: b.addr(),
            data: b.data().addr(),
            size,
            free: flags & FREE != 0,
            next: next.addr(),
        })
    }
}
