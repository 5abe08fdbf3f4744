//! Writing data into blocks, as a program does with the memory `malloc` gave it: `strcpy`,
//! `memset`, `a[i] = v` and `memcpy`.
//!
//! With the heap's checks on, a write must land inside the data of one used block. Anything
//! else is refused with a sentence saying what C would have let through (a heap overflow into
//! the next header, a write through a dangling pointer, a write into a header), and nothing
//! changes. [`checked_range`] makes that decision; [`write()`] and [`copy`] carry it out.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::MaybeUninit;

use brkalloc::{BlockInfo, Break, Config, Heap, Observer, StartMap, HEADER_SIZE};

use crate::wording::{self, Address};

/// Bytes written by one step, for the page to mark: `{at, bytes}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// The first address written.
    pub at: usize,
    /// How many bytes.
    pub bytes: usize,
}

/// The most bytes one write may touch: a write is a lesson's step, not a way to fill memory.
pub const MAX_WRITE: usize = 1 << 20;

/// Where `len` bytes from `addr` fall: `(data address of the used block, offset in its data)`
/// when they all lie inside one used block's data, else a sentence saying where they go
/// instead. `verb` is `writes` or `reads`.
pub fn checked_range<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &Heap<B, C, O, M>,
    addr: usize,
    len: usize,
    verb: &str,
) -> Result<(usize, usize), String> {
    if len > MAX_WRITE {
        return Err(format!(
            "{verb} {}: the playground moves at most {} in one step",
            wording::bytes(len),
            wording::bytes(MAX_WRITE)
        ));
    }
    let Some(end) = addr.checked_add(len) else {
        return Err(format!(
            "{verb} past the end of the address space from {}",
            Address(addr as u64)
        ));
    };
    let found: Option<BlockInfo> = heap
        .blocks()
        .find(|b| addr >= b.header && addr < b.data + b.size.max(1));
    let Some(b) = found else {
        return Err(format!(
            "{} is not in any block of the heap: a C program would crash there (segmentation \
             fault) or change memory that is not the heap's",
            Address(addr as u64)
        ));
    };
    let block = Address(b.data as u64);
    if addr < b.data {
        return Err(format!(
            "{} is inside the header of the block at {block}, {} before its data: the \
             allocator's own bytes (turn the checks off to see what C does)",
            Address(addr as u64),
            wording::bytes(b.data - addr)
        ));
    }
    if b.free {
        return Err(format!(
            "the block at {block} is free: this {} through a dangling pointer (use after \
             free), which C allows and which changes the free block's bookkeeping (turn the \
             checks off to see it)",
            if verb == "reads" { "reads" } else { "writes" }
        ));
    }
    let offset = addr - b.data;
    if end > b.data + b.size {
        let past = end - (b.data + b.size);
        return Err(format!(
            "{verb} {} from offset {offset} of the {} block at {block}: {} past its end{} \
             (a heap overflow; turn the checks off to see what C does)",
            wording::bytes(len),
            wording::bytes(b.size),
            wording::bytes(past),
            if b.next == b.data + b.size {
                if past > HEADER_SIZE {
                    ", over the next block's header and into its data"
                } else {
                    ", into the next block's header"
                }
            } else {
                ", past the break"
            }
        ));
    }
    Ok((b.data, offset))
}

/// Writes `bytes` at `addr`, which must lie inside one used block's data (checked as
/// [`checked_range`] says); on refusal nothing changes.
pub fn write<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    addr: usize,
    bytes: &[u8],
) -> Result<Written, String> {
    let (data, offset) = checked_range(heap, addr, bytes.len(), "writes")?;
    let slice = heap
        .data_mut(data)
        .ok_or_else(|| format!("no used block starts at {}", Address(data as u64)))?;
    for (to, &b) in slice[offset..offset + bytes.len()].iter_mut().zip(bytes) {
        *to = MaybeUninit::new(b);
    }
    Ok(Written {
        at: addr,
        bytes: bytes.len(),
    })
}

/// `memcpy`: copies `len` bytes from `src` to `dst`, both inside used blocks' data (the
/// source is checked first, as [`checked_range`] says, with `reads`); on refusal nothing
/// changes. The bytes are copied as they are, written or not.
pub fn copy<B: Break, C: Config, O: Observer, M: StartMap>(
    heap: &mut Heap<B, C, O, M>,
    dst: usize,
    src: usize,
    len: usize,
) -> Result<Written, String> {
    checked_range(heap, src, len, "reads").map_err(|why| format!("the source: {why}"))?;
    let (data, offset) = checked_range(heap, dst, len, "writes")?;
    let bytes: Vec<MaybeUninit<u8>> = heap
        .bytes(src, len)
        .ok_or_else(|| format!("the source {} is not in the heap", Address(src as u64)))?
        .to_vec();
    let slice = heap
        .data_mut(data)
        .ok_or_else(|| format!("no used block starts at {}", Address(data as u64)))?;
    slice[offset..offset + len].copy_from_slice(&bytes);
    Ok(Written {
        at: dst,
        bytes: len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brkalloc::{ArenaBreak, Options};
    use core::mem::MaybeUninit;

    #[test]
    fn writes_stay_inside_a_used_block_or_are_refused_with_the_reason() {
        let mut buffer = [MaybeUninit::new(0u8); 4096];
        let mut heap = Heap::new(ArenaBreak::new(&mut buffer), Options::DEFAULT);
        let a = heap.alloc(16).unwrap().as_ptr() as usize;
        let b = heap.alloc(16).unwrap().as_ptr() as usize;
        let c = heap.alloc(16).unwrap().as_ptr() as usize;
        let before: alloc::vec::Vec<_> = heap.blocks().collect();
        assert_eq!(
            write(&mut heap, a, b"hello\0"),
            Ok(Written { at: a, bytes: 6 })
        );
        assert_eq!(bytes(&heap, a, 6), b"hello\0");
        assert_eq!(
            copy(&mut heap, c, a + 3, 2),
            Ok(Written { at: c, bytes: 2 })
        );
        assert_eq!(bytes(&heap, c, 2), b"lo");
        let from_b = copy(&mut heap, c, b, 2);
        assert!(from_b.is_ok(), "{from_b:?}");

        let size = heap.block_at(a).unwrap().size;
        let overflow = write(&mut heap, a, &[b'A'; 40]).unwrap_err();
        assert!(overflow.contains("past its end"), "{overflow}");
        assert!(overflow.contains("heap overflow"), "{overflow}");
        assert!(overflow.contains(&wording::bytes(40 - size)), "{overflow}");

        let header = write(&mut heap, b - 4, b"x").unwrap_err();
        assert!(header.contains("inside the header"), "{header}");

        heap.free(core::ptr::without_provenance_mut(b)).unwrap();
        let dangling = write(&mut heap, b, b"x").unwrap_err();
        assert!(dangling.contains("use after free"), "{dangling}");
        let outside = write(&mut heap, 16, b"x").unwrap_err();
        assert!(outside.contains("not in any block"), "{outside}");
        let huge = write(&mut heap, c, &alloc::vec![0; MAX_WRITE + 1]).unwrap_err();
        assert!(huge.contains("at most"), "{huge}");

        // Refusals changed nothing; the write did not touch a header.
        assert_eq!(heap.check(), Ok(()));
        let after: alloc::vec::Vec<_> = heap.blocks().collect();
        assert_eq!(after.len(), before.len());
        assert_eq!(bytes(&heap, a, 6), b"hello\0");
        let refused = copy(&mut heap, c, b, 2).unwrap_err();
        assert!(refused.starts_with("the source: the block at"), "{refused}");
    }

    /// Bytes the test wrote.
    fn bytes(heap: &Heap<ArenaBreak<'_>, Options>, at: usize, len: usize) -> Vec<u8> {
        let bytes = heap.bytes(at, len).unwrap();
        // SAFETY: the arena was zeroed when it was made, so every byte is initialised.
        bytes.iter().map(|b| unsafe { b.assume_init() }).collect()
    }
}
