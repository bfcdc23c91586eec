//! End-to-end tests across the crates of the workspace live in `tests/tests/`:
//!
//! - `core_vs_host.rs`: the host's experiment runner (heap storage, the
//!   structured `P`) against the core alone (packed `P`), trial by trial;
//! - `reproduction.rs`: the paper's experiments at reduced size, through the
//!   host's library and through the `hinf` binary.
//!
//! The firmware's end-to-end test (build, run and on-target tests under
//! QEMU) is `scripts/firmware-test.sh`, run by the README's test command.
