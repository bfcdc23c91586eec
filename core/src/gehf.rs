//! H∞-learning: the g-EHF update of eqs. (3)–(6) for one output, and its
//! steepest-descent variant.
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
use crate::error::{Error, Result, check_finite, check_len};
use crate::network::ResNet;
use crate::real::{Real, dot};
use crate::train::{Optimizer, StepReport};

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

/// The g-EHF learner state: parameters, the covariance `P` (any
/// [`Covariance`]) and an N_w scratch vector `S` for `u = P h`.
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
}

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> GEhf<T, C, S> {
    /// A filter with `P = ε0 I` (the covariance is reset to `config.eps0`).
    /// Fails on γ_f ≤ 1, ε0 ≤ 0 (or non-finite) or a scratch shorter than
    /// the covariance's dimension.
    pub fn new(config: GEhfConfig, mut cov: C, scratch: S) -> Result<Self> {
        config.validate()?;
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
        })
    }

    /// Splits the filter into its parameters, covariance and scratch.
    pub fn into_parts(self) -> (GEhfConfig, C, S) {
        (self.config, self.cov, self.u)
    }

    /// Rebuilds a filter around an existing covariance **without** resetting it.
    pub fn from_parts(config: GEhfConfig, cov: C, scratch: S) -> Result<Self> {
        config.validate()?;
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
            return Err(Error::Unsupported {
                what: "g-EHF with several outputs",
            });
        }
        let nw = spec.n_weights();
        check_len("covariance dimension", nw, self.cov.dim())?;
        check_len("target", 1, y.len())?;
        check_finite("target", y)?;
        let u = &mut self.u.as_mut()[..nw];

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
            return Err(Error::Diverged { what: "covariance" });
        }
        let step = error / denom;
        let c = a / c_den;
        // Check the whole update before applying any of it.
        let w = net.weights();
        if !u
            .iter()
            .zip(w)
            .all(|(ui, wi)| (*wi + step * *ui).is_finite())
            || !u.iter().all(|ui| (c * *ui * *ui).is_finite())
        {
            return Err(Error::Diverged { what: "weights" });
        }
        // ŵ ← ŵ + K e  (eq. 3)
        for (wi, ui) in net.weights_mut().iter_mut().zip(u.iter()) {
            *wi += step * *ui;
        }
        // P ← P − c u uᵀ  (eq. 4, rank-one form)
        self.cov.downdate(c, u);
        Ok(StepReport {
            error,
            output,
            hph: s,
        })
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
