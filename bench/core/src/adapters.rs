//! Each allocator under test, adapted to [`BenchAlloc`] and fed from a [`PageMemory`], the same
//! page-growing seam brkalloc's wasm backend uses.
//!
//! On wasm32 the memory is the module's linear memory ([`brkalloc::WasmPages`]); natively the
//! runner passes a private `mmap` reservation of 64 KiB pages, so every allocator pays for its
//! memory the way it would on wasm, and nothing it obtains escapes the count:
//!
//! | allocator | its backend | heap extent (peak bytes held from it) |
//! |---|---|---|
//! | brkalloc | a [`PagedBreak`] behind a counting [`Break`] | the break span, byte-granular |
//! | dlmalloc | a [`dlmalloc::Allocator`] that grows pages | every segment it obtained |
//! | talc | a [`Source`] that grows pages and extends the heap | every page it claimed |
//! | lol_alloc (wasm32) | `memory.grow` itself | the pages the memory grew |
//!
//! The *footprint* is always the pages grown for the allocator, in bytes.

use core::alloc::Layout;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::ptr::{self, NonNull};

use brkalloc::{Break, BreakError, Config, Heap, Observer, PageMemory, PagedBreak, StartMap};
use talc::base::binning::Binning;
use talc::base::Talc;
use talc::cell::TalcCell;
use talc::source::Source;

use crate::{global, BenchAlloc};

/// A [`Break`] that records how far it ever rose above the first byte it handed out.
///
/// The heap sees exactly the inner break; only the high-water mark is added.
pub struct CountedBreak<B: Break> {
    inner: B,
    /// Address of the first byte handed out (0 before the first growth).
    base: usize,
    /// The largest `current - base` seen after a move.
    peak: usize,
}

impl<B: Break> CountedBreak<B> {
    /// Wraps `inner`.
    pub const fn new(inner: B) -> Self {
        CountedBreak {
            inner,
            base: 0,
            peak: 0,
        }
    }

    /// The wrapped break.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The most bytes ever between the first byte handed out and the break.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

// SAFETY: every call is forwarded unchanged to `inner`, which upholds the contract; the wrapper
// only reads the result to update two counters.
unsafe impl<B: Break> Break for CountedBreak<B> {
    fn current(&self) -> *mut u8 {
        self.inner.current()
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        let old = self.inner.sbrk(delta)?;
        if delta > 0 {
            if self.base == 0 {
                self.base = old.addr();
            }
            self.peak = self
                .peak
                .max(self.inner.current().addr().saturating_sub(self.base));
        }
        Ok(old)
    }

    fn pages(&self) -> Option<brkalloc::Pages> {
        self.inner.pages()
    }
}

/// brkalloc: a [`Heap`] over a counted [`PagedBreak`], through its unchecked methods (what its
/// `GlobalAlloc` adapter calls, without the lock). The observer is `()`, which costs nothing,
/// except when profiling what the heap does.
pub struct Brkalloc<M: PageMemory, C: Config, O: Observer = (), S: StartMap = ()> {
    heap: Heap<CountedBreak<PagedBreak<M>>, C, O, S>,
}

impl<M: PageMemory, C: Config> Brkalloc<M, C> {
    /// An empty heap configured by `config`, growing `memory`.
    pub const fn new(memory: M, config: C) -> Self {
        Brkalloc {
            heap: Heap::new(CountedBreak::new(PagedBreak::new(memory)), config),
        }
    }
}

impl<M: PageMemory, C: Config, S: StartMap> Brkalloc<M, C, (), S> {
    /// An empty heap that records where its headers start in `map`, which it keeps up to date
    /// on every operation (what that upkeep costs is what a run with a map measures).
    pub fn with_map(memory: M, config: C, map: S) -> Self {
        Brkalloc {
            heap: Heap::with_map(CountedBreak::new(PagedBreak::new(memory)), config, map),
        }
    }
}

impl<M: PageMemory, C: Config, O: Observer> Brkalloc<M, C, O> {
    /// An empty heap that reports what it does to `observer`.
    pub const fn with_observer(memory: M, config: C, observer: O) -> Self {
        Brkalloc {
            heap: Heap::with_observer(CountedBreak::new(PagedBreak::new(memory)), config, observer),
        }
    }
}

impl<M: PageMemory, C: Config, O: Observer, S: StartMap> Brkalloc<M, C, O, S> {
    /// The heap, to check its invariants or read its observer.
    pub fn heap(&self) -> &Heap<CountedBreak<PagedBreak<M>>, C, O, S> {
        &self.heap
    }

    /// The heap, to call its checked methods.
    pub fn heap_mut(&mut self) -> &mut Heap<CountedBreak<PagedBreak<M>>, C, O, S> {
        &mut self.heap
    }
}

impl<M: PageMemory, C: Config, O: Observer, S: StartMap> BenchAlloc for Brkalloc<M, C, O, S> {
    #[inline]
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a power-of-two `align` and a size that fits.
        let layout = unsafe { Layout::from_size_align_unchecked(size, align) };
        self.heap
            .try_alloc_layout(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn free(&mut self, ptr: *mut u8, _size: usize, _align: usize) {
        // SAFETY: the caller guarantees `ptr` is a live block of this heap (so not null).
        unsafe { self.heap.free_unchecked(NonNull::new_unchecked(ptr)) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees `ptr` is a live block allocated with this layout.
        unsafe {
            let layout = Layout::from_size_align_unchecked(size, align);
            self.heap
                .realloc_unchecked(NonNull::new_unchecked(ptr), layout, new_size)
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        }
    }

    fn peak_extent(&mut self) -> Option<usize> {
        Some(self.heap.backend().peak())
    }

    fn footprint(&mut self) -> Option<usize> {
        let pages = self.heap.backend().inner().pages()?;
        Some(pages.grown * pages.page_size)
    }
}

/// dlmalloc's system memory: whole pages grown from a [`PageMemory`], never given back (as
/// dlmalloc's own wasm backend does), and counted.
pub struct DlPages<M: PageMemory> {
    memory: RefCell<M>,
    obtained: Cell<usize>,
}

// SAFETY: `alloc` returns pages freshly grown from the `PageMemory`, which promises they are
// ours alone, readable, writable and never moved, with their true length; nothing is ever
// remapped or freed (every such request is refused), and the pages are zeroed as fresh wasm
// and anonymous `mmap` pages are.
unsafe impl<M: PageMemory + Send> dlmalloc::Allocator for DlPages<M> {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let page = M::PAGE_SIZE;
        let pages = size.div_ceil(page);
        let mut memory = self.memory.borrow_mut();
        match memory.grow(pages) {
            Some(old) => {
                self.obtained.set(self.obtained.get() + pages * page);
                (memory.ptr_at(old * page), pages * page, 0)
            }
            None => (ptr::null_mut(), 0, 0),
        }
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        M::PAGE_SIZE
    }
}

/// dlmalloc (the crate Rust's own wasm32 allocator is), through its public `malloc`, `free` and
/// `realloc`, as `std` calls them.
pub struct Dlmalloc<M: PageMemory> {
    inner: dlmalloc::Dlmalloc<DlPages<M>>,
}

impl<M: PageMemory + Send> Dlmalloc<M> {
    /// An empty dlmalloc growing `memory`.
    pub const fn new(memory: M) -> Self {
        Dlmalloc {
            inner: dlmalloc::Dlmalloc::new_with_allocator(DlPages {
                memory: RefCell::new(memory),
                obtained: Cell::new(0),
            }),
        }
    }
}

impl<M: PageMemory + Send> BenchAlloc for Dlmalloc<M> {
    #[inline]
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: forwarded under the same contract.
        unsafe { self.inner.malloc(size, align) }
    }

    #[inline]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: forwarded under the same contract.
        unsafe { self.inner.free(ptr, size, align) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: forwarded under the same contract.
        unsafe { self.inner.realloc(ptr, size, align, new_size) }
    }

    fn peak_extent(&mut self) -> Option<usize> {
        Some(self.inner.allocator().obtained.get())
    }

    fn footprint(&mut self) -> Option<usize> {
        self.peak_extent()
    }
}

/// talc's memory source: grows just enough pages for the request that ran out, extends the heap
/// when they follow it and claims a new heap otherwise (what talc's own `WasmGrowAndExtend`
/// does), counting every page.
pub struct TalcPages<M: PageMemory> {
    memory: M,
    /// The end of the heap the last growth made, to extend it when the next pages follow.
    end: Option<NonNull<u8>>,
    obtained: usize,
}

impl<M: PageMemory> fmt::Debug for TalcPages<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TalcPages")
            .field("end", &self.end)
            .field("obtained", &self.obtained)
            .finish()
    }
}

// SAFETY: `acquire` only touches the `Talc` it is given (never a cell or lock around it) and
// allocates nothing. It hands talc pages freshly grown from the `PageMemory`, ours alone and
// never moved: `extend` is called only when they start exactly at the end of the heap it
// extends, otherwise they are claimed as a new heap.
unsafe impl<M: PageMemory> Source for TalcPages<M> {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let page = M::PAGE_SIZE;
        // The request, its alignment, a chunk's overhead, and the metadata a first heap needs
        // (asked for every time, so a new heap can always hold the request).
        let want = layout
            .size()
            .checked_add(layout.align() + 64 + talc::min_first_heap_size::<B>())
            .ok_or(())?;
        let pages = want.div_ceil(page);
        let source = &mut talc.source;
        let old = source.memory.grow(pages).ok_or(())?;
        source.obtained += pages * page;
        let base = source.memory.ptr_at(old * page);
        let new_end = source.memory.ptr_at((old + pages) * page);
        let end = match source.end.take() {
            Some(old_end) if old_end.as_ptr() == base => {
                // SAFETY: `old_end` is the end of the heap made by the last growth, and the new
                // pages start right there.
                Some(unsafe { talc.extend(old_end, new_end) })
            }
            // SAFETY: the pages are fresh and ours alone.
            _ => unsafe { talc.claim(base, pages * page) },
        };
        talc.source.end = end;
        end.map(|_| ()).ok_or(())
    }
}

/// talc 5 in its single-threaded cell, through its `GlobalAlloc` implementation (which grows
/// and shrinks in place when it can).
pub struct TalcAlloc<M: PageMemory, B: Binning> {
    cell: TalcCell<TalcPages<M>, B>,
}

impl<M: PageMemory, B: Binning> TalcAlloc<M, B> {
    /// An empty talc growing `memory`.
    pub const fn new(memory: M) -> Self {
        TalcAlloc {
            cell: TalcCell::new(TalcPages {
                memory,
                end: None,
                obtained: 0,
            }),
        }
    }
}

impl<M: PageMemory, B: Binning> BenchAlloc for TalcAlloc<M, B> {
    #[inline]
    unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `BenchAlloc::alloc`'s conditions.
        unsafe { global::alloc(&self.cell, size, align) }
    }

    #[inline]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: the caller guarantees `BenchAlloc::free`'s conditions.
        unsafe { global::free(&self.cell, ptr, size, align) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees `BenchAlloc::realloc`'s conditions.
        unsafe { global::realloc(&self.cell, ptr, size, align, new_size) }
    }

    fn peak_extent(&mut self) -> Option<usize> {
        // `obtained` only grows, so it is its own peak.
        Some(self.cell.get_mut().source.obtained)
    }

    fn footprint(&mut self) -> Option<usize> {
        self.peak_extent()
    }
}

#[cfg(target_arch = "wasm32")]
pub use lol::LolAlloc;

#[cfg(target_arch = "wasm32")]
mod lol {
    use super::*;

    /// lol_alloc's `FreeListAllocator`, single-threaded. It grows linear memory itself, so its
    /// footprint is the memory's growth since it was made: measured in a fresh wasm instance,
    /// where nothing else grows the memory.
    pub struct LolAlloc {
        inner: lol_alloc::FreeListAllocator,
        start_pages: usize,
    }

    impl LolAlloc {
        /// An empty free list; the memory's size now is the baseline of its footprint.
        pub fn new() -> Self {
            LolAlloc {
                inner: lol_alloc::FreeListAllocator::new(),
                start_pages: core::arch::wasm32::memory_size::<0>(),
            }
        }
    }

    impl Default for LolAlloc {
        fn default() -> Self {
            Self::new()
        }
    }

    impl BenchAlloc for LolAlloc {
        #[inline]
        unsafe fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
            // SAFETY: the caller guarantees `BenchAlloc::alloc`'s conditions.
            unsafe { global::alloc(&self.inner, size, align) }
        }

        #[inline]
        unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
            // SAFETY: the caller guarantees `BenchAlloc::free`'s conditions.
            unsafe { global::free(&self.inner, ptr, size, align) }
        }

        #[inline]
        unsafe fn realloc(
            &mut self,
            ptr: *mut u8,
            size: usize,
            align: usize,
            new_size: usize,
        ) -> *mut u8 {
            // SAFETY: the caller guarantees `BenchAlloc::realloc`'s conditions.
            unsafe { global::realloc(&self.inner, ptr, size, align, new_size) }
        }

        fn peak_extent(&mut self) -> Option<usize> {
            self.footprint()
        }

        fn footprint(&mut self) -> Option<usize> {
            let pages = core::arch::wasm32::memory_size::<0>() - self.start_pages;
            Some(pages * 65536)
        }
    }
}
