//! What can go wrong, as types with messages a learner can read.

use core::fmt;

use crate::brk::BreakError;

/// `malloc` could not serve a request. The heap is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// The size (with its header, alignment and rounding) does not fit in an address.
    TooLarge {
        /// The size that was asked for.
        size: usize,
    },
    /// `calloc(count, size)`: `count * size` overflows.
    CountOverflow {
        /// The number of elements.
        count: usize,
        /// The size of one element.
        size: usize,
    },
    /// The alignment is a power of two, but larger than any the heap can serve
    /// ([`MAX_SIZE`](crate::heap::MAX_SIZE)).
    AlignTooLarge {
        /// The alignment that was asked for.
        align: usize,
    },
    /// The alignment is not a power of two.
    BadAlign {
        /// The alignment that was asked for.
        align: usize,
    },
    /// No free block fits and the break could not move up far enough.
    OutOfMemory {
        /// The size that was asked for.
        size: usize,
        /// Why the break did not move.
        cause: BreakError,
    },
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::TooLarge { size } => write!(
                f,
                "{size} bytes is more than any block can hold: the largest is {} bytes, half the address space",
                crate::heap::MAX_SIZE
            ),
            AllocError::AlignTooLarge { align } => write!(
                f,
                "an alignment of {align} bytes is more than this heap can serve: at most {} bytes",
                crate::heap::MAX_SIZE
            ),
            AllocError::CountOverflow { count, size } => write!(
                f,
                "calloc({count}, {size}): {count} × {size} bytes overflows, so there is no size to allocate"
            ),
            AllocError::BadAlign { align } => {
                write!(f, "an alignment of {align} is not a power of two")
            }
            AllocError::OutOfMemory { size, cause } => {
                write!(f, "out of memory: no free block holds {size} bytes and {cause}")
            }
        }
    }
}

/// `free` (or `realloc`) was given a pointer it must refuse. The heap is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The null pointer. (C's `free(NULL)` does nothing; this heap says so instead.)
    Null,
    /// The address is not inside any block of this heap.
    NotInHeap {
        /// The address given.
        addr: usize,
    },
    /// The address is the block's header, not its data.
    Header {
        /// The address given.
        addr: usize,
        /// The data address the caller probably meant.
        data: usize,
    },
    /// The address points into the middle of a block's data.
    InsideBlock {
        /// The address given.
        addr: usize,
        /// The data address of the block it falls in.
        data: usize,
        /// How far into the data it points.
        offset: usize,
    },
    /// The block is already free.
    DoubleFree {
        /// The data address of the block.
        addr: usize,
    },
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeError::Null => f.write_str("free(NULL): there is no block at address 0"),
            FreeError::NotInHeap { addr } => {
                write!(f, "0x{addr:08x} is not a block of this heap: malloc never returned it")
            }
            FreeError::Header { addr, data } => write!(
                f,
                "0x{addr:08x} is a block's header, not its data; malloc returned 0x{data:08x}"
            ),
            FreeError::InsideBlock { addr, data, offset } => write!(
                f,
                "0x{addr:08x} points {offset} bytes into the block at 0x{data:08x}; free needs the address malloc returned"
            ),
            FreeError::DoubleFree { addr } => {
                write!(f, "the block at 0x{addr:08x} is already free (double free)")
            }
        }
    }
}

/// `realloc` failed: either the pointer was refused or the new size could not be served. In both
/// cases the heap, and the old block's data, are unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReallocError {
    /// The pointer is not a live block.
    Free(FreeError),
    /// The new size could not be allocated.
    Alloc(AllocError),
}

impl fmt::Display for ReallocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReallocError::Free(e) => e.fmt(f),
            ReallocError::Alloc(e) => e.fmt(f),
        }
    }
}

impl From<FreeError> for ReallocError {
    fn from(e: FreeError) -> Self {
        ReallocError::Free(e)
    }
}

impl From<AllocError> for ReallocError {
    fn from(e: AllocError) -> Self {
        ReallocError::Alloc(e)
    }
}

impl core::error::Error for AllocError {}
impl core::error::Error for FreeError {}
impl core::error::Error for ReallocError {}
impl core::error::Error for crate::brk::BreakError {}
