//! Breaking a heap on purpose, to prove the checker total: whatever bytes the heap's memory
//! holds, `check()` (and `blocks()`, `listed()`, `stats()`, which share its walk) returns,
//! reads nothing outside the memory the break handed out, and names a block of the heap when
//! it finds something wrong.
//!
//! A [`Scene`] is read from plain bytes (a property test's vector, a fuzzer's input or a
//! seeded generator's output): options, then steps that build a heap on fake wasm pages —
//! allocations, frees, and growth by another allocator, which makes the heap's memory
//! several segments with someone else's pages between them — then writes of bytes, words and
//! plausible pointers anywhere in the heap's memory, headers included.
//!
//! Every byte of the fake memory outside the heap's segments is made *uninitialised* before
//! the checker runs (so that Miri reports any read of it) and, in a fuzzing build, poisoned
//! for AddressSanitizer (so that the fuzzer does too).

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use brkalloc::brk::FakePages;
use brkalloc::{Corruption, Heap, Options, PageMemory, PagedBreak, Policy};

use super::Arena;

/// Bytes in a fake page: small, so that a few foreign pages make gaps between segments.
pub const PAGE: usize = 1024;

/// What a heap is built with, and how its memory is then broken.
#[derive(Clone, Debug)]
pub struct Scene {
    /// The heap's options.
    pub options: Options,
    /// How the heap is built.
    pub build: Vec<Build>,
    /// What is then written into its memory.
    pub writes: Vec<Write>,
}

/// One step of building the heap.
#[derive(Clone, Copy, Debug)]
pub enum Build {
    /// `alloc_layout(size, align)`, the data filled with a byte.
    Alloc { size: usize, align: usize },
    /// Frees one of the live blocks.
    Free { pick: usize },
    /// Another allocator grows the memory by some pages.
    Foreign { pages: usize },
}

/// One write into the heap's memory, at a fraction (of 65,536) of its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Write {
    /// Where, as a fraction of the heap's bytes, segments laid end to end.
    pub at: u16,
    /// Whether the word written is moved to the start of the header that holds `at`, or the
    /// word after it (the header's `next`), instead of `at` itself.
    pub snap: Snap,
    /// What is written.
    pub what: What,
}

/// Where a write lands, relative to the fraction it was given.
#[derive(Clone, Copy, Debug)]
pub enum Snap {
    /// Exactly there, unaligned if it happens to be.
    Exact,
    /// On the header word (size and flags) of the block that holds the spot.
    Tag,
    /// On the `next` word of that block.
    Next,
    /// On the first data word of that block (a free block's list link).
    Link,
}

/// A value to write.
#[derive(Clone, Copy, Debug)]
pub enum What {
    /// One byte.
    Byte(u8),
    /// A whole word of arbitrary bits.
    Word(u64),
    /// A word pointing somewhere interesting, plus a small offset.
    Pointer { to: Target, delta: i16 },
}

/// Where a written pointer points.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// The header of one of the heap's blocks.
    Block(u16),
    /// The heap's start.
    Start,
    /// The heap's break.
    End,
    /// Into the gap before a segment (someone else's pages).
    Gap(u16),
    /// Null.
    Null,
}

/// Reads bytes in order, and zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Scene {
    /// Reads a scene from bytes: a byte of options, a byte for how many steps (up to
    /// `max_steps`) and one for how many writes (1 to `max_writes`), then the steps, then the
    /// writes.
    pub fn from_bytes(data: &[u8], max_steps: usize, max_writes: usize) -> Scene {
        let mut b = Bytes(data);
        let o = b.u8();
        let options = Options {
            policy: Policy::ALL[usize::from(o >> 3) % Policy::ALL.len()],
            split: o & 1 != 0,
            coalesce: o & 2 != 0,
            trim: o & 4 != 0,
            derive: (usize::from(o >> 3) / Policy::ALL.len()) & 1 != 0,
        };
        let steps = max_steps * usize::from(b.u8()) / 255;
        let n_writes = 1 + usize::from(b.u8()) % max_writes.max(1);
        let mut build = Vec::new();
        while !b.is_empty() && build.len() < steps {
            let op = b.u8();
            build.push(match op % 16 {
                0..=8 => {
                    let raw = usize::from(b.u16());
                    let size = match op % 4 {
                        0 | 1 => raw % 64,
                        2 => raw % 512,
                        _ => raw % 4096,
                    };
                    let align = 1 << (usize::from(b.u8()) % 8).saturating_sub(3);
                    Build::Alloc { size, align }
                }
                9..=14 => Build::Free {
                    pick: usize::from(b.u8()),
                },
                _ => Build::Foreign {
                    pages: 1 + usize::from(b.u8() % 2),
                },
            });
        }
        let mut writes = Vec::new();
        while !b.is_empty() && writes.len() < n_writes {
            let at = b.u16();
            let kind = b.u8();
            let snap = match kind % 4 {
                0 => Snap::Exact,
                1 => Snap::Tag,
                2 => Snap::Next,
                _ => Snap::Link,
            };
            let what = match (kind >> 2) % 4 {
                0 => What::Byte(b.u8()),
                1 => What::Word(b.u64()),
                _ => {
                    let to = match b.u8() % 5 {
                        0 => Target::Block(b.u16()),
                        1 => Target::Start,
                        2 => Target::End,
                        3 => Target::Gap(b.u16()),
                        _ => Target::Null,
                    };
                    let delta = i16::from(b.u8() as i8) * 8;
                    What::Pointer { to, delta }
                }
            };
            writes.push(Write { at, snap, what });
        }
        Scene {
            options,
            build,
            writes,
        }
    }
}

/// What a run found.
#[derive(Debug)]
pub struct Outcome {
    /// What `check()` said after the writes.
    pub check: Result<(), Corruption>,
    /// Segments of the heap's memory, `(start, end)`.
    pub segments: Vec<(usize, usize)>,
    /// Blocks `blocks()` yielded after the writes.
    pub blocks: usize,
}

/// Builds the scene's heap on `pages` fake pages, breaks it, and runs the checker and the
/// walks that share its bounds. Panics if the heap was not sound before the writes, or if
/// `check()` blames an address that is not a block position inside the heap's memory.
pub fn run(scene: &Scene, pages: usize) -> Outcome {
    let mut arena = Arena::new(pages * PAGE);
    let len = pages * PAGE;
    let brk = PagedBreak::new(FakePages::<PAGE>::new(arena.buffer()));
    let mut heap = Heap::new(brk, scene.options);
    let mut live: Vec<NonNull<u8>> = Vec::new();
    for (i, step) in scene.build.iter().enumerate() {
        match *step {
            Build::Alloc { size, align } => {
                let layout = std::alloc::Layout::from_size_align(size, align).unwrap();
                if let Ok(p) = heap.alloc_layout(layout) {
                    super::fill(p, size, i as u8);
                    live.push(p);
                }
            }
            Build::Free { pick } => {
                if !live.is_empty() {
                    let p = live.swap_remove(pick % live.len());
                    heap.free(p.as_ptr()).expect("a live block is freed");
                }
            }
            Build::Foreign { pages } => {
                let _ = heap.backend().memory().grow_foreign(pages);
            }
        }
    }
    super::assert_sound(&heap);
    let blocks: Vec<_> = heap.blocks().collect();
    let mut segments: Vec<(usize, usize)> = Vec::new();
    for b in &blocks {
        match segments.last_mut() {
            Some(s) if s.1 == b.header => s.1 = b.data + b.size,
            _ => segments.push((b.header, b.data + b.size)),
        }
    }
    let memory = heap.backend().memory();
    let base = memory.ptr_at(0).addr();
    outside(memory, base, len, &segments, hide);

    let total: usize = segments.iter().map(|&(s, e)| e - s).sum();
    for w in &scene.writes {
        if total == 0 {
            break;
        }
        let spot = spot(&segments, total * usize::from(w.at) / 65536);
        let at = match w.snap {
            Snap::Exact => spot,
            _ => {
                // The header at or before `spot`.
                let Some(h) = blocks
                    .iter()
                    .take_while(|b| b.header <= spot)
                    .last()
                    .map(|b| b.header)
                else {
                    continue;
                };
                match w.snap {
                    Snap::Tag => h,
                    Snap::Next => h + brkalloc::HEADER_SIZE / 2,
                    _ => h + brkalloc::HEADER_SIZE,
                }
            }
        };
        let value: u64 = match w.what {
            What::Byte(v) => {
                // SAFETY: `at` lies inside a segment of the heap's memory, which the fake
                // pages' buffer holds; `ptr_at` carries the buffer's provenance.
                unsafe { memory.ptr_at(at - base).write(v) };
                continue;
            }
            What::Word(v) => v,
            What::Pointer { to, delta } => {
                let target = match to {
                    Target::Block(i) if !blocks.is_empty() => {
                        blocks[usize::from(i) % blocks.len()].header
                    }
                    Target::Block(_) | Target::Null => 0,
                    Target::Start => segments.first().map_or(0, |s| s.0),
                    Target::End => heap.brk(),
                    Target::Gap(i) => {
                        let s = segments[usize::from(i) % segments.len()].0;
                        s.saturating_sub(PAGE / 2)
                    }
                };
                target.wrapping_add_signed(isize::from(delta)) as u64
            }
        };
        let word = std::mem::size_of::<usize>();
        if segments.iter().any(|&(s, e)| at >= s && at + word <= e) {
            // SAFETY: the whole word lies inside a segment (checked just above).
            unsafe {
                memory
                    .ptr_at(at - base)
                    .cast::<usize>()
                    .write_unaligned(value as usize)
            };
        }
    }

    let check = heap.check();
    let n = heap.blocks().count();
    let _ = heap.listed().count();
    let _ = heap.stats();

    let memory = heap.backend().memory();
    outside(memory, base, len, &segments, show);
    if let Err(c) = check {
        let b = c.block();
        assert!(
            b % brkalloc::ALIGN == 0 && segments.iter().any(|&(s, e)| b >= s && b < e),
            "check() blamed 0x{b:x}, which is not a block position in the heap's memory: {c} \
             (segments {segments:x?})"
        );
        assert!(!c.to_string().is_empty());
    }
    Outcome {
        check,
        segments,
        blocks: n,
    }
}

/// The address `offset` bytes into the segments laid end to end.
fn spot(segments: &[(usize, usize)], mut offset: usize) -> usize {
    for &(s, e) in segments {
        if offset < e - s {
            return s + offset;
        }
        offset -= e - s;
    }
    segments.last().map_or(0, |s| s.1 - 1)
}

/// Calls `f(pointer, len)` on every run of the fake memory outside the segments.
fn outside<M: PageMemory>(
    memory: &M,
    base: usize,
    len: usize,
    segments: &[(usize, usize)],
    f: fn(*mut u8, usize),
) {
    let mut from = base;
    for &(s, e) in segments
        .iter()
        .chain(std::iter::once(&(base + len, base + len)))
    {
        if s > from {
            f(memory.ptr_at(from - base), s - from);
        }
        from = from.max(e);
    }
}

/// Makes the bytes uninitialised (for Miri) and, when fuzzing, poisons them for
/// AddressSanitizer.
fn hide(p: *mut u8, len: usize) {
    const CHUNK: usize = 4096;
    let blank = [MaybeUninit::<u8>::uninit(); CHUNK];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK);
        // SAFETY: `p..p + len` lies inside the fake memory's buffer, which nothing reads
        // until `show`; copying uninitialised bytes leaves them uninitialised.
        unsafe {
            std::ptr::copy_nonoverlapping(blank.as_ptr(), p.add(done).cast::<MaybeUninit<u8>>(), n)
        };
        done += n;
    }
    #[cfg(fuzzing)]
    // SAFETY: poisoning memory of our own buffer only makes ASan report accesses to it.
    unsafe {
        asan::__asan_poison_memory_region(p.cast_const().cast(), len)
    };
}

/// Undoes what [`hide`] did for AddressSanitizer (the bytes stay uninitialised).
fn show(_p: *mut u8, _len: usize) {
    #[cfg(fuzzing)]
    // SAFETY: as for `hide`.
    unsafe {
        asan::__asan_unpoison_memory_region(_p.cast_const().cast(), _len)
    };
}

#[cfg(fuzzing)]
mod asan {
    extern "C" {
        pub fn __asan_poison_memory_region(addr: *const std::ffi::c_void, size: usize);
        pub fn __asan_unpoison_memory_region(addr: *const std::ffi::c_void, size: usize);
    }
}
