//! Deterministic random numbers for the workloads: the project's SplitMix64 (`brkalloc-rng`),
//! fixed by its definition, so that every allocator, natively and in wasm, sees exactly the same
//! sequence of requests. Drawn from with a multiply-shift on 32 bits, which needs no 128-bit
//! multiply on wasm32.

/// A SplitMix64 generator, drawn from as the workloads draw.
#[derive(Clone, Debug)]
pub struct Rng(brkalloc_rng::Rng);

impl Rng {
    /// A generator started from `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng(brkalloc_rng::Rng::new(seed))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` below 2^32), by multiply-shift on the top 32 bits: no division,
    /// which matters on wasm32, and a bias far too small to matter here.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A number in `low..=high`.
    #[inline]
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn range_stays_within_its_bounds_and_reaches_both_ends() {
        let mut rng = Rng::new(1);
        let (mut saw_low, mut saw_high) = (false, false);
        for _ in 0..10_000 {
            let x = rng.range(3, 7);
            assert!((3..=7).contains(&x));
            saw_low |= x == 3;
            saw_high |= x == 7;
        }
        assert!(saw_low && saw_high);
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
