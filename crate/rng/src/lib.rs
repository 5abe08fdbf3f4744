//! [`Rng`]: the one random-number generator of brkalloc's generators and tests, SplitMix64.
//!
//! The lab's trace generator draws its workloads from it, and the allocator's tests and fuzz
//! targets draw their operation sequences from it. It is a crate of its own so that both can
//! depend on it while the allocator exports no random-number generator and the lab stays the
//! only crate that builds on the allocator.
//!
//! Its output is fixed by the definition of SplitMix64 and of the few ways of drawing from it
//! below: the same seed gives the same numbers on every platform and in every version, which is
//! what keeps generated traces (and the benchmarks and committed `.rep` files built on them)
//! stable. Changing what any method returns for a seed changes every generated trace.
//!
//! ```
//! use brkalloc_rng::Rng;
//!
//! let mut rng = Rng::new(7);
//! let size = rng.range(8, 511);
//! assert!((8..=511).contains(&size));
//! assert_eq!(Rng::new(7).range(8, 511), size, "the same seed, the same numbers");
//! ```

#![no_std]

/// SplitMix64: tiny, fast, good enough to draw workloads and test cases, and runnable under
/// Miri (no system entropy, no allocation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`. Any seed is fine, 0 included.
    pub const fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (`low <= high`), by a multiply-shift of 64 random bits: no
    /// division, and a bias of at most one part in 2^64 / (high − low + 1), far too small to
    /// matter here.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        debug_assert!(low <= high);
        let span = (high - low) as u128 + 1;
        low + ((u128::from(self.next_u64()) * span) >> 64) as usize
    }

    /// A number in `0..=max`.
    pub fn upto(&mut self, max: usize) -> usize {
        self.range(0, max)
    }

    /// A number in `0..n` (`n > 0`): an index into something of length `n`.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        self.range(0, n - 1)
    }

    /// True with probability `percent` in 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// True with probability 1 in `n` (`n > 0`).
    pub fn one_in(&mut self, n: usize) -> bool {
        self.range(1, n) == 1
    }

    /// A number in `2^low_bits..2^high_bits` (`low_bits < high_bits`), each power of two
    /// equally likely: small values common, large ones present, as in real programs.
    pub fn log_uniform(&mut self, low_bits: u32, high_bits: u32) -> usize {
        let bits = self.range(low_bits as usize, high_bits as usize - 1) as u32;
        self.range(1 << bits, (1 << (bits + 1)) - 1)
    }
}
