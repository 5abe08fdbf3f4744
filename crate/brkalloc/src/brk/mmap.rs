//! [`MmapBreak`]: a private program break inside one large `mmap` reservation — the classic
//! allocator's own suggested next step, "use `mmap` instead of `sbrk`".
//!
//! It leaves the process break (and the C library's `malloc`) alone: nobody else maps into the
//! reserved range, so its memory is always adjacent and it needs no locking beyond its own.

use super::{Break, BreakError, Pages};
use core::ptr;

/// `MAP_NORESERVE`: do not charge the whole reservation against the system's commit limit, only
/// the pages actually made writable. Not every unix has it; where it is missing, nothing is lost
/// but that accounting detail.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAP_NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAP_NORESERVE: libc::c_int = 0;

/// A program break inside one large range of addresses reserved with `mmap`.
///
/// At its first upward move it reserves `reserve` bytes of address space with no access
/// (`PROT_NONE`, which costs no memory). As the break rises it *commits* whole pages with
/// `mprotect(READ | WRITE)`; as it falls below a page boundary it *releases* the pages above
/// (`madvise(MADV_DONTNEED)`, then `mprotect(PROT_NONE)`), so the memory really goes back to the
/// system. Growth is always adjacent; it fails with [`BreakError::OutOfMemory`] once the
/// reservation is used up.
///
/// ```text
///   base                                                             base + reserve
///   |  committed (read/write)              |  reserved (no access)               |
///   |==== heap ====|.......................|.....................................|
///                  ^ break                 ^ end of committed pages
/// ```
///
/// Dropping it unmaps the whole reservation; a `static` (a global allocator) never drops.
///
/// ```
/// use brkalloc::{Break, MmapBreak};
///
/// let mut brk = MmapBreak::new(1 << 20); // 1 MiB of address space
/// let p = brk.sbrk(100).unwrap();
/// // SAFETY: the 100 bytes at `p` were just handed out, readable and writable.
/// unsafe { p.write_bytes(0xAB, 100) };
/// assert_eq!(brk.pages().unwrap().grown, 1); // one page committed
/// brk.sbrk(-100).unwrap(); // and released again
/// assert_eq!(brk.pages().unwrap().grown, 0);
/// ```
#[derive(Debug)]
pub struct MmapBreak {
    /// Bytes of address space to reserve, as asked.
    reserve: usize,
    /// Start of the reservation; null until the first growth.
    base: *mut u8,
    /// Length of the reservation in bytes, a whole number of pages.
    len: usize,
    /// The OS page size, once known.
    page: usize,
    /// Offset of the break from `base`.
    brk: usize,
    /// Bytes from `base` that are committed (read/write): a whole number of pages, at least `brk`.
    committed: usize,
}

impl MmapBreak {
    /// How much address space [`MmapBreak::with_default_reserve`] reserves: 1 GiB on 64-bit
    /// targets, 64 MiB on smaller ones, where address space is scarce.
    pub const DEFAULT_RESERVE: usize = if usize::BITS >= 64 { 1 << 30 } else { 64 << 20 };

    /// A break that will reserve `reserve_bytes` of address space (rounded up to whole pages) at
    /// its first upward move, so this can initialise a `static`.
    pub const fn new(reserve_bytes: usize) -> Self {
        MmapBreak {
            reserve: reserve_bytes,
            base: ptr::null_mut(),
            len: 0,
            page: 0,
            brk: 0,
            committed: 0,
        }
    }

    /// A break that will reserve [`MmapBreak::DEFAULT_RESERVE`] bytes.
    pub const fn with_default_reserve() -> Self {
        Self::new(Self::DEFAULT_RESERVE)
    }

    /// The size of the reservation it makes (or made), in bytes.
    pub fn reserve_bytes(&self) -> usize {
        if self.base.is_null() {
            self.reserve
        } else {
            self.len
        }
    }

    /// Bytes currently committed (readable and writable): the break rounded up to a page.
    pub fn committed_bytes(&self) -> usize {
        self.committed
    }

    /// The OS page size.
    pub fn page_size(&self) -> usize {
        if self.page != 0 {
            return self.page;
        }
        // SAFETY: `sysconf` only reads a system setting.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        match usize::try_from(size) {
            Ok(size) if size.is_power_of_two() => size,
            _ => 4096,
        }
    }

    /// Reserves the address range, if that has not happened yet.
    fn ensure_reserved(&mut self, requested: usize) -> Result<(), BreakError> {
        if !self.base.is_null() {
            return Ok(());
        }
        let out_of_memory = BreakError::OutOfMemory { requested };
        let page = self.page_size();
        let len = match self.reserve.checked_next_multiple_of(page) {
            Some(len) => len,
            None => self.reserve - self.reserve % page,
        };
        // A request that cannot fit fails without reserving anything (mmap refuses a length of 0).
        if requested > len {
            return Err(out_of_memory);
        }
        // SAFETY: an anonymous private mapping at an address the OS picks overlaps nothing that
        // exists; with `PROT_NONE` it is only address space.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(out_of_memory);
        }
        self.base = base.cast();
        self.len = len;
        self.page = page;
        Ok(())
    }

    fn grow(&mut self, n: usize) -> Result<*mut u8, BreakError> {
        let out_of_memory = BreakError::OutOfMemory { requested: n };
        let first_growth = self.base.is_null();
        self.ensure_reserved(n)?;
        if n > self.len - self.brk {
            return Err(out_of_memory);
        }
        let new_brk = self.brk + n;
        if new_brk > self.committed {
            // `len` is a whole number of pages and `new_brk <= len`, so this cannot overflow or
            // pass the end of the reservation.
            let new_committed = new_brk.next_multiple_of(self.page);
            // SAFETY: `committed..new_committed` lies inside our reservation and holds no bytes
            // anyone was given (they were not accessible); making it read/write touches nothing.
            let result = unsafe {
                libc::mprotect(
                    self.base.add(self.committed).cast(),
                    new_committed - self.committed,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if result != 0 {
                if first_growth {
                    // A failed call changes nothing, not even `current()`: undo the reservation.
                    self.unmap();
                }
                return Err(out_of_memory);
            }
            self.committed = new_committed;
        }
        let old = self.base.wrapping_add(self.brk);
        self.brk = new_brk;
        Ok(old)
    }

    fn shrink(&mut self, n: usize) -> Result<*mut u8, BreakError> {
        if n > self.brk {
            return Err(BreakError::BelowStart);
        }
        let old = self.base.wrapping_add(self.brk);
        self.brk -= n;
        let keep = self.brk.next_multiple_of(self.page.max(1));
        if keep < self.committed {
            self.release(keep);
        }
        Ok(old)
    }

    /// Removes the reservation, if there is one, returning to the state before the first growth.
    /// Only called when nobody is given any of its bytes: on drop, or when the first growth fails.
    fn unmap(&mut self) {
        if self.base.is_null() {
            return;
        }
        // SAFETY: `base..base + len` is the mapping `ensure_reserved` made, unmapped nowhere
        // else, and (per the callers) no byte of it is still in use.
        unsafe { libc::munmap(self.base.cast(), self.len) };
        self.base = ptr::null_mut();
        self.len = 0;
        self.brk = 0;
        self.committed = 0;
    }

    /// Gives the committed pages from offset `keep` (a page boundary, at or above the break)
    /// back to the system. If the system refuses, they simply stay committed.
    fn release(&mut self, keep: usize) {
        let len = self.committed - keep;
        // SAFETY: `keep..committed` is inside our reservation and entirely above the break, so
        // the heap no longer owns any of it; discarding its contents and removing access cannot
        // affect memory anyone still uses.
        unsafe {
            let start = self.base.add(keep).cast::<libc::c_void>();
            libc::madvise(start, len, libc::MADV_DONTNEED);
            if libc::mprotect(start, len, libc::PROT_NONE) == 0 {
                self.committed = keep;
            }
        }
    }
}

impl Default for MmapBreak {
    fn default() -> Self {
        Self::with_default_reserve()
    }
}

impl Drop for MmapBreak {
    fn drop(&mut self) {
        // Dropping the break ends the heap's use of its memory.
        self.unmap();
    }
}

// SAFETY: the reservation is owned by this value alone, and a mapping may be used and unmapped
// from any thread.
unsafe impl Send for MmapBreak {}

// SAFETY: the region is `base..base + brk`, always inside the reservation, which nobody else maps
// into; every byte below the break lies in a committed (read/write) page. Growth extends the
// region, so it is always adjacent; it is refused past the reservation's end; and failures
// (reserving, committing) return before the break moves. Shrinking is refused below `base`.
unsafe impl Break for MmapBreak {
    fn current(&self) -> *mut u8 {
        self.base.wrapping_add(self.brk)
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        match delta {
            0 => Ok(self.current()),
            1.. => self.grow(delta.unsigned_abs()),
            _ => self.shrink(delta.unsigned_abs()),
        }
    }

    fn pages(&self) -> Option<Pages> {
        let page_size = self.page_size();
        Some(Pages {
            page_size,
            grown: self.committed / page_size,
        })
    }
}
