//! The playground's entry point (built by Trunk).

/// talc instead of Rust's default wasm allocator (dlmalloc): the first evaluation calls
/// malloc and free often enough that V8 recompiles them with its optimising compiler on a
/// worker thread while the evaluation runs, and dlmalloc's took 6–10 ms of CPU there,
/// which a two-core machine takes from the page (docs/performance.md, "The default
/// scenario's first evaluation"). talc's is smaller and took 1–3 ms.
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    netplay_web::run();
}
