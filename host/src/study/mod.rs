//! The paper's saddle argument measured (section 2, Fig. 1, section 5,
//! eqs. 7–9): the library behind `hinf saddle`. No I/O; the files are
//! [`crate::report::saddle`]'s.
//!
//! | module | what |
//! |---|---|
//! | [`eigen`] | symmetric eigenvalues (cyclic Jacobi) |
//! | [`span`] | the span of the past Jacobians, Σ HᵢᵀHᵢ in it, the span fractions |
//! | [`probe`] | one training run watched step by step ([`probe::Probed`]) |
//! | [`trial`] | a [`TrialSpec`](crate::settings::TrialSpec) run under a probe |
//! | [`slice`] | the error surface on a 2-D slice, the trajectories on it |
//! | [`section5`] | the spectra, span fractions and gains of each learner at a depth |
//! | [`monkey`] | Fig. 1's monkey saddle x³ − 3xy² |
//!
//! [`saddle_study`] runs everything a [`SaddleSpec`] asks.

pub mod eigen;
pub mod monkey;
pub mod probe;
pub mod section5;
pub mod slice;
pub mod span;
pub mod trial;

pub use monkey::{Grid, monkey_saddle};
pub use probe::{ProbePlan, ProbeRecord, Snapshot, StepRecord};
pub use section5::{DepthStudy, LearnerRun, SeedRow, section5_at};
pub use slice::{Slice, SliceRun, slice_at};
pub use span::{JacobianSpan, span_fraction_by_gram};

use crate::settings::SaddleSpec;

/// Everything `hinf saddle` measures.
#[derive(Debug, Clone)]
pub struct SaddleStudy {
    /// Fig. 1's monkey saddle.
    pub monkey: Grid,
    /// One slice per [`SaddleSpec::slice_layers`].
    pub slices: Vec<Slice>,
    /// One per [`SaddleSpec::section5_layers`].
    pub depths: Vec<DepthStudy>,
}

/// Runs every part of `spec`, in order (slices, then the depths).
pub fn saddle_study(spec: &SaddleSpec) -> hinf::Result<SaddleStudy> {
    let slices = spec
        .slice_layers
        .iter()
        .map(|&l| slice_at(spec, l))
        .collect::<hinf::Result<_>>()?;
    let depths = spec
        .section5_layers()
        .iter()
        .map(|&l| section5_at(spec, l))
        .collect::<hinf::Result<_>>()?;
    Ok(SaddleStudy {
        monkey: monkey_saddle(spec.grid),
        slices,
        depths,
    })
}
