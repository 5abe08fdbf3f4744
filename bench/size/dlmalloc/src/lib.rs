//! Code size: dlmalloc as `#[global_allocator]`, the way `std` uses it on wasm32. Built for
//! wasm32 only; empty elsewhere.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

extern crate alloc;

#[global_allocator]
static A: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

include!("../../exports.rs");
