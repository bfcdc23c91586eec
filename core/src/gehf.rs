//! H∞-learning: the g-EHF update of eqs. (3)–(6) for one output, and its
//! steepest-descent variant. Several outputs (the paper's outlook): see
//! [`GEhf::measurement_update`] and `gehf/multi.rs`.
//!
//! For one output the 2×2 form of eq. (4), with `R = diag(1, −γ_f²)`,
//! reduces to a rank-one downdate. With `u = P h`, `s = hᵀ u`:
//!
//! ```text
//! K = u / (s + 1)                          gain (eq. 3)
//! ŵ ← ŵ + K e,   e = y − h(ŵ)              update (eq. 3)
//! P ← P − c u uᵀ,  c = (1 − γ⁻²) / (1 + (1 − γ⁻²) s)   (eq. 4)
//! ```
//!
//! (The sum of the entries of `R_e⁻¹`, `R_e = [[1+s, s], [s, s−γ²]]`, is
//! `(1 − γ²)/(s(1 − γ²) − γ²) = c`; the test `two_by_two_form_equals_rank_one`
//! checks it numerically.) Equivalently `P⁻¹ ← P⁻¹ + (1 − γ⁻²) h hᵀ`
//! (eq. 7), so `P` stays symmetric positive definite for γ_f > 1.
//!
//! The paper's order: the gain for sample k+1 uses `P` built from
//! `H_0 … H_k`; the new `H_{k+1}` enters `P` after the weight update
//! ([`GainOrder::Paper`]). [`GainOrder::CovarianceFirst`] downdates first,
//! which gives the gain `u / (1 + (2 − γ⁻²) s)` — a variant studied in
//! `docs/REPRODUCTION.md`, off by default.

use crate::covariance::Covariance;
use crate::data::ErrorStats;
use crate::error::{Error, Result, check_finite, check_len};
use crate::network::{ResNet, sigmoid_derivative};
use crate::optimizer::{Optimizer, StepReport};
use crate::real::{Real, all_finite_zip, dot, nan_unless_finite};

mod multi;
pub use multi::MAX_OUTPUTS;

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
/// [`GEhf::with_extension`]. [`Extension::None`] (the default) is the
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
                name: "trust-region delta",
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "trust-region tolerance",
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
/// [`GEhf::with_regularization`]. [`Regularization::NONE`] (the default)
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
///   [`Health::floor_interventions`]. With f = 0 (off), a downdate that
///   would leave a diagonal entry ≤ 0 (an indefinite `P`) is instead
///   rejected with [`Error::Diverged`] and nothing changes.
///
/// Symmetry needs no guard with [`crate::PackedCovariance`]: it stores one
/// triangle, so `P` is symmetric by construction
/// ([`Covariance::symmetrize`] exists for [`crate::DenseCovariance`]).
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
                name: "process noise",
            });
        }
        if !(self.forgetting.is_finite() && self.forgetting > 0.0 && self.forgetting <= 1.0) {
            return Err(Error::InvalidParameter {
                name: "forgetting factor",
            });
        }
        if !(self.diagonal_floor.is_finite() && self.diagonal_floor >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "diagonal floor",
            });
        }
        Ok(())
    }

    /// `true` for [`Regularization::NONE`].
    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }
}

impl Default for Regularization {
    fn default() -> Self {
        Self::NONE
    }
}

/// ε0 in the filter's precision: it must be finite and > 0 there too (an
/// `f64` ε0 of 1e-300 is 0 in `f32`, and 1e300 is ∞).
fn eps0_in<T: Real>(eps0: f64) -> Result<T> {
    let e = T::from_f64(eps0);
    if e.is_finite() && e > T::ZERO {
        Ok(e)
    } else {
        Err(Error::InvalidEps0)
    }
}

/// What the filter has counted since it was built: see [`GEhf::health`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Health {
    /// Steps applied.
    pub steps: u64,
    /// Steps rejected with [`Error::Diverged`] (weights or `P` would have
    /// become non-finite or `P` indefinite); each left the state unchanged.
    pub rejected: u64,
    /// Diagonal entries raised by the [`Regularization::diagonal_floor`] guard.
    pub floor_interventions: u64,
    /// Regularization operations the covariance refused after a step (its
    /// result would not have been finite); the step itself was applied.
    pub regularization_skipped: u64,
}

/// The g-EHF learner state: parameters, the covariance `P` (any
/// [`Covariance`]) and an N_w scratch vector `S` for `u = P h` (N_L·N_w
/// for a network with N_L ≥ 2 outputs, one column `P h_o` per output).
///
/// With an [`crate::IsotropicCovariance`] it is the steepest-descent variant.
///
/// ```
/// use hinf::{GEhf, GEhfConfig, PackedCovariance, ResNet, ResNetSpec};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5, N_w = 76
/// let mut net = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()])?;
/// let p = PackedCovariance::new(SPEC.n_weights(), 1.0, [0.0f32; SPEC.n_packed()])?;
/// let mut filter = GEhf::new(GEhfConfig::default(), p, [0.0f32; SPEC.n_weights()])?;
/// let report = filter.step(&mut net, &[1.0, -1.0], &[1.0])?;
/// assert_eq!(report.error, 0.5); // y − h(0) = 1 − 1/2
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GEhf<T, C, S> {
    config: GEhfConfig,
    /// 1 − γ⁻².
    a: T,
    cov: C,
    u: S,
    extension: Extension,
    regularization: Regularization,
    health: Health,
}

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> GEhf<T, C, S> {
    /// A filter with `P = ε0 I` (the covariance is reset to `config.eps0`).
    /// Fails on γ_f ≤ 1, ε0 ≤ 0 (or non-finite) or a scratch shorter than
    /// the covariance's dimension.
    pub fn new(config: GEhfConfig, mut cov: C, scratch: S) -> Result<Self> {
        config.validate()?;
        eps0_in::<T>(config.eps0)?;
        let capacity = scratch.as_ref().len();
        if capacity < cov.dim() {
            return Err(Error::CapacityExceeded {
                what: "g-EHF scratch",
                needed: cov.dim(),
                capacity,
            });
        }
        cov.reset(T::from_f64(config.eps0));
        Ok(Self {
            a: T::from_f64(1.0 - 1.0 / (config.gamma * config.gamma)),
            config,
            cov,
            u: scratch,
            extension: Extension::None,
            regularization: Regularization::NONE,
            health: Health::default(),
        })
    }

    /// Switches on an [`Extension`] (off by default). Fails, consuming
    /// nothing of the configuration, on invalid parameters, or with
    /// [`Error::CapacityExceeded`] if the extension needs a longer scratch
    /// (2·N_w for a [`TrustRegion`] with `max_halvings > 0`).
    pub fn with_extension(mut self, extension: Extension) -> Result<Self> {
        if let Extension::OutputTrustRegion(tr) = extension {
            tr.validate()?;
            if tr.max_halvings > 0 {
                let needed = self.cov.dim().saturating_mul(2);
                let capacity = self.u.as_ref().len();
                if capacity < needed {
                    return Err(Error::CapacityExceeded {
                        what: "g-EHF scratch (trust region)",
                        needed,
                        capacity,
                    });
                }
            }
        }
        self.extension = extension;
        Ok(self)
    }

    /// The extension in use ([`Extension::None`] unless set).
    pub fn extension(&self) -> &Extension {
        &self.extension
    }

    /// Switches on a [`Regularization`] of `P` (off by default). Fails,
    /// changing nothing, on invalid parameters, or with
    /// [`Error::Unsupported`] if the covariance does not implement the
    /// P-side operations ([`Covariance::supports_regularization`]). A
    /// fixed covariance (steepest descent) ignores it.
    pub fn with_regularization(mut self, regularization: Regularization) -> Result<Self> {
        self.set_regularization(regularization)?;
        Ok(self)
    }

    /// As [`GEhf::with_regularization`], in place.
    pub fn set_regularization(&mut self, regularization: Regularization) -> Result<()> {
        regularization.validate()?;
        if !regularization.is_none() && !self.cov.is_fixed() && !self.cov.supports_regularization()
        {
            return Err(Error::Unsupported {
                what: "regularization of this covariance",
            });
        }
        self.regularization = regularization;
        Ok(())
    }

    /// The regularization in use ([`Regularization::NONE`] unless set).
    pub fn regularization(&self) -> &Regularization {
        &self.regularization
    }

    /// Steps applied and rejected, and the guard's interventions.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Replaces γ_f, ε0 and the gain order, keeping `P` (e.g. restoring a
    /// saved learner). Fails, changing nothing, on invalid parameters.
    pub fn set_config(&mut self, config: GEhfConfig) -> Result<()> {
        config.validate()?;
        eps0_in::<T>(config.eps0)?;
        self.a = T::from_f64(1.0 - 1.0 / (config.gamma * config.gamma));
        self.config = config;
        Ok(())
    }

    /// Splits the filter into its parameters, covariance and scratch. The
    /// extension, the regularization and the health counters are dropped:
    /// read them first ([`GEhf::extension`], [`GEhf::regularization`],
    /// [`GEhf::health`]) and set them again after [`GEhf::from_parts`].
    pub fn into_parts(self) -> (GEhfConfig, C, S) {
        (self.config, self.cov, self.u)
    }

    /// Rebuilds a filter around an existing covariance **without** resetting it.
    pub fn from_parts(config: GEhfConfig, cov: C, scratch: S) -> Result<Self> {
        config.validate()?;
        eps0_in::<T>(config.eps0)?;
        if scratch.as_ref().len() < cov.dim() {
            return Err(Error::CapacityExceeded {
                what: "g-EHF scratch",
                needed: cov.dim(),
                capacity: scratch.as_ref().len(),
            });
        }
        Ok(Self {
            a: T::from_f64(1.0 - 1.0 / (config.gamma * config.gamma)),
            config,
            cov,
            u: scratch,
            extension: Extension::None,
            regularization: Regularization::NONE,
            health: Health::default(),
        })
    }

    /// The parameters.
    pub fn config(&self) -> &GEhfConfig {
        &self.config
    }

    /// The covariance `P`.
    pub fn covariance(&self) -> &C {
        &self.cov
    }

    /// Mutable access to the covariance (e.g. to restore a saved `P`).
    pub fn covariance_mut(&mut self) -> &mut C {
        &mut self.cov
    }

    /// `P ← ε0 I` (eq. 5): forget everything learned about the weights.
    pub fn reset(&mut self) {
        self.cov.reset(T::from_f64(self.config.eps0));
    }

    /// One g-EHF step (eqs. 3–6) on the sample `(x, y)`: Jacobian at the
    /// current weights, gain, weight update, covariance update.
    ///
    /// A network with N_L ≥ 2 outputs gets the multi-output filter of the
    /// paper's outlook (`H` N_L × N_w, `R = diag(I, −γ_f² I)`, see
    /// [`GEhf::measurement_update`]): N_L ≤ [`MAX_OUTPUTS`], a scratch of
    /// N_L·N_w elements, and no [`Extension`] or covariance-first order
    /// ([`Error::Unsupported`]). One output runs the code below, unchanged.
    ///
    /// On any error (wrong lengths, non-finite input or target, a network
    /// whose size does not match `P`, an update that would be non-finite)
    /// the weights and `P` are unchanged.
    pub fn step<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        let spec = *net.spec();
        if spec.outputs() != 1 {
            // N_L ≥ 2: the paper's outlook, in `gehf/multi.rs`.
            return self.step_multi(net, x, y);
        }
        let nw = spec.n_weights();
        check_len("covariance dimension", nw, self.cov.dim())?;
        check_len("target", 1, y.len())?;
        check_finite("target", y)?;
        if self.u.as_ref().len() < nw {
            return Err(Error::CapacityExceeded {
                what: "g-EHF scratch",
                needed: nw,
                capacity: self.u.as_ref().len(),
            });
        }
        let (u, saved) = self.u.as_mut().split_at_mut(nw);
        // The trust region's a-posteriori test needs N_w more of scratch.
        let trust = match self.extension {
            Extension::OutputTrustRegion(tr) => Some(tr),
            Extension::None => None,
        };
        let saved = match trust {
            Some(tr) if tr.max_halvings > 0 => match saved.get_mut(..nw) {
                Some(saved) => Some(saved),
                None => {
                    return Err(Error::CapacityExceeded {
                        what: "g-EHF scratch (trust region)",
                        needed: 2 * nw,
                        capacity: nw + saved.len(),
                    });
                }
            },
            _ => None,
        };

        // H_{k+1} and h_{k+1}(ŵ_k) at the current estimate.
        let (out, h) = net.jacobian(x)?;
        let output = out[0];
        let error = y[0] - output;
        // u = P h,  s = h P hᵀ.
        self.cov.mul_vec(h, u);
        let s = dot(h, u);

        let one = T::ONE;
        let a = self.a;
        let denom = match (self.cov.is_fixed(), self.config.gain_order) {
            (false, GainOrder::CovarianceFirst) => one + (one + a) * s,
            _ => one + s,
        };
        let c_den = one + a * s;
        if !(error.is_finite() && s.is_finite() && denom > T::ZERO && c_den > T::ZERO) {
            self.health.rejected += 1;
            return Err(Error::Diverged { what: "covariance" });
        }
        let mut step = error / denom;
        let c = a / c_den;
        // Numerical health of P: the downdate (and the regularization after
        // it) must leave a finite, positive diagonal, or nothing changes.
        let reg = self.regularization;
        let fixed = self.cov.is_fixed();
        if !fixed && let Some((lo, hi)) = self.cov.downdate_diagonal_bounds(c, u) {
            let hi = hi * T::from_f64(1.0 / reg.forgetting) + T::from_f64(reg.process_noise);
            if !(lo.is_finite() && hi.is_finite()) || (lo <= T::ZERO && reg.diagonal_floor <= 0.0) {
                self.health.rejected += 1;
                return Err(Error::Diverged { what: "covariance" });
            }
        }
        // Extension (off by default): the trust region's a-priori bound
        // |Δsᴸ| = |s · step| / f'(sᴸ) ≤ δ on the linearised output move.
        let mut slope_at_output = T::ZERO;
        if let Some(tr) = trust {
            slope_at_output = sigmoid_derivative(T::from_f64(spec.slope()), output);
            let bound = T::from_f64(tr.delta) * slope_at_output;
            let predicted = (s * step).abs();
            if predicted > bound {
                step *= bound / predicted;
            }
        }
        // Check the whole update before applying any of it: every new
        // weight w + step·u and every downdate entry c·u_i² finite.
        let w = net.weights();
        if !all_finite_zip(u, w, |ui, wi| {
            nan_unless_finite(wi + step * ui) + nan_unless_finite(c * ui * ui)
        }) {
            self.health.rejected += 1;
            return Err(Error::Diverged { what: "weights" });
        }
        match (trust, saved) {
            (Some(tr), Some(saved)) if slope_at_output > T::ZERO && step != T::ZERO => {
                // Extension: ŵ ← ŵ + α K e with the a-posteriori test.
                let before = net.output_preactivation(0);
                let tol = T::from_f64(tr.tolerance);
                let half = T::from_f64(0.5);
                saved.copy_from_slice(net.weights());
                let mut accepted = false;
                for _ in 0..=tr.max_halvings {
                    for ((wi, w0), ui) in net.weights_mut().iter_mut().zip(&*saved).zip(&*u) {
                        *wi = *w0 + step * *ui;
                    }
                    if let Err(e) = net.forward(x) {
                        net.weights_mut().copy_from_slice(saved);
                        return Err(e);
                    }
                    let actual = net.output_preactivation(0) - before;
                    let predicted = s * step / slope_at_output;
                    if (actual - predicted).abs() <= tol * predicted.abs() {
                        accepted = true;
                        break;
                    }
                    step *= half;
                }
                if !accepted {
                    // No step for this sample (α = 0); exact restore.
                    net.weights_mut().copy_from_slice(saved);
                }
            }
            _ => {
                // ŵ ← ŵ + K e  (eq. 3)
                for (wi, ui) in net.weights_mut().iter_mut().zip(u.iter()) {
                    *wi += step * *ui;
                }
            }
        }
        // P ← P − c u uᵀ  (eq. 4, rank-one form)
        self.cov.downdate(c, u);
        self.health.steps += 1;
        if !fixed && !reg.is_none() {
            self.regularize();
        }
        Ok(StepReport {
            error,
            output,
            hph: s,
            residuals: ErrorStats::of(&[error]),
        })
    }
}

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> GEhf<T, C, S> {
    /// The [`Regularization`] after a downdate: forgetting, process noise,
    /// diagonal floor (each a no-op when off).
    fn regularize(&mut self) {
        let reg = self.regularization;
        if reg.forgetting < 1.0 && self.cov.scale(T::from_f64(1.0 / reg.forgetting)).is_err() {
            self.health.regularization_skipped += 1;
        }
        if reg.process_noise > 0.0
            && self
                .cov
                .add_diagonal(T::from_f64(reg.process_noise))
                .is_err()
        {
            self.health.regularization_skipped += 1;
        }
        if reg.diagonal_floor > 0.0 {
            match self.cov.floor_diagonal(T::from_f64(reg.diagonal_floor)) {
                Ok(n) => self.health.floor_interventions += n as u64,
                Err(_) => self.health.regularization_skipped += 1,
            }
        }
    }
}

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> Optimizer<T> for GEhf<T, C, S> {
    fn observe<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        self.step(net, x, y)
    }
}
