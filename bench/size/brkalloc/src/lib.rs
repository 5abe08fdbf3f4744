//! Code size: brkalloc as `#[global_allocator]`, in its default configuration (segregated fit
//! over the wasm break). Built for wasm32 only; empty elsewhere.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

extern crate alloc;

#[global_allocator]
static A: brkalloc::BrkAlloc<brkalloc::WasmBreak> =
    brkalloc::BrkAlloc::new(brkalloc::WasmBreak::wasm(), brkalloc::SegregatedConfig);

include!("../../exports.rs");
