// The exports every code-size module shares, included by each `lib.rs`: allocate, free and
// resize through the global allocator, so none of its code can be dead-stripped, and a panic
// handler (the `no_std` module must have one).

use core::alloc::Layout;

/// Allocates `size` bytes aligned to 8 through the global allocator; null for 0 or on failure.
#[no_mangle]
pub extern "C" fn bench_alloc(size: usize) -> *mut u8 {
    match Layout::from_size_align(size, 8) {
        // SAFETY: the layout is valid and not zero-sized.
        Ok(layout) if size != 0 => unsafe { alloc::alloc::alloc(layout) },
        _ => core::ptr::null_mut(),
    }
}

/// Frees a block from `bench_alloc`.
///
/// # Safety
///
/// `ptr` came from `bench_alloc(size)` (or `bench_realloc(.., .., size)`) and is live.
#[no_mangle]
pub unsafe extern "C" fn bench_dealloc(ptr: *mut u8, size: usize) {
    // SAFETY: the caller guarantees the block and its layout.
    unsafe { alloc::alloc::dealloc(ptr, Layout::from_size_align_unchecked(size, 8)) }
}

/// Resizes a block from `bench_alloc` to `new_size` bytes.
///
/// # Safety
///
/// As for `bench_dealloc`, and `new_size` is not zero.
#[no_mangle]
pub unsafe extern "C" fn bench_realloc(ptr: *mut u8, size: usize, new_size: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the block, its layout and the new size.
    unsafe { alloc::alloc::realloc(ptr, Layout::from_size_align_unchecked(size, 8), new_size) }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
