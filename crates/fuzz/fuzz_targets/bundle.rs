//! Fuzz target `bundle`: see `netplay_fuzz::bundle` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::bundle(data));
