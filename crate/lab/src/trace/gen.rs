//! Generated traces: a few workload shapes that stress different parts of an allocator, made
//! deterministically from a seed.
//!
//! The same `(kind, ops, seed)` gives the same trace on every platform and in every version
//! (the draws come from [`Rng`], whose output is fixed by its definition):
//! benchmarks compare allocators on these traces, so changing what a kind generates changes
//! every benchmark's input and must be treated as a breaking change.

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;

use super::ops::{Op, Trace, HEADER_LINES};
use crate::rng::Rng;

/// The shape of a generated trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Random sizes (mostly 8 to 511 bytes, one in ten up to 32 KiB) with random lifetimes
    /// (from 1 to 4,096 operations, log-uniform): the everyday mix, a few hundred blocks live.
    Random,
    /// Rounds of small and large blocks allocated alternately, after which every large block is
    /// freed and slightly larger ones are asked for: they fit none of the holes, which the small
    /// blocks keep apart. The classic fragmentation trap (malloc-lab's `binary` traces).
    SmallLarge,
    /// One block grown by `realloc` again and again while other blocks are allocated, and
    /// later freed, around it; it starts over when it passes 32 KiB. Tests in-place growth and
    /// moving (malloc-lab's `realloc` traces).
    Grow,
    /// Runs of neighbouring blocks freed in turn (front to back, back to front, or every other
    /// one first), each run followed by a request the size of the whole run, which only fits
    /// if the freed neighbours were merged. Tests coalescing.
    Coalesce,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Random, Kind::SmallLarge, Kind::Grow, Kind::Coalesce];

    /// The kind's name, as on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Random => "random",
            Kind::SmallLarge => "small-large",
            Kind::Grow => "grow",
            Kind::Coalesce => "coalesce",
        }
    }

    /// Parses a name as written by [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// One line saying what the kind exercises.
    pub const fn summary(self) -> &'static str {
        match self {
            Kind::Random => "random sizes with random lifetimes",
            Kind::SmallLarge => "small and large blocks alternately, then the large ones freed",
            Kind::Grow => "one block grown by realloc again and again among others",
            Kind::Coalesce => "runs of neighbours freed in turn, then one request for the run",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Builds a trace operation by operation, stopping silently at the requested count so the
/// shapes below can be written as endless loops.
struct Builder {
    rng: Rng,
    limit: usize,
    ops: Vec<Op>,
    /// Requested size of each live id (0 when not live).
    sizes: Vec<usize>,
    /// Ids freed and ready to be used again, so the id table stays as small as the live set.
    spare_ids: Vec<usize>,
    live: usize,
    peak_live: usize,
}

impl Builder {
    fn new(limit: usize, seed: u64) -> Builder {
        Builder {
            rng: Rng::new(seed),
            limit,
            ops: Vec::with_capacity(limit),
            sizes: Vec::new(),
            spare_ids: Vec::new(),
            live: 0,
            peak_live: 0,
        }
    }

    fn full(&self) -> bool {
        self.ops.len() >= self.limit
    }

    /// Allocates a block and returns its id. Once the trace is full nothing is recorded, and
    /// the id returned is never used for anything recorded either.
    fn alloc(&mut self, size: usize) -> usize {
        if self.full() {
            return usize::MAX;
        }
        let id = self.spare_ids.pop().unwrap_or_else(|| {
            self.sizes.push(0);
            self.sizes.len() - 1
        });
        self.sizes[id] = size;
        self.live += size;
        self.peak_live = self.peak_live.max(self.live);
        self.ops.push(Op::Alloc { id, size });
        id
    }

    fn free(&mut self, id: usize) {
        if self.full() {
            return;
        }
        self.live -= self.sizes[id];
        self.sizes[id] = 0;
        self.spare_ids.push(id);
        self.ops.push(Op::Free { id });
    }

    fn realloc(&mut self, id: usize, size: usize) {
        if self.full() {
            return;
        }
        self.live = self.live - self.sizes[id] + size;
        self.peak_live = self.peak_live.max(self.live);
        self.sizes[id] = size;
        self.ops.push(Op::Realloc { id, size });
    }

    fn finish(self) -> Trace {
        let lines = (HEADER_LINES + 1..HEADER_LINES + 1 + self.ops.len()).collect();
        Trace {
            heap_size_hint: self.peak_live,
            ids: self.sizes.len(),
            ops: self.ops,
            weight: 1,
            lines,
        }
    }
}

/// Generates a trace of exactly `ops` operations of the given kind.
///
/// Deterministic: the same arguments give the same trace everywhere, now and in later versions.
/// The trace is valid (every free and realloc is of a live block). Freed ids are used again,
/// so the number of ids stays near the number of blocks live at once. The header's suggested
/// heap size is the trace's peak live data (the sum of the sizes of the blocks live at once);
/// its weight is 1. Blocks still live at the end are left allocated.
///
/// ```
/// use brkalloc_lab::trace::{generate, parse, Kind};
///
/// let trace = generate(Kind::Coalesce, 1000, 7);
/// assert_eq!(trace.ops.len(), 1000);
/// assert_eq!(parse(&trace.to_rep_string()), Ok(trace));
/// ```
pub fn generate(kind: Kind, ops: usize, seed: u64) -> Trace {
    let mut b = Builder::new(ops, seed);
    match kind {
        Kind::Random => random(&mut b),
        Kind::SmallLarge => small_large(&mut b),
        Kind::Grow => grow(&mut b),
        Kind::Coalesce => coalesce(&mut b),
    }
    b.finish()
}

fn random(b: &mut Builder) {
    // Frees waiting for their time, soonest first.
    let mut due: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    let mut now = 0;
    while !b.full() {
        match due.peek() {
            Some(&Reverse((time, id))) if time <= now => {
                due.pop();
                b.free(id);
            }
            _ => {
                let size = if b.rng.one_in(10) {
                    b.rng.log_uniform(9, 15)
                } else {
                    b.rng.log_uniform(3, 9)
                };
                let id = b.alloc(size);
                let lifetime = b.rng.log_uniform(0, 12);
                due.push(Reverse((now + lifetime, id)));
            }
        }
        now += 1;
    }
}

fn small_large(b: &mut Builder) {
    let mut small_ids = Vec::new();
    let mut large_ids = Vec::new();
    while !b.full() {
        let pairs = b.rng.range(16, 64);
        let small = b.rng.range(8, 64);
        let large = b.rng.range(256, 1024);
        let larger = large + b.rng.range(16, 256);
        for _ in 0..pairs {
            small_ids.push(b.alloc(small));
            large_ids.push(b.alloc(large));
        }
        for id in large_ids.drain(..) {
            b.free(id);
        }
        for _ in 0..pairs {
            large_ids.push(b.alloc(larger));
        }
        for id in small_ids.drain(..).chain(large_ids.drain(..)) {
            b.free(id);
        }
    }
}

fn grow(b: &mut Builder) {
    const START_OVER: usize = 32 * 1024;
    let mut size = b.rng.range(16, 64);
    let mut grower = b.alloc(size);
    let mut others = VecDeque::new();
    while !b.full() {
        size += b.rng.range(1, 128);
        b.realloc(grower, size);
        let other = b.rng.range(8, 128);
        others.push_back(b.alloc(other));
        if others.len() > 32 || (others.len() > 4 && b.rng.one_in(3)) {
            let at = b.rng.range(0, others.len() - 1);
            if let Some(id) = others.remove(at) {
                b.free(id);
            }
        }
        if size > START_OVER {
            b.free(grower);
            size = b.rng.range(16, 64);
            grower = b.alloc(size);
        }
    }
}

fn coalesce(b: &mut Builder) {
    // Blocks kept live for a few rounds: fences between runs, and the run-sized requests.
    let mut kept = VecDeque::new();
    let mut run = Vec::new();
    while !b.full() {
        let length = b.rng.range(8, 64);
        let mut total = 0;
        for _ in 0..length {
            let size = b.rng.range(16, 256);
            total += size;
            run.push(b.alloc(size));
        }
        let fence = b.rng.range(16, 64);
        kept.push_back(b.alloc(fence));
        match b.rng.range(0, 2) {
            0 => run.iter().for_each(|&id| b.free(id)),
            1 => run.iter().rev().for_each(|&id| b.free(id)),
            _ => {
                run.iter().step_by(2).for_each(|&id| b.free(id));
                run.iter().skip(1).step_by(2).for_each(|&id| b.free(id));
            }
        }
        run.clear();
        kept.push_back(b.alloc(total));
        while kept.len() > 8 {
            if let Some(id) = kept.pop_front() {
                b.free(id);
            }
        }
    }
}
