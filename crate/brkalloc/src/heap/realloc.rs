//! `realloc`: resize in place when the neighbourhood allows, else move and copy.
//!
//! In order of preference: shrink where the block stands (splitting off the rest); grow into
//! a free block right after it; grow the last block by moving the break; otherwise allocate a
//! new block, copy, and free the old one.

use core::ptr::{self, NonNull};

use super::block::{Block, HEADER_SIZE, MIN_DATA, PREV_FREE};
use super::{Config, Heap, StartMap};
use crate::brk::{Break, BreakError};
use crate::observer::{Event, Observer};

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    /// Resizes the used block `b` to hold `need` bytes (rounded), keeping alignment `align`
    /// if it has to move. On error nothing changed. `walk` is as for `free_block`.
    ///
    /// # Safety
    ///
    /// `b` is a live used block whose data is aligned to `align`.
    pub(super) unsafe fn realloc_block(
        &mut self,
        b: Block,
        need: usize,
        align: usize,
        walk: bool,
    ) -> Result<NonNull<u8>, BreakError> {
        // SAFETY: `b` is live (caller); its adjacent next is live (invariant 2).
        unsafe {
            let old = b.size();
            let fits = need <= old || {
                let grow = self
                    .adjacent_after(b)
                    .filter(|n| n.is_free() && old + HEADER_SIZE + n.size() >= need);
                if let Some(next) = grow {
                    self.unfile(next);
                    self.absorb_next(b);
                }
                grow.is_some()
            };
            if fits {
                // In place: `b` holds `need` bytes, as it was or with the free block after it.
                if self.config.split() && b.size() - need >= HEADER_SIZE + MIN_DATA {
                    self.shrink(b, need);
                }
                self.resized(b, old);
                return Ok(NonNull::new_unchecked(b.data()));
            }
            if b == self.tail && self.brk.current() == self.end {
                let extra = need - old;
                if let Ok(p) = self.brk.sbrk(extra as isize) {
                    if p == self.end {
                        self.end = p.add(extra);
                        b.set_size(need);
                        self.observer.event(Event::BreakMoved {
                            from: p.addr(),
                            to: self.end.addr(),
                        });
                        self.resized(b, old);
                        return Ok(NonNull::new_unchecked(b.data()));
                    }
                    // Not adjacent after all: the break moved to a new region. Keep those
                    // bytes as a free block of a new segment, and move the data.
                    self.claim_region(p, extra);
                }
            }
            let new = self.alloc_need(need, align)?;
            ptr::copy_nonoverlapping(b.data(), new.as_ptr(), old);
            self.observer.event(Event::Move {
                from: b.data().addr(),
                to: new.as_ptr().addr(),
                bytes: old,
            });
            self.free_block(b, Block::NULL, walk);
            Ok(new)
        }
    }

    /// Cuts the used block `b` down to `size` bytes; the rest becomes a free block, merged with
    /// a free block after it, and given back if it ends the heap.
    ///
    /// # Safety
    ///
    /// `b` is a live used block with `b.size() >= size + HEADER_SIZE + MIN_DATA`.
    unsafe fn shrink(&mut self, b: Block, size: usize) {
        // SAFETY: the rest is a new live block inside `b`; its adjacent next is live.
        unsafe {
            let rest = self.split(b, size, true, true);
            if let Some(next) = self
                .adjacent_after(rest)
                .filter(|n| self.config.coalesce() && n.is_free())
            {
                self.unfile(next);
                self.absorb_next(rest);
            }
            self.file(rest);
            if self.config.give_back() && rest == self.tail {
                debug_assert!(!rest.has(PREV_FREE));
                self.release(rest, b, false);
            }
        }
    }

    fn resized(&mut self, b: Block, old: usize) {
        // SAFETY: `b` is live: the caller just resized it.
        let size = unsafe { b.size() };
        self.observer.event(Event::ResizeInPlace {
            block: b.addr(),
            from: old,
            to: size,
        });
    }
}
