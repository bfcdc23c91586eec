//! A learner trained on the host and embedded in flash: the XOR net at
//! L = 5 after 5 epochs of the firmware's own XOR stream (seed 1, default
//! g-EHF, packed `P`), written by `refgen` with the core's
//! [`hinf::model::save_gehf`] (`f32`, network and `P`, CRC-32 trailer).
//!
//! The device loads it with [`crate::gehf_learner::Learner::load_model`] and
//! keeps learning online from there; [`crate::reference`] records how
//! many further epochs the host needs.

/// The model file `models/xor-l5-partial.hinf` (network + `P`, `f32`),
/// as bytes in flash. Parsed and checked (magic, version, length, CRC,
/// spec, values) by [`hinf::Model::parse`] on load.
pub static XOR_L5_PARTIAL: &[u8] = include_bytes!("../models/xor-l5-partial.hinf");
