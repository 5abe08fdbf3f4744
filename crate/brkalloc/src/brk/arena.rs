//! [`ArenaBreak`]: a program break over a buffer the caller provides.
//!
//! Deterministic and free of any system call, it is the backend every test can use, natively,
//! in wasm and under Miri.

use super::{Break, BreakError};
use core::marker::PhantomData;
use core::mem::MaybeUninit;

/// A break that moves within a fixed buffer: it starts at the buffer's first byte and can rise
/// to its last. Memory is always adjacent, so a heap on an arena has exactly one segment.
pub struct ArenaBreak<'a> {
    base: *mut u8,
    len: usize,
    brk: usize,
    _buffer: PhantomData<&'a mut [MaybeUninit<u8>]>,
}

impl<'a> ArenaBreak<'a> {
    /// A break at the start of `buffer`, free to rise to its end.
    pub fn new(buffer: &'a mut [MaybeUninit<u8>]) -> Self {
        ArenaBreak {
            base: buffer.as_mut_ptr().cast(),
            len: buffer.len(),
            brk: 0,
            _buffer: PhantomData,
        }
    }

    /// A break over the `len` bytes at `base`, which the caller hands over without a borrow:
    /// for a buffer in a `static`, under a global allocator, which a `const` cannot borrow.
    ///
    /// ```
    /// use brkalloc::{ArenaBreak, BrkAlloc, SegregatedConfig};
    /// use core::mem::MaybeUninit;
    ///
    /// const LEN: usize = 1 << 16;
    /// static mut BUFFER: [MaybeUninit<u8>; LEN] = [MaybeUninit::uninit(); LEN];
    /// // SAFETY: nothing else uses BUFFER: this allocator owns it for the program's life.
    /// static ALLOC: BrkAlloc<ArenaBreak<'static>> = BrkAlloc::new(
    ///     unsafe { ArenaBreak::from_raw_parts((&raw mut BUFFER).cast(), LEN) },
    ///     SegregatedConfig,
    /// );
    /// assert_eq!(ALLOC.stats().blocks, 0);
    /// ```
    ///
    /// # Safety
    ///
    /// The `len` bytes at `base` are valid for reads and writes, and nothing but this break
    /// (and the heap over it) reads or writes them, or frees them, for as long as it is used.
    pub const unsafe fn from_raw_parts(base: *mut u8, len: usize) -> ArenaBreak<'static> {
        ArenaBreak {
            base,
            len,
            brk: 0,
            _buffer: PhantomData,
        }
    }

    /// Bytes between the start of the buffer and the break.
    pub fn used(&self) -> usize {
        self.brk
    }

    /// The buffer's size in bytes.
    pub fn capacity(&self) -> usize {
        self.len
    }
}

// SAFETY: the arena owns its buffer exclusively (borrowed mutably for `'a`, or handed over by
// `from_raw_parts`'s caller), like a `&mut [u8]`, which may be sent to another thread.
unsafe impl Send for ArenaBreak<'_> {}

// SAFETY: the break only ever moves within `base..base + len`, which `new` borrowed mutably for
// `'a` (or `from_raw_parts`'s caller handed over), so the bytes below it are ours alone; growth is always adjacent; a failed call returns
// before changing `brk`; moving below offset 0 is refused.
unsafe impl Break for ArenaBreak<'_> {
    fn current(&self) -> *mut u8 {
        self.base.wrapping_add(self.brk)
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        let old = self.current();
        if delta >= 0 {
            let n = delta as usize;
            if n > self.len - self.brk {
                return Err(BreakError::OutOfMemory { requested: n });
            }
            self.brk += n;
        } else {
            let n = delta.unsigned_abs();
            if n > self.brk {
                return Err(BreakError::BelowStart);
            }
            self.brk -= n;
        }
        Ok(old)
    }
}
