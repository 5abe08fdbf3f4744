//! malloc-lab traces: read them, make them, and run them through a [`Heap`](brkalloc::Heap).
//!
//! A trace is the recorded workload of a program, in the format of the CMU malloc lab (`.rep`
//! files): four header numbers, then one operation a line.
//!
//! ```text
//! 20000      suggested heap size (a hint; nothing here relies on it)
//! 3          number of ids: every id in the trace is below this
//! 5          number of operations that follow
//! 1          weight (how much the trace counts in a malloc-lab score)
//! a 0 512    allocate 512 bytes and call the block "0"
//! a 1 128    allocate 128 bytes as block "1"
//! r 0 640    realloc block 0 to 640 bytes
//! f 1        free block 1
//! f 0        free block 0
//! ```
//!
//! Blank lines and extra spaces are ignored, and so is everything from a `#` to the end of its
//! line (an extension: the malloc lab's own traces have no comments).
//!
//! - [`parse`] reads that text into a [`Trace`], refusing anything malformed with a
//!   [`TraceError`] that names the line.
//! - [`generate`] makes traces of a few well-known shapes ([`Kind`]) from a seed, and
//!   [`Trace::to_rep_string`] writes any trace back as text.
//! - [`Replayer`] runs a trace through a heap, a few operations at a time, and measures it
//!   ([`ReplayStats`], [`Sample`]s over time); [`replay`] and [`replay_with`] run it all at once.
//!
//! Everything here needs only `alloc`, so traces can be read and replayed in the browser too.
//!
//! The files, each using only those listed before it: `ops.rs` (what a trace is), `error.rs`
//! (why one is refused), `check.rs` (liveness, for parsing and [`Trace::validate`]),
//! `parse.rs`, `gen.rs` and `replay.rs`.

mod check;
mod error;
mod gen;
mod ops;
mod parse;
mod replay;

pub use error::{TraceError, TraceErrorKind};
pub use gen::{generate, Kind};
pub use ops::{Op, Trace, HEADER_LINES, MAX_IDS, MAX_SIZE};
pub use parse::{parse, parse_bytes};
pub use replay::{
    replay, replay_with, utilisation, Failure, HeapHandle, ReplayError, ReplayOptions, ReplayStats,
    Replayer, Sample,
};
