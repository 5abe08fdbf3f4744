//! The lock behind [`BrkAlloc`](crate::BrkAlloc), and how the allocator stops when it cannot go
//! on.
//!
//! A lock that knows its owner. Taking it when the same thread already holds it is a
//! *reentrant* call — an allocation inside [`BrkAlloc::with`](crate::BrkAlloc::with), or a
//! panic while the lock is held, whose message needs memory — and waiting for it would wait
//! forever, so the process is stopped instead. Waiting for another thread spins briefly, then
//! yields the processor (on unix) so that a holder that was descheduled can run and let go.
//!
//! | target | who owns the lock | contention | a reentrant call |
//! |---|---|---|---|
//! | unix | `pthread_self()` | spin, then `sched_yield` | stops with a message (`SIGABRT`) |
//! | wasm32 without threads | the only thread there is | none: every wait is reentrant | traps (`unreachable`) |
//! | anything else | unknown | spin | not detected |
//!
//! WebAssembly without the `atomics` target feature has one thread: no other code can run
//! while the lock is held, so there the lock is a flag in a [`Cell`](core::cell::Cell), taken
//! and released with plain loads and stores, and a reentrant call traps at once, without a
//! message (a panic message could not be shown anyway: showing one needs memory, and the
//! allocator's lock is still held).

#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
pub(crate) use threaded::Lock;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) use single::Lock;

/// The message the process stops with when the lock is taken again by the thread that holds
/// it (where a message can be given).
const REENTRANT: &str =
    "brkalloc: the allocator was called again by the thread that holds its lock: \
an allocation inside BrkAlloc::with, or a panic while the lock was held (a panic message needs \
memory). Waiting would never end, so the process stops here.";

/// Where threads may exist: a spin lock that knows its owner.
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
mod threaded {
    use super::{abort, REENTRANT};
    use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Spins before the waiting thread starts yielding the processor.
    #[cfg(unix)]
    const SPINS_BEFORE_YIELD: u32 = 64;

    /// A token for the calling thread, never 0; 0 where threads cannot be told apart.
    #[inline(always)]
    fn this_thread() -> usize {
        #[cfg(unix)]
        {
            // SAFETY: `pthread_self` has no preconditions and cannot fail.
            let id = unsafe { libc::pthread_self() };
            // `pthread_t` is an integer on Linux and a pointer on some other unix; either way its
            // bits identify the thread. A thread whose identifier is 0 is told apart from no one.
            #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
            let token = id as usize;
            token
        }
        #[cfg(not(unix))]
        {
            0
        }
    }

    /// A spin lock that knows which thread holds it.
    pub(crate) struct Lock {
        locked: AtomicBool,
        /// The holder's [`this_thread`] token while the lock is held; 0 otherwise.
        owner: AtomicUsize,
    }

    impl Lock {
        pub(crate) const fn new() -> Self {
            Lock {
                locked: AtomicBool::new(false),
                owner: AtomicUsize::new(0),
            }
        }

        /// Takes the lock, waiting for another thread to let go of it. Stops the process if the
        /// calling thread holds it already.
        #[inline]
        pub(crate) fn acquire(&self) {
            let me = this_thread();
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                self.wait(me);
            }
            self.owner.store(me, Ordering::Relaxed);
        }

        #[cold]
        fn wait(&self, me: usize) {
            #[cfg(unix)]
            let mut spins = 0u32;
            loop {
                // The owner is cleared before the lock is released and set by the holder right
                // after taking it, so it reads as `me` only when this thread holds the lock.
                if me != 0 && self.owner.load(Ordering::Relaxed) == me {
                    abort(REENTRANT);
                }
                if !self.locked.load(Ordering::Relaxed)
                    && self
                        .locked
                        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                {
                    return;
                }
                #[cfg(unix)]
                {
                    if spins < SPINS_BEFORE_YIELD {
                        spins += 1;
                        core::hint::spin_loop();
                    } else {
                        // SAFETY: `sched_yield` has no preconditions.
                        unsafe { libc::sched_yield() };
                    }
                }
                #[cfg(not(unix))]
                core::hint::spin_loop();
            }
        }

        /// Lets go of the lock.
        #[inline]
        pub(crate) fn release(&self) {
            self.owner.store(0, Ordering::Relaxed);
            self.locked.store(false, Ordering::Release);
        }
    }
}

/// WebAssembly without threads: a flag. Nothing else runs while it is set, so finding it set
/// means the one thread there is came back for it.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod single {
    use super::{abort, REENTRANT};
    use core::cell::Cell;

    /// Whether the allocator is in use; no atomics needed with one thread.
    pub(crate) struct Lock {
        held: Cell<bool>,
    }

    impl Lock {
        pub(crate) const fn new() -> Self {
            Lock {
                held: Cell::new(false),
            }
        }

        /// Takes the lock. Traps if it is held already: with one thread, only by the caller.
        #[inline]
        pub(crate) fn acquire(&self) {
            if self.held.replace(true) {
                abort(REENTRANT);
            }
        }

        /// Lets go of the lock.
        #[inline]
        pub(crate) fn release(&self) {
            self.held.set(false);
        }
    }
}

/// Stops the process after saying why. Never unwinds and never allocates.
///
/// On unix the message, and a newline, go to standard error and the process aborts
/// (`SIGABRT`). On wasm32 without threads it traps (`unreachable`) with no message: none could
/// be shown without memory from the allocator that is stopping. Elsewhere it becomes a panic
/// message, which a panic handler may show; if that needs the allocator again, the second stop
/// traps (on wasm32) or aborts without one.
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
#[cold]
#[inline(never)]
pub(crate) fn abort(message: &str) -> ! {
    #[cfg(unix)]
    {
        let iov = [
            libc::iovec {
                iov_base: message.as_ptr().cast_mut().cast(),
                iov_len: message.len(),
            },
            libc::iovec {
                iov_base: b"\n".as_ptr().cast_mut().cast(),
                iov_len: 1,
            },
        ];
        // SAFETY: `writev` only reads the two buffers `iov` describes, a live `&str` and a
        // static byte, each for its own length; `abort` has no preconditions. Neither
        // allocates.
        unsafe {
            libc::writev(2, iov.as_ptr(), 2);
            libc::abort()
        }
    }
    #[cfg(not(unix))]
    {
        use core::sync::atomic::{AtomicBool, Ordering};
        static STOPPING: AtomicBool = AtomicBool::new(false);
        if STOPPING.swap(true, Ordering::Relaxed) {
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
        }
        /// Dropped only while unwinding: a panic during a panic aborts the process.
        struct DoublePanic;
        impl Drop for DoublePanic {
            fn drop(&mut self) {
                panic!("brkalloc: stopping");
            }
        }
        let _abort_if_unwinding = DoublePanic;
        panic!("{}", message)
    }
}

/// Stops the process: on WebAssembly without threads, a trap (see the unthreaded [`Lock`]).
/// `message` says why to a reader of the code; no message could be shown without memory.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[inline(always)]
pub(crate) fn abort(message: &str) -> ! {
    let _ = message;
    core::arch::wasm32::unreachable()
}

/// Stops the process if dropped: held across code that must not unwind out of the allocator
/// (a global allocator may not unwind), and forgotten once that code has returned.
pub(crate) struct NoUnwind(pub(crate) &'static str);

impl Drop for NoUnwind {
    fn drop(&mut self) {
        abort(self.0)
    }
}
