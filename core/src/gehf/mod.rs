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
//!
//! Files: `config.rs` (the parameters, [`Extension`], [`Regularization`]),
//! `step.rs` (one output, [`GEhf::step`]), `multi.rs` (N_L ≥ 2 outputs,
//! [`GEhf::measurement_update`]); this one holds the filter's state.

use crate::covariance::Covariance;
use crate::error::{Error, Result};
use crate::network::ResNet;
use crate::optimizer::{Optimizer, StepReport};
use crate::real::Real;

mod config;
mod multi;
mod step;
pub use config::{
    DEFAULT_EPS0, EXTENSION_EPS0, Extension, GEhfConfig, GainOrder, PAPER_GAMMA, Regularization,
    TrustRegion,
};
pub use multi::MAX_OUTPUTS;

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

impl Health {
    /// Counts a rejected step and returns its [`Error::Diverged`].
    fn reject(&mut self, what: &'static str) -> Error {
        self.rejected += 1;
        Error::Diverged { what }
    }
}

/// The denominator of the gain `K = u / (1 + s)` (eq. 3), `s = h P hᵀ`;
/// `1 + (2 − γ⁻²) s` for the covariance-first order, `a = 1 − γ⁻²`.
fn gain_denominator<T: Real>(a: T, fixed: bool, order: GainOrder, s: T) -> T {
    let one = T::ONE;
    match (fixed, order) {
        (false, GainOrder::CovarianceFirst) => one + (one + a) * s,
        _ => one + s,
    }
}

/// The result of [`Covariance::prepare_record`] (or
/// [`Covariance::prepare_jacobian`]) for the step about to be applied; a
/// refusal for numerical reasons ([`Error::Diverged`]) counts as a
/// rejected step.
fn counted(result: Result<()>, health: &mut Health) -> Result<()> {
    result.inspect_err(|e| {
        if matches!(e, Error::Diverged { .. }) {
            health.rejected += 1;
        }
    })
}

/// `true` if `P`'s diagonal after a downdate, in `[lo, hi]`, stays finite
/// after the regularization (`hi / λ + q`) and positive, or is raised by a
/// diagonal floor.
fn diagonal_admissible<T: Real>(reg: &Regularization, lo: T, hi: T) -> bool {
    let hi = hi * T::from_f64(1.0 / reg.forgetting) + T::from_f64(reg.process_noise);
    lo.is_finite() && hi.is_finite() && !(lo <= T::ZERO && reg.diagonal_floor <= 0.0)
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
    /// [`Error::Unsupported`] if the covariance does not implement an
    /// option's P-side operation ([`Covariance::regularizable`]). A
    /// fixed covariance (steepest descent) ignores it.
    pub fn with_regularization(mut self, regularization: Regularization) -> Result<Self> {
        self.set_regularization(regularization)?;
        Ok(self)
    }

    /// As [`GEhf::with_regularization`], in place.
    pub fn set_regularization(&mut self, regularization: Regularization) -> Result<()> {
        regularization.validate()?;
        if !self.cov.is_fixed()
            && let Some(e) = regularization.unsupported_by(self.cov.regularizable())
        {
            return Err(e);
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
