//! The heap's memory as [`LooseHeap`](super::LooseHeap) sees it: the bytes from the heap's
//! start to the break, every access checked against them, every write logged so that a
//! crashed operation can be undone.

use alloc::vec::Vec;
use core::fmt;
use core::ptr;

use brkalloc::{Break, Pages, ALIGN};

use super::{Stop, WORD};
use crate::wording::{self, Address};

/// A simulated crash: what a C program would have done instead of going on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A read or write outside the heap's memory: a segmentation fault.
    Access {
        /// The first address outside.
        address: usize,
        /// Whether it was a write.
        write: bool,
        /// What was being read or written: "a block's header", "a free block's list link" …
        what: &'static str,
    },
    /// A walk that went on longer than the heap has blocks: the chain or a list loops, and a
    /// C program would spin there forever.
    Loop {
        /// The block the walk was at when it gave up.
        at: usize,
        /// What was being walked.
        what: &'static str,
    },
}

impl Fault {
    /// The address to point at: the one outside the heap, or where the loop was.
    pub fn address(&self) -> usize {
        match *self {
            Fault::Access { address, .. } => address,
            Fault::Loop { at, .. } => at,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fault::Access {
                address,
                write,
                what,
            } => write!(
                f,
                "segmentation fault: it {} {what} at {}, outside the heap's memory",
                if write { "writes" } else { "reads" },
                Address(address as u64)
            ),
            Fault::Loop { at, what } => write!(
                f,
                "the program hangs: {what} loops (at {}, it has visited more blocks than the \
                 heap holds), and a C program would follow it forever; stopped here",
                Address(at as u64)
            ),
        }
    }
}

/// One logged write: where, and the bytes that were there.
struct Undo {
    at: usize,
    old: Vec<u8>,
}

/// The heap's memory: one run of bytes from `start` to `end` (the break), reached through
/// the pointer the break handed out.
pub struct Memory<B: Break> {
    brk: B,
    /// The first heap byte, with the provenance of the memory the break handed out; null
    /// before the first growth.
    base: *mut u8,
    start: usize,
    end: usize,
    /// Every byte from `start` to here has been zeroed or written: the break's memory is
    /// zeroed the first time it is handed to the heap, so every byte the heap can read is
    /// initialised, whatever the backend hands out.
    zeroed_to: usize,
    /// The writes of the operation in progress, oldest first.
    log: Vec<Undo>,
    /// `end` when the operation began.
    saved_end: usize,
}

impl<B: Break> Memory<B> {
    pub(super) fn new(brk: B) -> Self {
        let start = brk.current().addr().next_multiple_of(ALIGN);
        Memory {
            brk,
            base: ptr::null_mut(),
            start,
            end: start,
            zeroed_to: start,
            log: Vec::new(),
            saved_end: start,
        }
    }

    /// The break: the end of the heap's memory.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The start of the heap's memory.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Bytes of heap memory.
    pub fn bytes(&self) -> usize {
        self.end - self.start
    }

    /// The backend's page accounting.
    pub fn pages(&self) -> Option<Pages> {
        self.brk.pages()
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.brk
    }

    /// Gives every byte back and returns the backend.
    pub(super) fn into_backend(mut self) -> B {
        let bytes = self.end - self.start;
        self.lower_break(bytes);
        self.brk
    }

    pub(super) fn begin(&mut self) {
        self.log.clear();
        self.saved_end = self.end;
    }

    pub(super) fn commit(&mut self) {
        self.log.clear();
    }

    /// Undoes the operation in progress: its writes, newest first, then its break moves.
    pub(super) fn rollback(&mut self) {
        while let Some(undo) = self.log.pop() {
            // SAFETY: every logged range was checked inside the heap's memory when it was
            // written, and the break has not moved down past it since (moves are undone
            // after the bytes).
            unsafe {
                ptr::copy_nonoverlapping(undo.old.as_ptr(), self.ptr(undo.at), undo.old.len())
            };
        }
        if self.end > self.saved_end {
            self.lower_break(self.end - self.saved_end);
        } else if self.end < self.saved_end {
            let back = self.saved_end - self.end;
            // The bytes just given up are above the break, with nobody else's in between.
            if self.brk.sbrk(back as isize).is_ok() {
                self.end = self.saved_end;
            }
        }
    }

    /// A pointer to `addr`, inside the heap's memory (checked by the caller).
    fn ptr(&self, addr: usize) -> *mut u8 {
        self.base.with_addr(addr)
    }

    /// `Ok` when the `len` bytes at `addr` all lie in the heap's memory; else the fault at the
    /// first byte that does not.
    pub fn check(
        &self,
        addr: usize,
        len: usize,
        write: bool,
        what: &'static str,
    ) -> Result<(), Fault> {
        let outside = |address| Fault::Access {
            address,
            write,
            what,
        };
        if self.base.is_null() || addr < self.start || addr >= self.end {
            return Err(outside(addr));
        }
        if self.end - addr < len {
            return Err(outside(self.end));
        }
        Ok(())
    }

    /// The word at `addr`.
    pub fn word(&self, addr: usize, what: &'static str) -> Result<usize, Fault> {
        self.check(addr, WORD, false, what)?;
        // SAFETY: the word lies inside the heap's memory (checked), which the break handed
        // out and this heap owns, and is initialised (see `zeroed_to`); unaligned reads are
        // allowed.
        Ok(unsafe { self.ptr(addr).cast::<usize>().read_unaligned() })
    }

    /// Writes the word at `addr`.
    pub(super) fn set_word(
        &mut self,
        addr: usize,
        value: usize,
        what: &'static str,
    ) -> Result<(), Fault> {
        self.write_bytes(addr, &value.to_ne_bytes(), what)
    }

    /// The `len` bytes at `addr`.
    pub fn read_bytes(
        &self,
        addr: usize,
        len: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, Fault> {
        if len == 0 {
            return Ok(Vec::new());
        }
        self.check(addr, len, false, what)?;
        let mut out = alloc::vec![0; len];
        // SAFETY: the range lies inside the heap's memory (checked) and is initialised (see
        // `zeroed_to`).
        unsafe { ptr::copy_nonoverlapping(self.ptr(addr), out.as_mut_ptr(), len) };
        Ok(out)
    }

    /// Writes `bytes` at `addr`, logging what was there.
    pub(super) fn write_bytes(
        &mut self,
        addr: usize,
        bytes: &[u8],
        what: &'static str,
    ) -> Result<(), Fault> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.check(addr, bytes.len(), true, what)?;
        self.log_range(addr, bytes.len());
        // SAFETY: the range lies inside the heap's memory (checked).
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr(addr), bytes.len()) };
        Ok(())
    }

    /// `memset`: `len` copies of `byte` at `addr`.
    pub(super) fn fill(
        &mut self,
        addr: usize,
        byte: u8,
        len: usize,
        what: &'static str,
    ) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        self.check(addr, len, true, what)?;
        self.log_range(addr, len);
        // SAFETY: the range lies inside the heap's memory (checked).
        unsafe { self.ptr(addr).write_bytes(byte, len) };
        Ok(())
    }

    /// `memmove`: `len` bytes from `from` to `to`.
    pub(super) fn copy(
        &mut self,
        from: usize,
        to: usize,
        len: usize,
        what: &'static str,
    ) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        self.check(from, len, false, what)?;
        self.check(to, len, true, what)?;
        self.log_range(to, len);
        // SAFETY: both ranges lie inside the heap's memory (checked); `copy` allows overlap.
        unsafe { ptr::copy(self.ptr(from), self.ptr(to), len) };
        Ok(())
    }

    /// Logs the bytes at `addr` (checked inside the heap's memory) before they change.
    fn log_range(&mut self, addr: usize, len: usize) {
        let mut old = alloc::vec![0; len];
        // SAFETY: the caller checked the range.
        unsafe { ptr::copy_nonoverlapping(self.ptr(addr), old.as_mut_ptr(), len) };
        self.log.push(Undo { at: addr, old });
    }

    /// Moves the break up by `bytes`, right after the heap. Refused (and given back) when the
    /// break hands out memory elsewhere.
    pub(super) fn grow(&mut self, bytes: usize) -> Result<(), Stop> {
        let refuse = |why: &str| {
            Stop::Refused(alloc::format!(
                "out of memory: the break could not grow by {}{why}",
                wording::bytes(bytes)
            ))
        };
        if bytes > isize::MAX as usize / 2 {
            return Err(refuse(""));
        }
        let first = self.base.is_null();
        let cur = self.brk.current();
        let pad = if first {
            cur.addr().wrapping_neg() & (ALIGN - 1)
        } else {
            0
        };
        let p = self
            .brk
            .sbrk((pad + bytes) as isize)
            .map_err(|e| refuse(&alloc::format!(" ({e})")))?;
        let at = p.wrapping_add(pad);
        if at.addr() != self.end {
            let _ = self.brk.sbrk(-((pad + bytes) as isize));
            return Err(refuse(
                ": it handed out memory away from the heap, which this mode does not use",
            ));
        }
        if first {
            self.base = at;
        }
        self.end += bytes;
        if self.end > self.zeroed_to {
            let from = self.zeroed_to.max(self.end - bytes);
            // SAFETY: the break just handed out the bytes up to `end`, which lie after `base`
            // in the memory it hands out; nothing reads them yet.
            unsafe { self.ptr(from).write_bytes(0, self.end - from) };
            self.zeroed_to = self.end;
        }
        Ok(())
    }

    /// Moves the break down by `bytes`. `false` (and nothing changed) when it refuses.
    pub(super) fn lower_break(&mut self, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        if bytes > self.end - self.start || bytes > isize::MAX as usize {
            return false;
        }
        if self.brk.sbrk(-(bytes as isize)).is_err() {
            return false;
        }
        self.end -= bytes;
        true
    }
}
