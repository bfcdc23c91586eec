//! Fuzzes the g-EHF and Adam steps through the shared harness
//! (core/fuzz/harness/step.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/step.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run_bytes(data));
