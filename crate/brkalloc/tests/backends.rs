//! The `Break` backends, held to the trait's contract and to what each promises on its own:
//! `ArenaBreak`, `PagedBreak` over the `FakePages` test double (what `WasmBreak` does on wasm) and,
//! on unix outside Miri, `MmapBreak`. (`SbrkBreak` has its own single-threaded test binary,
//! tests/sbrk.rs.)
#![cfg(not(target_arch = "wasm32"))]

use brkalloc::brk::FakePages;
use brkalloc::{ArenaBreak, Break, BreakError, PageMemory, PagedBreak, Pages};
use core::mem::MaybeUninit;

/// Fills `len` bytes at `p` with `byte`.
///
/// # Safety
///
/// The bytes must be ones a [`Break`] handed out and still owns.
unsafe fn fill(p: *mut u8, len: usize, byte: u8) {
    // SAFETY: the caller promises the bytes are writable.
    unsafe { p.write_bytes(byte, len) }
}

/// Whether all `len` bytes at `p` hold `byte`.
///
/// # Safety
///
/// The bytes must be ones a [`Break`] handed out and still owns, and written before.
unsafe fn holds(p: *mut u8, len: usize, byte: u8) -> bool {
    // SAFETY: the caller promises the bytes are readable and initialised.
    (0..len).all(|i| unsafe { p.add(i).read() } == byte)
}

fn addr(p: *mut u8) -> usize {
    p as usize
}

/// Walks a fresh break through every point of the `Break` contract. It needs room for 30 bytes
/// and its first growth must start the region (true of every backend here when nothing else
/// grows its memory).
fn holds_the_contract<B: Break>(brk: &mut B) {
    // sbrk(0) returns current() and changes nothing.
    let before = brk.current();
    assert_eq!(brk.sbrk(0), Ok(before));
    assert_eq!(brk.current(), before);

    // Growth hands out `delta` writable bytes at p, and the break ends up at p + delta.
    let p = brk.sbrk(10).expect("the first 10 bytes");
    assert_eq!(brk.current(), p.wrapping_add(10));
    // SAFETY: `sbrk(10)` just handed out these bytes.
    unsafe { fill(p, 10, 0x11) };

    // Growth again: adjacent (p is the old break) or, if not, above everything handed out.
    let q = brk.sbrk(20).expect("20 more bytes");
    assert!(q == p.wrapping_add(10) || addr(q) >= addr(p) + 10);
    assert_eq!(brk.current(), q.wrapping_add(20));
    // SAFETY: `sbrk(20)` just handed out these bytes.
    unsafe { fill(q, 20, 0x22) };
    // SAFETY: both runs were handed out and written above, and the break is above them.
    unsafe {
        assert!(holds(p, 10, 0x11), "the first bytes were overwritten");
        assert!(holds(q, 20, 0x22));
    }

    // A failed call (far too much) reports OutOfMemory and changes nothing.
    let top = brk.current();
    assert_eq!(
        brk.sbrk(isize::MAX),
        Err(BreakError::OutOfMemory {
            requested: isize::MAX as usize
        })
    );
    assert_eq!(brk.current(), top);

    // Shrinking returns the old break and lowers it.
    assert_eq!(brk.sbrk(-20), Ok(top));
    assert_eq!(brk.current(), q);

    if q == p.wrapping_add(10) {
        // Going below the region's start is refused, and changes nothing.
        assert_eq!(brk.sbrk(-11), Err(BreakError::BelowStart));
        assert_eq!(brk.sbrk(isize::MIN), Err(BreakError::BelowStart));
        assert_eq!(brk.current(), q);
        // Exactly down to the start is fine, and the bytes below the break were left alone.
        // SAFETY: `p..p + 10` is still below the break.
        assert!(unsafe { holds(p, 10, 0x11) });
        assert_eq!(brk.sbrk(-10), Ok(q));
        assert_eq!(brk.current(), p);
        assert_eq!(brk.sbrk(-1), Err(BreakError::BelowStart));
    }
}

// ---------------------------------------------------------------------------------------------
// ArenaBreak

#[test]
fn arena_holds_the_contract() {
    let mut buffer = [MaybeUninit::new(0u8); 64];
    holds_the_contract(&mut ArenaBreak::new(&mut buffer));
}

#[test]
fn arena_grows_to_its_last_byte_and_no_further() {
    let mut buffer = [MaybeUninit::new(0u8); 64];
    let mut brk = ArenaBreak::new(&mut buffer);
    let start = brk.sbrk(64).unwrap();
    assert_eq!(brk.used(), 64);
    assert_eq!(brk.sbrk(1), Err(BreakError::OutOfMemory { requested: 1 }));
    assert_eq!(brk.current(), start.wrapping_add(64));
    assert_eq!(brk.pages(), None);
}

// ---------------------------------------------------------------------------------------------
// PagedBreak over FakePages: small 256-byte pages keep the buffers small for Miri.

const PAGE: usize = 256;

type Fake<'a> = PagedBreak<FakePages<'a, PAGE>>;

fn paged(buffer: &mut [MaybeUninit<u8>]) -> Fake<'_> {
    PagedBreak::new(FakePages::new(buffer))
}

/// The address of byte `offset` of the fake memory.
fn at(brk: &Fake<'_>, offset: usize) -> *mut u8 {
    brk.memory().ptr_at(offset)
}

fn grown(brk: &impl Break) -> usize {
    brk.pages().expect("a paged backend reports pages").grown
}

#[test]
fn paged_holds_the_contract() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    holds_the_contract(&mut paged(&mut buffer));
}

#[test]
fn paged_grows_by_whole_pages_only_when_crossing_its_limit() {
    let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
    let mut brk = paged(&mut buffer);
    assert_eq!(
        brk.pages(),
        Some(Pages {
            page_size: PAGE,
            grown: 0
        })
    );

    let p = brk.sbrk(1).unwrap();
    assert_eq!(p, at(&brk, 0));
    assert_eq!((grown(&brk), brk.memory().size_pages()), (1, 1));
    assert_eq!(brk.spare(), PAGE - 1);

    // The rest of the page needs no growth.
    assert_eq!(brk.sbrk(PAGE as isize - 1), Ok(at(&brk, 1)));
    assert_eq!(brk.memory().grow_calls(), 1);
    assert_eq!(brk.spare(), 0);

    // One byte more grows exactly one page, adjacent to the first.
    assert_eq!(brk.sbrk(1), Ok(at(&brk, PAGE)));
    assert_eq!((grown(&brk), brk.memory().grow_calls()), (2, 2));

    // 600 bytes with 255 spare: 345 more bytes, two pages, in one growth.
    assert_eq!(brk.sbrk(600), Ok(at(&brk, PAGE + 1)));
    assert_eq!((grown(&brk), brk.memory().grow_calls()), (4, 3));
    assert_eq!(brk.current(), at(&brk, PAGE + 601));
    assert_eq!(brk.limit(), at(&brk, 4 * PAGE));
    // SAFETY: the break is at offset PAGE + 601, so all bytes below it are handed out.
    unsafe { fill(p, PAGE + 601, 0x5A) };
}

#[test]
fn paged_keeps_its_pages_when_moving_down_and_reuses_them() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    let mut brk = paged(&mut buffer);
    let p = brk.sbrk(700).unwrap();
    assert_eq!(grown(&brk), 3);

    assert_eq!(brk.sbrk(-700), Ok(p.wrapping_add(700)));
    assert_eq!(brk.current(), p);
    assert_eq!(
        brk.limit(),
        at(&brk, 3 * PAGE),
        "moving down gives no page back"
    );
    assert_eq!(grown(&brk), 3);

    // Up again to the very end of the pages: no growth at all.
    let calls = brk.memory().grow_calls();
    assert_eq!(brk.sbrk(3 * PAGE as isize), Ok(p));
    assert_eq!(brk.memory().grow_calls(), calls);
    assert_eq!(grown(&brk), 3);
    // SAFETY: the three pages below the break were handed out.
    unsafe { fill(p, 3 * PAGE, 1) };
}

#[test]
fn paged_starts_a_new_region_after_foreign_growth() {
    let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
    let mut brk = paged(&mut buffer);
    let p = brk.sbrk(100).unwrap();
    // SAFETY: `sbrk(100)` just handed out these bytes.
    unsafe { fill(p, 100, 0xA1) };

    // Another allocator takes pages 1 and 2.
    assert_eq!(brk.memory().grow_foreign(2), Some(1));

    // 100 more bytes still fit in page 0: adjacent, no growth.
    assert_eq!(brk.sbrk(100), Ok(p.wrapping_add(100)));
    assert_eq!(brk.memory().grow_calls(), 1);

    // 200 more do not: the new page comes after the foreign ones, so a new region starts there.
    let old_break = brk.current();
    let q = brk.sbrk(200).unwrap();
    assert_ne!(
        q, old_break,
        "the new bytes are not adjacent, and sbrk says so"
    );
    assert_eq!(
        q,
        at(&brk, 3 * PAGE),
        "the region starts after the foreign pages"
    );
    assert!(addr(q) > addr(old_break));
    assert_eq!(brk.region_start(), q);
    assert_eq!(brk.current(), q.wrapping_add(200));
    assert_eq!(grown(&brk), 2);
    // SAFETY: `sbrk(200)` just handed out these bytes, and `p..p + 100` is still ours.
    unsafe {
        fill(q, 200, 0xB2);
        assert!(holds(p, 100, 0xA1), "the old region is untouched");
    }

    // The new region is the only one the break can move in.
    assert_eq!(brk.sbrk(-201), Err(BreakError::BelowStart));
    assert_eq!(brk.current(), q.wrapping_add(200));
    assert_eq!(brk.sbrk(-200), Ok(q.wrapping_add(200)));
    assert_eq!(brk.sbrk(-1), Err(BreakError::BelowStart));
}

#[test]
fn paged_first_growth_after_foreign_pages_is_a_new_region() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    let mut brk = paged(&mut buffer);
    // Like a wasm module, whose stack and statics already fill the first page.
    brk.memory().grow_foreign(1).unwrap();
    let before = brk.current();
    let p = brk.sbrk(8).unwrap();
    assert_ne!(p, before);
    assert_eq!(p, at(&brk, PAGE));
    assert_eq!(brk.region_start(), p);
    assert_eq!(brk.sbrk(-9), Err(BreakError::BelowStart));
}

#[test]
fn paged_race_during_growth_still_gives_a_whole_region() {
    let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
    let mut brk = paged(&mut buffer);
    brk.sbrk(100).unwrap();
    // 300 bytes with 156 spare: the break asks for one page to extend its region, but another
    // allocator takes page 1 just before, so page 2 alone (256 bytes) is too small for a new
    // region. The break grows two more pages, which follow page 2: the region is pages 2..5.
    brk.memory().race_next_grow(1);
    let q = brk.sbrk(300).unwrap();
    assert_eq!(q, at(&brk, 2 * PAGE));
    assert_eq!(brk.current(), q.wrapping_add(300));
    assert_eq!(brk.limit(), at(&brk, 5 * PAGE));
    assert_eq!(grown(&brk), 4);
    assert_eq!(brk.memory().size_pages(), 5);
    // SAFETY: `sbrk(300)` just handed out these bytes.
    unsafe { fill(q, 300, 3) };
}

#[test]
fn paged_race_during_growth_with_room_enough_uses_the_new_page() {
    let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
    let mut brk = paged(&mut buffer);
    brk.sbrk(100).unwrap();
    brk.memory().race_next_grow(1);
    let q = brk.sbrk(200).unwrap();
    assert_eq!(q, at(&brk, 2 * PAGE));
    assert_eq!(brk.limit(), at(&brk, 3 * PAGE));
    assert_eq!((grown(&brk), brk.memory().grow_calls()), (2, 2));
}

/// A failed call changes nothing the break reports, even when its first growth succeeded
/// and only the second, after another allocator's race, failed. (The pages of the first
/// growth are abandoned; they used to be counted in `grown`.)
#[test]
fn paged_race_then_out_of_memory_changes_nothing() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    let mut brk = paged(&mut buffer);
    brk.sbrk(100).unwrap();
    let (before, pages_before, limit_before) = (brk.current(), brk.pages(), brk.limit());
    // The race takes page 1, our growth gets page 2 (too small for 300 bytes), and the two
    // pages a whole region needs are not there.
    brk.memory().race_next_grow(1);
    assert_eq!(
        brk.sbrk(300),
        Err(BreakError::OutOfMemory { requested: 300 })
    );
    assert_eq!(brk.memory().grow_calls(), 3, "the second growth was tried");
    assert_eq!(
        (brk.current(), brk.pages(), brk.limit()),
        (before, pages_before, limit_before)
    );
}

#[test]
fn paged_out_of_memory_changes_nothing() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    let mut brk = paged(&mut buffer);
    let before = brk.current();
    let requested = 4 * PAGE + 1;
    assert_eq!(
        brk.sbrk(requested as isize),
        Err(BreakError::OutOfMemory { requested })
    );
    assert_eq!(brk.current(), before);
    assert_eq!((grown(&brk), brk.memory().size_pages()), (0, 0));

    // Exactly the whole memory still works.
    assert_eq!(brk.sbrk(4 * PAGE as isize), Ok(before));
    assert_eq!(grown(&brk), 4);
}

#[test]
fn paged_huge_deltas_fail_without_overflow() {
    let mut buffer = [MaybeUninit::new(0u8); 2 * PAGE];
    let mut brk = paged(&mut buffer);
    brk.sbrk(10).unwrap();
    let top = brk.current();
    for delta in [isize::MAX, isize::MAX - 1, isize::MAX - PAGE as isize] {
        assert_eq!(
            brk.sbrk(delta),
            Err(BreakError::OutOfMemory {
                requested: delta as usize
            })
        );
        assert_eq!(brk.current(), top);
    }
    assert_eq!(brk.sbrk(isize::MIN), Err(BreakError::BelowStart));
    assert_eq!(brk.sbrk(-isize::MAX), Err(BreakError::BelowStart));
    assert_eq!(brk.current(), top);
    assert_eq!(grown(&brk), 1);
}

#[test]
fn paged_out_of_memory_after_foreign_growth_changes_nothing() {
    let mut buffer = [MaybeUninit::new(0u8); 4 * PAGE];
    let mut brk = paged(&mut buffer);
    brk.sbrk(10).unwrap();
    brk.memory().grow_foreign(2).unwrap();
    let top = brk.current();
    // A new region of 300 bytes needs two pages; one is left.
    assert_eq!(
        brk.sbrk(300),
        Err(BreakError::OutOfMemory { requested: 300 })
    );
    assert_eq!(brk.current(), top);
    assert_eq!(brk.region_start(), at(&brk, 0));
    // The old region still grows within its page.
    assert_eq!(brk.sbrk(PAGE as isize - 10), Ok(top));
}

#[test]
fn fake_pages_refuse_foreign_growth_past_their_capacity() {
    let mut buffer = [MaybeUninit::new(0u8); 3 * PAGE + 100];
    let memory = FakePages::<PAGE>::new(&mut buffer);
    assert_eq!(memory.capacity_pages(), 3, "only whole pages count");
    assert_eq!(memory.grow_foreign(4), None);
    assert_eq!(memory.size_pages(), 0);
    assert_eq!(memory.grow_foreign(3), Some(0));
    assert_eq!(memory.grow_foreign(usize::MAX), None);
}

#[test]
fn fake_pages_are_wasm_sized_by_default() {
    let mut buffer = vec![MaybeUninit::<u8>::uninit(); 2 * 65536];
    // In type position the page size defaults to wasm's.
    let memory: FakePages = FakePages::new(&mut buffer);
    let mut brk = PagedBreak::new(memory);
    assert_eq!(
        brk.pages(),
        Some(Pages {
            page_size: 65536,
            grown: 0
        })
    );
    let p = brk.sbrk(70_000).unwrap();
    assert_eq!(grown(&brk), 2);
    // SAFETY: `sbrk(70_000)` just handed out these bytes.
    unsafe {
        fill(p, 70_000, 7);
        assert!(holds(p, 70_000, 7));
    }
    assert_eq!(
        brk.sbrk(2 * 65536),
        Err(BreakError::OutOfMemory {
            requested: 2 * 65536
        })
    );
}

/// `PagedBreak::new` is a `const fn`, so a paged break can initialise a `static`.
const fn paged_break_in_a_constant<M: PageMemory>(memory: M) -> PagedBreak<M> {
    PagedBreak::new(memory)
}

#[test]
fn paged_break_is_built_in_const_context() {
    let mut buffer = [MaybeUninit::new(0u8); PAGE];
    let mut brk = paged_break_in_a_constant(FakePages::<PAGE>::new(&mut buffer));
    assert_eq!(grown(&brk), 0);
    brk.sbrk(PAGE as isize).unwrap();
    assert_eq!(grown(&brk), 1);
}

// ---------------------------------------------------------------------------------------------
// MmapBreak: real system calls, which Miri does not run.

#[cfg(unix)]
mod mmap {
    use super::*;
    use brkalloc::MmapBreak;
    use std::sync::Mutex;

    fn page() -> usize {
        MmapBreak::new(0).page_size()
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_holds_the_contract() {
        holds_the_contract(&mut MmapBreak::new(1 << 20));
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_commits_whole_pages_as_the_break_rises() {
        let page = page();
        let mut brk = MmapBreak::new(16 * page);
        assert!(
            brk.current().is_null(),
            "nothing is reserved before the first growth"
        );
        let p = brk.sbrk(1).unwrap();
        assert_eq!(
            brk.pages(),
            Some(Pages {
                page_size: page,
                grown: 1
            })
        );
        assert_eq!(brk.sbrk(page as isize - 1), Ok(p.wrapping_add(1)));
        assert_eq!(brk.committed_bytes(), page);
        assert_eq!(brk.sbrk(2 * page as isize + 1), Ok(p.wrapping_add(page)));
        assert_eq!(grown(&brk), 4);
        // SAFETY: `3 * page + 1` bytes from `p` are below the break.
        unsafe {
            fill(p, 3 * page + 1, 0xC3);
            assert!(holds(p, 3 * page + 1, 0xC3));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_releases_pages_when_the_break_falls() {
        let page = page();
        let mut brk = MmapBreak::new(16 * page);
        let p = brk.sbrk(3 * page as isize).unwrap();
        // SAFETY: three pages from `p` were just handed out.
        unsafe { fill(p, 3 * page, 0xAB) };

        // Down to one byte into the first page: the two pages above go back.
        brk.sbrk(1 - 3 * page as isize).unwrap();
        assert_eq!(grown(&brk), 1);
        assert_eq!(brk.committed_bytes(), page);

        // Up again: the bytes below the break kept their value; the released pages come back
        // as fresh, zeroed memory, which shows they really were given back.
        assert_eq!(brk.sbrk(3 * page as isize - 1), Ok(p.wrapping_add(1)));
        assert_eq!(grown(&brk), 3);
        // SAFETY: three pages from `p` are below the break again.
        unsafe {
            assert_eq!(p.read(), 0xAB);
            if cfg!(any(target_os = "linux", target_os = "android")) {
                assert!(
                    holds(p.add(page), 2 * page, 0),
                    "released pages were not zeroed"
                );
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_keeps_a_partly_used_page() {
        let page = page();
        let mut brk = MmapBreak::new(4 * page);
        brk.sbrk(page as isize + 10).unwrap();
        assert_eq!(grown(&brk), 2);
        brk.sbrk(-9).unwrap();
        assert_eq!(
            grown(&brk),
            2,
            "one byte of the second page is still in use"
        );
        brk.sbrk(-1).unwrap();
        assert_eq!(grown(&brk), 1);
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_reservation_exhausted_is_out_of_memory() {
        let page = page();
        // One byte over four pages rounds the reservation up to five.
        let mut brk = MmapBreak::new(4 * page + 1);
        let p = brk.sbrk(5 * page as isize).unwrap();
        assert_eq!(brk.reserve_bytes(), 5 * page);
        assert_eq!(brk.sbrk(1), Err(BreakError::OutOfMemory { requested: 1 }));
        assert_eq!(brk.current(), p.wrapping_add(5 * page));
        // Giving some back makes room again, at the same addresses.
        brk.sbrk(-(page as isize)).unwrap();
        assert_eq!(brk.sbrk(page as isize), Ok(p.wrapping_add(4 * page)));
        // SAFETY: five pages from `p` are below the break.
        unsafe { fill(p, 5 * page, 9) };
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_request_larger_than_the_reservation_reserves_nothing() {
        let page = page();
        let mut brk = MmapBreak::new(page);
        assert_eq!(
            brk.sbrk(page as isize + 1),
            Err(BreakError::OutOfMemory {
                requested: page + 1
            })
        );
        assert!(brk.current().is_null(), "a failed call changes nothing");
        assert_eq!(grown(&brk), 0);
        assert!(brk.sbrk(page as isize).is_ok());

        let mut empty = MmapBreak::new(0);
        assert_eq!(empty.sbrk(1), Err(BreakError::OutOfMemory { requested: 1 }));
        assert_eq!(empty.sbrk(-1), Err(BreakError::BelowStart));
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_huge_deltas_fail_without_overflow() {
        let mut brk = MmapBreak::new(1 << 20);
        let p = brk.sbrk(1).unwrap();
        assert_eq!(
            brk.sbrk(isize::MAX),
            Err(BreakError::OutOfMemory {
                requested: isize::MAX as usize
            })
        );
        assert_eq!(brk.sbrk(isize::MIN), Err(BreakError::BelowStart));
        assert_eq!(brk.current(), p.wrapping_add(1));
    }

    /// `const fn new` and `Send` let it sit behind a lock in a `static`, as a global allocator's
    /// break would.
    static SHARED: Mutex<MmapBreak> = Mutex::new(MmapBreak::new(1 << 20));

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_break_works_from_a_static_on_another_thread() {
        let p = std::thread::spawn(|| {
            let mut brk = SHARED.lock().unwrap();
            let p = brk.sbrk(64).unwrap();
            // SAFETY: `sbrk(64)` just handed out these bytes.
            unsafe { fill(p, 64, 0x42) };
            p.expose_provenance()
        })
        .join()
        .unwrap();
        let brk = SHARED.lock().unwrap();
        assert_eq!(brk.current() as usize, p + 64);
        // SAFETY: the 64 bytes are still below the break.
        assert!(unsafe { holds(std::ptr::with_exposed_provenance_mut(p), 64, 0x42) });
    }

    #[test]
    fn mmap_default_reserve_is_large_but_lazy() {
        let brk = MmapBreak::with_default_reserve();
        assert_eq!(brk.reserve_bytes(), MmapBreak::DEFAULT_RESERVE);
        assert!(brk.current().is_null());
        assert_eq!(brk.committed_bytes(), 0);
    }
}
