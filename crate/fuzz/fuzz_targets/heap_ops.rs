//! Fuzz target `heap_ops`: the fuzzer's bytes choose a policy and options, then a sequence of
//! `alloc`, `alloc_layout`, `calloc`, `free`, `realloc` and bad frees, run on a heap over a
//! 256 KiB arena (for some segregated inputs, with `GrowOnlyConfig`). After every step the
//! model in `crate/brkalloc/tests/support` checks that `check()` passes, that the used blocks are
//! exactly the live ones and do not overlap, that every byte written into a live block is still
//! there, and that a refused operation changed nothing. One input in three (by its length) runs
//! on a heap that keeps a `StartBits` map of its headers, and one in three on a heap whose map
//! forgets every other header: the checked `free` and `realloc` then find blocks through the
//! map, or walk for the ones it forgot.
//!
//! Run: `cargo +nightly fuzz run --fuzz-dir crate/fuzz heap_ops`.
#![no_main]

#[path = "../../brkalloc/tests/support/mod.rs"]
mod support;

mod common;

use brkalloc::{ArenaBreak, GrowOnlyConfig, Heap, Policy, StartBits};
use libfuzzer_sys::fuzz_target;
use support::{map_words, run_model, Arena, Checks, Forgetful};

/// The arena every run gets.
const ARENA: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok((options, ops)) = common::decode(data) else {
        return;
    };
    common::count(ops.len());
    let mut arena = Arena::new(ARENA);
    if options.policy == Policy::Segregated
        && options.split
        && options.coalesce
        && options.trim
        && data.len() % 2 == 1
    {
        // Half of these inputs run the WebAssembly configuration instead, whose break never
        // moves down.
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), GrowOnlyConfig);
        run_model(&mut heap, &ops, Checks::ARENA);
        return;
    }
    let base = arena.base();
    let mut words = map_words(ARENA);
    let brk = ArenaBreak::new(arena.buffer());
    match data.len() % 3 {
        0 => run_model(&mut Heap::new(brk, options), &ops, Checks::ARENA),
        1 => {
            let map = StartBits::new(&mut words, base);
            run_model(&mut Heap::with_map(brk, options, map), &ops, Checks::ARENA);
        }
        _ => {
            let map = Forgetful::new(StartBits::new(&mut words, base));
            run_model(&mut Heap::with_map(brk, options, map), &ops, Checks::ARENA);
        }
    }
});
