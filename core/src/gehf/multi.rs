//! The g-EHF for N_L ≥ 2 outputs: the paper's outlook (PAPER.md section 4,
//! last paragraph) — the same filter with `H` of shape N_L × N_w, the 1 in
//! the gain replaced by the N_L × N_L identity and `R = diag(I, −γ_f² I)`.
//!
//! # The update implemented
//!
//! Write `m = N_L`, `a = 1 − γ_f⁻²`, `U = P Hᵀ` (N_w × m, one column
//! `U_i = P h_i` per output) and `G = H P Hᵀ = H U` (m × m).
//!
//! **Gain (eq. 3).** `K = P Hᵀ (H P Hᵀ + I)⁻¹ = U (I + G)⁻¹`, so the step is
//! `ŵ ← ŵ + U α` with `(I + G) α = e`, `e = y − h(ŵ)`. `I + G ⪰ I` is
//! solved by a Cholesky factorisation of an m × m array on the stack.
//!
//! **Covariance (eqs. 4, 6).** With `R = diag(I, −γ² I)` and the stacked
//! `[H; H]`, the block form `P' = P − P[Hᵀ Hᵀ] R_e⁻¹ [H; H] P`,
//! `R_e = R + [H; H] P [Hᵀ Hᵀ]`, is the Woodbury identity applied to
//! `P'⁻¹ = P⁻¹ + [Hᵀ Hᵀ] R⁻¹ [H; H] = P⁻¹ + Hᵀ H − γ⁻² Hᵀ H
//! = P⁻¹ + a Hᵀ H = P⁻¹ + a Σ_i h_i h_iᵀ`
//! (eq. 7 with a rank-m term). A sum of m rank-one terms can be added to
//! `P⁻¹` one at a time, and each is the single-output downdate
//! (Sherman–Morrison): with `P_0 = P`,
//!
//! ```text
//! v_i = P_{i−1} h_i,   s_i = h_iᵀ v_i,   c_i = a / (1 + a s_i),
//! P_i = P_{i−1} − c_i v_i v_iᵀ,          P' = P_m.
//! ```
//!
//! So `P` only ever receives [`Covariance::downdate`]s: the packed, dense
//! and isotropic forms, and any structured `ε0 I − Σ cᵢ uᵢ uᵢᵀ` on a host,
//! need nothing new. The `v_i` are not computed by m more products with
//! `P`: since `P_{i−1} = P − Σ_{j<i} c_j v_j v_jᵀ`,
//!
//! ```text
//! v_i = U_i − Σ_{j<i} c_j M_ji v_j,     M_ji = h_iᵀ v_j  (j ≤ i),
//! M_ji = G_ij − Σ_{k<j} c_k M_kj M_ki,  s_i = M_ii,
//! ```
//!
//! which turns `U` into `V = [v_1 … v_m]` in place with O(m² N_w)
//! operations (an LDLᵀ factorisation of `a⁻¹ I + G` in disguise:
//! `D_i = a⁻¹ + s_i = 1/c_i`). The weight step is then re-expressed on the
//! `v_j`: `U α = Σ_j β_j v_j` with `β_j = α_j + c_j Σ_{i>j} M_ji α_i`.
//! Every quantity is checked before the weights or `P` change.
//!
//! For m = 1 this is `u = P h`, `K = u/(s + 1)`, `P −= c u uᵀ` with the
//! single-output `c`; [`super::GEhf::step`] keeps its own single-output code
//! (bit for bit the earlier results), and
//! [`super::GEhf::measurement_update`] with one row gives the same numbers.
//!
//! # Limits
//!
//! * m ≤ [`MAX_OUTPUTS`] (fixed-size work arrays, no heap);
//!   [`crate::Error::CapacityExceeded`] beyond it.
//! * The filter's scratch must hold m·N_w elements (the columns of `U`).
//! * [`super::Extension::OutputTrustRegion`] and
//!   [`super::GainOrder::CovarianceFirst`] (with a non-fixed `P`) are
//!   single-output only: [`crate::Error::Unsupported`] for m ≥ 2.

use super::{Extension, GEhf, GainOrder, counted, diagonal_admissible, gain_denominator};
use crate::covariance::Covariance;
use crate::data::ErrorStats;
use crate::error::{Error, Result, check_finite, check_len};
use crate::network::ResNet;
use crate::optimizer::StepReport;
use crate::real::{Real, dot};

/// The largest number of outputs N_L the g-EHF handles (its m × m work
/// arrays live on the stack: 3·64 elements).
pub const MAX_OUTPUTS: usize = 8;

const SQ: usize = MAX_OUTPUTS * MAX_OUTPUTS;

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> GEhf<T, C, S> {
    /// The filter's measurement update (eqs. 3–6) for a given Jacobian and
    /// a-priori error, N_L ≥ 1 outputs: `ŵ ← ŵ + K e`,
    /// `K = P Hᵀ (H P Hᵀ + I)⁻¹`, and `P` by eq. (4) with
    /// `R = diag(I, −γ_f² I)`, applied as N_L rank-one downdates (see the
    /// derivation in the source of this module, `gehf/multi.rs`).
    ///
    /// `jacobian` holds N_L rows of N_w (row o = `∂h_o/∂w`, the layout of
    /// [`ResNet::jacobian`]) and `errors` the N_L errors `y − h(ŵ)`;
    /// N_w = `weights.len()` = the covariance's dimension. The scratch must
    /// hold N_L·N_w elements. [`GEhf::step`] is this update with the
    /// Jacobian of a [`ResNet`]; this entry point serves other models and
    /// tests. The [`super::Extension`] is not applied here (it needs the
    /// network); with one row the result equals [`GEhf::step`]'s bit for bit.
    ///
    /// Returns `h₁ P h₁ᵀ` of the first row. On any error (lengths, N_L >
    /// [`MAX_OUTPUTS`], non-finite input, an update that would leave the
    /// weights or `P` non-finite or `P` indefinite) the weights and `P` are
    /// unchanged.
    pub fn measurement_update(
        &mut self,
        weights: &mut [T],
        jacobian: &[T],
        errors: &[T],
    ) -> Result<T> {
        let nw = weights.len();
        let m = errors.len();
        if m == 0 {
            return Err(Error::ZeroWidth);
        }
        check_len("covariance dimension", nw, self.cov.dim())?;
        check_len("jacobian", m.saturating_mul(nw), jacobian.len())?;
        check_finite("errors", errors)?;
        check_finite("jacobian", jacobian)?;
        check_finite("weights", weights)?;
        self.check_multi(m, nw, false)?;
        let mut e = [T::ZERO; MAX_OUTPUTS];
        e[..m].copy_from_slice(errors);
        let g = self.products(jacobian, m, nw)?;
        self.apply(weights, jacobian, &g, &e, m, nw)
    }

    /// [`GEhf::step`] for a network with N_L ≥ 2 outputs.
    pub(super) fn step_multi<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        let spec = *net.spec();
        let m = spec.outputs();
        let nw = spec.n_weights();
        check_len("covariance dimension", nw, self.cov.dim())?;
        check_len("target", m, y.len())?;
        check_finite("target", y)?;
        self.check_multi(m, nw, true)?;

        let mut e = [T::ZERO; MAX_OUTPUTS];
        let (output, g) = {
            let (out, h) = net.jacobian(x)?;
            for ((ei, yi), oi) in e.iter_mut().zip(y).zip(out) {
                *ei = *yi - *oi;
            }
            (out[0], self.products(h, m, nw)?)
        };
        let (w, h) = net.weights_mut_and_jacobian_rows();
        let hph = self.apply(w, h, &g, &e, m, nw)?;
        Ok(StepReport {
            error: e[0],
            output,
            hph,
            residuals: ErrorStats::of(&e[..m]),
        })
    }

    /// The configuration checks of the multi-output update.
    fn check_multi(&self, m: usize, nw: usize, from_step: bool) -> Result<()> {
        if m > MAX_OUTPUTS {
            return Err(Error::CapacityExceeded {
                what: "g-EHF outputs",
                needed: m,
                capacity: MAX_OUTPUTS,
            });
        }
        if from_step && m > 1 && !matches!(self.extension, Extension::None) {
            return Err(Error::Unsupported {
                what: "the trust-region extension with several outputs",
            });
        }
        if m > 1 && !self.cov.is_fixed() && self.config.gain_order == GainOrder::CovarianceFirst {
            return Err(Error::Unsupported {
                what: "the covariance-first gain order with several outputs",
            });
        }
        let needed = m.saturating_mul(nw);
        let capacity = self.u.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "g-EHF scratch (N_L x N_w)",
                needed,
                capacity,
            });
        }
        Ok(())
    }

    /// `U = P Hᵀ` into the scratch (column i = `P h_i`) and `G = H U`
    /// (row-major m × m, symmetrised from its lower triangle).
    fn products(&mut self, h: &[T], m: usize, nw: usize) -> Result<[T; SQ]> {
        let u = &mut self.u.as_mut()[..m * nw];
        // One output in the covariance-first order: P before the current
        // Jacobian enters (`Covariance::mul_vec_pending`), as `step` does.
        let pending = m == 1 && self.config.gain_order == GainOrder::CovarianceFirst;
        if nw > 0 {
            for (hi, ui) in h.chunks_exact(nw).zip(u.chunks_exact_mut(nw)) {
                if pending {
                    self.cov.mul_vec_pending(hi, ui);
                } else {
                    self.cov.mul_vec(hi, ui);
                }
            }
        }
        let mut g = [T::ZERO; SQ];
        for i in 0..m {
            for j in 0..=i {
                let gij = dot(&h[i * nw..(i + 1) * nw], &u[j * nw..(j + 1) * nw]);
                g[i * m + j] = gij;
                g[j * m + i] = gij;
            }
        }
        if !g[..m * m].iter().all(|x| x.is_finite()) {
            self.health.rejected += 1;
            return Err(Error::Diverged { what: "covariance" });
        }
        Ok(g)
    }

    /// Gain, checks, weight step and downdates, from `U` (in the scratch),
    /// the Jacobian `h` (m rows of N_w), `G` and `e`. Returns `G_00`.
    fn apply(
        &mut self,
        w: &mut [T],
        h: &[T],
        g: &[T; SQ],
        e: &[T],
        m: usize,
        nw: usize,
    ) -> Result<T> {
        let fixed = self.cov.is_fixed();
        // α = (I + G)⁻¹ e  (eq. 3).
        let Some(alpha) = self.gain_coefficients(g, e, m) else {
            return Err(self.health.reject("covariance"));
        };
        // Sequential downdates: c_i and M_ji = h_iᵀ v_j (j ≤ i).
        let Some((c, mm)) = downdate_factors(self.a, g, m) else {
            return Err(self.health.reject("covariance"));
        };
        // U → V in place and β (the weight step on the v_j). A fixed P
        // (steepest descent) is never downdated: V = U, β = α.
        let u = &mut self.u.as_mut()[..m * nw];
        let beta = if fixed {
            alpha
        } else {
            to_downdate_basis(u, &c, &mm, &alpha, m, nw)
        };
        let v = &*u;
        let step = WeightStep { v, beta, m, nw };

        // Check the whole update before applying any of it.
        if !step.is_finite(w, &c) {
            return Err(self.health.reject("weights"));
        }
        // Numerical health of P: the m downdates (and the regularization
        // after them) must leave a finite, positive diagonal. Checked where
        // the representation reads its diagonal cheaply; one row by the
        // covariance's own bounds, as `step` checks it (they know what its
        // downdate also drops: a full `TermWindow`'s oldest term).
        if !fixed
            && nw > 0
            && let Some(own) = self.cov.downdate_diagonal_bounds(c[0], &v[..nw])
        {
            let bounds = if m == 1 {
                Some(own)
            } else {
                downdated_diagonal_bounds(&self.cov, &step, &c)
            };
            if !bounds.is_some_and(|(lo, hi)| diagonal_admissible(&self.regularization, lo, hi)) {
                return Err(self.health.reject("covariance"));
            }
        }

        // A covariance that keeps the Jacobian prepares to take it in, or
        // refuses the step; nothing changed yet.
        counted(self.cov.prepare_record(h, self.a), &mut self.health)?;
        // ŵ ← ŵ + K e  (eq. 3)
        step.apply(w);
        // P ← P − Σ c_i v_i v_iᵀ, in order (eq. 4 as m rank-one downdates;
        // by default `Covariance::record` is exactly these downdates).
        self.cov.record(h, self.a, &c[..m], v);
        self.health.steps += 1;
        if !fixed && !self.regularization.is_none() {
            self.regularize();
        }
        Ok(g[0])
    }

    /// `α = (I + G)⁻¹ e` (eq. 3); for m = 1 with the single-output
    /// filter's roundings, `e / (1 + s)` or `e / (1 + (2 − γ⁻²) s)` for the
    /// covariance-first order. `None` at a non-positive pivot or a
    /// non-finite value.
    fn gain_coefficients(&self, g: &[T; SQ], e: &[T], m: usize) -> Option<[T; MAX_OUTPUTS]> {
        let mut alpha = [T::ZERO; MAX_OUTPUTS];
        if m == 1 {
            let denom = gain_denominator(self.a, self.cov.is_fixed(), self.config.gain_order, g[0]);
            if !(e[0].is_finite() && denom > T::ZERO) {
                return None;
            }
            alpha[0] = e[0] / denom;
        } else if !solve_identity_plus(g, &e[..m], m, &mut alpha) {
            return None;
        }
        Some(alpha)
    }
}

/// The factors `c_i = a / (1 + a s_i)` of the m sequential downdates and
/// `M_ji = G_ij − Σ_{k<j} c_k M_kj M_ki` (row-major, j ≤ i), `s_i = M_ii`;
/// `None` if some `s_i` is not finite or `1 + a s_i ≤ 0`.
fn downdate_factors<T: Real>(a: T, g: &[T; SQ], m: usize) -> Option<([T; MAX_OUTPUTS], [T; SQ])> {
    let mut c = [T::ZERO; MAX_OUTPUTS];
    let mut mm = [T::ZERO; SQ];
    for i in 0..m {
        for j in 0..=i {
            let mut x = g[i * m + j];
            for k in 0..j {
                x -= c[k] * mm[k * m + j] * mm[k * m + i];
            }
            mm[j * m + i] = x;
        }
        let s = mm[i * m + i];
        let c_den = T::ONE + a * s;
        if !(s.is_finite() && c_den > T::ZERO) {
            return None;
        }
        c[i] = a / c_den;
    }
    Some((c, mm))
}

/// Turns the columns `U_i` of `u` into `v_i = U_i − Σ_{j<i} c_j M_ji v_j`
/// in place and returns `β_j = α_j + c_j Σ_{i>j} M_ji α_i`, so that the
/// weight step `U α` is `Σ_j β_j v_j`.
fn to_downdate_basis<T: Real>(
    u: &mut [T],
    c: &[T; MAX_OUTPUTS],
    mm: &[T; SQ],
    alpha: &[T; MAX_OUTPUTS],
    m: usize,
    nw: usize,
) -> [T; MAX_OUTPUTS] {
    for i in 1..m {
        let (done, rest) = u.split_at_mut(i * nw);
        let vi = &mut rest[..nw];
        for j in 0..i {
            let f = c[j] * mm[j * m + i];
            for (x, vj) in vi.iter_mut().zip(&done[j * nw..(j + 1) * nw]) {
                *x -= f * *vj;
            }
        }
    }
    let mut beta = *alpha;
    for j in 0..m {
        let mut acc = T::ZERO;
        for i in j + 1..m {
            acc += mm[j * m + i] * alpha[i];
        }
        beta[j] = alpha[j] + c[j] * acc;
    }
    beta
}

/// The weight step `Σ_j β_j v_j` on the columns `v` (m of N_w).
struct WeightStep<'a, T> {
    v: &'a [T],
    beta: [T; MAX_OUTPUTS],
    m: usize,
    nw: usize,
}

impl<T: Real> WeightStep<'_, T> {
    /// Element k of the step.
    fn at(&self, k: usize) -> T {
        let mut d = T::ZERO;
        for j in 0..self.m {
            d += self.beta[j] * self.v[j * self.nw + k];
        }
        d
    }

    /// `true` if every new weight, every downdate entry `c_j v_jk²` and
    /// every β_j is finite.
    fn is_finite(&self, w: &[T], c: &[T; MAX_OUTPUTS]) -> bool {
        let (m, nw) = (self.m, self.nw);
        let finite_weights = w
            .iter()
            .enumerate()
            .all(|(k, wk)| (*wk + self.at(k)).is_finite());
        let finite_downdate = (0..m).all(|j| {
            self.v[j * nw..(j + 1) * nw]
                .iter()
                .all(|x| (c[j] * *x * *x).is_finite())
        });
        finite_weights && finite_downdate && self.beta[..m].iter().all(|b| b.is_finite())
    }

    /// `w ← w + Σ_j β_j v_j`; for m = 1 with the single-output filter's
    /// roundings, `w += step · u`.
    fn apply(&self, w: &mut [T]) {
        if self.m == 1 {
            for (wk, vk) in w.iter_mut().zip(self.v) {
                *wk += self.beta[0] * *vk;
            }
        } else {
            for (k, wk) in w.iter_mut().enumerate() {
                *wk += self.at(k);
            }
        }
    }
}

/// The smallest and largest diagonal entry of `P − Σ_j c_j v_j v_jᵀ`, by
/// [`Covariance::get`]; `None` if one is not finite.
fn downdated_diagonal_bounds<T: Real, C: Covariance<T>>(
    cov: &C,
    step: &WeightStep<'_, T>,
    c: &[T; MAX_OUTPUTS],
) -> Option<(T, T)> {
    let (m, nw, v) = (step.m, step.nw, step.v);
    let mut lo = T::ZERO;
    let mut hi = T::ZERO;
    for k in 0..nw {
        let mut d = cov.get(k, k);
        for j in 0..m {
            let x = v[j * nw + k];
            d -= c[j] * x * x;
        }
        if !d.is_finite() {
            return None;
        }
        if k == 0 || d < lo {
            lo = d;
        }
        if k == 0 || d > hi {
            hi = d;
        }
    }
    Some((lo, hi))
}

/// Solves `(I + G) α = e` for the symmetric positive semi-definite m × m
/// `G` (row-major) by Cholesky; `false` at a non-positive or non-finite
/// pivot or a non-finite solution.
fn solve_identity_plus<T: Real>(g: &[T; SQ], e: &[T], m: usize, alpha: &mut [T]) -> bool {
    let mut l = [T::ZERO; SQ];
    for i in 0..m {
        for j in 0..=i {
            let mut acc = g[i * m + j] + if i == j { T::ONE } else { T::ZERO };
            for k in 0..j {
                acc -= l[i * m + k] * l[j * m + k];
            }
            if i == j {
                if !(acc.is_finite() && acc > T::ZERO) {
                    return false;
                }
                l[i * m + i] = acc.sqrt();
            } else {
                l[i * m + j] = acc / l[j * m + j];
            }
        }
    }
    // L z = e, then Lᵀ α = z.
    for i in 0..m {
        let mut acc = e[i];
        for k in 0..i {
            acc -= l[i * m + k] * alpha[k];
        }
        alpha[i] = acc / l[i * m + i];
    }
    for i in (0..m).rev() {
        let mut acc = alpha[i];
        for k in i + 1..m {
            acc -= l[k * m + i] * alpha[k];
        }
        alpha[i] = acc / l[i * m + i];
    }
    alpha[..m].iter().all(|x| x.is_finite())
}
