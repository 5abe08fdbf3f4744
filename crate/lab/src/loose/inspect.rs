//! Checking a [`LooseHeap`] after each step: which headers are damaged, which links are
//! broken and where they now point, and what a C program would run into next.
//!
//! The walk reads only through [`Memory`](super::Memory)'s checked reads, and every loop is
//! bounded, so any bytes can be inspected.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use brkalloc::{BlockInfo, Break, Policy, ALIGN, HEADER_SIZE, MIN_DATA};

use super::{class_of, LooseHeap, FLAGS, FREE, PREV_FREE, SEGMENT_START, WORD};
use crate::wording::Address;

/// A part of a header (or of a free block's bookkeeping) that is not what the heap's
/// invariants say it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The size: not a multiple of the alignment, too small, or running past the next header.
    Size,
    /// The flag bits: free, previous-free, segment start.
    Flags,
    /// The `next` pointer: not the header right after the block.
    Next,
    /// A free block's footer: not its own header's address.
    Footer,
    /// A free block's list links (segregated policy), or its place on the lists.
    Links,
}

impl Field {
    /// The field's name, as the page's `data-corrupt` attribute lists it.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Size => "size",
            Field::Flags => "flags",
            Field::Next => "next",
            Field::Footer => "footer",
            Field::Links => "links",
        }
    }
}

impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One block as the inspector walked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walked {
    /// Header, data, and the size and `next` exactly as the header holds them.
    pub info: BlockInfo,
    /// The header's flag bits.
    pub flags: usize,
    /// Some field of this block is damaged.
    pub damaged: bool,
    /// Its `next` does not lead to the block after it.
    pub broken_next: bool,
    /// Its size does not end where the next block starts.
    pub broken_size: bool,
}

/// A damaged block, what is wrong with it, in a sentence.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DamagedBlock {
    /// Its header.
    pub header: usize,
    /// What is wrong, in order.
    pub fields: Vec<Field>,
    /// What broke, and what a C program would run into next.
    pub message: String,
}

/// The result of [`LooseHeap::inspect`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Damage {
    /// The blocks, as far as the chain can be followed.
    pub blocks: Vec<Walked>,
    /// Each damaged block, in the order found.
    pub damaged: Vec<DamagedBlock>,
}

impl Damage {
    /// The first damage's sentence: what broke, and what a C program would run into next.
    pub fn message(&self) -> Option<&str> {
        self.damaged.first().map(|d| d.message.as_str())
    }
}

impl<B: Break> LooseHeap<B> {
    /// Checks the heap: walks the chain from the first block, as far as it leads to headers
    /// inside the heap, and the segregated lists, and reports every block whose header or
    /// bookkeeping breaks the heap's invariants.
    pub fn inspect(&self) -> Damage {
        let mem = self.memory();
        let (start, end) = (mem.start(), mem.end());
        let in_heap = |a: usize, len: usize| a >= start && a < end && end - a >= len;
        let word = |a: usize| mem.word(a, "").ok();
        let plausible = |a: usize| {
            in_heap(a, HEADER_SIZE) && a % ALIGN == 0 && {
                let size = word(a).unwrap_or(1) & !FLAGS;
                size % ALIGN == 0
                    && size >= MIN_DATA
                    && a + HEADER_SIZE <= end
                    && size <= end - a - HEADER_SIZE
            }
        };
        let segregated = self.options.policy == Policy::Segregated;
        let chain_walker = !segregated;
        let mut out = Damage::default();
        let mut notes: Vec<(usize, Field, String)> = Vec::new();
        let mut seen = Addresses::default();
        let mut b = self.head();
        let mut prev_free = false;
        let mut fuel = mem.bytes() / (HEADER_SIZE + MIN_DATA) + 2;
        if b != 0 && b != start {
            notes.push((
                b,
                Field::Next,
                format!(
                    "the heap's first block should start at {}, but its record says {}",
                    Address(start as u64),
                    Address(b as u64)
                ),
            ));
        }
        while b != 0 && fuel > 0 && in_heap(b, HEADER_SIZE) && seen.insert(b) {
            fuel -= 1;
            let (Some(tag), Some(next)) = (word(b), word(b + WORD)) else {
                break;
            };
            let size = tag & !FLAGS;
            let flags = tag & FLAGS;
            let free = flags & FREE != 0;
            let data = b + HEADER_SIZE;
            let block_end = data.wrapping_add(size);
            let size_ok =
                size % ALIGN == 0 && size >= MIN_DATA && block_end > b && block_end <= end;
            let expected = if size_ok && block_end == end {
                0
            } else {
                block_end
            };
            let next_ok = size_ok && next == expected;
            let mut broken_size = false;
            let mut broken_next = false;
            if !next_ok {
                if size_ok && (block_end == end || plausible(block_end)) {
                    broken_next = true;
                } else if next != 0 && plausible(next) && next > b {
                    broken_size = true;
                } else {
                    broken_size = !size_ok;
                    broken_next = true;
                }
            }
            let here = Address(b as u64);
            if broken_size {
                let to = Address(block_end as u64);
                let past = !(block_end > b && block_end <= end);
                let consequence = if past && free && chain_walker {
                    if self.options.split {
                        format!("and that the block is free: the next malloc that walks the chain takes it for a free block of {size} bytes, and splitting it, writes past the break at {to}")
                    } else {
                        format!("and that the block is free: the next malloc that walks the chain takes it for a free block of {size} bytes and hands it out again, while the program still uses it")
                    }
                } else if past {
                    format!("the block would end at {to}, past the break: a free or malloc that merges or splits it by that size writes past the break")
                } else {
                    format!("though the next header is {} bytes after its data: a free or malloc that trusts the size works on the wrong bytes",
                        next.wrapping_sub(data))
                };
                notes.push((
                    b,
                    Field::Size,
                    format!(
                        "the header at {here} now says size {size:#x}{}{consequence}",
                        if past && free && chain_walker {
                            " "
                        } else if past {
                            ": "
                        } else {
                            ", "
                        }
                    ),
                ));
            }
            if broken_next {
                let to = Address(next as u64);
                let whereto = if next == 0 {
                    String::from(
                        "null, which ends the chain early: the blocks after it are lost to malloc",
                    )
                } else if !in_heap(next, HEADER_SIZE) {
                    if next >= end && next < end.saturating_add(1 << 16) {
                        format!("{to}, past the break: the next malloc that walks the chain reads past the break and crashes")
                    } else {
                        format!("{to}, outside the heap: the next malloc that walks the chain follows it and crashes")
                    }
                } else if seen.contains(&next) {
                    format!("{to}, back to an earlier block: the chain loops, and the next malloc that walks it never ends")
                } else {
                    format!("{to}, which is not the block after it: the next malloc that walks the chain reads whatever is there as a header")
                };
                let whereto = if chain_walker {
                    whereto
                } else {
                    whereto.replace(
                        "the next malloc that walks the chain",
                        "the next free that gives memory back walks the chain,",
                    )
                };
                notes.push((
                    b,
                    Field::Next,
                    format!("the header at {here} now says next = {whereto}"),
                ));
            }
            // The flags: previous-free must say whether the block just before is free, and
            // segment start is set on the first block only.
            let want_prev_free = prev_free;
            if (flags & PREV_FREE != 0) != want_prev_free
                || (flags & SEGMENT_START != 0) != (b == self.head())
            {
                let what = if (flags & PREV_FREE != 0) != want_prev_free {
                    if want_prev_free {
                        "that the block before it is used, though it is free: the two are never merged"
                    } else {
                        "that the block before it is free: freeing this block merges it with whatever the word before the header points to"
                    }
                } else {
                    "a segment start where there is none (or none where there is one)"
                };
                notes.push((
                    b,
                    Field::Flags,
                    format!("the header at {here} now says {what}"),
                ));
            }
            if free && size_ok {
                let footer = word(block_end - WORD);
                if footer != Some(b) {
                    notes.push((b, Field::Footer, format!(
                        "the free block at {here} now has the footer {}, not its own header: freeing the block after it merges with whatever that points to",
                        Address(footer.unwrap_or(0) as u64)
                    )));
                }
            }
            out.blocks.push(Walked {
                info: BlockInfo {
                    header: b,
                    data,
                    size,
                    free,
                    next,
                },
                flags,
                damaged: false,
                broken_next,
                broken_size,
            });
            let adjacent_step = !broken_size && block_end < end;
            prev_free = free && adjacent_step;
            b = if next_ok && next != 0 {
                next
            } else if adjacent_step && plausible(block_end) {
                block_end
            } else if next != 0 && plausible(next) && !seen.contains(&next) {
                prev_free = false;
                next
            } else {
                0
            };
        }
        self.inspect_handed(&out.blocks, &mut notes);
        if segregated {
            self.inspect_lists(&out.blocks, &mut notes);
        }
        // Gather the notes per block, in the order the blocks were first named.
        for (header, field, message) in notes {
            match out.damaged.iter_mut().find(|d| d.header == header) {
                Some(d) => {
                    if !d.fields.contains(&field) {
                        d.fields.push(field);
                    }
                }
                None => out.damaged.push(DamagedBlock {
                    header,
                    fields: alloc::vec![field],
                    message,
                }),
            }
        }
        for w in &mut out.blocks {
            w.damaged = out.damaged.iter().any(|d| d.header == w.info.header);
        }
        out
    }

    /// What the program holds: an address handed out twice has two owners; one that is not a
    /// used block's data address lies inside another block (or in none).
    fn inspect_handed(&self, blocks: &[Walked], notes: &mut Vec<(usize, Field, String)>) {
        let handed = self.handed();
        for (i, &p) in handed.iter().enumerate() {
            let at = Address(p as u64);
            if handed[..i].contains(&p) {
                if let Some(w) = blocks.iter().find(|w| w.info.data == p) {
                    notes.push((w.info.header, Field::Links, format!(
                        "malloc has handed out {at} twice, and both are still in use: two owners of one block, each overwriting what the other writes"
                    )));
                }
                continue;
            }
            if blocks.iter().any(|w| w.info.data == p) {
                continue;
            }
            if let Some(w) = blocks
                .iter()
                .find(|w| p > w.info.header && p < w.info.data.saturating_add(w.info.size))
            {
                notes.push((w.info.header, Field::Links, format!(
                    "malloc has handed out {at}, which lies inside the block at {}: the two overlap, and each write through one changes the other",
                    Address(w.info.data as u64)
                )));
            }
        }
    }

    /// The segregated lists: each link must lead to a free block of the chain, of the list's
    /// class, whose back link points to where it came from; no list may loop; every free
    /// block but the last must be on its list.
    fn inspect_lists(&self, blocks: &[Walked], notes: &mut Vec<(usize, Field, String)>) {
        let mem = self.memory();
        let by_header = |h: usize| blocks.iter().find(|w| w.info.header == h);
        let mut listed = Addresses::default();
        for (class, min_size, head) in self.list_heads() {
            let mut prev = 0;
            let mut x = head;
            let mut visited = Addresses::default();
            let mut fuel = blocks.len() + 2;
            while x != 0 && fuel > 0 {
                fuel -= 1;
                let holder = if prev == 0 { x } else { prev };
                let at = Address(x as u64);
                let Some(w) = by_header(x) else {
                    notes.push((holder, Field::Links, format!(
                        "the free list of blocks of {min_size} bytes and more now links to {at}, which is not a block: the next malloc of that size {}",
                        if mem.check(x, HEADER_SIZE + 2 * WORD, true, "").is_err() { "follows it and crashes" } else { "takes whatever is there for a free block" }
                    )));
                    break;
                };
                if !visited.insert(x) {
                    notes.push((holder, Field::Links, format!(
                        "the free list of blocks of {min_size} bytes and more now loops back to the block at {at}: the next mallocs of that size hand out the same block again and again"
                    )));
                    break;
                }
                listed.insert(x);
                if !w.info.free {
                    notes.push((x, Field::Links, format!(
                        "the used block at {at} is still on the free list of blocks of {min_size} bytes and more: the next malloc of that size hands it out a second time"
                    )));
                } else if class_of(w.info.size) != (class / 8, class % 8) {
                    notes.push((x, Field::Links, format!(
                        "the free block at {at} is on the list of blocks of {min_size} bytes and more, but holds {} bytes",
                        w.info.size
                    )));
                }
                let links = mem
                    .word(x + HEADER_SIZE, "")
                    .ok()
                    .zip(mem.word(x + HEADER_SIZE + WORD, "").ok());
                let Some((back, next)) = links else { break };
                if next != 0 && (next == x || visited.contains(&next)) {
                    notes.push((
                        x,
                        Field::Links,
                        format!(
                            "the free list of blocks of {min_size} bytes and more now loops: the \
                             block at {at} links back to {}, so the next mallocs of that size \
                             hand out the same block again and again",
                            Address(next as u64)
                        ),
                    ));
                    break;
                }
                if back != prev {
                    notes.push((x, Field::Links, format!(
                        "the free block at {at}'s back link now says {}, not {}: taking it off its list writes there",
                        Address(back as u64),
                        Address(prev as u64)
                    )));
                }
                prev = x;
                x = next;
            }
        }
        let last = blocks.last().map(|w| w.info.header);
        for w in blocks {
            if w.info.free && Some(w.info.header) != last && !listed.contains(&w.info.header) {
                notes.push((
                    w.info.header,
                    Field::Links,
                    format!(
                        "the free block at {} is on no free list: malloc never reuses it",
                        Address(w.info.header as u64)
                    ),
                ));
            }
        }
    }
}

/// A set of addresses: a sorted list (smaller in the wasm module than a `BTreeSet`).
#[derive(Default)]
struct Addresses(Vec<usize>);

impl Addresses {
    /// Adds `a`; `false` when it was there already.
    fn insert(&mut self, a: usize) -> bool {
        match self.0.binary_search(&a) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, a);
                true
            }
        }
    }

    fn contains(&self, a: &usize) -> bool {
        self.0.binary_search(a).is_ok()
    }
}
