//! The operations every policy shares: taking a free block, appending a block at the break,
//! splitting, coalescing, freeing, and giving bytes back through the break.

use core::ptr::NonNull;

use super::block::{Block, ALIGN, FREE, HEADER_SIZE, MIN_DATA, PREV_FREE, SEGMENT_START};
use super::seglist::class_of;
use super::{Config, Heap, Policy, StartMap};
use crate::brk::{Break, BreakError};
use crate::observer::{Event, Observer};

impl<B: Break, C: Config, O: Observer, M: StartMap> Heap<B, C, O, M> {
    #[inline]
    pub(super) fn segregated(&self) -> bool {
        self.config.policy() == Policy::Segregated
    }

    /// Writes a new block's header at `at`: its size, its flags and, when the heap stores
    /// `next` ([`Config::stores_next`]), `next`; and records it in the start map. Every header
    /// the heap makes is made here.
    ///
    /// # Safety
    ///
    /// As for [`Block::write`]; and the block is about to join the chain: the caller links it
    /// before the operation ends.
    #[inline(always)]
    pub(super) unsafe fn new_header(
        &mut self,
        at: *mut u8,
        size: usize,
        flags: usize,
        next: Block,
    ) -> Block {
        if M::KEEPS {
            self.map.insert(at.addr());
        }
        // SAFETY: the caller's guarantee is `write`'s and `write_tag`'s.
        unsafe {
            if self.config.stores_next() {
                Block::write(at, size, flags, next)
            } else {
                Block::write_tag(at, size, flags)
            }
        }
    }

    /// Sets `b`'s `next`, when the heap stores it.
    ///
    /// # Safety
    ///
    /// `b` is a live header.
    #[inline(always)]
    pub(super) unsafe fn link(&self, b: Block, next: Block) {
        if self.config.stores_next() {
            // SAFETY: the caller guarantees a live header.
            unsafe { b.set_next(next) }
        }
    }

    /// `b`'s stored `next`, to copy into another header; null when the heap stores none (and
    /// so has nothing to copy).
    ///
    /// # Safety
    ///
    /// `b` is a live header.
    #[inline(always)]
    pub(super) unsafe fn stored_next(&self, b: Block) -> Block {
        if self.config.stores_next() {
            // SAFETY: the caller guarantees a live header.
            unsafe { b.next() }
        } else {
            Block::NULL
        }
    }

    /// The block after `b` in the chain (null for the last): read from the header, or with
    /// boundary tags derived: the header right after the data, unless the data ends a
    /// segment, where the segment table says where the chain goes on.
    ///
    /// # Safety
    ///
    /// `b` is a live header.
    #[inline(always)]
    pub(super) unsafe fn next_of(&self, b: Block) -> Block {
        // SAFETY: the caller guarantees a live header.
        unsafe {
            if self.config.stores_next() {
                return b.next();
            }
            let end = b.end();
            if end == self.end {
                return Block::NULL;
            }
            match self.segments.after(end.addr()) {
                Some(start) => Block(start.cast()),
                None => Block(end.cast()),
            }
        }
    }

    /// The block right after `b` in memory, in the same segment, if there is one.
    ///
    /// # Safety
    ///
    /// `b` is a live header.
    #[inline(always)]
    pub(super) unsafe fn adjacent_after(&self, b: Block) -> Option<Block> {
        // SAFETY: the caller guarantees a live header.
        let (next, end) = unsafe { (self.next_of(b), b.end()) };
        (!next.is_null() && next.0.cast::<u8>() == end).then_some(next)
    }

    /// Files a free block on its size-class list (segregated policy only), unless it is the
    /// last block: the top stays off the lists (invariant 6).
    ///
    /// # Safety
    ///
    /// `b` is a live free block on no list.
    #[inline]
    pub(super) unsafe fn file(&mut self, b: Block) {
        if self.segregated() && b != self.tail {
            // SAFETY: the caller's guarantee is `insert`'s.
            unsafe { self.lists.insert(b) }
        }
    }

    /// Files `old`, the previous last block, once a new block follows it: a free top joins
    /// the lists when it stops being the top.
    #[inline]
    fn retire_top(&mut self, old: Block) {
        // SAFETY: `old` is null or a live block (the previous tail).
        if !old.is_null() && unsafe { old.is_free() } {
            // SAFETY: a free last block is on no list (invariant 6), and is live.
            unsafe { self.file(old) }
        }
    }

    /// Takes a free block off its size-class list (segregated policy only); the last block
    /// is on none.
    ///
    /// # Safety
    ///
    /// `b` is a live free block, filed by [`Heap::file`] with its current size unless it is
    /// the last block.
    #[inline]
    pub(super) unsafe fn unfile(&mut self, b: Block) {
        if self.segregated() && b != self.tail {
            // SAFETY: the caller's guarantee is `remove`'s.
            unsafe { self.lists.remove(b) }
        }
    }

    /// Makes the free block `b` used, holding `need` bytes whose data starts `gap` bytes after
    /// `b`'s data. The bytes of a lead gap stay a free block of their own; a large enough rest is split off
    /// when splitting is on.
    ///
    /// # Safety
    ///
    /// `b` is a live free block (filed, under the segregated policy) with room for the gap and
    /// `need` bytes; `gap` is 0 or at least `HEADER_SIZE + MIN_DATA`.
    pub(super) unsafe fn take(&mut self, b: Block, need: usize, gap: usize) -> NonNull<u8> {
        // SAFETY: `b` is live and free, as the caller guarantees; every block reached below is
        // `b`, a block split from it, or its adjacent neighbour, all live.
        unsafe {
            self.unfile(b);
            let mut b = b;
            if gap > 0 {
                let front = b;
                // `front` was free and the rest is too: the block after keeps PREV_FREE.
                b = self.split(front, gap - HEADER_SIZE, true, false);
                self.file(front);
            }
            let size = b.size();
            b.set_flag(FREE, false);
            self.observer.event(Event::Reuse {
                block: b.addr(),
                size,
            });
            if self.config.split() && size - need >= HEADER_SIZE + MIN_DATA {
                // The rest stays free, so the block after it keeps its PREV_FREE flag.
                let rest = self.split(b, need, true, false);
                self.file(rest);
            } else if let Some(n) = self.adjacent_after(b) {
                n.set_flag(PREV_FREE, false);
            }
            if self.config.policy() == Policy::NextFit {
                self.rover = b;
            }
            NonNull::new_unchecked(b.data())
        }
    }

    /// Cuts `b` in two: `b` keeps `size` data bytes, and the rest becomes a new block right
    /// after it, free or used as `rest_free` says. Returns the new block (not filed).
    ///
    /// The block after the rest is told whether the rest is free (its PREV_FREE flag) only when
    /// `mark_next` says so: a caller that splits a block that was free, keeping the rest free,
    /// leaves that flag as it was, and that block's header untouched.
    ///
    /// # Safety
    ///
    /// `b` is live, not on a list, and `b.size() >= size + HEADER_SIZE + MIN_DATA`, with
    /// `size` a multiple of `ALIGN`. Without `mark_next`, the block after `b` (if adjacent)
    /// already has PREV_FREE equal to `rest_free`.
    pub(super) unsafe fn split(
        &mut self,
        b: Block,
        size: usize,
        rest_free: bool,
        mark_next: bool,
    ) -> Block {
        // SAFETY: the rest lies inside `b`'s data, which the heap owns; its header is aligned
        // because `size` is a multiple of ALIGN.
        unsafe {
            let rest_size = b.size() - size - HEADER_SIZE;
            let mut flags = if rest_free { FREE } else { 0 };
            if b.is_free() {
                flags |= PREV_FREE;
            }
            let rest = self.new_header(b.data().add(size), rest_size, flags, self.stored_next(b));
            b.set_size(size);
            self.link(b, rest);
            if b.is_free() {
                b.write_footer();
            }
            if rest_free {
                rest.write_footer();
            }
            if mark_next {
                if let Some(n) = self.adjacent_after(rest) {
                    n.set_flag(PREV_FREE, rest_free);
                }
            }
            if b == self.tail {
                self.tail = rest;
            }
            self.observer.event(Event::Split {
                block: b.addr(),
                size,
                rest: rest.addr(),
                rest_size,
            });
            rest
        }
    }

    /// Merges `b` with the block right after it (which the caller has taken off its list).
    /// `b` keeps its own free flag.
    ///
    /// # Safety
    ///
    /// `b` is live, its next block is adjacent and not on a list, and `b` is not on a list.
    pub(super) unsafe fn absorb_next(&mut self, b: Block) {
        // SAFETY: `b` and its adjacent next are live; the merged block covers exactly their bytes.
        unsafe {
            let n = Block(b.end().cast());
            let size = b.size() + HEADER_SIZE + n.size();
            self.link(b, self.stored_next(n));
            b.set_size(size);
            let free = b.is_free();
            if free {
                b.write_footer();
            }
            if let Some(after) = self.adjacent_after(b) {
                after.set_flag(PREV_FREE, free);
            }
            self.forget(n, b);
            self.observer.event(Event::Coalesce {
                block: b.addr(),
                absorbed: n.addr(),
                size,
            });
        }
    }

    /// Updates the heap's records of blocks when `gone` is merged into the block `into` just
    /// before it: the tail, next fit's rover, and the start map. Every header that is merged
    /// away is forgotten here.
    #[inline]
    fn forget(&mut self, gone: Block, into: Block) {
        if M::KEEPS {
            self.map.remove(gone.addr());
        }
        if gone == self.tail {
            self.tail = into;
        }
        if self.config.policy() == Policy::NextFit && gone == self.rover {
            self.rover = into;
        }
    }

    /// Frees the used block `b`: marks it free, merges it with free neighbours (coalescing),
    /// and when the end of the heap is free, gives it back through the break.
    ///
    /// The block before the freed one is needed only to give the whole end of the heap back.
    /// When it is not known (`prev` null, from the unchecked path), finding it means walking
    /// the chain; `walk` says whether that is allowed. The checked path (which walks anyway)
    /// allows it, and gives the end back whatever its size. The unchecked path, which must stay
    /// constant-time, does not: it keeps the free last block, where `append` can extend it,
    /// and only cuts it down once it exceeds [`TRIM_THRESHOLD`](super::TRIM_THRESHOLD).
    ///
    /// # Safety
    ///
    /// `b` is a live used block; `prev` is the block before it in the chain, or null if unknown.
    pub(super) unsafe fn free_block(&mut self, b: Block, prev: Block, walk: bool) {
        // SAFETY: `b` is live (caller); its adjacent neighbours are live by invariant 2, and the
        // PREV_FREE flag guarantees a footer before it (invariant 4). The merged block covers
        // exactly the bytes of the blocks it absorbs, whose headers are then simply forgotten.
        unsafe {
            let mut b = b;
            let mut prev = prev;
            let mut size = b.size();
            self.observer.event(Event::MarkFree {
                block: b.addr(),
                size,
            });
            // The merged block is worked out first and written once: its size, its `next`,
            // its footer, and (when it changes) the PREV_FREE flag of the block after it.
            let (mut next, mut adjacent) = match self.adjacent_after(b) {
                Some(n) => (n, true),
                None => (self.stored_next(b), false),
            };
            let mut flags = b.flags() | FREE;
            let mut listed = false;
            if self.config.coalesce() {
                if adjacent && next.is_free() {
                    self.unfile(next);
                    let absorbed = next;
                    size += HEADER_SIZE + absorbed.size();
                    next = self.stored_next(absorbed);
                    // The block after the absorbed one followed a free block already: its
                    // PREV_FREE flag is set, and its header need not be touched.
                    adjacent = false;
                    self.forget(absorbed, b);
                    self.observer.event(Event::Coalesce {
                        block: b.addr(),
                        absorbed: absorbed.addr(),
                        size,
                    });
                }
                if flags & PREV_FREE != 0 {
                    let p = b.prev_free();
                    let p_size = p.size();
                    size += HEADER_SIZE + p_size;
                    // A listed block that stays in its class keeps its place on the list.
                    listed =
                        self.segregated() && b != self.tail && class_of(p_size) == class_of(size);
                    if !listed {
                        self.unfile(p);
                    }
                    flags = p.flags();
                    self.forget(b, p);
                    self.observer.event(Event::Coalesce {
                        block: p.addr(),
                        absorbed: b.addr(),
                        size,
                    });
                    b = p;
                    prev = Block::NULL;
                }
            }
            b.set_tag(size, flags);
            self.link(b, next);
            b.write_footer();
            if adjacent {
                // Adjacent to the block `b` was before merging: it followed a used block.
                next.set_flag(PREV_FREE, true);
            }
            if !listed {
                self.file(b);
            }
            // The end of the heap is free when `b` is the last block or, with trimming, when
            // only free blocks follow it (a last block an earlier unchecked free left in place).
            // (With coalescing, the block after `b` is never free.)
            let mut ends_free = self.config.give_back() && b == self.tail;
            if !ends_free
                && self.config.give_back()
                && self.config.trim()
                && !self.config.coalesce()
            {
                let mut x = b;
                while let Some(n) = self.adjacent_after(x).filter(|n| n.is_free()) {
                    x = n;
                }
                ends_free = x == self.tail;
            }
            if ends_free {
                let mut run = b;
                if self.config.trim() {
                    while run.has(PREV_FREE) {
                        run = run.prev_free();
                        prev = Block::NULL;
                    }
                }
                if walk || !prev.is_null() || (run == self.head && run != self.tail) {
                    self.release(run, prev, walk);
                } else if run == self.tail {
                    // Also when it is the heap's only block: a heap that was just emptied
                    // usually fills again, and giving its memory back costs a system call now
                    // and another when it does.
                    self.trim_top();
                }
            }
        }
    }

    /// Cuts the free last block down to [`MIN_DATA`] and gives the rest back through the break,
    /// when the free end of the heap has grown past [`TRIM_THRESHOLD`](super::TRIM_THRESHOLD)
    /// (counting one page of a page-granular backend, which may stay committed beyond the
    /// break). Constant time: the block stays, so nothing before it changes.
    fn trim_top(&mut self) {
        let t = self.tail;
        // SAFETY: the tail is live; the caller found it free.
        let size = unsafe { t.size() };
        let slack = self
            .brk
            .pages()
            .map_or(0, |p| p.page_size.saturating_sub(1));
        if HEADER_SIZE + size + slack <= super::TRIM_THRESHOLD {
            return;
        }
        let give = size - MIN_DATA;
        if !self.lower_break(give) {
            return;
        }
        let from = self.end;
        self.end = from.wrapping_sub(give);
        // SAFETY: the tail keeps its header and MIN_DATA bytes of data, still below the break;
        // it is on no list (the top never is, and the other policies have none).
        unsafe {
            t.set_size(MIN_DATA);
            t.write_footer();
        }
        self.observer.event(Event::Trim {
            block: t.addr(),
            from: size,
            to: MIN_DATA,
        });
        self.observer.event(Event::BreakMoved {
            from: from.addr(),
            to: self.end.addr(),
        });
    }

    /// The block before `b` in the chain (null for the first), from `known` or the first
    /// block; else, if `walk` allows, from the start map's nearest header below `b` when its
    /// `next` is `b`, or by walking the chain from the start; else `None`.
    ///
    /// # Safety
    ///
    /// `b` is a live block; `known` is null or the block before `b`.
    unsafe fn prev_of(&self, b: Block, known: Block, walk: bool) -> Option<Block> {
        if b == self.head {
            return Some(Block::NULL);
        }
        if !known.is_null() {
            return Some(known);
        }
        if !walk {
            return None;
        }
        if M::KEEPS {
            if let Some(h) = self.map.below(b.addr()) {
                let p = Block(self.segments.ptr_to(h).cast());
                // SAFETY: the map returns only addresses it contains, which are headers of
                // blocks on the chain (invariant 8, which holds here too: a merge forgets the
                // header it merges away as it happens, and `release` forgets the blocks it
                // gives back only after this): `p` is live.
                if unsafe { self.next_of(p) } == b {
                    return Some(p);
                }
            }
        }
        let mut p = self.head;
        // SAFETY: every block on the chain is live, and `b` is on it, after `head`.
        unsafe {
            while self.next_of(p) != b {
                p = self.next_of(p);
            }
        }
        Some(p)
    }

    /// Gives back the free blocks from `run` to the last one by moving the break down.
    /// A segment's first block stays (the break cannot move below its segment), except the
    /// heap's very first. If the break refuses to move, the blocks stay, free and filed.
    ///
    /// # Safety
    ///
    /// `run` is live and every block from it to the tail is free and filed; `known` is null or
    /// the block before `run`. When that block is unknown and `walk` is false, nothing happens.
    pub(super) unsafe fn release(&mut self, run: Block, known: Block, walk: bool) {
        // SAFETY: all blocks from `run` to the tail are live (caller); they are taken off their
        // lists before the break moves, and put back if it does not.
        unsafe {
            let mut run = run;
            let mut known = known;
            if run.has(SEGMENT_START) && run != self.head {
                known = run;
                run = self.next_of(run);
                if run.is_null() {
                    return;
                }
            }
            let Some(prev) = self.prev_of(run, known, walk) else {
                return;
            };
            let mut count = 0;
            let mut x = run;
            while !x.is_null() {
                self.unfile(x);
                if M::KEEPS {
                    self.map.remove(x.addr());
                }
                count += 1;
                x = self.next_of(x);
            }
            let from = self.end;
            let bytes = from.addr() - run.addr();
            if !self.lower_break(bytes) {
                let mut x = run;
                while !x.is_null() {
                    self.file(x);
                    if M::KEEPS {
                        self.map.insert(x.addr());
                    }
                    x = self.next_of(x);
                }
                return;
            }
            self.end = run.0.cast();
            if !self.rover.is_null() && self.rover.addr() >= run.addr() {
                self.rover = Block::NULL;
            }
            if prev.is_null() {
                self.head = Block::NULL;
                self.tail = Block::NULL;
                self.segments.clear();
            } else {
                self.link(prev, Block::NULL);
                if prev.is_free() {
                    // (Without coalescing.) It becomes the top, which is on no list.
                    self.unfile(prev);
                }
                self.tail = prev;
            }
            self.observer.event(Event::Release {
                block: run.addr(),
                blocks: count,
                bytes,
            });
            self.observer.event(Event::BreakMoved {
                from: from.addr(),
                to: self.end.addr(),
            });
        }
    }

    /// With coalescing on, a free last block that is too small is made big enough by moving
    /// the break up by the difference, rather than left behind a new block. `Ok(None)` when
    /// that does not apply (or the break jumped: the new region then becomes a free block and
    /// the caller appends as usual).
    fn extend_tail(
        &mut self,
        need: usize,
        align: usize,
    ) -> Result<Option<NonNull<u8>>, BreakError> {
        let t = self.tail;
        if !self.config.coalesce() || align > ALIGN || t.is_null() {
            return Ok(None);
        }
        // SAFETY: the tail is live when not null.
        if !unsafe { t.is_free() } || self.brk.current() != self.end {
            return Ok(None);
        }
        // SAFETY: `t` is the live, free last block; the break hands out the bytes right after
        // it when `p == self.end`.
        unsafe {
            let from = t.size();
            let extra = need.saturating_sub(from);
            if extra > 0 {
                let p = self.brk.sbrk(extra as isize)?;
                if p != self.end {
                    self.claim_region(p, extra);
                    return Ok(None);
                }
                self.unfile(t);
                t.set_size(from + extra);
                t.write_footer();
                self.end = p.add(extra);
                self.file(t);
                self.observer.event(Event::BreakMoved {
                    from: p.addr(),
                    to: self.end.addr(),
                });
                self.observer.event(Event::Extend {
                    block: t.addr(),
                    from,
                    to: from + extra,
                });
            }
            Ok(Some(self.take(t, need, 0)))
        }
    }

    /// Takes `bytes` fresh bytes at `p`, which the break just handed out in a new region (not
    /// adjacent to the heap), as one free block starting a new segment, so that the heap ends
    /// at the break again. When the bytes cannot hold a block (too few, after aligning), the
    /// break is asked for the few bytes more that make one; failing that, they are given back.
    ///
    /// When the heap already has [`MAX_SEGMENTS`](super::MAX_SEGMENTS) segments, the bytes go
    /// back instead and the heap is *stranded*: it no longer grows.
    pub(super) fn claim_region(&mut self, p: *mut u8, bytes: usize) {
        if !self.tail.is_null() && !self.segments.has_room() {
            self.strand(bytes);
            return;
        }
        let pad = p.addr().wrapping_neg() & (ALIGN - 1);
        let mut bytes = bytes;
        let least = pad + HEADER_SIZE + MIN_DATA;
        if bytes < least {
            // Only an unaligned region start can leave too few bytes (page backends jump to
            // page boundaries). Nothing else moves the break between two calls of one
            // operation (the `SbrkBreak` contract), so the few bytes more are adjacent; if the
            // break refuses, it keeps its region and these bytes go back.
            match self.brk.sbrk((least - bytes) as isize) {
                Ok(q) if q.addr() == p.addr() + bytes => bytes = least,
                Ok(_) => {
                    let _ = self.brk.sbrk(-((least - bytes) as isize));
                    return;
                }
                Err(_) => {
                    let _ = self.brk.sbrk(-(bytes as isize));
                    return;
                }
            }
        }
        let size = (bytes - pad - HEADER_SIZE) & !(ALIGN - 1);
        let rest = bytes - pad - HEADER_SIZE - size;
        if rest > 0 && self.brk.sbrk(-(rest as isize)).is_err() {
            return;
        }
        // SAFETY: the break handed out `bytes` bytes at `p` (the `Break` contract), of which the
        // aligned header and `size` data bytes are used; the old tail is live.
        unsafe {
            let at = p.add(pad);
            let old_tail = self.tail;
            if !old_tail.is_null() {
                self.observer.event(Event::NewSegment {
                    gap_from: self.end.addr(),
                    start: at.addr(),
                });
            }
            let b = self.new_header(at, size, FREE | SEGMENT_START, Block::NULL);
            b.write_footer();
            if old_tail.is_null() {
                self.head = b;
            } else {
                self.link(old_tail, b);
            }
            self.segments.push(at, self.end.addr());
            self.tail = b;
            self.retire_top(old_tail);
            self.end = b.end();
            self.observer.event(Event::BreakMoved {
                from: p.addr(),
                to: self.end.addr(),
            });
            self.observer.event(Event::Append {
                block: b.addr(),
                size,
            });
            self.file(b);
        }
    }

    /// Stops the heap growing once its memory lies in [`MAX_SEGMENTS`](super::MAX_SEGMENTS)
    /// segments and the break handed out `bytes` more in yet another region: those bytes go
    /// back through the break, and the heap is *stranded*. A heap that never gives memory back
    /// ([`Config::give_back`] `false`, as on WebAssembly, whose memory cannot shrink) leaves
    /// them with the break instead, so that the code that moves the break down is not in its
    /// module; the backend's break then stays past the heap's end, which a stranded heap allows.
    fn strand(&mut self, bytes: usize) {
        if !self.config.give_back() || self.lower_break(bytes) {
            self.stranded = true;
        }
    }

    /// [`append`](Heap::append) for data aligned to [`ALIGN`], in less code
    /// ([`Config::small_code`]): the break moves up until the top (a free last block) holds
    /// `need` bytes, and the top is then taken like any free block. The heap comes out as
    /// `append` leaves it: a free top is extended by the difference, else a block of `need`
    /// bytes follows the last one, and where the break jumped (the first growth, or someone
    /// else's memory after the heap's end) its new bytes start a segment
    /// ([`claim_region`](Heap::claim_region)), whose free block is then used or extended.
    /// One difference: when the break jumps while a free top is being extended, `append`
    /// puts a new block after the new segment's free block, where this extends that block,
    /// which keeps the segment in one piece.
    ///
    /// The caller found no listed block for `need`, and `need` is a data size (a multiple of
    /// [`ALIGN`], at least [`MIN_DATA`]).
    #[inline(never)]
    pub(super) fn grow_top(&mut self, need: usize) -> Result<NonNull<u8>, BreakError> {
        let oom = BreakError::OutOfMemory {
            requested: need.saturating_add(HEADER_SIZE),
        };
        // Each round either returns or claims a region that ends at the break; a round after
        // that finds the break at the heap's end (nothing else moves it during one operation),
        // so the third round at the latest extends the top, which then holds `need` bytes.
        for _ in 0..3 {
            if self.stranded {
                return Err(oom);
            }
            let t = self.tail;
            // SAFETY: the tail is live when not null.
            let top = if !t.is_null() && unsafe { t.is_free() } {
                // SAFETY: as above.
                unsafe { t.size() }
            } else {
                0
            };
            if top >= need {
                // SAFETY: a free tail is a live free block, and holds `need` bytes.
                return Ok(unsafe { self.take(t, need, 0) });
            }
            let cur = self.brk.current();
            if !t.is_null() && cur == self.end {
                // The break is at the heap's end: a free top grows by the difference, else a
                // block of `need` bytes follows the last one.
                let extra = if top > 0 {
                    need - top
                } else {
                    HEADER_SIZE + need
                };
                let extra = isize::try_from(extra).map_err(|_| oom)?;
                let p = self.brk.sbrk(extra)?;
                let extra = extra as usize;
                if p == self.end {
                    self.end = p.wrapping_add(extra);
                    // SAFETY: the break just handed out the `extra` bytes right after the
                    // heap's last block `t`, which is live.
                    unsafe {
                        if top > 0 {
                            t.set_size(need);
                            return Ok(self.take(t, need, 0));
                        }
                        let b = self.new_header(p, need, 0, Block::NULL);
                        self.link(t, b);
                        self.tail = b;
                        return Ok(NonNull::new_unchecked(b.data()));
                    }
                }
                self.claim_region(p, extra);
            } else {
                // The break is elsewhere: its next bytes start a segment.
                let pad = cur.addr().wrapping_neg() & (ALIGN - 1);
                let total = (HEADER_SIZE + pad)
                    .checked_add(need)
                    .and_then(|t| isize::try_from(t).ok())
                    .ok_or(oom)?;
                let p = self.brk.sbrk(total)?;
                self.claim_region(p, total as usize);
            }
        }
        Err(oom)
    }

    /// Moves the break up and writes a new block of `need` bytes at the old break (after a free
    /// lead gap block when `align` needs one), linked to the end of the chain.
    /// With [`Config::small_code`], data aligned to [`ALIGN`] takes [`grow_top`](Heap::grow_top).
    pub(super) fn append(&mut self, need: usize, align: usize) -> Result<NonNull<u8>, BreakError> {
        if self.config.small_code() && align <= ALIGN {
            return self.grow_top(need);
        }
        let oom = BreakError::OutOfMemory {
            requested: need.saturating_add(HEADER_SIZE),
        };
        if self.stranded {
            return Err(oom);
        }
        let pages_before = self.brk.pages();
        if let Some(p) = self.extend_tail(need, align)? {
            return Ok(p);
        }
        // Bytes to add from an aligned header position `h`: (lead gap, total).
        let plan = |h: usize| -> Option<(usize, usize)> {
            let gap = super::search::lead_gap(h.checked_add(HEADER_SIZE)?, align)?;
            let total = gap.checked_add(HEADER_SIZE)?.checked_add(need)?;
            Some((gap, total))
        };
        let mut placed = None;
        for _ in 0..2 {
            let cur = self.brk.current();
            let pad = cur.addr().wrapping_neg() & (ALIGN - 1);
            let h = cur.addr().checked_add(pad).ok_or(oom)?;
            let (gap, body) = plan(h).ok_or(oom)?;
            let total = body
                .checked_add(pad)
                .filter(|&t| t <= isize::MAX as usize)
                .ok_or(oom)?;
            let p = self.brk.sbrk(total as isize)?;
            if p == cur {
                placed = Some((p, pad, gap, total));
                break;
            }
            // The memory is not where the break was: a new region. Use it if the same plan
            // fills it exactly; otherwise keep it as a free block and plan again from there.
            let pad2 = p.addr().wrapping_neg() & (ALIGN - 1);
            if let Some((gap2, body2)) = p.addr().checked_add(pad2).and_then(plan) {
                if body2.checked_add(pad2) == Some(total) {
                    placed = Some((p, pad2, gap2, total));
                    break;
                }
            }
            self.claim_region(p, total);
            if self.stranded {
                return Err(oom);
            }
        }
        let (p, pad, gap, total) = placed.ok_or(oom)?;
        let at_new_segment = p.wrapping_add(pad) != self.end || self.tail.is_null();
        if at_new_segment && !self.tail.is_null() && !self.segments.has_room() {
            // One segment too many: the bytes go back, and the heap stops growing.
            self.strand(total);
            return Err(oom);
        }
        // SAFETY: the break just handed us `total` bytes at `p` (the `Break` contract); the
        // header positions below are aligned and inside them. The old tail is live.
        unsafe {
            let at = p.add(pad);
            let old_tail = self.tail;
            let new_segment = old_tail.is_null() || at != self.end;
            if new_segment && !old_tail.is_null() {
                self.observer.event(Event::NewSegment {
                    gap_from: self.end.addr(),
                    start: at.addr(),
                });
            }
            if new_segment {
                self.segments.push(at, self.end.addr());
            }
            let seg_flag = if new_segment { SEGMENT_START } else { 0 };
            let prev_free = !new_segment && old_tail.is_free();
            let first = self.new_header(
                at,
                need,
                seg_flag | if prev_free { PREV_FREE } else { 0 },
                Block::NULL,
            );
            if old_tail.is_null() {
                self.head = first;
            } else {
                self.link(old_tail, first);
            }
            self.tail = first;
            self.retire_top(old_tail);
            self.end = p.add(total);
            self.observer.event(Event::BreakMoved {
                from: p.addr(),
                to: self.end.addr(),
            });
            if let (Some(before), Some(after)) = (pages_before, self.brk.pages()) {
                if after.grown > before.grown {
                    self.observer.event(Event::PagesGrown {
                        pages: after.grown - before.grown,
                        total: after.grown,
                    });
                }
            }
            let mut b = first;
            if gap > 0 {
                // The gap block first, free; the requested block after it.
                first.set_size(gap - HEADER_SIZE);
                first.set_flag(FREE, true);
                first.write_footer();
                b = self.new_header(at.add(gap), need, PREV_FREE, Block::NULL);
                self.link(first, b);
                self.tail = b;
                self.observer.event(Event::Append {
                    block: first.addr(),
                    size: gap - HEADER_SIZE,
                });
                let mut gap_block = first;
                if self.config.coalesce() && prev_free {
                    let p = gap_block.prev_free();
                    self.unfile(p);
                    self.absorb_next(p);
                    gap_block = p;
                }
                self.file(gap_block);
            }
            self.observer.event(Event::Append {
                block: b.addr(),
                size: need,
            });
            Ok(NonNull::new_unchecked(b.data()))
        }
    }
}
