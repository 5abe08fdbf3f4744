//! The workloads: what the allocators are asked to do, identically for every one of them.
//!
//! - **Random actions** (after talc's benchmark): each action allocates (1 to 10,000 bytes),
//!   frees a random live block or, with realloc on, resizes one (to 1 to 10,000 bytes), with
//!   equal odds; below [`MIN_LIVE`] live blocks it always allocates. Alignments follow talc's
//!   benchmark: 8 three times in four, 16 three times in sixteen, and so on up to 2,048.
//! - **Trace replay**: the operations of a malloc-lab trace, encoded by [`encode`]; every block
//!   is aligned to 8.
//! - **Stack**: allocate [`STACK_DEPTH`] blocks (8 to 128 bytes), then free them in the
//!   reverse order of their allocation, the way a stack unwinds; again and again.
//! - **Scaling**: fill to a number of live blocks (8 to 128 bytes), then free a random one and
//!   allocate a new one in its place, again and again: the steady state of a long-running
//!   program with that many blocks.
//!
//! Every block gets a tag byte at each end when allocated; the tags are checked when it is
//! freed or resized, so an allocator that hands out overlapping blocks or loses data in realloc
//! is caught ([`Tally::corrupted`]) rather than silently measured.

use crate::rng::Rng;
use crate::BenchAlloc;

/// Sizes of random actions: 1 to this many bytes.
pub const RANDOM_MAX_SIZE: usize = 10_000;
/// Random actions always allocate while fewer blocks than this are live.
pub const MIN_LIVE: usize = 50;
/// Sizes of scaling blocks: from this...
pub const SCALING_MIN_SIZE: usize = 8;
/// ...to this many bytes.
pub const SCALING_MAX_SIZE: usize = 128;
/// Blocks allocated, then freed last first, in each round of the stack workload.
pub const STACK_DEPTH: usize = 1000;
/// The alignment of trace and scaling blocks.
pub const TRACE_ALIGN: usize = 8;

/// Trace operation kinds in [`encode`]'s first word.
pub const OP_ALLOC: u32 = 0;
/// See [`OP_ALLOC`].
pub const OP_FREE: u32 = 1;
/// See [`OP_ALLOC`].
pub const OP_REALLOC: u32 = 2;

/// One trace operation as two words: `id << 2 | kind`, then the size (0 for a free). Ids must
/// be below 2^30.
pub const fn encode(kind: u32, id: u32, size: u32) -> [u32; 2] {
    [id << 2 | kind, size]
}

/// A block a workload holds: where, and the size and alignment it was asked for.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    ptr: *mut u8,
    size: usize,
    align: usize,
}

impl Slot {
    /// No block.
    pub const EMPTY: Slot = Slot {
        ptr: core::ptr::null_mut(),
        size: 0,
        align: 0,
    };

    /// Whether the slot holds a block.
    pub fn is_live(&self) -> bool {
        !self.ptr.is_null()
    }

    /// The block's address (null when the slot is empty).
    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// The size the block was asked for.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The alignment the block was asked for.
    pub fn align(&self) -> usize {
        self.align
    }
}

/// What a run did and saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Operations performed (allocations, frees, reallocs; the final release is not counted).
    pub actions: u64,
    /// Bytes live now: the sum of the sizes asked for by the blocks held.
    pub live: usize,
    /// The most bytes live at once.
    pub peak_live: usize,
    /// Requests the allocator refused (it returned null), and trace operations on ids that
    /// were not live because of such a refusal.
    pub failed: u64,
    /// Blocks whose tags were damaged: the allocator gave overlapping memory or lost data.
    pub corrupted: u64,
}

impl Tally {
    fn gained(&mut self, bytes: usize) {
        self.live += bytes;
        self.peak_live = self.peak_live.max(self.live);
    }
}

/// The tag written into the block held in slot `index`.
#[inline]
fn tag(index: usize) -> u8 {
    (index as u8) ^ 0xa5
}

/// Writes the block's tags: `tag` at its first byte, `!tag` at its last.
///
/// # Safety
///
/// `ptr` points to at least `size >= 1` writable bytes.
#[inline]
unsafe fn mark(ptr: *mut u8, size: usize, tag: u8) {
    // SAFETY: both offsets are below `size`.
    unsafe {
        ptr.add(size - 1).write(!tag);
        ptr.write(tag);
    }
}

/// Whether the block's tags are as [`mark`] left them (for one-byte blocks, the first tag).
///
/// # Safety
///
/// As for [`mark`], readable.
#[inline]
unsafe fn intact(ptr: *mut u8, size: usize, tag: u8) -> bool {
    // SAFETY: both offsets are below `size`.
    unsafe { ptr.read() == tag && (size == 1 || ptr.add(size - 1).read() == !tag) }
}

/// Allocates a block for slot `index`, or leaves it empty and counts a failure.
///
/// # Safety
///
/// `slot` is empty; `size > 0`, `align` a power of two up to 4096.
#[inline]
unsafe fn take<A: BenchAlloc>(
    a: &mut A,
    slot: &mut Slot,
    index: usize,
    size: usize,
    align: usize,
    t: &mut Tally,
) {
    // SAFETY: the caller guarantees a valid request.
    let ptr = unsafe { a.alloc(size, align) };
    t.actions += 1;
    if ptr.is_null() {
        t.failed += 1;
        *slot = Slot::EMPTY;
        return;
    }
    // SAFETY: a successful allocation gives `size` writable bytes.
    unsafe { mark(ptr, size, tag(index)) };
    *slot = Slot { ptr, size, align };
    t.gained(size);
}

/// Frees the block in slot `index` (checking its tags) and empties the slot.
///
/// # Safety
///
/// The slot holds a live block of `a`.
#[inline]
unsafe fn give<A: BenchAlloc>(a: &mut A, slot: &mut Slot, index: usize, t: &mut Tally) {
    let s = *slot;
    // SAFETY: the caller guarantees the block is live, so its bytes are readable.
    if !unsafe { intact(s.ptr, s.size, tag(index)) } {
        t.corrupted += 1;
    }
    // SAFETY: as above, with the layout it was allocated with.
    unsafe { a.free(s.ptr, s.size, s.align) };
    t.actions += 1;
    t.live -= s.size;
    *slot = Slot::EMPTY;
}

/// Resizes the block in slot `index` to `new_size`, checking that its first bytes survived.
///
/// # Safety
///
/// The slot holds a live block of `a`; `new_size > 0`.
#[inline]
unsafe fn resize<A: BenchAlloc>(
    a: &mut A,
    slot: &mut Slot,
    index: usize,
    new_size: usize,
    t: &mut Tally,
) {
    let s = *slot;
    let tag = tag(index);
    // SAFETY: the caller guarantees the block is live.
    if !unsafe { intact(s.ptr, s.size, tag) } {
        t.corrupted += 1;
    }
    // SAFETY: as above, with the layout it was allocated with.
    let ptr = unsafe { a.realloc(s.ptr, s.size, s.align, new_size) };
    t.actions += 1;
    if ptr.is_null() {
        // The old block is untouched and still held.
        t.failed += 1;
        return;
    }
    // SAFETY: realloc kept the first byte (both sizes are at least 1) and gave `new_size`
    // writable bytes.
    unsafe {
        if ptr.read() != tag {
            t.corrupted += 1;
        }
        mark(ptr, new_size, tag);
    }
    t.live -= s.size;
    t.gained(new_size);
    *slot = Slot {
        ptr,
        size: new_size,
        align: s.align,
    };
}

/// Random actions: `actions` operations on the live set `slots[..*len]` (see the module docs).
/// Blocks stay live when it returns; [`release_all`] frees them.
///
/// # Safety
///
/// Every slot in `slots[..*len]` holds a live block of `a` (as earlier calls left them), and
/// `*len <= slots.len()`.
pub unsafe fn random_actions<A: BenchAlloc>(
    a: &mut A,
    slots: &mut [Slot],
    len: &mut usize,
    actions: u64,
    realloc: bool,
    rng: &mut Rng,
    t: &mut Tally,
) {
    let choices = if realloc { 3 } else { 2 };
    let end = t.actions + actions;
    while t.actions < end {
        let choice = rng.below(choices);
        let n = *len;
        if (n < MIN_LIVE || choice == 0) && n < slots.len() {
            let size = rng.range(1, RANDOM_MAX_SIZE);
            let align = 8 << ((rng.next_u64() as u16).trailing_zeros() / 2);
            // SAFETY: slot `n` is past the live set, so empty; the request is valid.
            unsafe { take(a, &mut slots[n], n, size, align, t) };
            if slots[n].is_live() {
                *len = n + 1;
            }
        } else if choice == 1 || !realloc {
            let i = rng.below(n);
            // SAFETY: `i < n`, a live slot. The last live block then moves into the hole,
            // with its tag rewritten for its new slot.
            unsafe {
                give(a, &mut slots[i], i, t);
                if i != n - 1 {
                    let last = slots[n - 1];
                    mark(last.ptr, last.size, tag(i));
                    slots[i] = last;
                    slots[n - 1] = Slot::EMPTY;
                }
            }
            *len = n - 1;
        } else {
            let i = rng.below(n);
            let new_size = rng.range(1, RANDOM_MAX_SIZE);
            // SAFETY: `i < n`, a live slot.
            unsafe { resize(a, &mut slots[i], i, new_size, t) };
        }
    }
}

/// The stack workload: `rounds` times, allocates [`STACK_DEPTH`] blocks into
/// `slots[*len..]`, then frees them, the last allocated first. The live set is empty again
/// when it returns (unless an allocation failed).
///
/// # Safety
///
/// As for [`random_actions`].
pub unsafe fn stack<A: BenchAlloc>(
    a: &mut A,
    slots: &mut [Slot],
    len: &mut usize,
    rounds: u32,
    rng: &mut Rng,
    t: &mut Tally,
) {
    let base = *len;
    let top = (base + STACK_DEPTH).min(slots.len());
    for _ in 0..rounds {
        for (i, slot) in slots.iter_mut().enumerate().take(top).skip(base) {
            let size = rng.range(SCALING_MIN_SIZE, SCALING_MAX_SIZE);
            // SAFETY: the slots past the live set are empty.
            unsafe { take(a, slot, i, size, TRACE_ALIGN, t) };
        }
        for i in (base..top).rev() {
            if slots[i].is_live() {
                // SAFETY: a live slot holds a block of `a`.
                unsafe { give(a, &mut slots[i], i, t) };
            }
        }
    }
}

/// Frees every block of `slots[..*len]` (not counted as actions) and empties the set.
///
/// # Safety
///
/// As for [`random_actions`].
pub unsafe fn release_all<A: BenchAlloc>(
    a: &mut A,
    slots: &mut [Slot],
    len: &mut usize,
    t: &mut Tally,
) {
    let actions = t.actions;
    for (i, slot) in slots[..*len].iter_mut().enumerate() {
        // SAFETY: the caller guarantees these are live blocks of `a`.
        unsafe { give(a, slot, i, t) };
    }
    t.actions = actions;
    *len = 0;
}

/// Replays the encoded trace `ops` (pairs of words from [`encode`]); `slots` is indexed by id.
/// Operations on ids out of range, or not live because an allocation failed, count as failed
/// and are skipped. Blocks live at the end stay live; [`release_ids`] frees them.
///
/// # Safety
///
/// Every live slot in `slots` holds a live block of `a`.
pub unsafe fn replay<A: BenchAlloc>(a: &mut A, slots: &mut [Slot], ops: &[u32], t: &mut Tally) {
    for op in ops.chunks_exact(2) {
        let (kind, id, size) = (op[0] & 3, (op[0] >> 2) as usize, (op[1] as usize).max(1));
        let Some(slot) = slots.get_mut(id) else {
            t.failed += 1;
            continue;
        };
        match kind {
            // SAFETY: a block is only taken into an empty slot.
            OP_ALLOC if !slot.is_live() => unsafe { take(a, slot, id, size, TRACE_ALIGN, t) },
            // SAFETY: a live slot holds a block of `a`.
            OP_FREE if slot.is_live() => unsafe { give(a, slot, id, t) },
            // SAFETY: a live slot holds a block of `a`.
            OP_REALLOC if slot.is_live() => unsafe { resize(a, slot, id, size, t) },
            _ => t.failed += 1,
        }
    }
}

/// Frees every live block of `slots` (not counted as actions).
///
/// # Safety
///
/// As for [`replay`].
pub unsafe fn release_ids<A: BenchAlloc>(a: &mut A, slots: &mut [Slot], t: &mut Tally) {
    let actions = t.actions;
    for (id, slot) in slots.iter_mut().enumerate() {
        if slot.is_live() {
            // SAFETY: the caller guarantees live slots hold live blocks of `a`.
            unsafe { give(a, slot, id, t) };
        }
    }
    t.actions = actions;
}

/// Scaling, first part: allocates blocks until `slots[..*len]` holds `target` of them (at most
/// `slots.len()`).
///
/// # Safety
///
/// As for [`random_actions`].
pub unsafe fn fill<A: BenchAlloc>(
    a: &mut A,
    slots: &mut [Slot],
    len: &mut usize,
    target: usize,
    rng: &mut Rng,
    t: &mut Tally,
) {
    let target = target.min(slots.len());
    let mut attempts = 0;
    while *len < target && attempts < 2 * target {
        attempts += 1;
        let n = *len;
        let size = rng.range(SCALING_MIN_SIZE, SCALING_MAX_SIZE);
        // SAFETY: slot `n` is past the live set, so empty.
        unsafe { take(a, &mut slots[n], n, size, TRACE_ALIGN, t) };
        if slots[n].is_live() {
            *len = n + 1;
        }
    }
}

/// Scaling, the measured part: `pairs` times, frees a random live block of `slots[..*len]` and
/// allocates a new one in its slot.
///
/// # Safety
///
/// As for [`random_actions`].
pub unsafe fn churn<A: BenchAlloc>(
    a: &mut A,
    slots: &mut [Slot],
    len: &mut usize,
    pairs: u64,
    rng: &mut Rng,
    t: &mut Tally,
) {
    let n = *len;
    if n == 0 {
        return;
    }
    for _ in 0..pairs {
        let i = rng.below(n);
        let size = rng.range(SCALING_MIN_SIZE, SCALING_MAX_SIZE);
        // SAFETY: `i < n` is a live slot; once freed it is empty and can be refilled.
        unsafe {
            give(a, &mut slots[i], i, t);
            take(a, &mut slots[i], i, size, TRACE_ALIGN, t);
        }
        if !slots[i].is_live() {
            // Keep the live set compact: the last block moves into the hole.
            let last = *len - 1;
            if i != last {
                let moved = slots[last];
                // SAFETY: `moved` is a live block; its tag is rewritten for its new slot.
                unsafe { mark(moved.ptr, moved.size, tag(i)) };
                slots[i] = moved;
                slots[last] = Slot::EMPTY;
            }
            *len = last;
            return;
        }
    }
}
