//! One g-EHF step for a network with one output: eqs. (3)–(6) in the
//! rank-one form derived in the module docs of [`super`], with the
//! optional trust region of [`super::TrustRegion`].

use super::{Extension, GEhf, GainOrder};
use crate::covariance::Covariance;
use crate::data::ErrorStats;
use crate::error::{Error, Result, check_finite, check_len};
use crate::network::{ResNet, sigmoid_derivative};
use crate::optimizer::StepReport;
use crate::real::{Real, all_finite_zip, dot, nan_unless_finite};

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
