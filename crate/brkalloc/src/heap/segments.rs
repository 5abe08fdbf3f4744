//! Where the heap's memory is: its segments, recorded outside that memory.
//!
//! A heap's memory is one run of bytes from its first header to the break — unless someone
//! else took the addresses after the break, so that the break had to jump (see
//! [`crate::brk`]). Each jump starts a *segment*; the bytes between two segments are someone
//! else's.
//!
//! ```text
//!   segment 0                          (someone else's)      segment 1 (open)
//!   |[hdr|data][hdr|data][hdr|data]|  ....................  |[hdr|data][hdr|data]|
//!   ^ start                        ^ end                    ^ open                ^ heap end
//! ```
//!
//! The table lives in the [`Heap`](super::Heap) value, not in heap memory, so that nothing
//! written into the heap's bytes can change it: the checker trusts it to say which bytes it may
//! read. It is small and fixed: a heap has at most [`MAX_SEGMENTS`] segments. Segments never
//! shrink below their start and only the last one grows, so every segment but the last is
//! recorded with its end once the next one starts.

use core::ptr;

/// The most segments a heap has: once its memory lies in this many separate runs, a break that
/// jumps again is refused (the allocation fails as out of memory).
pub const MAX_SEGMENTS: usize = 32;

/// The segments of a heap. Starts are kept as pointers: a header in a segment is read through
/// its segment's start pointer, whatever pointer value the chain holds for it.
#[derive(Clone, Copy)]
pub(crate) struct Segments {
    /// Every segment but the last: `(start, end address)`, in address order.
    closed: [(*mut u8, usize); MAX_SEGMENTS - 1],
    /// How many entries of `closed` are used.
    n_closed: usize,
    /// Start of the last segment, which ends at the heap's end; null when the heap has no
    /// block.
    open: *mut u8,
}

impl Segments {
    pub(crate) const fn new() -> Self {
        Segments {
            closed: [(ptr::null_mut(), 0); MAX_SEGMENTS - 1],
            n_closed: 0,
            open: ptr::null_mut(),
        }
    }

    /// How many segments there are.
    pub(crate) fn len(&self) -> usize {
        if self.open.is_null() {
            0
        } else {
            self.n_closed + 1
        }
    }

    /// Whether another segment can start.
    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.open.is_null() || self.n_closed < MAX_SEGMENTS - 1
    }

    /// Records a segment starting at `start`; the one before it (if any) ends at `prev_end`.
    /// The caller checked [`Segments::has_room`].
    #[inline]
    pub(crate) fn push(&mut self, start: *mut u8, prev_end: usize) {
        if !self.open.is_null() {
            debug_assert!(self.n_closed < MAX_SEGMENTS - 1);
            if let Some(slot) = self.closed.get_mut(self.n_closed) {
                *slot = (self.open, prev_end);
                self.n_closed += 1;
            }
        }
        self.open = start;
    }

    /// Forgets every segment: the heap has no block.
    pub(crate) fn clear(&mut self) {
        self.n_closed = 0;
        self.open = ptr::null_mut();
    }

    /// Start of the last segment (null when there is none).
    pub(crate) fn last_start(&self) -> *mut u8 {
        self.open
    }

    /// Segment `i`, `(start, end address)`, where the last one ends at `heap_end`.
    #[inline]
    pub(crate) fn get(&self, i: usize, heap_end: usize) -> Option<(*mut u8, usize)> {
        if i < self.n_closed {
            self.closed.get(i).copied()
        } else if i == self.n_closed && !self.open.is_null() {
            Some((self.open, heap_end))
        } else {
            None
        }
    }

    /// A pointer to `addr`, with its segment's provenance, when the `len` bytes there lie
    /// inside one segment; `None` otherwise.
    pub(crate) fn locate(
        &self,
        addr: usize,
        len: usize,
        heap_end: usize,
    ) -> Option<(*mut u8, usize)> {
        (0..self.len())
            .filter_map(|i| self.get(i, heap_end))
            .find(|&(s, e)| addr >= s.addr() && addr < e && e - addr >= len)
            .map(|(s, e)| (s.with_addr(addr), e))
    }

    /// A pointer to `addr`, a byte of the heap's memory, with the provenance of the segment
    /// that holds it. One comparison when the heap has one segment.
    ///
    /// A pointer handed back by a caller (to `free`, say) may carry only the permissions of
    /// the block's data: the header before it must be reached through the heap's own
    /// pointers, not through the caller's.
    #[inline(always)]
    pub(crate) fn ptr_to(&self, addr: usize) -> *mut u8 {
        if self.n_closed == 0 || addr >= self.open.addr() {
            return self.open.with_addr(addr);
        }
        for &(s, e) in self.closed[..self.n_closed].iter().rev() {
            if addr >= s.addr() && addr < e {
                return s.with_addr(addr);
            }
        }
        self.open.with_addr(addr)
    }

    /// Where the chain goes from a block whose data ends at `addr`, when `addr` is the end of
    /// a segment other than the last: the next segment's start. `None` when `addr` ends no
    /// such segment (most often because the heap has one segment). What a heap with boundary
    /// tags, which stores no `next`, follows where its chain jumps.
    #[inline]
    pub(crate) fn after(&self, addr: usize) -> Option<*mut u8> {
        if self.n_closed == 0 {
            return None;
        }
        let i = self.closed[..self.n_closed]
            .iter()
            .position(|&(_, e)| e == addr)?;
        Some(match self.closed[..self.n_closed].get(i + 1) {
            Some(&(s, _)) => s,
            None => self.open,
        })
    }

    /// Bytes in all segments together.
    pub(crate) fn bytes(&self, heap_end: usize) -> usize {
        (0..self.len())
            .filter_map(|i| self.get(i, heap_end))
            .map(|(s, e)| e.saturating_sub(s.addr()))
            .sum()
    }
}
