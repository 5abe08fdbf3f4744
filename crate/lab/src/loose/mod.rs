//! "As C does": the allocator's own algorithm, run on a heap whose bytes a learner may have
//! broken, with every read and write of heap memory checked.
//!
//! A C allocator trusts its headers. When a `strcpy` runs into the next block's header, or a
//! block is freed twice, it goes on doing exactly what its code says with whatever the bytes
//! now hold: it follows a `next` that points anywhere, files a block on a list it is already
//! on, hands one block out twice. [`LooseHeap`] does the same, step for step as
//! [`brkalloc::Heap`]'s checked operations do on a sound heap (same placement, splits, merges,
//! lists, footers and break moves, the same bytes written; a property test runs both side by
//! side and compares every byte), but:
//!
//! - it validates nothing: `free` and `realloc` take the header just before the pointer they
//!   are given, whatever is there;
//! - every read and write of heap memory goes through [`Memory`], which refuses any address
//!   outside the memory the break handed out. An operation that would touch such an address
//!   stops as a simulated crash ([`Fault`]: a "segmentation fault"), and so does one that
//!   walks a chain or list longer than the heap could hold (a loop a C program would spin in
//!   forever). A crashed operation is undone entirely: every byte it wrote, the break, and the
//!   heap's own records, so that it changes nothing;
//! - all arithmetic on values read from the heap wraps: no size or pointer a learner writes
//!   can make it panic.
//!
//! [`inspect`](LooseHeap::inspect) checks the heap after each step and says, per block, what
//! is broken, and in one sentence what a C program would run into next.
//!
//! It does not serve allocations aligned beyond [`ALIGN`] (the playground asks for none), and
//! when the break hands out memory that is not adjacent to the heap (someone else grew the
//! memory in between), it gives it back and refuses the request instead of starting a new
//! segment.

mod inspect;
mod memory;

pub use inspect::{Damage, DamagedBlock, Field, Walked};
pub use memory::{Fault, Memory};

use alloc::vec::Vec;

use brkalloc::heap::data_size;
use brkalloc::{BlockInfo, Break, Event, Observer, Options, Policy, ALIGN, HEADER_SIZE, MIN_DATA};

use crate::Recorder;

/// One machine word.
pub(crate) const WORD: usize = core::mem::size_of::<usize>();
/// Flag: the block is free.
pub const FREE: usize = 1;
/// Flag: the block just before this one (same segment) is free.
pub const PREV_FREE: usize = 2;
/// Flag: this block starts a segment.
pub const SEGMENT_START: usize = 4;
/// The flag bits of a header's first word.
pub const FLAGS: usize = FREE | PREV_FREE | SEGMENT_START;

/// Second-level classes per first-level class of the segregated lists, as a power of two.
const SL_BITS: u32 = 3;
/// Second-level classes.
const SL: usize = 1 << SL_BITS;
/// Sizes below this map linearly, one class per [`ALIGN`].
const LINEAR: usize = ALIGN << SL_BITS;
const LINEAR_SHIFT: u32 = LINEAR.trailing_zeros();
/// First-level classes.
const FL: usize = (usize::BITS - LINEAR_SHIFT + 1) as usize;
/// Blocks of the exact class the segregated search tries before a larger class.
const EXACT_CLASS_TRIES: usize = 8;
/// Of how many blocks of the larger class the search takes the smallest.
const CLASS_TRIES: usize = 2;

/// The class `(first level, second level)` of blocks of exactly `size` bytes.
pub(crate) fn class_of(size: usize) -> (usize, usize) {
    if size < LINEAR {
        (0, size / ALIGN)
    } else {
        let f = usize::BITS - 1 - size.leading_zeros();
        (
            (f - LINEAR_SHIFT + 1) as usize,
            (size >> (f - SL_BITS)) & (SL - 1),
        )
    }
}

/// The smallest size of class `(fl, sl)`.
pub(crate) fn class_min(fl: usize, sl: usize) -> usize {
    if fl == 0 {
        sl * ALIGN
    } else {
        let f = fl as u32 + LINEAR_SHIFT - 1;
        (1usize << f) | (sl << (f - SL_BITS))
    }
}

/// The class from which every block holds `size` bytes.
fn class_at_least(size: usize) -> Option<(usize, usize)> {
    if size < LINEAR {
        return Some((0, size.div_ceil(ALIGN)));
    }
    let f = usize::BITS - 1 - size.leading_zeros();
    let rounded = size.checked_add((1usize << (f - SL_BITS)) - 1)?;
    Some(class_of(rounded))
}

/// How an operation of a [`LooseHeap`] can end other than with its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A simulated crash: nothing changed.
    Fault(Fault),
    /// The request cannot be served (out of memory, too large), as `malloc` returning NULL:
    /// nothing changed. The sentence says why.
    Refused(alloc::string::String),
}

impl From<Fault> for Stop {
    fn from(f: Fault) -> Stop {
        Stop::Fault(f)
    }
}

/// The heap's own records, kept outside heap memory: what a crashed operation restores.
#[derive(Clone)]
struct Records {
    head: usize,
    tail: usize,
    rover: usize,
    heads: [[usize; SL]; FL],
    fl_map: usize,
    sl_map: [u32; FL],
    /// Every address `malloc`, `calloc` and `realloc` handed out and no `free` or moving
    /// `realloc` has taken back, as often as it was handed out: what the program holds. Not
    /// the allocator's (a C allocator keeps no such list): the inspector's, to say when two
    /// owners hold one block, or one lies inside another.
    handed: Vec<usize>,
}

/// The allocator run as C runs it. See the [module documentation](self).
pub struct LooseHeap<B: Break> {
    mem: Memory<B>,
    options: Options,
    r: Records,
    /// What the operations did, for narration.
    pub recorder: Recorder,
}

type Res<T> = Result<T, Stop>;

impl<B: Break> LooseHeap<B> {
    /// An empty heap over `brk`, with `options`.
    pub fn new(brk: B, options: Options, recorder: Recorder) -> Self {
        LooseHeap {
            mem: Memory::new(brk),
            options,
            r: Records {
                head: 0,
                tail: 0,
                rover: 0,
                heads: [[0; SL]; FL],
                fl_map: 0,
                sl_map: [0; FL],
                handed: Vec::new(),
            },
            recorder,
        }
    }

    /// Forgets every block and moves the break back to where the heap started, as
    /// [`brkalloc::Heap::reset`] does; returns the backend.
    pub fn into_backend(self) -> B {
        self.mem.into_backend()
    }

    /// The options.
    pub fn options(&self) -> Options {
        self.options
    }

    /// The heap's memory, to read.
    pub fn memory(&self) -> &Memory<B> {
        &self.mem
    }

    /// The first block's header (0: none).
    pub fn head(&self) -> usize {
        self.r.head
    }

    /// The address of the first header, or of the break when there is no block.
    pub fn heap_start(&self) -> usize {
        if self.r.head != 0 {
            self.r.head
        } else {
            self.mem.end()
        }
    }

    /// The heap's break.
    pub fn brk(&self) -> usize {
        self.mem.end()
    }

    /// The segregated lists' non-empty heads, as `(class, smallest size, header)`.
    pub fn list_heads(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..FL).flat_map(move |fl| {
            (0..SL).filter_map(move |sl| {
                let h = self.r.heads[fl][sl];
                (h != 0).then(|| (fl * SL + sl, class_min(fl, sl), h))
            })
        })
    }

    /// The segregated lists' entries, as `(class, smallest size, header)`, lowest class first
    /// and each list in order, as `Heap::listed` gives them: each list followed while its
    /// links lead to one of `blocks` (the inspector's walk), at most as far as there are
    /// blocks, so a broken or looping list ends.
    pub fn listed(&self, blocks: &[Walked]) -> Vec<(usize, usize, usize)> {
        let mut entries = Vec::new();
        for (class, min, head) in self.list_heads() {
            let mut x = head;
            for _ in 0..blocks.len() {
                if !blocks.iter().any(|w| w.info.header == x) {
                    break;
                }
                entries.push((class, min, x));
                match self.links(x) {
                    Ok((_, next)) if next != 0 => x = next,
                    _ => break,
                }
            }
        }
        entries
    }

    /// Runs `op`; if it stops, undoes everything it did.
    fn transaction<T>(&mut self, op: impl FnOnce(&mut Self) -> Res<T>) -> Res<T> {
        let records = self.r.clone();
        self.mem.begin();
        match op(self) {
            Ok(v) => {
                self.mem.commit();
                Ok(v)
            }
            Err(stop) => {
                self.mem.rollback();
                self.r = records;
                if let Stop::Fault(_) = stop {
                    // The crashed operation's events describe nothing that happened.
                    self.recorder.take();
                }
                Err(stop)
            }
        }
    }

    /// `malloc(size)`.
    pub fn alloc(&mut self, size: usize) -> Res<usize> {
        self.transaction(|h| {
            let need = data_size(size).ok_or_else(|| too_large(size))?;
            let p = h.alloc_need(need)?;
            h.r.handed.push(p);
            Ok(p)
        })
    }

    /// `calloc(count, size)`.
    pub fn calloc(&mut self, count: usize, size: usize) -> Res<usize> {
        self.transaction(|h| {
            let bytes = count.checked_mul(size).ok_or_else(|| {
                Stop::Refused(alloc::format!(
                    "{count} × {size} bytes does not fit in an address"
                ))
            })?;
            let need = data_size(bytes).ok_or_else(|| too_large(bytes))?;
            let p = h.alloc_need(need)?;
            h.mem.fill(p, 0, bytes, "the new block's data")?;
            h.r.handed.push(p);
            Ok(p)
        })
    }

    /// `free(ptr)`, as C does it: the header just before `ptr` is trusted. `free(NULL)` does
    /// nothing.
    pub fn free(&mut self, ptr: usize) -> Res<()> {
        if ptr == 0 {
            return Ok(());
        }
        self.transaction(|h| {
            h.free_block(ptr.wrapping_sub(HEADER_SIZE))?;
            h.take_back(ptr);
            Ok(())
        })
    }

    /// Forgets one handing out of `p`, if there was one.
    fn take_back(&mut self, p: usize) {
        if let Some(i) = self.r.handed.iter().position(|&x| x == p) {
            self.r.handed.swap_remove(i);
        }
    }

    /// The addresses handed out and not taken back (see `Records::handed`).
    pub fn handed(&self) -> &[usize] {
        &self.r.handed
    }

    /// `realloc(ptr, size)`, as C does it. `realloc(NULL, size)` is `malloc(size)`.
    pub fn realloc(&mut self, ptr: usize, size: usize) -> Res<usize> {
        if ptr == 0 {
            return self.alloc(size);
        }
        self.transaction(|h| {
            let need = data_size(size).ok_or_else(|| too_large(size))?;
            let p = h.realloc_block(ptr.wrapping_sub(HEADER_SIZE), need)?;
            if p != ptr {
                h.take_back(ptr);
                h.r.handed.push(p);
            }
            Ok(p)
        })
    }

    /// Writes `bytes` at `addr`, anywhere in the heap's memory (headers included), as a C
    /// program may. Crashes when any byte lies outside it.
    pub fn write(&mut self, addr: usize, bytes: &[u8]) -> Res<()> {
        self.transaction(|h| Ok(h.mem.write_bytes(addr, bytes, "the bytes written")?))
    }

    /// Reads `len` bytes at `addr`, anywhere in the heap's memory.
    pub fn read(&self, addr: usize, len: usize) -> Result<Vec<u8>, Fault> {
        self.mem.read_bytes(addr, len, "the bytes read")
    }

    // ------------------------------------------------------------------ header fields

    fn tag(&self, b: usize) -> Result<usize, Fault> {
        self.mem.word(b, "a block's header")
    }
    fn size(&self, b: usize) -> Result<usize, Fault> {
        Ok(self.tag(b)? & !FLAGS)
    }
    fn flags(&self, b: usize) -> Result<usize, Fault> {
        Ok(self.tag(b)? & FLAGS)
    }
    fn has(&self, b: usize, flag: usize) -> Result<bool, Fault> {
        Ok(self.tag(b)? & flag != 0)
    }
    fn next(&self, b: usize) -> Result<usize, Fault> {
        self.mem
            .word(b.wrapping_add(WORD), "a block's next pointer")
    }
    fn set_tag(&mut self, b: usize, tag: usize) -> Result<(), Fault> {
        self.mem.set_word(b, tag, "a block's header")
    }
    fn set_size(&mut self, b: usize, size: usize) -> Result<(), Fault> {
        let flags = self.flags(b)?;
        self.set_tag(b, size | flags)
    }
    fn set_flag(&mut self, b: usize, flag: usize, on: bool) -> Result<(), Fault> {
        let t = self.tag(b)?;
        self.set_tag(b, if on { t | flag } else { t & !flag })
    }
    fn set_next(&mut self, b: usize, next: usize) -> Result<(), Fault> {
        self.mem
            .set_word(b.wrapping_add(WORD), next, "a block's next pointer")
    }
    fn data(b: usize) -> usize {
        b.wrapping_add(HEADER_SIZE)
    }
    fn end(&self, b: usize) -> Result<usize, Fault> {
        Ok(Self::data(b).wrapping_add(self.size(b)?))
    }
    fn next_is_adjacent(&self, b: usize) -> Result<bool, Fault> {
        let n = self.next(b)?;
        Ok(n != 0 && n == self.end(b)?)
    }
    fn write_footer(&mut self, b: usize) -> Result<(), Fault> {
        let at = self.end(b)?.wrapping_sub(WORD);
        self.mem.set_word(at, b, "a free block's footer")
    }
    fn prev_free(&self, b: usize) -> Result<usize, Fault> {
        self.mem
            .word(b.wrapping_sub(WORD), "the footer of the block before")
    }
    fn links(&self, b: usize) -> Result<(usize, usize), Fault> {
        let d = Self::data(b);
        Ok((
            self.mem.word(d, "a free block's list link")?,
            self.mem
                .word(d.wrapping_add(WORD), "a free block's list link")?,
        ))
    }
    fn set_link_prev(&mut self, b: usize, prev: usize) -> Result<(), Fault> {
        self.mem
            .set_word(Self::data(b), prev, "a free block's list link")
    }
    fn set_link_next(&mut self, b: usize, next: usize) -> Result<(), Fault> {
        self.mem.set_word(
            Self::data(b).wrapping_add(WORD),
            next,
            "a free block's list link",
        )
    }
    fn is_free(&self, b: usize) -> Result<bool, Fault> {
        self.has(b, FREE)
    }

    /// How many steps a walk may take before it is a loop: more than the heap has blocks.
    fn fuel(&self) -> usize {
        self.mem.bytes() / (HEADER_SIZE + MIN_DATA) + 2
    }

    fn event(&mut self, e: Event) {
        self.recorder.event(e);
    }

    fn segregated(&self) -> bool {
        self.options.policy == Policy::Segregated
    }

    // ------------------------------------------------------------------ the lists

    fn file(&mut self, b: usize) -> Result<(), Fault> {
        if self.segregated() && b != self.r.tail {
            let (fl, sl) = class_of(self.size(b)?);
            let head = self.r.heads[fl][sl];
            self.r.heads[fl][sl] = b;
            self.set_link_prev(b, 0)?;
            self.set_link_next(b, head)?;
            if head == 0 {
                self.r.fl_map |= 1 << fl;
                self.r.sl_map[fl] |= 1 << sl;
            } else {
                self.set_link_prev(head, b)?;
            }
        }
        Ok(())
    }

    fn unfile(&mut self, b: usize) -> Result<(), Fault> {
        if self.segregated() && b != self.r.tail {
            let (prev, next) = self.links(b)?;
            if next != 0 {
                self.set_link_prev(next, prev)?;
            }
            if prev == 0 {
                let (fl, sl) = class_of(self.size(b)?);
                self.r.heads[fl][sl] = next;
                if next == 0 {
                    self.r.sl_map[fl] &= !(1 << sl);
                    if self.r.sl_map[fl] == 0 {
                        self.r.fl_map &= !(1 << fl);
                    }
                }
            } else {
                self.set_link_next(prev, next)?;
            }
        }
        Ok(())
    }

    fn find_from(&self, fl: usize, sl: usize) -> Option<(usize, usize)> {
        if fl >= FL {
            return None;
        }
        let here = if sl >= SL {
            0
        } else {
            self.r.sl_map[fl] & (u32::MAX << sl)
        };
        if here != 0 {
            return Some((fl, here.trailing_zeros() as usize));
        }
        let above = if fl + 1 >= FL {
            0
        } else {
            self.r.fl_map & (usize::MAX << (fl + 1))
        };
        if above == 0 {
            return None;
        }
        let fl = above.trailing_zeros() as usize;
        Some((fl, self.r.sl_map[fl].trailing_zeros() as usize))
    }

    // ------------------------------------------------------------------ searching

    fn find(&mut self, need: usize) -> Res<Option<usize>> {
        let head = self.r.head;
        Ok(match self.options.policy {
            Policy::Segregated => match self.find_listed(need)? {
                Some(b) => Some(b),
                None => {
                    let t = self.r.tail;
                    if t != 0 && self.is_free(t)? && self.size(t)? >= need {
                        Some(t)
                    } else {
                        None
                    }
                }
            },
            Policy::FirstFit => self.walk(head, 0, need, false)?,
            Policy::NextFit => {
                let start = if self.r.rover == 0 {
                    head
                } else {
                    self.r.rover
                };
                match self.walk(start, 0, need, false)? {
                    Some(b) => Some(b),
                    None if start == head => None,
                    None => self.walk(head, start, need, false)?,
                }
            }
            Policy::BestFit | Policy::WorstFit => self.walk(head, 0, need, true)?,
        })
    }

    fn walk(&mut self, from: usize, until: usize, need: usize, whole: bool) -> Res<Option<usize>> {
        let worst = self.options.policy == Policy::WorstFit;
        let mut best: Option<(usize, usize)> = None;
        let mut b = from;
        let mut fuel = self.fuel();
        while b != 0 && b != until {
            fuel = burn(fuel, b, "the chain of blocks")?;
            let (tag, next) = (self.tag(b)?, self.next(b)?);
            let (free, size) = (tag & FREE != 0, tag & !FLAGS);
            let fits = free && size >= need;
            self.event(Event::Visit {
                block: b,
                size,
                free,
                fits,
            });
            if fits {
                if !whole {
                    return Ok(Some(b));
                }
                let better = match best {
                    None => true,
                    Some((_, s)) => {
                        if worst {
                            size > s
                        } else {
                            size < s
                        }
                    }
                };
                if better {
                    best = Some((b, size));
                    if !worst && size == need {
                        break;
                    }
                }
            }
            b = next;
        }
        Ok(best.map(|(b, _)| b))
    }

    fn find_listed(&mut self, need: usize) -> Res<Option<usize>> {
        let (fl, sl) = class_of(need);
        let mut b = self.r.heads[fl][sl];
        for _ in 0..EXACT_CLASS_TRIES {
            if b == 0 {
                break;
            }
            if self.size(b)? >= need {
                self.found(fl, sl);
                return Ok(Some(b));
            }
            b = self.links(b)?.1;
        }
        let Some((fl, sl)) = class_at_least(need) else {
            return Ok(None);
        };
        let Some((fl, sl)) = self.find_from(fl, sl) else {
            return Ok(None);
        };
        let b = self.r.heads[fl][sl];
        let mut best = b;
        let mut best_size = self.size(b)?;
        let mut x = self.links(b)?.1;
        for _ in 1..CLASS_TRIES {
            if x == 0 {
                break;
            }
            let size = self.size(x)?;
            if size < best_size {
                best = x;
                best_size = size;
            }
            x = self.links(x)?.1;
        }
        self.found(fl, sl);
        Ok(Some(best))
    }

    fn found(&mut self, fl: usize, sl: usize) {
        self.event(Event::SizeClass {
            class: fl * SL + sl,
            min_size: class_min(fl, sl),
        });
    }

    // ------------------------------------------------------------------ the operations

    fn alloc_need(&mut self, need: usize) -> Res<usize> {
        if let Some(b) = self.find(need)? {
            return Ok(self.take(b, need)?);
        }
        self.append(need)
    }

    fn take(&mut self, b: usize, need: usize) -> Result<usize, Fault> {
        self.unfile(b)?;
        let size = self.size(b)?;
        self.set_flag(b, FREE, false)?;
        self.event(Event::Reuse { block: b, size });
        if self.options.split && size.wrapping_sub(need) >= HEADER_SIZE + MIN_DATA && size >= need {
            let rest = self.split(b, need, true, false)?;
            self.file(rest)?;
        } else if self.next_is_adjacent(b)? {
            let n = self.next(b)?;
            self.set_flag(n, PREV_FREE, false)?;
        }
        if self.options.policy == Policy::NextFit {
            self.r.rover = b;
        }
        Ok(Self::data(b))
    }

    fn split(
        &mut self,
        b: usize,
        size: usize,
        rest_free: bool,
        mark_next: bool,
    ) -> Result<usize, Fault> {
        let rest_size = self.size(b)?.wrapping_sub(size).wrapping_sub(HEADER_SIZE);
        let b_free = self.is_free(b)?;
        let mut flags = if rest_free { FREE } else { 0 };
        if b_free {
            flags |= PREV_FREE;
        }
        let rest = Self::data(b).wrapping_add(size);
        let next = self.next(b)?;
        self.set_tag(rest, rest_size | flags)?;
        self.set_next(rest, next)?;
        self.set_size(b, size)?;
        self.set_next(b, rest)?;
        if b_free {
            self.write_footer(b)?;
        }
        if rest_free {
            self.write_footer(rest)?;
        }
        if mark_next && self.next_is_adjacent(rest)? {
            let n = self.next(rest)?;
            self.set_flag(n, PREV_FREE, rest_free)?;
        }
        if b == self.r.tail {
            self.r.tail = rest;
        }
        self.event(Event::Split {
            block: b,
            size,
            rest,
            rest_size,
        });
        Ok(rest)
    }

    fn absorb_next(&mut self, b: usize) -> Result<(), Fault> {
        let n = self.next(b)?;
        let size = self
            .size(b)?
            .wrapping_add(HEADER_SIZE)
            .wrapping_add(self.size(n)?);
        let nn = self.next(n)?;
        self.set_next(b, nn)?;
        self.set_size(b, size)?;
        let free = self.is_free(b)?;
        if free {
            self.write_footer(b)?;
        }
        if self.next_is_adjacent(b)? {
            let after = self.next(b)?;
            self.set_flag(after, PREV_FREE, free)?;
        }
        self.forget(n, b);
        self.event(Event::Coalesce {
            block: b,
            absorbed: n,
            size,
        });
        Ok(())
    }

    fn forget(&mut self, gone: usize, into: usize) {
        if gone == self.r.tail {
            self.r.tail = into;
        }
        if self.options.policy == Policy::NextFit && gone == self.r.rover {
            self.r.rover = into;
        }
    }

    fn free_block(&mut self, b: usize) -> Res<()> {
        let mut b = b;
        let mut size = self.size(b)?;
        let mut next = self.next(b)?;
        self.event(Event::MarkFree { block: b, size });
        let mut adjacent = next != 0 && next == Self::data(b).wrapping_add(size);
        let mut flags = self.flags(b)? | FREE;
        let mut listed = false;
        if self.options.coalesce {
            if adjacent && self.is_free(next)? {
                self.unfile(next)?;
                let absorbed = next;
                size = size
                    .wrapping_add(HEADER_SIZE)
                    .wrapping_add(self.size(absorbed)?);
                next = self.next(absorbed)?;
                adjacent = false;
                self.forget(absorbed, b);
                self.event(Event::Coalesce {
                    block: b,
                    absorbed,
                    size,
                });
            }
            if flags & PREV_FREE != 0 {
                let p = self.prev_free(b)?;
                let p_size = self.size(p)?;
                size = size.wrapping_add(HEADER_SIZE).wrapping_add(p_size);
                listed =
                    self.segregated() && b != self.r.tail && class_of(p_size) == class_of(size);
                if !listed {
                    self.unfile(p)?;
                }
                flags = self.flags(p)?;
                self.forget(b, p);
                self.event(Event::Coalesce {
                    block: p,
                    absorbed: b,
                    size,
                });
                b = p;
            }
        }
        self.set_tag(b, size | flags)?;
        self.set_next(b, next)?;
        self.write_footer(b)?;
        if adjacent {
            self.set_flag(next, PREV_FREE, true)?;
        }
        if !listed {
            self.file(b)?;
        }
        let mut ends_free = b == self.r.tail;
        if !ends_free && self.options.trim && !self.options.coalesce {
            let mut x = b;
            let mut fuel = self.fuel();
            while self.next_is_adjacent(x)? && self.is_free(self.next(x)?)? {
                fuel = burn(fuel, x, "the chain of blocks")?;
                x = self.next(x)?;
            }
            ends_free = x == self.r.tail;
        }
        if ends_free {
            let mut run = b;
            if self.options.trim {
                let mut fuel = self.fuel();
                while self.has(run, PREV_FREE)? {
                    fuel = burn(fuel, run, "the chain of blocks")?;
                    run = self.prev_free(run)?;
                }
            }
            self.release(run, 0)?;
        }
        Ok(())
    }

    fn prev_of(&self, b: usize, known: usize) -> Result<usize, Fault> {
        if b == self.r.head {
            return Ok(0);
        }
        if known != 0 {
            return Ok(known);
        }
        let mut p = self.r.head;
        let mut fuel = self.fuel();
        while self.next(p)? != b {
            fuel = burn(fuel, p, "the chain of blocks")?;
            p = self.next(p)?;
        }
        Ok(p)
    }

    fn release(&mut self, run: usize, known: usize) -> Result<(), Fault> {
        let mut run = run;
        let mut known = known;
        if self.has(run, SEGMENT_START)? && run != self.r.head {
            known = run;
            run = self.next(run)?;
            if run == 0 {
                return Ok(());
            }
        }
        let prev = self.prev_of(run, known)?;
        let mut count = 0;
        let mut x = run;
        let mut fuel = self.fuel();
        while x != 0 {
            fuel = burn(fuel, x, "the chain of blocks")?;
            self.unfile(x)?;
            count += 1;
            x = self.next(x)?;
        }
        let from = self.mem.end();
        let bytes = from.wrapping_sub(run);
        if !self.mem.lower_break(bytes) {
            let mut x = run;
            let mut fuel = self.fuel();
            while x != 0 {
                fuel = burn(fuel, x, "the chain of blocks")?;
                self.file(x)?;
                x = self.next(x)?;
            }
            return Ok(());
        }
        if self.r.rover != 0 && self.r.rover >= run {
            self.r.rover = 0;
        }
        if prev == 0 {
            self.r.head = 0;
            self.r.tail = 0;
        } else {
            self.set_next(prev, 0)?;
            if self.is_free(prev)? {
                self.unfile(prev)?;
            }
            self.r.tail = prev;
        }
        self.event(Event::Release {
            block: run,
            blocks: count,
            bytes,
        });
        self.event(Event::BreakMoved {
            from,
            to: self.mem.end(),
        });
        Ok(())
    }

    /// With coalescing, a free last block too small for `need` grows by moving the break.
    fn extend_tail(&mut self, need: usize) -> Res<Option<usize>> {
        let t = self.r.tail;
        if !self.options.coalesce || t == 0 || !self.is_free(t)? {
            return Ok(None);
        }
        let from = self.size(t)?;
        let extra = need.saturating_sub(from);
        if extra > 0 {
            let old_end = self.mem.end();
            self.mem.grow(extra)?;
            self.unfile(t)?;
            self.set_size(t, from.wrapping_add(extra))?;
            self.write_footer(t)?;
            self.file(t)?;
            self.event(Event::BreakMoved {
                from: old_end,
                to: self.mem.end(),
            });
            self.event(Event::Extend {
                block: t,
                from,
                to: from.wrapping_add(extra),
            });
        }
        Ok(Some(self.take(t, need)?))
    }

    fn append(&mut self, need: usize) -> Res<usize> {
        let pages_before = self.mem.pages();
        if let Some(p) = self.extend_tail(need)? {
            return Ok(p);
        }
        let at = self.mem.end();
        let old_tail = self.r.tail;
        self.mem.grow(HEADER_SIZE + need)?;
        let prev_free = old_tail != 0 && self.is_free(old_tail)?;
        let seg_flag = if old_tail == 0 { SEGMENT_START } else { 0 };
        self.set_tag(at, need | seg_flag | if prev_free { PREV_FREE } else { 0 })?;
        self.set_next(at, 0)?;
        if old_tail == 0 {
            self.r.head = at;
        } else {
            self.set_next(old_tail, at)?;
        }
        self.r.tail = at;
        if old_tail != 0 && self.is_free(old_tail)? {
            self.file(old_tail)?;
        }
        self.event(Event::BreakMoved {
            from: at,
            to: self.mem.end(),
        });
        if let (Some(before), Some(after)) = (pages_before, self.mem.pages()) {
            if after.grown > before.grown {
                self.event(Event::PagesGrown {
                    pages: after.grown - before.grown,
                    total: after.grown,
                });
            }
        }
        self.event(Event::Append {
            block: at,
            size: need,
        });
        Ok(Self::data(at))
    }

    fn realloc_block(&mut self, b: usize, need: usize) -> Res<usize> {
        let old = self.size(b)?;
        let split_min = HEADER_SIZE + MIN_DATA;
        if need <= old {
            if self.options.split && old - need >= split_min {
                self.shrink(b, need)?;
            }
            self.resized(b, old)?;
            return Ok(Self::data(b));
        }
        let next = self.next(b)?;
        if self.next_is_adjacent(b)?
            && self.is_free(next)?
            && old.wrapping_add(HEADER_SIZE).wrapping_add(self.size(next)?) >= need
        {
            self.unfile(next)?;
            self.absorb_next(b)?;
            let size = self.size(b)?;
            if self.options.split && size >= need && size - need >= split_min {
                self.shrink(b, need)?;
            }
            self.resized(b, old)?;
            return Ok(Self::data(b));
        }
        if b == self.r.tail {
            let from = self.mem.end();
            if self.mem.grow(need - old).is_ok() {
                self.set_size(b, need)?;
                self.event(Event::BreakMoved {
                    from,
                    to: self.mem.end(),
                });
                self.resized(b, old)?;
                return Ok(Self::data(b));
            }
        }
        let new = self.alloc_need(need)?;
        self.mem.copy(Self::data(b), new, old, "the block's data")?;
        self.event(Event::Move {
            from: Self::data(b),
            to: new,
            bytes: old,
        });
        self.free_block(b)?;
        Ok(new)
    }

    fn shrink(&mut self, b: usize, size: usize) -> Result<(), Fault> {
        let rest = self.split(b, size, true, true)?;
        if self.options.coalesce
            && self.next_is_adjacent(rest)?
            && self.is_free(self.next(rest)?)?
        {
            let n = self.next(rest)?;
            self.unfile(n)?;
            self.absorb_next(rest)?;
        }
        self.file(rest)?;
        if rest == self.r.tail {
            self.release(rest, b)?;
        }
        Ok(())
    }

    fn resized(&mut self, b: usize, old: usize) -> Result<(), Fault> {
        let size = self.size(b)?;
        self.event(Event::ResizeInPlace {
            block: b,
            from: old,
            to: size,
        });
        Ok(())
    }

    /// The blocks as far as the chain can be followed: the inspector's walk, as
    /// [`BlockInfo`]s with the raw size and `next` of each header.
    pub fn blocks(&self) -> Vec<BlockInfo> {
        self.inspect().blocks.iter().map(|b| b.info).collect()
    }
}

/// One step of a walk: `Loop` when the fuel is spent.
fn burn(fuel: usize, at: usize, what: &'static str) -> Result<usize, Fault> {
    fuel.checked_sub(1).ok_or(Fault::Loop { at, what })
}

fn too_large(size: usize) -> Stop {
    Stop::Refused(alloc::format!(
        "{} is more than any block can hold",
        crate::wording::bytes(size)
    ))
}
