//! Runs in the browser (`wasm-pack test --headless --chrome crate`): the whole test program,
//! test harness included, allocates through brkalloc as its `#[global_allocator]` on wasm32, in
//! the configuration meant for it (`GrowOnlyConfig`).
#![cfg(target_arch = "wasm32")]

use brkalloc::{BrkAlloc, GrowOnlyConfig, WasmBreak};
use std::collections::{BTreeMap, VecDeque};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[global_allocator]
static ALLOC: BrkAlloc<WasmBreak, GrowOnlyConfig> =
    BrkAlloc::new(WasmBreak::wasm(), GrowOnlyConfig);

#[wasm_bindgen_test]
fn collections_churn_on_brkalloc() {
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut x = 12345u32;
    for step in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let key = x % 512;
        match x % 4 {
            0 => {
                map.insert(key, (0..(x % 300)).collect());
            }
            1 => {
                if let Some(v) = map.remove(&key) {
                    assert!(v.iter().enumerate().all(|(i, &e)| e == i as u32));
                }
            }
            2 => queue.push_back(format!("{step}:{}", "x".repeat((x % 100) as usize))),
            _ => {
                if let Some(s) = queue.pop_front() {
                    assert!(s.contains(':'));
                }
            }
        }
        if let Some(v) = map.get_mut(&key) {
            let n = v.len() as u32;
            v.push(n);
        }
    }
    ALLOC.check().unwrap();
    assert!(ALLOC.stats().blocks > 0);
}

/// Someone else grows the memory (`memory.grow`) between allocations: the heap's next growth
/// starts a new segment, vectors keep growing and shrinking across it, over-aligned blocks
/// take the usual path, and the heap passes its checker after every step.
#[wasm_bindgen_test]
fn foreign_memory_growth_between_allocations() {
    #[repr(align(256))]
    struct Aligned([u8; 40]);
    let mut vecs: Vec<Vec<u64>> = Vec::new();
    let mut boxes: Vec<Box<Aligned>> = Vec::new();
    let mut x = 987654321u32;
    for step in 0..400u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if step % 50 == 25 {
            // Another allocator's page: the heap cannot extend its memory past it.
            assert_ne!(core::arch::wasm32::memory_grow(0, 1), usize::MAX);
        }
        match x % 5 {
            0 | 1 => vecs.push((0..u64::from(x % 2000)).collect()),
            2 => {
                if !vecs.is_empty() {
                    let v = vecs.swap_remove(x as usize % vecs.len());
                    assert!(v.iter().enumerate().all(|(i, &e)| e == i as u64));
                }
            }
            3 => {
                if let Some(v) = vecs.last_mut() {
                    let n = v.len() as u64;
                    v.extend(n..n + u64::from(x % 5000));
                    v.truncate((x % 3000) as usize);
                    v.shrink_to_fit();
                }
            }
            _ => {
                let b = Box::new(Aligned([step as u8; 40]));
                assert_eq!(&*b as *const Aligned as usize % 256, 0);
                boxes.push(b);
                if boxes.len() > 8 {
                    let b = boxes.remove(0);
                    assert!(b.0.iter().all(|&e| e == b.0[0]));
                }
            }
        }
        ALLOC.check().unwrap();
    }
    assert!(
        ALLOC.stats().segments > 1,
        "a foreign growth should start a segment"
    );
}
