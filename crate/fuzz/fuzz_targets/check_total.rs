//! Fuzz target `check_total`: builds a heap on fake wasm pages (in several segments, with
//! another allocator's pages between them), then writes the fuzzer's bytes, words and
//! pointers anywhere in the heap's memory, headers included, and runs the invariant checker
//! and the walks that share its bounds. Every byte outside the heap's memory is poisoned for
//! AddressSanitizer, so a read of one stops the fuzzer; so does a panic, a hang, or a
//! `Corruption` that names no block of the heap. See `crate/brkalloc/tests/support/corrupt.rs`.
//!
//! Run: `cargo +nightly fuzz run --fuzz-dir crate/fuzz check_total`.
#![no_main]

#[path = "../../brkalloc/tests/support/mod.rs"]
mod support;

mod common;

use libfuzzer_sys::fuzz_target;
use support::corrupt::{run, Scene};

/// Fake pages of `support::corrupt::PAGE` bytes the memory can grow to.
const PAGES: usize = 256;

fuzz_target!(|data: &[u8]| {
    let scene = Scene::from_bytes(data, 120, 16);
    common::count(scene.build.len() + 1);
    run(&scene, PAGES);
});
