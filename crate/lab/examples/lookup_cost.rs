//! What finding a pointer's block costs when a trace is replayed: the same trace run three ways
//! on the same kind of heap (an arena, the segregated policy with every option of
//! [`Options::with_policy`]), each timed as the fastest of five runs.
//!
//! - `replayer`: the lab's [`Replayer`](brkalloc_lab::trace::Replayer), which keeps a table
//!   of live blocks and frees with the unsafe `free_live` and `realloc_live` (no lookup at all),
//!   and measures the heap after each operation, on a heap without a map and on one that
//!   keeps a [`StartBitVec`] up to date (as the playground's does);
//! - `free_live`: the loop below, with `free_live` and `realloc_live`: no lookup;
//! - `checked + map`: the checked `free` and `realloc` on a heap with a [`StartBitVec`];
//! - `checked, no map`: the checked calls on a heap without one, which walk the chain on every
//!   free; stopped after `CAP` operations, since the walk makes the whole replay quadratic.
//!
//! KIND is a generated trace's (`random`, `coalesce`, `grow`, `small-large`: a few hundred
//! blocks live, so a walk is short), or `many`: OPS/2 blocks of 32 bytes allocated, then freed
//! in a random order, so that a walk crosses thousands of blocks.
//!
//! ```text
//! cargo run --release -p brkalloc-lab --example lookup_cost -- [OPS] [KIND] [CAP]
//! ```

use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::time::Instant;

use brkalloc::{ArenaBreak, Heap, Options, Policy, StartMap};
use brkalloc_lab::rng::Rng;
use brkalloc_lab::starts::StartBitVec;
use brkalloc_lab::trace::{generate, parse, replay_with, Kind, Op, ReplayOptions, Trace};

/// `ops / 2` blocks allocated, then freed in a random order.
fn many(ops: usize) -> Trace {
    let n = ops / 2;
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(1);
    for i in (1..n).rev() {
        order.swap(i, rng.upto(i));
    }
    let mut text = format!("0\n{n}\n{}\n1\n", 2 * n);
    text.extend((0..n).map(|id| format!("a {id} 32\n")));
    text.extend(order.iter().map(|id| format!("f {id}\n")));
    parse(&text).expect("a valid trace")
}

/// The fastest of five runs of `run`, in milliseconds, and what the last one returned.
fn fastest<T>(mut run: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        let r = run();
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        out = Some(r);
    }
    (best, out.expect("five runs"))
}

/// Runs the first `cap` operations of `trace` through the checked calls, or with `live`
/// through `free_live` and `realloc_live`; returns how many ran.
fn checked<M: StartMap>(
    trace: &Trace,
    heap: &mut Heap<ArenaBreak<'_>, Options, (), M>,
    cap: usize,
    live: bool,
) -> usize {
    let mut table: Vec<Option<NonNull<u8>>> = Vec::new();
    let mut done = 0;
    for op in trace.ops.iter().take(cap) {
        match *op {
            Op::Alloc { id, size } => {
                if id >= table.len() {
                    table.resize(id + 1, None);
                }
                table[id] = Some(heap.alloc(size).expect("alloc"));
            }
            Op::Free { id } => {
                let p = table[id].take().expect("a live id");
                if live {
                    // SAFETY: the table holds the pointer this heap last returned for `id`,
                    // taken out when the id is freed and replaced when a realloc moves it: a
                    // live block of this heap.
                    unsafe { heap.free_live(p) };
                } else {
                    heap.free(p.as_ptr()).expect("free");
                }
            }
            Op::Realloc { id, size } => {
                let p = table[id].expect("a live id");
                let q = if live {
                    // SAFETY: as for `free_live` above.
                    unsafe { heap.realloc_live(p, size) }.expect("realloc")
                } else {
                    heap.realloc(p.as_ptr(), size).expect("realloc")
                };
                table[id] = Some(q);
            }
        }
        done += 1;
    }
    done
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ops: usize = args.get(1).map_or(100_000, |s| s.parse().expect("OPS"));
    let kind = args.get(2).map_or("random", String::as_str);
    let cap: usize = args.get(3).map_or(20_000, |s| s.parse().expect("CAP"));
    let trace = match kind {
        "random" => generate(Kind::Random, ops, 1),
        "coalesce" => generate(Kind::Coalesce, ops, 1),
        "grow" => generate(Kind::Grow, ops, 1),
        "small-large" => generate(Kind::SmallLarge, ops, 1),
        "many" => many(ops),
        other => panic!("unknown kind {other}"),
    };
    let len = 256 << 20;
    let options = Options::with_policy(Policy::Segregated);
    let mut buffer = vec![MaybeUninit::new(0u8); len];

    let (ms, _) = fastest(|| {
        let mut heap = Heap::new(ArenaBreak::new(&mut buffer), options);
        replay_with(&trace, &mut heap, ReplayOptions::default()).expect("replay");
    });
    println!("{kind}, {} operations", trace.ops.len());
    println!(
        "  replayer:          {:>7} ops in {ms:>9.3} ms",
        trace.ops.len()
    );

    let (ms, _) = fastest(|| {
        let mut heap = Heap::with_map(ArenaBreak::new(&mut buffer), options, StartBitVec::new());
        replay_with(&trace, &mut heap, ReplayOptions::default()).expect("replay");
    });
    println!(
        "  replayer + map:    {:>7} ops in {ms:>9.3} ms",
        trace.ops.len()
    );

    let (ms, done) = fastest(|| {
        let mut heap = Heap::new(ArenaBreak::new(&mut buffer), options);
        checked(&trace, &mut heap, usize::MAX, true)
    });
    println!("  free_live:         {done:>7} ops in {ms:>9.3} ms");

    let (ms, done) = fastest(|| {
        let mut heap = Heap::with_map(ArenaBreak::new(&mut buffer), options, StartBitVec::new());
        let done = checked(&trace, &mut heap, usize::MAX, false);
        heap.check().expect("a sound heap");
        done
    });
    println!("  checked + map:     {done:>7} ops in {ms:>9.3} ms");

    let (ms, done) = fastest(|| {
        let mut heap = Heap::new(ArenaBreak::new(&mut buffer), options);
        checked(&trace, &mut heap, cap, false)
    });
    println!("  checked, no map:   {done:>7} ops in {ms:>9.3} ms");
}
