//! Fuzz target `assertions`: see `netplay_fuzz::assertions` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::assertions(data));
