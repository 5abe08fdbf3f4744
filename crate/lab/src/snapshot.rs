//! What the heap looks like, as data: the picture the playground draws ([`Snapshot`]), and
//! its sums ([`Totals`]), which are the allocator's own [`Stats`] in the playground's words.

use alloc::vec::Vec;
use serde::Serialize;

use brkalloc::brk::Break;
use brkalloc::heap::{Config, Heap, StartMap};
use brkalloc::{BlockInfo, BrkAlloc, Observer, Pages, Policy, Stats, ALIGN, HEADER_SIZE};

/// The whole heap at one moment, from its start to the break.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Address of the first header (or of the break, when the heap has no block yet).
    pub heap_start: usize,
    /// The program break as this heap knows it: the end of its last block.
    pub brk: usize,
    /// Bytes in a header.
    pub header_size: usize,
    /// Alignment of every data address (and of every header).
    pub align: usize,
    /// Page accounting, when the backend obtains memory in pages.
    #[serde(serialize_with = "crate::json::pages")]
    pub pages: Option<Pages>,
    /// The policy in use.
    #[serde(serialize_with = "crate::json::policy")]
    pub policy: Policy,
    /// Runs of adjacent blocks, in address order. More than one when the break had to jump.
    pub segments: Vec<Segment>,
    /// Every block, in chain order.
    pub blocks: Vec<BlockSnapshot>,
    /// The segregated policy's size-class lists that hold at least one block (empty otherwise).
    pub free_lists: Vec<FreeList>,
    /// Sums over the blocks.
    pub totals: Totals,
}

/// A run of adjacent blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// The first header.
    pub start: usize,
    /// The end of the last block's data.
    pub end: usize,
}

/// One block: a header then its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockSnapshot {
    /// Address of the header.
    pub header: usize,
    /// Address of the data (what `malloc` returned).
    pub data: usize,
    /// Data bytes.
    pub size: usize,
    /// Header bytes.
    pub header_size: usize,
    /// Whether the block is free.
    pub free: bool,
    /// The header of the following block, or 0 (null) for the last.
    pub next: usize,
    /// Whether `next` was derived rather than read from the header: the heap's configuration
    /// does not store it ([`Config::stores_next`]; boundary tags), so within a segment it is
    /// `header + HEADER_SIZE + size`, and across a gap the heap's segment table says where.
    pub derived: bool,
    /// Index into [`Snapshot::segments`].
    pub segment: usize,
}

/// One size class of the segregated policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreeList {
    /// The class index.
    pub class: usize,
    /// The smallest data size the class holds.
    pub min_size: usize,
    /// The headers of the blocks in the list, in list order.
    pub blocks: Vec<usize>,
}

impl FreeList {
    /// Groups `(class, smallest size, header)` entries, as [`Heap::listed`]
    /// yields them (each list's entries together, in order), into one `FreeList` per class.
    pub fn group(entries: &[(usize, usize, usize)]) -> Vec<FreeList> {
        let mut lists: Vec<FreeList> = Vec::new();
        for &(class, min_size, block) in entries {
            match lists.last_mut() {
                Some(list) if list.class == class => list.blocks.push(block),
                _ => lists.push(FreeList {
                    class,
                    min_size,
                    blocks: alloc::vec![block],
                }),
            }
        }
        lists
    }
}

/// Sums over the blocks: [`Stats`], the allocator's one definition of the heap's totals and of
/// its fragmentation, as the playground shows them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Number of blocks.
    pub blocks: usize,
    /// Number of free blocks.
    pub free_blocks: usize,
    /// Data bytes in used blocks.
    pub used: usize,
    /// Data bytes in free blocks.
    pub free: usize,
    /// Bytes spent on headers.
    pub overhead: usize,
    /// Data bytes of the largest free block.
    pub largest_free: usize,
    /// External fragmentation, [`Stats::fragmentation`]: 1 − largest free / total free (0 when
    /// nothing is free).
    pub fragmentation: f64,
    /// Bytes between the heap start and the break, gaps between segments excluded.
    pub extent: usize,
    /// Runs of adjacent blocks: more than one when the break had to jump.
    pub segments: usize,
}

impl From<Stats> for Totals {
    fn from(s: Stats) -> Totals {
        Totals {
            blocks: s.blocks,
            free_blocks: s.free_blocks,
            used: s.used_bytes,
            free: s.free_bytes,
            overhead: s.blocks * HEADER_SIZE,
            largest_free: s.largest_free,
            fragmentation: s.fragmentation(),
            extent: s.heap_bytes,
            segments: s.segments,
        }
    }
}

impl Totals {
    /// The totals of a heap, in one walk of its chain, counted as a [`Snapshot`] counts them
    /// (segments as runs of adjacent blocks): what the playground's stats panel shows, without
    /// building the whole snapshot.
    pub fn of<B: Break, C: Config, O: Observer, M: StartMap>(heap: &Heap<B, C, O, M>) -> Totals {
        Stats::from_blocks(heap.heap_start(), heap.brk(), heap.blocks()).into()
    }
}

impl Snapshot {
    /// The heap as data.
    pub fn of<B: Break, C: Config, O: Observer, M: StartMap>(heap: &Heap<B, C, O, M>) -> Snapshot {
        let listed: Vec<_> = heap.listed().collect();
        Snapshot::build(
            heap.heap_start(),
            heap.brk(),
            heap.backend().pages(),
            heap.config().policy(),
            !heap.config().stores_next(),
            heap.blocks(),
            FreeList::group(&listed),
        )
    }

    /// The live heap of a global allocator as data. The blocks and lists are copied into
    /// memory set aside before the allocator's lock is taken ([`BrkAlloc::copy_into`]), so
    /// nothing is allocated while it is held; if the heap grew in between, it tries again.
    pub fn of_global<B: Break + Send, C: Config + Send>(alloc: &BrkAlloc<B, C>) -> Snapshot {
        let empty = BlockInfo {
            header: 0,
            data: 0,
            size: 0,
            free: false,
            next: 0,
        };
        // SAFETY: the closure only reads the heap's configuration: it frees, reallocates,
        // resets and writes nothing, which is all `with` asks.
        let derived = unsafe { alloc.with(|heap| !heap.config().stores_next()) };
        let (mut want_blocks, mut want_listed) = (16, 16);
        loop {
            let mut blocks = alloc::vec![empty; want_blocks];
            let mut listed = alloc::vec![(0, 0, 0); want_listed];
            let o = alloc.copy_into(&mut blocks, &mut listed);
            if o.blocks <= blocks.len() && o.listed <= listed.len() {
                blocks.truncate(o.blocks);
                listed.truncate(o.listed);
                return Snapshot::build(
                    o.heap_start,
                    o.brk,
                    o.pages,
                    o.policy,
                    derived,
                    blocks.into_iter(),
                    FreeList::group(&listed),
                );
            }
            want_blocks = o.blocks + 16;
            want_listed = o.listed + 16;
        }
    }

    /// Builds a snapshot from the blocks in chain order; `derived` when the heap does not
    /// store `next` in its headers (see [`BlockSnapshot::derived`]).
    pub fn build(
        heap_start: usize,
        brk: usize,
        pages: Option<Pages>,
        policy: Policy,
        derived: bool,
        blocks: impl Iterator<Item = BlockInfo>,
        free_lists: Vec<FreeList>,
    ) -> Snapshot {
        let blocks: Vec<BlockInfo> = blocks.collect();
        let mut segments: Vec<Segment> = Vec::new();
        let mut out = Vec::with_capacity(blocks.len());
        for b in &blocks {
            let end = b.data + b.size;
            match segments.last_mut() {
                Some(s) if s.end == b.header => s.end = end,
                _ => segments.push(Segment {
                    start: b.header,
                    end,
                }),
            }
            out.push(BlockSnapshot {
                header: b.header,
                data: b.data,
                size: b.size,
                header_size: HEADER_SIZE,
                free: b.free,
                next: b.next,
                derived,
                segment: segments.len() - 1,
            });
        }
        Snapshot {
            heap_start,
            brk,
            header_size: HEADER_SIZE,
            align: ALIGN,
            pages,
            policy,
            segments,
            blocks: out,
            free_lists,
            totals: Stats::from_blocks(heap_start, brk, blocks).into(),
        }
    }
}
