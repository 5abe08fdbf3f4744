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
