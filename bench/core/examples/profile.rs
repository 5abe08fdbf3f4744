//! Runs one workload on one allocator over and over, natively, for a profiler:
//!
//! ```text
//! cargo build --release --manifest-path bench/Cargo.toml -p bench-core --example profile
//! perf record -g bench/target/release/examples/profile segregated trace-coalesce 200
//! ```
//!
//! Allocators: first-fit, next-fit, best-fit, worst-fit, segregated, grow-only (the segregated
//! policy whose break only rises, as on WebAssembly), dlmalloc, talc, and the
//! segregated policy through run-time `Options` (segregated-options), without trimming
//! (segregated-no-trim) or without splitting (segregated-no-split), and segregated-events, which
//! counts what the heap did per operation. segregated-map is segregated-options keeping a
//! `StartBits` map of header starts up to date (its upkeep is the difference);
//! segregated-checked and segregated-map-checked free and reallocate through the checked calls,
//! without and with the map.
//! Workloads: random, random+realloc, trace-random, trace-small-large, trace-grow,
//! trace-coalesce, stack (100 rounds of the benchmark's stack workload per rep), scaling-N (N
//! live blocks, then free+malloc pairs), lifo-N (N blocks, then freed in the reverse order of
//! their allocation, the way a stack unwinds).

use std::time::Instant;

use bench_core::adapters::{Brkalloc, Dlmalloc, TalcAlloc};
use bench_core::rng::Rng;
use bench_core::workload::{self, encode, Slot, Tally, OP_ALLOC, OP_FREE, OP_REALLOC};
use bench_core::BenchAlloc;
use brkalloc::brk::FakePages;
use brkalloc::{
    Event, GrowOnlyConfig, Observer, Options, Policy, SegregatedConfig, StartBits, StartMap, ALIGN,
};
use brkalloc_lab::trace::{generate, Kind, Op};
use talc::DefaultBinning;

/// The runner's trace seed and size, so the traces are the benchmark's own.
const TRACE_SEED: u64 = 0xb1ca_110c;
const TRACE_OPS: usize = 100_000;
const SEED: u64 = 0x5eed_b4ea;

fn encoded(kind: Kind) -> Vec<u32> {
    generate(kind, TRACE_OPS, TRACE_SEED)
        .ops
        .iter()
        .flat_map(|op| match *op {
            Op::Alloc { id, size } => encode(OP_ALLOC, id as u32, size as u32),
            Op::Free { id } => encode(OP_FREE, id as u32, 0),
            Op::Realloc { id, size } => encode(OP_REALLOC, id as u32, size as u32),
        })
        .collect()
}

/// Counts the heap's events by kind (the variant's name, so new kinds are counted too).
#[derive(Default)]
struct Counts(std::collections::BTreeMap<String, u64>);

impl Observer for Counts {
    fn event(&mut self, e: Event) {
        let name = format!("{e:?}");
        let kind = name.split([' ', '{', '(']).next().unwrap_or_default();
        *self.0.entry(kind.to_string()).or_default() += 1;
    }
}

/// A brkalloc heap freed and reallocated through its checked `free` and `realloc`, which find
/// each pointer's block through the heap's start map, or by walking the chain without one.
struct Checked<S: StartMap>(Brkalloc<FakePages<'static, 65536>, Options, (), S>);

impl<S: StartMap> BenchAlloc for Checked<S> {
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: the caller's guarantee is the inner allocator's.
        unsafe { self.0.alloc(size, align) }
    }

    unsafe fn free(&mut self, ptr: *mut u8, _size: usize, _align: usize) {
        self.0.heap_mut().free(ptr).expect("a live block");
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, size: usize, align: usize, new: usize) -> *mut u8 {
        if align > ALIGN {
            // The checked realloc keeps ALIGN only.
            // SAFETY: the caller's guarantee is the inner allocator's.
            return unsafe { self.0.realloc(ptr, size, align, new) };
        }
        self.0
            .heap_mut()
            .realloc(ptr, new)
            .map_or(std::ptr::null_mut(), std::ptr::NonNull::as_ptr)
    }

    fn peak_extent(&mut self) -> Option<usize> {
        self.0.peak_extent()
    }

    fn footprint(&mut self) -> Option<usize> {
        self.0.footprint()
    }
}

/// Runs the workload; gives the allocator and the tally back.
fn run<A: BenchAlloc>(mut a: A, workload: &str, reps: usize) -> (A, Tally) {
    let mut slots = vec![Slot::EMPTY; 1 << 17];
    let mut len = 0;
    let mut t = Tally::default();
    let trace = workload
        .strip_prefix("trace-")
        .map(|k| encoded(Kind::from_name(k).unwrap_or_else(|| panic!("no trace kind {k}"))));
    let scaling: Option<usize> = workload
        .strip_prefix("scaling-")
        .map(|n| n.parse().expect("scaling-N"));
    let lifo: Option<usize> = workload
        .strip_prefix("lifo-")
        .map(|n| n.parse().expect("lifo-N"));
    if let Some(n) = lifo {
        // SAFETY: the table only ever holds blocks of `a`; slots are freed from the last down.
        unsafe {
            workload::fill(&mut a, &mut slots, &mut len, n, &mut Rng::new(SEED), &mut t);
            let start = Instant::now();
            for i in (0..len).rev() {
                let s = slots[i];
                a.free(s.ptr(), s.size(), s.align());
            }
            let s = start.elapsed().as_secs_f64();
            println!(
                "{workload}: {:.1} ns per free, in reverse order of allocation",
                s * 1e9 / n as f64
            );
        }
        return (a, t);
    }
    let start = Instant::now();
    // SAFETY: the table only ever holds blocks of `a`.
    unsafe {
        if let Some(n) = scaling {
            workload::fill(&mut a, &mut slots, &mut len, n, &mut Rng::new(SEED), &mut t);
            let mut rng = Rng::new(SEED + 1);
            workload::churn(
                &mut a,
                &mut slots,
                &mut len,
                10_000 * reps as u64,
                &mut rng,
                &mut t,
            );
        } else {
            for _ in 0..reps {
                match (&trace, workload) {
                    (Some(words), _) => workload::replay(&mut a, &mut slots, words, &mut t),
                    (None, "random") | (None, "random+realloc") => {
                        let realloc = workload == "random+realloc";
                        let mut rng = Rng::new(SEED);
                        workload::random_actions(
                            &mut a, &mut slots, &mut len, 100_000, realloc, &mut rng, &mut t,
                        );
                    }
                    (None, "stack") => workload::stack(
                        &mut a,
                        &mut slots,
                        &mut len,
                        100,
                        &mut Rng::new(SEED),
                        &mut t,
                    ),
                    _ => panic!("unknown workload {workload}"),
                }
                workload::release_ids(&mut a, &mut slots, &mut t);
                len = 0;
            }
        }
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "{workload}: {} operations in {s:.3} s: {:.2} per µs; {} refused, {} damaged",
        t.actions,
        t.actions as f64 / s / 1e6,
        t.failed,
        t.corrupted
    );
    (a, t)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(allocator), Some(workload)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: profile ALLOCATOR WORKLOAD [REPS]");
        std::process::exit(2);
    };
    let reps = args
        .get(3)
        .map_or(50, |r| r.parse().expect("REPS is a number"));
    // 256 MiB of fake wasm pages per allocator; the profile runs once, so the buffers are left
    // to the process's end.
    let pages = || {
        let buffer = vec![core::mem::MaybeUninit::<u8>::uninit(); 4096 * 65536].leak();
        FakePages::<65536>::new(buffer)
    };
    // The fake pages and a start map over all of them: one bit per ALIGN bytes.
    let pages_and_map = || {
        let len = 4096 * 65536;
        let buffer = vec![core::mem::MaybeUninit::<u8>::uninit(); len].leak();
        let words = vec![0usize; len / ALIGN / usize::BITS as usize + 1].leak();
        let map = StartBits::new(words, buffer.as_ptr() as usize);
        (FakePages::<65536>::new(buffer), map)
    };
    let policy = |p| Brkalloc::new(pages(), Options::with_policy(p));
    let segregated = Options::with_policy(Policy::Segregated);
    match allocator.as_str() {
        "first-fit" => drop(run(policy(Policy::FirstFit), workload, reps)),
        "next-fit" => drop(run(policy(Policy::NextFit), workload, reps)),
        "best-fit" => drop(run(policy(Policy::BestFit), workload, reps)),
        "worst-fit" => drop(run(policy(Policy::WorstFit), workload, reps)),
        "segregated" => drop(run(
            Brkalloc::new(pages(), SegregatedConfig),
            workload,
            reps,
        )),
        // WebAssembly's configuration: the break only ever rises.
        "grow-only" => drop(run(Brkalloc::new(pages(), GrowOnlyConfig), workload, reps)),
        // The segregated policy through run-time options, and with one option off.
        "segregated-options" => drop(run(Brkalloc::new(pages(), segregated), workload, reps)),
        "segregated-map" => {
            let (pages, map) = pages_and_map();
            drop(run(
                Brkalloc::with_map(pages, segregated, map),
                workload,
                reps,
            ));
        }
        "segregated-checked" => drop(run(
            Checked(Brkalloc::with_map(pages(), segregated, ())),
            workload,
            reps,
        )),
        "segregated-map-checked" => {
            let (pages, map) = pages_and_map();
            let (a, _) = run(
                Checked(Brkalloc::with_map(pages, segregated, map)),
                workload,
                reps,
            );
            a.0.heap().check().expect("a sound heap");
        }
        "segregated-no-trim" => {
            let o = Options {
                trim: false,
                ..segregated
            };
            drop(run(Brkalloc::new(pages(), o), workload, reps));
        }
        "segregated-no-split" => {
            let o = Options {
                split: false,
                ..segregated
            };
            drop(run(Brkalloc::new(pages(), o), workload, reps));
        }
        "segregated-events" => {
            let a = Brkalloc::with_observer(pages(), SegregatedConfig, Counts::default());
            let (a, t) = run(a, workload, reps);
            println!("events per operation:");
            for (kind, n) in &a.heap().observer().0 {
                println!("  {kind:>16}: {:.3}", *n as f64 / t.actions as f64);
            }
        }
        "dlmalloc" => drop(run(Dlmalloc::new(pages()), workload, reps)),
        "talc" => drop(run(
            TalcAlloc::<_, DefaultBinning>::new(pages()),
            workload,
            reps,
        )),
        other => {
            eprintln!("unknown allocator {other}");
            std::process::exit(2);
        }
    }
}
