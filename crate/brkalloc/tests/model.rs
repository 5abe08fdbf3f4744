//! Random sequences of `alloc`, `free`, `realloc`, `calloc` and bad frees, checked step by step
//! against a model of the live blocks (see `support`), for every policy and option set, on an
//! arena, on `mmap`, and on fake wasm pages that another allocator grows in between.
//!
//! The proptest runs cannot run under Miri (proptest's failure files need the file system, and
//! they are too slow); `miri_model_small` runs seeded sequences there instead. The process-break
//! (`sbrk`) run lives in the single-threaded `tests/sbrk.rs` binary.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use brkalloc::brk::FakePages;
use brkalloc::heap::{StartBits, StartMap};
use brkalloc::observer::Value;
use brkalloc::{
    ArenaBreak, Config, Event, GrowOnlyConfig, Heap, Options, PagedBreak, Policy, SegregatedConfig,
};
use proptest::prelude::*;
use std::alloc::Layout;
use support::{
    map_words, option_sets, run_model, run_model_with, seeded_ops, Arena, Checks, Forgetful,
    Recorder, Rng,
};

/// Runs `ops` on an arena heap of `len` bytes, for every option set of `policy`: once with no
/// start map, once with a [`StartBits`] map over the whole arena.
fn arena_runs(policy: Policy, len: usize, ops: &[support::Op]) {
    for (name, options) in option_sets(policy) {
        let mut arena = Arena::new(len);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_model(&mut heap, ops, Checks::ARENA)
        }));
        if let Err(panic) = result {
            eprintln!("failed with policy {policy}, options {name}: {options:?}");
            std::panic::resume_unwind(panic);
        }
        let mut arena = Arena::new(len);
        let mut words = map_words(len);
        let map = StartBits::new(&mut words, arena.base());
        let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), options, map);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_model(&mut heap, ops, Checks::ARENA)
        }));
        if let Err(panic) = result {
            eprintln!("failed with a start map, policy {policy}, options {name}: {options:?}");
            std::panic::resume_unwind(panic);
        }
    }
}

/// The events of a model run of `ops` on an arena heap with `options` and the map `make`
/// builds over the arena, with every address made relative to the arena's start, and the
/// `Lookup` events (the one thing a map changes: how far a lookup walks) left out.
fn events_with<'w, M: StartMap>(
    options: Options,
    len: usize,
    ops: &[support::Op],
    make: impl FnOnce(&'w mut [usize], usize) -> M,
    words: &'w mut [usize],
) -> Vec<(&'static str, Vec<(&'static str, usize)>)> {
    let mut arena = Arena::new(len);
    let base = arena.base();
    let map = make(words, base);
    let mut heap = Heap::with_observer_and_map(
        ArenaBreak::new(arena.buffer()),
        options,
        Recorder::default(),
        map,
    );
    run_model(&mut heap, ops, Checks::ARENA);
    let relative = |n: usize| {
        if (base..=base + len).contains(&n) {
            n - base
        } else {
            n
        }
    };
    heap.observer_mut()
        .take()
        .into_iter()
        .filter(|e| !matches!(e, Event::Lookup { .. }))
        .map(|e| {
            let fields = e
                .fields()
                .map(|(name, v)| match v {
                    Value::Number(n) => (name, relative(n)),
                    Value::Flag(f) => (name, usize::from(f)),
                })
                .collect();
            (e.kind(), fields)
        })
        .collect()
}

macro_rules! arena_model_tests {
    ($($name:ident: $policy:expr,)*) => {
        proptest! {
            #![proptest_config(support::proptest_config(48))]
            $(
                /// Large arena: out of memory is rare, so long runs of reuse are tested.
                #[test]
                #[cfg_attr(miri, ignore)]
                fn $name(ops in support::ops_strategy(64 * 1024, 4096, 64)) {
                    arena_runs($policy, 4 << 20, &ops);
                }
            )*
        }
    };
}

arena_model_tests! {
    model_arena_first_fit: Policy::FirstFit,
    model_arena_next_fit: Policy::NextFit,
    model_arena_best_fit: Policy::BestFit,
    model_arena_worst_fit: Policy::WorstFit,
    model_arena_segregated: Policy::Segregated,
}

proptest! {
    #![proptest_config(support::proptest_config(48))]

    /// A 64 KiB arena with requests up to 64 KiB: out of memory is frequent, and every refusal
    /// must leave the heap as it was.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn model_small_arena_runs_out_of_memory_cleanly(
        ops in support::ops_strategy(64 * 1024, 4096, 64),
    ) {
        for policy in Policy::ALL {
            arena_runs(policy, 64 * 1024, &ops);
        }
    }

    /// The compile-time configuration of the global allocator behaves like its runtime twin.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn model_segregated_config(ops in support::ops_strategy(64 * 1024, 4096, 64)) {
        let mut arena = Arena::new(4 << 20);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), SegregatedConfig);
        run_model(&mut heap, &ops, Checks::ARENA);
    }

    /// The WebAssembly configuration, whose break never moves down, over an arena and over
    /// fake wasm pages that another allocator grows now and then.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn model_grow_only_config(
        ops in support::ops_strategy(64 * 1024, 4096, 64),
        seed in any::<u64>(),
    ) {
        let mut arena = Arena::new(4 << 20);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), GrowOnlyConfig);
        run_model(&mut heap, &ops, Checks::ARENA);
        paged_run(GrowOnlyConfig, &ops, seed, "grow-only");
    }

    /// Fake wasm pages, with another allocator growing the memory now and then: the heap must
    /// keep working across segments.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn model_paged_with_foreign_growth(
        ops in support::ops_strategy(16 * 1024, 4096, 64),
        seed in any::<u64>(),
    ) {
        for policy in Policy::ALL {
            for (name, options) in option_sets(policy) {
                paged_run(options, &ops, seed, name);
            }
        }
    }
}

/// Page size of the fake memory: small, so that runs cross many pages.
const PAGE: usize = 4096;

/// Runs `ops` on a [`PagedBreak`] over fake pages, where another allocator takes a page or two
/// before about one step in ten, and about one step in twenty races the break's next growth:
/// once with no start map, once with a [`StartBits`] map over all the pages.
fn paged_run<C: Config + std::fmt::Debug + Clone>(
    config: C,
    ops: &[support::Op],
    seed: u64,
    name: &str,
) {
    paged_run_with(config.clone(), ops, seed, name, |_| ());
    let mut words = map_words(4 << 20);
    paged_run_with(config, ops, seed, name, |base| {
        StartBits::new(&mut words, base)
    });
}

/// [`paged_run`] with the start map `map` makes from the pages' first address.
fn paged_run_with<C: Config + std::fmt::Debug + Clone, M: StartMap>(
    config: C,
    ops: &[support::Op],
    seed: u64,
    name: &str,
    map: impl FnOnce(usize) -> M,
) {
    let mut buffer = Arena::new(4 << 20);
    let map = map(buffer.base());
    let brk = PagedBreak::new(FakePages::<PAGE>::new(buffer.buffer()));
    let mut heap = Heap::with_map(brk, config, map);
    let mut rng = Rng::new(seed);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_model_with(
            &mut heap,
            ops,
            Checks {
                exclusive: true,
                // Memory below a later segment's start cannot be given back.
                release_all: false,
                new_regions: true,
            },
            &mut |heap: &Heap<PagedBreak<FakePages<'_, PAGE>>, C, (), M>| {
                let memory = heap.backend().memory();
                if rng.chance(10) {
                    let _ = memory.grow_foreign(1 + rng.upto(2));
                }
                if rng.chance(5) {
                    // Another thread grows the memory between the break's look and its growth.
                    memory.race_next_grow(1 + rng.upto(2));
                }
            },
        )
    }));
    if let Err(panic) = result {
        let map = if M::KEEPS {
            "a start map"
        } else {
            "no start map"
        };
        eprintln!("failed with options {name}, {map}, foreign-growth seed {seed}");
        std::panic::resume_unwind(panic);
    }
}

#[cfg(all(unix, not(miri)))]
mod mmap {
    use super::*;
    use brkalloc::MmapBreak;

    proptest! {
        #![proptest_config(support::proptest_config(24))]

        /// The same model on `mmap`: pages committed as the break rises, released as it falls.
        #[test]
        fn model_mmap(ops in support::ops_strategy(64 * 1024, 4096, 64)) {
            support::run_model_all(&mut || MmapBreak::new(16 << 20), &ops, Checks::ARENA);
        }
    }

    #[test]
    fn model_mmap_runs_out_of_its_reservation_cleanly() {
        for seed in 0..4 {
            let ops = seeded_ops(seed, 300, 64 * 1024, 4096);
            // 256 KiB: a handful of large blocks exhaust it.
            support::run_model_all(&mut || MmapBreak::new(256 << 10), &ops, Checks::ARENA);
        }
    }
}

/// Seeded runs of every policy and option set, natively: long sequences, no shrinking. Odd
/// seeds use a small arena, where out of memory is frequent.
#[test]
#[cfg_attr(miri, ignore)]
fn model_seeded_every_configuration() {
    for seed in 0..6 {
        let ops = seeded_ops(seed, 600, 64 * 1024, 4096);
        let len = if seed % 2 == 1 { 128 << 10 } else { 2 << 20 };
        for policy in Policy::ALL {
            arena_runs(policy, len, &ops);
        }
    }
}

/// A start map changes how a pointer is looked up, and nothing else: with a map that knows
/// every header, with one that forgets every other header it is told of, and with none, the
/// same operations give the same events (addresses relative to the arena), so the same blocks
/// at the same places, under every policy and option set. Each run is also checked against
/// the model, bad frees included.
#[test]
#[cfg_attr(miri, ignore)]
fn a_start_map_full_or_forgetful_changes_no_outcome() {
    for seed in 0..3 {
        let ops = seeded_ops(seed + 40, 400, 16 * 1024, 256);
        let len = if seed % 2 == 1 { 64 << 10 } else { 1 << 20 };
        for policy in Policy::ALL {
            for (name, options) in option_sets(policy) {
                let mut words = map_words(len);
                let none = events_with(options, len, &ops, |_, _| (), &mut words);
                let full = events_with(options, len, &ops, StartBits::new, &mut words);
                let forgetful = events_with(
                    options,
                    len,
                    &ops,
                    |w, base| Forgetful::new(StartBits::new(w, base)),
                    &mut words,
                );
                assert!(none.len() > 100, "{name}: too few events to compare");
                assert!(
                    none == full,
                    "{policy} {name}, seed {seed}: a full map changed the events"
                );
                assert!(
                    none == forgetful,
                    "{policy} {name}, seed {seed}: a forgetful map changed the events"
                );
            }
        }
    }
}

/// Seeded runs on fake wasm pages with foreign growth, for every configuration.
#[test]
#[cfg_attr(miri, ignore)]
fn model_seeded_paged_with_foreign_growth() {
    for seed in 0..4 {
        let ops = seeded_ops(seed, 400, 16 * 1024, 4096);
        for policy in Policy::ALL {
            for (name, options) in option_sets(policy) {
                paged_run(options, &ops, seed, name);
            }
        }
    }
}

/// Runs under Miri: every policy with all options on, 150 small operations on an arena and 50
/// on fake pages with foreign growth, the brief's own allocator (`Options::SEED`) for 100
/// more, and the grow-only configuration for 100 on fake pages. (Miri is a thousand times slower than native code; this keeps the run to minutes.)
#[test]
fn miri_model_small() {
    let mut runs: Vec<(&str, Options, usize)> = Policy::ALL
        .into_iter()
        .map(|policy| ("default", Options::with_policy(policy), 150))
        .collect();
    runs.push(("seed", Options::SEED, 100));
    for (i, (name, options, steps)) in runs.into_iter().enumerate() {
        let seed = i as u64;
        let ops = seeded_ops(seed, steps, 512, 256);
        let mut arena = Arena::new(64 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_model(&mut heap, &ops, Checks::ARENA)
        }));
        if let Err(panic) = result {
            eprintln!("failed with {name} options {options:?}, seed {seed}");
            std::panic::resume_unwind(panic);
        }
    }
    for policy in Policy::ALL {
        let ops = seeded_ops(policy as u64 + 100, 50, 2048, 64);
        paged_run(Options::with_policy(policy), &ops, policy as u64, "default");
    }
    // The WebAssembly configuration, whose break never moves down.
    let ops = seeded_ops(200, 100, 2048, 64);
    paged_run(GrowOnlyConfig, &ops, 200, "grow-only");
}

/// `GrowOnlyConfig` with the usual growth path instead of the small one
/// ([`Config::small_code`] `false`): the heap the small path must build.
#[derive(Clone, Copy, Debug)]
struct GrowOnlyUsualCode;

impl Config for GrowOnlyUsualCode {
    fn policy(&self) -> Policy {
        GrowOnlyConfig.policy()
    }
    fn split(&self) -> bool {
        GrowOnlyConfig.split()
    }
    fn coalesce(&self) -> bool {
        GrowOnlyConfig.coalesce()
    }
    fn trim(&self) -> bool {
        GrowOnlyConfig.trim()
    }
    fn give_back(&self) -> bool {
        GrowOnlyConfig.give_back()
    }
    fn small_code(&self) -> bool {
        false
    }
}

/// The small growth path builds, block for block, the heap the usual one builds: the same
/// random allocations, frees and reallocations (through the unchecked methods a
/// `GlobalAlloc` uses, and the checked ones) give the same blocks at the same offsets. With
/// another allocator growing the fake wasm memory now and then (odd seeds), the heaps may
/// differ where the break jumped while the top was being extended (the small path goes on to
/// extend the new segment's free block, the usual one appends after it), so there both must
/// only pass `check()`, as they do after every step.
#[test]
fn small_code_builds_the_heap_the_usual_path_builds() {
    let steps = if cfg!(miri) { 150 } else { 3000 };
    for seed in 0..if cfg!(miri) { 1 } else { 8 } {
        let mut small_buffer = Arena::new(4 << 20);
        let mut usual_buffer = Arena::new(4 << 20);
        let (small_base, usual_base) = (small_buffer.base(), usual_buffer.base());
        let mut small = Heap::new(
            PagedBreak::new(FakePages::<PAGE>::new(small_buffer.buffer())),
            GrowOnlyConfig,
        );
        let mut usual = Heap::new(
            PagedBreak::new(FakePages::<PAGE>::new(usual_buffer.buffer())),
            GrowOnlyUsualCode,
        );
        let mut rng = Rng::new(seed);
        let mut live: Vec<(std::ptr::NonNull<u8>, std::ptr::NonNull<u8>, Layout)> = Vec::new();
        let foreign = seed % 2 == 1;
        for step in 0..steps {
            if foreign && rng.chance(10) {
                let pages = 1 + rng.upto(2);
                let a = small.backend().memory().grow_foreign(pages);
                let b = usual.backend().memory().grow_foreign(pages);
                assert_eq!(a.is_some(), b.is_some());
            }
            let roll = rng.upto(10);
            if live.is_empty() || roll < 5 {
                let size = support::random_size(&mut rng, 3000);
                let align = if rng.chance(8) { 64 } else { 8 };
                let layout = Layout::from_size_align(size.max(1), align).unwrap();
                let (a, b) = if rng.chance(2) {
                    (
                        small.try_alloc_layout(layout),
                        usual.try_alloc_layout(layout),
                    )
                } else {
                    let a = small.alloc_layout(layout).ok();
                    (a, usual.alloc_layout(layout).ok())
                };
                if a.is_some() != b.is_some() {
                    // Only heaps that differ can differ in what they can serve.
                    assert!(
                        foreign,
                        "seed {seed} step {step}: one heap served, one refused"
                    );
                    break;
                }
                if let (Some(a), Some(b)) = (a, b) {
                    live.push((a, b, layout));
                }
            } else if roll < 8 {
                let (a, b, _) = live.swap_remove(rng.upto(live.len() - 1));
                if rng.chance(2) {
                    // SAFETY: `a` and `b` are live blocks of their heaps, freed once.
                    unsafe {
                        small.free_unchecked(a);
                        usual.free_unchecked(b);
                    }
                } else {
                    small.free(a.as_ptr()).unwrap();
                    usual.free(b.as_ptr()).unwrap();
                }
            } else {
                let i = rng.upto(live.len() - 1);
                let (a, b, layout) = live[i];
                let new_size = support::random_size(&mut rng, 3000).max(1);
                // SAFETY: `a` and `b` are live blocks of their heaps, aligned to `layout`.
                let (na, nb) = unsafe {
                    (
                        small.realloc_unchecked(a, layout, new_size),
                        usual.realloc_unchecked(b, layout, new_size),
                    )
                };
                if na.is_some() != nb.is_some() {
                    assert!(
                        foreign,
                        "seed {seed} step {step}: one heap served, one refused"
                    );
                    break;
                }
                if let (Some(na), Some(nb)) = (na, nb) {
                    let layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                    live[i] = (na, nb, layout);
                }
            }
            small
                .check()
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
            usual
                .check()
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
            let offsets = |base: usize, blocks: brkalloc::heap::Blocks<'_>| {
                blocks
                    .map(|b| {
                        let next = if b.next == 0 { 0 } else { b.next - base };
                        (b.header - base, b.size, b.free, next)
                    })
                    .collect::<Vec<_>>()
            };
            if foreign {
                continue;
            }
            assert_eq!(
                offsets(small_base, small.blocks()),
                offsets(usual_base, usual.blocks()),
                "seed {seed} step {step}: the small path built another heap"
            );
        }
    }
}

/// The model can fail: a heap holding a used block the model did not allocate is rejected.
#[test]
fn the_model_rejects_a_used_block_it_does_not_hold() {
    let mut arena = Arena::new(16 * 1024);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let ops = [support::Op::Alloc {
        size: 64,
        align: 1,
        layout: false,
    }];
    run_model(&mut heap, &ops, Checks::ARENA);
    let stray = heap.alloc(32).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_model(&mut heap, &ops, Checks::ARENA)
    }));
    assert!(
        result.is_err(),
        "the model accepted a used block it does not hold"
    );
    heap.free(stray.as_ptr()).unwrap();
    heap.check().unwrap();
}

/// The observer's `BreakMoved` events tell the break's whole story: over a seeded run, each
/// move starts where the previous one ended, and the last ends at the heap's break. A step
/// without such an event leaves the break where it was.
#[test]
fn break_moved_events_follow_the_break() {
    // Under Miri, one option set and fewer steps per policy: the same rules, in minutes.
    let (sets, steps) = if cfg!(miri) { (1, 30) } else { (6, 150) };
    for policy in Policy::ALL {
        for (name, options) in option_sets(policy).into_iter().take(sets) {
            let ops = seeded_ops(policy as u64 + 7, steps, 2048, 64);
            let mut arena = Arena::new(64 * 1024);
            let mut heap = Heap::with_observer(
                ArenaBreak::new(arena.buffer()),
                options,
                support::Recorder::default(),
            );
            let mut seen = 0;
            let mut brk = heap.brk();
            let mut follow = |heap: &Heap<ArenaBreak<'_>, Options, support::Recorder>| {
                let events = &heap.observer().events[seen..];
                for e in events {
                    if let brkalloc::Event::BreakMoved { from, to } = *e {
                        assert_eq!(from, brk, "{name}: a move from where the break was not");
                        brk = to;
                    }
                }
                assert_eq!(brk, heap.brk(), "{name}: the break moved without an event");
                seen += events.len();
            };
            run_model_with(&mut heap, &ops, Checks::ARENA, &mut follow);
            follow(&heap);
        }
    }
}
