//! # brkalloc-lab
//!
//! Everything built on the [`brkalloc`] allocator that is not the allocator: what the
//! playground draws and replays, and the command-line tool.
//!
//! - [`snapshot`]: the heap as data, built from the allocator's iterators over blocks and free
//!   lists.
//! - [`json`]: events and other allocator values in the JSON the playground reads.
//! - [`recorder`]: an observer that keeps what the heap did, for narration.
//! - [`trace`]: malloc-lab trace files: parse, generate, replay.
//! - [`scenario`]: the playground's scenario scripts (`a = malloc(16); free(a)`).
//! - [`starts`]: a start map that grows with the heap, for constant-time checked frees.
//! - `wasm` (wasm32 only): the wasm-bindgen `Playground` the web page drives.
//!
//! Every arrow points from here to the allocator: `brkalloc` knows nothing of this crate.
#![warn(missing_docs)]

extern crate alloc;

pub mod api;
pub mod contract;
pub mod diagram;
pub mod json;
pub mod loose;
pub mod recorder;
pub mod report;
pub use brkalloc_rng as rng;
pub mod scenario;
pub mod snapshot;
pub mod starts;
pub mod trace;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod wording;
pub mod write;

pub use recorder::Recorder;
pub use snapshot::Snapshot;
