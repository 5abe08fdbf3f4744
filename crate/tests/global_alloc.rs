//! A test program that runs on brkalloc as its `#[global_allocator]` natively: every allocation
//! of the test harness and of these tests goes through a segregated-fit heap on `MmapBreak`,
//! behind the adapter's lock, from several threads at once.
#![cfg(unix)]

use brkalloc::{BrkAlloc, MmapBreak, SegregatedConfig};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::thread;

#[global_allocator]
static ALLOC: BrkAlloc<MmapBreak> = BrkAlloc::new(MmapBreak::new(1 << 32), SegregatedConfig);

fn churn(seed: u64, steps: usize) -> u64 {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut map: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut tree: BTreeMap<u64, String> = BTreeMap::new();
    let mut checksum = 0u64;
    for _ in 0..steps {
        let r = next();
        let key = r % 1000;
        match r % 5 {
            0 => {
                map.insert(key, (0..r % 500).collect());
            }
            1 => {
                if let Some(v) = map.remove(&key) {
                    assert!(v.iter().enumerate().all(|(i, &e)| e == i as u64));
                    checksum = checksum.wrapping_add(v.len() as u64);
                }
            }
            2 => {
                tree.insert(key, "y".repeat((r % 4000) as usize));
            }
            3 => {
                if let Some(s) = tree.remove(&key) {
                    assert!(s.bytes().all(|b| b == b'y'));
                }
            }
            _ => {
                if let Some(v) = map.get_mut(&key) {
                    let n = v.len() as u64;
                    v.extend(n..n + r % 64);
                }
            }
        }
    }
    checksum
}

#[test]
fn collections_churn_on_one_thread() {
    churn(1, 50_000);
    ALLOC.with(|heap| heap.check()).unwrap();
}

#[test]
fn threads_share_the_heap_behind_the_lock() {
    let shared = Arc::new(std::sync::Mutex::new(Vec::<Box<[u8]>>::new()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let sum = churn(t + 100, 20_000);
                // Blocks allocated here and freed by another thread.
                shared
                    .lock()
                    .unwrap()
                    .push(vec![t as u8; 1000 + t as usize].into_boxed_slice());
                sum
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let boxes = std::mem::take(&mut *shared.lock().unwrap());
    assert_eq!(boxes.len(), 4);
    for b in &boxes {
        assert!(b.iter().all(|&x| x == b[0]));
    }
    drop(boxes);
    ALLOC.with(|heap| heap.check()).unwrap();
}
