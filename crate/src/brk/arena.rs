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

    /// Bytes between the start of the buffer and the break.
    pub fn used(&self) -> usize {
        self.brk
    }

    /// The buffer's size in bytes.
    pub fn capacity(&self) -> usize {
        self.len
    }
}

// SAFETY: the break only ever moves within `base..base + len`, which `new` borrowed mutably for
// `'a`, so the bytes below it are ours alone; growth is always adjacent; a failed call returns
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
