//! The heap's rules, one test each, on an [`ArenaBreak`] (and a [`PagedBreak`] over fake pages
//! for segments): the brief's walk-through, alignment, splitting, coalescing, trimming, each
//! placement policy's choice, `realloc`, `calloc`, refused operations, the invariant checker,
//! the observer's events and the heap's totals.
//!
//! Every test runs `check()` (and the chain checks of `support::assert_sound`) after every step.
//! None calls `sbrk` or `mmap`, so all of them run under Miri.

mod support;

use std::alloc::Layout;
use std::ptr::NonNull;

use brkalloc::brk::FakePages;
use brkalloc::heap::{StartBits, StartMap};
use brkalloc::{
    AllocError, ArenaBreak, BlockInfo, Break, BreakError, Config, Corruption, Event, FreeError,
    Heap, Observer, Options, PagedBreak, Policy, ReallocError, ALIGN, HEADER_SIZE, MAX_SEGMENTS,
    MAX_SIZE, MIN_DATA,
};
use support::{
    assert_filled, assert_sound, block_size, fill, map_words, read, segments, state, Arena,
    Recorder,
};

/// The two option sets most rules are stated for.
const BOTH: [(&str, Options); 2] = [("seed", Options::SEED), ("default", Options::DEFAULT)];

/// The block whose data is at `p`.
#[track_caller]
fn info<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &Heap<B, C, O, M>,
    p: NonNull<u8>,
) -> BlockInfo {
    heap.block_at(addr(p))
        .unwrap_or_else(|| panic!("{p:p} is not the data address of a block"))
}

fn addr(p: NonNull<u8>) -> usize {
    p.as_ptr() as usize
}

fn blocks<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &Heap<B, C, O, M>,
) -> Vec<BlockInfo> {
    heap.blocks().collect()
}

/// `alloc(size)` that must succeed, followed by the soundness checks.
#[track_caller]
fn alloc<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    size: usize,
) -> NonNull<u8> {
    let p = heap
        .alloc(size)
        .unwrap_or_else(|e| panic!("alloc({size}) failed: {e}"));
    assert_sound(heap);
    p
}

/// `free(p)` that must succeed, followed by the soundness checks.
#[track_caller]
fn free<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    p: NonNull<u8>,
) {
    heap.free(p.as_ptr())
        .unwrap_or_else(|e| panic!("free({p:p}) failed: {e}"));
    assert_sound(heap);
}

/// A data address with the provenance of `p`, `offset` bytes from it (may be before it).
fn offset(p: NonNull<u8>, offset: isize) -> *mut u8 {
    p.as_ptr().wrapping_offset(offset)
}

// ---------------------------------------------------------------------------------------------
// The brief's walk-through
// ---------------------------------------------------------------------------------------------

#[test]
fn walk_through_seed_frees_middle_then_last_then_first_fit_reuses_middle() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::SEED);
    assert_sound(&heap);
    let a = alloc(&mut heap, 24);
    let b = alloc(&mut heap, 8);
    let c = alloc(&mut heap, 40);
    fill(a, 24, 0xA1);
    fill(b, 8, 0xB2);
    fill(c, 40, 0xC3);
    let (ia, ib, ic) = (info(&heap, a), info(&heap, b), info(&heap, c));
    assert_eq!(
        blocks(&heap),
        vec![ia, ib, ic],
        "three blocks, in allocation order"
    );
    assert!(!ia.free && !ib.free && !ic.free);
    assert_eq!(ia.next, ib.header);
    assert_eq!(ib.next, ic.header);
    assert_eq!(ic.next, 0);
    assert_eq!(
        heap.brk(),
        ic.data + ic.size,
        "the break is right after the last block"
    );
    let brk0 = heap.brk();

    // Free the middle one: marked free, break unchanged.
    free(&mut heap, b);
    let ib_free = info(&heap, b);
    assert!(ib_free.free, "the middle block is marked free");
    assert_eq!(ib_free.size, ib.size);
    assert_eq!(
        heap.brk(),
        brk0,
        "freeing a middle block does not move the break"
    );
    assert_eq!(blocks(&heap).len(), 3);

    // Free the last: the break moves down by exactly its header and data.
    free(&mut heap, c);
    assert_eq!(heap.brk(), brk0 - (HEADER_SIZE + ic.size));
    assert_eq!(
        blocks(&heap),
        vec![
            ia,
            BlockInfo {
                free: true,
                next: 0,
                ..ib
            }
        ],
        "the seed gives back only the last block; the free middle one is now last"
    );

    // Allocate again: first fit reuses the freed middle block, whole.
    let d = alloc(&mut heap, 16);
    assert_eq!(d, b, "first fit reuses the freed middle block");
    assert_eq!(
        info(&heap, d),
        BlockInfo { next: 0, ..ib },
        "reused whole, used again"
    );
    assert_eq!(
        heap.brk(),
        brk0 - (HEADER_SIZE + ic.size),
        "reuse does not move the break"
    );
    assert_filled(a, 24, 0xA1, "the first block");
}

#[test]
fn walk_through_default_reuses_middle_and_trims_the_trailing_free_run() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let a = alloc(&mut heap, 24);
    let b = alloc(&mut heap, 8);
    let c = alloc(&mut heap, 40);
    fill(a, 24, 0xA1);
    fill(c, 40, 0xC3);
    let (ia, ib, ic) = (info(&heap, a), info(&heap, b), info(&heap, c));
    let brk0 = heap.brk();

    free(&mut heap, b);
    assert!(info(&heap, b).free, "the middle block is marked free");
    assert_eq!(
        heap.brk(),
        brk0,
        "freeing a middle block does not move the break"
    );

    // First fit reuses the freed middle block.
    let b2 = alloc(&mut heap, 8);
    assert_eq!(b2, b, "first fit reuses the freed middle block");
    assert_eq!(info(&heap, b2), ib);
    assert_eq!(heap.brk(), brk0);

    // Free the middle again, then the last: the whole trailing free run goes back.
    free(&mut heap, b2);
    free(&mut heap, c);
    assert_eq!(
        heap.brk(),
        brk0 - (2 * HEADER_SIZE + ib.size + ic.size),
        "with trim on, the free middle block goes back with the last"
    );
    assert_eq!(blocks(&heap), vec![BlockInfo { next: 0, ..ia }]);

    // Allocating again appends where the middle block was.
    let d = alloc(&mut heap, 16);
    assert_eq!(addr(d), ib.data);
    assert_eq!(heap.brk(), ib.data + block_size(16));
    assert_filled(a, 24, 0xA1, "the first block");
}

// ---------------------------------------------------------------------------------------------
// Sizes and alignment
// ---------------------------------------------------------------------------------------------

/// Every size 0..=300; under Miri, which is a thousand times slower, 0..=40 and the sizes
/// around each rounding step above that.
fn sizes_0_to_300() -> Vec<usize> {
    if cfg!(miri) {
        (0..=40)
            .chain([
                47, 48, 49, 63, 64, 65, 127, 128, 129, 255, 256, 257, 299, 300,
            ])
            .collect()
    } else {
        (0..=300).collect()
    }
}

#[test]
fn payloads_are_aligned_for_every_size_0_to_300() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(128 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let mut live = Vec::new();
        for n in sizes_0_to_300() {
            let p = alloc(&mut heap, n);
            assert_eq!(
                addr(p) % ALIGN,
                0,
                "{name}: alloc({n}) = {p:p} is not {ALIGN}-aligned"
            );
            assert!(info(&heap, p).size >= n, "{name}: alloc({n}) is too small");
            fill(p, n, n as u8);
            live.push((p, n));
            // Free every third block so later sizes also land in reused blocks.
            if n % 3 == 2 {
                let (q, _) = live.remove(live.len() / 2);
                free(&mut heap, q);
            }
        }
        for (p, n) in live {
            assert_filled(p, n, n as u8, name);
        }
    }
}

#[test]
fn fresh_blocks_have_the_smallest_size_that_holds_the_request() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(64 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        for n in [0, 1, 8, 15, 16, 17, 31, 32, 33, 48, 100, 255, 256, 1000] {
            let brk = heap.brk();
            let p = alloc(&mut heap, n);
            assert_eq!(
                addr(p),
                brk + HEADER_SIZE,
                "{name}: alloc({n}) appends at the break"
            );
            assert_eq!(info(&heap, p).size, block_size(n), "{name}: alloc({n})");
            assert_eq!(
                heap.brk(),
                brk + HEADER_SIZE + block_size(n),
                "{name}: alloc({n})"
            );
        }
    }
}

#[test]
fn alloc_layout_honours_alignments_1_to_4096() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(256 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let mut live = Vec::new();
        for shift in 0..=12 {
            let align = 1usize << shift;
            let sizes: &[usize] = if cfg!(miri) {
                &[0, 24]
            } else {
                &[0, 1, 24, 100]
            };
            for &size in sizes {
                // A small block first, so the break is not already aligned by luck.
                let nudge = alloc(&mut heap, 8);
                live.push((nudge, 0, 0));
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = heap
                    .alloc_layout(layout)
                    .unwrap_or_else(|e| panic!("{name}: alloc_layout({layout:?}) failed: {e}"));
                assert_sound(&heap);
                assert_eq!(addr(p) % align, 0, "{name}: {layout:?} gave {p:p}");
                assert!(
                    info(&heap, p).size >= size,
                    "{name}: {layout:?} block is too small"
                );
                assert!(!info(&heap, p).free);
                let byte = (shift * 4 + size % 7) as u8 + 1;
                fill(p, size, byte);
                live.push((p, size, byte));
            }
        }
        for &(p, size, byte) in &live {
            assert_filled(p, size, byte, name);
        }
        for (p, _, _) in live {
            free(&mut heap, p);
        }
        assert!(
            blocks(&heap).iter().all(|b| b.free),
            "{name}: everything is free"
        );
    }
}

#[test]
fn alloc_zero_returns_a_unique_minimum_size_block() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let ps: Vec<_> = (0..3).map(|_| alloc(&mut heap, 0)).collect();
        assert_ne!(ps[0], ps[1], "{name}");
        assert_ne!(ps[1], ps[2], "{name}");
        assert_ne!(ps[0], ps[2], "{name}");
        for &p in &ps {
            assert_eq!(
                info(&heap, p).size,
                MIN_DATA,
                "{name}: alloc(0) is a minimum-size block"
            );
        }
        for p in ps {
            free(&mut heap, p);
        }
    }
}

#[test]
fn an_unaligned_arena_still_gives_aligned_blocks() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(8192);
        let buffer = &mut arena.buffer()[3..];
        let mut heap = Heap::new(ArenaBreak::new(buffer), options);
        let a = alloc(&mut heap, 24);
        let b = alloc(&mut heap, 100);
        assert_eq!(addr(a) % ALIGN, 0, "{name}");
        assert_eq!(addr(b) % ALIGN, 0, "{name}");
        assert_eq!(heap.brk(), heap.backend().current() as usize, "{name}");
        fill(a, 24, 1);
        fill(b, 100, 2);
        free(&mut heap, a);
        free(&mut heap, b);
    }
}

#[test]
fn tiny_and_unaligned_arenas_refuse_cleanly_or_serve_aligned_blocks() {
    let mut arena = Arena::new(256);
    for start in [0, 1, 7, 8, 15] {
        for len in [0, 1, 15, 16, 31, 32, 47, 48, 63, 64, 100] {
            for (name, options) in BOTH {
                let buffer = &mut arena.buffer()[start..start + len];
                let mut heap = Heap::new(ArenaBreak::new(buffer), options);
                assert_sound(&heap);
                let before = state(&heap);
                match heap.alloc(0) {
                    Ok(p) => {
                        assert_sound(&heap);
                        assert_eq!(addr(p) % ALIGN, 0, "{name}: start {start}, len {len}");
                        let b = info(&heap, p);
                        assert!(
                            b.data + b.size <= heap.backend().current() as usize,
                            "{name}: start {start}, len {len}: the block ends past the break"
                        );
                        fill(p, b.size, 0x7E);
                        free(&mut heap, p);
                    }
                    Err(e) => {
                        assert!(
                            matches!(e, AllocError::OutOfMemory { size: 0, .. }),
                            "{name}: start {start}, len {len}: {e:?}"
                        );
                        assert_eq!(state(&heap), before, "{name}: start {start}, len {len}");
                        assert_sound(&heap);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Splitting, coalescing, trimming
// ---------------------------------------------------------------------------------------------

#[test]
fn default_splits_a_larger_free_block_on_reuse() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let a = alloc(&mut heap, 256);
    let guard = alloc(&mut heap, 16);
    free(&mut heap, a);
    let brk = heap.brk();
    let p = alloc(&mut heap, 24);
    assert_eq!(p, a, "first fit reuses the free block");
    let rest = BlockInfo {
        header: addr(a) + 32,
        data: addr(a) + 32 + HEADER_SIZE,
        size: 256 - 32 - HEADER_SIZE,
        free: true,
        next: info(&heap, guard).header,
    };
    assert_eq!(
        info(&heap, p).size,
        32,
        "the front keeps just what was asked"
    );
    assert_eq!(blocks(&heap)[1], rest, "the rest becomes a free block");
    assert_eq!(heap.brk(), brk);
}

#[test]
fn an_aligned_request_takes_the_end_of_a_free_block_and_leaves_the_front_free() {
    let align = 4 * ALIGN;
    let mut arena = Arena::new(8192);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    // A free block whose data is not aligned to `align`, between two used blocks: small
    // blocks move the break on until the next data address is misaligned.
    let mut hole = alloc(&mut heap, 512);
    while addr(hole) % align == 0 {
        hole = alloc(&mut heap, 16);
        hole = if addr(hole) % align == 0 {
            hole
        } else {
            alloc(&mut heap, 512)
        };
    }
    assert_ne!(addr(hole) % align, 0, "the hole starts misaligned");
    let guard = alloc(&mut heap, 16);
    free(&mut heap, hole);
    let brk = heap.brk();
    let p = heap
        .alloc_layout(Layout::from_size_align(64, align).unwrap())
        .unwrap();
    assert_sound(&heap);
    assert_eq!(addr(p) % align, 0);
    assert_eq!(heap.brk(), brk, "served from the hole, not the break");
    let front = info(&heap, hole);
    assert!(front.free, "the bytes in front stay free");
    assert_eq!(
        front.next,
        addr(p) - HEADER_SIZE,
        "in one piece, up to the new block"
    );
    let b = info(&heap, p);
    assert!(b.size >= 64 && b.size < 64 + HEADER_SIZE + MIN_DATA);
    assert_eq!(b.next, info(&heap, guard).header, "no free block after it");
}

#[test]
fn the_segregated_policy_keeps_a_free_last_block_off_its_lists_and_uses_it_last() {
    let mut arena = Arena::new(8192);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), brkalloc::GrowOnlyConfig);
    let a = alloc(&mut heap, 96);
    let _guard = alloc(&mut heap, 16);
    let top = alloc(&mut heap, 1024);
    free(&mut heap, a);
    let brk = heap.brk();
    free(&mut heap, top);
    assert_eq!(
        heap.brk(),
        brk,
        "the grow-only configuration keeps the break"
    );
    let last = *blocks(&heap).last().unwrap();
    assert!(
        last.free && last.data == addr(top),
        "the last block stays, free"
    );
    let listed: Vec<usize> = heap.listed().map(|(_, _, b)| b).collect();
    assert_eq!(
        listed,
        vec![info(&heap, a).header],
        "only the hole is listed"
    );
    // A request the hole holds goes there, not to the top.
    let p = alloc(&mut heap, 64);
    assert_eq!(p, a);
    // One the hole cannot hold takes the top, and one larger than the top extends it.
    let q = alloc(&mut heap, 512);
    assert_eq!(q, top);
    let r = alloc(&mut heap, 2048);
    assert_eq!(info(&heap, r).header, info(&heap, q).next);
    assert_eq!(heap.brk(), addr(r) + 2048);
    assert!(
        heap.brk() <= brk + 2048,
        "the free rest was extended, not left behind"
    );
}

#[test]
fn default_does_not_split_off_a_rest_too_small_for_a_block() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    // Taking 32 bytes leaves a header and MIN_DATA - ALIGN bytes of data: too small a block.
    let size = 32 + HEADER_SIZE + MIN_DATA - ALIGN;
    let a = alloc(&mut heap, size);
    let _guard = alloc(&mut heap, 16);
    free(&mut heap, a);
    let p = alloc(&mut heap, 32);
    assert_eq!(p, a);
    assert_eq!(
        info(&heap, p).size,
        block_size(size),
        "the block is reused whole"
    );
    assert_eq!(blocks(&heap).len(), 2);
}

#[test]
fn seed_reuses_a_free_block_whole() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::SEED);
    let a = alloc(&mut heap, 256);
    let _guard = alloc(&mut heap, 16);
    free(&mut heap, a);
    let p = alloc(&mut heap, 24);
    assert_eq!(p, a);
    assert_eq!(
        info(&heap, p).size,
        256,
        "no split: the whole block is used"
    );
    assert_eq!(blocks(&heap).len(), 2);
}

/// Five used blocks `a b c d guard`; returns them.
fn five<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
) -> [NonNull<u8>; 5] {
    [
        alloc(heap, 32),
        alloc(heap, 48),
        alloc(heap, 64),
        alloc(heap, 80),
        alloc(heap, 16),
    ]
}

#[test]
fn default_coalesces_with_both_neighbours() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let [a, b, c, d, _guard] = five(&mut heap);
    let (ia, ib, ic, id) = (
        info(&heap, a),
        info(&heap, b),
        info(&heap, c),
        info(&heap, d),
    );

    // With the block before: free b, then c, whose previous neighbour b is free.
    free(&mut heap, b);
    free(&mut heap, c);
    let merged = info(&heap, b);
    assert!(merged.free);
    assert_eq!(
        merged.size,
        ib.size + HEADER_SIZE + ic.size,
        "b absorbed c (its previous neighbour was free)"
    );
    assert_eq!(merged.next, id.header);
    assert!(heap.block_at(ic.data).is_none(), "c is no longer a block");

    // With both neighbours: a (before) and d (after) are used; free d, then a.
    free(&mut heap, d);
    let merged = info(&heap, b);
    assert_eq!(
        merged.size,
        ib.size + ic.size + id.size + 2 * HEADER_SIZE,
        "d merged backwards"
    );
    free(&mut heap, a);
    let all = info(&heap, a);
    assert!(all.free);
    assert_eq!(
        all.size,
        ia.size + ib.size + ic.size + id.size + 3 * HEADER_SIZE,
        "a merged forwards with the whole run"
    );
    assert_eq!(blocks(&heap).len(), 2, "one free block, then the guard");
}

#[test]
fn default_coalesces_a_block_freed_between_two_free_blocks() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let [a, b, c, _d, _guard] = five(&mut heap);
    let (ia, ib, ic) = (info(&heap, a), info(&heap, b), info(&heap, c));
    free(&mut heap, a);
    free(&mut heap, c);
    assert_eq!(blocks(&heap).len(), 5, "a and c are not adjacent");
    free(&mut heap, b);
    let merged = info(&heap, a);
    assert!(merged.free);
    assert_eq!(merged.size, ia.size + ib.size + ic.size + 2 * HEADER_SIZE);
    assert_eq!(blocks(&heap).len(), 3, "a, b and c are one block now");
}

#[test]
fn seed_never_coalesces() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::SEED);
    let [a, b, c, _d, _guard] = five(&mut heap);
    let before = blocks(&heap);
    free(&mut heap, a);
    free(&mut heap, c);
    free(&mut heap, b);
    let after = blocks(&heap);
    assert_eq!(after.len(), 5);
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(x.size, y.size, "no block changed size");
    }
    assert!(after[0].free && after[1].free && after[2].free);
}

#[test]
fn coalescing_off_keeps_neighbours_apart_even_with_split_and_trim() {
    let options = Options {
        coalesce: false,
        ..Options::DEFAULT
    };
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
    let [a, b, _c, _d, _guard] = five(&mut heap);
    free(&mut heap, a);
    free(&mut heap, b);
    assert_eq!(blocks(&heap).len(), 5);
}

#[test]
fn trim_gives_the_whole_trailing_free_run_back() {
    // Coalescing off, so the run stays several blocks and trimming alone is tested.
    let options = Options {
        coalesce: false,
        ..Options::DEFAULT
    };
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
    let [a, b, c, d, guard] = five(&mut heap);
    let ia = info(&heap, a);
    free(&mut heap, b);
    free(&mut heap, c);
    free(&mut heap, d);
    assert_eq!(
        blocks(&heap).len(),
        5,
        "nothing is trimmed while the last block is used"
    );
    free(&mut heap, guard);
    assert_eq!(blocks(&heap), vec![BlockInfo { next: 0, ..ia }]);
    assert_eq!(heap.brk(), ia.data + ia.size, "the break is right after a");
    free(&mut heap, a);
    assert!(blocks(&heap).is_empty());
    assert_eq!(heap.brk(), heap.heap_start());
    assert_eq!(heap.brk(), arena_base(&heap));
}

/// The break of an arena heap with no blocks is the arena's start.
fn arena_base<C: Config, O: Observer, M: StartMap>(heap: &Heap<ArenaBreak<'_>, C, O, M>) -> usize {
    heap.backend().current() as usize - heap.backend().used()
}

#[test]
fn seed_gives_back_only_the_last_block() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::SEED);
    let [_a, b, c, d, guard] = five(&mut heap);
    let (ib, ic, id) = (info(&heap, b), info(&heap, c), info(&heap, d));
    free(&mut heap, b);
    free(&mut heap, c);
    free(&mut heap, d);
    let brk = heap.brk();
    let ig = info(&heap, guard);
    free(&mut heap, guard);
    assert_eq!(
        heap.brk(),
        brk - HEADER_SIZE - ig.size,
        "only the guard went back"
    );
    let after = blocks(&heap);
    assert_eq!(after.len(), 4);
    assert_eq!(
        after[1..],
        [ib, ic, BlockInfo { next: 0, ..id }].map(|b| BlockInfo { free: true, ..b })
    );
}

// ---------------------------------------------------------------------------------------------
// Placement policies
// ---------------------------------------------------------------------------------------------

/// Builds `[free 64][used][free 32][used][free 128][used]` and returns the data addresses of
/// the three free blocks, in chain order.
fn three_holes<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
) -> [NonNull<u8>; 3] {
    let f64 = alloc(heap, 64);
    let _u1 = alloc(heap, 16);
    let f32 = alloc(heap, 32);
    let _u2 = alloc(heap, 16);
    let f128 = alloc(heap, 128);
    let _u3 = alloc(heap, 16);
    free(heap, f64);
    free(heap, f32);
    free(heap, f128);
    [f64, f32, f128]
}

#[test]
fn each_policy_picks_the_block_it_should() {
    for split in [false, true] {
        for (policy, want) in [
            (Policy::FirstFit, 0),
            (Policy::BestFit, 1),
            (Policy::WorstFit, 2),
            (Policy::Segregated, 1),
        ] {
            let options = Options {
                policy,
                split,
                ..Options::DEFAULT
            };
            let mut arena = Arena::new(4096);
            let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
            let holes = three_holes(&mut heap);
            let brk = heap.brk();
            let p = alloc(&mut heap, 24);
            assert_eq!(
                p,
                holes[want],
                "{policy} (split {split}) should take the hole of {} bytes",
                [64, 32, 128][want]
            );
            assert_eq!(
                heap.brk(),
                brk,
                "{policy}: a fitting hole is used, the break stays"
            );
        }
    }
}

#[test]
fn next_fit_continues_after_the_previous_pick() {
    let options = Options {
        split: false,
        ..Options::with_policy(Policy::NextFit)
    };
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
    let holes = three_holes(&mut heap);
    let index = |p: NonNull<u8>| {
        holes
            .iter()
            .position(|&h| h == p)
            .unwrap_or_else(|| panic!("next fit took {p:p}, not one of the holes"))
    };
    let x = index(alloc(&mut heap, 24));
    let y = index(alloc(&mut heap, 24));
    assert_eq!(
        y,
        (x + 1) % 3,
        "the second search starts after the first pick"
    );
    // Give the first pick back: first fit would take it again, next fit moves on.
    free(&mut heap, holes[x]);
    let z = index(alloc(&mut heap, 24));
    // Holes x and the third one are free; the one after y in chain order is one of them.
    assert_eq!(
        z,
        (y + 1) % 3,
        "after picking hole {y}, next fit continues with the next free hole in chain order"
    );
    let mut arena = Arena::new(4096);
    let mut first = Heap::new(
        ArenaBreak::new(arena.buffer()),
        Options {
            split: false,
            ..Options::DEFAULT
        },
    );
    let holes = three_holes(&mut first);
    let p = alloc(&mut first, 24);
    let _q = alloc(&mut first, 24);
    free(&mut first, p);
    assert_eq!(
        alloc(&mut first, 24),
        holes[0],
        "first fit, for contrast, goes back to the start"
    );
}

// ---------------------------------------------------------------------------------------------
// realloc
// ---------------------------------------------------------------------------------------------

#[test]
fn realloc_shrinks_in_place() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let p = alloc(&mut heap, 256);
        let _guard = alloc(&mut heap, 16);
        fill(p, 256, 0x5A);
        let q = heap.realloc(p.as_ptr(), 40).unwrap();
        assert_sound(&heap);
        assert_eq!(q, p, "{name}: shrinking stays in place");
        assert_filled(q, 40, 0x5A, name);
        if options.split {
            assert_eq!(
                info(&heap, q).size,
                block_size(40),
                "{name}: the tail is split off"
            );
            let rest = blocks(&heap)[1];
            assert!(rest.free, "{name}: the tail is a free block");
            assert_eq!(rest.header, addr(q) + block_size(40));
        }
    }
}

#[test]
fn realloc_grows_in_place_into_a_free_next_block() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::with_observer(
        ArenaBreak::new(arena.buffer()),
        Options::DEFAULT,
        Recorder::default(),
    );
    let a = alloc(&mut heap, 64);
    let b = alloc(&mut heap, 128);
    let guard = alloc(&mut heap, 16);
    fill(a, 64, 0x11);
    fill(guard, 16, 0x22);
    free(&mut heap, b);
    let brk = heap.brk();
    let ia = info(&heap, a);
    heap.observer_mut().take();
    let q = heap.realloc(a.as_ptr(), 150).unwrap();
    assert_sound(&heap);
    assert_eq!(
        q, a,
        "the free neighbour is absorbed; the data does not move"
    );
    assert!(info(&heap, q).size >= 150);
    assert_filled(q, 64, 0x11, "the old contents");
    assert_filled(guard, 16, 0x22, "the guard");
    assert_eq!(heap.brk(), brk);
    let events = heap.observer_mut().take();
    assert!(
        events.iter().any(|e| matches!(e, Event::ResizeInPlace { block, from, .. } if *block == ia.header && *from == ia.size)),
        "a ResizeInPlace event: {events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::Move { .. })),
        "no Move: {events:?}"
    );
}

#[test]
fn realloc_grows_the_last_block_by_moving_the_break() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(8192);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let _a = alloc(&mut heap, 64);
        let b = alloc(&mut heap, 64);
        fill(b, 64, 0x33);
        let q = heap.realloc(b.as_ptr(), 1000).unwrap();
        assert_sound(&heap);
        assert_eq!(q, b, "{name}: the last block grows where it is");
        assert_eq!(info(&heap, q).size, block_size(1000), "{name}");
        assert_eq!(
            heap.brk(),
            addr(b) + block_size(1000),
            "{name}: the break moved up"
        );
        assert_filled(q, 64, 0x33, name);
        fill(q, 1000, 0x44);
    }
}

#[test]
fn realloc_moves_and_copies_when_it_cannot_grow_in_place() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(8192);
        let mut heap = Heap::with_observer(
            ArenaBreak::new(arena.buffer()),
            options,
            Recorder::default(),
        );
        let a = alloc(&mut heap, 64);
        let b = alloc(&mut heap, 64);
        let bytes: Vec<u8> = (0..64).map(|i| i as u8 * 3 + 1).collect();
        // SAFETY: `a` has at least 64 writable bytes.
        unsafe { a.as_ptr().copy_from_nonoverlapping(bytes.as_ptr(), 64) };
        fill(b, 64, 0x77);
        heap.observer_mut().take();
        let q = heap.realloc(a.as_ptr(), 500).unwrap();
        assert_sound(&heap);
        assert_ne!(q, a, "{name}: the used neighbour forces a move");
        assert_eq!(read(q, 64), bytes, "{name}: the contents were copied");
        assert_filled(b, 64, 0x77, name);
        assert!(
            !matches!(heap.block_at(addr(a)), Some(i) if !i.free),
            "{name}: the old block is free"
        );
        let events = heap.observer_mut().take();
        assert!(
            events.iter().any(
                |e| matches!(e, Event::Move { from, to, .. } if *from == addr(a) && *to == addr(q))
            ),
            "{name}: a Move event: {events:?}"
        );
    }
}

/// Allocates small blocks until a used one follows `p`, so `p` cannot grow in place. (The
/// first ones may land in padding the heap left before `p`.)
fn guard_after<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    p: NonNull<u8>,
) {
    for _ in 0..64 {
        if alloc(heap, 8) > p {
            return;
        }
    }
    panic!("64 small blocks and none after {p:p}");
}

/// The checked `realloc` has no layout, so, like C's, it guarantees [`ALIGN`] only: a moved
/// over-aligned block lands at an ALIGN-aligned address with its contents. (Keeping a larger
/// alignment is `realloc_unchecked`'s job: see the next test.)
#[test]
fn checked_realloc_of_an_over_aligned_block_guarantees_align() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(16 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let _nudge = alloc(&mut heap, 8);
        let p = heap
            .alloc_layout(Layout::from_size_align(64, 256).unwrap())
            .unwrap();
        guard_after(&mut heap, p);
        fill(p, 64, 0x66);
        let q = heap.realloc(p.as_ptr(), 1000).unwrap();
        assert_sound(&heap);
        assert_ne!(q, p, "{name}: the guard forces a move");
        assert_eq!(addr(q) % ALIGN, 0, "{name}: {q:p}");
        assert!(
            !info(&heap, q).free && info(&heap, q).size >= 1000,
            "{name}"
        );
        assert_filled(q, 64, 0x66, name);
    }
}

#[test]
fn realloc_unchecked_keeps_the_layout_alignment() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(16 * 1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let _nudge = alloc(&mut heap, 8);
        let layout = Layout::from_size_align(64, 512).unwrap();
        let p = heap.alloc_layout(layout).unwrap();
        guard_after(&mut heap, p);
        fill(p, 64, 0x67);
        // SAFETY: `p` was allocated by this heap with `layout` and is live.
        let q = unsafe { heap.realloc_unchecked(p, layout, 2000) }.unwrap();
        assert_sound(&heap);
        assert_ne!(q, p, "{name}: the guard forces a move");
        assert_eq!(addr(q) % 512, 0, "{name}: {q:p}");
        assert_filled(q, 64, 0x67, name);
    }
}

#[test]
fn realloc_refuses_bad_pointers_and_changes_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        realloc_bad_pointers_on(&mut heap, name);
        let mut arena = Arena::new(4096);
        let mut words = map_words(4096);
        let map = StartBits::new(&mut words, arena.base());
        let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), options, map);
        realloc_bad_pointers_on(&mut heap, name);
    }
}

fn realloc_bad_pointers_on<M: StartMap>(
    heap: &mut Heap<ArenaBreak<'_>, Options, (), M>,
    name: &str,
) {
    let a = alloc(heap, 64);
    let b = alloc(heap, 64);
    let _c = alloc(heap, 64);
    free(heap, b);
    let (ia, ib) = (info(heap, a), info(heap, b));
    let outside = heap.brk() + 64;
    let cases: [(*mut u8, FreeError); 5] = [
        (std::ptr::null_mut(), FreeError::Null),
        (
            offset(a, 8),
            FreeError::InsideBlock {
                addr: ia.data + 8,
                data: ia.data,
                offset: 8,
            },
        ),
        (
            offset(a, -(HEADER_SIZE as isize)),
            FreeError::Header {
                addr: ia.header,
                data: ia.data,
            },
        ),
        (b.as_ptr(), FreeError::DoubleFree { addr: ib.data }),
        (
            std::ptr::without_provenance_mut(outside),
            FreeError::NotInHeap { addr: outside },
        ),
    ];
    for (ptr, expected) in cases {
        let before = state(heap);
        assert_eq!(
            heap.realloc(ptr, 32),
            Err(ReallocError::Free(expected)),
            "{name}: realloc({ptr:p}, 32)"
        );
        assert_eq!(
            state(heap),
            before,
            "{name}: a refused realloc changed the heap"
        );
        assert_sound(heap);
    }
}

#[test]
fn realloc_to_an_impossible_size_keeps_the_block() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let a = alloc(&mut heap, 64);
        fill(a, 64, 0x99);
        let before = state(&heap);
        assert_eq!(
            heap.realloc(a.as_ptr(), usize::MAX),
            Err(ReallocError::Alloc(AllocError::TooLarge {
                size: usize::MAX
            })),
            "{name}"
        );
        assert_eq!(state(&heap), before, "{name}");
        match heap.realloc(a.as_ptr(), 8192) {
            Err(ReallocError::Alloc(AllocError::OutOfMemory { size: 8192, .. })) => {}
            other => panic!("{name}: realloc beyond the arena gave {other:?}"),
        }
        assert_eq!(
            state(&heap),
            before,
            "{name}: a failed realloc changed the heap"
        );
        assert_filled(a, 64, 0x99, name);
        assert_sound(&heap);
    }
}

// ---------------------------------------------------------------------------------------------
// calloc
// ---------------------------------------------------------------------------------------------

#[test]
fn calloc_zeroes_a_reused_dirty_block() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let a = alloc(&mut heap, 256);
        let _guard = alloc(&mut heap, 16);
        fill(a, 256, 0xAA);
        free(&mut heap, a);
        let c = heap.calloc(16, 16).unwrap();
        assert_sound(&heap);
        assert_eq!(c, a, "{name}: calloc reuses the dirty block");
        assert_filled(c, 256, 0, format_args!("{name}: calloc"));
    }
}

#[test]
fn calloc_zeroes_memory_the_break_gave_back_dirty() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let a = alloc(&mut heap, 256);
        fill(a, 256, 0xAA);
        free(&mut heap, a);
        assert!(blocks(&heap).is_empty(), "{name}: the last block went back");
        let c = heap.calloc(8, 32).unwrap();
        assert_sound(&heap);
        assert_filled(c, 256, 0, format_args!("{name}: calloc"));
    }
}

#[test]
fn calloc_of_zero_elements_is_a_unique_block() {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), Options::DEFAULT);
    let a = heap.calloc(0, 16).unwrap();
    let b = heap.calloc(16, 0).unwrap();
    assert_sound(&heap);
    assert_ne!(a, b);
}

#[test]
fn calloc_overflow_is_a_count_overflow_and_changes_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let _a = alloc(&mut heap, 64);
        let before = state(&heap);
        let e = heap.calloc(usize::MAX, 2).unwrap_err();
        assert_eq!(
            e,
            AllocError::CountOverflow {
                count: usize::MAX,
                size: 2
            },
            "{name}"
        );
        assert!(e.to_string().contains("overflow"), "{name}: {e}");
        assert_eq!(state(&heap), before, "{name}");
        assert_sound(&heap);
    }
}

// ---------------------------------------------------------------------------------------------
// Refused operations change nothing
// ---------------------------------------------------------------------------------------------

#[test]
fn alloc_of_a_size_that_overflows_is_too_large_and_changes_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let _a = alloc(&mut heap, 64);
        let b = alloc(&mut heap, 64);
        free(&mut heap, b);
        let before = state(&heap);
        for size in [
            usize::MAX,
            usize::MAX - 3,
            usize::MAX - HEADER_SIZE,
            usize::MAX - ALIGN + 1,
        ] {
            let e = heap.alloc(size).unwrap_err();
            assert_eq!(e, AllocError::TooLarge { size }, "{name}: alloc({size})");
            assert!(e.to_string().contains(&size.to_string()), "{name}: {e}");
            assert_eq!(
                state(&heap),
                before,
                "{name}: alloc({size}) changed the heap"
            );
            assert_sound(&heap);
        }
        // The largest size a Layout allows, with a large alignment: too large or out of memory.
        let layout = Layout::from_size_align(isize::MAX as usize - 4095, 4096).unwrap();
        assert!(heap.alloc_layout(layout).is_err(), "{name}: {layout:?}");
        assert_eq!(
            state(&heap),
            before,
            "{name}: alloc_layout({layout:?}) changed the heap"
        );
    }
}

/// Any size up to `MAX_SIZE` (about `isize::MAX`: no Rust object is larger) is asked of the
/// break, and fails only if the memory is not there. On wasm32 the limit used to be a quarter
/// of that (512 MiB), so `malloc(600 MiB)` failed as "too large" on a memory that can grow to
/// 4 GiB; here, the same rule on a 64-bit target.
#[test]
fn sizes_up_to_max_size_are_asked_of_the_break_and_larger_ones_are_too_large() {
    assert_eq!(MAX_SIZE, isize::MAX as usize & !(ALIGN - 1));
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let before = state(&heap);
        for size in [isize::MAX as usize / 4 + 1, MAX_SIZE / 2, MAX_SIZE] {
            match heap.alloc(size) {
                Err(AllocError::OutOfMemory { size: s, .. }) if s == size => {}
                other => panic!("{name}: alloc({size}) gave {other:?}, not out of memory"),
            }
            assert_eq!(state(&heap), before, "{name}: alloc({size})");
        }
        let e = heap.alloc(MAX_SIZE + 1).unwrap_err();
        assert_eq!(e, AllocError::TooLarge { size: MAX_SIZE + 1 }, "{name}");
        assert!(e.to_string().contains("the largest is"), "{name}: {e}");
    }
}

/// The fake page size of the segment-table tests below.
const SMALL_PAGE: usize = 256;
/// Bytes of arena those tests need: room for `MAX_SEGMENTS` blocks, the foreign pages between
/// them, and more.
const SEGMENTS_ARENA: usize = 4 * SMALL_PAGE * (MAX_SEGMENTS + 4);

/// A heap over fake pages whose memory lies in exactly `MAX_SEGMENTS` segments: another
/// allocator takes a page between every two of its blocks. Block `i` holds `SMALL_PAGE / 2` bytes
/// of `i`.
fn heap_in_max_segments<C: Config>(
    arena: &mut Arena,
    config: C,
) -> Heap<PagedBreak<FakePages<'_, SMALL_PAGE>>, C> {
    let brk = PagedBreak::new(FakePages::<SMALL_PAGE>::new(arena.buffer()));
    let mut heap = Heap::new(brk, config);
    for i in 0..MAX_SEGMENTS {
        // Another allocator takes a page between every two of ours.
        heap.backend().memory().grow_foreign(1).unwrap();
        let p = alloc(&mut heap, SMALL_PAGE / 2);
        fill(p, SMALL_PAGE / 2, i as u8);
        assert_eq!(heap.stats().segments, i + 1);
    }
    heap
}

/// The segment table is fixed: once the heap's memory lies in `MAX_SEGMENTS` runs, a break
/// that jumps again is refused as out of memory, the new region goes back, the heap is left as
/// it was (and still passes `check()`), and it grows no more until `reset`.
#[test]
fn one_segment_too_many_is_refused_and_changes_nothing() {
    let mut arena = Arena::new(SEGMENTS_ARENA);
    let mut heap = heap_in_max_segments(&mut arena, Options::DEFAULT);
    assert_sound(&heap);
    let before = state(&heap);
    heap.backend().memory().grow_foreign(1).unwrap();
    match heap.alloc(SMALL_PAGE / 2) {
        Err(AllocError::OutOfMemory { .. }) => {}
        other => panic!("a 33rd segment gave {other:?}"),
    }
    assert_eq!(
        state(&heap),
        before,
        "the refused allocation changed the heap"
    );
    let stats = heap.stats();
    assert!(stats.stranded && stats.segments == MAX_SEGMENTS);
    heap.check().unwrap();
    assert!(
        heap.alloc(SMALL_PAGE / 2).is_err(),
        "a stranded heap does not grow"
    );
    // Room inside the heap still serves.
    let last = heap.blocks().last().unwrap();
    heap.free(std::ptr::without_provenance_mut(last.data))
        .unwrap();
    assert!(heap.alloc(16).is_ok());
    heap.check().unwrap();
    heap.reset();
    assert!(!heap.stats().stranded);
    let p = alloc(&mut heap, 64);
    fill(p, 64, 7);
    assert_sound(&heap);
}

/// The same on a heap that never gives memory back (`GrowOnlyConfig`, the WebAssembly
/// configuration): the refused region stays with the break, past the heap's end, instead of
/// going back, so that no code to move the break down is needed; the heap is as it was,
/// stranded, and passes `check()`.
#[test]
fn one_segment_too_many_on_a_grow_only_heap_keeps_the_region_with_the_break() {
    let mut arena = Arena::new(SEGMENTS_ARENA);
    let mut heap = heap_in_max_segments(&mut arena, brkalloc::GrowOnlyConfig);
    heap.check().unwrap();
    let blocks: Vec<BlockInfo> = heap.blocks().collect();
    let brk = heap.brk();
    heap.backend().memory().grow_foreign(1).unwrap();
    assert!(matches!(
        heap.alloc(SMALL_PAGE / 2),
        Err(AllocError::OutOfMemory { .. })
    ));
    assert_eq!(heap.blocks().collect::<Vec<_>>(), blocks);
    assert_eq!(heap.brk(), brk, "the heap ends where it did");
    assert!(
        heap.backend().current().addr() > brk,
        "the region stays with the break"
    );
    let stats = heap.stats();
    assert!(stats.stranded && stats.segments == MAX_SEGMENTS);
    heap.check().unwrap();
    assert!(
        heap.alloc(SMALL_PAGE / 2).is_err(),
        "a stranded heap does not grow"
    );
}

/// An alignment larger than any the heap serves is an alignment error, not a size error.
#[test]
fn an_alignment_past_max_size_is_refused_as_an_alignment() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let before = state(&heap);
        let align = 1usize << (usize::BITS - 1);
        let layout = Layout::from_size_align(0, align).unwrap();
        let e = heap.alloc_layout(layout).unwrap_err();
        assert_eq!(e, AllocError::AlignTooLarge { align }, "{name}");
        assert!(e.to_string().contains("alignment"), "{name}: {e}");
        assert_eq!(heap.try_alloc_layout(layout), None, "{name}");
        assert_eq!(state(&heap), before, "{name}");
    }
}

#[test]
fn alloc_out_of_memory_in_a_small_arena_changes_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(1024);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let a = alloc(&mut heap, 100);
        fill(a, 100, 0x42);
        let before = state(&heap);
        match heap.alloc(2000) {
            Err(AllocError::OutOfMemory {
                size: 2000,
                cause: BreakError::OutOfMemory { .. },
            }) => {}
            other => panic!("{name}: alloc(2000) in 1 KiB gave {other:?}"),
        }
        assert_eq!(state(&heap), before, "{name}");
        // Fill the arena until it runs out; every refusal changes nothing.
        let mut n = 0;
        loop {
            let before = state(&heap);
            match heap.alloc(100) {
                Ok(p) => fill(p, 100, 0x43),
                Err(e) => {
                    assert!(
                        matches!(e, AllocError::OutOfMemory { size: 100, .. }),
                        "{name}: {e:?}"
                    );
                    assert!(e.to_string().contains("out of memory"), "{name}: {e}");
                    assert_eq!(state(&heap), before, "{name}");
                    break;
                }
            }
            assert_sound(&heap);
            n += 1;
            assert!(n < 100, "{name}: a 1 KiB arena never ran out");
        }
        assert_filled(a, 100, 0x42, name);
        let huge = Layout::from_size_align(8, 1 << 20).unwrap();
        let before = state(&heap);
        assert!(
            heap.alloc_layout(huge).is_err(),
            "{name}: a 1 MiB alignment in 1 KiB"
        );
        assert_eq!(state(&heap), before, "{name}");
        assert_sound(&heap);
    }
}

#[test]
fn a_failed_extension_of_a_free_last_block_changes_nothing() {
    // Trim and coalescing off, so a free block stays last: free the middle block, then the
    // last one, which alone goes back.
    let options = Options {
        trim: false,
        coalesce: false,
        ..Options::DEFAULT
    };
    let mut arena = Arena::new(1024);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
    let a = alloc(&mut heap, 64);
    let b = alloc(&mut heap, 64);
    let c = alloc(&mut heap, 64);
    fill(a, 64, 0x5C);
    free(&mut heap, b);
    free(&mut heap, c);
    assert_eq!(blocks(&heap).len(), 2);
    assert!(blocks(&heap)[1].free, "the free middle block is now last");
    let before = state(&heap);
    assert!(
        matches!(
            heap.alloc(4000),
            Err(AllocError::OutOfMemory { size: 4000, .. })
        ),
        "4000 bytes cannot fit in 1 KiB"
    );
    assert_eq!(state(&heap), before, "the failed request changed the heap");
    assert_sound(&heap);
    // A request that does fit is served, from the free last block or after it.
    let p = alloc(&mut heap, 300);
    fill(p, 300, 1);
    assert_filled(a, 64, 0x5C, "a");
}

#[test]
fn bad_frees_are_refused_with_the_right_error_and_change_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        bad_frees_on(&mut heap, name);
    }
}

/// With a start map, every bad free is refused with the same error as without one: the map
/// holds only headers, and any pointer whose header it does not hold is looked up by the walk.
#[test]
fn bad_frees_with_a_start_map_are_refused_with_the_right_error_and_change_nothing() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut words = map_words(4096);
        let map = StartBits::new(&mut words, arena.base());
        let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), options, map);
        bad_frees_on(&mut heap, name);
        assert!(
            heap.map().recorded() > 0,
            "{name}: the map recorded nothing"
        );
    }
}

fn bad_frees_on<M: StartMap>(heap: &mut Heap<ArenaBreak<'_>, Options, (), M>, name: &str) {
    let a = alloc(heap, 64);
    let b = alloc(heap, 64);
    let _c = alloc(heap, 64);
    free(heap, b);
    let (ia, ib) = (info(heap, a), info(heap, b));
    let below = ia.header - 16;
    let above = heap.brk() + 16;
    let mut on_stack = 0u64;
    let stack = std::ptr::addr_of_mut!(on_stack).cast::<u8>();
    let cases: Vec<(*mut u8, FreeError, &str)> = vec![
        (std::ptr::null_mut(), FreeError::Null, "null"),
        (
            std::ptr::without_provenance_mut(below),
            FreeError::NotInHeap { addr: below },
            "0x",
        ),
        (
            std::ptr::without_provenance_mut(above),
            FreeError::NotInHeap { addr: above },
            "not a block",
        ),
        (
            stack,
            FreeError::NotInHeap {
                addr: stack as usize,
            },
            "malloc never returned",
        ),
        (
            offset(a, -(HEADER_SIZE as isize)),
            FreeError::Header {
                addr: ia.header,
                data: ia.data,
            },
            "header",
        ),
        (
            offset(a, 24),
            FreeError::InsideBlock {
                addr: ia.data + 24,
                data: ia.data,
                offset: 24,
            },
            "24 bytes into",
        ),
        (
            b.as_ptr(),
            FreeError::DoubleFree { addr: ib.data },
            "double free",
        ),
    ];
    for (ptr, expected, words) in cases {
        let before = state(heap);
        let e = heap.free(ptr).unwrap_err();
        assert_eq!(e, expected, "{name}: free({ptr:p})");
        let message = e.to_string();
        assert!(
            message.to_lowercase().contains(&words.to_lowercase()),
            "{name}: {message:?} should say {words:?}"
        );
        if ptr as usize != 0 {
            assert!(
                message.contains(&format!("{:x}", ptr as usize)),
                "{name}: {message:?} should name the address"
            );
        }
        assert_eq!(
            state(heap),
            before,
            "{name}: free({ptr:p}) changed the heap"
        );
        assert_sound(heap);
    }
}

// ---------------------------------------------------------------------------------------------
// The start map
// ---------------------------------------------------------------------------------------------

/// The blocks each `Lookup` event says the lookup looked at, taking the events.
fn lookups<B: Break, C: Config, M: StartMap>(heap: &mut Heap<B, C, Recorder, M>) -> Vec<usize> {
    heap.observer_mut()
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Lookup { blocks, .. } => Some(blocks),
            _ => None,
        })
        .collect()
}

/// Without a map, the checked `free` and `realloc` walk the chain to the pointer's block; with
/// a map that holds every header they look at that block alone, wherever it is in the chain,
/// and do the same thing.
#[test]
fn with_a_start_map_free_and_realloc_look_at_one_block_wherever_it_is() {
    const N: usize = 120;
    let options = Options::with_policy(Policy::Segregated);
    let mut arena = Arena::new(64 * 1024);
    let base = arena.base();
    let mut plain = Heap::with_observer(
        ArenaBreak::new(arena.buffer()),
        options,
        Recorder::default(),
    );
    let mut arena2 = Arena::new(64 * 1024);
    let base2 = arena2.base();
    let mut words = map_words(64 * 1024);
    let map = StartBits::new(&mut words, base2);
    let mut mapped = Heap::with_observer_and_map(
        ArenaBreak::new(arena2.buffer()),
        options,
        Recorder::default(),
        map,
    );
    let a: Vec<_> = (0..N).map(|_| alloc(&mut plain, 48)).collect();
    let b: Vec<_> = (0..N).map(|_| alloc(&mut mapped, 48)).collect();
    assert_eq!(mapped.map().recorded(), N, "one bit per header");
    for i in [N - 2, 3, N / 2, 0] {
        free(&mut plain, a[i]);
        free(&mut mapped, b[i]);
        assert_eq!(lookups(&mut plain), [i + 1], "the walk reaches block {i}");
        assert_eq!(
            lookups(&mut mapped),
            [1],
            "the map finds block {i} directly"
        );
    }
    let p = plain.realloc(a[N - 3].as_ptr(), 200).unwrap();
    let q = mapped.realloc(b[N - 3].as_ptr(), 200).unwrap();
    assert_eq!(lookups(&mut plain), [N - 2]);
    assert_eq!(lookups(&mut mapped), [1]);
    assert_eq!(
        addr(p) - base,
        addr(q) - base2,
        "the same block, at the same place"
    );
    // A double free is caught through the map too, and a pointer into a block by the walk.
    assert_eq!(
        mapped.free(b[3].as_ptr()),
        Err(FreeError::DoubleFree { addr: addr(b[3]) })
    );
    assert_eq!(lookups(&mut mapped), [1]);
    let inside = offset(b[5], ALIGN as isize);
    assert!(matches!(
        mapped.free(inside),
        Err(FreeError::InsideBlock { offset, .. }) if offset == ALIGN
    ));
    assert_eq!(
        lookups(&mut mapped),
        [6],
        "not a data address: the walk says why"
    );
    let plain_blocks: Vec<_> = plain
        .blocks()
        .map(|b| (b.header - base, b.size, b.free))
        .collect();
    let mapped_blocks: Vec<_> = mapped
        .blocks()
        .map(|b| (b.header - base2, b.size, b.free))
        .collect();
    assert_eq!(plain_blocks, mapped_blocks);
}

/// A map too small for the heap forgets the headers past its end; their blocks are still
/// freed, found by the walk.
#[test]
fn a_start_map_that_covers_part_of_the_heap_falls_back_to_the_walk_past_it() {
    let mut arena = Arena::new(16 * 1024);
    let base = arena.base();
    // One word: 64 headers' worth of addresses, 64 · ALIGN bytes.
    let mut words = [0usize; 1];
    let covered = usize::BITS as usize * ALIGN;
    let map = StartBits::new(&mut words, base);
    let mut heap = Heap::with_observer_and_map(
        ArenaBreak::new(arena.buffer()),
        Options::DEFAULT,
        Recorder::default(),
        map,
    );
    let ptrs: Vec<_> = (0..40).map(|_| alloc(&mut heap, 48)).collect();
    let inside = ptrs
        .iter()
        .filter(|p| addr(**p) - HEADER_SIZE < base + covered)
        .count();
    assert!(
        inside > 1 && inside < 40,
        "the map covers some blocks: {inside}"
    );
    assert_eq!(heap.map().recorded(), inside);
    let (first_out, first_in) = (ptrs[inside + 2], ptrs[1]);
    free(&mut heap, first_out);
    assert_eq!(
        lookups(&mut heap),
        [inside + 3],
        "forgotten: found by the walk"
    );
    free(&mut heap, first_in);
    assert_eq!(lookups(&mut heap), [1], "recorded: found through the map");
    for p in ptrs
        .iter()
        .rev()
        .filter(|p| **p != first_out && **p != first_in)
    {
        free(&mut heap, *p);
    }
    assert!(blocks(&heap).is_empty());
    assert_eq!(
        heap.map().recorded(),
        0,
        "every header given back was forgotten"
    );
}

/// A start map that counts the times its `below` found a header.
struct Asked<M> {
    map: M,
    found: std::cell::Cell<usize>,
}

// SAFETY: every call goes to `map`, which keeps the contract.
unsafe impl<M: StartMap> StartMap for Asked<M> {
    const KEEPS: bool = true;
    fn insert(&mut self, header: usize) {
        self.map.insert(header)
    }
    fn remove(&mut self, header: usize) {
        self.map.remove(header)
    }
    fn clear(&mut self) {
        self.map.clear()
    }
    fn contains(&self, header: usize) -> bool {
        self.map.contains(header)
    }
    fn recorded(&self) -> usize {
        self.map.recorded()
    }
    fn below(&self, header: usize) -> Option<usize> {
        let h = self.map.below(header);
        self.found.set(self.found.get() + usize::from(h.is_some()));
        h
    }
}

/// Freeing the last block gives the end of the heap back, which needs the block before it:
/// with a map, `below` names it, so freeing blocks in the reverse order of their allocation
/// (each one the last) asks the map rather than walking the chain, with the same outcome.
#[test]
fn freeing_the_last_block_finds_the_one_before_through_the_start_map() {
    let mut arena = Arena::new(16 * 1024);
    let mut words = map_words(16 * 1024);
    let map = Asked {
        map: StartBits::new(&mut words, arena.base()),
        found: std::cell::Cell::new(0),
    };
    let options = Options::with_policy(Policy::Segregated);
    let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), options, map);
    let ptrs: Vec<_> = (0..20).map(|i| alloc(&mut heap, 16 + 8 * i)).collect();
    for (i, p) in ptrs.iter().enumerate().rev() {
        let before = heap.brk();
        free(&mut heap, *p);
        assert!(
            heap.brk() < before,
            "block {i} was the last: the break moves down"
        );
        assert_eq!(heap.map().recorded(), i);
    }
    assert!(blocks(&heap).is_empty());
    assert_eq!(
        heap.map().found.get(),
        19,
        "all but the first found their neighbour there"
    );
}

/// `reset` forgets every block, and the map with them.
#[test]
fn reset_clears_the_start_map() {
    let mut arena = Arena::new(4096);
    let mut words = map_words(4096);
    let map = StartBits::new(&mut words, arena.base());
    let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), Options::SEED, map);
    let a = alloc(&mut heap, 64);
    alloc(&mut heap, 64);
    free(&mut heap, a);
    assert_eq!(heap.map().recorded(), 2);
    heap.reset();
    assert_eq!(heap.map().recorded(), 0);
    assert_sound(&heap);
    let b = alloc(&mut heap, 64);
    assert_eq!(b, a, "the same address again");
    free(&mut heap, b);
}

/// A map that claims a header where there is none. It breaks the `StartMap` contract on
/// purpose, so the heap it is given is only checked, never used: `check` reads no header at an
/// address the map holds.
struct Lying {
    at: usize,
}

// SAFETY: this map breaks the contract (it holds `at`, which the heap never inserted); the
// test that uses it calls nothing but `check`, which takes no address from the map to read.
unsafe impl StartMap for Lying {
    const KEEPS: bool = true;
    fn insert(&mut self, _: usize) {}
    fn remove(&mut self, _: usize) {}
    fn clear(&mut self) {}
    fn contains(&self, header: usize) -> bool {
        header == self.at
    }
    fn recorded(&self) -> usize {
        1
    }
}

/// `check` counts the chain's headers that the map holds against how many addresses it holds,
/// and names the one that is no header.
#[test]
fn check_names_an_address_the_start_map_holds_that_is_no_header() {
    let with = |at: &dyn Fn(usize) -> usize| {
        let mut arena = Arena::new(4096);
        let base = arena.base();
        let lying = Lying { at: at(base) };
        let mut heap = Heap::with_map(ArenaBreak::new(arena.buffer()), Options::DEFAULT, lying);
        let empty = heap.check();
        let p = heap.alloc(64).unwrap();
        heap.alloc(64).unwrap();
        assert_eq!(
            addr(p),
            base + HEADER_SIZE,
            "the first block starts the arena"
        );
        (empty, heap.check())
    };
    // Holding the first header, the one address it claims, is true once the heap has it.
    assert_eq!(
        with(&|base| base),
        (Err(Corruption::StaleCache { block: 0 }), Ok(()))
    );
    // Inside the first block's data.
    let (_, inside) = with(&|base| base + HEADER_SIZE + 2 * ALIGN);
    let stray = match inside {
        Err(Corruption::StaleCache { block }) => block,
        other => panic!("an address inside a block passed: {other:?}"),
    };
    assert_eq!(stray % 4096, HEADER_SIZE + 2 * ALIGN, "named: {stray:#x}");
    // Past the break: no block to name.
    assert_eq!(
        with(&|base| base + 2048).1,
        Err(Corruption::StaleCache { block: 0 })
    );
}

// ---------------------------------------------------------------------------------------------
// The invariant checker
// ---------------------------------------------------------------------------------------------

/// Overwrites word `word` (0: size and flags, 1: next) of the header of the block at `p`.
///
/// # Safety
///
/// `p` is the data address of a block of a heap that is not used again except for `check()`.
unsafe fn poke_header(p: NonNull<u8>, word: usize, value: usize) {
    // SAFETY: the header is the two aligned words just before the data, inside the arena, and
    // `p` carries the arena's provenance; the caller promises the heap only reads it afterwards.
    unsafe {
        p.as_ptr()
            .sub(HEADER_SIZE)
            .cast::<usize>()
            .add(word)
            .write(value)
    }
}

/// Overwrites the `next` pointer of the block at `p` with `next`, a pointer (with provenance,
/// when it has one) as the heap would store it.
///
/// # Safety
///
/// As for [`poke_header`].
unsafe fn poke_next(p: NonNull<u8>, next: *mut u8) {
    // SAFETY: as for `poke_header`; `next` is the header's second word, pointer-sized and
    // aligned.
    unsafe {
        p.as_ptr()
            .sub(HEADER_SIZE)
            .cast::<*mut u8>()
            .add(1)
            .write(next)
    }
}

/// Reads word `word` of the header of the block at `p`.
fn peek_header(p: NonNull<u8>, word: usize) -> usize {
    // SAFETY: as for `poke_header`, reading instead.
    unsafe { p.as_ptr().sub(HEADER_SIZE).cast::<usize>().add(word).read() }
}

/// A heap of four used blocks and one free one, and the checker's verdict once `corrupt` ran.
fn corrupted(
    options: Options,
    corrupt: impl FnOnce(&[NonNull<u8>; 5]),
) -> (String, Vec<BlockInfo>) {
    let mut arena = Arena::new(4096);
    let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
    let ps = five(&mut heap);
    for (i, &p) in ps.iter().enumerate() {
        // Every data byte initialised, so a checker that follows a bad pointer reads bytes.
        fill(p, info(&heap, p).size, 0xE0 + i as u8);
    }
    free(&mut heap, ps[3]);
    let chain = blocks(&heap);
    heap.check().expect("sound before the corruption");
    corrupt(&ps);
    let message = match heap.check() {
        Ok(()) => panic!("check() passed a corrupted heap"),
        Err(e) => e.to_string(),
    };
    (message, chain)
}

fn names(message: &str, block: &BlockInfo) -> bool {
    message.contains(&format!("{:x}", block.header))
        || message.contains(&format!("{:x}", block.data))
}

#[test]
fn check_detects_a_size_that_is_not_a_multiple_of_align() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            let tag = peek_header(ps[1], 0);
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[1], 0, tag + ALIGN / 2) };
        });
        assert!(
            names(&message, &chain[1]),
            "{name}: {message:?} should name block 1 ({:#x})",
            chain[1].header
        );
    }
}

#[test]
fn check_detects_a_size_that_overruns_the_next_block() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            let tag = peek_header(ps[0], 0);
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[0], 0, tag + 2 * ALIGN) };
        });
        assert!(
            names(&message, &chain[0]),
            "{name}: {message:?} should name block 0 ({:#x})",
            chain[0].header
        );
    }
}

#[test]
fn check_detects_a_next_that_skips_a_block() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_next(ps[0], offset(ps[2], -(HEADER_SIZE as isize))) };
        });
        assert!(
            names(&message, &chain[0]),
            "{name}: {message:?} should name block 0 ({:#x})",
            chain[0].header
        );
    }
}

#[test]
fn check_detects_a_next_that_points_into_data() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_next(ps[1], offset(ps[2], (ALIGN - HEADER_SIZE) as isize)) };
        });
        assert!(
            names(&message, &chain[1]),
            "{name}: {message:?} should name block 1 ({:#x})",
            chain[1].header
        );
    }
}

#[test]
fn check_detects_a_chain_cut_short() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[2], 1, 0) };
        });
        assert!(
            names(&message, &chain[2]),
            "{name}: {message:?} should name block 2 ({:#x})",
            chain[2].header
        );
    }
}

#[test]
fn check_detects_a_next_past_the_break_without_reading_there() {
    // The address lies inside the arena but beyond the break: bytes the heap never wrote.
    // A checker that reads a header there reads uninitialised memory, which Miri reports.
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_next(ps[1], offset(ps[4], 256)) };
        });
        assert!(
            names(&message, &chain[1]),
            "{name}: {message:?} should name block 1 ({:#x})",
            chain[1].header
        );
    }
}

#[test]
fn check_detects_a_wild_next_without_following_it() {
    // A small non-null address: following it would crash the checker.
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[1], 1, 0x1000) };
        });
        assert!(
            names(&message, &chain[1]),
            "{name}: {message:?} should name block 1 ({:#x})",
            chain[1].header
        );
    }
}

#[test]
fn check_detects_a_used_block_marked_free() {
    // With coalescing on, a free block next to the free block 3 breaks rule 5; the missing
    // footer and PREV_FREE flag break rule 4 in any case.
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            let tag = peek_header(ps[1], 0);
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[1], 0, tag | 1) };
        });
        assert!(
            names(&message, &chain[1]) || names(&message, &chain[2]),
            "{name}: {message:?} should name block 1 ({:#x}) or the block after it",
            chain[1].header
        );
    }
}

#[test]
fn check_detects_a_free_block_marked_used() {
    for (name, options) in BOTH {
        let (message, chain) = corrupted(options, |ps| {
            let tag = peek_header(ps[3], 0);
            // SAFETY: the heap is only checked afterwards.
            unsafe { poke_header(ps[3], 0, tag & !1) };
        });
        assert!(
            names(&message, &chain[3]) || names(&message, &chain[4]),
            "{name}: {message:?} should name block 3 ({:#x}) or the block after it",
            chain[3].header
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The observer
// ---------------------------------------------------------------------------------------------

fn recorded(options: Options, arena: &mut Arena) -> Heap<ArenaBreak<'_>, Options, Recorder> {
    Heap::with_observer(
        ArenaBreak::new(arena.buffer()),
        options,
        Recorder::default(),
    )
}

#[test]
fn events_of_an_append() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = recorded(options, &mut arena);
        let base = heap.brk();
        let p = alloc(&mut heap, 24);
        let events = heap.observer_mut().take();
        let block = addr(p) - HEADER_SIZE;
        assert!(
            events.contains(&Event::BreakMoved {
                from: base,
                to: base + HEADER_SIZE + 32
            }),
            "{name}: {events:?}"
        );
        assert!(
            events.contains(&Event::Append { block, size: 32 }),
            "{name}: {events:?}"
        );
    }
}

#[test]
fn events_of_freeing_a_middle_block_and_the_last() {
    let mut arena = Arena::new(4096);
    let mut heap = recorded(Options::SEED, &mut arena);
    let _a = alloc(&mut heap, 24);
    let b = alloc(&mut heap, 8);
    let c = alloc(&mut heap, 40);
    let (ib, ic) = (info(&heap, b), info(&heap, c));
    heap.observer_mut().take();
    free(&mut heap, b);
    let events = heap.observer_mut().take();
    assert!(
        events.contains(&Event::MarkFree {
            block: ib.header,
            size: ib.size
        }),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::BreakMoved { .. } | Event::Release { .. })),
        "freeing a middle block only marks it: {events:?}"
    );
    let brk = heap.brk();
    free(&mut heap, c);
    let events = heap.observer_mut().take();
    let bytes = HEADER_SIZE + ic.size;
    assert!(
        events.contains(&Event::Release {
            block: ic.header,
            blocks: 1,
            bytes
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&Event::BreakMoved {
            from: brk,
            to: brk - bytes
        }),
        "{events:?}"
    );
}

#[test]
fn events_of_a_first_fit_search_and_reuse() {
    let mut arena = Arena::new(4096);
    let mut heap = recorded(Options::SEED, &mut arena);
    let a = alloc(&mut heap, 24);
    let b = alloc(&mut heap, 8);
    let _c = alloc(&mut heap, 40);
    free(&mut heap, b);
    let (ia, ib) = (info(&heap, a), info(&heap, b));
    heap.observer_mut().take();
    let p = alloc(&mut heap, 16);
    assert_eq!(p, b);
    let events = heap.observer_mut().take();
    let visits: Vec<Event> = events
        .iter()
        .copied()
        .filter(|e| matches!(e, Event::Visit { .. }))
        .collect();
    assert_eq!(
        visits,
        vec![
            Event::Visit {
                block: ia.header,
                size: ia.size,
                free: false,
                fits: false
            },
            Event::Visit {
                block: ib.header,
                size: ib.size,
                free: true,
                fits: true
            },
        ],
        "first fit visits from the start and stops at the first fit"
    );
    let reuse = Event::Reuse {
        block: ib.header,
        size: ib.size,
    };
    let at = events
        .iter()
        .position(|e| *e == reuse)
        .expect("a Reuse event");
    let last_visit = events
        .iter()
        .rposition(|e| matches!(e, Event::Visit { .. }))
        .unwrap();
    assert!(
        last_visit < at,
        "the search comes before the reuse: {events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::BreakMoved { .. })),
        "{events:?}"
    );
}

#[test]
fn events_of_a_split() {
    let mut arena = Arena::new(4096);
    let mut heap = recorded(Options::DEFAULT, &mut arena);
    let a = alloc(&mut heap, 256);
    let _guard = alloc(&mut heap, 16);
    free(&mut heap, a);
    heap.observer_mut().take();
    let p = alloc(&mut heap, 24);
    let header = addr(p) - HEADER_SIZE;
    let events = heap.observer_mut().take();
    assert!(
        events.contains(&Event::Split {
            block: header,
            size: 32,
            rest: addr(p) + 32,
            rest_size: 256 - 32 - HEADER_SIZE,
        }),
        "{events:?}"
    );
}

#[test]
fn events_of_coalescing_with_both_neighbours() {
    let mut arena = Arena::new(4096);
    let mut heap = recorded(Options::DEFAULT, &mut arena);
    let [a, b, c, _d, _guard] = five(&mut heap);
    let (ia, ib, ic) = (info(&heap, a), info(&heap, b), info(&heap, c));
    free(&mut heap, a);
    free(&mut heap, c);
    heap.observer_mut().take();
    free(&mut heap, b);
    let events = heap.observer_mut().take();
    let coalesces: Vec<(usize, usize, usize)> = events
        .iter()
        .filter_map(|e| match *e {
            Event::Coalesce {
                block,
                absorbed,
                size,
            } => Some((block, absorbed, size)),
            _ => None,
        })
        .collect();
    assert_eq!(coalesces.len(), 2, "two merges: {events:?}");
    let mut absorbed: Vec<usize> = coalesces.iter().map(|c| c.1).collect();
    absorbed.sort_unstable();
    assert_eq!(
        absorbed,
        vec![ib.header, ic.header],
        "b and c are absorbed: {events:?}"
    );
    let total = ia.size + ib.size + ic.size + 2 * HEADER_SIZE;
    assert_eq!(coalesces[1].0, ia.header, "a remains: {events:?}");
    assert_eq!(coalesces[1].2, total, "the final size: {events:?}");
}

#[test]
fn events_of_trimming_a_run_of_free_blocks() {
    let options = Options {
        coalesce: false,
        ..Options::DEFAULT
    };
    let mut arena = Arena::new(4096);
    let mut heap = recorded(options, &mut arena);
    let _a = alloc(&mut heap, 24);
    let b = alloc(&mut heap, 8);
    let c = alloc(&mut heap, 40);
    let (ib, ic) = (info(&heap, b), info(&heap, c));
    free(&mut heap, b);
    heap.observer_mut().take();
    let brk = heap.brk();
    free(&mut heap, c);
    let events = heap.observer_mut().take();
    let bytes = 2 * HEADER_SIZE + ib.size + ic.size;
    assert!(
        events.contains(&Event::Release {
            block: ib.header,
            blocks: 2,
            bytes
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&Event::BreakMoved {
            from: brk,
            to: brk - bytes
        }),
        "{events:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Totals
// ---------------------------------------------------------------------------------------------

#[test]
fn stats_on_a_known_heap() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(4096);
        let mut heap = Heap::new(ArenaBreak::new(arena.buffer()), options);
        let empty = heap.stats();
        assert_eq!(empty.blocks, 0, "{name}");
        assert_eq!(empty.fragmentation(), 0.0, "{name}");
        assert_eq!(empty.free_bytes, 0, "{name}");

        let a = alloc(&mut heap, 64);
        let _b = alloc(&mut heap, 32);
        let c = alloc(&mut heap, 128);
        let _d = alloc(&mut heap, 16);
        free(&mut heap, a);
        free(&mut heap, c);
        let t = heap.stats();
        assert_eq!(t.blocks, 4, "{name}");
        assert_eq!((t.free_blocks, t.used_blocks), (2, 2), "{name}");
        assert_eq!(t.used_bytes, 32 + block_size(16), "{name}");
        assert_eq!(t.free_bytes, 64 + 128, "{name}");
        assert_eq!(
            t.heap_bytes,
            t.used_bytes + t.free_bytes + 4 * HEADER_SIZE,
            "{name}"
        );
        assert_eq!(t.largest_free, 128, "{name}");
        assert!(
            (t.fragmentation() - (1.0 - 128.0 / 192.0)).abs() < 1e-12,
            "{name}: {}",
            t.fragmentation()
        );
        assert_eq!(t.heap_bytes, heap.brk() - heap.heap_start(), "{name}");
        assert_eq!(
            (t.heap_start, t.brk),
            (heap.heap_start(), heap.brk()),
            "{name}"
        );
        assert_eq!(t.segments, 1, "{name}");
        let last_used = blocks(&heap).into_iter().rfind(|b| !b.free).unwrap();
        assert_eq!(t.last_used_end, last_used.data + last_used.size, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------------------------

const PAGE: usize = 4096;

#[test]
fn foreign_growth_starts_a_new_segment_linked_through_next() {
    let mut arena = Arena::new(16 * PAGE);
    let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
    let mut heap = Heap::with_observer(brk, Options::DEFAULT, Recorder::default());
    let a = alloc(&mut heap, 100);
    fill(a, 100, 0xA0);
    let end_of_first = heap.brk();
    // Another allocator takes the next page.
    heap.backend().memory().grow_foreign(1).unwrap();
    heap.observer_mut().take();
    // Too big for what is left of the first page: the memory must grow, and not adjacently.
    let b = alloc(&mut heap, PAGE);
    fill(b, PAGE, 0xB0);
    let events = heap.observer_mut().take();
    let (ia, ib) = (info(&heap, a), info(&heap, b));
    assert_eq!(
        ia.next, ib.header,
        "the first segment's last block links to the second's first"
    );
    assert!(
        ib.header > end_of_first + PAGE,
        "the second segment is past the foreign page"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::NewSegment { start, .. } if *start == ib.header)),
        "a NewSegment event: {events:?}"
    );
    let s = segments(&heap);
    assert_eq!(s.len(), 2, "two segments: {s:x?}");
    assert_eq!(heap.stats().segments, 2);
    assert_eq!(s[1].0, ib.header);
    let c = alloc(&mut heap, 64);
    fill(c, 64, 0xC0);
    assert_eq!(info(&heap, b).next, info(&heap, c).header);

    // Freeing never coalesces across the gap.
    free(&mut heap, b);
    free(&mut heap, a);
    let chain = blocks(&heap);
    assert_eq!(chain[0].header, ia.header);
    assert_eq!(
        chain[0].size, ia.size,
        "a did not absorb anything across the gap"
    );
    assert!(
        chain[0].free && chain[1].free,
        "a and b are free, separately"
    );
    assert_eq!(chain[0].next, ib.header);
    assert_filled(c, 64, 0xC0, "c");

    // Reuse across segments works: a's block serves a small request.
    let d = alloc(&mut heap, 32);
    assert_eq!(d, a, "first fit finds a in the first segment");
    free(&mut heap, d);
    free(&mut heap, c);
    assert!(blocks(&heap).iter().all(|b| b.free), "everything is free");
}

#[test]
fn segments_keep_their_blocks_apart_under_the_seed_too() {
    let mut arena = Arena::new(16 * PAGE);
    let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
    let mut heap = Heap::new(brk, Options::SEED);
    let a = alloc(&mut heap, 100);
    heap.backend().memory().grow_foreign(2).unwrap();
    let b = alloc(&mut heap, 2 * PAGE);
    let (ia, ib) = (info(&heap, a), info(&heap, b));
    assert_eq!(ia.next, ib.header);
    assert_ne!(ia.data + ia.size, ib.header, "not adjacent");
    free(&mut heap, a);
    let c = alloc(&mut heap, 64);
    assert_eq!(c, a, "first fit reuses the first segment's block");
    free(&mut heap, b);
    free(&mut heap, c);
}

/// When growing in place needs the break to move but the new memory is not adjacent (another
/// allocator grew the memory in between), the heap must stay sound whatever it does instead:
/// here `realloc` of the last block, which then fits in a free block lower down.
#[test]
fn a_refused_allocation_after_foreign_growth_keeps_the_new_region_as_a_free_segment() {
    for options in [Options::DEFAULT, Options::with_policy(Policy::Segregated)] {
        // Three pages in all: one for the heap, one for another allocator, one more.
        let mut arena = Arena::new(3 * PAGE);
        let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
        let mut heap = Heap::new(brk, options);
        let a = alloc(&mut heap, 100);
        fill(a, 100, 0xA0);
        heap.backend().memory().grow_foreign(1).unwrap();
        let before = blocks(&heap);
        // Data aligned to a page needs the rest of the first page and a little of the next,
        // which is someone else's: the break jumps to the third page, where the same layout
        // does not fit, and no page is left after it.
        let e = heap
            .alloc_layout(Layout::from_size_align(8, PAGE).unwrap())
            .unwrap_err();
        assert!(
            matches!(e, AllocError::OutOfMemory { .. }),
            "{options:?}: {e:?}"
        );
        assert_sound(&heap);
        let after = blocks(&heap);
        assert_eq!(after.len(), before.len() + 1, "{options:?}: {after:#x?}");
        assert_eq!(after[0].header, before[0].header);
        assert_eq!((after[0].size, after[0].free), (before[0].size, false));
        assert!(after[1].free, "the third page's bytes stay, free");
        assert!(after[1].header >= before[0].data + 2 * PAGE - before[0].data % PAGE);
        assert_eq!(
            heap.brk(),
            heap.backend().current().addr(),
            "the heap ends at the break"
        );
        assert_filled(a, 100, 0xA0, "the block allocated before");
    }
}

#[test]
fn realloc_of_the_last_block_after_foreign_growth_keeps_the_heap_sound() {
    for (name, options) in BOTH {
        let mut arena = Arena::new(16 * PAGE);
        let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
        let mut heap = Heap::new(brk, options);
        // Two blocks that fill the first page exactly: extending the last must grow the memory.
        let f = alloc(&mut heap, PAGE - 2 * HEADER_SIZE - block_size(100));
        let l = alloc(&mut heap, 100);
        assert_eq!(
            (heap.brk() - heap.heap_start()) % PAGE,
            0,
            "{name}: the page is full"
        );
        fill(l, 100, 0x1D);
        free(&mut heap, f);
        heap.backend().memory().grow_foreign(1).unwrap();
        let q = heap
            .realloc(l.as_ptr(), 1000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = heap.check() {
            panic!("{name}: check() failed: {e}");
        }
        assert_sound(&heap);
        assert_eq!(
            heap.brk(),
            heap.backend().current() as usize,
            "{name}: brk() and the backend disagree"
        );
        assert_filled(q, 100, 0x1D, name);
    }
}

/// The same for `alloc` extending a free last block (trim off keeps it there).
#[test]
fn extending_a_free_last_block_after_foreign_growth_keeps_the_heap_sound() {
    let options = Options {
        trim: false,
        coalesce: false,
        ..Options::DEFAULT
    };
    let mut arena = Arena::new(16 * PAGE);
    let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
    let mut heap = Heap::new(brk, options);
    let a = alloc(&mut heap, 100);
    let f = alloc(
        &mut heap,
        PAGE - 2 * HEADER_SIZE - block_size(100) - HEADER_SIZE - MIN_DATA,
    );
    let l = alloc(&mut heap, 0);
    assert_eq!(
        (heap.brk() - heap.heap_start()) % PAGE,
        0,
        "the page is full"
    );
    free(&mut heap, f);
    free(&mut heap, l); // the last block goes back; f is now the free last block
    assert!(blocks(&heap).last().unwrap().free);
    fill(a, 100, 0x2E);
    heap.backend().memory().grow_foreign(1).unwrap();
    let p = alloc(&mut heap, PAGE);
    fill(p, PAGE, 0x3F);
    assert_sound(&heap);
    assert_eq!(
        heap.brk(),
        heap.backend().current() as usize,
        "brk() and the backend disagree"
    );
    assert_filled(a, 100, 0x2E, "a");
}
