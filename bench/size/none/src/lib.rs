//! Code-size baseline: the shared exports over a global allocator that always fails, so the
//! module holds everything but an allocator. Built for wasm32 only; empty elsewhere.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

extern crate alloc;

use core::alloc::GlobalAlloc;

/// Refuses every request.
struct Fails;

// SAFETY: returning null is always a valid answer to `alloc`; `dealloc` is never given a block,
// since none is ever handed out.
unsafe impl GlobalAlloc for Fails {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static A: Fails = Fails;

include!("../../exports.rs");
