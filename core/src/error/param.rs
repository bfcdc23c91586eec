//! Which parameter an [`Error::InvalidParameter`](super::Error::InvalidParameter)
//! is about.

use core::fmt;

/// A parameter that can be out of its range. `Display` prints the name the
/// error messages use ("adam lr", "process noise", ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Param {
    /// Adam's step size α > 0 ([`crate::AdamConfig::lr`]).
    AdamLr,
    /// Adam's first-moment decay β1 ∈ [0, 1) ([`crate::AdamConfig::beta1`]).
    AdamBeta1,
    /// Adam's second-moment decay β2 ∈ [0, 1) ([`crate::AdamConfig::beta2`]).
    AdamBeta2,
    /// Adam's ε > 0 ([`crate::AdamConfig::eps`]).
    AdamEps,
    /// A restored Adam second moment, which must be ≥ 0.
    AdamSecondMoment,
    /// A restored Adam bias-correction product β^t, which must be in [0, 1].
    AdamBiasProduct,
    /// The stopping tolerance, finite and > 0 ([`crate::TrainConfig::tol`]).
    Tolerance,
    /// The weight-initialisation range a, finite and ≥ 0
    /// ([`crate::ResNet::init_uniform`]).
    InitRange,
    /// The trust region's δ > 0 ([`crate::TrustRegion::delta`]).
    TrustRegionDelta,
    /// The trust region's τ ≥ 0 ([`crate::TrustRegion::tolerance`]).
    TrustRegionTolerance,
    /// Process noise q ≥ 0 ([`crate::Regularization::process_noise`],
    /// [`crate::Covariance::add_diagonal`]).
    ProcessNoise,
    /// The forgetting factor λ ∈ (0, 1] ([`crate::Regularization::forgetting`]).
    ForgettingFactor,
    /// The diagonal floor f ≥ 0 ([`crate::Regularization::diagonal_floor`],
    /// [`crate::Covariance::floor_diagonal`]).
    DiagonalFloor,
    /// The factor α > 0 of [`crate::Covariance::scale`] ("P scale").
    CovarianceScale,
    /// A block layout of `P` that does not partition the spec's weights
    /// into contiguous, non-empty blocks covering `0..N_w`
    /// ([`crate::BlockLayout::from_bounds`], "block layout").
    BlockLayout,
    /// The memory r ≥ 1 of an information-form window
    /// ([`crate::WindowShape`]) or a term window ([`crate::TermWindowShape`])
    /// ("memory").
    Memory,
}

impl Param {
    /// The name printed in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Param::AdamLr => "adam lr",
            Param::AdamBeta1 => "adam beta1",
            Param::AdamBeta2 => "adam beta2",
            Param::AdamEps => "adam eps",
            Param::AdamSecondMoment => "adam second moment",
            Param::AdamBiasProduct => "adam bias product",
            Param::Tolerance => "tolerance",
            Param::InitRange => "init range",
            Param::TrustRegionDelta => "trust-region delta",
            Param::TrustRegionTolerance => "trust-region tolerance",
            Param::ProcessNoise => "process noise",
            Param::ForgettingFactor => "forgetting factor",
            Param::DiagonalFloor => "diagonal floor",
            Param::CovarianceScale => "P scale",
            Param::BlockLayout => "block layout",
            Param::Memory => "memory",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::Param;
    use crate::Error;
    use std::string::ToString;

    /// The messages are those of the `&'static str` names they replace.
    #[test]
    fn messages_are_the_old_names() {
        for (p, name) in [
            (Param::AdamLr, "adam lr"),
            (Param::AdamBeta1, "adam beta1"),
            (Param::AdamBeta2, "adam beta2"),
            (Param::AdamEps, "adam eps"),
            (Param::AdamSecondMoment, "adam second moment"),
            (Param::AdamBiasProduct, "adam bias product"),
            (Param::Tolerance, "tolerance"),
            (Param::InitRange, "init range"),
            (Param::TrustRegionDelta, "trust-region delta"),
            (Param::TrustRegionTolerance, "trust-region tolerance"),
            (Param::ProcessNoise, "process noise"),
            (Param::ForgettingFactor, "forgetting factor"),
            (Param::DiagonalFloor, "diagonal floor"),
            (Param::CovarianceScale, "P scale"),
        ] {
            let e = Error::InvalidParameter { name: p };
            assert_eq!(
                e.to_string(),
                std::format!("parameter {name} is out of range")
            );
        }
    }
}
