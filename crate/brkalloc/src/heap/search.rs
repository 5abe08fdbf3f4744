//! The placement policies: which free block `malloc` takes.
//!
//! First, next, best and worst fit walk the chain, the brief's way, reporting each block they
//! visit. The segregated policy looks up its size-class lists instead.

use super::block::{round_up, Block, ALIGN, HEADER_SIZE, MIN_DATA};
use super::seglist::{class_at_least, class_min, class_of, SL};
use super::{Config, Heap, Policy, StartMap};
use crate::brk::Break;
use crate::observer::{Event, Observer};

/// How many blocks of the exact class the segregated search tries before a larger class.
const EXACT_CLASS_TRIES: usize = 8;
/// Of how many blocks of the larger class the segregated search takes the smallest.
const CLASS_TRIES: usize = 2;

/// The bytes to skip before data at `data` so that it lands on `align`: 0 when it is aligned
/// already, else enough for a whole free block (header and [`MIN_DATA`]) in front of the
/// aligned data. `None` when that overflows.
#[inline]
pub(super) fn lead_gap(data: usize, align: usize) -> Option<usize> {
    if data & (align - 1) == 0 {
        return Some(0);
    }
    Some(
        round_up(
            data.checked_add(HEADER_SIZE + MIN_DATA + align)? - align,
            align,
        ) - data,
    )
}

/// Whether the free block `b` can hold `need` bytes at alignment `align`; if so, how far after
/// `b`'s data the new data starts (the lead gap).
///
/// Data already aligned takes the front of the block (gap 0). Otherwise the data goes at the
/// last aligned address that leaves `need` bytes before the block's end, and the bytes in front
/// of it stay behind as a free block, which must be big enough to be one (a header and
/// [`MIN_DATA`]). Placing it last keeps those bytes in one piece, rather than a small free
/// block in front and another one after.
///
/// # Safety
///
/// `b` is a live block.
#[inline]
pub(super) unsafe fn fits(b: Block, need: usize, align: usize) -> Option<usize> {
    // SAFETY: the caller guarantees `b` is live.
    let size = unsafe { b.size() };
    let data = b.data().addr();
    if align <= ALIGN || data & (align - 1) == 0 {
        // Every data address is aligned to ALIGN already.
        return (size >= need).then_some(0);
    }
    let last = (data + size).checked_sub(need)? & !(align - 1);
    (last >= data + HEADER_SIZE + MIN_DATA).then(|| last - data)
}

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    /// A free block for `need` bytes at `align`, and its lead gap, by the configured policy.
    #[inline(always)]
    pub(super) fn find(&mut self, need: usize, align: usize) -> Option<(Block, usize)> {
        match self.config.policy() {
            Policy::Segregated => self.find_segregated(need, align),
            Policy::FirstFit => self.walk(self.head, Block::NULL, need, align, false),
            Policy::NextFit => {
                let start = if self.rover.is_null() {
                    self.head
                } else {
                    self.rover
                };
                self.walk(start, Block::NULL, need, align, false)
                    .or_else(|| {
                        if start == self.head {
                            None
                        } else {
                            self.walk(self.head, start, need, align, false)
                        }
                    })
            }
            Policy::BestFit | Policy::WorstFit => {
                self.walk(self.head, Block::NULL, need, align, true)
            }
        }
    }

    /// Walks the chain from `from` up to (not including) `until`. Without `whole`, takes the
    /// first block that fits; with it, visits every block and takes the best (smallest) or the
    /// worst (largest) fitting one.
    fn walk(
        &mut self,
        from: Block,
        until: Block,
        need: usize,
        align: usize,
        whole: bool,
    ) -> Option<(Block, usize)> {
        let worst = self.config.policy() == Policy::WorstFit;
        let mut best: Option<(Block, usize, usize)> = None;
        let mut b = from;
        while !b.is_null() && b != until {
            // SAFETY: `b` is on the chain (invariant 1).
            let (free, size, next) = unsafe { (b.is_free(), b.size(), self.next_of(b)) };
            let gap = if free {
                // SAFETY: as above.
                unsafe { fits(b, need, align) }
            } else {
                None
            };
            self.observer.event(Event::Visit {
                block: b.addr(),
                size,
                free,
                fits: gap.is_some(),
            });
            if let Some(gap) = gap {
                if !whole {
                    return Some((b, gap));
                }
                let better = match best {
                    None => true,
                    Some((_, _, s)) => {
                        if worst {
                            size > s
                        } else {
                            size < s
                        }
                    }
                };
                if better {
                    best = Some((b, gap, size));
                    if !worst && size == need {
                        break;
                    }
                }
            }
            b = next;
        }
        best.map(|(b, gap, _)| (b, gap))
    }

    /// The segregated policy: the first of the exact class's first few blocks that fits, else
    /// the smaller of the first two blocks of the lowest non-empty class whose every block
    /// holds `need` bytes. A block for a larger alignment must also have room for the lead
    /// gap: when the block found that way has not, the search starts again from a class large
    /// enough for any gap. When no listed block fits, the top is tried. A bounded number of
    /// blocks is looked at: constant time.
    #[inline(always)]
    fn find_segregated(&mut self, need: usize, align: usize) -> Option<(Block, usize)> {
        // With no listed block at all (a heap used as a stack, or still growing), only the top
        // can serve, and working out a size class would find nothing.
        if !self.lists.is_empty() {
            if let Some(found) = self.find_listed(need, align) {
                return Some(found);
            }
        }
        self.top_fits(need, align)
    }

    /// The top (a free last block) is on no list (invariant 6): it serves only when no listed
    /// block fits, so that it stays in one piece for as long as possible.
    #[inline]
    fn top_fits(&self, need: usize, align: usize) -> Option<(Block, usize)> {
        let t = self.tail;
        // SAFETY: the tail is live when not null.
        if t.is_null() || !unsafe { t.is_free() } {
            return None;
        }
        // SAFETY: as above.
        unsafe { fits(t, need, align) }.map(|gap| (t, gap))
    }

    /// The size-class lists' part of the segregated search.
    #[inline(always)]
    fn find_listed(&mut self, need: usize, align: usize) -> Option<(Block, usize)> {
        let (fl, sl) = class_of(need);
        let mut b = self.lists.head(fl, sl);
        // The exact class holds blocks a little smaller than `need` as well as larger ones: a
        // few of its blocks are tried before a larger class is cut, which keeps the heap
        // tighter. The bound keeps the search constant-time.
        for _ in 0..EXACT_CLASS_TRIES {
            if b.is_null() {
                break;
            }
            // SAFETY: blocks on a list are live free blocks (invariant 6).
            if let Some(gap) = unsafe { fits(b, need, align) } {
                return Some(self.found(fl, sl, b, gap));
            }
            // SAFETY: as above.
            b = unsafe { b.links().1 };
        }
        let (fl, sl) = class_at_least(need)?;
        let (fl, sl) = self.lists.find_from(fl, sl)?;
        let b = self.lists.head(fl, sl);
        if align <= ALIGN {
            // Every block of this class holds `need` bytes, and its data is aligned: the
            // smallest of its first few is taken.
            let mut best = b;
            // SAFETY: blocks on a list are live free blocks (invariant 6).
            unsafe {
                let mut best_size = best.size();
                let mut x = b.links().1;
                for _ in 1..CLASS_TRIES {
                    if x.is_null() {
                        break;
                    }
                    let size = x.size();
                    if size < best_size {
                        best = x;
                        best_size = size;
                    }
                    x = x.links().1;
                }
            }
            return Some(self.found(fl, sl, best, 0));
        }
        // SAFETY: as above.
        if let Some(gap) = unsafe { fits(b, need, align) } {
            return Some(self.found(fl, sl, b, gap));
        }
        let (fl, sl) = class_at_least(need.checked_add(align + HEADER_SIZE + MIN_DATA)?)?;
        let (fl, sl) = self.lists.find_from(fl, sl)?;
        let b = self.lists.head(fl, sl);
        // SAFETY: as above; every block of this class has room for `need` bytes after any lead
        // gap `align` needs.
        unsafe { fits(b, need, align) }.map(|gap| self.found(fl, sl, b, gap))
    }

    /// Reports the class the segregated search took `b` from.
    #[inline]
    fn found(&mut self, fl: usize, sl: usize, b: Block, gap: usize) -> (Block, usize) {
        self.observer.event(Event::SizeClass {
            class: fl * SL + sl,
            min_size: class_min(fl, sl),
        });
        (b, gap)
    }
}
