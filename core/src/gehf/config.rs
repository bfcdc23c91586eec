//! The g-EHF's parameters, and its off-by-default extension and
//! regularization.

use crate::covariance::Regularizable;
use crate::error::{Error, Param, Result};

/// The paper's γ_f (Table 1).
pub const PAPER_GAMMA: f64 = 1.7;

/// Default ε0 (`P_{0|−1} = ε0 I`, eq. 5). The paper does not state ε0;
/// this default comes from the reproduction study (`docs/REPRODUCTION.md`).
pub const DEFAULT_EPS0: f64 = 10.0;

/// When the current Jacobian enters `P` relative to the gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GainOrder {
    /// As printed (eqs. 3–4): gain from `P_{k+1|k}`, then the downdate with
    /// `H_{k+1}`.
    #[default]
    Paper,
    /// Downdate with `H_{k+1}` first, then the gain from the new `P`:
    /// `K = P h / (1 + (2 − γ⁻²) hᵀPh)`.
    CovarianceFirst,
}

/// The g-EHF's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GEhfConfig {
    /// γ_f > 1, the H∞ attenuation bound (eq. 2, 6). Paper: 1.7.
    pub gamma: f64,
    /// ε0 > 0, `P_{0|−1} = ε0 I` (eq. 5). Not stated in the paper.
    pub eps0: f64,
    /// Where the current Jacobian enters `P`.
    pub gain_order: GainOrder,
}

impl Default for GEhfConfig {
    fn default() -> Self {
        Self {
            gamma: PAPER_GAMMA,
            eps0: DEFAULT_EPS0,
            gain_order: GainOrder::Paper,
        }
    }
}

impl GEhfConfig {
    /// Checks γ_f > 1 and ε0 > 0, both finite.
    pub fn validate(&self) -> Result<()> {
        if !(self.gamma.is_finite() && self.gamma > 1.0) {
            return Err(Error::InvalidGamma);
        }
        if !(self.eps0.is_finite() && self.eps0 > 0.0) {
            return Err(Error::InvalidEps0);
        }
        Ok(())
    }
}

/// Off-by-default departures from the printed g-EHF, set with
/// [`GEhf::with_extension`](super::GEhf::with_extension). [`Extension::None`] (the default) is the
/// paper's method, bit for bit.
///
/// These are **not** in the paper. They exist because the printed filter,
/// with a fixed ε0, does not reproduce the paper's depth trend (see
/// `docs/extension-notes.md`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Extension {
    /// The g-EHF as printed (eqs. 3–6).
    #[default]
    None,
    /// Damp the weight step of eq. (3) so that the output unit stays in the
    /// region where the linearisation `h(ŵ + Δw) ≈ h(ŵ) + H Δw` of eq. (14)
    /// holds. See [`TrustRegion`].
    OutputTrustRegion(TrustRegion),
}

/// A trust region for the g-EHF weight step (an extension, not in the paper).
///
/// # What it changes
///
/// Only the length of the weight step of eq. (3). The direction
/// `K = P hᵀ / (h P hᵀ + 1)` and the covariance recursion of eq. (4) are
/// the paper's: `P` receives exactly the printed downdate, so it stays
/// symmetric positive definite for γ_f > 1 (eq. 7) and its behaviour does
/// not depend on this option. The step becomes `ŵ ← ŵ + α K e`,
/// `0 ≤ α ≤ 1`, with α the largest value allowed by two tests:
///
/// 1. **A-priori bound (δ).** The filter's gain is that of the linearised
///    model `y = H w + v` (eq. 14); it predicts the change of the output
///    pre-activation `sᴸ` to be `Δsᴸ = H K e / f'(sᴸ) = α s e / ((1 + s) f'(sᴸ))`
///    with `s = H P Hᵀ`. Since `s` grows in proportion to the depth (and
///    to ε0), the printed step corrects almost all of `e` whatever the
///    curvature, and where the sigmoid is flat (`f'` small) this asks for
///    an enormous change of `sᴸ`: the output saturates, `H ≈ 0`, and
///    learning stalls. The bound `|Δsᴸ| ≤ δ` keeps the predicted
///    pre-activation move within the sigmoid's near-linear range (for
///    `f(x) = 1/(1 + e^{−η0 x})`, `η0 δ ≈ 2.5` with δ = 1 and η0 = 2.5);
///    it binds only when the linear prediction itself leaves that range.
/// 2. **A-posteriori check (τ, `max_halvings`).** After the trial step the
///    network is evaluated again on the same sample and the actual change
///    of `sᴸ` is compared with the predicted one; α is halved while
///    `|Δsᴸ_actual − Δsᴸ_predicted| > τ |Δsᴸ_predicted|` (a trust-region
///    ratio test on the linearisation error `v` of eq. 14, which the H∞
///    bound of eq. 2 treats as a disturbance of unit weight). This catches
///    the deep-network failure in which the step lies along directions
///    where the hidden layers are strongly nonlinear (the actual change
///    can have the opposite sign to the prediction). If the test still
///    fails after `max_halvings` halvings, the weights are left unchanged
///    for this sample (α = 0); `P` is downdated as usual.
///
/// With `max_halvings = 0` only test 1 is applied, and the filter needs no
/// extra memory; with `max_halvings > 0` the scratch must hold 2·N_w
/// elements (the trial step is taken from a saved copy of `ŵ`, so a
/// rejected step restores the weights exactly), and each halving costs one
/// forward pass (O(N_w), small beside the O(N_w²) of `P h`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TrustRegion {
    /// δ > 0: the largest predicted change of the output pre-activation `sᴸ`
    /// per sample (units of `sᴸ`, before the slope η0).
    pub delta: f64,
    /// τ ≥ 0: the relative linearisation error accepted by test 2.
    pub tolerance: f64,
    /// Halvings of α allowed by test 2; 0 disables test 2.
    pub max_halvings: u32,
}

impl TrustRegion {
    /// The setting studied in `docs/extension-notes.md`: δ = 1, τ = 1,
    /// 10 halvings (meant to be used with [`EXTENSION_EPS0`]).
    pub const RECOMMENDED: Self = Self {
        delta: 1.0,
        tolerance: 1.0,
        max_halvings: 10,
    };

    /// Checks δ > 0 and τ ≥ 0, both finite.
    pub fn validate(&self) -> Result<()> {
        if !(self.delta.is_finite() && self.delta > 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::TrustRegionDelta,
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::TrustRegionTolerance,
            });
        }
        Ok(())
    }
}

/// The ε0 used with [`TrustRegion::RECOMMENDED`] for every depth in
/// `docs/extension-notes.md`. The paper does not state ε0; the printed
/// method needs a small one (≈ 10) to avoid the overshoot that the trust
/// region prevents, and a large one makes the filter explore faster.
pub const EXTENSION_EPS0: f64 = 1000.0;

/// Off-by-default treatment of `P` for long online runs, set with
/// [`GEhf::with_regularization`](super::GEhf::with_regularization). [`Regularization::NONE`] (the default)
/// is the paper's filter, bit for bit.
///
/// Without process noise, `P⁻¹` only grows (eq. 7), so `P → 0` along every
/// direction the Jacobians keep visiting, the gain vanishes, and the
/// filter stops tracking a target that drifts. Two standard remedies,
/// applied after each downdate of eq. (4), in this order:
///
/// * **forgetting factor** λ ∈ (0, 1]: `P ← P / λ` (exponential
///   forgetting; `P` also grows as λ⁻ᵏ along directions no sample
///   excites, so use λ close to 1, and prefer process noise);
/// * **process noise** `Q = q I`, q ≥ 0: `P ← P + q I`, the random-walk
///   model `w_{k+1} = w_k + noise` in place of `w_{k+1} = w_k` (eq. 14).
///   `P` stays ≥ q I and grows at most linearly (q per step) along
///   unexcited directions.
///
/// And one guard against rounding:
///
/// * **diagonal floor** f ≥ 0: after the above, every diagonal entry
///   below f is raised to f; each raise is counted in
///   [`Health::floor_interventions`](super::Health::floor_interventions). With f = 0 (off), a downdate that
///   would leave a diagonal entry ≤ 0 (an indefinite `P`) is instead
///   rejected with [`Error::Diverged`] and nothing changes.
///
/// Symmetry needs no guard with [`crate::PackedCovariance`]: it stores one
/// triangle, so `P` is symmetric by construction
/// ([`Covariance::symmetrize`](crate::Covariance::symmetrize) exists for [`crate::DenseCovariance`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Regularization {
    /// q ≥ 0: `P ← P + q I` after each update (0: off).
    pub process_noise: f64,
    /// λ ∈ (0, 1]: `P ← P / λ` after each update (1: off).
    pub forgetting: f64,
    /// f ≥ 0: raise diagonal entries below f to f (0: off).
    pub diagonal_floor: f64,
}

impl Regularization {
    /// No regularization: the paper's filter.
    pub const NONE: Self = Self {
        process_noise: 0.0,
        forgetting: 1.0,
        diagonal_floor: 0.0,
    };

    /// Process noise `Q = q I` alone.
    pub const fn process_noise(q: f64) -> Self {
        Self {
            process_noise: q,
            ..Self::NONE
        }
    }

    /// Checks q ≥ 0, λ ∈ (0, 1], f ≥ 0, all finite.
    pub fn validate(&self) -> Result<()> {
        if !(self.process_noise.is_finite() && self.process_noise >= 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::ProcessNoise,
            });
        }
        if !(self.forgetting.is_finite() && self.forgetting > 0.0 && self.forgetting <= 1.0) {
            return Err(Error::InvalidParameter {
                name: Param::ForgettingFactor,
            });
        }
        if !(self.diagonal_floor.is_finite() && self.diagonal_floor >= 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::DiagonalFloor,
            });
        }
        Ok(())
    }

    /// `true` for [`Regularization::NONE`].
    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }

    /// The error for the first option in use that a covariance offering
    /// `ops` does not implement ([`Error::Unsupported`], naming it), if any.
    pub fn unsupported_by(&self, ops: Regularizable) -> Option<Error> {
        let what = if self.process_noise > 0.0 && !ops.process_noise {
            "process noise (P + qI)"
        } else if self.forgetting < 1.0 && !ops.forgetting {
            "forgetting (P / λ)"
        } else if self.diagonal_floor > 0.0 && !ops.diagonal_floor {
            "a diagonal floor"
        } else {
            return None;
        };
        Some(Error::Unsupported { what })
    }
}

impl Default for Regularization {
    fn default() -> Self {
        Self::NONE
    }
}
