//! The native half: the same workloads as the wasm module, run in this process on every
//! allocator, the system's included, each over its own [`MmapPages`].

use std::alloc::System;
use std::time::Instant;

use bench_core::adapters::{Brkalloc, Dlmalloc, TalcAlloc};
use bench_core::rng::Rng;
use bench_core::workload::{self, Slot, Tally};
use bench_core::{global, BenchAlloc};
use brkalloc::{Options, Policy, SegregatedConfig};
use talc::DefaultBinning;

use crate::measure::{ScalingRun, Settings, Throughput, SLOTS};
use crate::pages::MmapPages;

/// The allocators measured natively. lol_alloc is missing: it grows memory only on wasm32.
pub const SUBJECTS: [&str; 8] = [
    "first-fit",
    "next-fit",
    "best-fit",
    "worst-fit",
    "segregated",
    "dlmalloc",
    "talc",
    "system",
];

/// Address space reserved for each allocator.
const RESERVE: usize = 1 << 30;

/// The C library's `malloc`, through Rust's `System` allocator. It says nothing about the
/// memory it holds.
struct SystemAlloc;

impl BenchAlloc for SystemAlloc {
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `BenchAlloc::alloc`'s conditions.
        unsafe { global::alloc(&System, size, align) }
    }

    #[inline]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: the caller guarantees `BenchAlloc::free`'s conditions.
        unsafe { global::free(&System, ptr, size, align) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees `BenchAlloc::realloc`'s conditions.
        unsafe { global::realloc(&System, ptr, size, align, new_size) }
    }

    fn peak_extent(&mut self) -> Option<usize> {
        None
    }

    fn footprint(&mut self) -> Option<usize> {
        None
    }
}

/// One allocator with its block table: what the wasm module's exports do, as methods.
trait Job {
    fn seed(&mut self, seed: u64);
    fn random(&mut self, actions: u32, realloc: bool);
    fn stack(&mut self, rounds: u32);
    fn replay(&mut self, words: &[u32]);
    fn fill(&mut self, target: usize);
    fn churn(&mut self, pairs: u64);
    fn release(&mut self);
    fn tally(&self) -> Tally;
    fn live_blocks(&self) -> usize;
    fn peak_extent(&mut self) -> Option<usize>;
    fn footprint(&mut self) -> Option<usize>;
}

struct Subject<A: BenchAlloc> {
    a: A,
    slots: Vec<Slot>,
    len: usize,
    tally: Tally,
    rng: Rng,
}

impl<A: BenchAlloc> Subject<A> {
    fn boxed(a: A) -> Box<dyn Job>
    where
        A: 'static,
    {
        Box::new(Subject {
            a,
            slots: vec![Slot::EMPTY; SLOTS],
            len: 0,
            tally: Tally::default(),
            rng: Rng::new(0),
        })
    }
}

// SAFETY (every method): the block table only ever holds blocks of `self.a`, which nothing else
// allocates from.
impl<A: BenchAlloc> Job for Subject<A> {
    fn seed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }

    fn random(&mut self, actions: u32, realloc: bool) {
        // SAFETY: see the impl.
        unsafe {
            workload::random_actions(
                &mut self.a,
                &mut self.slots,
                &mut self.len,
                u64::from(actions),
                realloc,
                &mut self.rng,
                &mut self.tally,
            )
        }
    }

    fn stack(&mut self, rounds: u32) {
        // SAFETY: see the impl.
        unsafe {
            workload::stack(
                &mut self.a,
                &mut self.slots,
                &mut self.len,
                rounds,
                &mut self.rng,
                &mut self.tally,
            )
        }
    }

    fn replay(&mut self, words: &[u32]) {
        // SAFETY: see the impl.
        unsafe { workload::replay(&mut self.a, &mut self.slots, words, &mut self.tally) }
    }

    fn fill(&mut self, target: usize) {
        // SAFETY: see the impl.
        unsafe {
            workload::fill(
                &mut self.a,
                &mut self.slots,
                &mut self.len,
                target,
                &mut self.rng,
                &mut self.tally,
            )
        }
    }

    fn churn(&mut self, pairs: u64) {
        // SAFETY: see the impl.
        unsafe {
            workload::churn(
                &mut self.a,
                &mut self.slots,
                &mut self.len,
                pairs,
                &mut self.rng,
                &mut self.tally,
            )
        }
    }

    fn release(&mut self) {
        // SAFETY: see the impl.
        unsafe { workload::release_ids(&mut self.a, &mut self.slots, &mut self.tally) };
        self.len = 0;
    }

    fn tally(&self) -> Tally {
        self.tally
    }

    fn live_blocks(&self) -> usize {
        self.len
    }

    fn peak_extent(&mut self) -> Option<usize> {
        self.a.peak_extent()
    }

    fn footprint(&mut self) -> Option<usize> {
        self.a.footprint()
    }
}

/// A fresh allocator by name, over its own pages.
fn subject(name: &str) -> Result<Box<dyn Job>, String> {
    let pages = || MmapPages::reserve(RESERVE).map_err(|e| format!("mmap failed: {e}"));
    let policy = |p| -> Result<Box<dyn Job>, String> {
        Ok(Subject::boxed(Brkalloc::new(
            pages()?,
            Options::with_policy(p),
        )))
    };
    match name {
        "first-fit" => policy(Policy::FirstFit),
        "next-fit" => policy(Policy::NextFit),
        "best-fit" => policy(Policy::BestFit),
        "worst-fit" => policy(Policy::WorstFit),
        "segregated" => Ok(Subject::boxed(Brkalloc::new(pages()?, SegregatedConfig))),
        "dlmalloc" => Ok(Subject::boxed(Dlmalloc::new(pages()?))),
        "talc" => Ok(Subject::boxed(
            TalcAlloc::<_, DefaultBinning>::new(pages()?),
        )),
        "system" => Ok(Subject::boxed(SystemAlloc)),
        _ => Err(format!("unknown allocator {name}")),
    }
}

/// Milliseconds `f` takes.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e3
}

/// What a throughput run does once: random actions or a trace replay.
pub enum Once<'a> {
    /// Random actions.
    Random {
        /// Operations.
        actions: u32,
        /// With realloc.
        realloc: bool,
    },
    /// The stack workload, this many rounds.
    Stack(u32),
    /// Replay these encoded operations.
    Trace(&'a [u32]),
}

struct Running {
    job: Box<dyn Job>,
    out: Throughput,
    total: f64,
    min_reps: usize,
}

/// One run from an empty heap, chunk by chunk: the time of each chunk, in milliseconds. The
/// blocks are released afterwards, untimed.
fn run_chunks(job: &mut dyn Job, once: &Once<'_>, s: &Settings) -> Vec<f64> {
    job.seed(crate::measure::SEED);
    let ms = match *once {
        Once::Random { actions, realloc } => {
            let mut ms = Vec::new();
            let mut done = 0;
            while done < actions {
                let n = s.chunk_actions.min(actions - done);
                ms.push(time(|| job.random(n, realloc)));
                done += n;
            }
            ms
        }
        Once::Stack(rounds) => (0..rounds).map(|_| time(|| job.stack(1))).collect(),
        Once::Trace(words) => words
            .chunks(2 * s.chunk_ops)
            .map(|chunk| time(|| job.replay(chunk)))
            .collect(),
    };
    job.release();
    ms
}

/// Runs one throughput workload on every allocator in `names`: a first run each on a fresh heap
/// (the memory figures), then timed runs in turns (see `run.mjs`, which does the same in wasm).
pub fn throughput(
    names: &[&str],
    once: &Once<'_>,
    s: &Settings,
) -> Vec<Result<Throughput, String>> {
    let mut jobs: Vec<Result<Running, String>> = names
        .iter()
        .map(|name| {
            let mut job = subject(name)?;
            let before = job.tally().actions;
            job.seed(crate::measure::SEED);
            let first = time(|| match *once {
                Once::Random { actions, realloc } => job.random(actions, realloc),
                Once::Stack(rounds) => job.stack(rounds),
                Once::Trace(words) => job.replay(words),
            });
            let t = job.tally();
            let out = Throughput {
                actions_per_rep: (t.actions - before) as f64,
                peak_live: t.peak_live as f64,
                peak_extent: job.peak_extent().map_or(-1.0, |b| b as f64),
                footprint: job.footprint().map_or(-1.0, |b| b as f64),
                ..Throughput::default()
            };
            job.release();
            Ok(Running {
                job,
                out,
                total: 0.0,
                min_reps: if first > s.budget_ms { 1 } else { 3 },
            })
        })
        .collect();
    loop {
        let mut any = false;
        for r in jobs.iter_mut().flatten() {
            let reps = r.out.rep_ms.len();
            if reps >= s.max_reps || (r.total >= s.budget_ms && reps >= r.min_reps) {
                continue;
            }
            any = true;
            let ms = run_chunks(r.job.as_mut(), once, s);
            if r.out.best_chunk_ms.is_empty() {
                r.out.best_chunk_ms = ms.clone();
            }
            for (best, m) in r.out.best_chunk_ms.iter_mut().zip(&ms) {
                *best = best.min(*m);
            }
            let sum: f64 = ms.iter().sum();
            r.out.rep_ms.push(sum);
            r.total += sum;
        }
        if !any {
            break;
        }
    }
    jobs.into_iter()
        .map(|r| {
            r.map(|r| {
                let t = r.job.tally();
                Throughput {
                    failed: t.failed as f64,
                    corrupted: t.corrupted as f64,
                    ..r.out
                }
            })
        })
        .collect()
}

/// Free+malloc pairs in a batch that takes about `target_ms`, from one that took `ms`.
pub fn batch_size(pairs: u64, ms: f64, target_ms: f64) -> u64 {
    let per_pair = ms.max(1e-6) / pairs as f64;
    ((target_ms / per_pair) as u64).clamp(10, 1_000_000)
}

/// Pairs in the warm-up batch that sizes the timed ones.
pub const WARM_PAIRS: u64 = 200;

/// Scaling at `live` blocks for every allocator in `names`: fill, a warm-up batch that sizes
/// the timed ones, then timed batches in turns.
pub fn scaling(names: &[&str], live: usize, s: &Settings) -> Vec<Result<ScalingRun, String>> {
    /// A job, its result so far, and the time its batches took.
    type Scaling = (Box<dyn Job>, ScalingRun, f64);
    let mut jobs: Vec<Result<Scaling, String>> = names
        .iter()
        .map(|name| {
            let mut job = subject(name)?;
            job.seed(crate::measure::SEED);
            let fill_ms = time(|| job.fill(live));
            let warm = time(|| job.churn(WARM_PAIRS));
            let out = ScalingRun {
                live: job.live_blocks() as f64,
                fill_ms,
                batch: batch_size(WARM_PAIRS, warm, s.batch_ms) as f64,
                ..ScalingRun::default()
            };
            Ok((job, out, 0.0))
        })
        .collect();
    loop {
        let mut any = false;
        for (job, out, total) in jobs.iter_mut().flatten() {
            let n = out.batch_ms.len();
            if n >= s.max_batches || (*total >= s.scaling_budget_ms && n >= 2) {
                continue;
            }
            any = true;
            let ms = time(|| job.churn(out.batch as u64));
            out.batch_ms.push(ms);
            *total += ms;
        }
        if !any {
            break;
        }
    }
    jobs.into_iter()
        .map(|r| {
            r.map(|(job, out, _)| {
                let t = job.tally();
                ScalingRun {
                    failed: t.failed as f64,
                    corrupted: t.corrupted as f64,
                    ..out
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_native_allocator_runs_a_short_workload_cleanly() {
        let s = Settings::quick();
        let results = throughput(
            &SUBJECTS,
            &Once::Random {
                actions: 2000,
                realloc: true,
            },
            &s,
        );
        for (name, r) in SUBJECTS.iter().zip(results) {
            let t = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.actions_per_rep, 2000.0, "{name}");
            assert_eq!((t.failed, t.corrupted), (0.0, 0.0), "{name}");
            assert!(!t.rep_ms.is_empty(), "{name}");
            // 2,000 actions in chunks of 2,000 (the quick settings): one chunk.
            assert_eq!(t.best_chunk_ms.len(), 1, "{name}");
            if *name != "system" {
                assert!(t.peak_extent >= t.peak_live, "{name}");
            }
        }
    }

    #[test]
    fn scaling_reaches_the_live_count_it_asks_for() {
        let s = Settings::quick();
        for r in scaling(&["segregated", "dlmalloc"], 500, &s) {
            let r = r.unwrap();
            assert_eq!(r.live, 500.0);
            assert!(r.ns_per_op().is_some());
        }
    }

    #[test]
    fn batches_are_sized_to_the_target_time() {
        assert_eq!(batch_size(200, 1.0, 5.0), 1000);
        assert_eq!(batch_size(200, 1000.0, 5.0), 10);
    }
}
