//! The program break, as the allocator sees it.
//!
//! A [`Break`] is where a [`Heap`](crate::Heap) gets its memory from. It behaves like
//! `sbrk`: [`Break::current`] is `sbrk(0)`, [`Break::sbrk`] moves the break by a signed number
//! of bytes and hands back the old one. One file per backend lives beside this one:
//!
//! | backend | where the bytes come from | grows | gives back |
//! |---|---|---|---|
//! | [`ArenaBreak`] | a buffer the caller owns | up to the buffer's end | by moving down |
//! | [`PagedBreak`] (`WasmBreak` on wasm32) | pages from `memory.grow` | a page at a time | moves down, keeps the pages |
//! | `SbrkBreak` (unix) | the process break, through libc `sbrk` | as far as the OS allows | only if nobody moved it since |
//! | `MmapBreak` (unix) | one large `mmap` reservation | commits pages as it rises | releases pages as it falls |
//!
//! # Adjacency
//!
//! A real program break is shared: the C library's `malloc`, or a second allocator growing
//! wasm memory, may take the addresses right after ours. A backend then cannot extend the memory
//! it had; it hands out memory somewhere else instead, and says so by returning, from a growing
//! [`Break::sbrk`], a pointer that is **not** the break it had before the call. The heap sees that
//! and starts a new *segment*, linked from the last block of the previous one through `next`.

mod arena;
#[cfg(unix)]
mod mmap;
mod paged;
#[cfg(unix)]
mod sbrk;

pub use arena::ArenaBreak;
#[cfg(unix)]
pub use mmap::MmapBreak;
pub use paged::{FakePages, PageMemory, PagedBreak};
#[cfg(target_arch = "wasm32")]
pub use paged::{WasmBreak, WasmPages};
#[cfg(unix)]
pub use sbrk::SbrkBreak;

use core::fmt;

/// Why a [`Break`] could not move. When a backend returns one of these, nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakError {
    /// There is no more memory to be had: the arena is full, `memory.grow` or `sbrk` failed,
    /// or the reservation is used up.
    OutOfMemory {
        /// How many bytes were asked for.
        requested: usize,
    },
    /// The break was asked to go below the start of the memory it manages.
    BelowStart,
    /// Something else moved the real break since this backend last did, so it may not give
    /// memory back (it would be giving away someone else's bytes).
    Foreign,
}

impl fmt::Display for BreakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakError::OutOfMemory { requested } => {
                write!(
                    f,
                    "the break cannot move up by {requested} bytes: out of memory"
                )
            }
            BreakError::BelowStart => {
                f.write_str("the break cannot move below the start of the heap")
            }
            BreakError::Foreign => f.write_str(
                "someone else moved the program break since, so these bytes cannot be given back",
            ),
        }
    }
}

/// Page accounting of a backend that obtains memory in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pages {
    /// Bytes in one page (65,536 for wasm).
    pub page_size: usize,
    /// Pages this backend holds: for wasm (pages are never given back) every page it grew; for
    /// `MmapBreak`, the pages committed now.
    pub grown: usize,
}

/// The program break: a boundary below which the heap owns memory.
///
/// # Safety
///
/// The heap trusts a `Break` completely; implementing it is a promise that:
///
/// - [`current`](Break::current) returns the break: every byte from the start of the current
///   region up to it is readable and writable, aligned to nothing in particular.
/// - A successful `sbrk(delta)` with `delta > 0` returns a pointer `p` such that the `delta`
///   bytes at `p..p + delta` are readable, writable, owned by this break alone and valid until
///   the break moves below them, and after which `current() == p + delta`. `p` is the old break
///   when the new bytes are adjacent to the old ones; any other `p` means they are not (a new
///   region), and `p` must then lie above every byte handed out before.
/// - A successful `sbrk(delta)` with `delta < 0` lowers the break by `-delta` bytes and returns
///   the old break; the bytes above the new break are no longer the heap's. It must refuse
///   ([`BreakError::BelowStart`]) to go below the start of the current region.
/// - `sbrk(0)` returns `current()` and changes nothing.
/// - A failed call changes nothing.
/// - When [`EXPOSED`](Break::EXPOSED) is `true`: for every byte it has handed out (and not
///   taken back), `ptr::with_exposed_provenance_mut(address)` is a pointer that may read and
///   write it.
pub unsafe trait Break {
    /// Whether the memory's addresses are all a pointer needs: every byte this break hands out
    /// is reached by a pointer made from its address alone (with exposed provenance), as in
    /// wasm's linear memory, which no Rust allocation owns. The heap then turns a caller's
    /// pointer into its own by its address, with no look-up of the segment that holds it.
    /// `false` unless a backend says otherwise.
    const EXPOSED: bool = false;

    /// The current break, `sbrk(0)`.
    fn current(&self) -> *mut u8;

    /// Moves the break by `delta` bytes and returns the old break (see the trait's contract for
    /// what a growing call returns when the new memory is not adjacent).
    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError>;

    /// Page accounting, for backends that obtain memory in pages.
    fn pages(&self) -> Option<Pages> {
        None
    }
}
