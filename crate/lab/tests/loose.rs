//! The heap run "as C does" ([`LooseHeap`]):
//!
//! - on a sound heap it does exactly what the allocator does: random operations, under every
//!   policy and option, run side by side on a [`Heap`] and a `LooseHeap`, give the same
//!   addresses, the same blocks and the same bytes, and the inspector finds nothing wrong;
//! - whatever bytes are written anywhere in its memory, every later operation either
//!   completes or stops as a simulated crash that changes nothing, and it never panics.
#![cfg(not(target_arch = "wasm32"))]

use std::mem::MaybeUninit;

use brkalloc::{ArenaBreak, Heap, Options, Policy, HEADER_SIZE};
use brkalloc_lab::loose::{LooseHeap, Stop};
use brkalloc_lab::write;
use brkalloc_lab::Recorder;
use proptest::prelude::*;

const ARENA: usize = 1 << 16;

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    Calloc(usize, usize),
    /// Frees the live block at this index (modulo the number of live blocks).
    Free(usize),
    Realloc(usize, usize),
    /// Writes `len` bytes of `byte` at `offset` into the live block at the index.
    Write(usize, usize, usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![0usize..64, 0usize..600, 0usize..5000];
    prop_oneof![
        4 => size.clone().prop_map(Op::Alloc),
        1 => (0usize..8, 0usize..64).prop_map(|(c, s)| Op::Calloc(c, s)),
        3 => any::<usize>().prop_map(Op::Free),
        2 => (any::<usize>(), size).prop_map(|(i, s)| Op::Realloc(i, s)),
        2 => (any::<usize>(), 0usize..64, 0usize..64, any::<u8>()).prop_map(|(i, o, l, b)| Op::Write(i, o, l, b)),
    ]
}

fn options() -> impl Strategy<Value = Options> {
    (0usize..5, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(p, split, coalesce, trim)| Options {
            policy: Policy::ALL[p],
            split,
            coalesce,
            trim,
            // The checks-off heap stores `next` in every header.
            derive: false,
        },
    )
}

/// The heap's bytes from its start to its break, as words, for a heap in `[lo, lo + ARENA)`.
fn words(bytes: &[u8]) -> Vec<usize> {
    bytes
        .chunks_exact(std::mem::size_of::<usize>())
        .map(|c| usize::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn on_a_sound_heap_it_does_exactly_what_the_allocator_does(options in options(), ops in prop::collection::vec(op(), 1..120)) {
        let mut memory = vec![MaybeUninit::new(0u8); 2 * ARENA];
        let (a, b) = memory.split_at_mut(ARENA);
        let mut real = Heap::new(ArenaBreak::new(a), options);
        let mut loose = LooseHeap::new(ArenaBreak::new(b), options, Recorder::default());
        // The two arenas lie ARENA bytes apart: an address in one is that much lower than
        // the same address in the other.
        let delta = ARENA;
        let mut live: Vec<usize> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc(n) => {
                    let r = real.alloc(n).map(|p| p.as_ptr() as usize);
                    let l = loose.alloc(n);
                    match (r, l) {
                        (Ok(r), Ok(l)) => { prop_assert_eq!(l, r + delta); live.push(r); }
                        (Err(_), Err(Stop::Refused(_))) => {}
                        (r, l) => prop_assert!(false, "malloc({n}): {r:?} vs {l:?}"),
                    }
                }
                Op::Calloc(c, s) => {
                    let r = real.calloc(c, s).map(|p| p.as_ptr() as usize);
                    let l = loose.calloc(c, s);
                    match (r, l) {
                        (Ok(r), Ok(l)) => { prop_assert_eq!(l, r + delta); live.push(r); }
                        (Err(_), Err(Stop::Refused(_))) => {}
                        (r, l) => prop_assert!(false, "calloc({c}, {s}): {r:?} vs {l:?}"),
                    }
                }
                Op::Free(i) if !live.is_empty() => {
                    let p = live.swap_remove(i % live.len());
                    real.free(std::ptr::without_provenance_mut(p)).unwrap();
                    prop_assert_eq!(loose.free(p + delta), Ok(()));
                }
                Op::Realloc(i, n) if !live.is_empty() => {
                    let i = i % live.len();
                    let p = live[i];
                    let r = real
                        .realloc(std::ptr::without_provenance_mut(p), n)
                        .map(|q| q.as_ptr().addr());
                    let l = loose.realloc(p + delta, n);
                    match (r, l) {
                        (Ok(r), Ok(l)) => { prop_assert_eq!(l, r + delta); live[i] = r; }
                        (Err(_), Err(Stop::Refused(_))) => {}
                        (r, l) => prop_assert!(false, "realloc: {r:?} vs {l:?}"),
                    }
                }
                Op::Write(i, offset, len, byte) if !live.is_empty() => {
                    let p = live[i % live.len()];
                    let size = real.block_at(p).unwrap().size;
                    let offset = offset % size;
                    let len = len.min(size - offset);
                    let bytes = vec![byte; len];
                    write::write(&mut real, p + offset, &bytes).unwrap();
                    prop_assert_eq!(loose.write(p + delta + offset, &bytes), Ok(()));
                }
                _ => {}
            }
            prop_assert_eq!(real.check(), Ok(()));
            let damage = loose.inspect();
            prop_assert!(damage.damaged.is_empty(), "{:?}", damage.damaged);
            // The same blocks, ARENA bytes apart.
            let r: Vec<_> = real.blocks().map(|b| (b.header, b.size, b.free, if b.next == 0 { 0 } else { b.next + delta })).collect();
            let l: Vec<_> = damage.blocks.iter().map(|w| (w.info.header - delta, w.info.size, w.info.free, w.info.next)).collect();
            prop_assert_eq!(&r, &l);
            prop_assert_eq!(real.brk() + delta, loose.brk());
            prop_assert_eq!(real.heap_start() + delta, loose.heap_start());
            // The same bytes: every word equal, or a pointer into the arena ARENA bytes higher.
            let start = real.heap_start();
            let len = real.brk() - start;
            let rb = words(&read_real(&real, start, len));
            let lb = words(&loose.read(start + delta, len).unwrap_or_default());
            prop_assert_eq!(rb.len(), lb.len());
            for (k, (x, y)) in rb.iter().zip(&lb).enumerate() {
                // (A stale pointer, above the break, left in a free block's data, counts too, as
                // does one whose top bytes a write changed since.)
                let pointer = y.wrapping_sub(*x) == delta;
                prop_assert!(x == y || pointer, "word {k} of the heap: {x:#x} vs {y:#x}");
            }
            // The same lists.
            let listed: Vec<_> = real.listed().map(|(c, m, h)| (c, m, h + delta)).collect();
            let mut loose_listed = Vec::new();
            for (class, min, head) in loose.list_heads().collect::<Vec<_>>() {
                let mut x = head;
                let mut n = 0;
                while x != 0 && n < 10_000 {
                    loose_listed.push((class, min, x));
                    x = loose.memory().word(x + HEADER_SIZE + std::mem::size_of::<usize>(), "").unwrap();
                    n += 1;
                }
            }
            prop_assert_eq!(listed, loose_listed);
        }
    }

    #[test]
    fn whatever_is_written_every_operation_completes_or_crashes_and_a_crash_changes_nothing(
        options in options(),
        setup in prop::collection::vec(op(), 1..40),
        scribbles in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 1..24), any::<bool>()), 1..6),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let mut memory = vec![MaybeUninit::new(0u8); ARENA];
        let mut loose = LooseHeap::new(ArenaBreak::new(&mut memory), options, Recorder::default());
        let mut live = Vec::new();
        for op in setup {
            run(&mut loose, &mut live, op);
        }
        for (at, bytes, plausible) in scribbles {
            let (start, end) = (loose.memory().start(), loose.brk());
            if end <= start {
                break;
            }
            let at = start + at % (end - start);
            let mut bytes = bytes;
            let w = std::mem::size_of::<usize>();
            if plausible && bytes.len() >= w {
                // A word that points into the heap, or just past it.
                let p = start + (at.wrapping_mul(7919)) % (end - start + 64);
                bytes[..w].copy_from_slice(&p.to_ne_bytes());
            }
            let _ = loose.write(at, &bytes);
        }
        for op in ops {
            let before = image(&loose);
            let blocks_before = loose.blocks();
            let outcome = run(&mut loose, &mut live, op.clone());
            let _ = loose.inspect();
            if let Some(Stop::Fault(fault)) = outcome {
                prop_assert_eq!(&image(&loose), &before, "{:?} crashed ({}) and changed bytes", op, fault);
                prop_assert_eq!(loose.blocks(), blocks_before);
            }
        }
    }
}

/// The heap's bytes from start to break, and the break.
fn image(loose: &LooseHeap<ArenaBreak<'_>>) -> (usize, Vec<u8>) {
    let (start, end) = (loose.memory().start(), loose.brk());
    (end, loose.read(start, end - start).unwrap_or_default())
}

/// Runs one operation with live pointers taken as C would: whatever the names hold.
fn run(loose: &mut LooseHeap<ArenaBreak<'_>>, live: &mut Vec<usize>, op: Op) -> Option<Stop> {
    let pick = |live: &Vec<usize>, i: usize| {
        if live.is_empty() {
            i
        } else {
            live[i % live.len()]
        }
    };
    let r = match op {
        Op::Alloc(n) => loose.alloc(n).map(|p| live.push(p)),
        Op::Calloc(c, s) => loose.calloc(c, s).map(|p| live.push(p)),
        // Live pointers stay in the list after a free: the next free of the same one is a
        // double free, as in C.
        Op::Free(i) => loose.free(pick(live, i)),
        Op::Realloc(i, n) => loose.realloc(pick(live, i), n).map(|p| live.push(p)),
        Op::Write(i, o, l, b) => loose.write(pick(live, i).wrapping_add(o), &vec![b; l]),
    };
    r.err()
}

fn read_real(real: &Heap<ArenaBreak<'_>, Options>, start: usize, len: usize) -> Vec<u8> {
    let bytes = real.bytes(start, len).unwrap_or_default();
    // SAFETY: the arena was zeroed when the test made it: every byte is initialised.
    bytes.iter().map(|b| unsafe { b.assume_init() }).collect()
}
