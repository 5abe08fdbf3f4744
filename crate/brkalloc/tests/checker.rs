//! The checker is total: whatever bytes the heap's memory holds, `check()` returns `Ok` or a
//! `Corruption` naming a block, reads nothing outside the memory the break handed out, never
//! panics and always ends.
//!
//! The property test and the seeded runs break heaps at random (see
//! `support/corrupt.rs`); under Miri, which runs this file, every byte outside the heap's
//! memory is uninitialised, so a read of one is reported. The regression tests below set up
//! the two ways the checker used to read outside: natively on memory whose next page is not
//! mapped (the read would crash the test), and on fake pages for Miri.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::ptr::NonNull;

use brkalloc::brk::FakePages;
use brkalloc::{
    Break, Corruption, Heap, Options, PagedBreak, Policy, SegregatedConfig, HEADER_SIZE,
};
use support::corrupt::{run, Scene};
use support::{Arena, Rng};

/// Fake pages for the Miri-sized runs and the fake-page regression tests.
const PAGES: usize = if cfg!(miri) { 48 } else { 256 };

/// Points the second list link of the free block whose data is at `p` (its `next` on its
/// size-class list) at `to`.
fn set_list_next(p: NonNull<u8>, to: usize) {
    let word = std::mem::size_of::<usize>();
    // SAFETY: `p` is the data of a free block of at least MIN_DATA bytes, inside the heap's
    // memory; its second word is the list link, which the test overwrites on purpose.
    unsafe {
        let link = p.as_ptr().add(word).cast::<*mut u8>();
        link.write(link.read().with_addr(to));
    }
}

/// Points the `next` of the block whose data is at `p` at `to`.
fn set_next(p: NonNull<u8>, to: usize) {
    // SAFETY: the header is just before the data, inside the heap's memory; its second word
    // is `next`, which the test overwrites on purpose.
    unsafe {
        let next = p.as_ptr().sub(HEADER_SIZE / 2).cast::<*mut u8>();
        next.write(next.read().with_addr(to));
    }
}

/// Builds, on `brk`, a heap that ends exactly `page` bytes after its start: two free blocks
/// of 64 bytes on one size-class list, used blocks after each. Then the first block of the
/// list gets a link to the last 16 bytes of the heap, where a block's header would fit but
/// its list links would not. Returns the heap and the listed block whose link was broken.
fn heap_with_a_link_to_the_last_bytes<B: Break>(
    brk: B,
    page: usize,
) -> (Heap<B, SegregatedConfig>, usize) {
    let mut heap = Heap::new(brk, SegregatedConfig);
    let p1 = heap.alloc(64).unwrap();
    let _u1 = heap.alloc(64).unwrap();
    let p2 = heap.alloc(64).unwrap();
    let _u2 = heap
        .alloc(page - 3 * (HEADER_SIZE + 64) - HEADER_SIZE)
        .unwrap();
    assert_eq!(heap.brk() - heap.heap_start(), page);
    heap.free(p1.as_ptr()).unwrap();
    heap.free(p2.as_ptr()).unwrap();
    heap.check().unwrap();
    // p2 was freed last: it heads the list, and its link leads to p1.
    let listed: Vec<usize> = heap.listed().map(|(_, _, b)| b).collect();
    let p2_header = p2.as_ptr().addr() - HEADER_SIZE;
    assert_eq!(listed.first(), Some(&p2_header));
    set_list_next(p2, heap.brk() - HEADER_SIZE);
    (heap, p2_header)
}

/// A free-list link to the heap's last 16 bytes used to make `check()` read that "block's"
/// list links past the break: here the page after the heap is not mapped, so the old read
/// crashed the test.
#[test]
#[cfg_attr(miri, ignore = "Miri does not run mprotect; see the fake-page version")]
fn a_list_link_to_the_last_bytes_is_caught_without_reading_past_the_break() {
    let brk = brkalloc::MmapBreak::new(1 << 20);
    let page = brk.page_size();
    let (heap, blamed) = heap_with_a_link_to_the_last_bytes(brk, page);
    let committed = heap.backend().committed_bytes();
    assert_eq!(committed, page, "the next page is not accessible");
    assert_eq!(
        heap.check(),
        Err(Corruption::FreeList { block: blamed }),
        "the block whose link is wrong is named"
    );
    assert_eq!(
        heap.listed().count(),
        1,
        "the list walk stops at the bad link"
    );
}

/// The same on fake pages, for Miri: the bytes past the break were never written, so reading
/// them is reported.
#[test]
fn a_list_link_to_the_last_bytes_is_caught_on_fake_pages() {
    let mut arena = Arena::new(4 * 4096);
    let brk = PagedBreak::new(FakePages::<4096>::new(arena.buffer()));
    let (heap, blamed) = heap_with_a_link_to_the_last_bytes(brk, 4096);
    assert_eq!(heap.check(), Err(Corruption::FreeList { block: blamed }));
}

/// A break over an `mmap` reservation that, when told to, leaves one inaccessible page
/// before its next growth: someone else's memory between two segments, which any read
/// crashes.
#[cfg(not(miri))]
struct GapBreak {
    base: *mut u8,
    len: usize,
    page: usize,
    /// Offsets from `base`: the current region's start, the break, the end of the pages
    /// made accessible.
    start: usize,
    brk: usize,
    committed: usize,
    /// Whether the next growth skips a page (set through the heap's shared reference).
    jump: std::cell::Cell<bool>,
}

#[cfg(not(miri))]
impl GapBreak {
    fn new(pages: usize) -> GapBreak {
        // SAFETY: `sysconf` only reads a setting.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let len = pages * page;
        // SAFETY: a fresh anonymous mapping with no access overlaps nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        GapBreak {
            base: base.cast(),
            len,
            page,
            start: 0,
            brk: 0,
            committed: 0,
            jump: std::cell::Cell::new(false),
        }
    }

    fn commit(&mut self, to: usize) {
        if to > self.committed {
            let end = to.next_multiple_of(self.page);
            // SAFETY: `committed..end` lies inside the reservation and was not accessible, so
            // nobody holds any of it.
            let r = unsafe {
                libc::mprotect(
                    self.base.add(self.committed).cast(),
                    end - self.committed,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            assert_eq!(r, 0);
            self.committed = end;
        }
    }
}

#[cfg(not(miri))]
impl Drop for GapBreak {
    fn drop(&mut self) {
        // SAFETY: the reservation made in `new`, unmapped once, when nothing uses it.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

// SAFETY: bytes below the break lie in pages made readable and writable, inside the one
// reservation this value owns. A growth that jumps starts a new region above a skipped page,
// so above every byte handed out before, and returns its start; shrinking stops at the
// region's start; a refused call changes nothing.
#[cfg(not(miri))]
unsafe impl Break for GapBreak {
    fn current(&self) -> *mut u8 {
        self.base.wrapping_add(self.brk)
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, brkalloc::BreakError> {
        let n = delta.unsigned_abs();
        if delta < 0 {
            if n > self.brk - self.start {
                return Err(brkalloc::BreakError::BelowStart);
            }
            let old = self.current();
            self.brk -= n;
            return Ok(old);
        }
        let jump = self.jump.get();
        let from = if jump {
            self.committed + self.page
        } else {
            self.brk
        };
        if from + n > self.len {
            return Err(brkalloc::BreakError::OutOfMemory { requested: n });
        }
        if jump {
            self.jump.set(false);
            self.committed = from;
            self.start = from;
        }
        let old = self.brk;
        self.commit(from + n);
        self.brk = from + n;
        Ok(self.base.wrapping_add(if from == old { old } else { from }))
    }
}

/// A `next` that jumps into the gap between two segments used to make `check()` read a
/// header there, in someone else's memory: here that page is not accessible, so the old read
/// crashed the test. The segment table says where the next segment starts, so nothing in the
/// gap is read.
#[test]
#[cfg(not(miri))]
fn a_next_into_the_gap_between_segments_is_caught_without_reading_it() {
    let brk = GapBreak::new(16);
    let page = brk.page;
    // The segregated policy with `next` stored in each header, so that there is one to break.
    let mut heap = Heap::new(brk, Options::with_policy(Policy::Segregated));
    let a = heap.alloc(64).unwrap();
    // The next growth skips a page: a second segment.
    heap.backend().jump.set(true);
    let b = heap.alloc(64).unwrap();
    heap.check().unwrap();
    assert_eq!(heap.stats().segments, 2);
    let gap = b.as_ptr().addr() - HEADER_SIZE - page;
    set_next(a, gap + HEADER_SIZE);
    assert_eq!(
        heap.check(),
        Err(Corruption::BadNext {
            block: a.as_ptr().addr() - HEADER_SIZE,
            next: gap + HEADER_SIZE
        })
    );
    assert_eq!(
        heap.blocks().count(),
        0,
        "the walk stops at the first block"
    );
}

/// The same on fake pages, for Miri: another allocator's page between the segments was never
/// written, so reading it is reported.
#[test]
fn a_next_into_the_gap_between_segments_is_caught_on_fake_pages() {
    let mut arena = Arena::new(8 * 1024);
    let brk = PagedBreak::new(FakePages::<1024>::new(arena.buffer()));
    let mut heap = Heap::new(brk, Options::with_policy(Policy::Segregated));
    let a = heap.alloc(64).unwrap();
    heap.backend().memory().grow_foreign(2).unwrap();
    let b = heap.alloc(2000).unwrap();
    heap.check().unwrap();
    assert_eq!(heap.stats().segments, 2);
    let in_gap = b.as_ptr().addr() - HEADER_SIZE - 1024;
    set_next(a, in_gap);
    let a_header = a.as_ptr().addr() - HEADER_SIZE;
    assert_eq!(
        heap.check(),
        Err(Corruption::BadNext {
            block: a_header,
            next: in_gap
        })
    );
}

/// With boundary tags the heap never reads a header's second word: whatever it holds, the
/// chain is the same and `check()` passes. A size that would lead past its segment's end
/// (into the gap before the next one) is caught before anything there is read.
#[test]
fn with_boundary_tags_next_is_derived_and_a_size_into_the_gap_is_caught() {
    let mut arena = Arena::new(8 * 1024);
    let brk = PagedBreak::new(FakePages::<1024>::new(arena.buffer()));
    let tags = Options {
        derive: true,
        ..Options::with_policy(Policy::Segregated)
    };
    let mut heap = Heap::new(brk, tags);
    let a = heap.alloc(64).unwrap();
    let _after_a = heap.alloc(64).unwrap();
    heap.backend().memory().grow_foreign(2).unwrap();
    let b = heap.alloc(2000).unwrap();
    heap.check().unwrap();
    assert_eq!(heap.stats().segments, 2);
    let before: Vec<_> = heap.blocks().collect();
    let b_header = b.as_ptr().addr() - HEADER_SIZE;
    assert!(
        before.iter().any(|x| x.next == b_header),
        "the jump to the second segment is derived from the segment table"
    );
    // SAFETY: a's header, just before its data, is inside the heap's memory. The word is
    // written without being read first: with boundary tags nothing ever wrote it.
    unsafe {
        a.as_ptr()
            .sub(HEADER_SIZE / 2)
            .cast::<*mut u8>()
            .write(a.as_ptr().with_addr(0x5eed))
    };
    assert_eq!(heap.check(), Ok(()), "the second word is not read");
    assert_eq!(heap.blocks().collect::<Vec<_>>(), before);

    let a_header = a.as_ptr().addr() - HEADER_SIZE;
    // a's data would now run to the gap's far end: past its segment.
    let size = b_header - a.as_ptr().addr();
    // SAFETY: a's header is inside the heap's memory; breaking it is the point of the test.
    unsafe { a.as_ptr().sub(HEADER_SIZE).cast::<usize>().write(size) };
    assert_eq!(
        heap.check(),
        Err(Corruption::BadSize {
            block: a_header,
            size
        })
    );
}

/// A stray write of a byte pattern over a header: the checker names that block.
#[test]
fn an_overwritten_header_is_named() {
    let mut arena = Arena::new(8 * 1024);
    let brk = PagedBreak::new(FakePages::<1024>::new(arena.buffer()));
    let mut heap = Heap::new(brk, SegregatedConfig);
    let a = heap.alloc(24).unwrap();
    let b = heap.alloc(24).unwrap();
    // A strcpy of 40 'A's into the 32-byte block a runs over b's header.
    // SAFETY: the 40 bytes lie inside the heap's memory (a's data, then b's header); the
    // overflow is the point of the test.
    unsafe { a.as_ptr().write_bytes(b'A', 40) };
    let b_header = b.as_ptr().addr() - HEADER_SIZE;
    match heap.check() {
        Err(Corruption::BadSize { block, size }) => {
            assert_eq!(block, b_header);
            assert_eq!(size & 0xff, 0x41 & !7, "the size is the bytes written");
        }
        other => panic!("check() gave {other:?}"),
    }
}

/// Seeded random scenes, the same on every run and small enough for Miri.
#[test]
fn seeded_corruptions_never_escape_the_checker() {
    let runs = if cfg!(miri) { 12 } else { 400 };
    let mut found = 0;
    for seed in 0..runs {
        let mut rng = Rng::new(seed);
        let len = 40 + rng.upto(400);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let scene = Scene::from_bytes(&bytes, 60, 6);
        let outcome = run(&scene, PAGES);
        if outcome.check.is_err() {
            found += 1;
        }
        assert!(outcome.blocks <= outcome.segments.len() * 4096);
    }
    assert!(
        found > 0,
        "random writes never broke a heap: the scenes are too tame"
    );
}

#[cfg(not(miri))]
mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Random heaps, on memory in several segments, broken by random writes anywhere in
        /// their memory: `check()` returns, naming a block when it finds damage.
        #[test]
        fn check_is_total(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
            run(&Scene::from_bytes(&bytes, 80, 8), PAGES);
        }
    }
}

/// The property test, Miri-sized: proptest's own cases (`PROPTEST_CASES`, 16 in CI's Miri
/// stage) on a smaller memory.
#[cfg(miri)]
mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn check_is_total(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            run(&Scene::from_bytes(&bytes, 30, 4), PAGES);
        }
    }
}
