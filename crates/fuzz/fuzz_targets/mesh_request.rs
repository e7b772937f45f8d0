//! Fuzz target `mesh_request`: see `netplay_fuzz::mesh_request` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| netplay_fuzz::mesh_request(data));
