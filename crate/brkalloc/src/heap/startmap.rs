//! A record of where headers start, kept outside heap memory: what lets the checked `free`
//! and `realloc` prove a pointer is a block without walking the chain.
//!
//! The heap reports every header it writes ([`StartMap::insert`]) and every header that stops
//! being one ([`StartMap::remove`]): merged into the block before it, or given back through the
//! break. A map may forget any of them (a fixed-size bitmap has no room above its end), so
//! "recorded" is a proof that a header starts there, and "not recorded" means only "unknown":
//! the checked calls then walk the chain, as they do with no map at all.
//!
//! ```text
//!   base                                                                       base + 8·ALIGN·words
//!   v                                                                                   v
//!   +--------+-----------+--------+------+--------+----------------------+      (forgotten
//!   | header | data      | header | data | header | data                 |   ... above here)
//!   +--------+-----------+--------+------+--------+----------------------+
//!   bit:  1  0  0  0  0  1  0  0  1  0  0  0  0  0  0  0  ...   one bit per ALIGN bytes
//! ```

use super::block::ALIGN;

/// Where block headers start, as the heap tells it: the map behind the constant-time checked
/// [`Heap::free`](super::Heap::free) and [`Heap::realloc`](super::Heap::realloc).
///
/// A [`Heap`](super::Heap) takes one as its fourth parameter. `()` keeps nothing: with it
/// ([`KEEPS`](StartMap::KEEPS) `false`) every call folds away and the checked calls walk the
/// chain. [`StartBits`] keeps a bitmap in memory the caller provides.
///
/// # Safety
///
/// The heap trusts [`contains`](StartMap::contains) to read the header at an address, so an
/// implementation must keep this promise: `contains(h)` returns `true` only if
/// [`insert(h)`](StartMap::insert) was called and neither [`remove(h)`](StartMap::remove) nor
/// [`clear`](StartMap::clear) since. It may return `false` for any address, recorded or not
/// (it may forget), and [`recorded`](StartMap::recorded) is the number of addresses for which
/// it returns `true`. [`below`](StartMap::below) returns only addresses for which `contains`
/// returns `true`. When `KEEPS` is `false`, `contains` always returns `false`.
pub unsafe trait StartMap {
    /// Whether the map keeps anything. When `false`, the heap never calls the map, and a
    /// checked `free` walks the chain.
    const KEEPS: bool;

    /// A header now starts at `header` (a multiple of [`ALIGN`]).
    fn insert(&mut self, header: usize);

    /// No header starts at `header` any more.
    fn remove(&mut self, header: usize);

    /// No header starts anywhere any more.
    fn clear(&mut self);

    /// Whether a header is known to start at `header`.
    fn contains(&self, header: usize) -> bool;

    /// How many addresses [`contains`](StartMap::contains) returns `true` for: what
    /// [`Heap::check`](super::Heap::check) compares with the chain.
    fn recorded(&self) -> usize;

    /// The highest recorded header below `header`, if the map finds one quickly: what the
    /// checked `free` tries before walking the chain for the block before the one it frees,
    /// when it gives the end of the heap back. `None` (the default) means "unknown".
    fn below(&self, header: usize) -> Option<usize> {
        let _ = header;
        None
    }
}

// SAFETY: `()` records nothing, and `contains` is always `false`.
unsafe impl StartMap for () {
    const KEEPS: bool = false;

    #[inline(always)]
    fn insert(&mut self, _: usize) {}

    #[inline(always)]
    fn remove(&mut self, _: usize) {}

    #[inline(always)]
    fn clear(&mut self) {}

    #[inline(always)]
    fn contains(&self, _: usize) -> bool {
        false
    }

    #[inline(always)]
    fn recorded(&self) -> usize {
        0
    }
}

/// How many words [`StartBits::below`] (and a growing map's) looks through before it gives up:
/// `BELOW_WORDS · usize::BITS · ALIGN` bytes of heap (256 KiB on 64-bit targets), so that the
/// search stays constant-time. A block larger than that before the one freed is found by the
/// walk.
pub const BELOW_WORDS: usize = 256;

/// The highest set bit of `words` below bit `i` (counting from bit 0 of word 0), looking
/// through at most [`BELOW_WORDS`] words: [`StartMap::below`] for a bitmap with one bit per
/// [`ALIGN`] bytes.
pub fn highest_below(words: &[usize], i: usize) -> Option<usize> {
    let bits = usize::BITS as usize;
    let mut w = i / bits;
    let mut word = if w < words.len() {
        words[w] & ((1usize << (i % bits)) - 1)
    } else {
        // Every bit is below `i`: start from the last word.
        w = words.len().checked_sub(1)?;
        words[w]
    };
    for _ in 0..BELOW_WORDS {
        if word != 0 {
            return Some(w * bits + (bits - 1 - word.leading_zeros() as usize));
        }
        w = w.checked_sub(1)?;
        word = words[w];
    }
    None
}

/// A bitmap of header starts over memory the caller provides: one bit for every [`ALIGN`]
/// bytes from `base`, so `words` words cover `words · usize::BITS · ALIGN` bytes of heap
/// (2 KiB of heap per 8-byte word on 64-bit targets, 1 KiB per 4-byte word on wasm32: one
/// bitmap byte for every 128 heap bytes). Headers outside that range are forgotten, and
/// freeing their blocks with the checked calls walks the chain.
///
/// ```
/// use brkalloc::heap::{StartBits, StartMap};
/// use brkalloc::{ArenaBreak, FreeError, Heap, Options, ALIGN};
/// use core::mem::MaybeUninit;
///
/// let mut buffer = [MaybeUninit::new(0u8); 4096];
/// let base = buffer.as_ptr() as usize & !(ALIGN - 1);
/// let mut bits = [0usize; 4096 / ALIGN / usize::BITS as usize + 1];
/// let map = StartBits::new(&mut bits, base);
/// let mut heap = Heap::with_map(ArenaBreak::new(&mut buffer), Options::SEED, map);
/// let a = heap.alloc(64).unwrap();
/// heap.alloc(8).unwrap();
/// assert_eq!(heap.map().recorded(), 2, "two headers");
/// heap.free(a.as_ptr()).unwrap(); // found by its bit, not by a walk
/// assert_eq!(heap.free(a.as_ptr()), Err(FreeError::DoubleFree { addr: a.as_ptr() as usize }));
/// assert_eq!(heap.check(), Ok(()));
/// ```
pub struct StartBits<'a> {
    bits: &'a mut [usize],
    base: usize,
}

impl<'a> StartBits<'a> {
    /// A bitmap over `bits`, cleared, whose first bit stands for the address `base` (rounded
    /// down to [`ALIGN`]).
    pub fn new(bits: &'a mut [usize], base: usize) -> Self {
        bits.fill(0);
        StartBits {
            bits,
            base: base & !(ALIGN - 1),
        }
    }

    /// The word and bit of `header`, when the bitmap covers it (headers are multiples of
    /// [`ALIGN`]; no other address has a bit).
    #[inline(always)]
    fn slot(&self, header: usize) -> Option<(usize, usize)> {
        if header % ALIGN != 0 {
            return None;
        }
        let i = header.checked_sub(self.base)? / ALIGN;
        let word = i / usize::BITS as usize;
        (word < self.bits.len()).then_some((word, 1 << (i % usize::BITS as usize)))
    }
}

// SAFETY: a bit is set only by `insert` of its address (`slot` maps the multiples of ALIGN it
// covers to bits one to one, and no other address to any bit), cleared by `remove` and
// `clear`; `recorded` counts the set bits, and `below` returns the address of a set bit.
unsafe impl StartMap for StartBits<'_> {
    const KEEPS: bool = true;

    #[inline]
    fn insert(&mut self, header: usize) {
        if let Some((w, bit)) = self.slot(header) {
            self.bits[w] |= bit;
        }
    }

    #[inline]
    fn remove(&mut self, header: usize) {
        if let Some((w, bit)) = self.slot(header) {
            self.bits[w] &= !bit;
        }
    }

    fn clear(&mut self) {
        self.bits.fill(0);
    }

    #[inline]
    fn contains(&self, header: usize) -> bool {
        self.slot(header)
            .is_some_and(|(w, bit)| self.bits[w] & bit != 0)
    }

    /// Counts the set bits, in one pass over the whole bitmap (a word per `usize::BITS` ·
    /// `ALIGN` bytes it covers), so that no count needs keeping up as bits are set and
    /// cleared: [`Heap::check`](super::Heap::check) is the one caller.
    fn recorded(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    #[inline]
    fn below(&self, header: usize) -> Option<usize> {
        let i = header.checked_sub(self.base)? / ALIGN;
        highest_below(self.bits, i).map(|j| self.base + j * ALIGN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_below_finds_the_nearest_set_bit_within_its_reach() {
        let bits = usize::BITS as usize;
        let mut words = [0usize; BELOW_WORDS + 4];
        assert_eq!(highest_below(&words, 100), None);
        words[0] = 0b1001;
        assert_eq!(highest_below(&words, 3), Some(0));
        assert_eq!(highest_below(&words, 4), Some(3));
        assert_eq!(highest_below(&words, 0), None);
        assert_eq!(highest_below(&words, 5 * bits + 7), Some(3));
        words[2] = 1 << (bits - 1);
        assert_eq!(highest_below(&words, 3 * bits), Some(3 * bits - 1));
        assert_eq!(highest_below(&words, 3 * bits - 1), Some(3));
        // Past the end: from the last word down.
        assert_eq!(highest_below(&words, 10_000 * bits), None, "too far down");
        words[BELOW_WORDS + 3] = 1;
        assert_eq!(
            highest_below(&words, 10_000 * bits),
            Some((BELOW_WORDS + 3) * bits)
        );
        // Out of reach: more than BELOW_WORDS words down.
        assert_eq!(highest_below(&words, (BELOW_WORDS + 3) * bits), None);
    }

    #[test]
    fn start_bits_below_gives_recorded_headers_only() {
        let mut words = [0usize; 8];
        let base = 4096;
        let mut m = StartBits::new(&mut words, base);
        assert_eq!(m.below(base + 40 * ALIGN), None);
        m.insert(base + 3 * ALIGN);
        m.insert(base + 30 * ALIGN);
        assert_eq!(m.below(base + 40 * ALIGN), Some(base + 30 * ALIGN));
        assert_eq!(m.below(base + 30 * ALIGN), Some(base + 3 * ALIGN));
        assert_eq!(m.below(base + 3 * ALIGN), None);
        assert_eq!(m.below(base - ALIGN), None, "below the map");
        assert_eq!(
            m.below(base + 1_000_000),
            Some(base + 30 * ALIGN),
            "above the map"
        );
        m.remove(base + 30 * ALIGN);
        assert_eq!(m.below(base + 40 * ALIGN), Some(base + 3 * ALIGN));
        assert_eq!(m.recorded(), 1);
    }
}
