//! Code size: brkalloc as `#[global_allocator]`, in its WebAssembly configuration (segregated
//! fit over the wasm break, `GrowOnlyConfig`). Built for wasm32 only; empty elsewhere.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

extern crate alloc;

#[global_allocator]
static A: brkalloc::BrkAlloc<brkalloc::WasmBreak, brkalloc::GrowOnlyConfig> =
    brkalloc::BrkAlloc::new(brkalloc::WasmBreak::wasm(), brkalloc::GrowOnlyConfig);

include!("../../exports.rs");
