//! # brkalloc
//!
//! A memory allocator you can read in an afternoon: the classic `sbrk` allocator — a chain of
//! blocks, each a header then its data, linked by `next` from the heap start to the program
//! break — grown into one you can trust as a `#[global_allocator]`.
//!
//! ```text
//!   heap start                                                  program break = sbrk(0)
//!   |                                                                               |
//!   v                                                                               v
//!   +--------+------------------+--------+----------+--------+--------------------+
//!   | header | data (24 bytes)  | header | data (8) | header | data (40)          |
//!   | next --+----------------->| next --+--------->| next = null                 |
//!   +--------+------------------+--------+----------+--------+--------------------+
//!    block 1 (used)              block 2 (free)      block 3 (used, last)
//! ```
//!
//! - [`brk`]: where memory comes from. The [`Break`] trait and its backends.
//! - [`heap`]: the block chain, placement policies, `realloc`, the invariant checker, and the
//!   iterators over blocks and free lists from which any picture of the heap is built.
//! - [`observer`]: what the heap does, step by step, for narration.
//! - [`global`]: a `GlobalAlloc` adapter.
//!
//! The crate is `no_std`, has no default features and depends on nothing but `libc` on unix.
//! Snapshots, traces, scenario scripts, the WebAssembly playground and the command-line tool
//! live in the `brkalloc-lab` crate beside it, built on what this one exposes.
//!
//! ```
//! use brkalloc::{ArenaBreak, Heap, Options};
//! use core::mem::MaybeUninit;
//!
//! let mut buffer = [MaybeUninit::new(0u8); 4096];
//! let mut heap = Heap::new(ArenaBreak::new(&mut buffer), Options::SEED);
//! let a = heap.alloc(24).unwrap();
//! let b = heap.alloc(8).unwrap();
//! heap.free(b.as_ptr()).unwrap(); // the last block: the break moves back down
//! heap.free(a.as_ptr()).unwrap();
//! assert!(heap.free(a.as_ptr()).is_err()); // a double free is refused, and changes nothing
//! heap.check().unwrap();
//! ```
#![no_std]

#[cfg(test)]
extern crate std;

pub mod brk;
pub mod global;
pub mod heap;
mod lock;
pub mod observer;

pub use brk::{ArenaBreak, Break, BreakError, PageMemory, PagedBreak, Pages};
#[cfg(unix)]
pub use brk::{MmapBreak, SbrkBreak};
#[cfg(target_arch = "wasm32")]
pub use brk::{WasmBreak, WasmPages};
pub use global::{BrkAlloc, Outline};
pub use heap::{
    AllocError, BlockInfo, Config, Corruption, FreeError, GrowOnlyConfig, Heap, Options, Policy,
    ReallocError, SegregatedConfig, StartBits, StartMap, Stats, ALIGN, HEADER_SIZE, MAX_SEGMENTS,
    MAX_SIZE, MIN_DATA, TRIM_THRESHOLD,
};
pub use observer::{Event, Observer};
