//! Work spread over the cores natively: files and documents are read
//! independently of each other, so they are read in parallel (rayon) and put back in
//! their input order. The WASM build has no threads and reads them one after another.
//! Either way the result is the same, whatever the number of threads or their timing
//! (`crates/core/tests/reading.rs` checks that property).

/// `items` mapped by `f`, in the order of `items`: in parallel when there is no `state`
/// (the playground's parse cache, which each item updates in turn), else one by one.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn map_in_order<T: Send, R: Send, S>(
    items: Vec<T>,
    state: Option<&mut S>,
    f: impl Fn(T, Option<&mut S>) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    match state {
        None => items.into_par_iter().map(|item| f(item, None)).collect(),
        Some(state) => items.into_iter().map(|item| f(item, Some(&mut *state))).collect(),
    }
}

/// `items` mapped by `f`, in the order of `items`, one by one (one call site of `f`
/// keeps the download small).
#[cfg(target_arch = "wasm32")]
pub(crate) fn map_in_order<T, R, S>(
    items: Vec<T>,
    mut state: Option<&mut S>,
    f: impl Fn(T, Option<&mut S>) -> R,
) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(f(item, state.as_deref_mut()));
    }
    out
}

/// Frees `value` on another thread natively, so that the caller goes on while a large
/// tree of small allocations (the raw objects of 20,000 workloads) is freed; the WASM
/// build frees it here.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn drop_aside<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}

/// Frees `value` (one thread in the WASM build).
#[cfg(target_arch = "wasm32")]
pub(crate) fn drop_aside<T>(value: T) {
    drop(value);
}
