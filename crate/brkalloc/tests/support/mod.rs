//! Shared test helpers: an aligned arena to put a heap in, state comparisons, and the model
//! that random operation sequences (proptest, a seeded generator, the fuzzer and the native
//! `sbrk` binary) are checked against.
//!
//! The model is a list of the live blocks the caller holds, each with its requested size,
//! alignment and fill byte. After every operation it checks that the heap's invariant checker
//! passes, that the heap's used blocks are exactly the live ones, that no two blocks overlap,
//! and that every byte written into a live block is still there. A refused operation must
//! leave `blocks()` and `brk()` as they were.
//!
//! The proptest strategies are left out of the fuzz target, which includes this file by path
//! and has no proptest, and out of wasm32 builds, where proptest is not a dependency.
#![allow(dead_code)]

pub mod corrupt;

use std::alloc::{alloc, dealloc, Layout};
use std::fmt::{self, Debug, Display};
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use brkalloc::heap::StartMap;
use brkalloc::{
    AllocError, BlockInfo, Break, Config, FreeError, Heap, Observer, Options, Policy, ReallocError,
    ALIGN, HEADER_SIZE, MIN_DATA,
};

/// Alignment of every [`Arena`]: the largest alignment the tests ask the heap for.
pub const ARENA_ALIGN: usize = 4096;

/// A buffer for an [`ArenaBreak`](brkalloc::ArenaBreak), aligned to [`ARENA_ALIGN`] so that
/// block addresses are predictable, and left uninitialised so that Miri reports any read of a
/// byte the heap never wrote.
pub struct Arena {
    ptr: NonNull<MaybeUninit<u8>>,
    len: usize,
}

impl Arena {
    /// An uninitialised arena of `len` bytes (`len > 0`).
    pub fn new(len: usize) -> Arena {
        assert!(len > 0, "an arena needs at least one byte");
        let layout = Layout::from_size_align(len, ARENA_ALIGN).expect("arena layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc(layout) }.cast::<MaybeUninit<u8>>();
        let ptr = NonNull::new(ptr).expect("the test arena could not be allocated");
        Arena { ptr, len }
    }

    /// The whole buffer, to hand to `ArenaBreak::new`.
    pub fn buffer(&mut self) -> &mut [MaybeUninit<u8>] {
        // SAFETY: `ptr` points to `len` bytes allocated by `new` and owned by `self`; the
        // returned slice borrows `self` mutably, so it is the only access while it lives, and
        // `MaybeUninit<u8>` may hold any (or no) value.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// The address of the first byte.
    pub fn base(&self) -> usize {
        self.ptr.as_ptr() as usize
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let layout = Layout::from_size_align(self.len, ARENA_ALIGN).expect("arena layout");
        // SAFETY: `ptr` came from `alloc` with this very layout and is freed only here.
        unsafe { dealloc(self.ptr.as_ptr().cast(), layout) }
    }
}

/// The smallest block data size that holds `n` bytes: `n` rounded up to [`ALIGN`], at least
/// [`MIN_DATA`].
pub fn block_size(n: usize) -> usize {
    n.div_ceil(ALIGN).max(1).saturating_mul(ALIGN).max(MIN_DATA)
}

/// Everything a refused operation must leave as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The chain, in order.
    pub blocks: Vec<BlockInfo>,
    /// The heap's break.
    pub brk: usize,
    /// The heap's start.
    pub heap_start: usize,
}

/// The heap's chain, break and start, for before/after comparisons.
pub fn state<B: Break, C: Config, O: Observer, M: StartMap>(heap: &Heap<B, C, O, M>) -> State {
    State {
        blocks: heap.blocks().collect(),
        brk: heap.brk(),
        heap_start: heap.heap_start(),
    }
}

/// Asserts that the invariant checker passes and that `blocks()` describes one well-formed
/// chain: each `next` names the following block, the last is null, blocks rise in address and
/// never overlap, and the heap's break is the end of the last block.
#[track_caller]
pub fn assert_sound<B: Break, C: Config, O: Observer, M: StartMap>(heap: &Heap<B, C, O, M>) {
    if let Err(e) = heap.check() {
        panic!(
            "check() failed: {e}\nblocks: {:#x?}",
            heap.blocks().collect::<Vec<_>>()
        );
    }
    let blocks: Vec<BlockInfo> = heap.blocks().collect();
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(
            b.data,
            b.header + HEADER_SIZE,
            "block {i}: data is not right after its header"
        );
        assert_eq!(
            b.data % ALIGN,
            0,
            "block {i}: data 0x{:x} is not {ALIGN}-aligned",
            b.data
        );
        assert_eq!(
            b.size % ALIGN,
            0,
            "block {i}: size {} is not a multiple of {ALIGN}",
            b.size
        );
        assert!(
            b.size >= MIN_DATA,
            "block {i}: size {} is below MIN_DATA",
            b.size
        );
        match blocks.get(i + 1) {
            Some(n) => {
                assert_eq!(
                    b.next, n.header,
                    "block {i}: next does not name the following block"
                );
                assert!(
                    b.data + b.size <= n.header,
                    "block {i} overlaps block {}",
                    i + 1
                );
            }
            None => {
                assert_eq!(b.next, 0, "the last block's next is not null");
                assert_eq!(
                    heap.brk(),
                    b.data + b.size,
                    "brk() is not the end of the last block"
                );
            }
        }
        // `block_at` walks the chain: asking it for every block would make this quadratic.
        if i == 0 || i == blocks.len() / 2 || i + 1 == blocks.len() {
            assert_eq!(
                heap.block_at(b.data),
                Some(*b),
                "block_at disagrees with blocks()"
            );
        }
    }
    match blocks.first() {
        Some(b) => assert_eq!(
            heap.heap_start(),
            b.header,
            "heap_start() is not the first header"
        ),
        None => assert_eq!(
            heap.heap_start(),
            heap.brk(),
            "an empty heap starts at its break"
        ),
    }
}

/// Fills `len` bytes at `ptr` with `byte`.
pub fn fill(ptr: NonNull<u8>, len: usize, byte: u8) {
    // SAFETY: every caller passes a live block of at least `len` data bytes, which the caller
    // owns until it frees the block.
    unsafe { ptr.as_ptr().write_bytes(byte, len) }
}

/// The `len` bytes at `ptr`, copied out.
pub fn read(ptr: NonNull<u8>, len: usize) -> Vec<u8> {
    // SAFETY: every caller passes a live block of at least `len` data bytes whose bytes it
    // wrote (or the heap zeroed, for calloc), so they are initialised.
    unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len) }.to_vec()
}

/// Asserts that the `len` bytes at `ptr` all equal `byte`, naming the first that does not.
#[track_caller]
pub fn assert_filled(ptr: NonNull<u8>, len: usize, byte: u8, what: impl Display) {
    // SAFETY: as for `read`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len) };
    // Compared a chunk at a time with slice equality (a `memcmp`), which stays fast in debug
    // builds, where the model spends most of its time here.
    let pattern = [byte; 4096];
    for (k, chunk) in bytes.chunks(pattern.len()).enumerate() {
        if chunk != &pattern[..chunk.len()] {
            let i = chunk.iter().position(|&b| b != byte).unwrap_or(0);
            panic!(
                "{what}: byte {} of {len} at {:p} is 0x{:02x}, expected 0x{byte:02x}",
                k * pattern.len() + i,
                ptr,
                chunk[i]
            );
        }
    }
}

/// Every option set the model runs each policy with.
pub fn option_sets(policy: Policy) -> [(&'static str, Options); 6] {
    let all_on = Options::with_policy(policy);
    [
        (
            "seed-like",
            Options {
                policy,
                split: false,
                coalesce: false,
                trim: false,
                derive: false,
            },
        ),
        ("default", all_on),
        (
            "no-split",
            Options {
                split: false,
                ..all_on
            },
        ),
        (
            "no-coalesce",
            Options {
                coalesce: false,
                ..all_on
            },
        ),
        (
            "no-trim",
            Options {
                trim: false,
                ..all_on
            },
        ),
        (
            "boundary-tags",
            Options {
                derive: true,
                ..all_on
            },
        ),
    ]
}

/// One step of a random run.
///
/// `pick` fields choose a live (or freed) block by index, modulo how many there are; an
/// operation that needs a block when there is none does nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `alloc(size)`, or `alloc_layout(size, align)` when `layout` is set or `align > ALIGN`.
    Alloc {
        /// Bytes asked for.
        size: usize,
        /// A power of two.
        align: usize,
        /// Use `alloc_layout` even for a small alignment.
        layout: bool,
    },
    /// `calloc(count, size)`; the product may overflow, which must be refused.
    Calloc {
        /// Number of elements.
        count: usize,
        /// Bytes per element.
        size: usize,
    },
    /// Frees a live block.
    Free {
        /// Which live block.
        pick: usize,
        /// Through `free_unchecked` instead of `free`.
        unchecked: bool,
    },
    /// Resizes a live block.
    Realloc {
        /// Which live block.
        pick: usize,
        /// The new size.
        size: usize,
        /// Through `realloc_unchecked` (with the block's layout) instead of `realloc`.
        unchecked: bool,
    },
    /// `free` (or `realloc`) of an address that is not a live block: must be refused.
    BadFree {
        /// Which address.
        target: BadTarget,
        /// Through `realloc` instead of `free`.
        via_realloc: bool,
    },
}

/// Where a bad free points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadTarget {
    /// The null pointer.
    Null,
    /// Any address at all.
    Wild(usize),
    /// An address in or around the heap: `fraction / 65536` of the way from 64 bytes below the
    /// heap start to 64 bytes above the break.
    Near(u16),
    /// `offset` bytes into a live block's data (at least 1, less than its size).
    Interior {
        /// Which live block.
        pick: usize,
        /// How far in, modulo the block's size.
        offset: usize,
    },
    /// A live block's header address.
    Header {
        /// Which live block.
        pick: usize,
    },
    /// A block this run freed before (double free, unless it was reused since: then skipped).
    Freed {
        /// Which freed address.
        pick: usize,
    },
}

/// What the model checks beyond the heap itself.
#[derive(Clone, Copy, Debug)]
pub struct Checks {
    /// The backend's break belongs to this heap alone, so `brk()` must equal
    /// `backend().current()` (false for the real process break, which `malloc` moves too).
    pub exclusive: bool,
    /// After the run frees every live block, a heap with `trim` on must be empty and its break
    /// back where it started (false when the backend may refuse to give memory back).
    pub release_all: bool,
    /// Someone else may grow the memory, so that the break hands out a new region: a refused
    /// allocation may then leave that region's bytes with the heap, as free blocks of a new
    /// segment at the end (the break cannot go back below the region's start).
    pub new_regions: bool,
}

impl Checks {
    /// For an [`ArenaBreak`](brkalloc::ArenaBreak) over an [`Arena`].
    pub const ARENA: Checks = Checks {
        exclusive: true,
        release_all: true,
        new_regions: false,
    };
    /// For a shared break (sbrk), which may refuse to shrink.
    pub const SHARED: Checks = Checks {
        exclusive: false,
        release_all: false,
        new_regions: true,
    };
}

/// A block the model's caller holds.
#[derive(Clone, Copy, Debug)]
struct Live {
    ptr: NonNull<u8>,
    size: usize,
    align: usize,
    fill: u8,
}

impl Live {
    fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }
}

/// The outcome a `free` of `addr` must have, worked out from the chain alone: `None` means it
/// is a used block's data address (a valid free); otherwise every acceptable error.
pub fn expected_free_errors(blocks: &[BlockInfo], addr: usize) -> Option<Vec<FreeError>> {
    if addr == 0 {
        return Some(vec![FreeError::Null]);
    }
    for b in blocks {
        if addr == b.data {
            return if b.free {
                Some(vec![FreeError::DoubleFree { addr }])
            } else {
                None
            };
        }
        if addr == b.header {
            return Some(vec![FreeError::Header { addr, data: b.data }]);
        }
        if addr > b.header && addr < b.data {
            // Inside the header words but not at its start: either answer reads well.
            return Some(vec![
                FreeError::Header { addr, data: b.data },
                FreeError::NotInHeap { addr },
            ]);
        }
        if addr > b.data && addr < b.data + b.size {
            return Some(vec![FreeError::InsideBlock {
                addr,
                data: b.data,
                offset: addr - b.data,
            }]);
        }
    }
    Some(vec![FreeError::NotInHeap { addr }])
}

/// Runs `ops` on `heap`, checking it against the model after every step, then frees what is
/// left. Panics, naming the step, at the first disagreement.
pub fn run_model<B: Break, C: Config + Debug + Clone, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    ops: &[Op],
    checks: Checks,
) {
    run_model_with(heap, ops, checks, &mut |_| {})
}

/// [`run_model`], calling `between` before each step: a test uses it to act on the backend
/// behind the heap's back (another allocator growing the memory).
pub fn run_model_with<B: Break, C: Config + Debug + Clone, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    ops: &[Op],
    checks: Checks,
    between: &mut impl FnMut(&Heap<B, C, O, M>),
) {
    let mut model = Model {
        live: Vec::new(),
        freed: Vec::new(),
        fills: 0,
        checks,
    };
    let config = heap.config().clone();
    let start = heap.brk();
    model.verify(heap, &"the fresh heap", true);
    for (step, op) in ops.iter().enumerate() {
        between(heap);
        let ctx = Step {
            step,
            op,
            config: &config,
        };
        model.apply(heap, op, &ctx);
        // Under Miri, a thousand times slower, the byte-by-byte checks run every eighth step
        // and after the last; check() and the block bookkeeping run after every step.
        let thorough = !cfg!(miri) || step % 8 == 7 || step + 1 == ops.len();
        model.verify(heap, &ctx, thorough);
    }
    // Give everything back, newest first, checking as we go. The last of these frees is a
    // checked one, which gives the whole end of the heap back; when there is none, the last
    // free may have been unchecked, which keeps a small emptied heap as one free block.
    let freed_at_end = !model.live.is_empty();
    while let Some(live) = model.live.pop() {
        let ctx = FinalFree {
            ptr: live.ptr,
            config: &config,
        };
        if let Err(e) = heap.free(live.ptr.as_ptr()) {
            panic!("{ctx}: free of a live block failed: {e}");
        }
        model.verify(heap, &ctx, !cfg!(miri) || model.live.is_empty());
    }
    let left: Vec<BlockInfo> = heap.blocks().collect();
    assert!(
        left.iter().all(|b| b.free),
        "after freeing everything, used blocks remain: {left:#x?}"
    );
    if heap.config().coalesce() && !heap.config().give_back() {
        // The break never moves down: what is left is one free block per segment.
        for pair in left.windows(2) {
            assert_ne!(
                pair[0].data + pair[0].size,
                pair[1].header,
                "after freeing everything, two adjacent free blocks remain: {left:#x?}"
            );
        }
    }
    if checks.release_all && heap.config().trim() && heap.config().give_back() && !freed_at_end {
        assert!(
            left.len() <= 1,
            "after an unchecked free emptied the heap, more than its kept block remains: \
             {left:#x?}"
        );
    }
    if checks.release_all && heap.config().trim() && heap.config().give_back() && freed_at_end {
        assert!(
            left.is_empty(),
            "with trim on, freeing every block must give all of them back; left: {left:#x?}"
        );
        // A backend that obtains its memory lazily has no break before its first growth.
        if start != 0 {
            assert_eq!(
                heap.brk(),
                start,
                "the break did not come back to where it started"
            );
        }
    }
}

/// Names a step in failure messages. Formatted only when a check fails: under Miri, formatting
/// a message for every step would cost more than the step.
struct Step<'a, C> {
    step: usize,
    op: &'a Op,
    config: &'a C,
}

impl<C: Debug> Display for Step<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({:?}) with {:?}",
            self.step, self.op, self.config
        )
    }
}

/// Names one of the frees at the end of a run in failure messages.
struct FinalFree<'a, C> {
    ptr: NonNull<u8>,
    config: &'a C,
}

impl<C: Debug> Display for FinalFree<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "final free of {:p} with {:?}", self.ptr, self.config)
    }
}

/// Runs `ops` on a fresh heap for every policy and option set.
pub fn run_model_all<B: Break>(make: &mut dyn FnMut() -> B, ops: &[Op], checks: Checks) {
    for policy in Policy::ALL {
        for (name, options) in option_sets(policy) {
            let mut heap = Heap::new(make(), options);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_model(&mut heap, ops, checks)
            }));
            if let Err(panic) = result {
                eprintln!("model run failed for policy {policy}, options {name} ({options:?})");
                std::panic::resume_unwind(panic);
            }
        }
    }
}

struct Model {
    live: Vec<Live>,
    /// Data addresses this run freed, for double frees.
    freed: Vec<usize>,
    fills: u32,
    checks: Checks,
}

impl Model {
    fn next_fill(&mut self) -> u8 {
        self.fills = self.fills.wrapping_add(1);
        // Never 0, so zeroed memory cannot pass for a filled block.
        (self.fills % 255) as u8 + 1
    }

    fn add(
        &mut self,
        ptr: NonNull<u8>,
        size: usize,
        align: usize,
        zeroed: bool,
        ctx: &dyn Display,
    ) {
        assert_eq!(
            ptr.as_ptr() as usize % align.max(ALIGN),
            0,
            "{ctx}: {ptr:p} is not aligned to {}",
            align.max(ALIGN)
        );
        if zeroed {
            assert_filled(ptr, size, 0, format_args!("{ctx}: calloc memory"));
        }
        let fill_byte = self.next_fill();
        fill(ptr, size, fill_byte);
        self.freed.retain(|&a| a != ptr.as_ptr() as usize);
        self.live.push(Live {
            ptr,
            size,
            align,
            fill: fill_byte,
        });
    }

    fn apply<B: Break, C: Config, O: Observer, M: StartMap>(
        &mut self,
        heap: &mut Heap<B, C, O, M>,
        op: &Op,
        ctx: &dyn Display,
    ) {
        let before = state(heap);
        match *op {
            Op::Alloc {
                size,
                align,
                layout,
            } => {
                let result = if layout || align > ALIGN {
                    let l = Layout::from_size_align(size, align).expect("a valid layout");
                    heap.alloc_layout(l)
                } else {
                    heap.alloc(size)
                };
                match result {
                    Ok(p) => {
                        self.expect_new_block(heap, p, size, ctx);
                        self.add(p, size, align, false, ctx);
                    }
                    Err(e) => self.expect_out_of_memory(heap, e, size, &before, ctx),
                }
            }
            Op::Calloc { count, size } => match count.checked_mul(size) {
                None => {
                    let e = heap
                        .calloc(count, size)
                        .expect_err("calloc overflow must fail");
                    assert_eq!(e, AllocError::CountOverflow { count, size }, "{ctx}");
                    assert_eq!(
                        state(heap),
                        before,
                        "{ctx}: a refused calloc changed the heap"
                    );
                }
                Some(total) => match heap.calloc(count, size) {
                    Ok(p) => {
                        self.expect_new_block(heap, p, total, ctx);
                        self.add(p, total, 1, true, ctx);
                    }
                    Err(e) => self.expect_out_of_memory(heap, e, total, &before, ctx),
                },
            },
            Op::Free { pick, unchecked } => {
                if self.live.is_empty() {
                    return;
                }
                let live = self.live.swap_remove(pick % self.live.len());
                if unchecked {
                    // SAFETY: `live.ptr` was returned by this heap and not freed since.
                    unsafe { heap.free_unchecked(live.ptr) };
                } else if let Err(e) = heap.free(live.ptr.as_ptr()) {
                    panic!("{ctx}: free of the live block {:p} failed: {e}", live.ptr);
                }
                self.freed.push(live.addr());
                assert!(
                    !matches!(heap.block_at(live.addr()), Some(b) if !b.free),
                    "{ctx}: the freed block is still used"
                );
            }
            Op::Realloc {
                pick,
                size,
                unchecked,
            } => {
                if self.live.is_empty() {
                    return;
                }
                let i = pick % self.live.len();
                let live = self.live[i];
                let result = if unchecked {
                    let layout = Layout::from_size_align(live.size, live.align).expect("layout");
                    // `realloc_unchecked` follows `GlobalAlloc::realloc`: a non-zero new size.
                    let size = size.max(1);
                    // SAFETY: `live.ptr` is a live block of this heap, allocated with `layout`
                    // (its size and alignment are what the model asked for), and `size > 0`.
                    let r = unsafe { heap.realloc_unchecked(live.ptr, layout, size) };
                    r.map(|p| (p, size)).ok_or(None)
                } else {
                    heap.realloc(live.ptr.as_ptr(), size)
                        .map(|p| (p, size))
                        .map_err(Some)
                };
                // `realloc_unchecked` keeps the layout's alignment; the checked `realloc`, like
                // C's, guarantees ALIGN only (it has no layout to know better).
                let align = if unchecked {
                    live.align
                } else {
                    live.align.min(ALIGN)
                };
                match result {
                    Ok((p, size)) => {
                        let kept = live.size.min(size);
                        assert_filled(
                            p,
                            kept,
                            live.fill,
                            format_args!("{ctx}: realloc'd contents"),
                        );
                        assert_eq!(
                            p.as_ptr() as usize % align,
                            0,
                            "{ctx}: realloc lost the alignment of {align}"
                        );
                        if p != live.ptr {
                            self.freed.push(live.addr());
                        }
                        self.live.swap_remove(i);
                        self.expect_new_block(heap, p, size, ctx);
                        self.add(p, size, align, false, ctx);
                    }
                    Err(None) => {
                        assert_eq!(
                            state(heap),
                            before,
                            "{ctx}: a failed realloc changed the heap"
                        );
                    }
                    Err(Some(ReallocError::Alloc(e))) => {
                        self.expect_out_of_memory(heap, e, size, &before, ctx)
                    }
                    Err(Some(ReallocError::Free(e))) => {
                        panic!(
                            "{ctx}: realloc of the live block {:p} was refused: {e}",
                            live.ptr
                        )
                    }
                }
            }
            Op::BadFree {
                ref target,
                via_realloc,
            } => {
                let Some(ptr) = self.bad_pointer(heap, target, &before.blocks) else {
                    return;
                };
                let addr = ptr as usize;
                let Some(expected) = expected_free_errors(&before.blocks, addr) else {
                    // A used block's data: not a bad free after all.
                    return;
                };
                let got = if via_realloc {
                    match heap.realloc(ptr, 16) {
                        Ok(p) => panic!("{ctx}: realloc of bad pointer 0x{addr:x} returned {p:p}"),
                        Err(ReallocError::Free(e)) => e,
                        Err(ReallocError::Alloc(e)) => {
                            panic!("{ctx}: realloc of bad pointer 0x{addr:x} gave {e:?}")
                        }
                    }
                } else {
                    match heap.free(ptr) {
                        Ok(()) => panic!("{ctx}: free of bad pointer 0x{addr:x} succeeded"),
                        Err(e) => e,
                    }
                };
                assert!(
                    expected.contains(&got),
                    "{ctx}: free(0x{addr:x}) gave {got:?}, expected one of {expected:?}"
                );
                assert!(!got.to_string().is_empty(), "{ctx}: an empty error message");
                assert_eq!(
                    state(heap),
                    before,
                    "{ctx}: a refused free changed the heap"
                );
            }
        }
    }

    /// A pointer for a bad free, or `None` when the target does not exist right now.
    fn bad_pointer<B: Break, C: Config, O: Observer, M: StartMap>(
        &self,
        heap: &Heap<B, C, O, M>,
        target: &BadTarget,
        blocks: &[BlockInfo],
    ) -> Option<*mut u8> {
        let pick_live =
            |pick: usize| (!self.live.is_empty()).then(|| self.live[pick % self.live.len()]);
        Some(match *target {
            BadTarget::Null => std::ptr::null_mut(),
            BadTarget::Wild(addr) => std::ptr::without_provenance_mut(addr),
            BadTarget::Near(fraction) => {
                let low = heap.heap_start().saturating_sub(64);
                let span = heap.brk().saturating_add(64) - low;
                let addr = low + (span as u128 * fraction as u128 / 65536) as usize;
                std::ptr::without_provenance_mut(addr)
            }
            BadTarget::Interior { pick, offset } => {
                let live = pick_live(pick)?;
                let size = blocks
                    .iter()
                    .find(|b| b.data == live.addr())
                    .map(|b| b.size)
                    .expect("a live block is in the chain");
                live.ptr.as_ptr().wrapping_add(1 + offset % (size - 1))
            }
            BadTarget::Header { pick } => pick_live(pick)?.ptr.as_ptr().wrapping_sub(HEADER_SIZE),
            BadTarget::Freed { pick } => {
                if self.freed.is_empty() {
                    return None;
                }
                let addr = self.freed[pick % self.freed.len()];
                std::ptr::without_provenance_mut(addr)
            }
        })
    }

    /// Checks a block the heap just handed out: a used block of the chain, big enough.
    fn expect_new_block<B: Break, C: Config, O: Observer, M: StartMap>(
        &self,
        heap: &Heap<B, C, O, M>,
        p: NonNull<u8>,
        size: usize,
        ctx: &dyn Display,
    ) {
        let addr = p.as_ptr() as usize;
        let Some(b) = heap.block_at(addr) else {
            panic!("{ctx}: the pointer 0x{addr:x} it returned is not a block of the heap");
        };
        assert!(!b.free, "{ctx}: the block it returned is marked free");
        assert!(
            b.size >= size,
            "{ctx}: asked for {size} bytes, the block has {}",
            b.size
        );
    }

    /// Checks a refused allocation: out of memory, or too large for a size no break can move by
    /// (beyond `isize::MAX`, as `calloc(usize::MAX / 2 + 1, 1)` asks); heap unchanged.
    fn expect_out_of_memory<B: Break, C: Config, O: Observer, M: StartMap>(
        &self,
        heap: &Heap<B, C, O, M>,
        e: AllocError,
        size: usize,
        before: &State,
        ctx: &dyn Display,
    ) {
        let acceptable = match e {
            AllocError::OutOfMemory { size: s, .. } => s == size,
            AllocError::TooLarge { size: s } => s == size && size > brkalloc::MAX_SIZE,
            _ => false,
        };
        assert!(
            acceptable,
            "{ctx}: allocating {size} bytes gave {e:?}; only OutOfMemory {{ size: {size} }} is acceptable"
        );
        let after = state(heap);
        if self.checks.new_regions && after != *before {
            // The old blocks are as they were (the last one may now link to the new segment);
            // what follows them is free and starts a new segment.
            let n = before.blocks.len();
            assert!(
                after.blocks.len() > n,
                "{ctx}: a refused allocation changed the heap: {before:#x?} -> {after:#x?}"
            );
            for (i, (a, b)) in after.blocks.iter().zip(&before.blocks).enumerate() {
                let expected = if i + 1 == n {
                    BlockInfo { next: a.next, ..*b }
                } else {
                    *b
                };
                assert_eq!(
                    *a, expected,
                    "{ctx}: a refused allocation changed block {i}"
                );
            }
            let old_end = before.blocks.last().map(|b| b.data + b.size);
            assert_ne!(
                Some(after.blocks[n].header),
                old_end,
                "{ctx}: a refused allocation added a block that is not a new segment"
            );
            assert!(
                after.blocks[n..].iter().all(|b| b.free),
                "{ctx}: a refused allocation added a used block: {after:#x?}"
            );
            return;
        }
        assert_eq!(
            &after, before,
            "{ctx}: a refused allocation changed the heap"
        );
    }

    /// The checks after every step; `thorough` adds the heap's views and every live byte.
    fn verify<B: Break, C: Config, O: Observer, M: StartMap>(
        &self,
        heap: &Heap<B, C, O, M>,
        ctx: &dyn Display,
        thorough: bool,
    ) {
        if let Err(e) = heap.check() {
            panic!(
                "{ctx}: check() failed: {e}\nblocks: {:#x?}",
                heap.blocks().collect::<Vec<_>>()
            );
        }
        let blocks: Vec<BlockInfo> = heap.blocks().collect();
        if thorough {
            verify_views(heap, &blocks, ctx);
        }
        for w in blocks.windows(2) {
            assert_eq!(
                w[0].next, w[1].header,
                "{ctx}: next does not name the following block"
            );
            assert!(
                w[0].data + w[0].size <= w[1].header,
                "{ctx}: blocks overlap: {:#x?} and {:#x?}",
                w[0],
                w[1]
            );
        }
        if let Some(last) = blocks.last() {
            assert_eq!(last.next, 0, "{ctx}: the last block's next is not null");
            assert_eq!(
                heap.brk(),
                last.data + last.size,
                "{ctx}: brk() is not the end of the last block"
            );
        }
        // A stranded heap (one segment too many) handed its last region back: the backend's
        // break has moved on without it.
        if self.checks.exclusive && !heap.stats().stranded {
            assert_eq!(
                heap.brk(),
                heap.backend().current() as usize,
                "{ctx}: brk() disagrees with the backend's break"
            );
        }
        // The used blocks are exactly the live ones.
        let mut used: Vec<usize> = blocks.iter().filter(|b| !b.free).map(|b| b.data).collect();
        let mut live: Vec<usize> = self.live.iter().map(Live::addr).collect();
        used.sort_unstable();
        live.sort_unstable();
        assert_eq!(
            used, live,
            "{ctx}: the heap's used blocks are not the live blocks"
        );
        for l in &self.live {
            // The chain rises in address (checked above), so a binary search finds the block.
            let b = blocks
                .binary_search_by_key(&l.addr(), |b| b.data)
                .map(|i| blocks[i])
                .expect("a live block is in the chain");
            assert!(
                b.size >= l.size,
                "{ctx}: live block {:p} shrank to {}",
                l.ptr,
                b.size
            );
            if thorough {
                assert_filled(
                    l.ptr,
                    l.size,
                    l.fill,
                    format_args!("{ctx}: live block {:p}", l.ptr),
                );
            }
        }
    }
}

/// The heap's views agree with the chain: `stats()` adds up what `blocks()` shows, and, for the
/// segregated policy, `listed()` holds exactly the free blocks but the last, each in a class
/// whose smallest size it reaches.
fn verify_views<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &Heap<B, C, O, M>,
    blocks: &[BlockInfo],
    ctx: &dyn Display,
) {
    let stats = heap.stats();
    let free: Vec<&BlockInfo> = blocks.iter().filter(|b| b.free).collect();
    assert_eq!(stats.blocks, blocks.len(), "{ctx}: stats block count");
    assert_eq!(
        stats.free_blocks,
        free.len(),
        "{ctx}: stats free block count"
    );
    assert_eq!(
        stats.free_bytes,
        free.iter().map(|b| b.size).sum::<usize>(),
        "{ctx}: stats free bytes"
    );
    assert_eq!(
        stats.used_bytes + stats.free_bytes + stats.blocks * HEADER_SIZE,
        stats.heap_bytes,
        "{ctx}: used + free + headers is not the bytes of all blocks"
    );
    assert_eq!(
        stats.heap_bytes,
        blocks.iter().map(|b| HEADER_SIZE + b.size).sum::<usize>(),
        "{ctx}: stats heap bytes"
    );
    assert_eq!(stats.brk, heap.brk(), "{ctx}: stats break");
    let listed: Vec<(usize, usize, usize)> = heap.listed().collect();
    if heap.config().policy() == Policy::Segregated {
        let mut headers: Vec<usize> = Vec::new();
        for &(class, min_size, h) in &listed {
            let b = blocks
                .iter()
                .find(|b| b.header == h)
                .unwrap_or_else(|| panic!("{ctx}: free list {class} holds 0x{h:x}, not a block"));
            assert!(
                b.free,
                "{ctx}: free list {class} holds the used block 0x{h:x}"
            );
            assert!(
                b.size >= min_size,
                "{ctx}: block 0x{h:x} of {} bytes is in class {class} (from {min_size} bytes)",
                b.size
            );
            headers.push(h);
        }
        headers.sort_unstable();
        // Every free block is listed but the last block of the heap, the top (invariant 6).
        let top = blocks.last().map(|b| b.header);
        let mut want: Vec<usize> = free
            .iter()
            .map(|b| b.header)
            .filter(|&h| Some(h) != top)
            .collect();
        want.sort_unstable();
        assert_eq!(
            headers, want,
            "{ctx}: the free lists are not the free blocks but the top"
        );
    } else {
        assert!(
            listed.is_empty(),
            "{ctx}: free lists without the segregated policy"
        );
    }
}

/// Runs of adjacent blocks, `(start, end)`, in chain order: the heap's segments as its blocks
/// show them.
pub fn segments<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &Heap<B, C, O, M>,
) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for b in heap.blocks() {
        match runs.last_mut() {
            Some(run) if run.1 == b.header => run.1 = b.data + b.size,
            _ => runs.push((b.header, b.data + b.size)),
        }
    }
    runs
}

/// Words enough for a [`StartBits`](brkalloc::heap::StartBits) map over `len` bytes of heap.
pub fn map_words(len: usize) -> Vec<usize> {
    vec![0; len / ALIGN / usize::BITS as usize + 1]
}

/// A start map that forgets every other header it is told of: the heap must give the same
/// results with it as with a map that forgets nothing, or with none.
pub struct Forgetful<M> {
    /// The map the kept headers go to.
    pub map: M,
    told: usize,
}

impl<M> Forgetful<M> {
    /// Forgets every other insert, starting with the first.
    pub fn new(map: M) -> Self {
        Forgetful { map, told: 0 }
    }
}

// SAFETY: every call but every other `insert` goes to `map`, which keeps the contract: an
// address it contains was inserted into it, and so into `self`, and not removed since.
unsafe impl<M: StartMap> StartMap for Forgetful<M> {
    const KEEPS: bool = true;

    fn insert(&mut self, header: usize) {
        self.told += 1;
        if self.told % 2 == 0 {
            self.map.insert(header);
        }
    }

    fn remove(&mut self, header: usize) {
        self.map.remove(header);
    }

    fn clear(&mut self) {
        self.map.clear();
    }

    fn contains(&self, header: usize) -> bool {
        self.map.contains(header)
    }

    fn recorded(&self) -> usize {
        self.map.recorded()
    }

    fn below(&self, header: usize) -> Option<usize> {
        self.map.below(header)
    }
}

/// An observer that keeps every event, for tests.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The events so far, oldest first.
    pub events: Vec<brkalloc::Event>,
}

impl Recorder {
    /// Takes the events recorded so far, leaving none.
    pub fn take(&mut self) -> Vec<brkalloc::Event> {
        std::mem::take(&mut self.events)
    }
}

impl Observer for Recorder {
    fn event(&mut self, event: brkalloc::Event) {
        self.events.push(event);
    }
}

/// The project's one random-number generator (SplitMix64, the `brkalloc-rng` crate), which the
/// lab's trace generator uses too. Seeded runs need no system entropy and run under Miri.
pub use brkalloc_rng::Rng;

/// A size up to `max`, mostly small: most programs allocate small blocks.
pub fn random_size(rng: &mut Rng, max: usize) -> usize {
    match rng.upto(9) {
        0..=5 => rng.upto(max.min(256)),
        6..=8 => rng.upto(max.min(4096)),
        _ => rng.upto(max),
    }
}

/// A power-of-two alignment up to `max_align`, mostly small.
pub fn random_align(rng: &mut Rng, max_align: usize) -> usize {
    let max_shift = max_align.trailing_zeros() as usize;
    if rng.chance(75) {
        1 << rng.upto(max_shift.min(4))
    } else {
        1 << rng.upto(max_shift)
    }
}

/// `n` operations from `seed`, with sizes up to `max_size` and alignments up to `max_align`.
pub fn seeded_ops(seed: u64, n: usize, max_size: usize, max_align: usize) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let pick = rng.next_u64() as usize;
            match rng.upto(99) {
                0..=39 => Op::Alloc {
                    size: random_size(&mut rng, max_size),
                    align: random_align(&mut rng, max_align),
                    layout: rng.chance(30),
                },
                40..=44 => Op::Calloc {
                    count: if rng.chance(10) {
                        usize::MAX / 2 + 1
                    } else {
                        rng.upto(16)
                    },
                    size: rng.upto(max_size.min(256)),
                },
                45..=74 => Op::Free {
                    pick,
                    unchecked: rng.chance(20),
                },
                75..=87 => Op::Realloc {
                    pick,
                    size: random_size(&mut rng, max_size),
                    unchecked: rng.chance(20),
                },
                _ => Op::BadFree {
                    target: match rng.upto(6) {
                        0 => BadTarget::Null,
                        1 => BadTarget::Wild(rng.next_u64() as usize),
                        2 => BadTarget::Near(rng.next_u64() as u16),
                        3 => BadTarget::Interior {
                            pick,
                            offset: rng.next_u64() as usize,
                        },
                        4 => BadTarget::Header { pick },
                        _ => BadTarget::Freed { pick },
                    },
                    via_realloc: rng.chance(25),
                },
            }
        })
        .collect()
}

#[cfg(not(any(fuzzing, target_arch = "wasm32")))]
#[allow(unused_imports)] // each test binary uses a different part
pub use strategies::*;

/// Proptest strategies for [`Op`] sequences, and a runner for binaries without libtest. Not in
/// the fuzz target (no proptest there) nor on wasm32 (proptest is a native-only dev-dependency).
#[cfg(not(any(fuzzing, target_arch = "wasm32")))]
mod strategies {

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config as ProptestConfig, TestRunner};

    /// A size up to `max`, mostly small.
    pub fn size_strategy(max: usize) -> impl Strategy<Value = usize> {
        prop_oneof![
            6 => 0..=max.min(256),
            3 => 0..=max.min(4096),
            1 => 0..=max,
        ]
    }

    /// A power-of-two alignment up to `max_align`, mostly small.
    pub fn align_strategy(max_align: usize) -> impl Strategy<Value = usize> {
        let max_shift = max_align.trailing_zeros();
        prop_oneof![
            3 => (0..=max_shift.min(4)).prop_map(|s| 1usize << s),
            1 => (0..=max_shift).prop_map(|s| 1usize << s),
        ]
    }

    /// One operation, with sizes up to `max_size` and alignments up to `max_align`.
    pub fn op_strategy(max_size: usize, max_align: usize) -> impl Strategy<Value = Op> {
        let target = prop_oneof![
            Just(BadTarget::Null),
            any::<usize>().prop_map(BadTarget::Wild),
            any::<u16>().prop_map(BadTarget::Near),
            (any::<usize>(), any::<usize>())
                .prop_map(|(pick, offset)| BadTarget::Interior { pick, offset }),
            any::<usize>().prop_map(|pick| BadTarget::Header { pick }),
            any::<usize>().prop_map(|pick| BadTarget::Freed { pick }),
        ];
        prop_oneof![
            8 => (size_strategy(max_size), align_strategy(max_align), any::<bool>())
                .prop_map(|(size, align, layout)| Op::Alloc { size, align, layout }),
            1 => (
                prop_oneof![9 => 0..=16usize, 1 => Just(usize::MAX / 2 + 1)],
                0..=max_size.min(256),
            )
                .prop_map(|(count, size)| Op::Calloc { count, size }),
            6 => (any::<usize>(), any::<bool>())
                .prop_map(|(pick, unchecked)| Op::Free { pick, unchecked }),
            3 => (any::<usize>(), size_strategy(max_size), any::<bool>())
                .prop_map(|(pick, size, unchecked)| Op::Realloc { pick, size, unchecked }),
            2 => (target, any::<bool>())
                .prop_map(|(target, via_realloc)| Op::BadFree { target, via_realloc }),
        ]
    }

    /// Up to `max_len` operations.
    pub fn ops_strategy(
        max_size: usize,
        max_align: usize,
        max_len: usize,
    ) -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(op_strategy(max_size, max_align), 1..=max_len)
    }

    /// Proptest settings for model runs: `cases` cases, no failure files (they cannot be
    /// written under Miri's isolation, and the shrunk case is printed anyway).
    pub fn proptest_config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Runs `cases` random sequences (sizes up to 64 KiB, alignments up to 4 KiB, up to 64
    /// operations) on heaps made by `make`, for every policy and option set, with proptest
    /// shrinking any failure; panics with the smallest failing sequence.
    ///
    /// For binaries without libtest (the native `sbrk` test), which must run on one thread:
    /// call it from `main`.
    pub fn proptest_model<B: Break>(make: &mut dyn FnMut() -> B, checks: Checks, cases: u32) {
        let make = std::cell::RefCell::new(make);
        let mut runner = TestRunner::new(proptest_config(cases));
        let result = runner.run(&ops_strategy(64 * 1024, 4096, 64), |ops| {
            run_model_all(&mut *make.borrow_mut(), &ops, checks);
            Ok(())
        });
        if let Err(e) = result {
            panic!("model run failed: {e}");
        }
    }
}
