//! Running a [`Trace`] through a [`Heap`] and measuring how well it used its memory.
//!
//! Two numbers matter, as in the malloc lab:
//!
//! - **peak live data**: the most bytes the trace had allocated at once (the sum of the sizes
//!   asked for, by the ids live at that moment). No allocator can do with less.
//! - **peak heap extent**: the most bytes the heap ever spanned, from its start to the break,
//!   headers, rounding and free blocks included.
//!
//! Their ratio, the **utilisation**, is 1 for a perfect allocator and falls as headers,
//! rounding and fragmentation waste memory.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use serde::Serialize;

use super::{Op, Trace, TraceError, TraceErrorKind};
use brkalloc::{AllocError, Break, Config, FreeError, Heap, Observer, ReallocError};

/// How to replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Fill every block's data with a pattern when it is allocated, and check the pattern is
    /// intact when it is freed or reallocated (after a realloc, on the bytes it kept). Catches
    /// an allocator that hands out overlapping blocks or loses data in `realloc`, at the price
    /// of touching every byte.
    pub fill: bool,
    /// Record a [`Sample`] every this many operations, for plots (0: none). Each sample walks
    /// the block chain once.
    pub sample_every: usize,
}

/// What a replay measured. Sizes are in bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayStats {
    /// Operations run (all of the trace's).
    pub operations: usize,
    /// How many were `a`.
    pub allocs: usize,
    /// How many were `f`.
    pub frees: usize,
    /// How many were `r`.
    pub reallocs: usize,
    /// The most data live at once: the largest sum, over time, of the sizes asked for by the
    /// ids live at that moment.
    pub peak_live: usize,
    /// The most bytes between the heap start and the break at any time, measured after each
    /// operation. If the backend had to start a new segment, the gap between segments counts
    /// too (the native backends used for measuring never do).
    pub peak_extent: usize,
    /// Live data after the last operation.
    pub final_live: usize,
    /// Heap extent after the last operation.
    pub final_extent: usize,
    /// `peak_live / peak_extent`: 1 would be a perfect allocator; 0 when the heap never grew.
    pub utilisation: f64,
    /// Samples taken every [`ReplayOptions::sample_every`] operations: the first before any
    /// operation, the last after the final one. Empty when sampling is off.
    pub series: Vec<Sample>,
}

/// The heap at one point of a replay.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Operations done so far.
    pub op: usize,
    /// Bytes between the heap start and the break.
    pub extent: usize,
    /// Sum of the sizes asked for by the live ids.
    pub live: usize,
    /// External fragmentation: 1 − largest free block / all free bytes (0 when nothing is free).
    pub fragmentation: f64,
}

/// Why a replay stopped. The heap keeps whatever the operations before the failing one did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The trace itself is not valid (possible only for a trace built by hand: [`parse`] and
    /// [`generate`] never make one).
    ///
    /// [`parse`]: super::parse
    /// [`generate`]: super::generate
    Invalid(TraceError),
    /// An operation failed.
    Failed {
        /// The operation's position in the trace, from 0.
        index: usize,
        /// Its line in the trace file.
        line: usize,
        /// The operation.
        op: Op,
        /// What went wrong.
        failure: Failure,
    },
}

impl ReplayError {
    /// The line of the trace the error is about.
    pub fn line(&self) -> usize {
        match self {
            ReplayError::Invalid(e) => e.line,
            ReplayError::Failed { line, .. } => *line,
        }
    }
}

/// What went wrong with one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The heap refused the allocation (out of memory, most often).
    Alloc(AllocError),
    /// The heap refused to free the block. (The replays in this crate free only blocks their
    /// table holds as live, so they never report it.)
    Free(FreeError),
    /// The heap refused the realloc.
    Realloc(ReallocError),
    /// The block's data was not what the replay wrote into it ([`ReplayOptions::fill`]).
    Corrupted {
        /// Offset of the first wrong byte in the block's data.
        offset: usize,
        /// The byte written there.
        expected: u8,
        /// The byte found.
        found: u8,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Alloc(e) => e.fmt(f),
            Failure::Free(e) => e.fmt(f),
            Failure::Realloc(e) => e.fmt(f),
            Failure::Corrupted {
                offset,
                expected,
                found,
            } => write!(
                f,
                "the block's data changed while it was allocated: byte {offset} holds \
                 0x{found:02x}, but 0x{expected:02x} was written there"
            ),
        }
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Invalid(e) => write!(f, "the trace is not valid: {e}"),
            ReplayError::Failed {
                line, op, failure, ..
            } => write!(f, "line {line} (`{op}`): {failure}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Replays `trace` into `heap` with the default [`ReplayOptions`] (no pattern, no samples).
/// See [`replay_with`].
pub fn replay<B: Break, C: Config, O: Observer>(
    trace: &Trace,
    heap: &mut Heap<B, C, O>,
) -> Result<ReplayStats, ReplayError> {
    replay_with(trace, heap, ReplayOptions::default())
}

/// Runs every operation of `trace` through the heap, and measures it. Give it a fresh heap:
/// blocks already there count in the extent.
///
/// The replay keeps its own table of each id's live block and refuses an operation on an id
/// that holds none before touching the heap, so it frees and reallocates with
/// [`Heap::free_live`] and [`Heap::realloc_live`]: the same outcome as the checked `free` and
/// `realloc`, without their walk of the chain to find the pointer, which would make replaying a
/// long trace quadratic.
///
/// The trace is checked first ([`Trace::validate`]), so an invalid one changes nothing. An
/// operation the heap refuses (out of memory, most often) stops the replay with an error
/// naming that operation's line; the heap then holds what the earlier operations left, and so
/// does it after a successful replay: blocks still live at the end stay allocated.
///
/// ```
/// use brkalloc::{ArenaBreak, Heap, Options};
/// use brkalloc_lab::trace::{parse, replay};
/// use core::mem::MaybeUninit;
///
/// let trace = parse("0\n2\n4\n1\na 0 100\na 1 50\nf 0\nf 1\n").unwrap();
/// let mut buffer = [MaybeUninit::new(0u8); 4096];
/// let mut heap = Heap::new(ArenaBreak::new(&mut buffer), Options::DEFAULT);
/// let stats = replay(&trace, &mut heap).unwrap();
/// assert_eq!(stats.peak_live, 150);
/// assert!(stats.utilisation > 0.5 && stats.utilisation <= 1.0);
/// ```
pub fn replay_with<B: Break, C: Config, O: Observer>(
    trace: &Trace,
    heap: &mut Heap<B, C, O>,
    options: ReplayOptions,
) -> Result<ReplayStats, ReplayError> {
    trace.validate().map_err(ReplayError::Invalid)?;
    let table = trace.ops.iter().map(|op| op.id() + 1).max().unwrap_or(0);
    let mut blocks: Vec<Option<Block>> = vec![None; table];
    let mut stats = ReplayStats {
        operations: 0,
        allocs: 0,
        frees: 0,
        reallocs: 0,
        peak_live: 0,
        peak_extent: 0,
        final_live: 0,
        final_extent: extent(heap),
        utilisation: 0.0,
        series: Vec::new(),
    };
    stats.peak_extent = stats.final_extent;
    let mut live = 0usize;
    if options.sample_every > 0 {
        stats.series.push(sample(heap, 0, live));
    }

    for (index, &op) in trace.ops.iter().enumerate() {
        let line = trace.line_of(index);
        let failed = |failure| ReplayError::Failed {
            index,
            line,
            op,
            failure,
        };
        let slot = &mut blocks[op.id()];
        match op {
            Op::Alloc { id, size } => {
                let ptr = heap.alloc(size).map_err(|e| failed(Failure::Alloc(e)))?;
                let block = Block { ptr, size };
                if options.fill {
                    block.fill(id, 0);
                }
                *slot = Some(block);
                live += size;
                stats.allocs += 1;
            }
            Op::Free { id } => {
                let block = slot.ok_or_else(|| not_live(op, line))?;
                if options.fill {
                    block.verify(id, block.size).map_err(failed)?;
                }
                // SAFETY: `block.ptr` was returned by this heap's `alloc` or `realloc` for this
                // id, and the slot is emptied when the id is freed or refilled when a realloc
                // moves it, so a pointer in a slot is a live block. Only this loop changes the
                // heap while it runs (it holds `&mut heap`).
                unsafe { heap.free_live(block.ptr) };
                *slot = None;
                live -= block.size;
                stats.frees += 1;
            }
            Op::Realloc { id, size } => {
                let old = slot.ok_or_else(|| not_live(op, line))?;
                if options.fill {
                    old.verify(id, old.size).map_err(failed)?;
                }
                // SAFETY: as for `free` above, a pointer in a slot is a live block of `heap`.
                let ptr = unsafe { heap.realloc_live(old.ptr, size) }
                    .map_err(|e| failed(Failure::Realloc(ReallocError::Alloc(e))))?;
                let new = Block { ptr, size };
                if options.fill {
                    new.verify(id, old.size.min(size)).map_err(failed)?;
                    new.fill(id, old.size.min(size));
                }
                *slot = Some(new);
                live = live - old.size + size;
                stats.reallocs += 1;
            }
        }
        stats.operations += 1;
        stats.peak_live = stats.peak_live.max(live);
        stats.peak_extent = stats.peak_extent.max(extent(heap));
        let done = index + 1;
        if options.sample_every > 0 && (done % options.sample_every == 0 || done == trace.ops.len())
        {
            stats.series.push(sample(heap, done, live));
        }
    }

    stats.final_live = live;
    stats.final_extent = extent(heap);
    if stats.peak_extent > 0 {
        stats.utilisation = stats.peak_live as f64 / stats.peak_extent as f64;
    }
    Ok(stats)
}

/// Bytes between the heap start and the break: two O(1) reads, cheap enough for every step.
fn extent<B: Break, C: Config, O: Observer>(heap: &Heap<B, C, O>) -> usize {
    heap.brk().saturating_sub(heap.heap_start())
}

/// Walks the chain once to measure fragmentation.
fn sample<B: Break, C: Config, O: Observer>(
    heap: &Heap<B, C, O>,
    op: usize,
    live: usize,
) -> Sample {
    let (mut free, mut largest) = (0usize, 0usize);
    for block in heap.blocks().filter(|b| b.free) {
        free += block.size;
        largest = largest.max(block.size);
    }
    Sample {
        op,
        extent: extent(heap),
        live,
        fragmentation: if free == 0 {
            0.0
        } else {
            1.0 - largest as f64 / free as f64
        },
    }
}

/// The error for an operation on an id that holds no block. [`Trace::validate`] rules this
/// out, so it is only a guard.
pub(crate) fn not_live(op: Op, line: usize) -> ReplayError {
    ReplayError::Invalid(TraceError {
        line,
        column: None,
        kind: TraceErrorKind::NeverAllocated {
            op: op.letter(),
            id: op.id(),
        },
    })
}

/// The byte the pattern puts at `offset` in the data of block `id`. It depends on the id, so
/// two blocks that overlap disagree, and on the offset, so data moved by a wrong amount is
/// caught.
fn pattern(id: usize, offset: usize) -> u8 {
    let tag = ((id as u32).wrapping_mul(0x9e37_79b9) >> 24) as u8;
    tag.wrapping_add(offset as u8) ^ (offset >> 8) as u8
}

/// Finds the first byte of `data` that differs from the pattern of block `id`.
fn check_pattern(data: &[u8], id: usize) -> Result<(), Failure> {
    match data
        .iter()
        .enumerate()
        .find(|&(offset, &byte)| byte != pattern(id, offset))
    {
        None => Ok(()),
        Some((offset, &found)) => Err(Failure::Corrupted {
            offset,
            expected: pattern(id, offset),
            found,
        }),
    }
}

/// A live block of the replay: where the heap put it and the size the trace asked for.
#[derive(Clone, Copy)]
struct Block {
    ptr: NonNull<u8>,
    size: usize,
}

impl Block {
    /// Writes the pattern of block `id` into the data from `from` to the end.
    fn fill(&self, id: usize, from: usize) {
        // SAFETY: `ptr` was returned by the heap's `alloc` or `realloc` for `size` bytes and
        // has not been freed since (a block leaves its slot when it is freed or moved), so its
        // `size` bytes are valid for writes and no one else uses them. They may be
        // uninitialised, hence `MaybeUninit`.
        let data = unsafe {
            core::slice::from_raw_parts_mut(self.ptr.as_ptr().cast::<MaybeUninit<u8>>(), self.size)
        };
        for (offset, byte) in data.iter_mut().enumerate().skip(from) {
            byte.write(pattern(id, offset));
        }
    }

    /// Checks the pattern of block `id` over the first `len` bytes, which [`Block::fill`] (or
    /// a `realloc` copying filled bytes) initialised.
    fn verify(&self, id: usize, len: usize) -> Result<(), Failure> {
        debug_assert!(len <= self.size);
        // SAFETY: as in `fill`, the block's bytes are ours and valid for `size >= len` bytes;
        // the first `len` were written by `fill` (directly, or before `realloc` copied them)
        // when filling is on, which is the only time this is called.
        let data = unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), len.min(self.size)) };
        check_pattern(data, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_pattern_accepts_the_pattern_and_names_the_first_wrong_byte() {
        let mut data: Vec<u8> = (0..600).map(|i| pattern(7, i)).collect();
        assert_eq!(check_pattern(&data, 7), Ok(()));
        data[300] ^= 1;
        data[400] ^= 1;
        assert_eq!(
            check_pattern(&data, 7),
            Err(Failure::Corrupted {
                offset: 300,
                expected: pattern(7, 300),
                found: pattern(7, 300) ^ 1,
            })
        );
    }

    #[test]
    fn pattern_differs_between_ids_and_after_a_shift() {
        let a: Vec<u8> = (0..512).map(|i| pattern(1, i)).collect();
        let b: Vec<u8> = (0..512).map(|i| pattern(2, i)).collect();
        assert!(check_pattern(&b, 1).is_err());
        assert!(
            check_pattern(&a[256..], 1).is_err(),
            "a shift by 256 is caught"
        );
        assert!(check_pattern(&a[1..], 1).is_err());
    }
}
