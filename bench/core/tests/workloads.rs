//! Every workload runs on every native adapter without a refused request or a damaged block,
//! leaves brkalloc's heap consistent, and measures the memory it used.

use std::mem::MaybeUninit;

use bench_core::adapters::{Brkalloc, Dlmalloc, TalcAlloc};
use bench_core::rng::Rng;
use bench_core::workload::{self, encode, Slot, Tally, OP_ALLOC, OP_FREE, OP_REALLOC};
use bench_core::BenchAlloc;
use brkalloc::brk::FakePages;
use brkalloc::{Options, Policy, SegregatedConfig};
use talc::DefaultBinning;

/// 64 MiB of 64 KiB pages.
const PAGES: usize = 1024;

fn buffer() -> Vec<MaybeUninit<u8>> {
    vec![MaybeUninit::new(0); PAGES * 65536]
}

/// A small trace of every kind of operation: grow one block among others, free some, reuse ids.
fn trace() -> Vec<u32> {
    let mut ops = Vec::new();
    for round in 0..50u32 {
        ops.extend(encode(OP_ALLOC, 0, 16 + round));
        ops.extend(encode(OP_ALLOC, 1, 1000));
        ops.extend(encode(OP_REALLOC, 0, 100 * (round + 1)));
        ops.extend(encode(OP_ALLOC, 2, 1));
        ops.extend(encode(OP_FREE, 1, 0));
        ops.extend(encode(OP_REALLOC, 2, 3000));
        ops.extend(encode(OP_FREE, 0, 0));
        ops.extend(encode(OP_FREE, 2, 0));
    }
    ops
}

/// Runs all workloads on `a`, checking the tallies after each; `check` verifies the allocator's
/// own state.
fn exercise<A: BenchAlloc>(a: &mut A, check: impl Fn(&A)) {
    let mut slots = vec![Slot::EMPTY; 4096];
    let mut len = 0;
    let mut t = Tally::default();
    let mut rng = Rng::new(7);

    for realloc in [false, true] {
        // SAFETY: the table only ever holds blocks of `a`.
        unsafe {
            workload::random_actions(a, &mut slots, &mut len, 20_000, realloc, &mut rng, &mut t);
            assert!(len >= workload::MIN_LIVE);
            workload::release_all(a, &mut slots, &mut len, &mut t);
        }
        check(a);
    }
    assert_eq!(t.actions, 40_000);
    assert_eq!(t.live, 0);
    assert!(t.peak_live > 50 * 1000, "peak live {}", t.peak_live);

    // SAFETY: as above.
    unsafe { workload::stack(a, &mut slots, &mut len, 3, &mut rng, &mut t) };
    assert_eq!(len, 0);
    assert_eq!(t.live, 0);
    assert_eq!(t.actions, 40_000 + 6 * workload::STACK_DEPTH as u64);
    check(a);
    t.actions = 40_000;

    let ops = trace();
    // SAFETY: as above; the trace's ids are below the table's length.
    unsafe {
        workload::replay(a, &mut slots, &ops, &mut t);
        workload::release_ids(a, &mut slots, &mut t);
    }
    check(a);
    assert_eq!(t.actions, 40_000 + ops.len() as u64 / 2);

    // SAFETY: as above.
    unsafe {
        workload::fill(a, &mut slots, &mut len, 3000, &mut rng, &mut t);
        assert_eq!(len, 3000);
        workload::churn(a, &mut slots, &mut len, 5000, &mut rng, &mut t);
        assert_eq!(len, 3000);
        workload::release_ids(a, &mut slots, &mut t);
    }
    check(a);
    assert_eq!(t.live, 0);
    assert_eq!(t.failed, 0, "refused requests");
    assert_eq!(t.corrupted, 0, "damaged blocks");

    let extent = a.peak_extent().unwrap();
    let footprint = a.footprint().unwrap();
    assert!(
        extent >= t.peak_live,
        "extent {extent} below peak live {}",
        t.peak_live
    );
    assert!(
        footprint >= extent,
        "footprint {footprint} below extent {extent}"
    );
}

#[test]
fn brkalloc_policies_run_every_workload_and_keep_the_heap_consistent() {
    for policy in Policy::ALL {
        let mut buf = buffer();
        let mut a = Brkalloc::new(
            FakePages::<65536>::new(&mut buf),
            Options::with_policy(policy),
        );
        exercise(&mut a, |a| a.heap().check().unwrap());
    }
    let mut buf = buffer();
    let mut a = Brkalloc::new(FakePages::<65536>::new(&mut buf), SegregatedConfig);
    exercise(&mut a, |a| a.heap().check().unwrap());
}

#[test]
fn dlmalloc_runs_every_workload() {
    let mut buf = buffer();
    let mut a = Dlmalloc::new(FakePages::<65536>::new(&mut buf));
    exercise(&mut a, |_| {});
}

#[test]
fn talc_runs_every_workload() {
    let mut buf = buffer();
    let mut a: TalcAlloc<_, DefaultBinning> = TalcAlloc::new(FakePages::<65536>::new(&mut buf));
    exercise(&mut a, |_| {});
}

#[test]
fn a_damaged_block_is_counted() {
    let mut buf = buffer();
    let mut a = Dlmalloc::new(FakePages::<65536>::new(&mut buf));
    let mut slots = vec![Slot::EMPTY; 8];
    let mut t = Tally::default();
    // SAFETY: the table only holds blocks of `a`; the write stays inside block 0's 16 bytes.
    unsafe {
        workload::replay(&mut a, &mut slots, &encode(OP_ALLOC, 0, 16), &mut t);
        let p = slots[0].ptr();
        p.write(p.read().wrapping_add(1));
        workload::replay(&mut a, &mut slots, &encode(OP_FREE, 0, 0), &mut t);
    }
    assert!(!slots[0].is_live());
    assert_eq!(t.corrupted, 1);
}
