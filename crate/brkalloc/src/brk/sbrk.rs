//! [`SbrkBreak`]: the real program break of a unix process, moved with libc's `sbrk`.
//!
//! This is the backend the classic allocator is written for, and the most hazardous one: the
//! process break is shared with the C library. Read [`SbrkBreak`]'s documentation before using it.

use super::{Break, BreakError};
use core::ptr;

/// What `sbrk` returns when it fails: `(void *) -1`. Only its address is ever compared.
const SBRK_FAILED: *mut libc::c_void = ptr::without_provenance_mut(usize::MAX);

/// The process's program break, moved with `sbrk(2)`.
///
/// It remembers where it last left the break. When it grows and `sbrk` reports a different old
/// break, someone else moved the break in between: the new bytes are not adjacent to this
/// backend's, so it starts a new region there and returns its start (see the [`Break`]
/// contract). It gives memory back only when the break is still exactly where it left it, and
/// never below the start of its current region.
///
/// ```text
///   | ... data, bss | heap: this backend's region |  (someone else's) | new region | ...
///                   ^                             ^                   ^            ^
///                 start                      where we left it       start       break
/// ```
///
/// # Hazards
///
/// **The program break is a single, process-wide resource, and this backend is not its only
/// user.**
///
/// - The C library's `malloc` (glibc's main arena, musl's) moves the same break with `sbrk` or
///   `brk`, from whatever thread calls `malloc` or `free` — including Rust's standard library,
///   whose default allocator is the C `malloc`. Other libraries can call `sbrk` too.
/// - `sbrk` itself is not thread-safe: two threads calling it at once can be handed the same
///   bytes. No lock this crate takes can stop another library from calling it.
///
/// So `SbrkBreak` is only sound where nothing else moves the break *concurrently* with it: a
/// single-threaded program, or one where every user of the break is serialised by the same lock.
/// That is the promise [`SbrkBreak::new`] asks for, and why it is `unsafe`. Moves by others
/// *between* its calls are detected and handled (a new region when growing,
/// [`BreakError::Foreign`] when shrinking), but a move *during* one of its calls is not: giving
/// bytes back reads the break, then moves it, and a move in between would hand someone
/// else's bytes to the system. If
/// someone lowered the break below this backend's own (freeing its memory behind its back),
/// growing refuses with [`BreakError::OutOfMemory`] rather than hand out bytes below its break.
///
/// Two `SbrkBreak`s in one process are two users of the same break: each sees the other's growth
/// as foreign. Prefer [`MmapBreak`](super::MmapBreak), which needs none of this, for anything but
/// learning how `sbrk` works. (`sbrk` is also a legacy interface: macOS emulates it with a small
/// fixed region and cannot shrink it.)
#[derive(Debug)]
pub struct SbrkBreak {
    /// Start of the current region; null before the first growth.
    start: *mut u8,
    /// Where this backend last left the process break; null before the first growth.
    brk: *mut u8,
}

impl SbrkBreak {
    /// A backend that has not moved the break yet. It calls `sbrk` at its first upward move, so
    /// this can initialise a `static`.
    ///
    /// ```compile_fail,E0133
    /// // Safe code cannot make one: the promise below is the caller's.
    /// let brk = brkalloc::SbrkBreak::new();
    /// ```
    ///
    /// # Safety
    ///
    /// For as long as the value is used, nothing moves the process break while one of its
    /// methods runs: not another thread's C `malloc` or `free` (in a program that still uses
    /// the C library's allocator from more than one thread), not another `SbrkBreak`, not any
    /// other code calling `sbrk` or `brk`. Moves *between* its calls are allowed and handled.
    /// A heap over it behind one lock, in a program where that heap is the only user of the
    /// break (a single-threaded program, or one whose `malloc` is this heap), keeps the
    /// promise.
    pub const unsafe fn new() -> Self {
        SbrkBreak {
            start: ptr::null_mut(),
            brk: ptr::null_mut(),
        }
    }

    /// The start of the current region: the lowest this backend will move the break. Null
    /// before the first growth.
    pub fn region_start(&self) -> *mut u8 {
        self.start
    }

    /// Bytes between the start of the current region and the break.
    pub fn region_len(&self) -> usize {
        self.brk.addr() - self.start.addr()
    }

    /// Moves the break up by `increment` bytes (positive).
    fn grow(&mut self, increment: isize) -> Result<*mut u8, BreakError> {
        let n = increment.unsigned_abs();
        let out_of_memory = BreakError::OutOfMemory { requested: n };
        // SAFETY: `sbrk` with a positive increment only adds memory; it touches no memory of
        // ours. (Concurrent use of the break by others is excluded by `new`'s contract.)
        let old = unsafe { libc::sbrk(increment) };
        if old == SBRK_FAILED {
            return Err(out_of_memory);
        }
        let old = old.cast::<u8>();
        if old == self.brk {
            self.brk = old.wrapping_add(n);
            return Ok(old);
        }
        if old.addr() < self.brk.addr() {
            // Someone lowered the break below ours: these bytes may overlap the heap's. Put the
            // break back where `sbrk` found it and refuse.
            // SAFETY: moves the break back down by exactly the `n` bytes just obtained, which
            // nobody has been given.
            unsafe { libc::sbrk(-increment) };
            return Err(out_of_memory);
        }
        // Not adjacent: a new region above everything handed out before.
        self.start = old;
        self.brk = old.wrapping_add(n);
        Ok(old)
    }

    /// Moves the break down by `-decrement` bytes (`decrement` is negative).
    fn shrink(&mut self, decrement: isize) -> Result<*mut u8, BreakError> {
        let n = decrement.unsigned_abs();
        if n > self.region_len() {
            return Err(BreakError::BelowStart);
        }
        // SAFETY: `sbrk(0)` only reads the break.
        let now = unsafe { libc::sbrk(0) }.cast::<u8>();
        if now != self.brk {
            return Err(BreakError::Foreign);
        }
        // SAFETY: the break is where this backend left it, so the `n` bytes below it are the top
        // of our own region (checked above), which the caller gives back. Nothing moves the
        // break between the read above and this move: `new`'s contract.
        if unsafe { libc::sbrk(decrement) } == SBRK_FAILED {
            // The OS refused to lower the break: it is still ours, but cannot be given back now.
            return Err(BreakError::Foreign);
        }
        let old = self.brk;
        self.brk = old.wrapping_sub(n);
        Ok(old)
    }
}

// SAFETY: the fields are addresses in the process-wide break, which belongs to no thread in
// particular; moving the value to another thread changes nothing about who else may call `sbrk`
// (see the hazards above).
unsafe impl Send for SbrkBreak {}

// SAFETY: `start..brk` is the region `sbrk` last handed this backend (growth extends it only when
// `sbrk` returned exactly our break, i.e. the bytes are adjacent), and `sbrk` gives the bytes
// between the old and the new break to the caller alone, readable and writable. A non-adjacent
// growth returns the new region's start, which lies above our break (checked) and so above every
// byte handed out before. Shrinking is refused below `start`, and when the break is not where we
// left it. Failed calls return before changing a field. All of this holds only under the
// documented hazard: nothing else moves the break concurrently.
unsafe impl Break for SbrkBreak {
    fn current(&self) -> *mut u8 {
        self.brk
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        match delta {
            0 => Ok(self.brk),
            1.. => self.grow(delta),
            _ => self.shrink(delta),
        }
    }
}
