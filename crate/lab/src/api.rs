//! The values the playground's wasm module hands to JavaScript, as Rust types: what `wasm.rs`
//! serializes for the page, and what `contract.rs` declares in TypeScript.
//!
//! They live here rather than in `wasm.rs`, which is built for wasm32 only, so that the
//! contract test (a native `cargo test`) reads the very types the module serializes. Besides
//! these, the module hands out [`Snapshot`](crate::Snapshot) and its parts, [`Totals`](crate::snapshot::Totals),
//! [`Sample`]s, the options (`json::OptionsJson`) and scenarios
//! ([`Scenario`](crate::scenario::Scenario)).

use alloc::vec::Vec;

use serde::Serialize;

use brkalloc::{
    BlockInfo, Event, Policy, ALIGN, HEADER_SIZE, MAX_SEGMENTS, MAX_SIZE, MIN_DATA, TRIM_THRESHOLD,
};

use crate::scenario::ScriptError;
use crate::trace::{ReplayError, Sample, Trace, TraceError};
use crate::wording;

/// What a successful `alloc`, `free`, `realloc`, `calloc` or write returns.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpResult<'a> {
    /// The data address handed out (`null` for `free`).
    pub address: Option<usize>,
    /// What the heap did, in order (a long search keeps only its first visits as events).
    #[serde(serialize_with = "crate::json::events")]
    pub events: &'a [Event],
    /// Visits beyond those in `events`, only counted.
    pub more_visits: usize,
    /// Of those, visits to free blocks.
    pub more_free_visits: usize,
    /// The bytes a write (`strcpy`, `memset`, `store`, `memcpy`) wrote; `null` for the others.
    pub written: Option<crate::write::Written>,
    /// With the checks off: the simulated crash that stopped the operation, which changed
    /// nothing; `null` when it completed.
    pub fault: Option<FaultJson>,
}

/// What `loadTrace` returns: the trace's header and what its operations are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceSummary {
    /// Operations in the trace.
    pub operations: usize,
    /// Of those, `a`.
    pub allocs: usize,
    /// Of those, `f`.
    pub frees: usize,
    /// Of those, `r`.
    pub reallocs: usize,
    /// The header's number of ids.
    pub ids: usize,
    /// The header's suggested heap size.
    pub heap_size_hint: usize,
    /// The header's weight.
    pub weight: u32,
}

impl TraceSummary {
    /// The summary of `trace`.
    pub fn of(trace: &Trace) -> TraceSummary {
        let count = |letter: char| trace.ops.iter().filter(|op| op.letter() == letter).count();
        TraceSummary {
            operations: trace.ops.len(),
            allocs: count('a'),
            frees: count('f'),
            reallocs: count('r'),
            ids: trace.ids,
            heap_size_hint: trace.heap_size_hint,
            weight: trace.weight,
        }
    }
}

/// What one `replayTrace` call did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceProgress {
    /// Operations done so far, of `total`.
    pub done: usize,
    /// Operations in the trace.
    pub total: usize,
    /// Samples taken during this call (the first call also samples the empty heap).
    pub samples: Vec<Sample>,
}

/// The allocator's constants on the module's target (wasm32), so that the page reads them
/// instead of writing them again: they differ between targets (a header is two words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Constants {
    /// Bytes in a header ([`HEADER_SIZE`]).
    pub header_size: usize,
    /// Alignment of every header and data address ([`ALIGN`]).
    pub align: usize,
    /// The smallest data size of a block ([`MIN_DATA`]).
    pub min_data: usize,
    /// The largest data size of a block ([`MAX_SIZE`]).
    pub max_size: usize,
    /// Bytes in one page of the backend's memory (65,536 for `memory.grow`).
    pub page_size: usize,
    /// The most segments a heap has ([`MAX_SEGMENTS`]).
    pub max_segments: usize,
    /// Free bytes at the end of the heap past which the unchecked `free` gives them back
    /// ([`TRIM_THRESHOLD`]).
    pub trim_threshold: usize,
}

impl Constants {
    /// The constants of this build, on a backend whose pages hold `page_size` bytes.
    pub const fn with_page_size(page_size: usize) -> Constants {
        Constants {
            header_size: HEADER_SIZE,
            align: ALIGN,
            min_data: MIN_DATA,
            max_size: MAX_SIZE,
            page_size,
            max_segments: MAX_SEGMENTS,
            trim_threshold: TRIM_THRESHOLD,
        }
    }
}

/// One placement policy as the page offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    /// Its name in options, links and on the command line: `first-fit`.
    #[serde(serialize_with = "crate::json::policy")]
    pub name: Policy,
    /// As a label names it: `First fit` ([`wording::policy_label`]).
    pub label: &'static str,
    /// As a sentence names what chose a block: `first fit` ([`wording::policy_words`]).
    pub words: &'static str,
    /// What it does, in one sentence ([`wording::policy_summary`]).
    pub summary: &'static str,
}

impl PolicyInfo {
    /// The description of `policy`.
    pub const fn of(policy: Policy) -> PolicyInfo {
        PolicyInfo {
            name: policy,
            label: wording::policy_label(policy),
            words: wording::policy_words(policy),
            summary: wording::policy_summary(policy),
        }
    }

    /// Every policy, in the order of [`Policy::ALL`] (the teaching default first).
    pub fn all() -> Vec<PolicyInfo> {
        Policy::ALL.into_iter().map(PolicyInfo::of).collect()
    }
}

/// The fields of one block's row in the layout table (`Playground::layout`), in order: each
/// a `u32`.
pub const LAYOUT_FIELDS: [&str; 5] = ["header", "data", "size", "flags", "next"];

/// Number of `u32`s per block in the layout table.
pub const LAYOUT_STRIDE: usize = LAYOUT_FIELDS.len();

/// Flag bit of the layout table's `flags` field: the block is free.
pub const LAYOUT_FREE: u32 = 1;
/// Flag bit: some field of the block's header or bookkeeping is damaged (checks off only).
pub const LAYOUT_DAMAGED: u32 = 1 << 8;
/// Flag bit: the block's `next` does not lead to the block after it; the row's `next` is the
/// raw value, which may point outside the heap.
pub const LAYOUT_BROKEN_NEXT: u32 = 1 << 9;
/// Flag bit: the block's size does not end where the next block starts; the row's `size` is
/// the raw value, whose end may lie past the break.
pub const LAYOUT_BROKEN_SIZE: u32 = 1 << 10;

/// Flag bit: the row's `next` was derived, not read from the header: the heap does not store
/// `next` ([`Config::stores_next`](brkalloc::heap::Config::stores_next), boundary tags), so it
/// is `header + HEADER_SIZE + size` within a segment and the segment table's word across a gap.
pub const LAYOUT_DERIVED_NEXT: u32 = 1 << 11;

/// One block's row of the layout table, in the order of [`LAYOUT_FIELDS`], `derived` when the
/// heap does not store `next` ([`LAYOUT_DERIVED_NEXT`]). Addresses and sizes are `u32`s: on
/// wasm32, where the table is read, every `usize` fits.
pub fn layout_row(b: &BlockInfo, derived: bool) -> [u32; LAYOUT_STRIDE] {
    [
        b.header as u32,
        b.data as u32,
        b.size as u32,
        if b.free { LAYOUT_FREE } else { 0 } | if derived { LAYOUT_DERIVED_NEXT } else { 0 },
        b.next as u32,
    ]
}

/// A block's row as the heap run with the checks off walked it: the raw size and `next` (read
/// from the header: that heap stores `next` in every one), and flags for what is broken.
pub fn loose_row(w: &crate::loose::Walked) -> [u32; LAYOUT_STRIDE] {
    let mut row = layout_row(&w.info, false);
    for (on, bit) in [
        (w.damaged, LAYOUT_DAMAGED),
        (w.broken_next, LAYOUT_BROKEN_NEXT),
        (w.broken_size, LAYOUT_BROKEN_SIZE),
    ] {
        if on {
            row[3] |= bit;
        }
    }
    row
}

/// A simulated crash, as the page shows it: where, and the sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultJson {
    /// The address outside the heap (or where the loop was).
    pub address: usize,
    /// What happened, starting with the call: `malloc(8): segmentation fault: …`.
    pub message: alloc::string::String,
}

/// What `damage()` returns: the heap checked after a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DamageJson {
    /// The first damage's sentence (what broke and what a C program would run into next), or
    /// `null` when the heap is sound.
    pub message: Option<alloc::string::String>,
    /// Every damaged block.
    pub blocks: Vec<crate::loose::DamagedBlock>,
}

impl DamageJson {
    /// The damage a [`crate::loose::Damage`] reports.
    pub fn of(d: &crate::loose::Damage) -> DamageJson {
        DamageJson {
            message: d.message().map(alloc::string::String::from),
            blocks: d.damaged.clone(),
        }
    }
}

/// The layout table's shape, for the page to decode it by name instead of by fixed offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockTable {
    /// The fields of a row, in order ([`LAYOUT_FIELDS`]).
    pub fields: [&'static str; LAYOUT_STRIDE],
    /// `u32`s per row ([`LAYOUT_STRIDE`]).
    pub stride: usize,
    /// The bit of `flags` that says a block is free ([`LAYOUT_FREE`]).
    pub free_flag: u32,
    /// The bit that says a block's header is damaged ([`LAYOUT_DAMAGED`]).
    pub damaged_flag: u32,
    /// The bit that says `next` is broken and the row holds its raw value
    /// ([`LAYOUT_BROKEN_NEXT`]).
    pub broken_next_flag: u32,
    /// The bit that says the size is broken and the row holds its raw value
    /// ([`LAYOUT_BROKEN_SIZE`]).
    pub broken_size_flag: u32,
    /// The bit that says `next` was derived from the size (or the segment table), not read
    /// from the header ([`LAYOUT_DERIVED_NEXT`]).
    pub derived_next_flag: u32,
}

/// The layout table's shape.
pub const BLOCK_TABLE: BlockTable = BlockTable {
    fields: LAYOUT_FIELDS,
    stride: LAYOUT_STRIDE,
    free_flag: LAYOUT_FREE,
    damaged_flag: LAYOUT_DAMAGED,
    broken_next_flag: LAYOUT_BROKEN_NEXT,
    broken_size_flag: LAYOUT_BROKEN_SIZE,
    derived_next_flag: LAYOUT_DERIVED_NEXT,
};

/// Where in a text an error is: set on the `Error` that `parseScenario`, `loadTrace` and
/// `replayTrace` throw, beside its message, so that the page points at the spot without
/// reading the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorAt {
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column, in characters, when the error has one.
    pub column: Option<usize>,
}

impl From<&ScriptError> for ErrorAt {
    fn from(e: &ScriptError) -> ErrorAt {
        ErrorAt {
            line: e.line,
            column: Some(e.column),
        }
    }
}

impl From<&TraceError> for ErrorAt {
    fn from(e: &TraceError) -> ErrorAt {
        ErrorAt {
            line: e.line,
            column: e.column,
        }
    }
}

impl From<&ReplayError> for ErrorAt {
    fn from(e: &ReplayError) -> ErrorAt {
        match e {
            ReplayError::Invalid(e) => e.into(),
            ReplayError::Failed { line, .. } => ErrorAt {
                line: *line,
                column: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_row_holds_the_fields_in_the_order_they_are_named() {
        let b = BlockInfo {
            header: 16,
            data: 32,
            size: 48,
            free: true,
            next: 80,
        };
        let row = layout_row(&b, false);
        let field = |name: &str| row[LAYOUT_FIELDS.iter().position(|f| *f == name).unwrap()];
        assert_eq!(
            (field("header"), field("data"), field("size"), field("next")),
            (16, 32, 48, 80)
        );
        assert_eq!(field("flags"), LAYOUT_FREE);
        let used = layout_row(&BlockInfo { free: false, ..b }, false);
        assert_eq!(used[3] & LAYOUT_FREE, 0);
        let derived = layout_row(&BlockInfo { free: false, ..b }, true);
        assert_eq!(derived[3], LAYOUT_DERIVED_NEXT);
    }

    /// Every flag bit of the layout table is its own.
    #[test]
    fn the_layout_flags_are_distinct_bits() {
        let flags = [
            BLOCK_TABLE.free_flag,
            BLOCK_TABLE.damaged_flag,
            BLOCK_TABLE.broken_next_flag,
            BLOCK_TABLE.broken_size_flag,
            BLOCK_TABLE.derived_next_flag,
        ];
        for (i, a) in flags.iter().enumerate() {
            assert_eq!(a.count_ones(), 1, "{a:#x}");
            for b in &flags[i + 1..] {
                assert_eq!(a & b, 0, "{a:#x} and {b:#x}");
            }
        }
    }

    #[test]
    fn the_policy_list_follows_policy_all() {
        let names: Vec<&str> = PolicyInfo::all().iter().map(|p| p.name.name()).collect();
        let all: Vec<&str> = Policy::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names, all);
        let json = serde_json::to_value(PolicyInfo::of(Policy::Segregated)).unwrap();
        assert_eq!(json["name"], "segregated");
        assert_eq!(json["words"], "the segregated lists");
    }
}
