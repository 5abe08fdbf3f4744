//! Fuzz target `loose_ops`: the playground's heap with the checks off ("as C does",
//! `brkalloc_lab::loose`). Builds a heap with a few operations, writes the fuzzer's bytes
//! anywhere in its memory (headers, footers and list links included, and words that point
//! into the heap or just past it), then runs random operations as C would: frees of any
//! pointer, double frees, reallocs, writes anywhere. Every operation must either complete or
//! stop as a simulated crash, and a crash must leave every byte and the break as they were.
//! A panic, a hang or a crash that changed something stops the fuzzer; the heap's memory is
//! an arena inside a larger buffer, so a read outside it would be caught by AddressSanitizer
//! only if it left the buffer, and `Memory` checks every address against the heap's own
//! bounds first.
//!
//! Run: `cargo +nightly fuzz run --fuzz-dir crate/fuzz loose_ops`.
#![no_main]

mod common;

#[path = "../../brkalloc/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::mem::MaybeUninit;

use arbitrary::{Result, Unstructured};
use brkalloc::{ArenaBreak, Options, Policy};
use brkalloc_lab::loose::{LooseHeap, Stop};
use brkalloc_lab::Recorder;
use libfuzzer_sys::fuzz_target;

const ARENA: usize = 1 << 16;

fn options(u: &mut Unstructured<'_>) -> Result<Options> {
    Ok(Options {
        policy: Policy::ALL[u.int_in_range(0..=4usize)?],
        split: u.arbitrary()?,
        coalesce: u.arbitrary()?,
        trim: u.arbitrary()?,
        // The checks-off heap stores `next` in every header, as C's classic allocator does.
        derive: false,
    })
}

/// One operation as C would run it: pointers are whatever was handed out (freed or not), or
/// any address near the heap.
fn step(u: &mut Unstructured<'_>, heap: &mut LooseHeap<ArenaBreak<'_>>, live: &mut Vec<usize>) -> Result<Option<Stop>> {
    let (start, end) = (heap.memory().start(), heap.brk());
    let pointer = |u: &mut Unstructured<'_>, live: &[usize]| -> Result<usize> {
        Ok(if !live.is_empty() && u.ratio(3, 4)? {
            live[u.choose_index(live.len())?].wrapping_add(u.int_in_range(0..=40usize)? & !3)
        } else {
            start.wrapping_add(u.int_in_range(0..=(end - start + 64))?)
        })
    };
    let size = common::size(u)?;
    let r = match u.int_in_range(0..=5u8)? {
        0 | 1 => heap.alloc(size).map(|p| live.push(p)),
        2 => {
            let p = pointer(u, live)?;
            heap.free(p)
        }
        3 => {
            let p = pointer(u, live)?;
            heap.realloc(p, size).map(|q| live.push(q))
        }
        4 => heap
            .calloc(u.int_in_range(0..=8)?, u.int_in_range(0..=64)?)
            .map(|p| live.push(p)),
        _ => {
            let p = pointer(u, live)?;
            let len = u.int_in_range(0..=48usize)?;
            let bytes: Vec<u8> = (0..len).map(|_| u.arbitrary()).collect::<Result<_>>()?;
            heap.write(p, &bytes)
        }
    };
    Ok(r.err())
}

fn image(heap: &LooseHeap<ArenaBreak<'_>>) -> (usize, Vec<u8>) {
    let (start, end) = (heap.memory().start(), heap.brk());
    (end, heap.read(start, end - start).unwrap_or_default())
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mut memory = vec![MaybeUninit::new(0u8); ARENA];
    let options = options(&mut u)?;
    let mut heap = LooseHeap::new(ArenaBreak::new(&mut memory), options, Recorder::with_visit_limit(64));
    let mut live = Vec::new();
    let mut ops = 0;
    for _ in 0..u.int_in_range(0..=24u8)? {
        let _ = heap.alloc(common::size(&mut u)?).map(|p| live.push(p));
        ops += 1;
    }
    // Scribbles: bytes, or a word pointing into the heap or just past it.
    for _ in 0..u.int_in_range(0..=6u8)? {
        let (start, end) = (heap.memory().start(), heap.brk());
        if end <= start {
            break;
        }
        let at = start + u.int_in_range(0..=(end - start - 1))?;
        let bytes: Vec<u8> = if u.arbitrary()? {
            let p = start.wrapping_add(u.int_in_range(0..=(end - start + 64))?);
            p.to_ne_bytes().to_vec()
        } else {
            (0..u.int_in_range(1..=24usize)?).map(|_| u.arbitrary()).collect::<Result<_>>()?
        };
        let _ = heap.write(at, &bytes);
        ops += 1;
    }
    while !u.is_empty() && ops < common::MAX_OPS {
        let before = image(&heap);
        let blocks = heap.blocks();
        let stop = step(&mut u, &mut heap, &mut live)?;
        ops += 1;
        let _ = heap.inspect();
        if let Some(Stop::Fault(fault)) = stop {
            assert!(image(&heap) == before, "a crash ({fault}) changed the heap's bytes or its break");
            assert_eq!(heap.blocks(), blocks, "a crash ({fault}) changed the blocks");
        }
    }
    common::count(ops);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
