//! Runs in the browser (`wasm-pack test --headless --chrome crate`): the heap on `WasmBreak`,
//! on real WebAssembly linear memory and `memory.grow`.
#![cfg(target_arch = "wasm32")]

use brkalloc::{Break, Heap, Options, Policy, WasmBreak, HEADER_SIZE};
use core::arch::wasm32::{memory_grow, memory_size};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const PAGE: usize = 65536;

fn new_heap(options: Options) -> Heap<WasmBreak> {
    Heap::new(WasmBreak::wasm(), options)
}

fn grown(heap: &Heap<WasmBreak>) -> usize {
    heap.backend()
        .pages()
        .expect("wasm break counts pages")
        .grown
}

#[wasm_bindgen_test]
fn allocation_grows_real_memory_with_memory_grow() {
    let mut heap = new_heap(Options::DEFAULT);
    let before = memory_size(0);
    let p = heap.alloc(3 * PAGE).unwrap();
    // SAFETY: the block holds 3 pages' worth of bytes.
    unsafe { p.as_ptr().write_bytes(0xAB, 3 * PAGE) };
    assert!(
        memory_size(0) >= before + 4,
        "memory grew by at least 4 pages"
    );
    assert_eq!(
        grown(&heap),
        4,
        "3 pages of data plus a header need 4 pages"
    );
    assert_eq!(heap.brk() - heap.heap_start(), HEADER_SIZE + 3 * PAGE);
    heap.check().unwrap();
}

#[wasm_bindgen_test]
fn break_moves_down_and_back_up_without_growing_again() {
    for options in [Options::SEED, Options::DEFAULT] {
        let mut heap = new_heap(options);
        let a = heap.alloc(100).unwrap();
        let big = heap.alloc(2 * PAGE).unwrap();
        let pages = grown(&heap);
        let memory = memory_size(0);
        let top = heap.brk();
        heap.free(big.as_ptr()).unwrap();
        assert_eq!(
            heap.brk(),
            top - HEADER_SIZE - 2 * PAGE,
            "the break moved down"
        );
        assert_eq!(heap.backend().current().addr(), heap.brk());
        let again = heap.alloc(2 * PAGE).unwrap();
        assert_eq!(again, big, "the same bytes are handed out again");
        assert_eq!(heap.brk(), top);
        assert_eq!(grown(&heap), pages, "no page was grown the second time");
        assert_eq!(memory_size(0), memory, "memory.grow was not called");
        heap.free(again.as_ptr()).unwrap();
        heap.free(a.as_ptr()).unwrap();
        heap.check().unwrap();
    }
}

#[wasm_bindgen_test]
fn memory_grown_by_someone_else_starts_a_new_segment() {
    let mut heap = new_heap(Options::with_policy(Policy::FirstFit));
    let first = heap.alloc(1000).unwrap();
    // Another allocator grows memory right after our pages.
    let foreign = memory_grow(0, 1);
    assert_ne!(foreign, usize::MAX);
    // Rust's own allocator too (dlmalloc on wasm32): a large vector needs fresh pages.
    let other: Vec<u8> = vec![7; 3 * PAGE];
    // More than our remaining spare bytes: the break must obtain new pages, which cannot follow
    // ours any more.
    let second = heap.alloc(2 * PAGE).unwrap();
    heap.check().unwrap();
    assert_eq!(heap.stats().segments, 2);
    let chain: Vec<_> = heap.blocks().collect();
    // The first segment ends where `next` jumps.
    let jump = chain
        .windows(2)
        .position(|w| w[0].data + w[0].size != w[1].header)
        .expect("a jump between segments");
    let (last_of_first, first_of_second) = (chain[jump], chain[jump + 1]);
    assert_eq!(
        last_of_first.next, first_of_second.header,
        "linked through next"
    );
    assert!(
        first_of_second.header > last_of_first.data + last_of_first.size,
        "a gap"
    );
    assert!(
        first_of_second.header >= (foreign + 1) * PAGE,
        "above the foreign page"
    );
    assert_eq!(first_of_second.data, second.as_ptr().addr());
    // Freeing both never merges across the gap; the first segment's block stays put.
    heap.free(first.as_ptr()).unwrap();
    heap.check().unwrap();
    heap.free(second.as_ptr()).unwrap();
    heap.check().unwrap();
    assert!(heap.blocks().all(|b| b.free));
    assert_eq!(
        other.iter().map(|&b| b as usize).sum::<usize>(),
        7 * 3 * PAGE
    );
}

#[wasm_bindgen_test]
fn two_heaps_share_linear_memory_without_touching_each_other() {
    let mut a = new_heap(Options::DEFAULT);
    let mut b = new_heap(Options::with_policy(Policy::Segregated));
    let mut ptrs = Vec::new();
    for i in 0..200usize {
        let size = 1 + (i * 7919) % 5000;
        let pa = a.alloc(size).unwrap();
        let pb = b.alloc(size).unwrap();
        // SAFETY: both blocks hold `size` bytes.
        unsafe {
            pa.as_ptr().write_bytes(0x11, size);
            pb.as_ptr().write_bytes(0x22, size);
        }
        ptrs.push((pa, pb, size));
    }
    a.check().unwrap();
    b.check().unwrap();
    for (pa, pb, size) in ptrs {
        // SAFETY: both blocks are live and hold `size` bytes.
        unsafe {
            assert!(core::slice::from_raw_parts(pa.as_ptr(), size)
                .iter()
                .all(|&x| x == 0x11));
            assert!(core::slice::from_raw_parts(pb.as_ptr(), size)
                .iter()
                .all(|&x| x == 0x22));
        }
        a.free(pa.as_ptr()).unwrap();
        b.free(pb.as_ptr()).unwrap();
    }
    a.check().unwrap();
    b.check().unwrap();
}

/// The largest block on wasm32 is about `isize::MAX` bytes (2 GiB), not a quarter of the
/// address space: a 600 MiB request is an ordinary one, served by growing linear memory with
/// `memory.grow` (headless Chromium grows it that far), never refused as too large.
#[wasm_bindgen_test]
fn a_600_mib_block_grows_memory_and_is_served() {
    const SIZE: usize = 600 << 20;
    let mut heap = new_heap(Options::DEFAULT);
    let before = memory_size(0);
    let p = heap
        .alloc(SIZE)
        .unwrap_or_else(|e| panic!("alloc(600 MiB) was refused: {e} ({e:?})"));
    let (first, last) = (p.as_ptr(), p.as_ptr().wrapping_add(SIZE - 1));
    // SAFETY: the block holds SIZE bytes, so its first and last bytes are ours to write and
    // read.
    let read = unsafe {
        first.write(0x5A);
        last.write(0xA5);
        (first.read(), last.read())
    };
    assert_eq!(read, (0x5A, 0xA5));
    assert!(
        memory_size(0) >= before + SIZE / PAGE,
        "memory grew by at least 600 MiB: {before} pages before, {} after",
        memory_size(0)
    );
    heap.check().unwrap();
    heap.free(p.as_ptr()).unwrap();
    assert_eq!(
        heap.blocks().count(),
        0,
        "the block went back through the break"
    );
    heap.check().unwrap();
}
