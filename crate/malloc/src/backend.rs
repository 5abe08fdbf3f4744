//! Where the heap's memory comes from: [`ReserveBreak`], an [`MmapBreak`] whose reservation is
//! sized at its first growth, from `BRKALLOC_RESERVE` or [`DEFAULT_RESERVE`], and made smaller
//! when the system refuses that much address space.
//!
//! Why `MmapBreak` and not the process break (`SbrkBreak`): under `LD_PRELOAD` this heap is
//! one user of the address space among several. glibc itself still moves the process break
//! (its own allocator is linked in, and code may call `sbrk` or `brk` directly), and
//! `SbrkBreak` is only sound when nothing else moves the break while it works. `MmapBreak`
//! never touches the process break: it grows inside a range nobody else maps into, so it needs
//! nothing from the rest of the process, and its growth is always adjacent (one segment).

use brkalloc::{Break, BreakError, MmapBreak, Pages};
use core::ffi::CStr;

/// Address space reserved when `BRKALLOC_RESERVE` does not say otherwise: 64 GiB on 64-bit
/// targets, 1 GiB on others. A reservation is `PROT_NONE` and `MAP_NORESERVE`: it costs no
/// memory until the break commits its pages.
pub(crate) const DEFAULT_RESERVE: usize = if usize::BITS >= 64 { 64 << 30 } else { 1 << 30 };

/// The smallest reservation tried when a larger one is refused (by `ulimit -v`, say).
const MIN_RESERVE: usize = 64 << 20;

/// An [`MmapBreak`] that picks the size of its reservation when the heap first grows.
pub(crate) struct ReserveBreak {
    inner: MmapBreak,
}

impl ReserveBreak {
    /// A break that has reserved nothing yet, so this can initialise a `static`.
    pub(crate) const fn new() -> Self {
        ReserveBreak {
            inner: MmapBreak::new(DEFAULT_RESERVE),
        }
    }

    /// The first growth: reserves `BRKALLOC_RESERVE` (or the default) bytes, halving the size
    /// while the system refuses it, down to [`MIN_RESERVE`].
    fn first_growth(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        let mut reserve = requested_reserve();
        loop {
            // The MmapBreak being replaced has no reservation (its first growth failed, or
            // never happened): nothing of it is lost.
            self.inner = MmapBreak::new(reserve);
            match self.inner.sbrk(delta) {
                Ok(p) => return Ok(p),
                Err(e) => {
                    let smaller = reserve / 2;
                    if smaller < MIN_RESERVE || smaller < delta.unsigned_abs() {
                        return Err(e);
                    }
                    reserve = smaller;
                }
            }
        }
    }
}

// SAFETY: every call goes to the inner `MmapBreak`, which keeps the `Break` contract. The inner
// break is replaced only while it has no reservation (`current()` is null before an
// `MmapBreak`'s first successful growth, and a failed first growth undoes its reservation), so
// no byte was ever handed out from it, and `current()` reads null before and after the
// replacement: a failed first growth changes nothing.
unsafe impl Break for ReserveBreak {
    fn current(&self) -> *mut u8 {
        self.inner.current()
    }

    fn sbrk(&mut self, delta: isize) -> Result<*mut u8, BreakError> {
        if delta > 0 && self.inner.current().is_null() {
            return self.first_growth(delta);
        }
        self.inner.sbrk(delta)
    }

    fn pages(&self) -> Option<Pages> {
        self.inner.pages()
    }
}

/// `BRKALLOC_RESERVE`, if set and valid; otherwise [`DEFAULT_RESERVE`] (with a warning when it
/// is set but not a size).
fn requested_reserve() -> usize {
    // SAFETY: the name is a NUL-terminated string; `getenv` neither allocates nor keeps it.
    let value = unsafe { libc::getenv(c"BRKALLOC_RESERVE".as_ptr()) };
    if value.is_null() {
        return DEFAULT_RESERVE;
    }
    // SAFETY: `getenv` returned a NUL-terminated string that stays valid while the
    // environment is not changed; it is read right away.
    let text = unsafe { CStr::from_ptr(value) }.to_bytes();
    match parse_size(text) {
        Some(n) if n >= MIN_RESERVE => n,
        _ => {
            crate::report::Message::text(
                "brkalloc: BRKALLOC_RESERVE must be a size of at least 64M, like 4G or 65536M; \
                 using the default\n",
            )
            .print();
            DEFAULT_RESERVE
        }
    }
}

/// A size in bytes: digits, then optionally `K`, `M`, `G` or `T` (powers of 1024).
pub(crate) fn parse_size(text: &[u8]) -> Option<usize> {
    let (digits, shift) = match text.last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 10),
        b'M' | b'm' => (&text[..text.len() - 1], 20),
        b'G' | b'g' => (&text[..text.len() - 1], 30),
        b'T' | b't' => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n = 0usize;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
    }
    n.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_digits_with_an_optional_binary_unit() {
        assert_eq!(parse_size(b"65536"), Some(65536));
        assert_eq!(parse_size(b"64M"), Some(64 << 20));
        assert_eq!(parse_size(b"4g"), Some(4 << 30));
        assert_eq!(parse_size(b"1T"), Some(1 << 40));
        assert_eq!(parse_size(b"16K"), Some(16 << 10));
        for bad in [
            &b""[..],
            b"G",
            b"-1",
            b"1.5G",
            b"4 G",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_size(bad), None, "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(parse_size(b"99999999999T"), None, "overflows");
    }
}
