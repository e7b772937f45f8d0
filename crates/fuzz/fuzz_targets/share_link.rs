//! Fuzz target `share_link`: see `netplay_fuzz::share_link` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::share_link(data));
