//! [`PagedBreak`]: a byte-granular program break simulated on top of memory that only grows in
//! whole pages, such as WebAssembly linear memory and its `memory.grow`.
//!
//! The page-growing primitive sits behind the small [`PageMemory`] trait, so the same break runs
//! on real wasm memory ([`WasmPages`](super::WasmPages), wasm32 only) and, in native tests and
//! under Miri, on [`FakePages`], a fixed buffer that can also pretend another allocator grew the
//! memory in between.
//!
//! ```text
//!   memory, in pages:   | page 0 | page 1 | page 2 | page 3 | page 4 | page 5 |
//!                       '-- someone else's --'-------- this break's --------'
//!                                            ^                 ^             ^
//!                                          start              brk          limit
//!                                  (current region)   (what sbrk(0) says)  (end of pages grown)
//! ```
//!
//! Moving the break up within `limit` costs nothing; crossing it grows pages. Moving it down
//! keeps the pages (wasm memory never shrinks), so moving up again reuses them.

use super::{Break, BreakError, Pages};
use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;

/// Memory that grows a page at a time and never shrinks: the seam between [`PagedBreak`] and
/// where pages really come from.
///
/// Offsets count bytes from the start of the memory, so page `n` starts at offset
/// `n * PAGE_SIZE`; [`ptr_at`](PageMemory::ptr_at) turns an offset into a pointer.
///
/// # Safety
///
/// [`PagedBreak`] hands the pages out as heap memory, so implementing this trait promises, for
/// as long as the value lives:
///
/// - `PAGE_SIZE` is not zero.
/// - The memory only grows: [`size_pages`](PageMemory::size_pages) never decreases, and a byte,
///   once grown, stays at the same address.
/// - A successful [`grow(n)`](PageMemory::grow) returns the size `s` the memory had just before
///   it, and pages `s..s + n` are new, readable and writable, and belong to the caller alone:
///   no other growth, by anyone, is ever given them. A failed `grow` returns `None` and gives the
///   caller no pages.
/// - For every offset inside a page that `grow` handed out, and for the offset one past the end
///   of such a page, [`ptr_at`](PageMemory::ptr_at) returns a non-null pointer to that byte whose
///   provenance allows reading and writing all the bytes of the pages handed out from it, and it
///   returns the same address every time it is asked.
/// - When [`EXPOSED`](PageMemory::EXPOSED) is `true`, a pointer made from such a byte's address
///   by `ptr::with_exposed_provenance_mut` may do all that the pointer `ptr_at` returns may.
pub unsafe trait PageMemory {
    /// Bytes in one page: 65,536 for WebAssembly.
    const PAGE_SIZE: usize;

    /// The current size of the memory, in pages (all of it, whoever grew it).
    fn size_pages(&self) -> usize;

    /// Adds `pages` pages at the end of the memory and returns its old size in pages, like
    /// wasm's `memory.grow`; `None` if the memory cannot grow that far.
    fn grow(&mut self, pages: usize) -> Option<usize>;

    /// A pointer to the byte `offset` bytes from the start of the memory.
    fn ptr_at(&self, offset: usize) -> *mut u8;

    /// Whether other code may grow the memory *while* a [`PagedBreak`] is between its calls of
    /// [`size_pages`](PageMemory::size_pages) and [`grow`](PageMemory::grow): another thread
    /// sharing the memory. When `false`, the break leaves out the path that recovers from
    /// that: if `grow` finds the memory grew anyway (or set pages aside before its own, as
    /// `WasmPages` does in a memory with no pages), the growing `sbrk` leaves the pages it got
    /// and tries again from the memory's new end. `true` unless the memory says otherwise.
    const SHARED: bool = true;

    /// Whether [`ptr_at`](PageMemory::ptr_at) makes its pointers from addresses alone (with
    /// exposed provenance), so that `ptr::with_exposed_provenance_mut(address)` may read and
    /// write any byte of a page handed out, as `ptr_at` of its offset may: what
    /// [`Break::EXPOSED`] says of a [`PagedBreak`] over this memory. `false` unless the memory
    /// says otherwise.
    const EXPOSED: bool = false;
}

/// A byte-granular program break over a [`PageMemory`].
///
/// It owns the pages it grew and simulates `sbrk` inside them: the break moves by single bytes,
/// and only when it must cross the end of its pages (`limit`) does it grow the memory, by as few
/// whole pages as cover the request. Moving down keeps the pages for reuse.
///
/// # New regions
///
/// If something else grew the memory since this break last did (on wasm: another allocator, or
/// the very first growth, since the module's stack and statics come first), the new pages do not
/// follow this break's. It then starts a new *region* at the start of the new pages and returns
/// that address from [`Break::sbrk`] instead of the old break, as the [`Break`] contract says.
/// The bytes between the old break and the old `limit` are abandoned, and the break can no
/// longer move below the new region's start ([`BreakError::BelowStart`]).
///
/// ```
/// use brkalloc::brk::FakePages;
/// use brkalloc::{Break, PagedBreak};
/// use core::mem::MaybeUninit;
///
/// let mut buffer = [MaybeUninit::new(0u8); 4 * 256];
/// let mut brk = PagedBreak::new(FakePages::<256>::new(&mut buffer));
/// let old = brk.sbrk(10).unwrap(); // grows one 256-byte page
/// assert_eq!(brk.current(), old.wrapping_add(10));
/// assert_eq!(brk.pages().unwrap().grown, 1);
/// brk.sbrk(-10).unwrap(); // the break moves down, the page stays
/// brk.sbrk(200).unwrap(); // reuses it: no growth
/// assert_eq!(brk.pages().unwrap().grown, 1);
/// ```
#[derive(Debug)]
pub struct PagedBreak<M: PageMemory> {
    memory: M,
    /// Offset of the first byte of the current region: the break never goes below it.
    start: usize,
    /// Offset of the break.
    brk: usize,
    /// Offset just past the last page of the current region.
    limit: usize,
    /// Pages this break has grown, over all regions.
    grown: usize,
}

impl<M: PageMemory> PagedBreak<M> {
    /// Refuses, at compile time, a memory whose pages have no size.
    const PAGE_SIZE_IS_NOT_ZERO: () = assert!(M::PAGE_SIZE > 0, "PageMemory::PAGE_SIZE is zero");

    /// A break that owns no pages yet. It grows the memory at its first upward move, so this
    /// can initialise a `static`.
    pub const fn new(memory: M) -> Self {
        // Referencing the constant makes a zero page size a compile error, not a division by zero.
        let () = Self::PAGE_SIZE_IS_NOT_ZERO;
        PagedBreak {
            memory,
            start: 0,
            brk: 0,
            limit: 0,
            grown: 0,
        }
    }

    /// The memory this break grows.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The start of the current region: the lowest the break may go.
    pub fn region_start(&self) -> *mut u8 {
        self.memory.ptr_at(self.start)
    }

    /// The end of the pages this break owns in its current region: it can rise this far without
    /// growing the memory.
    pub fn limit(&self) -> *mut u8 {
        self.memory.ptr_at(self.limit)
    }

    /// Bytes between the break and `limit`: how far the break can rise without growing.
    pub fn spare(&self) -> usize {
        self.limit - self.brk
    }

    /// Moves the break up by `n` bytes when that crosses `limit`: grows pages, and starts a new
    /// region if they do not follow this break's.
    fn grow_for(&mut self, n: usize) -> Result<*mut u8, BreakError> {
        let out_of_memory = BreakError::OutOfMemory { requested: n };
        let page = M::PAGE_SIZE;

        // Guess whether the new pages will follow ours: only if nobody grew the memory since.
        // The guess decides how many pages to ask for; what `grow` returns decides the outcome.
        let size = self.memory.size_pages();
        let end_of_memory = size.checked_mul(page).ok_or(out_of_memory)?;
        let spare = if end_of_memory == self.limit {
            self.limit - self.brk
        } else {
            0
        };
        // At least one page, since `n` is more than `spare` (written so the compiler sees it).
        let pages = (n - spare - 1) / page + 1;
        // Growth whose end would not fit in an address can only fail; refuse it up front. (On a
        // full 4 GiB wasm32 memory this leaves the last page unused.)
        let bytes = pages
            .checked_mul(page)
            .filter(|&bytes| end_of_memory.checked_add(bytes).is_some())
            .ok_or(out_of_memory)?;

        let old_pages = self.memory.grow(pages).ok_or(out_of_memory)?;
        // The new pages are `old_end..old_end + bytes`: where the memory ended, unless it grew
        // in between.
        let old_end = if old_pages == size {
            end_of_memory
        } else if !M::SHARED {
            // The memory grew between `size_pages` and `grow` after all (see
            // `PageMemory::SHARED`): the pages just obtained are left, and the break tries again
            // from the memory's new end. Each try grows the memory, so this ends.
            return self.grow_for(n);
        } else {
            // Someone grew the memory between `size_pages` and `grow`. The new pages end in an
            // address unless that growth took more than the address space holds; if they were
            // meant to extend this region, they may be too few to hold `n` bytes on their own.
            let old_end = old_pages
                .checked_mul(page)
                .filter(|&old_end| old_end.checked_add(bytes).is_some())
                .ok_or(out_of_memory)?;
            if n > bytes {
                return self.raced(n, old_end, old_end + bytes, pages);
            }
            old_end
        };
        // The bytes go at the break if the new pages follow this break's (the region simply
        // extends), else at the start of the new pages (a new region); either way they fit.
        // `grown` counts pages only once a call that obtained them succeeds: a failed call
        // changes nothing this break reports.
        let from = if old_end == self.limit {
            self.brk
        } else {
            self.start = old_end;
            old_end
        };
        self.limit = old_end + bytes;
        self.brk = from + n;
        self.grown += pages;
        Ok(self.memory.ptr_at(from))
    }

    /// Someone grew the memory between `size_pages` and `grow`, and the `pages` pages obtained
    /// (`old_end..new_end`), meant to extend this region, are too few to hold `n` bytes on
    /// their own. Asks for a full region's worth; if it follows the pages just obtained, uses
    /// both.
    #[cold]
    fn raced(
        &mut self,
        n: usize,
        old_end: usize,
        new_end: usize,
        pages: usize,
    ) -> Result<*mut u8, BreakError> {
        let out_of_memory = BreakError::OutOfMemory { requested: n };
        let page = M::PAGE_SIZE;
        let more = n.div_ceil(page);
        let Some(second_old) = self.memory.grow(more) else {
            // The pages from the first `grow` are abandoned (memory never shrinks); the break
            // has not moved and holds no more pages than before.
            return Err(out_of_memory);
        };
        let second_start = second_old.saturating_mul(page);
        let second_end = second_old.saturating_add(more).saturating_mul(page);
        let (start, used) = if second_start == new_end {
            (old_end, pages.saturating_add(more))
        } else {
            (second_start, more)
        };
        if n <= second_end - start {
            self.grown = self.grown.saturating_add(used);
            Ok(self.start_region(start, second_end, n))
        } else {
            Err(out_of_memory)
        }
    }

    /// Makes `start..end` (freshly grown pages) the current region with the break `n` bytes into
    /// it, and returns the region's start.
    fn start_region(&mut self, start: usize, end: usize, n: usize) -> *mut u8 {
        self.start = start;
        self.limit = end;
        self.brk = start + n;
        self.memory.ptr_at(start)
    }
}

// SAFETY: `start..limit` is always a run of pages this break grew itself (a new region starts
// at pages just grown, and an adjacent growth adds the pages right after `limit`), which `PageMemory` promises are ours alone, readable,
// writable and never moved; the break stays within it. A growing call either extends the region
// (returning the old break) or starts a new one at freshly grown pages, which lie above every
// page grown before because the memory only grows at its end. Every check happens before a field
// changes, so a failed call changes nothing, and moving below `start` is refused. Every byte
// handed out lies in pages the memory grew, so `EXPOSED` holds when the memory's does.
unsafe impl<M: PageMemory> Break for PagedBreak<M> {
    const EXPOSED: bool = M::EXPOSED;

    fn current(&self) -> *mut u8 {
        self.memory.ptr_at(self.brk)
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        let old = self.brk;
        if delta >= 0 {
            let n = delta.unsigned_abs();
            if n > self.limit - self.brk {
                return self.grow_for(n);
            }
            self.brk += n;
        } else {
            let n = delta.unsigned_abs();
            if n > self.brk - self.start {
                return Err(BreakError::BelowStart);
            }
            self.brk -= n;
        }
        Ok(self.memory.ptr_at(old))
    }

    fn pages(&self) -> Option<Pages> {
        Some(Pages {
            page_size: M::PAGE_SIZE,
            grown: self.grown,
        })
    }
}

/// A test double for [`PageMemory`]: a fixed buffer that grows in pages of `PAGE` bytes
/// (65,536 like wasm unless chosen smaller), with a way to pretend *another allocator* grew the
/// memory too.
///
/// It lets native tests, and Miri, prove what a [`PagedBreak`] does on wasm: growth in whole
/// pages, reuse of pages after moving down, and a new region when someone else's pages sit in
/// between. The memory starts empty (zero pages) and can grow to `buffer.len() / PAGE` pages.
///
/// The counters live in [`Cell`]s so a test can simulate foreign growth through a shared
/// reference, for example through `heap.backend().memory()`.
///
/// ```
/// use brkalloc::brk::FakePages;
/// use brkalloc::{Break, PagedBreak};
/// use core::mem::MaybeUninit;
///
/// let mut buffer = [MaybeUninit::new(0u8); 8 * 64];
/// let mut brk = PagedBreak::new(FakePages::<64>::new(&mut buffer));
/// let first = brk.sbrk(16).unwrap();
/// brk.memory().grow_foreign(1).unwrap(); // another allocator takes the next page
/// let end_of_first = brk.limit();
/// let second = brk.sbrk(100).unwrap(); // does not fit in the first page: a new region
/// assert_ne!(second, first.wrapping_add(16));
/// assert_eq!(second, end_of_first.wrapping_add(64)); // after the foreign page
/// ```
pub struct FakePages<'a, const PAGE: usize = 65536> {
    base: *mut u8,
    capacity: usize,
    size: Cell<usize>,
    race: Cell<usize>,
    grow_calls: Cell<usize>,
    _buffer: PhantomData<&'a mut [MaybeUninit<u8>]>,
}

impl<'a, const PAGE: usize> FakePages<'a, PAGE> {
    /// An empty memory that can grow into `buffer`, up to `buffer.len() / PAGE` whole pages.
    pub fn new(buffer: &'a mut [MaybeUninit<u8>]) -> Self {
        FakePages {
            base: buffer.as_mut_ptr().cast(),
            capacity: buffer.len() / PAGE,
            size: Cell::new(0),
            race: Cell::new(0),
            grow_calls: Cell::new(0),
            _buffer: PhantomData,
        }
    }

    /// The most pages this memory can grow to.
    pub fn capacity_pages(&self) -> usize {
        self.capacity
    }

    /// How many times [`PageMemory::grow`] was called, whether it succeeded or not (foreign
    /// growth does not count). A test uses it to prove that no growth happened.
    pub fn grow_calls(&self) -> usize {
        self.grow_calls.get()
    }

    /// Another allocator grows the memory by `pages`: they are taken, and no [`PagedBreak`] will
    /// ever be given them. Returns the old size in pages, or `None` (changing nothing) if the
    /// buffer is too small.
    pub fn grow_foreign(&self, pages: usize) -> Option<usize> {
        let old = self.size.get();
        let new = old.checked_add(pages).filter(|&new| new <= self.capacity)?;
        self.size.set(new);
        Some(old)
    }

    /// Makes the next call to [`PageMemory::grow`] find that another allocator took `pages`
    /// pages just before it, as another thread could between a look at the memory's size and
    /// the growth. (If the buffer cannot hold them, the race does not happen.)
    pub fn race_next_grow(&self, pages: usize) {
        self.race.set(pages);
    }
}

impl<const PAGE: usize> fmt::Debug for FakePages<'_, PAGE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePages")
            .field("page_size", &PAGE)
            .field("size_pages", &self.size.get())
            .field("capacity_pages", &self.capacity)
            .field("grow_calls", &self.grow_calls.get())
            .finish()
    }
}

// SAFETY: the buffer is borrowed mutably for 'a, so sending the memory to another thread sends
// exclusive access to it; the `Cell`s move along with it.
unsafe impl<const PAGE: usize> Send for FakePages<'_, PAGE> {}

// SAFETY: `PAGE` is checked non-zero by `PagedBreak::new`'s compile-time assertion. Pages are
// handed out in order from the start of one buffer borrowed (or owned) exclusively, and `size`
// only rises, so each page is given once, by `grow` or `grow_foreign`; a failed growth returns
// before changing `size`. `ptr_at` offsets the buffer's own pointer, so its provenance covers
// the whole buffer, and the buffer never moves; it is non-null because it comes from a slice.
unsafe impl<const PAGE: usize> PageMemory for FakePages<'_, PAGE> {
    const PAGE_SIZE: usize = PAGE;

    fn size_pages(&self) -> usize {
        self.size.get()
    }

    fn grow(&mut self, pages: usize) -> Option<usize> {
        self.grow_calls.set(self.grow_calls.get() + 1);
        let race = self.race.replace(0);
        // The racing allocator takes its pages whether or not ours fit after them.
        let _ = self.grow_foreign(race);
        self.grow_foreign(pages)
    }

    fn ptr_at(&self, offset: usize) -> *mut u8 {
        self.base.wrapping_add(offset)
    }
}

/// WebAssembly linear memory 0, grown with `memory.grow`.
///
/// Other code in the module (Rust's own allocator, a second heap) may grow the same memory; a
/// [`PagedBreak`] notices and starts a new region. On a multithreaded wasm module, the
/// [`PagedBreak`] itself still needs a lock around it, like any [`Break`].
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmPages;

// SAFETY: wasm pages are 64 KiB; linear memory never shrinks or moves; `memory.grow` is atomic
// and gives each page to exactly one caller, returning the old size, or `usize::MAX` (mapped to
// `None`) on failure. `grow` never hands out page 0, whose address is null.
// Addresses in linear memory are plain integers: `ptr_at` turns one into a pointer with exposed
// provenance (`with_exposed_provenance_mut`): no Rust allocation owns linear memory's pages. So
// a pointer made from an address the same way is the very pointer `ptr_at` makes (`EXPOSED`).
#[cfg(target_arch = "wasm32")]
unsafe impl PageMemory for WasmPages {
    const PAGE_SIZE: usize = 65536;
    /// Only a module built with threads (the `atomics` target feature) shares its memory.
    const SHARED: bool = cfg!(target_feature = "atomics");
    /// `ptr_at` makes every pointer from its address.
    const EXPOSED: bool = true;

    fn size_pages(&self) -> usize {
        core::arch::wasm32::memory_size::<0>()
    }

    fn grow(&mut self, pages: usize) -> Option<usize> {
        if core::arch::wasm32::memory_size::<0>() == 0 {
            // A module without memory of its own (Rust modules always have some, for the stack):
            // grow page 0 for nobody, since its address is null and cannot be a Rust pointer.
            core::arch::wasm32::memory_grow::<0>(1);
        }
        match core::arch::wasm32::memory_grow::<0>(pages) {
            // `memory.grow` failed, and nothing changed; or page 0 could not be set aside
            // above, and is given to nobody.
            usize::MAX | 0 => None,
            old => Some(old),
        }
    }

    fn ptr_at(&self, offset: usize) -> *mut u8 {
        core::ptr::with_exposed_provenance_mut(offset)
    }
}

/// The wasm backend: a [`PagedBreak`] over this module's linear memory.
///
/// `WasmBreak::new(WasmPages)`, [`WasmBreak::wasm`] and `WasmBreak::default()` all make one; all
/// but `default` are `const`, for a `static`.
#[cfg(target_arch = "wasm32")]
pub type WasmBreak = PagedBreak<WasmPages>;

#[cfg(target_arch = "wasm32")]
impl PagedBreak<WasmPages> {
    /// A break over this module's linear memory that owns no pages yet.
    pub const fn wasm() -> Self {
        PagedBreak::new(WasmPages)
    }
}

#[cfg(target_arch = "wasm32")]
impl Default for PagedBreak<WasmPages> {
    fn default() -> Self {
        Self::wasm()
    }
}

#[cfg(test)]
mod tests {
    use super::{FakePages, PageMemory, PagedBreak};
    use crate::brk::Break;
    use brkalloc_rng::Rng;
    use core::mem::MaybeUninit;
    use std::vec;

    const PAGE: usize = 64;

    /// [`FakePages`] that says nobody grows it while a break works ([`PageMemory::SHARED`] is
    /// `false`), as `WasmPages` does without threads; with `aside`, it also sets page 0 aside
    /// for nobody before growing an empty memory, as `WasmPages` does.
    struct Alone<'a> {
        pages: FakePages<'a, PAGE>,
        aside: bool,
    }

    // SAFETY: everything is `FakePages`'s, whose promises hold; the page set aside is taken by
    // `grow_foreign`, which gives it to nobody.
    unsafe impl PageMemory for Alone<'_> {
        const PAGE_SIZE: usize = PAGE;
        const SHARED: bool = false;

        fn size_pages(&self) -> usize {
            self.pages.size_pages()
        }

        fn grow(&mut self, pages: usize) -> Option<usize> {
            if self.aside && self.pages.size_pages() == 0 {
                let _ = self.pages.grow_foreign(1);
            }
            self.pages.grow(pages)
        }

        fn ptr_at(&self, offset: usize) -> *mut u8 {
            self.pages.ptr_at(offset)
        }
    }

    fn offset<M: PageMemory>(brk: &PagedBreak<M>, p: *mut u8) -> usize {
        p.addr() - brk.memory().ptr_at(0).addr()
    }

    /// Without a race, a break over memory that says it is not shared answers every call as
    /// one over memory that may be: the same offsets, errors, regions and page counts, with
    /// other code growing the memory between calls.
    #[test]
    fn unshared_memory_moves_the_break_as_shared_memory_does() {
        for seed in 0..if cfg!(miri) { 4 } else { 64 } {
            let mut rng = Rng::new(seed);
            let mut a = vec![MaybeUninit::new(0u8); 24 * PAGE];
            let mut b = vec![MaybeUninit::new(0u8); 24 * PAGE];
            let mut shared = PagedBreak::new(FakePages::<PAGE>::new(&mut a));
            let mut alone = PagedBreak::new(Alone {
                pages: FakePages::new(&mut b),
                aside: false,
            });
            for _ in 0..60 {
                if rng.one_in(6) {
                    let pages = rng.upto(2);
                    assert_eq!(
                        shared.memory().grow_foreign(pages),
                        alone.memory().pages.grow_foreign(pages)
                    );
                }
                let delta = if rng.one_in(3) {
                    -(rng.upto(3 * PAGE) as isize)
                } else {
                    rng.upto(3 * PAGE) as isize
                };
                let one = shared.sbrk(delta).map(|p| offset(&shared, p));
                let two = alone.sbrk(delta).map(|p| offset(&alone, p));
                assert_eq!(one, two, "seed {seed}, sbrk({delta})");
                assert_eq!(
                    offset(&shared, shared.current()),
                    offset(&alone, alone.current())
                );
                assert_eq!(
                    offset(&shared, shared.region_start()),
                    offset(&alone, alone.region_start())
                );
                assert_eq!(
                    offset(&shared, shared.limit()),
                    offset(&alone, alone.limit())
                );
                assert_eq!(shared.pages(), alone.pages());
            }
        }
    }

    /// If unshared memory grows between `size_pages` and `grow` after all, the break leaves
    /// the pages it got and starts a region at the memory's new end.
    #[test]
    fn unshared_memory_that_grew_anyway_is_tried_again() {
        let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
        let mut brk = PagedBreak::new(Alone {
            pages: FakePages::new(&mut buffer),
            aside: false,
        });
        assert_eq!(brk.sbrk(10).map(|p| offset(&brk, p)), Ok(0));
        // Another allocator takes page 1 just before ours (page 2), which cannot hold the 46
        // bytes beyond page 0 on its own: pages 3 and 4 become a new region.
        brk.memory().pages.race_next_grow(1);
        assert_eq!(brk.sbrk(100).map(|p| offset(&brk, p)), Ok(3 * PAGE));
        assert_eq!(offset(&brk, brk.region_start()), 3 * PAGE);
        assert_eq!(offset(&brk, brk.current()), 3 * PAGE + 100);
        assert_eq!(offset(&brk, brk.limit()), 5 * PAGE);
        assert_eq!(brk.pages().unwrap().grown, 3);
        assert_eq!(brk.memory().pages.size_pages(), 5);
    }

    /// A memory that sets page 0 aside before its first growth (as `WasmPages` does when it
    /// has no pages at all) still serves the first growth.
    #[test]
    fn unshared_memory_that_sets_page_0_aside_serves_the_first_growth() {
        let mut buffer = [MaybeUninit::new(0u8); 8 * PAGE];
        let mut brk = PagedBreak::new(Alone {
            pages: FakePages::new(&mut buffer),
            aside: true,
        });
        let p = brk.sbrk(10).unwrap();
        assert_eq!(offset(&brk, p), 2 * PAGE);
        assert_eq!(offset(&brk, brk.current()), 2 * PAGE + 10);
        assert_eq!(brk.pages().unwrap().grown, 1);
        // The next growth extends that region.
        assert_eq!(
            brk.sbrk(PAGE as isize).map(|p| offset(&brk, p)),
            Ok(2 * PAGE + 10)
        );
        assert_eq!(brk.pages().unwrap().grown, 2);
        assert_eq!(
            brk.sbrk(-(PAGE as isize) - 10).map(|p| offset(&brk, p)),
            Ok(3 * PAGE + 10)
        );
        assert!(brk.sbrk(-1).is_err());
    }
}
