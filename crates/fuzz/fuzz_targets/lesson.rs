//! Fuzz target `lesson`: see `netplay_fuzz::lesson` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::lesson(data));
