//! The invariant checker: walks the whole heap and names the first block that breaks a rule.
//!
//! It follows a `next` pointer only after checking that it points inside the heap, so it can
//! be run on a corrupted heap (in tests, after a deliberate stray write) without crashing.

use core::fmt;

use super::block::{Block, ALIGN, FREE, HEADER_SIZE, MIN_DATA, PREV_FREE, SEGMENT_START};
use super::seglist::{class_of, FL, SL};
use super::{Config, Heap, Policy};
use crate::brk::Break;
use crate::observer::Observer;

/// A broken invariant, naming the block (by header address) where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// A header lies outside the heap or is misaligned.
    OutOfBounds {
        /// The header address.
        block: usize,
    },
    /// A data size is too small, not a multiple of the alignment, or runs past the break.
    BadSize {
        /// The header address.
        block: usize,
        /// The size read from the header.
        size: usize,
    },
    /// `next` points backwards, into the block itself, or outside the heap.
    BadNext {
        /// The header address.
        block: usize,
        /// The `next` read from the header.
        next: usize,
    },
    /// A block starts a segment but follows its predecessor directly, or follows a gap without
    /// starting a segment.
    SegmentFlag {
        /// The header address.
        block: usize,
    },
    /// The `PREV_FREE` flag disagrees with the block before.
    PrevFreeFlag {
        /// The header address.
        block: usize,
    },
    /// A free block's footer does not point to its header.
    BadFooter {
        /// The header address.
        block: usize,
    },
    /// Two adjacent free blocks, with coalescing on.
    NotCoalesced {
        /// The header address of the second.
        block: usize,
    },
    /// The last block does not end at the break, or is not the heap's recorded last block.
    BadEnd {
        /// The header address of the last block.
        block: usize,
        /// Where the heap's break is.
        brk: usize,
    },
    /// The segregated lists disagree with the blocks: a listed block that is not free, is the
    /// last block or is in the wrong class, broken links, a wrong bitmap bit, or a free block
    /// (other than the last) on no list.
    FreeList {
        /// The header address of the block concerned (0 for a count or bitmap mismatch).
        block: usize,
    },
    /// A cached pointer (the block before the last, or next fit's resume point) is not on the
    /// chain where it should be.
    StaleCache {
        /// The cached address.
        block: usize,
    },
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Corruption::OutOfBounds { block } => {
                write!(f, "block 0x{block:08x}: header is outside the heap or misaligned")
            }
            Corruption::BadSize { block, size } => write!(
                f,
                "block 0x{block:08x}: size {size} is impossible (too small, unaligned, or past the break)"
            ),
            Corruption::BadNext { block, next } => write!(
                f,
                "block 0x{block:08x}: next = 0x{next:08x} does not point to a later block of the heap"
            ),
            Corruption::SegmentFlag { block } => {
                write!(f, "block 0x{block:08x}: segment-start flag disagrees with the gap before it")
            }
            Corruption::PrevFreeFlag { block } => write!(
                f,
                "block 0x{block:08x}: its 'previous block is free' flag is wrong"
            ),
            Corruption::BadFooter { block } => {
                write!(f, "block 0x{block:08x}: free block's footer does not point back to it")
            }
            Corruption::NotCoalesced { block } => write!(
                f,
                "block 0x{block:08x}: free and right after another free block, though coalescing is on"
            ),
            Corruption::BadEnd { block, brk } => write!(
                f,
                "block 0x{block:08x}: the last block does not end at the break (0x{brk:08x})"
            ),
            Corruption::FreeList { block } => {
                write!(f, "block 0x{block:08x}: the size-class free lists disagree with the chain")
            }
            Corruption::StaleCache { block } => {
                write!(f, "block 0x{block:08x}: a cached block pointer is stale")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Corruption {}

impl<B: Break, C: Config, O: Observer> Heap<B, C, O> {
    /// Walks the chain and verifies every invariant listed in the [module docs](super).
    pub fn check(&self) -> Result<(), Corruption> {
        let seg = self.config.policy() == Policy::Segregated;
        if self.head.is_null() {
            if !self.tail.is_null() {
                return Err(Corruption::StaleCache {
                    block: self.tail.addr(),
                });
            }
            return self.check_lists(0);
        }
        let lo = self.head.addr();
        let end = self.end.addr();
        let mut b = self.head;
        let mut prev = Block::NULL;
        let mut prev_end = 0usize;
        let mut prev_free = false;
        let mut free_blocks = 0usize;
        let mut saw_rover = self.rover.is_null();
        let mut saw_before_tail = self.before_tail.is_null();
        loop {
            let a = b.addr();
            if a % ALIGN != 0 || a < lo || a >= end || end - a < HEADER_SIZE + MIN_DATA {
                return Err(Corruption::OutOfBounds { block: a });
            }
            // SAFETY: `a` is aligned and lies inside the heap's memory, below the break with
            // room for a header.
            let (size, flags, next) = unsafe { (b.size(), b.flags(), b.next()) };
            if size < MIN_DATA || size % ALIGN != 0 || size > end - a - HEADER_SIZE {
                return Err(Corruption::BadSize { block: a, size });
            }
            let b_end = a + HEADER_SIZE + size;
            let free = flags & FREE != 0;
            let adjacent = !prev.is_null() && prev_end == a;
            if !prev.is_null() && a < prev_end {
                return Err(Corruption::BadNext {
                    block: prev.addr(),
                    next: a,
                });
            }
            if (flags & SEGMENT_START != 0) == adjacent {
                return Err(Corruption::SegmentFlag { block: a });
            }
            if (flags & PREV_FREE != 0) != (adjacent && prev_free) {
                return Err(Corruption::PrevFreeFlag { block: a });
            }
            if adjacent && free && prev_free && self.config.coalesce() {
                return Err(Corruption::NotCoalesced { block: a });
            }
            if free {
                // SAFETY: the data lies inside the heap (size checked above), and its last word
                // is aligned.
                let footer = unsafe { b.end().cast::<*mut u8>().sub(1).read() }.addr();
                if footer != a {
                    return Err(Corruption::BadFooter { block: a });
                }
                if b != self.tail {
                    free_blocks += 1;
                }
            }
            if b == self.rover {
                saw_rover = true;
            }
            if b == self.before_tail && next == self.tail {
                saw_before_tail = true;
            }
            if next.is_null() {
                if b != self.tail || b_end != end {
                    return Err(Corruption::BadEnd { block: a, brk: end });
                }
                break;
            }
            let n = next.addr();
            if n < b_end || n % ALIGN != 0 || n >= end || end - n < HEADER_SIZE + MIN_DATA {
                return Err(Corruption::BadNext { block: a, next: n });
            }
            if n != b_end {
                // A jump is only right into the first block of another segment. Anything else
                // is this block's `next` gone wrong, whatever the bytes there look like.
                // SAFETY: `n` is aligned and inside the heap, with room for a header.
                let (n_flags, n_size) = unsafe { (next.flags(), next.size()) };
                if n_flags & SEGMENT_START == 0
                    || n_size < MIN_DATA
                    || n_size % ALIGN != 0
                    || n_size > end - n - HEADER_SIZE
                {
                    return Err(Corruption::BadNext { block: a, next: n });
                }
            }
            prev = b;
            prev_end = b_end;
            prev_free = free;
            b = next;
        }
        if !saw_rover {
            return Err(Corruption::StaleCache {
                block: self.rover.addr(),
            });
        }
        if !saw_before_tail {
            return Err(Corruption::StaleCache {
                block: self.before_tail.addr(),
            });
        }
        if self.brk.current() != self.end {
            return Err(Corruption::BadEnd {
                block: self.tail.addr(),
                brk: self.brk.current().addr(),
            });
        }
        self.check_lists(if seg { free_blocks } else { 0 })
    }

    /// The segregated lists hold exactly `free_blocks` blocks, each free, in its class, with
    /// consistent links and bitmap bits.
    fn check_lists(&self, free_blocks: usize) -> Result<(), Corruption> {
        let lo = self.heap_start();
        let end = self.brk();
        let mut listed = 0usize;
        for fl in 0..FL {
            for sl in 0..SL {
                let head = self.lists.head(fl, sl);
                if head.is_null() == self.lists.bit(fl, sl) {
                    return Err(Corruption::FreeList { block: head.addr() });
                }
                let mut prev = Block::NULL;
                let mut b = head;
                while !b.is_null() {
                    let a = b.addr();
                    listed += 1;
                    if listed > free_blocks || a % ALIGN != 0 || a < lo || a >= end {
                        return Err(Corruption::FreeList { block: a });
                    }
                    // SAFETY: `a` is aligned and inside the heap.
                    let (free, size, (lprev, lnext)) =
                        unsafe { (b.is_free(), b.size(), b.links()) };
                    if !free || b == self.tail || class_of(size) != (fl, sl) || lprev != prev {
                        return Err(Corruption::FreeList { block: a });
                    }
                    prev = b;
                    b = lnext;
                }
            }
        }
        if listed != free_blocks {
            return Err(Corruption::FreeList { block: 0 });
        }
        Ok(())
    }
}
