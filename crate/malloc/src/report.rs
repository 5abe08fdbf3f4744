//! Messages to standard error, written without allocating: the allocator cannot ask itself for
//! memory to say that something went wrong. A [`Message`] is formatted into a buffer on the
//! stack with `core::fmt::Write` and written with one `write(2)`. The panic handler lives here
//! too.

use core::fmt;

/// The most bytes one message holds; a longer one is cut short, never dropped.
const CAPACITY: usize = 2048;

/// A message being formatted on the stack.
pub(crate) struct Message {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Message {
    /// An empty message.
    pub(crate) const fn new() -> Self {
        Message {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    /// A message holding `text`.
    pub(crate) fn text(text: &str) -> Self {
        let mut m = Message::new();
        let _ = fmt::Write::write_str(&mut m, text);
        m
    }

    /// What has been written so far.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Writes the message to standard error.
    pub(crate) fn print(&self) {
        let mut rest = self.as_bytes();
        while !rest.is_empty() {
            // SAFETY: `rest` is a live slice of `rest.len()` bytes; `write` only reads them.
            let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
            match usize::try_from(n) {
                Ok(n) if n > 0 => rest = &rest[n..],
                // An error (or a write of nothing): there is nowhere else to say it.
                _ => break,
            }
        }
    }

    /// Writes the message to standard error and stops the process with `SIGABRT`.
    pub(crate) fn die(&self) -> ! {
        self.print();
        // SAFETY: `abort` has no preconditions; it does not return.
        unsafe { libc::abort() }
    }
}

impl fmt::Write for Message {
    /// Appends as much of `s` as fits; the rest is cut off (and the message ends in `...`).
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = CAPACITY - self.len;
        if s.len() <= room {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else if room > 0 {
            self.buf[self.len..].copy_from_slice(&s.as_bytes()[..room]);
            self.buf[CAPACITY - 4..].copy_from_slice(b"...\n");
            self.len = CAPACITY;
        }
        Ok(())
    }
}

/// A count of bytes or calls, printed with thousands separators: `1,234,567`.
pub(crate) struct Thousands(pub(crate) usize);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let mut scale = 1usize;
        while n / scale >= 1000 {
            scale *= 1000;
        }
        write!(f, "{}", n / scale)?;
        while scale > 1 {
            scale /= 1000;
            write!(f, ",{:03}", n / scale % 1000)?;
        }
        Ok(())
    }
}

/// A panic in this library is a bug in it: say where, and stop. Nothing unwinds (the library
/// is built with `panic = "abort"`), and nothing here allocates.
#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    let mut m = Message::new();
    let _ = write!(
        m,
        "brkalloc: panic inside the malloc library: {}",
        info.message()
    );
    if let Some(at) = info.location() {
        let _ = write!(m, " (at {}:{})", at.file(), at.line());
    }
    let _ = m.write_str("\n");
    m.die()
}

// A no_std library built with `panic = "abort"` still links parts of `core` that were compiled
// to unwind, and their unwind tables name the symbol `rust_eh_personality`. Nothing ever unwinds
// through this library, so the symbol is never called; it only has to exist, and it must not
// be exported: a global one would take the place of a Rust program's own. A hidden symbol
// that traps is both.
#[cfg(all(not(test), target_arch = "x86_64"))]
core::arch::global_asm!(
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality",
    ".type rust_eh_personality, @function",
    "rust_eh_personality:",
    "ud2",
);
#[cfg(all(not(test), target_arch = "aarch64"))]
core::arch::global_asm!(
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality",
    ".type rust_eh_personality, %function",
    "rust_eh_personality:",
    "udf #0",
);

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn thousands_separates_groups_of_three_digits() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1_234_567, "1,234,567"),
            (10_000_001, "10,000,001"),
        ];
        for (n, want) in cases {
            let mut m = Message::new();
            write!(m, "{}", Thousands(n)).unwrap();
            assert_eq!(m.as_bytes(), want.as_bytes(), "{n}");
        }
        let mut m = Message::new();
        write!(m, "{}", Thousands(usize::MAX)).unwrap();
        assert_eq!(m.as_bytes(), b"18,446,744,073,709,551,615");
    }

    #[test]
    fn a_message_too_long_for_the_buffer_is_cut_and_says_so() {
        // 2048 is not a multiple of 3: the last "abc" does not fit whole.
        let mut m = Message::new();
        for _ in 0..CAPACITY {
            m.write_str("abc").unwrap();
        }
        let bytes = m.as_bytes();
        assert_eq!(bytes.len(), CAPACITY);
        assert!(bytes.ends_with(b"...\n"));
        assert!(bytes.starts_with(b"abcabc"));
        // Once full, more text changes nothing.
        m.write_str("more").unwrap();
        assert_eq!(m.as_bytes().len(), CAPACITY);

        // A message that fits exactly is not marked as cut.
        let mut m = Message::new();
        for _ in 0..CAPACITY / 2 {
            m.write_str("ab").unwrap();
        }
        assert_eq!(m.as_bytes().len(), CAPACITY);
        assert!(m.as_bytes().ends_with(b"abab"));
    }
}
