//! The invariant checker, and the bounds-checked walk it shares with [`Heap::blocks`].
//!
//! Both trust only what the [`Heap`] value itself holds — the first and last block, the heap's
//! end, the segment table and the list heads — never the bytes of heap memory. Before a header
//! is read, its address is checked to lie, with room for a whole block, inside the segment the
//! walk is in, and the read goes through that segment's own pointer. So whatever the heap's
//! memory holds, a walk reads only memory the break handed out, never panics, and ends: the
//! chain walk moves strictly upwards, and each list walk stops after as many entries as the
//! heap has room for blocks.

use core::fmt;

use super::block::{Block, ALIGN, FREE, HEADER_SIZE, MIN_DATA, PREV_FREE, SEGMENT_START, WORD};
use super::seglist::{class_of, FreeLists, FL, SL};
use super::segments::Segments;
use super::{Config, Heap, Policy, StartMap};
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
    /// last block or is in the wrong class, a list link that leads outside the heap or back the
    /// wrong way, a wrong bitmap bit, or a free block (other than the last) on no list.
    FreeList {
        /// The header address of the block concerned: the listed block found wrong, or the
        /// one whose link leads to something that is not a block (0 for a bitmap mismatch).
        block: usize,
    },
    /// A pointer the heap keeps (its last block, or next fit's resume point) is not on the
    /// chain where it should be, or its [`StartMap`](super::StartMap) holds an address where
    /// no header starts (`block` is then that address, or 0 when it is outside every block).
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

impl Corruption {
    /// The header address of the block the corruption was found at (0 only for the heap's
    /// own bookkeeping, outside its memory, gone wrong).
    pub fn block(&self) -> usize {
        match *self {
            Corruption::OutOfBounds { block }
            | Corruption::BadSize { block, .. }
            | Corruption::BadNext { block, .. }
            | Corruption::SegmentFlag { block }
            | Corruption::PrevFreeFlag { block }
            | Corruption::BadFooter { block }
            | Corruption::NotCoalesced { block }
            | Corruption::BadEnd { block, .. }
            | Corruption::FreeList { block }
            | Corruption::StaleCache { block } => block,
        }
    }
}

impl core::error::Error for Corruption {}

/// What a walk may trust: the parts of the heap kept outside heap memory.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    head: Block,
    tail: Block,
    end: usize,
    segments: &'a Segments,
    lists: &'a FreeLists,
    /// Whether headers hold `next` ([`Config::stores_next`]); when not, the walk derives it
    /// and never reads the header's second word.
    stores_next: bool,
}

impl View<'_> {
    /// Segment `i`: its start pointer and end address.
    fn segment(&self, i: usize) -> Option<(*mut u8, usize)> {
        self.segments.get(i, self.end)
    }

    /// The most blocks the heap's memory can hold: a bound on any walk.
    pub(crate) fn block_limit(&self) -> usize {
        self.segments.bytes(self.end) / (HEADER_SIZE + MIN_DATA)
    }

    /// The first block of list `(fl, sl)`.
    pub(crate) fn list_head(&self, fl: usize, sl: usize) -> Block {
        self.lists.head(fl, sl)
    }

    /// The size, flags and list links of the listed block `b`, read only if a whole block
    /// header and [`MIN_DATA`] bytes at `b` lie inside a segment, and its size inside that
    /// segment too; `None` otherwise.
    pub(crate) fn read_listed(&self, b: Block) -> Option<(usize, usize, (Block, Block))> {
        let a = b.addr();
        if a % ALIGN != 0 {
            return None;
        }
        let (p, e) = self.segments.locate(a, HEADER_SIZE + MIN_DATA, self.end)?;
        let b = Block(p.cast());
        // SAFETY: the header and the first MIN_DATA bytes of data (two list links and more)
        // lie inside a segment the break handed out, and `p` carries that segment's
        // provenance; `a` is aligned.
        let (size, flags, links) = unsafe { (b.size(), b.flags(), b.links()) };
        if size > e - a - HEADER_SIZE {
            return None;
        }
        Some((size, flags, links))
    }
}

/// One header, as a walk read it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    /// The header, read through its segment's pointer.
    pub(crate) block: Block,
    pub(crate) header: usize,
    pub(crate) size: usize,
    pub(crate) flags: usize,
    pub(crate) next: usize,
    /// Whether this block is the first of its segment.
    pub(crate) first_of_segment: bool,
}

/// A walk along the chain that checks each header before reading it (see the module
/// documentation).
pub(crate) struct Walk {
    /// The next header to read (0: the walk is over).
    at: usize,
    /// The segment the walk is in.
    seg: usize,
    /// The header read last (0 before the first).
    prev: usize,
}

impl Walk {
    pub(crate) fn new(v: &View<'_>) -> Walk {
        Walk {
            at: v.head.addr(),
            seg: 0,
            prev: 0,
        }
    }

    /// The next block, `Ok(None)` at the end of the chain, or the first broken rule (after
    /// which the walk is over).
    pub(crate) fn step(&mut self, v: &View<'_>) -> Result<Option<Raw>, Corruption> {
        let a = self.at;
        if a == 0 {
            return Ok(None);
        }
        self.at = 0;
        let prev = self.prev;
        let wrong_next = |next: usize| {
            if prev == 0 {
                Corruption::OutOfBounds { block: next }
            } else {
                Corruption::BadNext { block: prev, next }
            }
        };
        let Some((start, e)) = v.segment(self.seg) else {
            return Err(wrong_next(a));
        };
        let s = start.addr();
        if a % ALIGN != 0 || a < s || a >= e || e - a < HEADER_SIZE + MIN_DATA {
            return Err(wrong_next(a));
        }
        let block = Block(start.with_addr(a).cast());
        // SAFETY: a whole header lies at `a`, aligned, inside the segment, and `block` carries
        // the segment's provenance.
        let (size, flags) = unsafe { (block.size(), block.flags()) };
        if size < MIN_DATA || size % ALIGN != 0 || size > e - a - HEADER_SIZE {
            return Err(Corruption::BadSize { block: a, size });
        }
        let b_end = a + HEADER_SIZE + size;
        // Where `next` must lead: the header right after the data, or at a segment's end the
        // next segment's first header (0: the chain ends).
        let want = if b_end != e {
            b_end
        } else {
            v.segment(self.seg + 1).map_or(0, |(n, _)| n.addr())
        };
        let next = if v.stores_next {
            // SAFETY: as above: the whole header, its `next` word included, is inside the
            // segment.
            unsafe { block.next().addr() }
        } else {
            // Boundary tags: `next` is not stored, only derived.
            want
        };
        if b_end != e {
            // Within a segment, `next` is the header right after the data.
            if next == 0 {
                return Err(Corruption::BadEnd {
                    block: a,
                    brk: v.end,
                });
            }
            if next != b_end {
                return Err(Corruption::BadNext { block: a, next });
            }
        } else {
            // The segment's last block: `next` jumps to the next segment, or ends the chain.
            if next != want {
                return Err(if want == 0 {
                    Corruption::BadNext { block: a, next }
                } else if next == 0 {
                    Corruption::BadEnd {
                        block: a,
                        brk: v.end,
                    }
                } else {
                    Corruption::BadNext { block: a, next }
                });
            }
            self.seg += 1;
        }
        self.prev = a;
        self.at = next;
        Ok(Some(Raw {
            block,
            header: a,
            size,
            flags,
            next,
            first_of_segment: a == s,
        }))
    }
}

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    /// What a walk may trust.
    pub(crate) fn view(&self) -> View<'_> {
        View {
            head: self.head,
            tail: self.tail,
            end: self.end.addr(),
            segments: &self.segments,
            lists: &self.lists,
            stores_next: self.config.stores_next(),
        }
    }

    /// Walks the chain and verifies every invariant listed in the [module docs](super).
    ///
    /// It is total: whatever bytes the heap's memory holds, headers included, it returns `Ok`
    /// or a [`Corruption`] naming a block, reads nothing outside the memory the break handed
    /// out, never panics and always ends.
    pub fn check(&self) -> Result<(), Corruption> {
        let v = self.view();
        let seg = self.config.policy() == Policy::Segregated;
        if self.head.is_null() {
            if !self.tail.is_null() || !self.rover.is_null() || self.segments.len() != 0 {
                return Err(Corruption::StaleCache {
                    block: self.tail.addr(),
                });
            }
            if M::KEEPS && self.map.recorded() != 0 {
                return Err(Corruption::StaleCache { block: 0 });
            }
            return self.check_lists(&v, 0);
        }
        if v.segment(0).map(|(s, _)| s.addr()) != Some(self.head.addr()) {
            return Err(Corruption::OutOfBounds {
                block: self.head.addr(),
            });
        }
        let mut walk = Walk::new(&v);
        let mut prev_free = false;
        let mut free_blocks = 0usize;
        let mut saw_rover = self.rover.is_null();
        let mut last = 0usize;
        let mut mapped = 0usize;
        while let Some(r) = walk.step(&v)? {
            let a = r.header;
            if M::KEEPS && self.map.contains(a) {
                mapped += 1;
            }
            let free = r.flags & FREE != 0;
            if (r.flags & SEGMENT_START != 0) != r.first_of_segment {
                return Err(Corruption::SegmentFlag { block: a });
            }
            let after_free = !r.first_of_segment && prev_free;
            if (r.flags & PREV_FREE != 0) != after_free {
                return Err(Corruption::PrevFreeFlag { block: a });
            }
            if free && after_free && self.config.coalesce() {
                return Err(Corruption::NotCoalesced { block: a });
            }
            if free {
                // SAFETY: the data lies inside the segment (the walk checked the size), and its
                // last word is aligned because the size is a multiple of ALIGN.
                let footer =
                    unsafe { r.block.data().add(r.size - WORD).cast::<*mut u8>().read() }.addr();
                if footer != a {
                    return Err(Corruption::BadFooter { block: a });
                }
                if a != self.tail.addr() {
                    free_blocks += 1;
                }
            }
            if a == self.rover.addr() {
                saw_rover = true;
            }
            prev_free = free;
            last = a;
        }
        if last != self.tail.addr() {
            return Err(Corruption::BadEnd {
                block: last,
                brk: v.end,
            });
        }
        if !saw_rover {
            return Err(Corruption::StaleCache {
                block: self.rover.addr(),
            });
        }
        if M::KEEPS && mapped != self.map.recorded() {
            // The map holds an address that is no header (invariant 8).
            return Err(Corruption::StaleCache {
                block: self.stray_start(&v),
            });
        }
        if !self.stranded && self.brk.current() != self.end {
            return Err(Corruption::BadEnd {
                block: self.tail.addr(),
                brk: self.brk.current().addr(),
            });
        }
        self.check_lists(&v, if seg { free_blocks } else { 0 })
    }

    /// The segregated lists hold exactly `free_blocks` blocks, each free, in its class, with
    /// consistent links and bitmap bits.
    fn check_lists(&self, v: &View<'_>, free_blocks: usize) -> Result<(), Corruption> {
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
                    // A list head is the heap's own record; any other entry came from the link
                    // of the entry before it, which is the block to blame when it is wrong.
                    let blame = if prev.is_null() { a } else { prev.addr() };
                    listed += 1;
                    if listed > free_blocks {
                        return Err(Corruption::FreeList { block: blame });
                    }
                    let Some((size, flags, (lprev, lnext))) = v.read_listed(b) else {
                        return Err(Corruption::FreeList { block: blame });
                    };
                    if flags & FREE == 0 || b == v.tail || class_of(size) != (fl, sl) {
                        return Err(Corruption::FreeList { block: blame });
                    }
                    if lprev != prev {
                        return Err(Corruption::FreeList { block: a });
                    }
                    prev = b;
                    b = lnext;
                }
            }
        }
        if listed != free_blocks {
            return Err(Corruption::FreeList {
                block: self.unlisted(v),
            });
        }
        Ok(())
    }

    /// An address inside a block (past its header's start) that the start map holds, to name
    /// when the map holds more addresses than the chain has headers; 0 when the stray address
    /// is outside every block. Looks at every aligned address of the heap, so it runs only
    /// once `check` has found something wrong.
    fn stray_start(&self, v: &View<'_>) -> usize {
        let mut walk = Walk::new(v);
        while let Ok(Some(r)) = walk.step(v) {
            let end = r.header + HEADER_SIZE + r.size;
            if let Some(a) = (r.header + ALIGN..end)
                .step_by(ALIGN)
                .find(|&a| self.map.contains(a))
            {
                return a;
            }
        }
        0
    }

    /// The first free block (but the last) that is not on its class's list, to name when the
    /// lists hold fewer blocks than the chain. Looks each one up in its list, so it takes
    /// longer than `check`; it runs only once `check` has found something wrong.
    fn unlisted(&self, v: &View<'_>) -> usize {
        let limit = v.block_limit();
        let mut walk = Walk::new(v);
        while let Ok(Some(r)) = walk.step(v) {
            if r.flags & FREE == 0 || r.header == v.tail.addr() {
                continue;
            }
            let (fl, sl) = class_of(r.size);
            let mut b = self.lists.head(fl, sl);
            let mut found = false;
            for _ in 0..limit {
                if b.is_null() {
                    break;
                }
                if b.addr() == r.header {
                    found = true;
                    break;
                }
                match v.read_listed(b) {
                    Some((_, _, (_, next))) => b = next,
                    None => break,
                }
            }
            if !found {
                return r.header;
            }
        }
        0
    }
}
