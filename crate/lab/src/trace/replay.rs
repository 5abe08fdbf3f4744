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
//!
//! There is one replay loop, [`Replayer`]: the command line runs it to the end
//! ([`replay_with`]), the playground a chunk at a time between two frames of its progress bar.
//! Both get the same figures, samples and errors from it.

use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use serde::Serialize;

use super::error::{TraceError, TraceErrorKind};
use super::ops::{Op, Trace};
use brkalloc::{AllocError, Break, Config, FreeError, Heap, Observer, ReallocError, StartMap};

/// How to replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Fill every block's data with a pattern when it is allocated, and check the pattern is
    /// intact when it is freed or reallocated (after a realloc, on the bytes it kept). Catches
    /// an allocator that hands out overlapping blocks or loses data in `realloc`, at the price
    /// of touching every byte.
    pub fill: bool,
    /// Record a [`Sample`] every this many operations, for plots (0: none), and after the
    /// last one. Each sample walks the block chain once.
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
    /// [`utilisation`]: `peak_live / peak_extent`, 1 for a perfect allocator; 0 when the heap
    /// never grew.
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
    /// The most `live` has been so far.
    pub peak_live: usize,
    /// The most `extent` has been so far.
    pub peak_extent: usize,
    /// [`utilisation`] so far: `peak_live / peak_extent`.
    pub utilisation: f64,
    /// External fragmentation, [`Stats::fragmentation`](brkalloc::Stats::fragmentation): 1 − largest free block / all free
    /// bytes (0 when nothing is free).
    pub fragmentation: f64,
}

/// Utilisation: the most data live at once over the most bytes the heap spanned, 1 for a
/// perfect allocator; 0 when the heap never grew.
pub fn utilisation(peak_live: usize, peak_extent: usize) -> f64 {
    if peak_extent > 0 {
        peak_live as f64 / peak_extent as f64
    } else {
        0.0
    }
}

/// Why a replay stopped. The heap keeps whatever the operations before the failing one did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The trace itself is not valid (possible only for a trace built by hand: `parse` and
    /// `generate` never make one).
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
pub fn replay<B: Break, C: Config, O: Observer, M: StartMap>(
    trace: &Trace,
    heap: &mut Heap<B, C, O, M>,
) -> Result<ReplayStats, ReplayError> {
    replay_with(trace, heap, ReplayOptions::default())
}

/// Runs every operation of `trace` through the heap with a [`Replayer`], and measures it.
/// Give it a fresh heap: blocks already there count in the extent.
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
pub fn replay_with<B: Break, C: Config, O: Observer, M: StartMap>(
    trace: &Trace,
    heap: &mut Heap<B, C, O, M>,
    options: ReplayOptions,
) -> Result<ReplayStats, ReplayError> {
    let mut replayer = Replayer::new(trace, heap, options);
    replayer.step(usize::MAX)?;
    Ok(replayer.into_stats())
}

mod sealed {
    /// Only the two heap holders of this module: the replayer's safety rests on reaching the
    /// same heap every time, which a `Heap` it owns and a `&mut` borrow of such a holder both
    /// guarantee, and an arbitrary `DerefMut` would not.
    pub trait Sealed {}
}

/// Where a [`Replayer`]'s heap is: a [`Heap`] it owns (the playground keeps the replay between
/// two calls from JavaScript), or a `&mut Heap` it borrows (the command line, and
/// [`replay_with`]).
///
/// Sealed: the replayer frees blocks without looking them up, which is sound only because every
/// call reaches the same heap, and only these two holders promise that.
pub trait HeapHandle: sealed::Sealed {
    /// The heap's break.
    type Break: Break;
    /// The heap's configuration.
    type Config: Config;
    /// The heap's observer.
    type Observer: Observer;
    /// The heap's start map.
    type Map: StartMap;
    /// The heap.
    fn heap(&self) -> &Heap<Self::Break, Self::Config, Self::Observer, Self::Map>;
    /// The heap, to change.
    fn heap_mut(&mut self) -> &mut Heap<Self::Break, Self::Config, Self::Observer, Self::Map>;
}

impl<B: Break, C: Config, O: Observer, M: StartMap> sealed::Sealed for Heap<B, C, O, M> {}

impl<B: Break, C: Config, O: Observer, M: StartMap> HeapHandle for Heap<B, C, O, M> {
    type Break = B;
    type Config = C;
    type Observer = O;
    type Map = M;
    fn heap(&self) -> &Heap<B, C, O, M> {
        self
    }
    fn heap_mut(&mut self) -> &mut Heap<B, C, O, M> {
        self
    }
}

// A borrowed holder reaches the heap its referent reaches, every time.
impl<H: HeapHandle> sealed::Sealed for &mut H {}

impl<H: HeapHandle> HeapHandle for &mut H {
    type Break = H::Break;
    type Config = H::Config;
    type Observer = H::Observer;
    type Map = H::Map;
    fn heap(&self) -> &Heap<H::Break, H::Config, H::Observer, H::Map> {
        (**self).heap()
    }
    fn heap_mut(&mut self) -> &mut Heap<H::Break, H::Config, H::Observer, H::Map> {
        (**self).heap_mut()
    }
}

/// The one trace replayer: runs a trace's operations through a heap, as many at a time as
/// asked ([`step`](Replayer::step)), and measures what the heap did ([`stats`](Replayer::stats),
/// [`samples`](Replayer::samples)).
///
/// It keeps its own table of each id's live block, and so frees and reallocates with
/// [`Heap::free_live`] and [`Heap::realloc_live`]: the same outcome as the checked `free` and
/// `realloc`, without their walk of the chain to find the pointer, which would make replaying
/// a long trace quadratic. That is sound because nothing else reaches the heap while the
/// replayer holds it ([`HeapHandle`]): a playground that wants its heap back for anything else
/// takes it with [`into_heap`](Replayer::into_heap), which ends the replay.
///
/// ```
/// use brkalloc::{ArenaBreak, Heap, Options};
/// use brkalloc_lab::trace::{generate, Kind, ReplayOptions, Replayer};
/// use core::mem::MaybeUninit;
///
/// let trace = generate(Kind::Random, 1000, 7);
/// let mut buffer = vec![MaybeUninit::new(0u8); 1 << 20];
/// let heap = Heap::new(ArenaBreak::new(&mut buffer), Options::DEFAULT);
/// let options = ReplayOptions { fill: false, sample_every: 100 };
/// let mut replayer = Replayer::new(trace, heap, options);
/// while !replayer.is_finished() {
///     replayer.step(300).unwrap(); // a progress bar could move here
/// }
/// assert_eq!(replayer.samples().len(), 11, "at 0, 100, ..., 1000");
/// assert_eq!(replayer.stats().operations, 1000);
/// replayer.heap().check().unwrap();
/// ```
pub struct Replayer<H: HeapHandle, T: Borrow<Trace> = Trace> {
    trace: T,
    heap: H,
    options: ReplayOptions,
    /// Whether the trace was checked and the first sample taken (by the first `step`).
    started: bool,
    /// Each id's live block, as the heap returned it, and the size the trace asked for.
    table: Vec<Option<Block>>,
    /// Operations done so far.
    done: usize,
    allocs: usize,
    frees: usize,
    reallocs: usize,
    /// Sum of the sizes asked for by the live ids.
    live: usize,
    peak_live: usize,
    peak_extent: usize,
    samples: Vec<Sample>,
}

impl<H: HeapHandle, T: Borrow<Trace>> Replayer<H, T> {
    /// A replay of `trace` into `heap`, nothing run yet. The trace is checked by the first
    /// [`step`](Replayer::step), before anything runs.
    pub fn new(trace: T, heap: H, options: ReplayOptions) -> Self {
        let ids = trace.borrow().ops.iter().map(|op| op.id() + 1).max();
        let mut table = Vec::new();
        table.resize(ids.unwrap_or(0), None);
        let peak_extent = extent(heap.heap());
        Replayer {
            trace,
            heap,
            options,
            started: false,
            table,
            done: 0,
            allocs: 0,
            frees: 0,
            reallocs: 0,
            live: 0,
            peak_live: 0,
            peak_extent,
            samples: Vec::new(),
        }
    }

    /// Runs up to `n` more operations, and returns how many ran. Stops early at the end of the
    /// trace, or at an operation the heap refuses: that error names the operation's line, and
    /// the heap keeps what the operations before it did (stepping again retries it).
    ///
    /// The first call checks the whole trace ([`Trace::validate`]) before running anything, so
    /// an invalid trace changes nothing, and takes the first sample, of the heap before any
    /// operation. A sample is taken after every [`sample_every`](ReplayOptions::sample_every)
    /// operations and after the last.
    pub fn step(&mut self, n: usize) -> Result<usize, ReplayError> {
        if !self.started {
            self.trace
                .borrow()
                .validate()
                .map_err(ReplayError::Invalid)?;
            self.started = true;
            if self.options.sample_every > 0 {
                self.sample();
            }
        }
        let total = self.total();
        let end = self.done.saturating_add(n).min(total);
        let first = self.done;
        while self.done < end {
            self.operation()?;
            let done = self.done;
            let every = self.options.sample_every;
            if every > 0 && (done % every == 0 || done == total) {
                self.sample();
            }
        }
        Ok(self.done - first)
    }

    /// Samples every `every` operations from now on (0: no more samples).
    pub fn sample_every(&mut self, every: usize) {
        self.options.sample_every = every;
    }

    /// Operations done so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Operations in the trace.
    pub fn total(&self) -> usize {
        self.trace.borrow().ops.len()
    }

    /// Whether every operation has run.
    pub fn is_finished(&self) -> bool {
        self.done == self.total()
    }

    /// The trace being replayed.
    pub fn trace(&self) -> &Trace {
        self.trace.borrow()
    }

    /// The heap, to look at.
    pub fn heap(&self) -> &Heap<H::Break, H::Config, H::Observer, H::Map> {
        self.heap.heap()
    }

    /// The heap's observer. (The heap itself is not lent out for changes: the replayer's
    /// table of live blocks must stay true.)
    pub fn observer_mut(&mut self) -> &mut H::Observer {
        self.heap.heap_mut().observer_mut()
    }

    /// The samples taken so far, oldest first.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// What the replay measured so far, samples included.
    pub fn stats(&self) -> ReplayStats {
        ReplayStats {
            series: self.samples.clone(),
            ..self.totals()
        }
    }

    /// What the replay measured, taking the samples along.
    pub fn into_stats(mut self) -> ReplayStats {
        ReplayStats {
            series: core::mem::take(&mut self.samples),
            ..self.totals()
        }
    }

    /// Ends the replay and gives the heap back, holding what the operations so far left.
    pub fn into_heap(self) -> H {
        self.heap
    }

    /// The figures so far, without the samples.
    fn totals(&self) -> ReplayStats {
        ReplayStats {
            operations: self.done,
            allocs: self.allocs,
            frees: self.frees,
            reallocs: self.reallocs,
            peak_live: self.peak_live,
            peak_extent: self.peak_extent,
            final_live: self.live,
            final_extent: extent(self.heap.heap()),
            utilisation: utilisation(self.peak_live, self.peak_extent),
            series: Vec::new(),
        }
    }

    /// Records the heap now: one walk of the chain for its [`Stats`](brkalloc::Stats).
    fn sample(&mut self) {
        let heap = self.heap.heap();
        let stats = heap.stats();
        let extent = extent(heap);
        self.peak_extent = self.peak_extent.max(extent);
        self.samples.push(Sample {
            op: self.done,
            extent,
            live: self.live,
            peak_live: self.peak_live,
            peak_extent: self.peak_extent,
            utilisation: utilisation(self.peak_live, self.peak_extent),
            fragmentation: stats.fragmentation(),
        });
    }

    /// Runs the next operation: `alloc`, or `free_live` and `realloc_live` on the block the
    /// table holds for the id.
    fn operation(&mut self) -> Result<(), ReplayError> {
        let index = self.done;
        let trace = self.trace.borrow();
        let op = trace.ops[index];
        let line = trace.line_of(index);
        let failed = |failure| ReplayError::Failed {
            index,
            line,
            op,
            failure,
        };
        let heap = self.heap.heap_mut();
        let fill = self.options.fill;
        let id = op.id();
        // `validate` ruled out an operation on an id that holds no block; this is only a guard.
        let live_block = |table: &[Option<Block>]| {
            table
                .get(id)
                .copied()
                .flatten()
                .ok_or_else(|| not_live(op, line))
        };
        match op {
            Op::Alloc { size, .. } => {
                let ptr = heap.alloc(size).map_err(|e| failed(Failure::Alloc(e)))?;
                let block = Block { ptr, size };
                if fill {
                    block.fill(id, 0);
                }
                if id >= self.table.len() {
                    self.table.resize(id + 1, None);
                }
                self.table[id] = Some(block);
                self.live += size;
                self.allocs += 1;
            }
            Op::Free { .. } => {
                let block = live_block(&self.table)?;
                if fill {
                    block.verify(id, block.size).map_err(failed)?;
                }
                // SAFETY: `block.ptr` was returned by this heap's `alloc` or `realloc` for this
                // id, and the slot is emptied when the id is freed or refilled when a realloc
                // moves it, so a pointer in the table is a live block. Nothing else changed the
                // heap since: the replayer holds it (`HeapHandle`: owned, or borrowed `&mut`,
                // and always the same one) and lends it out only to be looked at.
                unsafe { heap.free_live(block.ptr) };
                self.table[id] = None;
                self.live -= block.size;
                self.frees += 1;
            }
            Op::Realloc { size, .. } => {
                let old = live_block(&self.table)?;
                if fill {
                    old.verify(id, old.size).map_err(failed)?;
                }
                // SAFETY: as for `free` above, a pointer in the table is a live block of this
                // heap, which nothing else changed.
                let ptr = unsafe { heap.realloc_live(old.ptr, size) }
                    .map_err(|e| failed(Failure::Realloc(ReallocError::Alloc(e))))?;
                let new = Block { ptr, size };
                if fill {
                    new.verify(id, old.size.min(size)).map_err(failed)?;
                    new.fill(id, old.size.min(size));
                }
                self.table[id] = Some(new);
                self.live = self.live - old.size + size;
                self.reallocs += 1;
            }
        }
        self.done += 1;
        self.peak_live = self.peak_live.max(self.live);
        self.peak_extent = self.peak_extent.max(extent(self.heap.heap()));
        Ok(())
    }
}

/// Bytes between the heap start and the break: two O(1) reads, cheap enough for every step.
fn extent<B: Break, C: Config, O: Observer, M: StartMap>(heap: &Heap<B, C, O, M>) -> usize {
    heap.brk().saturating_sub(heap.heap_start())
}

/// The error for an operation on an id that holds no block. [`Trace::validate`] rules this
/// out, so it is only a guard.
fn not_live(op: Op, line: usize) -> ReplayError {
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
