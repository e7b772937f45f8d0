//! What the property tests share: how many cases they run.

/// The case count of a slow property test: `ci` in a plain `cargo test` (what
/// tests/run.sh and CI run: enough to catch what a change breaks, in seconds), `nightly`
/// with `NETPLAY_NIGHTLY=1` (the full count, docs/performance.md "Test suite"), and
/// `PROPTEST_CASES` when set (a quicker local run, or a longer hunt).
pub fn cases(ci: u32, nightly: u32) -> u32 {
    if let Some(n) = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    match std::env::var("NETPLAY_NIGHTLY") {
        Ok(v) if !v.is_empty() && v != "0" => nightly,
        _ => ci,
    }
}
