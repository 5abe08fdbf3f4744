//! The segregated-fit policy's size classes: free lists with a two-level bitmap, in the manner of
//! TLSF. Finding a free block and filing one away both take constant time.
//!
//! Sizes below [`LINEAR`] get one class per [`ALIGN`] step. Above it, each power of two is cut
//! into [`SL`] classes of equal width: a size `s` with highest bit `f` lands in first level
//! `f - log2(LINEAR) + 1` and second level given by the [`SL_BITS`] bits below `f`.
//!
//! ```text
//!  first level  0: 0..LINEAR in ALIGN steps   [ ][x][ ][ ][ ][ ][ ][ ]   bit set = list not empty
//!  first level  1: LINEAR..2*LINEAR           [ ][ ][ ][x][ ][ ][ ][ ]
//!  first level  2: 2*LINEAR..4*LINEAR         [ ][ ][ ][ ][ ][ ][ ][ ]
//!  ...
//! ```
//!
//! The blocks stay on the heap's `next` chain; a free block's first two data words link it into
//! its class list.

use super::block::{Block, ALIGN};

/// Second-level classes per first-level class, as a power of two.
pub(crate) const SL_BITS: u32 = 3;
/// Second-level classes per first-level class.
pub(crate) const SL: usize = 1 << SL_BITS;
/// Sizes below this map linearly, one class per [`ALIGN`] bytes.
pub(crate) const LINEAR: usize = ALIGN << SL_BITS;
const LINEAR_SHIFT: u32 = LINEAR.trailing_zeros();
/// Number of first-level classes: enough for any size an address can hold.
pub(crate) const FL: usize = (usize::BITS - LINEAR_SHIFT + 1) as usize;

/// The class (first level, second level) holding blocks of exactly `size` bytes: always
/// `fl < FL` and `sl < SL`.
#[inline(always)]
pub(crate) fn class_of(size: usize) -> (usize, usize) {
    if size < LINEAR {
        (0, size / ALIGN)
    } else {
        let f = usize::BITS - 1 - size.leading_zeros();
        let fl = (f - LINEAR_SHIFT + 1) as usize;
        let sl = (size >> (f - SL_BITS)) & (SL - 1);
        (fl, sl)
    }
}

/// The smallest size in class `(fl, sl)`.
pub(crate) fn class_min(fl: usize, sl: usize) -> usize {
    if fl == 0 {
        sl * ALIGN
    } else {
        let f = fl as u32 + LINEAR_SHIFT - 1;
        (1usize << f) | (sl << (f - SL_BITS))
    }
}

/// The class from which *every* block is at least `size` bytes: `size` rounded up to the next
/// class boundary. `None` when the rounding overflows (no block can be that large).
#[inline]
pub(crate) fn class_at_least(size: usize) -> Option<(usize, usize)> {
    if size < LINEAR {
        return Some((0, size.div_ceil(ALIGN)));
    }
    let f = usize::BITS - 1 - size.leading_zeros();
    let step = 1usize << (f - SL_BITS);
    let rounded = size.checked_add(step - 1)?;
    Some(class_of(rounded))
}

/// The heads of the free lists and the bitmaps saying which are not empty.
pub(crate) struct FreeLists {
    /// Bit `fl` set: some second-level list of first level `fl` is not empty.
    fl_map: usize,
    /// Bit `sl` of `sl_map[fl]` set: list `(fl, sl)` is not empty.
    sl_map: [u32; FL],
    heads: [[Block; SL]; FL],
}

impl FreeLists {
    pub(crate) const fn new() -> Self {
        FreeLists {
            fl_map: 0,
            sl_map: [0; FL],
            heads: [[Block::NULL; SL]; FL],
        }
    }

    /// The head of the list of the class `class_of` gives for `size`.
    #[inline(always)]
    fn slot(&mut self, size: usize) -> (usize, usize, &mut Block) {
        let (fl, sl) = class_of(size);
        debug_assert!(fl < FL && sl < SL);
        // SAFETY: `class_of` returns `fl < FL` and `sl < SL`: the highest bit of a `usize` is
        // at most `usize::BITS - 1`, which gives `fl = FL - 1`, and `sl` is masked to SL_BITS.
        let head = unsafe { self.heads.get_unchecked_mut(fl).get_unchecked_mut(sl) };
        (fl, sl, head)
    }

    /// Whether every list is empty.
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.fl_map == 0
    }

    /// The first block of list `(fl, sl)`; null for a class that does not exist (a look-up
    /// with no panic path, which a wasm module would otherwise carry).
    pub(crate) fn head(&self, fl: usize, sl: usize) -> Block {
        self.heads
            .get(fl)
            .and_then(|l| l.get(sl))
            .copied()
            .unwrap_or(Block::NULL)
    }

    /// Whether list `(fl, sl)`'s bit is set.
    pub(crate) fn bit(&self, fl: usize, sl: usize) -> bool {
        self.fl_map & (1 << fl) != 0 && self.sl_map[fl] & (1 << sl) != 0
    }

    /// The first non-empty class at or above `(fl, sl)`.
    #[inline]
    pub(crate) fn find_from(&self, fl: usize, sl: usize) -> Option<(usize, usize)> {
        if fl >= FL {
            return None;
        }
        let here = if sl >= SL {
            0
        } else {
            self.sl_map[fl] & (u32::MAX << sl)
        };
        if here != 0 {
            return Some((fl, here.trailing_zeros() as usize));
        }
        let above = if fl + 1 >= FL {
            0
        } else {
            self.fl_map & (usize::MAX << (fl + 1))
        };
        if above == 0 {
            return None;
        }
        let fl = above.trailing_zeros() as usize;
        Some((fl, self.sl_map[fl].trailing_zeros() as usize))
    }

    /// Files a free block at the front of its class list.
    ///
    /// # Safety
    ///
    /// `b` is a live free block of at least `MIN_DATA` bytes, on no list.
    #[inline(always)]
    pub(crate) unsafe fn insert(&mut self, b: Block) {
        // SAFETY: the caller guarantees `b` is live and free; the old head, if any, is a live
        // free block on this list.
        unsafe {
            let (fl, sl, slot) = self.slot(b.size());
            let head = *slot;
            *slot = b;
            b.set_link_prev(Block::NULL);
            b.set_link_next(head);
            if head.is_null() {
                self.fl_map |= 1 << fl;
                self.sl_map[fl] |= 1 << sl;
            } else {
                head.set_link_prev(b);
            }
        }
    }

    /// Takes a free block off its class list.
    ///
    /// # Safety
    ///
    /// `b` is a live free block on the list of its size's class (its size unchanged since it was
    /// filed).
    #[inline(always)]
    pub(crate) unsafe fn remove(&mut self, b: Block) {
        // SAFETY: the caller guarantees `b` is on its list, so its links point to live free
        // blocks of the same list or are null.
        unsafe {
            let (prev, next) = b.links();
            if !next.is_null() {
                next.set_link_prev(prev);
            }
            if prev.is_null() {
                let (fl, sl, slot) = self.slot(b.size());
                *slot = next;
                if next.is_null() {
                    self.sl_map[fl] &= !(1 << sl);
                    if self.sl_map[fl] == 0 {
                        self.fl_map &= !(1 << fl);
                    }
                }
            } else {
                prev.set_link_next(next);
            }
        }
    }
}
