//! Fuzz target `scenario`: see `netplay_fuzz::scenario` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::scenario(data));
