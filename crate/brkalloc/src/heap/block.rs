//! The block: a header, then the data. Every raw read and write of heap memory lives here.
//!
//! ```text
//!  a used block                              a free block
//!  +----------------------+                  +----------------------+
//!  | size | flags         |  word 0          | size | flags (FREE)  |  word 0
//!  | next ----------------+-> next header    | next ----------------+-> next header
//!  +----------------------+  <- data address +----------------------+
//!  | data (size bytes)    |                  | list prev            |  segregated lists only
//!  |                      |                  | list next            |  segregated lists only
//!  |                      |                  | ...                  |
//!  |                      |                  | footer = own header  |  last word of the data
//!  +----------------------+                  +----------------------+
//! ```
//!
//! - `size` is the number of data bytes, a multiple of [`ALIGN`]; its three low bits are free for
//!   flags: [`FREE`], [`PREV_FREE`] (the block just before this one, in the same segment, is
//!   free: its footer, the word just before this header, points to it) and [`SEGMENT_START`]
//!   (this block is the first of a segment: the block before it in the chain is not adjacent).
//! - `next` is the header of the following block, or null for the last block. Within a segment
//!   `next` is always the header right after this block's data; across segments it jumps.
//! - With *boundary tags* ([`Config::stores_next`](super::Config::stores_next) `false`, as with
//!   [`Options::derive`](super::Options::derive)), the heap never writes or reads `next`: it is always where
//!   the size says (the header right after the data), and where the chain jumps between
//!   segments the segment table holds the link. The word stays in the header, unused, so that
//!   data stays aligned to [`ALIGN`]; the heap's walks report the `next` they derive.
//! - A used block costs exactly two words of header. A free block's data holds its bookkeeping:
//!   the segregated policy's list links at the front, and a footer at the end so that a block
//!   being freed can find a free neighbour *before* it in constant time.

use core::mem::size_of;
use core::ptr;

/// One machine word.
pub(crate) const WORD: usize = size_of::<usize>();

/// Bytes in a header: the size-and-flags word and the `next` pointer.
pub const HEADER_SIZE: usize = 2 * WORD;

/// Alignment of every header and every data address: 8 bytes on wasm32, 16 on 64-bit targets.
pub const ALIGN: usize = HEADER_SIZE;

/// The smallest data size of a block. A free block must hold two list links and a footer.
pub const MIN_DATA: usize = round_up(3 * WORD, ALIGN);

/// Flag: the block is free.
pub(crate) const FREE: usize = 1;
/// Flag: the block just before this one (same segment) is free.
pub(crate) const PREV_FREE: usize = 2;
/// Flag: this block starts a segment.
pub(crate) const SEGMENT_START: usize = 4;
const FLAGS: usize = FREE | PREV_FREE | SEGMENT_START;

/// Rounds `n` up to a multiple of `align` (a power of two). The caller rules out overflow.
pub(crate) const fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}

/// The two words at the start of every block.
#[repr(C)]
pub struct Header {
    /// Data size in bytes, with the flags in its low bits.
    tag: usize,
    /// The next block's header, or null.
    next: *mut Header,
}

/// A pointer to a block's header.
///
/// Copying a `Block` is free and reading through it is unsafe: every accessor requires that
/// the pointer is a live header of the heap (the *chain invariant*: a block reached from the
/// heap's first block by following `next` is live, and so are the blocks on the segregated
/// lists). The heap upholds that invariant between operations; each `unsafe` use says why it
/// holds at that point.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Block(pub(crate) *mut Header);

impl Block {
    /// The null block: "no block".
    pub(crate) const NULL: Block = Block(ptr::null_mut());

    pub(crate) fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The header's address.
    pub(crate) fn addr(self) -> usize {
        self.0.addr()
    }

    /// The data address (no read: pointer arithmetic only).
    pub(crate) fn data(self) -> *mut u8 {
        self.0.cast::<u8>().wrapping_add(HEADER_SIZE)
    }

    /// The block whose data starts at `data`.
    pub(crate) fn from_data(data: *mut u8) -> Block {
        Block(data.wrapping_sub(HEADER_SIZE).cast())
    }

    /// Writes a fresh header at `at` with the given data size, flags and `next`.
    ///
    /// # Safety
    ///
    /// `at` is aligned to [`ALIGN`] and the heap owns the [`HEADER_SIZE`] bytes there.
    pub(crate) unsafe fn write(at: *mut u8, size: usize, flags: usize, next: Block) -> Block {
        let h = at.cast::<Header>();
        // SAFETY: the caller guarantees `at` is aligned and owned.
        unsafe {
            h.write(Header {
                tag: size | flags,
                next: next.0,
            })
        };
        Block(h)
    }

    /// Writes a fresh header's size-and-flags word at `at`, and nothing else: the header of a
    /// heap with boundary tags, whose `next` word is never read.
    ///
    /// # Safety
    ///
    /// As for [`Block::write`].
    pub(crate) unsafe fn write_tag(at: *mut u8, size: usize, flags: usize) -> Block {
        let h = at.cast::<Header>();
        // SAFETY: the caller guarantees `at` is aligned and owned; only the first field is
        // written.
        unsafe { (&raw mut (*h).tag).write(size | flags) };
        Block(h)
    }

    /// The data size.
    ///
    /// # Safety
    ///
    /// `self` is a live header (the chain invariant).
    pub(crate) unsafe fn size(self) -> usize {
        // SAFETY: the caller guarantees a live, aligned header.
        unsafe { (*self.0).tag & !FLAGS }
    }

    /// The flag bits.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn flags(self) -> usize {
        // SAFETY: the caller guarantees a live header.
        unsafe { (*self.0).tag & FLAGS }
    }

    /// Whether one flag is set.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn has(self, flag: usize) -> bool {
        // SAFETY: the caller guarantees a live header.
        unsafe { (*self.0).tag & flag != 0 }
    }

    /// Whether the block is free.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn is_free(self) -> bool {
        // SAFETY: as for `has`.
        unsafe { self.has(FREE) }
    }

    /// Sets the data size and the flags at once.
    ///
    /// # Safety
    ///
    /// `self` is a live header and the heap owns `size` bytes of data after it; `size` is a
    /// multiple of [`ALIGN`] and `flags` holds only flag bits.
    pub(crate) unsafe fn set_tag(self, size: usize, flags: usize) {
        // SAFETY: the caller guarantees a live header.
        unsafe { (*self.0).tag = size | flags }
    }

    /// Sets the data size, keeping the flags.
    ///
    /// # Safety
    ///
    /// `self` is a live header and the heap owns `size` bytes of data after it.
    pub(crate) unsafe fn set_size(self, size: usize) {
        // SAFETY: the caller guarantees a live header.
        unsafe { (*self.0).tag = size | ((*self.0).tag & FLAGS) }
    }

    /// Sets or clears one flag.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn set_flag(self, flag: usize, on: bool) {
        // SAFETY: the caller guarantees a live header.
        unsafe {
            if on {
                (*self.0).tag |= flag;
            } else {
                (*self.0).tag &= !flag;
            }
        }
    }

    /// The next block in the chain (null for the last).
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn next(self) -> Block {
        // SAFETY: the caller guarantees a live header.
        Block(unsafe { (*self.0).next })
    }

    /// Sets `next`.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn set_next(self, next: Block) {
        // SAFETY: the caller guarantees a live header.
        unsafe { (*self.0).next = next.0 }
    }

    /// The address just past the data: where an adjacent next block's header would be.
    ///
    /// # Safety
    ///
    /// `self` is a live header.
    pub(crate) unsafe fn end(self) -> *mut u8 {
        // SAFETY: the caller guarantees a live header; the data lies within the heap's memory,
        // so the end is at most one past it.
        unsafe { self.data().add(self.size()) }
    }

    /// Writes the footer (the last word of the data) of a free block.
    ///
    /// # Safety
    ///
    /// `self` is a live header with at least [`MIN_DATA`] bytes of data.
    pub(crate) unsafe fn write_footer(self) {
        // SAFETY: the data holds at least MIN_DATA >= one word; the last word is aligned because
        // the data size is a multiple of ALIGN.
        unsafe { self.end().cast::<*mut Header>().sub(1).write(self.0) }
    }

    /// The block before this one, read from its footer.
    ///
    /// # Safety
    ///
    /// `self` is a live header whose [`PREV_FREE`] flag is set (so the word before it is a
    /// free neighbour's footer).
    pub(crate) unsafe fn prev_free(self) -> Block {
        // SAFETY: the caller guarantees the preceding word is a footer inside the heap.
        Block(unsafe { self.0.cast::<*mut Header>().sub(1).read() })
    }

    /// The segregated list links of a free block: (prev, next).
    ///
    /// # Safety
    ///
    /// `self` is a live free header with at least [`MIN_DATA`] bytes of data.
    pub(crate) unsafe fn links(self) -> (Block, Block) {
        let l = self.data().cast::<*mut Header>();
        // SAFETY: the first two words of a free block's data are its links.
        unsafe { (Block(l.read()), Block(l.add(1).read())) }
    }

    /// Sets the list's previous link.
    ///
    /// # Safety
    ///
    /// As for [`Block::links`].
    pub(crate) unsafe fn set_link_prev(self, prev: Block) {
        // SAFETY: as for `links`.
        unsafe { self.data().cast::<*mut Header>().write(prev.0) }
    }

    /// Sets the list's next link.
    ///
    /// # Safety
    ///
    /// As for [`Block::links`].
    pub(crate) unsafe fn set_link_next(self, next: Block) {
        // SAFETY: as for `links`.
        unsafe { self.data().cast::<*mut Header>().add(1).write(next.0) }
    }
}
