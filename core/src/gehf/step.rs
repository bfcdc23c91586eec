//! One g-EHF step for a network with one output: eqs. (3)–(6) in the
//! rank-one form derived in the module docs of [`super`], with the
//! optional trust region of [`super::TrustRegion`].

use super::{
    Extension, GEhf, GainOrder, TrustRegion, counted, diagonal_admissible, gain_denominator,
};
use crate::covariance::Covariance;
use crate::data::ErrorStats;
use crate::error::{Error, Result, check_finite, check_len};
use crate::network::{ResNet, sigmoid_derivative};
use crate::optimizer::StepReport;
use crate::real::{Real, all_finite_zip, dot, nan_unless_finite};
use crate::spec::ResNetSpec;

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> GEhf<T, C, S> {
    /// One g-EHF step (eqs. 3–6) on the sample `(x, y)`: Jacobian at the
    /// current weights, gain, weight update, covariance update.
    ///
    /// A network with N_L ≥ 2 outputs gets the multi-output filter of the
    /// paper's outlook (`H` N_L × N_w, `R = diag(I, −γ_f² I)`, see
    /// [`GEhf::measurement_update`]): N_L ≤ [`MAX_OUTPUTS`](super::MAX_OUTPUTS), a scratch of
    /// N_L·N_w elements, and no [`Extension`] or covariance-first order
    /// ([`Error::Unsupported`]). One output runs the code below, unchanged.
    ///
    /// On any error (wrong lengths, non-finite input or target, a network
    /// whose size does not match `P`, an update that would be non-finite)
    /// the weights and `P` are unchanged.
    // (One function of about 90 lines on purpose: every check comes before
    // the first change, in the order of eqs. 3–4, and that order is the
    // guarantee above; split up, it would be spread over several bodies.)
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
        self.check_single(&spec, net.has_dense_jacobian(), y)?;
        let trust = match self.extension {
            Extension::OutputTrustRegion(tr) => Some(tr),
            Extension::None => None,
        };
        let (u, rest) = self.u.as_mut().split_at_mut(nw);
        let saved = trial_scratch(trust, rest, nw)?;

        // H_{k+1} and h_{k+1}(ŵ_k) at the current estimate (`h` empty if
        // the network keeps it only by its factors).
        let output = net.jacobian_factors(x)?.activations(spec.layers())[0];
        let error = y[0] - output;
        let h = net.last_jacobian();
        // u = P h,  s = h P hᵀ (for the covariance-first order, P before
        // the current Jacobian enters: see `Covariance::mul_vec_pending`).
        let pending = self.config.gain_order == GainOrder::CovarianceFirst;
        let factors = net.last_jacobian_factors();
        self.cov.mul_jacobian(h, &factors, pending, u);
        let s = match h.is_empty() {
            true => factors.dot(0, u),
            false => dot(h, u),
        };

        let fixed = self.cov.is_fixed();
        let Some((mut step, c)) = gain(self.a, fixed, self.config.gain_order, s, error) else {
            return Err(self.health.reject("covariance"));
        };
        // Numerical health of P: the downdate (and the regularization after
        // it) must leave a finite, positive diagonal, or nothing changes.
        let reg = self.regularization;
        if !fixed
            && let Some((lo, hi)) = self.cov.downdate_diagonal_bounds(c, u)
            && !diagonal_admissible(&reg, lo, hi)
        {
            return Err(self.health.reject("covariance"));
        }
        // Extension (off by default): the trust region's a-priori bound.
        let mut slope_at_output = T::ZERO;
        if let Some(tr) = trust {
            slope_at_output = sigmoid_derivative(T::from_f64(spec.slope()), output);
            step = bounded_step(&tr, slope_at_output, s, step);
        }
        // Check the whole update before applying any of it: every new
        // weight w + step·u and every downdate entry c·u_i² finite.
        let w = net.weights();
        if !all_finite_zip(u, w, |ui, wi| {
            nan_unless_finite(wi + step * ui) + nan_unless_finite(c * ui * ui)
        }) {
            return Err(self.health.reject("weights"));
        }
        // A covariance that keeps the Jacobian (an information-form window)
        // prepares to take it in, or refuses the step; nothing changed yet.
        // (The row `mul_jacobian` was given above.)
        let prepared = self.cov.prepare_jacobian(net.last_jacobian(), self.a);
        counted(prepared, &mut self.health)?;
        match (trust, saved) {
            (Some(tr), Some(saved)) if slope_at_output > T::ZERO && step != T::ZERO => {
                let linear = OutputMove {
                    s,
                    slope: slope_at_output,
                };
                trial_step(net, x, &tr, saved, u, step, linear)?;
            }
            // ŵ ← ŵ + K e  (eq. 3)
            _ => add_scaled(net.weights_mut(), step, u),
        }
        // P ← P − c u uᵀ  (eq. 4, rank-one form; by default
        // `Covariance::record` is exactly this downdate).
        self.cov.record_jacobian(net.last_jacobian(), self.a, c, u);
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

    /// The checks of a one-output step that come before any arithmetic.
    fn check_single(&self, spec: &ResNetSpec, dense: bool, y: &[T]) -> Result<()> {
        let nw = spec.n_weights();
        check_len("covariance dimension", nw, self.cov.dim())?;
        if !(dense || self.cov.takes_factors(spec)) {
            return Err(Error::Unsupported {
                what: "a network kept by its Jacobian's factors with this covariance",
            });
        }
        check_len("target", 1, y.len())?;
        check_finite("target", y)?;
        if self.u.as_ref().len() < nw {
            return Err(Error::CapacityExceeded {
                what: "g-EHF scratch",
                needed: nw,
                capacity: self.u.as_ref().len(),
            });
        }
        Ok(())
    }
}

/// `w ← w + a u`.
fn add_scaled<T: Real>(w: &mut [T], a: T, u: &[T]) {
    for (wi, ui) in w.iter_mut().zip(u) {
        *wi += a * *ui;
    }
}

/// The step `e / (1 + s)` of eq. (3) and the downdate factor
/// `c = a / (1 + a s)` of eq. (4), `a = 1 − γ⁻²`; `None` unless `e` and
/// `s` are finite and both denominators positive.
fn gain<T: Real>(a: T, fixed: bool, order: GainOrder, s: T, error: T) -> Option<(T, T)> {
    let denom = gain_denominator(a, fixed, order, s);
    let c_den = T::ONE + a * s;
    if !(error.is_finite() && s.is_finite() && denom > T::ZERO && c_den > T::ZERO) {
        return None;
    }
    Some((error / denom, a / c_den))
}

/// Where the trust region's a-posteriori test keeps ŵ: the N_w after `u`
/// in the scratch (`None` when the test is off).
fn trial_scratch<T>(
    trust: Option<TrustRegion>,
    rest: &mut [T],
    nw: usize,
) -> Result<Option<&mut [T]>> {
    let capacity = nw + rest.len();
    match trust {
        Some(tr) if tr.max_halvings > 0 => match rest.get_mut(..nw) {
            Some(saved) => Ok(Some(saved)),
            None => Err(Error::CapacityExceeded {
                what: "g-EHF scratch (trust region)",
                needed: 2 * nw,
                capacity,
            }),
        },
        _ => Ok(None),
    }
}

/// The trust region's a-priori bound (extension): `step` scaled so that the
/// linearised output move `|Δsᴸ| = |s · step| / f'(sᴸ)` is at most δ.
fn bounded_step<T: Real>(tr: &TrustRegion, slope_at_output: T, s: T, step: T) -> T {
    let bound = T::from_f64(tr.delta) * slope_at_output;
    let predicted = (s * step).abs();
    if predicted > bound {
        step * (bound / predicted)
    } else {
        step
    }
}

/// The linearised model's output move: `Δsᴸ = s · step / f'(sᴸ)`.
#[derive(Clone, Copy)]
struct OutputMove<T> {
    /// `s = h P hᵀ`.
    s: T,
    /// `f'(sᴸ)`, > 0.
    slope: T,
}

/// The trust region's a-posteriori test (extension): `ŵ ← ŵ₀ + α K e`
/// from the copy `saved` of ŵ₀, halving α while the actual change of
/// `sᴸ` departs from the predicted one by more than τ times it. If no α
/// passes, ŵ₀ is restored exactly (no step for this sample).
fn trial_step<T: Real, NS: AsRef<[T]> + AsMut<[T]>>(
    net: &mut ResNet<T, NS>,
    x: &[T],
    tr: &TrustRegion,
    saved: &mut [T],
    u: &[T],
    mut step: T,
    linear: OutputMove<T>,
) -> Result<()> {
    let before = net.output_preactivation(0);
    let tol = T::from_f64(tr.tolerance);
    let half = T::from_f64(0.5);
    saved.copy_from_slice(net.weights());
    for _ in 0..=tr.max_halvings {
        for ((wi, w0), ui) in net.weights_mut().iter_mut().zip(&*saved).zip(u) {
            *wi = *w0 + step * *ui;
        }
        if let Err(e) = net.forward(x) {
            net.weights_mut().copy_from_slice(saved);
            return Err(e);
        }
        let actual = net.output_preactivation(0) - before;
        let predicted = linear.s * step / linear.slope;
        if (actual - predicted).abs() <= tol * predicted.abs() {
            return Ok(());
        }
        step *= half;
    }
    // No step for this sample (α = 0); exact restore.
    net.weights_mut().copy_from_slice(saved);
    Ok(())
}
