//! What is decided once, when the library is loaded: the environment variables
//! (`BRKALLOC_CHECK`, `BRKALLOC_STATS`), the page size, which glibc's rules `aligned_alloc`
//! follows, and the `pthread_atfork` handlers. Also the report printed at exit.
//!
//! The loader runs [`on_load`] from `.init_array` once the C library is initialised, before
//! the program's `main` (and before the constructors of libraries loaded after this one), and
//! [`on_exit`] from `.fini_array` when the program exits. A call to `malloc` that comes before
//! `on_load` (from the constructor of a library loaded earlier) is served with every setting off.

use core::ffi::{c_char, CStr};
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use crate::HEAP;

/// Bit of [`FLAGS`]: `BRKALLOC_CHECK` is on.
const CHECK: u8 = 1;
/// Bit of [`FLAGS`]: `BRKALLOC_STATS` is on.
const STATS: u8 = 2;
/// Bit of [`FLAGS`]: the C library is glibc 2.38 or later, whose `aligned_alloc` refuses an
/// alignment that is not a power of two.
const STRICT_ALIGNED_ALLOC: u8 = 4;

/// The settings, as bits; written once by [`on_load`].
static FLAGS: AtomicU8 = AtomicU8::new(0);

/// The page size, once known (0 before).
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// What the environment asked for.
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    /// `BRKALLOC_CHECK`: check the heap before and after every call, and check every pointer.
    pub(crate) check: bool,
    /// `BRKALLOC_STATS`: keep peaks, and print them at exit.
    pub(crate) stats: bool,
}

impl Settings {
    /// Whether any setting asks for work beyond serving the call.
    #[inline]
    pub(crate) fn any(self) -> bool {
        self.check || self.stats
    }
}

/// The settings in force.
#[inline]
pub(crate) fn get() -> Settings {
    let flags = FLAGS.load(Ordering::Relaxed);
    Settings {
        check: flags & CHECK != 0,
        stats: flags & STATS != 0,
    }
}

/// Whether `aligned_alloc` refuses an alignment that is not a power of two (glibc 2.38 and
/// later) rather than rounding it up as `memalign` does (glibc 2.37 and earlier).
pub(crate) fn strict_aligned_alloc() -> bool {
    FLAGS.load(Ordering::Relaxed) & STRICT_ALIGNED_ALLOC != 0
}

/// The system's page size.
pub(crate) fn page_size() -> usize {
    let known = PAGE_SIZE.load(Ordering::Relaxed);
    if known != 0 {
        return known;
    }
    // SAFETY: `sysconf` only reads a system setting.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let size = match usize::try_from(size) {
        Ok(size) if size.is_power_of_two() => size,
        _ => 4096,
    };
    PAGE_SIZE.store(size, Ordering::Relaxed);
    size
}

/// Whether the environment variable `name` is set to something other than empty or `0`.
fn env_on(name: &CStr) -> bool {
    // SAFETY: `name` is NUL-terminated; `getenv` neither allocates nor keeps it.
    let value = unsafe { libc::getenv(name.as_ptr()) };
    if value.is_null() {
        return false;
    }
    // SAFETY: `getenv` returned a NUL-terminated string, read right away.
    let value = unsafe { CStr::from_ptr(value) }.to_bytes();
    !value.is_empty() && value != b"0"
}

/// `(major, minor)` from a version string such as `2.36` or `2.38.9000`.
pub(crate) fn parse_version(text: &[u8]) -> Option<(u32, u32)> {
    let mut parts = text.split(|&b| b == b'.');
    let number = |part: Option<&[u8]>| -> Option<u32> {
        let part = part?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0u32, |n, &d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    };
    let major = number(parts.next())?;
    let minor = number(parts.next())?;
    Some((major, minor))
}

/// Whether the C library in this process is glibc 2.38 or later.
fn glibc_at_least_2_38() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `gnu_get_libc_version` returns a static NUL-terminated string.
        let version: *const c_char = unsafe { libc::gnu_get_libc_version() };
        if version.is_null() {
            return true;
        }
        // SAFETY: as above; the string lives as long as the C library.
        let text = unsafe { CStr::from_ptr(version) }.to_bytes();
        parse_version(text).is_none_or(|v| v >= (2, 38))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        true
    }
}

/// `pthread_atfork`'s *prepare* handler: `fork` copies a heap no other thread is changing.
unsafe extern "C" fn before_fork() {
    HEAP.before_fork();
}

/// `pthread_atfork`'s *parent* and *child* handlers.
unsafe extern "C" fn after_fork() {
    // SAFETY: `fork` runs this right after `before_fork` took the lock, in the parent in the
    // thread that took it, and in the child in the copy of that thread (its only thread).
    unsafe { HEAP.after_fork() }
}

/// Set once the fork handlers are registered: they must be registered exactly once.
static ATFORK_REGISTERED: AtomicBool = AtomicBool::new(false);

/// Runs when the library is loaded: reads the settings and registers the fork handlers.
#[cfg_attr(test, allow(dead_code))]
extern "C" fn on_load() {
    let mut flags = 0;
    if env_on(c"BRKALLOC_CHECK") {
        flags |= CHECK;
    }
    if env_on(c"BRKALLOC_STATS") {
        flags |= STATS;
    }
    if glibc_at_least_2_38() {
        flags |= STRICT_ALIGNED_ALLOC;
    }
    page_size();
    FLAGS.store(flags, Ordering::Relaxed);
    crate::cache::init();
    // `pthread_atfork` may call `malloc` to record the handlers. That is safe here: this
    // function does not hold the heap's lock, so that `malloc` is an ordinary call.
    if !ATFORK_REGISTERED.swap(true, Ordering::Relaxed) {
        // SAFETY: the handlers are `extern "C"` functions that live as long as the process
        // (this library is never unloaded while preloaded).
        let failed =
            unsafe { libc::pthread_atfork(Some(before_fork), Some(after_fork), Some(after_fork)) }
                != 0;
        if failed {
            crate::report::Message::text(
                "brkalloc: pthread_atfork failed: a fork while another thread allocates may \
                 leave the child's heap locked\n",
            )
            .print();
        }
    }
}

/// Runs when the program exits (not after `_exit`, or a signal): the stats report.
#[cfg_attr(test, allow(dead_code))]
extern "C" fn on_exit() {
    if get().stats {
        crate::stats::print_report();
    }
}

/// Registers [`on_load`] with the loader. glibc passes it `argc, argv, envp`, which it does
/// not need; ignoring arguments is harmless in the C calling convention.
#[cfg(not(test))]
#[used]
#[link_section = ".init_array"]
static ON_LOAD: extern "C" fn() = on_load;

/// Registers [`on_exit`] with the loader.
#[cfg(not(test))]
#[used]
#[link_section = ".fini_array"]
static ON_EXIT: extern "C" fn() = on_exit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_major_and_minor() {
        assert_eq!(parse_version(b"2.36"), Some((2, 36)));
        assert_eq!(parse_version(b"2.38.9000"), Some((2, 38)));
        assert_eq!(parse_version(b"3.0"), Some((3, 0)));
        for bad in [&b""[..], b"2", b"2.", b"x.36", b"2.3a"] {
            assert_eq!(parse_version(bad), None);
        }
        assert!(parse_version(b"2.36").unwrap() < (2, 38));
        assert!(parse_version(b"2.40").unwrap() >= (2, 38));
    }
}
