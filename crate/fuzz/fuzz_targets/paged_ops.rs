//! Fuzz target `paged_ops`: like `heap_ops`, on a [`PagedBreak`] over fake wasm pages of 4 KiB,
//! where the fuzzer also decides, before each operation, whether another allocator grows the
//! memory (so the heap's next growth is not adjacent and starts a new segment) or races the
//! break's next growth. The model's checks run after every step.
//!
//! Run: `cargo +nightly fuzz run --fuzz-dir crate/fuzz paged_ops`.
#![no_main]

#[path = "../../brkalloc/tests/support/mod.rs"]
mod support;

mod common;

use arbitrary::{Result, Unstructured};
use brkalloc::brk::FakePages;
use brkalloc::{Heap, Options, PagedBreak};
use libfuzzer_sys::fuzz_target;
use support::{run_model_with, Arena, Checks, Op};

/// Bytes in a fake page: small, so that runs cross many pages.
const PAGE: usize = 4096;
/// Pages the fake memory can grow to, ours and the other allocator's together.
const PAGES: usize = 256;

/// What the other allocator does before one operation.
#[derive(Clone, Copy, Debug)]
struct Foreign {
    /// Pages it grows the memory by now.
    grow: usize,
    /// Pages it takes just before the break's next growth.
    race: usize,
}

fn decode(data: &[u8]) -> Result<(Options, Vec<(Foreign, Op)>)> {
    let mut u = Unstructured::new(data);
    let options = common::options(&mut u)?;
    let mut steps = Vec::new();
    while !u.is_empty() && steps.len() < common::MAX_OPS {
        let foreign = match u.int_in_range(0..=15u8)? {
            0 => Foreign { grow: 1, race: 0 },
            1 => Foreign { grow: 2, race: 0 },
            2 => Foreign { grow: 0, race: 1 },
            3 => Foreign { grow: 0, race: 2 },
            _ => Foreign { grow: 0, race: 0 },
        };
        steps.push((foreign, common::op(&mut u)?));
    }
    Ok((options, steps))
}

fuzz_target!(|data: &[u8]| {
    let Ok((options, steps)) = decode(data) else {
        return;
    };
    let ops: Vec<Op> = steps.iter().map(|(_, op)| op.clone()).collect();
    common::count(ops.len());
    let mut arena = Arena::new(PAGES * PAGE);
    let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
    let mut heap = Heap::new(brk, options);
    let mut step = 0;
    run_model_with(
        &mut heap,
        &ops,
        Checks {
            exclusive: true,
            // Memory below a later segment's start cannot be given back.
            release_all: false,
            new_regions: true,
        },
        &mut |heap: &Heap<PagedBreak<FakePages<'_, PAGE>>, Options>| {
            let Foreign { grow, race } = steps[step].0;
            step += 1;
            let memory = heap.backend().memory();
            if grow > 0 {
                let _ = memory.grow_foreign(grow);
            }
            if race > 0 {
                memory.race_next_grow(race);
            }
        },
    );
});
