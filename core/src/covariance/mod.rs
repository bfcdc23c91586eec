//! The covariance `P` of the g-EHF (eqs. 4–7) as a trait, so that storage
//! is the caller's choice.
//!
//! The filter needs exactly two things of `P`: the product `u = P h` and the
//! rank-one downdate `P ← P − c u uᵀ` (the one-output form of eq. 4). Any
//! representation that provides them — packed, dense, isotropic, or a
//! structured `ε0 I − Σ cᵢ uᵢ uᵢᵀ` on a host — plugs into [`crate::GEhf`].
//!
//! One file per representation: `packed.rs` ([`PackedCovariance`], the
//! layout of model files), `dense.rs` ([`DenseCovariance`], the reference),
//! `isotropic.rs` ([`IsotropicCovariance`], steepest descent) and, in
//! bounded memory, `blocks.rs` ([`BlockCovariance`], `P` restricted to
//! diagonal blocks: the l-EHF), `window.rs` ([`InfoWindow`], eq. 7 over
//! the last r Jacobians, dense or by their per-neuron factors, `factors.rs`)
//! and `terms.rs` ([`TermWindow`], the last r terms of
//! `ε0 I − Σ cᵢ uᵢ uᵢᵀ`). This file holds the trait and the checks and
//! helpers they share.
//!
//! Model files (`crate::model`) store `P` packed, except for the two
//! windows: an information window by its rows
//! ([`Covariance::window_state`], …) and a structured window by its terms
//! ([`Covariance::term_state`], …).

use crate::error::{Error, Param, Result};
use crate::network::JacobianFactors;
use crate::real::Real;
use crate::spec::ResNetSpec;
use core::cmp::Ordering;

mod blocks;
mod dense;
mod factors;
mod isotropic;
mod packed;
mod terms;
mod window;
pub use blocks::{BlockCovariance, BlockLayout, Blocking, block_layout_len};
pub use dense::DenseCovariance;
pub use isotropic::IsotropicCovariance;
pub use packed::PackedCovariance;
pub use terms::{TermState, TermWindow, TermWindowShape};
pub use window::{
    FactoredShape, InfoWindow, MAX_WINDOW_ROWS, RowStorage, WindowShape, WindowState,
};

/// The P-side operations of [`crate::Regularization`] a covariance
/// implements ([`Covariance::regularizable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Regularizable {
    /// `P ← P + q I` ([`Covariance::add_diagonal`]).
    pub process_noise: bool,
    /// `P ← α P` ([`Covariance::scale`]).
    pub forgetting: bool,
    /// A diagonal floor ([`Covariance::floor_diagonal`]).
    pub diagonal_floor: bool,
}

impl Regularizable {
    /// None of them (the trait's default).
    pub const NONE: Self = Self {
        process_noise: false,
        forgetting: false,
        diagonal_floor: false,
    };
    /// All three.
    pub const ALL: Self = Self {
        process_noise: true,
        forgetting: true,
        diagonal_floor: true,
    };
}

/// A symmetric positive-definite N × N matrix `P` that the g-EHF multiplies
/// and downdates.
///
/// Callers pass slices of length [`Covariance::dim`]; implementations must
/// not panic on other lengths (they may compute garbage).
pub trait Covariance<T: Real> {
    /// N, the dimension (N_w for the network's weights).
    fn dim(&self) -> usize;
    /// `out ← P v`.
    fn mul_vec(&self, v: &[T], out: &mut [T]);
    /// `P ← P − c u uᵀ`, where `u = P h` was computed by [`Covariance::mul_vec`]
    /// on this same `P` (eq. 4 for one output; with N_L outputs the filter
    /// applies N_L of these in turn, each `u` being `P h_i` for the `P` left
    /// by the previous one — see [`crate::GEhf::measurement_update`]).
    fn downdate(&mut self, c: T, u: &[T]);
    /// `P ← ε0 I` (eq. 5).
    fn reset(&mut self, eps0: T);
    /// Element `P[i][j]` (0 outside the matrix). For tests and diagnostics;
    /// may be slow.
    fn get(&self, i: usize, j: usize) -> T;
    /// `true` if [`Covariance::downdate`] leaves `P` unchanged (steepest descent).
    fn is_fixed(&self) -> bool {
        false
    }

    // ---- the Jacobian itself: hooks for covariances that keep it ----------
    //
    // A covariance in information form (eq. 7, `P⁻¹ = ε0⁻¹ I + a Σ hᵢ hᵢᵀ`
    // with `a = 1 − γ_f⁻²`) needs the Jacobian rows `h`, not only `u = P h`.
    // The filter hands them over through the three methods below. Their
    // defaults are exactly what the filter did before they existed (the
    // product `P h` and the rank-one downdates `P ← P − c u uᵀ`), so a
    // covariance that keeps `P` itself needs none of them.

    /// `out ← P̃ v`, where `P̃` is the covariance to which the next
    /// [`Covariance::record`] of one row adds its term (eq. 7). That is `P`
    /// itself (the default: [`Covariance::mul_vec`]) unless the covariance
    /// forgets as it records: a full window drops its oldest Jacobian
    /// first. The covariance-first gain order
    /// ([`crate::GainOrder::CovarianceFirst`], the gain from the `P` that
    /// already holds the current Jacobian) computes `u` with it, so that
    /// its closed form `K = u / (1 + (2 − γ⁻²) s)` is exact for such a
    /// covariance too.
    fn mul_vec_pending(&self, v: &[T], out: &mut [T]) {
        self.mul_vec(v, out)
    }

    /// `out ← P h` (`pending`: `P̃ h`, as [`Covariance::mul_vec_pending`])
    /// for the Jacobian row `h` of the sample the one-output filter is
    /// about to take in, also given by its per-neuron factors (`factors`,
    /// output 0; eqs. 21–23). A covariance that keeps the Jacobian may
    /// form the product from the factors and keep them for the
    /// [`Covariance::prepare_record`] and [`Covariance::record`] of the
    /// same row, without changing `P` as [`Covariance::mul_vec`] and
    /// [`Covariance::get`] see it. `h` is empty if the network keeps its
    /// Jacobian only by its factors ([`crate::ResNet::factored`]); the
    /// filter does that only if [`Covariance::takes_factors`]. Default:
    /// the product of `h`.
    fn mul_jacobian(
        &mut self,
        h: &[T],
        _factors: &JacobianFactors<'_, T>,
        pending: bool,
        out: &mut [T],
    ) {
        if pending {
            self.mul_vec_pending(h, out)
        } else {
            self.mul_vec(h, out)
        }
    }

    /// `true` if [`Covariance::mul_jacobian`], [`Covariance::prepare_jacobian`]
    /// and [`Covariance::record_jacobian`] work from the factors alone (an
    /// empty `h`) for a network of shape `spec`. Default: `false`.
    fn takes_factors(&self, _spec: &ResNetSpec) -> bool {
        false
    }

    /// Called by the filter once per step, after every check of the step
    /// and before the weights or `P` change, with the rows (N_L rows of N,
    /// row o = `∂h_o/∂w`, the layout of [`crate::ResNet::jacobian`]) that
    /// [`Covariance::record`] will take in and the weight `a = 1 − γ_f⁻²`
    /// of eq. (7). A covariance whose update can fail does its fallible
    /// work here, without changing `P` as [`Covariance::mul_vec`] and
    /// [`Covariance::get`] see it, and refuses the step with an error
    /// ([`Error::Diverged`] if `P` would not stay positive definite): the
    /// filter then changes nothing. Default: `Ok(())`.
    fn prepare_record(&mut self, _rows: &[T], _a: T) -> Result<()> {
        Ok(())
    }

    /// [`Covariance::prepare_record`] of one row `h` that the last
    /// [`Covariance::mul_jacobian`] was given, unchanged since: the
    /// filter's one-output step calls this, and guarantees it. A
    /// covariance that kept that row there may stage it without reading
    /// `h` again. Default: `prepare_record(h, a)`.
    fn prepare_jacobian(&mut self, h: &[T], a: T) -> Result<()> {
        self.prepare_record(h, a)
    }

    /// Takes in one sample's Jacobian rows `h_1 … h_m` (`rows`, m·N):
    /// `P⁻¹ ← P⁻¹ + a Σ_j h_j h_jᵀ` (eq. 7, `a = 1 − γ_f⁻²`). `c` (m values)
    /// and `v` (m·N) are the same update as m rank-one downdates, computed
    /// by the filter: `P ← P − c_j v_j v_jᵀ` in order, `v_j` being
    /// `P h_j` for the `P` left by the previous one (eq. 4; see
    /// [`Covariance::downdate`]). Called after
    /// [`Covariance::prepare_record`] with the same rows.
    ///
    /// Default: those m downdates, in order (one for one output).
    /// The one-output step calls [`Covariance::record_jacobian`].
    fn record(&mut self, _rows: &[T], _a: T, c: &[T], v: &[T]) {
        let n = self.dim();
        if n == 0 {
            return;
        }
        for (cj, vj) in c.iter().zip(v.chunks_exact(n)) {
            self.downdate(*cj, vj);
        }
    }

    /// [`Covariance::record`] of the one row `h` that the last
    /// [`Covariance::prepare_jacobian`] was given (empty if the network
    /// keeps its Jacobian by its factors), with `c` and `v = P h`: the
    /// one-output step calls this, and guarantees it. Default:
    /// `record(h, a, &[c], v)`.
    fn record_jacobian(&mut self, h: &[T], a: T, c: T, v: &[T]) {
        self.record(h, a, &[c], v)
    }

    // ---- model files: a covariance kept as Jacobian rows -------------------
    //
    // A model file stores `P` packed, N(N+1)/2 numbers, except for an
    // information window (eq. 7), which it stores by its rows
    // (`crate::model`, section bit 2). The defaults say "not a window".

    /// The shape, rows kept and ε0 of an information window (eq. 7,
    /// [`InfoWindow`]); `None` (the default) for a covariance that keeps
    /// `P` itself. [`crate::model::save_gehf`] writes the window's rows
    /// ([`Covariance::window_row`]) instead of the packed `P` when it is
    /// `Some`.
    fn window_state(&self) -> Option<WindowState<T>> {
        None
    }

    /// Kept row q of an information window, newest first (q = 0 the
    /// newest): its weight `a_q = 1 − γ_f⁻²` of eq. (7) and its
    /// [`WindowState::row_len`] stored values; `None` for q ≥ n and (the
    /// default) for a covariance that is not a window.
    fn window_row(&self, _q: usize) -> Option<(T, &[T])> {
        None
    }

    /// Makes this window the one of `state` with the `state.rows` rows
    /// `rows` (newest first, [`WindowState::row_len`] values each) and
    /// their weights `weights`, as [`Covariance::window_state`] and
    /// [`Covariance::window_row`] gave them: afterwards it computes
    /// exactly what that window did. Fails, changing nothing, on a state
    /// it cannot hold or a value out of range.
    /// Default: [`Error::Unsupported`] (not a window).
    fn load_window(&mut self, _state: &WindowState<T>, _weights: &[T], _rows: &[T]) -> Result<()> {
        Err(Error::Unsupported {
            what: "an information window into this covariance",
        })
    }

    // ---- numerical health: optional P-side operations --------------------
    //
    // The methods below have default implementations, so an implementation
    // outside this crate keeps compiling. Those that must change storage the
    // trait cannot reach return `Error::Unsupported` by default; every
    // implementation in this crate overrides them.

    /// Which of [`Covariance::add_diagonal`], [`Covariance::scale`] and
    /// [`Covariance::floor_diagonal`] are implemented. [`crate::GEhf`]
    /// refuses a process-noise, forgetting or floor option on a covariance
    /// without its operation *before* it changes anything.
    fn regularizable(&self) -> Regularizable {
        Regularizable::NONE
    }

    /// `P ← P + q I`: process noise `Q = q I` of the random-walk model
    /// `w_{k+1} = w_k + noise`. Fails, changing nothing, if `q` is not
    /// finite and ≥ 0 or the result would not be finite.
    /// Default: [`Error::Unsupported`].
    fn add_diagonal(&mut self, _q: T) -> Result<()> {
        Err(Error::Unsupported {
            what: "P + qI on this covariance",
        })
    }

    /// `P ← α P` (a forgetting factor λ is `α = 1/λ`). Fails, changing
    /// nothing, if `α` is not finite and > 0 or the result would not be
    /// finite. Default: [`Error::Unsupported`].
    fn scale(&mut self, _alpha: T) -> Result<()> {
        Err(Error::Unsupported {
            what: "scaling P on this covariance",
        })
    }

    /// Raises every diagonal entry below `floor` to `floor` and returns how
    /// many it raised (the guard's interventions). Fails, changing nothing,
    /// unless `floor` is finite and ≥ 0. Default: [`Error::Unsupported`].
    fn floor_diagonal(&mut self, _floor: T) -> Result<usize> {
        Err(Error::Unsupported {
            what: "a diagonal floor on this covariance",
        })
    }

    /// Makes `P` exactly symmetric (`P ← (P + Pᵀ)/2`) and returns the
    /// largest `|P_ij − P_ji|` it removed. Storage that keeps one triangle
    /// is symmetric by construction and returns 0.
    /// Default: [`Error::Unsupported`].
    fn symmetrize(&mut self) -> Result<T> {
        Err(Error::Unsupported {
            what: "symmetrizing this covariance",
        })
    }

    /// Replaces `P` by the symmetric matrix whose lower triangle, row by
    /// row, is `packed` (N(N+1)/2 values: the layout of
    /// [`PackedCovariance::packed`] and of model files). Fails, changing
    /// nothing, on a wrong length, a non-finite value, or a matrix this
    /// representation cannot hold. Default: [`Error::Unsupported`].
    fn load_packed(&mut self, _packed: &[T]) -> Result<()> {
        Err(Error::Unsupported {
            what: "loading P into this covariance",
        })
    }

    /// The smallest and largest diagonal entry the downdate
    /// `P − c u uᵀ` would produce, computed with the same roundings as
    /// [`Covariance::downdate`], without changing `P`; `None` if the
    /// representation cannot tell cheaply (the default). A non-finite
    /// entry makes both bounds non-finite. [`crate::GEhf::step`] uses it to
    /// reject a downdate that would leave `P` indefinite or non-finite.
    fn downdate_diagonal_bounds(&self, _c: T, _u: &[T]) -> Option<(T, T)> {
        None
    }

    /// The smallest and largest diagonal entry of `P` (by [`Covariance::get`];
    /// `(0, 0)` for N = 0). A NaN makes both bounds NaN.
    fn diagonal_bounds(&self) -> (T, T) {
        let mut it = (0..self.dim()).map(|i| self.get(i, i));
        let Some(first) = it.next() else {
            return (T::ZERO, T::ZERO);
        };
        it.fold((first, first), |acc, d| fold_bounds(acc, d))
    }

    /// The largest `|P_ij − P_ji|` (by [`Covariance::get`], O(N²); NaN if
    /// any entry is NaN). 0 for storage that keeps one triangle.
    fn asymmetry(&self) -> T {
        let n = self.dim();
        let mut worst = T::ZERO;
        for i in 0..n {
            for j in 0..i {
                let d = (self.get(i, j) - self.get(j, i)).abs();
                if !matches!(
                    d.partial_cmp(&worst),
                    Some(Ordering::Less | Ordering::Equal)
                ) {
                    worst = d;
                }
            }
        }
        worst
    }

    /// Attempts a Cholesky factorisation `P = L Lᵀ` of the lower triangle
    /// in `scratch` (at least N(N+1)/2 elements, overwritten): `Ok(true)` if
    /// every pivot is positive and finite, i.e. `P` is numerically
    /// positive definite. Fails with [`Error::CapacityExceeded`] on a short
    /// scratch. O(N³/6).
    fn is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        let n = self.dim();
        let needed = checked_packed_len(n).ok_or(Error::CapacityExceeded {
            what: "cholesky scratch",
            needed: usize::MAX,
            capacity: scratch.len(),
        })?;
        let Some(l) = scratch.get_mut(..needed) else {
            return Err(Error::CapacityExceeded {
                what: "cholesky scratch",
                needed,
                capacity: scratch.len(),
            });
        };
        let mut k = 0;
        for i in 0..n {
            for j in 0..=i {
                if let Some(x) = l.get_mut(k) {
                    *x = self.get(i, j);
                }
                k += 1;
            }
        }
        Ok(cholesky_packed(l, n))
    }

    // ---- model files: a covariance kept as its last terms ------------------
    //
    // A structured window ([`TermWindow`], `ε0 I − Σ cᵢ uᵢ uᵢᵀ` over its
    // last r terms) is stored by its terms (`crate::model`, section bit 3),
    // not packed. The defaults say "not a term window". (At the end of the
    // trait, after the hooks above, on purpose.)

    /// The memory r, terms kept n and ε0 of a structured window
    /// ([`TermWindow`]); `None` (the default) for any other covariance.
    /// [`crate::model::save_gehf`] writes the window's terms
    /// ([`Covariance::window_term`]) instead of the packed `P` when it is
    /// `Some` (and [`Covariance::window_state`] is `None`).
    fn term_state(&self) -> Option<TermState<T>> {
        None
    }

    /// Kept term q of a structured window, newest first (q = 0 the
    /// newest): its `c_q` and its N values `u_q` (eq. 4's
    /// `c = a / (1 + a s)` and `u = P h`); `None` for q ≥ n and (the
    /// default) for a covariance that is not a term window.
    fn window_term(&self, _q: usize) -> Option<(T, &[T])> {
        None
    }

    /// Makes this window the one of `state` with the `state.terms` terms
    /// `terms` (n·(N + 1) values: newest first, each `c_i` then `u_i`), as
    /// [`Covariance::term_state`] and [`Covariance::window_term`] gave
    /// them: afterwards it computes exactly what that window did. Fails,
    /// changing nothing, on a state it cannot hold or a value out of
    /// range. Default: [`Error::Unsupported`] (not a term window).
    fn load_terms(&mut self, _state: &TermState<T>, _terms: &[T]) -> Result<()> {
        Err(Error::Unsupported {
            what: "a structured window into this covariance",
        })
    }
}

/// Folds one value into `(min, max)`: a non-finite value makes both
/// bounds that value, and non-finite bounds stay. The rule of
/// [`Covariance::diagonal_bounds`] and
/// [`Covariance::downdate_diagonal_bounds`], for implementations outside
/// this crate.
///
/// ```
/// use hinf::covariance::fold_bounds;
/// assert_eq!(fold_bounds((1.0, 2.0), 0.5), (0.5, 2.0));
/// assert!(fold_bounds((1.0, 2.0), f64::NAN).0.is_nan());
/// assert!(fold_bounds(fold_bounds((1.0, 2.0), f64::NAN), 3.0).1.is_nan());
/// ```
#[inline]
pub fn fold_bounds<T: Real>((lo, hi): (T, T), d: T) -> (T, T) {
    if d.is_finite() && lo.is_finite() && hi.is_finite() {
        (if d < lo { d } else { lo }, if d > hi { d } else { hi })
    } else if d.is_finite() {
        (lo, hi)
    } else {
        (d, d)
    }
}

/// `packed_len` without overflow.
#[inline]
pub(crate) fn checked_packed_len(n: usize) -> Option<usize> {
    let m = n.checked_add(1)?;
    // n(n+1)/2 without overflowing the product when it fits.
    if n.is_multiple_of(2) {
        (n / 2).checked_mul(m)
    } else {
        n.checked_mul(m / 2)
    }
}

/// In-place Cholesky of a packed lower triangle (row i = `l[i(i+1)/2 ..]`).
/// `false` at the first non-positive or non-finite pivot.
fn cholesky_packed<T: Real>(l: &mut [T], n: usize) -> bool {
    cholesky_rows(l, 0, n)
}

/// Rows `from..n` of the in-place packed Cholesky, rows `..from` already
/// factored: what [`cholesky_packed`] does to those rows (row i depends
/// only on rows ≤ i), so extending a factor by its last rows gives the
/// bits of factoring it whole. `false` at the first non-positive or
/// non-finite pivot.
fn cholesky_rows<T: Real>(l: &mut [T], from: usize, n: usize) -> bool {
    let mut row_i = from * (from + 1) / 2;
    for i in from..n {
        let (done, rest) = l.split_at_mut(row_i.min(l.len()));
        let Some(ri) = rest.get_mut(..=i) else {
            return false;
        };
        let mut row_j = 0;
        for j in 0..=i {
            let mut acc = ri[j];
            if j < i {
                let Some(rj) = done.get(row_j..row_j + j + 1) else {
                    return false;
                };
                for (a, b) in ri[..j].iter().zip(&rj[..j]) {
                    acc -= *a * *b;
                }
                let d = rj[j];
                ri[j] = acc / d;
            } else {
                for a in &ri[..i] {
                    acc -= *a * *a;
                }
                if !(acc.is_finite() && acc > T::ZERO) {
                    return false;
                }
                ri[i] = acc.sqrt();
            }
            row_j += j + 1;
        }
        row_i += i + 1;
    }
    true
}

pub(super) fn check_q<T: Real>(q: T) -> Result<()> {
    if q.is_finite() && q >= T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: Param::ProcessNoise,
        })
    }
}

/// `ε + q` for a base `ε I` taking process noise q ([`Covariance::add_diagonal`]
/// of a scalar base): fails on a bad q or a non-finite sum.
pub(super) fn noisy_base<T: Real>(eps: T, q: T) -> Result<T> {
    check_q(q)?;
    let e = eps + q;
    if e.is_finite() {
        Ok(e)
    } else {
        Err(Error::Diverged { what: "covariance" })
    }
}

pub(super) fn check_alpha<T: Real>(alpha: T) -> Result<()> {
    if alpha.is_finite() && alpha > T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: Param::CovarianceScale,
        })
    }
}

pub(super) fn check_floor<T: Real>(floor: T) -> Result<()> {
    if floor.is_finite() && floor >= T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: Param::DiagonalFloor,
        })
    }
}
