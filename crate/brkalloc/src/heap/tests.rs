//! Unit tests of the heap's internals: random operations on every policy and option set, with
//! the invariant checker after each step. The behaviour-by-behaviour tests live in
//! `crate/tests/`.

use super::*;
use crate::brk::ArenaBreak;
use core::mem::MaybeUninit;
use std::vec;
use std::vec::Vec;

/// Keeps every event, for the tests that look at them.
#[derive(Default)]
struct Recorder {
    events: Vec<crate::observer::Event>,
}

impl Recorder {
    fn take(&mut self) -> Vec<crate::observer::Event> {
        core::mem::take(&mut self.events)
    }
}

impl crate::observer::Observer for Recorder {
    fn event(&mut self, event: crate::observer::Event) {
        self.events.push(event);
    }
}

use brkalloc_rng::Rng;

fn all_options() -> Vec<Options> {
    let mut v = Vec::new();
    for policy in Policy::ALL {
        for bits in 0..16u8 {
            v.push(Options {
                policy,
                split: bits & 1 != 0,
                coalesce: bits & 2 != 0,
                trim: bits & 4 != 0,
                derive: bits & 8 != 0,
            });
        }
    }
    v
}

fn churn(options: Options, seed: u64, steps: usize) {
    let mut buf = vec![MaybeUninit::new(0u8); if cfg!(miri) { 1 << 14 } else { 1 << 20 }];
    let mut heap = Heap::new(ArenaBreak::new(&mut buf), options);
    let mut rng = Rng::new(seed);
    let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
    for step in 0..steps {
        let op = rng.below(10);
        if op < 5 || live.is_empty() {
            let size = match rng.below(4) {
                0 => rng.below(16),
                1 => rng.below(200),
                2 => rng.below(2000),
                _ if cfg!(miri) => rng.below(300),
                _ => rng.below(20000),
            };
            let max_shift = if cfg!(miri) {
                7
            } else if rng.below(4) == 0 {
                12
            } else {
                4
            };
            let align = 1usize << rng.below(max_shift);
            let layout = Layout::from_size_align(size, align).unwrap();
            if let Ok(p) = heap.alloc_layout(layout) {
                assert_eq!(p.as_ptr().addr() % align, 0);
                let fill = (step % 251) as u8;
                // SAFETY: the block holds `size` bytes.
                unsafe { p.as_ptr().write_bytes(fill, size) };
                live.push((p.as_ptr(), size, fill));
            }
        } else if op < 8 {
            let i = rng.below(live.len());
            let (a, size, fill) = live.swap_remove(i);
            verify(&heap, a, size, fill);
            heap.free(a).unwrap();
        } else {
            let i = rng.below(live.len());
            let (a, size, fill) = live[i];
            let new_size = rng.below(if cfg!(miri) { 300 } else { 4000 });
            match heap.realloc(a, new_size) {
                Ok(p) => {
                    verify(&heap, p.as_ptr(), size.min(new_size), fill);
                    // SAFETY: the block holds `new_size` bytes.
                    unsafe { p.as_ptr().write_bytes(fill, new_size) };
                    live[i] = (p.as_ptr(), new_size, fill);
                }
                Err(_) => verify(&heap, a, size, fill),
            }
        }
        if let Err(e) = heap.check() {
            panic!("{options:?} seed {seed} step {step}: {e}");
        }
    }
    for (a, size, fill) in live {
        verify(&heap, a, size, fill);
        heap.free(a).unwrap();
        heap.check().unwrap();
    }
    if options.trim || !options.coalesce {
        // Everything freed: with trimming the break is back at the start.
        if options.trim {
            assert_eq!(heap.blocks().count(), 0, "{options:?}");
        }
    }
}

fn verify<B: Break, C: Config, O: Observer>(
    heap: &Heap<B, C, O>,
    a: *mut u8,
    size: usize,
    fill: u8,
) {
    let b = heap.block_at(a.addr()).expect("live block on the chain");
    assert!(!b.free && b.size >= size);
    for off in 0..size {
        // SAFETY: the block is live and holds `size` bytes; the arena outlives this read.
        let byte = unsafe { a.add(off).read() };
        assert_eq!(byte, fill, "byte {off} of block {a:?}");
    }
}

#[test]
fn random_operations_keep_every_invariant() {
    // Miri interprets every byte access, so it runs one option set in five, briefly.
    let (steps, every) = if cfg!(miri) { (12, 8) } else { (600, 1) };
    for (i, options) in all_options().into_iter().enumerate().step_by(every) {
        churn(options, 0x9e37_79b9_7f4a_7c15 ^ i as u64, steps);
    }
}

#[test]
fn random_operations_exercise_every_kind_of_step() {
    use crate::observer::Event;
    /// Every kind of step a run of mallocs and frees under the default options takes.
    const KINDS: [fn(&Event) -> bool; 7] = [
        |e| matches!(e, Event::Visit { .. }),
        |e| matches!(e, Event::Reuse { .. }),
        |e| matches!(e, Event::Split { .. }),
        |e| matches!(e, Event::Coalesce { .. }),
        |e| matches!(e, Event::Release { .. }),
        |e| matches!(e, Event::Append { .. }),
        |e| matches!(e, Event::MarkFree { .. }),
    ];
    let mut buf = vec![MaybeUninit::new(0u8); 1 << 16];
    let mut heap = Heap::with_observer(
        ArenaBreak::new(&mut buf),
        Options::DEFAULT,
        Recorder::default(),
    );
    let mut rng = Rng::new(7);
    let mut live = Vec::new();
    let mut seen = [false; KINDS.len()];
    // Until every kind has been seen (a few dozen steps), so that Miri runs it quickly too.
    let mut steps = 0;
    while seen.contains(&false) {
        assert!(
            steps < 2_000,
            "after {steps} steps, kinds not seen: {seen:?}"
        );
        steps += 1;
        if rng.below(2) == 0 || live.is_empty() {
            live.push(heap.alloc(rng.below(300)).unwrap().as_ptr());
        } else {
            let i = rng.below(live.len());
            heap.free(live.swap_remove(i)).unwrap();
        }
        heap.check().unwrap();
        for e in heap.observer_mut().take() {
            for (seen, kind) in seen.iter_mut().zip(KINDS) {
                *seen |= kind(&e);
            }
        }
    }
}

#[test]
fn reset_starts_over_at_the_same_addresses() {
    let mut buf = vec![MaybeUninit::new(0u8); 1 << 14];
    let mut heap = Heap::new(ArenaBreak::new(&mut buf), Options::SEED);
    let first: Vec<_> = (1..5).map(|i| heap.alloc(i * 24).unwrap()).collect();
    let start = heap.heap_start();
    heap.reset();
    assert_eq!(heap.blocks().count(), 0);
    assert_eq!(heap.brk(), start);
    assert_eq!(heap.backend().current().addr(), start);
    heap.check().unwrap();
    let again: Vec<_> = (1..5).map(|i| heap.alloc(i * 24).unwrap()).collect();
    assert_eq!(first, again);
    let top = heap.brk();
    let brk = heap.into_backend();
    let mut heap = Heap::new(brk, Options::DEFAULT);
    assert_eq!(
        heap.heap_start(),
        top,
        "a new heap starts at the break it is given"
    );
    heap.alloc(1).unwrap();
    heap.check().unwrap();
}

#[test]
fn unchecked_free_keeps_a_small_free_end_and_extends_it() {
    use crate::observer::Event;
    let mut buf = vec![MaybeUninit::new(0u8); 1 << 14];
    let mut heap = Heap::with_observer(
        ArenaBreak::new(&mut buf),
        SegregatedConfig,
        Recorder::default(),
    );
    let a = heap.alloc(64).unwrap();
    let b = heap.alloc(64).unwrap();
    let c = heap.alloc(64).unwrap();
    let top = heap.brk();
    // SAFETY: `c` is live.
    unsafe { heap.free_unchecked(c) };
    assert_eq!(heap.brk(), top, "a small free end stays, ready for reuse");
    // SAFETY: `b` is live.
    unsafe { heap.free_unchecked(b) };
    heap.check().unwrap();
    let last = heap.blocks().last().unwrap();
    assert_eq!(
        (last.data, last.free, last.size),
        (b.as_ptr().addr(), true, 64 + HEADER_SIZE + 64),
        "b and c merged into one free last block"
    );
    // A larger request extends the free last block instead of appending after it.
    heap.observer_mut().take();
    let d = heap.alloc(400).unwrap();
    assert_eq!(d, b);
    let grown = data_size(400).unwrap();
    assert!(heap.observer().events.iter().any(|e| *e
        == Event::Extend {
            block: d.as_ptr().addr() - HEADER_SIZE,
            from: 64 + HEADER_SIZE + 64,
            to: grown
        }));
    heap.check().unwrap();
    // The checked free walks, so it always gives the end of the heap back.
    heap.free(d.as_ptr()).unwrap();
    assert_eq!(heap.blocks().count(), 1);
    let top = heap.brk();
    // SAFETY: `a` is live. It is the only block, and small: the heap keeps it, free.
    unsafe { heap.free_unchecked(a) };
    assert_eq!(heap.brk(), top, "an emptied small heap keeps its memory");
    let only = heap.blocks().collect::<Vec<_>>();
    assert_eq!(only.len(), 1);
    assert!(only[0].free && only[0].data == a.as_ptr().addr());
    heap.check().unwrap();
    // The next allocation reuses it, without moving the break.
    let e = heap.alloc(32).unwrap();
    assert_eq!((e, heap.brk()), (a, top));
    heap.check().unwrap();
}

#[test]
fn unchecked_free_of_a_large_only_block_gives_all_but_the_smallest_block_back() {
    let mut buf = vec![MaybeUninit::new(0u8); TRIM_THRESHOLD * 3];
    let mut heap = Heap::new(ArenaBreak::new(&mut buf), SegregatedConfig);
    let a = heap.alloc(2 * TRIM_THRESHOLD).unwrap();
    // SAFETY: `a` is live, and the heap's only block.
    unsafe { heap.free_unchecked(a) };
    heap.check().unwrap();
    let only = heap.blocks().collect::<Vec<_>>();
    assert_eq!(only.len(), 1);
    assert_eq!((only[0].free, only[0].size), (true, MIN_DATA));
    assert_eq!(heap.brk(), only[0].data + MIN_DATA);
}

#[test]
fn unchecked_free_trims_a_free_end_past_the_threshold() {
    use crate::observer::Event;
    let len = TRIM_THRESHOLD * 3;
    let mut buf = vec![MaybeUninit::new(0u8); len];
    let mut heap = Heap::with_observer(
        ArenaBreak::new(&mut buf),
        SegregatedConfig,
        Recorder::default(),
    );
    let a = heap.alloc(64).unwrap();
    let just_below = TRIM_THRESHOLD - HEADER_SIZE;
    let b = heap.alloc(just_below).unwrap();
    let top = heap.brk();
    // SAFETY: `b` is live.
    unsafe { heap.free_unchecked(b) };
    assert_eq!(heap.brk(), top, "a free end of exactly the threshold stays");
    let c = heap.alloc(2 * TRIM_THRESHOLD).unwrap();
    assert_eq!(c, b, "the free end was extended");
    heap.observer_mut().take();
    // SAFETY: `c` is live.
    unsafe { heap.free_unchecked(c) };
    heap.check().unwrap();
    let last = heap.blocks().last().unwrap();
    assert_eq!(
        (last.data, last.free, last.size),
        (c.as_ptr().addr(), true, MIN_DATA)
    );
    assert_eq!(heap.brk(), last.data + MIN_DATA, "the rest went back");
    let events = heap.observer_mut().take();
    assert!(events.contains(&Event::Trim {
        block: last.header,
        from: data_size(2 * TRIM_THRESHOLD).unwrap(),
        to: MIN_DATA,
    }));
    heap.free(a.as_ptr()).unwrap();
    heap.check().unwrap();
}
