//! Code size: talc 5 as `#[global_allocator]`, in its default wasm configuration. Built for
//! wasm32 only; empty elsewhere.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![cfg(target_arch = "wasm32")]

extern crate alloc;

#[global_allocator]
static A: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

include!("../../exports.rs");
