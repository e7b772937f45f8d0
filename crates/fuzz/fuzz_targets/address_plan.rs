//! Fuzz target `address_plan`: see `netplay_fuzz::address_plan` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::address_plan(data));
