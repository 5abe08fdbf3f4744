//! [`MmapPages`]: native memory that grows in 64 KiB pages, like wasm linear memory, for the
//! allocators measured natively.
//!
//! Each allocator gets its own reservation, so the pages it grows are exactly what it obtained,
//! and all of them pay for memory the same way (first touch of a page faults it in; pages are
//! never given back), as they do on wasm.

use std::io;
use std::ptr;

use brkalloc::PageMemory;

/// The page size: WebAssembly's.
pub const PAGE: usize = 65536;

/// A private, read-write `mmap` reservation handed out a page at a time.
#[derive(Debug)]
pub struct MmapPages {
    base: *mut u8,
    /// Pages in the reservation.
    capacity: usize,
    /// Pages handed out.
    size: usize,
}

impl MmapPages {
    /// Reserves `bytes` (rounded down to whole pages) of address space. The kernel backs only
    /// the pages that are touched (`MAP_NORESERVE`), so a generous reservation costs nothing.
    pub fn reserve(bytes: usize) -> io::Result<MmapPages> {
        let capacity = bytes / PAGE;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory; the result is checked below.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                capacity * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(MmapPages {
            base: base.cast(),
            capacity,
            size: 0,
        })
    }
}

impl Drop for MmapPages {
    fn drop(&mut self) {
        // SAFETY: `base` and the length are those of the mapping `reserve` made, unmapped only
        // here, once. The allocator that used it is dropped before its memory (it owns it).
        unsafe { libc::munmap(self.base.cast(), self.capacity * PAGE) };
    }
}

// SAFETY: the mapping belongs to this value alone; sending it to another thread sends that
// exclusive ownership along.
unsafe impl Send for MmapPages {}

// SAFETY: `PAGE` is not zero. The mapping is read-write from the start and never moves; `grow`
// hands out pages in order, each once, and fails without change past the reservation, so the
// size only rises. `ptr_at` offsets the mapping's own pointer, which is not null and whose
// provenance covers the whole mapping.
unsafe impl PageMemory for MmapPages {
    const PAGE_SIZE: usize = PAGE;

    fn size_pages(&self) -> usize {
        self.size
    }

    fn grow(&mut self, pages: usize) -> Option<usize> {
        let new = self
            .size
            .checked_add(pages)
            .filter(|&n| n <= self.capacity)?;
        Some(std::mem::replace(&mut self.size, new))
    }

    fn ptr_at(&self, offset: usize) -> *mut u8 {
        self.base.wrapping_add(offset)
    }
}
