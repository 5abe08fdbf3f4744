//! `SbrkBreak` against the real process break.
//!
//! This binary has no libtest harness (`harness = false`): libtest runs tests on threads, but
//! `sbrk` is not thread-safe, and the C library's `malloc` may move the break from any of them.
//! Here every check runs in turn on the main thread, and no check allocates between the `sbrk`
//! calls it compares, so the only moves of the break are the ones it makes itself.

use std::process::ExitCode;

#[cfg(unix)]
#[path = "sbrk/checks.rs"]
mod checks;
#[cfg(all(unix, not(miri)))]
mod support;

fn main() -> ExitCode {
    #[cfg(unix)]
    return checks::main();
    #[cfg(not(unix))]
    {
        println!("no process break on this target: 0 passed, 0 failed");
        ExitCode::SUCCESS
    }
}
