//! A start map that grows with the heap: what the playground's heap keeps so that a script's
//! `free(p)` and `realloc(p, n)` find their block in constant time, however many blocks the
//! heap holds.

use alloc::vec::Vec;
use brkalloc::heap::highest_below;
use brkalloc::{StartMap, ALIGN};

/// Bits in a word of the map.
const BITS: usize = usize::BITS as usize;

/// A bitmap of header starts, one bit per [`ALIGN`] bytes from the first header it is told of
/// (rounded down to a word's worth of addresses), growing upwards as headers appear above its
/// end. A header below its start is forgotten, which the [`StartMap`] contract allows: the
/// checked calls then find that block by walking the chain. A heap grows upwards, so its first
/// header is its lowest; once every block is given back, the empty map starts afresh.
///
/// It costs one byte per `8 · ALIGN` bytes of heap (64 on wasm32, 128 on 64-bit targets).
///
/// ```
/// use brkalloc::{ArenaBreak, Heap, Options, StartMap};
/// use brkalloc_lab::starts::StartBitVec;
/// use core::mem::MaybeUninit;
///
/// let mut buffer = vec![MaybeUninit::new(0u8); 1 << 16];
/// let mut heap = Heap::with_map(ArenaBreak::new(&mut buffer), Options::DEFAULT, StartBitVec::new());
/// let blocks: Vec<_> = (0..100).map(|_| heap.alloc(32).unwrap()).collect();
/// assert_eq!(heap.map().recorded(), 100);
/// heap.free(blocks[50].as_ptr()).unwrap(); // one header read, no walk
/// heap.check().unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct StartBitVec {
    /// The address of the first word's first bit.
    base: usize,
    words: Vec<usize>,
    /// Bits set.
    set: usize,
}

impl StartBitVec {
    /// An empty map.
    pub const fn new() -> Self {
        StartBitVec {
            base: 0,
            words: Vec::new(),
            set: 0,
        }
    }

    /// The word and bit of `header`, if the map covers it (and it is a multiple of `ALIGN`).
    fn slot(&self, header: usize) -> Option<(usize, usize)> {
        if header % ALIGN != 0 {
            return None;
        }
        let i = header.checked_sub(self.base)? / ALIGN;
        let word = i / BITS;
        (word < self.words.len()).then_some((word, 1 << (i % BITS)))
    }
}

// SAFETY: a bit is set only by `insert` of the one address that `slot` maps to it (one bit per
// multiple of ALIGN from `base`, which changes only while no bit is set), cleared by `remove`
// and `clear`; `set` counts the set bits, and `below` returns the address of a set bit.
unsafe impl StartMap for StartBitVec {
    const KEEPS: bool = true;

    fn insert(&mut self, header: usize) {
        if header % ALIGN != 0 {
            return;
        }
        if self.set == 0 {
            // Nothing recorded: start the map at this header, keeping its memory.
            self.words.clear();
            self.base = header & !(BITS * ALIGN - 1);
        }
        let Some(i) = header.checked_sub(self.base).map(|d| d / ALIGN) else {
            return;
        };
        if i / BITS >= self.words.len() {
            self.words.resize(i / BITS + 1, 0);
        }
        let (w, bit) = (i / BITS, 1 << (i % BITS));
        self.set += usize::from(self.words[w] & bit == 0);
        self.words[w] |= bit;
    }

    fn remove(&mut self, header: usize) {
        if let Some((w, bit)) = self.slot(header) {
            self.set -= usize::from(self.words[w] & bit != 0);
            self.words[w] &= !bit;
        }
    }

    fn clear(&mut self) {
        self.words.clear();
        self.set = 0;
    }

    fn contains(&self, header: usize) -> bool {
        self.slot(header)
            .is_some_and(|(w, bit)| self.words[w] & bit != 0)
    }

    fn recorded(&self) -> usize {
        self.set
    }

    fn below(&self, header: usize) -> Option<usize> {
        let i = header.checked_sub(self.base)? / ALIGN;
        highest_below(&self.words, i).map(|j| self.base + j * ALIGN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_records_what_it_is_told_grows_upwards_and_forgets_below_its_start() {
        let mut m = StartBitVec::new();
        let base = 1 << 20;
        m.insert(base + 3 * ALIGN);
        m.insert(base + 5000 * ALIGN);
        assert!(m.contains(base + 3 * ALIGN) && m.contains(base + 5000 * ALIGN));
        assert!(!m.contains(base + 4 * ALIGN) && !m.contains(base + 3 * ALIGN + 1));
        m.insert(base - 1000 * ALIGN);
        assert!(
            !m.contains(base - 1000 * ALIGN),
            "below its start: forgotten"
        );
        m.insert(base + 7);
        assert!(
            !m.contains(base + 7) && !m.contains(base),
            "not a multiple of ALIGN"
        );
        assert_eq!(m.recorded(), 2);
        m.insert(base + 3 * ALIGN);
        assert_eq!(m.recorded(), 2, "told twice, counted once");
        assert_eq!(m.below(base + 5000 * ALIGN), Some(base + 3 * ALIGN));
        assert_eq!(m.below(base + 6000 * ALIGN), Some(base + 5000 * ALIGN));
        m.remove(base + 3 * ALIGN);
        assert!(!m.contains(base + 3 * ALIGN));
        assert_eq!(m.below(base + 5000 * ALIGN), None);
        assert_eq!(m.recorded(), 1);
        m.remove(base + 5000 * ALIGN);
        assert_eq!(m.recorded(), 0);
        // Empty: the next header starts the map afresh, even below the old start.
        m.insert(base - 1000 * ALIGN);
        assert!(m.contains(base - 1000 * ALIGN));
        m.clear();
        assert!(!m.contains(base - 1000 * ALIGN));
        assert_eq!(m.recorded(), 0);
    }
}
