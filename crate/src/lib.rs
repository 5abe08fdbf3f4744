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
//! - [`heap`]: the block chain, placement policies, `realloc`, the invariant checker.
//! - [`observer`]: what the heap does, step by step, for narration.
//! - `snapshot` (feature `alloc`): the heap as data.
//! - [`global`]: a `GlobalAlloc` adapter.
//! - `trace` (feature `alloc`): malloc-lab trace files.
//! - `scenario` (feature `alloc`): the playground's scenario scripts (`a = malloc(16); free(a)`).
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
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod brk;
pub mod global;
pub mod heap;
mod lock;
pub mod observer;
#[cfg(feature = "alloc")]
pub mod scenario;
#[cfg(feature = "alloc")]
pub mod snapshot;
#[cfg(feature = "alloc")]
pub mod trace;
#[cfg(all(target_arch = "wasm32", feature = "playground"))]
pub mod wasm;

pub use brk::{ArenaBreak, Break, BreakError, PageMemory, PagedBreak, Pages};
#[cfg(unix)]
pub use brk::{MmapBreak, SbrkBreak};
#[cfg(target_arch = "wasm32")]
pub use brk::{WasmBreak, WasmPages};
pub use global::BrkAlloc;
pub use heap::{
    AllocError, BlockInfo, Config, Corruption, FreeError, GrowOnlyConfig, Heap, Options, Policy,
    ReallocError, SegregatedConfig, Stats, ALIGN, HEADER_SIZE, MAX_SEGMENTS, MAX_SIZE, MIN_DATA,
    TRIM_THRESHOLD,
};
#[cfg(feature = "alloc")]
pub use observer::Recorder;
pub use observer::{Event, Observer};
#[cfg(feature = "alloc")]
pub use snapshot::Snapshot;
