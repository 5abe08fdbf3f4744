//! Placement policies and the options that shape a [`Heap`](super::Heap).
//!
//! The options can be chosen at run time ([`Options`], what the playground uses) or fixed at
//! compile time by a zero-sized [`Config`] such as [`SegregatedConfig`], so that a
//! `#[global_allocator]` carries only the code of the policy it uses.

use core::fmt;

/// Which free block `malloc` picks when several would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// The brief's: walk the chain from the heap start, take the first free block that fits.
    FirstFit,
    /// Like first fit, but start where the previous search stopped.
    NextFit,
    /// Walk the whole chain, take the smallest free block that fits.
    BestFit,
    /// Walk the whole chain, take the largest free block.
    WorstFit,
    /// Size-class free lists with a bitmap: the search takes constant time, whatever the number
    /// of blocks. The blocks stay on the same `next` chain.
    Segregated,
}

impl Policy {
    /// Every policy, teaching default first.
    pub const ALL: [Policy; 5] = [
        Policy::FirstFit,
        Policy::NextFit,
        Policy::BestFit,
        Policy::WorstFit,
        Policy::Segregated,
    ];

    /// The policy's name as written in options, URLs and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::FirstFit => "first-fit",
            Policy::NextFit => "next-fit",
            Policy::BestFit => "best-fit",
            Policy::WorstFit => "worst-fit",
            Policy::Segregated => "segregated",
        }
    }

    /// Parses a name as written by [`Policy::name`].
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a heap behaves, read on every operation. Implemented by [`Options`] (chosen at run time)
/// and by zero-sized types whose answers are constants, which the compiler folds away.
pub trait Config {
    /// The placement policy.
    fn policy(&self) -> Policy;
    /// Split a larger free block when reusing it, returning the rest as a free block.
    fn split(&self) -> bool;
    /// Merge a freed block with free neighbours.
    fn coalesce(&self) -> bool;
    /// When the end of the heap becomes free, give the whole trailing free run back through the
    /// break (without it, only the single last block is given back, as in the brief).
    fn trim(&self) -> bool;
    /// Move the break down when the end of the heap becomes free (how much, [`trim`] says).
    /// When `false`, the break only ever rises: a free block at the end of the heap stays,
    /// filed for reuse, and an allocation that needs more than it holds extends it by the
    /// difference. That suits memory that never shrinks, such as WebAssembly's, where moving
    /// the break down gives nothing back to anyone and only costs time. `true` unless a
    /// configuration says otherwise.
    ///
    /// [`trim`]: Config::trim
    #[inline(always)]
    fn give_back(&self) -> bool {
        true
    }
    /// Keep each block's `next` in its header, as the brief's allocator does. When `false`
    /// (*boundary tags*), the heap never writes `next`: within a segment the next header is
    /// where the size says it is (right after the data), and where the chain jumps to another
    /// segment, the heap's segment table says where to. Every split, merge and append then
    /// writes one header word less, and nothing reads a `next` that could have gone stale.
    /// [`Heap::blocks`](super::Heap::blocks) reports the derived `next` either way. `true`
    /// unless a configuration says otherwise.
    #[inline(always)]
    fn stores_next(&self) -> bool {
        true
    }
    /// Prefer less code to a few instructions saved, where the two give the same heap. When
    /// `true`, an allocation that no free block serves makes the top (a free last block) big
    /// enough, by moving the break up (or by starting a new segment, when the break jumped),
    /// and then takes it as it takes any free block: one path, where otherwise appending a
    /// block, extending the top and aligning a fresh block each have their own. The blocks,
    /// and where they go, are the same either way; only the [`Observer`](crate::Observer)
    /// hears of a growth differently. Allocations aligned above [`ALIGN`](super::ALIGN) take
    /// the usual path. `false` unless a configuration says otherwise.
    #[inline(always)]
    fn small_code(&self) -> bool {
        false
    }
}

/// Options chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Options {
    /// Which free block is picked.
    pub policy: Policy,
    /// Split a larger free block on reuse.
    pub split: bool,
    /// Merge adjacent free blocks.
    pub coalesce: bool,
    /// Give the whole trailing free run back through the break.
    pub trim: bool,
    /// Derive each block's `next` from its size instead of storing it in the header
    /// (boundary tags; see [`Config::stores_next`]).
    pub derive: bool,
}

impl Options {
    /// The brief's allocator, exactly: first fit, no splitting, no coalescing, and only the last
    /// block gives bytes back when freed.
    pub const SEED: Options = Options {
        policy: Policy::FirstFit,
        split: false,
        coalesce: false,
        trim: false,
        derive: false,
    };

    /// First fit with splitting, coalescing and trimming: the improved teaching allocator.
    pub const DEFAULT: Options = Options {
        policy: Policy::FirstFit,
        split: true,
        coalesce: true,
        trim: true,
        derive: false,
    };

    /// The given policy with splitting, coalescing and trimming on, `next` stored.
    pub const fn with_policy(policy: Policy) -> Options {
        Options {
            policy,
            ..Options::DEFAULT
        }
    }

    /// True for the exact options of [`Options::SEED`].
    pub fn is_seed(&self) -> bool {
        *self == Options::SEED
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
}

impl Config for Options {
    #[inline]
    fn policy(&self) -> Policy {
        self.policy
    }
    #[inline]
    fn split(&self) -> bool {
        self.split
    }
    #[inline]
    fn coalesce(&self) -> bool {
        self.coalesce
    }
    #[inline]
    fn trim(&self) -> bool {
        self.trim
    }
    #[inline]
    fn stores_next(&self) -> bool {
        !self.derive
    }
}

/// The segregated-fit policy with splitting, coalescing and trimming, fixed at compile time:
/// the default configuration of the `GlobalAlloc` adapter. See [`GrowOnlyConfig`] for
/// WebAssembly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegregatedConfig;

/// [`SegregatedConfig`] whose break only ever rises ([`Config::give_back`] is `false`): the
/// configuration for WebAssembly, whose memory never shrinks. Freeing the end of the heap
/// then costs no more than freeing any other block, and the code that moves the break down is
/// left out of the module. It also asks for the smaller code where two paths give the same heap
/// ([`Config::small_code`]): a module's size counts on the web.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrowOnlyConfig;

/// Implements [`Config`] for a zero-sized configuration of the segregated policy with splitting,
/// coalescing and trimming on, `next` stored, and `give_back` and `small_code` as given: every
/// answer a constant.
///
/// `next` stays stored here because deriving it was measured and did not pay: on the
/// benchmark's workloads the heap executed within 1 % of the same instructions either way
/// (callgrind, with the same cache and branch misses simulated), and the wall times showed no
/// gain. Boundary tags remain a choice ([`Options::derive`], or a configuration whose
/// [`Config::stores_next`] is `false`).
macro_rules! segregated_config {
    ($name:ident, give_back: $give_back:expr, small_code: $small:expr) => {
        impl Config for $name {
            #[inline(always)]
            fn policy(&self) -> Policy {
                Policy::Segregated
            }
            #[inline(always)]
            fn split(&self) -> bool {
                true
            }
            #[inline(always)]
            fn coalesce(&self) -> bool {
                true
            }
            #[inline(always)]
            fn trim(&self) -> bool {
                true
            }
            #[inline(always)]
            fn give_back(&self) -> bool {
                $give_back
            }
            #[inline(always)]
            fn small_code(&self) -> bool {
                $small
            }
        }
    };
}

segregated_config!(SegregatedConfig, give_back: true, small_code: false);
segregated_config!(GrowOnlyConfig, give_back: false, small_code: true);
