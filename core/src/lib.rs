//! # hinf — H∞-learning for deep sigmoid residual networks
//!
//! A `no_std`, allocation-free implementation of K. Nishiyama's *Deep
//! Residual H∞-learning* (`docs/method.md`): a sigmoid ResNet whose
//! weights are estimated by an extended H∞ filter (g-EHF), with the
//! steepest-descent variant and Adam as baselines.
//!
//! The modules, leaf first (each uses only those above it):
//!
//! | module            | paper                                  |
//! |-------------------|----------------------------------------|
//! | [`real`]          | the scalar, `f32` or `f64`              |
//! | [`error`]         | the error types                         |
//! | [`spec`]          | section 2, eqs. 10–13, layout of eq. 16 |
//! | [`data`]          | samples, XOR (section 5), error measures |
//! | [`network`]       | forward pass; Jacobian, eqs. 20–24      |
//! | [`covariance`]    | `P` of eqs. 4–7 as a trait              |
//! | [`optimizer`]     | the interface of a learning rule        |
//! | [`gehf`]          | g-EHF, eqs. 3–6; steepest descent       |
//! | [`adam`]          | Adam, Table 2                           |
//! | [`mod@train`]     | the experiments of section 5            |
//! | [`model`]         | versioned, checksummed model files      |
//!
//! Storage is the caller's: every buffer is a type parameter
//! `S: AsRef<[T]> + AsMut<[T]>`, a fixed array `[T; CAP]` on a microcontroller (sizes from
//! the `const fn`s of [`ResNetSpec`]) or a `Vec<T>` on a host. Too small a
//! buffer is an [`Error::CapacityExceeded`], never a panic. Every fallible
//! call validates before it changes anything.
//!
//! ## Example: the paper's XOR experiment at L = 5, in f32, without a heap
//!
//! ```
//! use hinf::*;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//! use rand_core::SeedableRng;
//!
//! const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 2·1 + 3 = 5
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//!
//! let mut net = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()])?;
//! net.init_uniform(&mut rng, 0.05)?; // uniform in [−0.05, 0.05]
//! let p = PackedCovariance::new(SPEC.n_weights(), 1.0, [0.0f32; SPEC.n_packed()])?;
//! let mut filter = GEhf::new(GEhfConfig::default(), p, [0.0f32; SPEC.n_weights()])?;
//!
//! let xor = Xor::<f32>::new(InputCoding::Bipolar);
//! let outcome = train(
//!     &mut net, &mut filter, &xor.samples(), &TrainConfig::default(),
//!     &mut rng, &mut [0; 4], |_| true,
//! )?;
//! assert!(outcome.converged);
//! assert!(outcome.epochs < 100);
//! # Ok::<(), hinf::Error>(())
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

// Alphabetical (rustfmt); the table above lists them leaf first.
pub mod adam;
pub mod covariance;
pub mod data;
pub mod error;
pub mod gehf;
pub mod model;
pub mod network;
pub mod optimizer;
pub mod real;
pub mod spec;
pub mod train;

pub use adam::{Adam, AdamConfig, AdamMode};
pub use covariance::{
    BlockCovariance, BlockLayout, Blocking, Covariance, DenseCovariance, FactoredShape, InfoWindow,
    IsotropicCovariance, MAX_WINDOW_ROWS, PackedCovariance, Regularizable, RowStorage, TermState,
    TermWindow, TermWindowShape, WindowShape, WindowState, block_layout_len,
};
pub use data::{ErrorStats, InputCoding, Samples, StopCriterion, Xor};
pub use error::{Error, ModelError, Param, Result};
pub use gehf::{
    DEFAULT_EPS0, EXTENSION_EPS0, Extension, GEhf, GEhfConfig, GainOrder, Health, MAX_OUTPUTS,
    PAPER_GAMMA, Regularization, TrustRegion,
};
pub use model::Model;
pub use network::{JacobianFactors, ResNet, sigmoid, sigmoid_derivative};
pub use optimizer::{Optimizer, StepReport};
pub use real::Real;
pub use spec::{EVALUATION_LANES, PAPER_SLOPE, PAPER_WIDTH, ResNetSpec, Transition, packed_len};
pub use train::{EpochReport, ErrorTiming, SampleOrder, TrainConfig, TrainOutcome, shuffle, train};

/// The paper's weight-initialisation range: uniform in [−0.05, 0.05] (section 5).
pub const PAPER_INIT_RANGE: f64 = 0.05;

/// The README's Rust examples, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
