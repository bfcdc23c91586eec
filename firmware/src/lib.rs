//! Online H∞-learning on a Cortex-M4F.
//!
//! The firmware trains a small sigmoid ResNet (L = 5, `f32`) with the
//! g-EHF of the `hinf` core, one filter step per incoming sample, as a
//! device would: first XOR presented as a stream until the paper's stopping
//! rule holds, then XOR again from a model trained on the host and embedded
//! in flash, then a streaming sensor calibration (an NTC thermistor's
//! nonlinear curve learnt from noisy (raw reading, reference) pairs).
//!
//! The pieces:
//! - [`source`]: where samples come from ([`source::SampleSource`]): a
//!   deterministic generator under QEMU, an `embedded-hal` I²C driver on a
//!   board.
//! - [`gehf_learner`]: the concrete learner, an L = 5 ResNet with its
//!   g-EHF and packed `P` in fixed arrays ([`gehf_learner::Learner`]),
//!   and its model load/save.
//! - [`online`]: the [`online::OnlineLearner`] trait (one step per sample)
//!   and the two stream-training runs (XOR, calibration) with their
//!   verdicts.
//! - [`board`]: the LED ([`embedded_hal::digital::OutputPin`]), the
//!   instruction/cycle counter and the per-board constants.
//! - [`pretrained`]: a model trained on the host, embedded with
//!   `include_bytes!`, loaded by [`gehf_learner::Learner::load_model`].
//! - [`measure`]: stack painting.
//! - [`exit`]: semihosting exit codes, the panic handler, the fault path.
//! - [`fmt`]: small fixed-point printing for the plain-text summary.
//!
//! One board feature must be enabled: `qemu` (default) or `stm32f411`.
#![no_std]
#![deny(missing_docs)]

#[cfg(all(feature = "qemu", feature = "stm32f411"))]
compile_error!("enable exactly one board feature: `qemu` (default) or `stm32f411`");
#[cfg(not(any(feature = "qemu", feature = "stm32f411")))]
compile_error!("enable a board feature: `qemu` (default) or `stm32f411`");

// The defmt global logger: semihosting under QEMU, RTT with a probe.
#[cfg(all(feature = "stm32f411", not(feature = "qemu")))]
use defmt_rtt as _;
#[cfg(feature = "qemu")]
use defmt_semihosting as _;

pub mod board;
pub mod exit;
pub mod fmt;
pub mod gehf_learner;
pub mod measure;
pub mod online;
pub mod pretrained;
pub mod source;
