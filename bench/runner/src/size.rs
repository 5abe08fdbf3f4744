//! Code size: the minimal module built with each allocator as `#[global_allocator]` (size/*),
//! then shrunk by `wasm-opt -Oz` when it is installed.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The minimal modules: the allocator's name in the table, and the package.
pub const MODULES: [(&str, &str); 5] = [
    ("no allocator", "size-none"),
    ("brkalloc", "size-brkalloc"),
    ("dlmalloc", "size-dlmalloc"),
    ("talc", "size-talc"),
    ("lol_alloc", "size-lol-alloc"),
];

/// The wasm features rustc uses by default on wasm32-unknown-unknown, as wasm-opt names them.
const FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// One module's size.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleSize {
    /// The allocator in it.
    pub allocator: String,
    /// Bytes of the module as rustc and the linker leave it.
    pub raw_bytes: u64,
    /// Bytes after `wasm-opt -Oz` (`None` if wasm-opt is missing or failed).
    pub opt_bytes: Option<u64>,
}

/// Measures every minimal module (built again if needed, which `main` did already). `Err` says why nothing could be measured;
/// a missing `wasm-opt` only leaves `opt_bytes` empty, and `note` says so.
pub fn measure(bench: &Path, note: &mut Vec<String>) -> Result<Vec<ModuleSize>, String> {
    progress!("size: measuring the minimal modules");
    let packages: Vec<&str> = MODULES.iter().map(|m| m.1).collect();
    let dir = crate::wasm::build(bench, "wasm-size", &packages)?;
    let wasm_opt = crate::machine::first_line("wasm-opt", &["--version"]);
    if wasm_opt.is_none() {
        note.push("wasm-opt was not found (Debian: `apt-get install binaryen`): sizes are before wasm-opt".into());
    }
    MODULES
        .iter()
        .map(|(allocator, package)| {
            let file = dir.join(format!("{}.wasm", package.replace('-', "_")));
            let raw_bytes = std::fs::metadata(&file)
                .map_err(|e| format!("{}: {e}", file.display()))?
                .len();
            let opt_bytes = wasm_opt.as_ref().and_then(|_| {
                let out = file.with_extension("opt.wasm");
                // The modules are stripped, so wasm-opt cannot read which features they use:
                // name the ones rustc enables by default for wasm32-unknown-unknown.
                let status = Command::new("wasm-opt")
                    .arg("-Oz")
                    .args(FEATURES)
                    .arg(&file)
                    .arg("-o")
                    .arg(&out)
                    .status()
                    .ok()?;
                if !status.success() {
                    note.push(format!("wasm-opt failed on {}", file.display()));
                    return None;
                }
                std::fs::metadata(&out).ok().map(|m| m.len())
            });
            Ok(ModuleSize {
                allocator: allocator.to_string(),
                raw_bytes,
                opt_bytes,
            })
        })
        .collect()
}
