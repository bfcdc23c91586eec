//! `P` as the last r terms of the structured `ε0 I − Σ c_i u_i u_iᵀ`: the
//! structured window (issue 15, item 3, for comparison).
//!
//! # What is kept
//!
//! The exact filter's `P` after k downdates (eq. 4, rank-one form) is
//! `ε0 I − Σ_{i ≤ k} c_i u_i u_iᵀ`, `u_i = P_{i−1} h_i`; the host keeps all
//! k pairs (`StructuredCovariance`). [`TermWindow`] keeps the last r of
//! them in a ring: each [`Covariance::downdate`] pushes `(c, u)` and, when
//! r are held, drops the oldest.
//!
//! ```text
//! P = ε0 I − Σ_{i ∈ last r} c_i u_i u_iᵀ,   P v = ε0 v − Σ c_i (u_iᵀ v) u_i.
//! ```
//!
//! With r at least the number of downdates it is the exact g-EHF's `P`
//! (up to rounding). The product costs 2 r N, an entry r.
//!
//! # What holds when terms are dropped
//!
//! The kept terms are not a downdate sequence from `ε0 I` any more: each
//! `u_i` was computed from a `P` that still held terms now dropped. So `P`
//! is not the exact `P` of any subset of the samples. Still, for
//! 0 < a = 1 − γ⁻² < 1 (every `c_i` > 0):
//!
//! * **`P` stays positive definite.** With `u = P h`, `s = hᵀ u` and
//!   `c = a / (1 + a s)`, Sherman–Morrison gives
//!   `P − c u uᵀ = (P⁻¹ + a h hᵀ)⁻¹ =: D_h(P)` (eq. 7's step), positive
//!   definite for `P ≻ 0`. A full window's step is
//!   `P' = D_h(P) + c_o u_o u_oᵀ`, the dropped term `c_o u_o u_oᵀ ⪰ 0`
//!   added back, so `P' ≻ 0`; by induction from `ε0 I`, every `P` is.
//! * **It lies between the exact `P` and `ε0 I`.** `D_h` is monotone
//!   (`P_1 ⪰ P_2 ⇒ P_1⁻¹ + a h hᵀ ⪯ P_2⁻¹ + a h hᵀ ⇒ D_h(P_1) ⪰ D_h(P_2)`),
//!   so by induction `P_k ⪰ P_k^exact`, the exact filter's `P` (eq. 7) for
//!   the same Jacobians; and `P ⪯ ε0 I`, since every kept term is `⪰ 0`.
//!   Forgetting only ever makes `P` larger than the exact one.
//!
//! Rounding can break both in floating point; [`Covariance::is_positive_definite`]
//! checks the matrix as stored, and the filter checks every downdate's
//! diagonal ([`Covariance::downdate_diagonal_bounds`]).
//!
//! # Both gain orders
//!
//! * [`crate::GainOrder::Paper`]: the gain uses `P` as it stands (the last
//!   r terms); the downdate then pushes the new term and drops the oldest.
//! * [`crate::GainOrder::CovarianceFirst`]: the filter computes `ũ = P̃ h`
//!   by [`Covariance::mul_vec_pending`], `P̃` the window without the term
//!   the push will drop (`P̃ = P` while not full). The `P` after the step
//!   is `P' = P̃ − c ũ ũᵀ = D_h(P̃)`, and the closed form
//!   `K = ũ / (1 + (1 + a) s̃)` is `P' h / (1 + hᵀ P' h)`: exact for it.
//!   Both bounds above hold (`P̃ ⪰ P`).
//!
//! # Several outputs
//!
//! A sample of N_L outputs is N_L downdates, so N_L terms: r counts terms,
//! not samples. The multi-output filter's downdates are the exact ones of
//! `P` as it stood, the dropped terms are added back, and both bounds hold.
//! Its diagonal check (`get(k, k) − Σ_j c_j v_jk²`) leaves the dropped
//! terms out: the diagonal of `D_H(P) ≻ 0`, a lower bound of the one
//! left, so it refuses only a step where rounding makes that bound ≤ 0.
//!
//! # Storage
//!
//! All the caller's: [`TermWindowShape::storage_len`] = r·N + r elements
//! (the r vectors `u_i`, then the r coefficients `c_i`). No work space.
//!
//! # Model files
//!
//! A model file stores the window by its terms, newest first
//! ([`Covariance::term_state`], [`Covariance::window_term`];
//! `crate::model`, section bit 3): n·(N + 1) numbers for n kept terms,
//! against N(N + 1)/2 for the packed `P` they stand for.
//! [`Covariance::load_terms`] puts them back in the same order, oldest
//! first, so every sum above runs over the same terms in the same order:
//! the loaded window computes what the saved one did, bit for bit, and
//! drops its terms in the same order. It checks what the filter keeps
//! true: r ≥ 1, n ≤ r, ε0 finite and > 0, every `c_i` finite and > 0
//! (`c = a / (1 + a s)` with `a = 1 − γ_f⁻² > 0`, eq. 4), every `u_i`
//! finite, and the diagonal of the loaded `P` finite and positive by the
//! sums of [`Covariance::get`] — the test the filter's every downdate
//! passed ([`Covariance::downdate_diagonal_bounds`]).

use super::{
    Covariance, Regularizable, check_alpha, checked_packed_len, cholesky_packed, fold_bounds,
    noisy_base,
};
use crate::error::{Error, Param, Result, check_finite, check_len};
use crate::real::{Real, dot};

/// Diagonal entries computed together by one pass over the terms
/// ([`TermWindow`]'s diagonal bounds): a stack buffer of this many `T`.
const DIAGONAL_CHUNK: usize = 64;

/// The size of a [`TermWindow`]: dimension N and memory r (terms, one per
/// rank-one downdate).
///
/// ```
/// use hinf::{TermWindow, TermWindowShape};
/// const SHAPE: TermWindowShape = TermWindowShape::new(76, 16); // L = 5, r = 16
/// assert_eq!(SHAPE.storage_len(), 16 * 76 + 16);
/// let p = TermWindow::new(SHAPE, 10.0f32, [0.0f32; SHAPE.storage_len()])?;
/// assert_eq!(p.len(), 0); // P = ε0 I
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TermWindowShape {
    /// N, the dimension (N_w).
    pub dim: usize,
    /// r ≥ 1, the terms kept (one per downdate: N_L per sample).
    pub memory: usize,
}

impl TermWindowShape {
    /// A window of `memory` terms of dimension `dim`.
    pub const fn new(dim: usize, memory: usize) -> Self {
        Self { dim, memory }
    }

    /// The elements of `T` the window needs: r·N (the `u_i`) + r (the
    /// `c_i`). Saturates on overflow (no storage is then long enough).
    pub const fn storage_len(&self) -> usize {
        self.memory
            .saturating_mul(self.dim)
            .saturating_add(self.memory)
    }

    /// r ≥ 1, else [`Error::InvalidParameter`]`(`[`Param::Memory`]`)`.
    pub fn validate(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(Error::InvalidParameter {
                name: Param::Memory,
            });
        }
        Ok(())
    }
}

/// What a model file records of a [`TermWindow`] besides its terms:
/// [`Covariance::term_state`], [`Covariance::load_terms`].
///
/// ```
/// use hinf::{Covariance, TermState, TermWindow, TermWindowShape};
/// const SHAPE: TermWindowShape = TermWindowShape::new(2, 3);
/// let mut p = TermWindow::new(SHAPE, 4.0, [0.0f64; SHAPE.storage_len()])?;
/// p.downdate(0.5, &[1.0, 2.0]);
/// let state = p.term_state().unwrap();
/// assert_eq!(state, TermState { memory: 3, terms: 1, eps0: 4.0 });
/// // n·(N + 1) values, newest first: c_i, then u_i.
/// let mut q = TermWindow::new(SHAPE, 1.0, [0.0f64; SHAPE.storage_len()])?;
/// q.load_terms(&state, &[0.5, 1.0, 2.0])?;
/// assert_eq!(q.get(1, 0), p.get(1, 0)); // 0 − (0.5·2)·1
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TermState<T> {
    /// r ≥ 1, the terms the window keeps at most.
    pub memory: usize,
    /// n ≤ r, the terms kept.
    pub terms: usize,
    /// ε0 of `P = ε0 I − Σ c_i u_i u_iᵀ`.
    pub eps0: T,
}

/// `P = ε0 I − Σ c_i u_i u_iᵀ` over the last r downdates: the structured
/// window (see the module docs of `covariance/terms.rs` for what holds
/// when terms are dropped). With r ≥ the downdates so far it is the
/// g-EHF's exact `P`.
///
/// * [`Covariance::get`]: `ε0 δ_ij − Σ (c_i u_i[a]) u_i[b]` over the kept
///   terms, oldest first, with a = max(i, j), b = min(i, j) (the packed
///   downdate's roundings; symmetric by construction). O(r).
/// * [`Covariance::diagonal_bounds`] and
///   [`Covariance::downdate_diagonal_bounds`]: the diagonal by the same
///   sums, of `P` and of the `P` the downdate would leave (the oldest term
///   dropped if full): the filter checks the diagonal its step leaves, as
///   `get` will read it. O(r N).
/// * [`Covariance::is_positive_definite`]: a Cholesky test of the n × n
///   `ε0 I − C^{1/2} Uᵀ U C^{1/2}` (n(n + 1)/2 scratch), which is
///   positive definite iff `P` is.
/// * Not regularizable: `P + qI` and `P/λ` would act on the `ε0 I` part,
///   which no dropped term balances any more — in the directions the last
///   r terms do not span `P` would grow as `ε0 + kq` or `ε0 λ⁻ᵏ` without
///   bound — and a diagonal floor needs N more numbers. [`crate::GEhf`]
///   refuses a [`crate::Regularization`] with it;
///   [`Covariance::load_packed`] is [`Error::Unsupported`] (a packed `P`
///   has no terms).
/// * Model files hold it by its terms ([`Covariance::term_state`],
///   [`Covariance::window_term`], [`Covariance::load_terms`]; module docs,
///   "Model files"), loaded back bit for bit.
///
/// ```
/// use hinf::{Covariance, TermWindow, TermWindowShape};
/// const SHAPE: TermWindowShape = TermWindowShape::new(2, 2); // r = 2 terms
/// let mut p = TermWindow::new(SHAPE, 4.0, [0.0f64; SHAPE.storage_len()])?;
/// p.downdate(1.0, &[1.0, 0.0]); // P = 4I − e1 e1ᵀ
/// p.downdate(2.0, &[0.0, 1.0]); //   − 2 e2 e2ᵀ
/// assert_eq!((p.get(0, 0), p.get(1, 1)), (3.0, 2.0));
/// p.downdate(0.5, &[1.0, 1.0]); // the first term leaves
/// assert_eq!((p.get(0, 0), p.get(1, 1), p.get(0, 1)), (3.5, 1.5, -0.5));
/// assert_eq!(p.term(1), Some((2.0, &[0.0, 1.0][..]))); // newest first
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TermWindow<T, S> {
    shape: TermWindowShape,
    eps0: T,
    /// Slot of the oldest kept term.
    head: usize,
    /// Terms kept, n ≤ r.
    len: usize,
    data: S,
}

impl<T, S> TermWindow<T, S> {
    /// Process noise and forgetting keep the window's form:
    /// `P + qI = (ε + q) I − Σ c_i u_i u_iᵀ`, `αP = (αε) I − Σ (α c_i) u_i u_iᵀ`.
    /// A diagonal floor would need a diagonal beside ε: not offered.
    pub const REGULARIZABLE: Regularizable = Regularizable {
        diagonal_floor: false,
        ..Regularizable::ALL
    };
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> TermWindow<T, S> {
    /// `P = ε0 I` (no terms) of `shape` in `storage` (at least
    /// [`TermWindowShape::storage_len`] elements). Fails on r = 0
    /// ([`Param::Memory`]), ε0 not finite and > 0 ([`Error::InvalidEps0`]),
    /// or a short storage ([`Error::CapacityExceeded`]).
    pub fn new(shape: TermWindowShape, eps0: T, storage: S) -> Result<Self> {
        shape.validate()?;
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        let needed = shape.storage_len();
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "term window",
                needed,
                capacity,
            });
        }
        Ok(Self {
            shape,
            eps0,
            head: 0,
            len: 0,
            data: storage,
        })
    }

    /// The shape.
    pub fn shape(&self) -> TermWindowShape {
        self.shape
    }

    /// ε0.
    pub fn eps0(&self) -> T {
        self.eps0
    }

    /// n, the terms kept (≤ r).
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` if no term is kept (`P = ε0 I`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Kept term q as `(c_i, u_i)`, newest first (q = 0 the newest; `None`
    /// for q ≥ n).
    pub fn term(&self, q: usize) -> Option<(T, &[T])> {
        let q = self.len.checked_sub(1)?.checked_sub(q)?;
        self.terms().nth(q)
    }

    /// `true` if r terms are held: the next downdate drops the oldest.
    fn is_full(&self) -> bool {
        self.len == self.shape.memory
    }

    /// The kept terms `(c_i, u_i)`, oldest first.
    fn terms(&self) -> impl Iterator<Item = (T, &[T])> + Clone + '_ {
        let (nd, r) = (self.shape.dim, self.shape.memory);
        let (rows, coefs) = self.data.as_ref().split_at(r * nd);
        (0..self.len).map(move |q| {
            let s = (self.head + q) % r;
            (coefs[s], &rows[s * nd..(s + 1) * nd])
        })
    }

    /// `out ← ε0 v − Σ c_i (u_iᵀ v) u_i` over the kept terms but the
    /// `skip` oldest.
    fn product(&self, skip: usize, v: &[T], out: &mut [T]) {
        for (o, x) in out.iter_mut().zip(v) {
            *o = self.eps0 * *x;
        }
        for (c, u) in self.terms().skip(skip) {
            let alpha = c * dot(u, v);
            for (o, x) in out.iter_mut().zip(u) {
                *o -= alpha * *x;
            }
        }
    }

    /// The smallest and largest diagonal entry of `ε0 I − Σ c_i u_i u_iᵀ`
    /// over the kept terms but the `skip` oldest, then `extra` (`P − c u uᵀ`
    /// before it is pushed), by the sums of [`Covariance::get`]
    /// ([`diagonal_bounds_of`]).
    fn bounds(&self, skip: usize, extra: Option<(T, &[T])>) -> (T, T) {
        let terms = self.terms().skip(skip).chain(extra);
        diagonal_bounds_of(self.eps0, self.shape.dim, terms)
    }

    /// The packed lower triangle of `ε0 I − C^{1/2} Uᵀ U C^{1/2}` (n × n,
    /// kept terms oldest first) into `l`; all `c_i` ≥ 0.
    fn fill_gram_system(&self, l: &mut [T]) {
        let mut k = 0;
        for (p, (cp, up)) in self.terms().enumerate() {
            let sp = cp.sqrt();
            for (q, (cq, uq)) in self.terms().take(p + 1).enumerate() {
                let g = sp * cq.sqrt() * dot(up, uq);
                l[k] = if q == p { self.eps0 - g } else { -g };
                k += 1;
            }
        }
    }

    /// The state a model file records ([`Covariance::term_state`]).
    fn state(&self) -> TermState<T> {
        TermState {
            memory: self.shape.memory,
            terms: self.len,
            eps0: self.eps0,
        }
    }

    /// The checks of [`Covariance::load_terms`], in its order: the state,
    /// then the terms.
    fn check_load(&self, state: &TermState<T>, terms: &[T]) -> Result<()> {
        self.check_state(state)?;
        check_terms(state, self.shape.dim, terms)
    }

    /// r ≥ 1 ([`Param::Memory`]), n ≤ r and n ≤ this window's r
    /// ([`Error::CapacityExceeded`]), ε0 finite and > 0.
    fn check_state(&self, state: &TermState<T>) -> Result<()> {
        if state.memory == 0 {
            return Err(Error::InvalidParameter {
                name: Param::Memory,
            });
        }
        let capacity = self.shape.memory.min(state.memory);
        if state.terms > capacity {
            return Err(Error::CapacityExceeded {
                what: "term window terms",
                needed: state.terms,
                capacity,
            });
        }
        if !(state.eps0.is_finite() && state.eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        Ok(())
    }

    /// [`Covariance::load_terms`]: the checks, then the terms copied in,
    /// oldest in slot 0 (head at slot 0).
    fn load(&mut self, state: &TermState<T>, terms: &[T]) -> Result<()> {
        self.check_load(state, terms)?;
        let (n, nd, r) = (state.terms, self.shape.dim, self.shape.memory);
        let (rows, coefs) = self.data.as_mut().split_at_mut(r * nd);
        // Term q (newest first) goes to slot n − 1 − q.
        for (q, t) in terms.chunks_exact(nd + 1).enumerate() {
            let s = n - 1 - q;
            coefs[s] = t[0];
            rows[s * nd..(s + 1) * nd].copy_from_slice(&t[1..]);
        }
        self.head = 0;
        self.len = n;
        self.eps0 = state.eps0;
        Ok(())
    }

    /// The dense test: the Cholesky of `P`'s N × N lower triangle (by
    /// [`Covariance::get`]) in `scratch`.
    fn dense_is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        let n = self.shape.dim;
        let needed = checked_packed_len(n).unwrap_or(usize::MAX);
        let Some(l) = scratch.get_mut(..needed) else {
            return Err(short_scratch(needed, scratch.len()));
        };
        let mut k = 0;
        for i in 0..n {
            for j in 0..=i {
                l[k] = self.get(i, j);
                k += 1;
            }
        }
        Ok(cholesky_packed(l, n))
    }
}

/// The error of a Cholesky scratch shorter than `needed`.
fn short_scratch(needed: usize, capacity: usize) -> Error {
    Error::CapacityExceeded {
        what: "cholesky scratch",
        needed,
        capacity,
    }
}

/// The terms of [`Covariance::load_terms`] for `state` and N = `nd`:
/// n·(N + 1) values ([`Error::LengthMismatch`]); each `c_i` finite and > 0
/// (`c = a / (1 + a s)`, `a = 1 − γ_f⁻² > 0`, eq. 4: else
/// [`Error::InvalidGamma`]); each `u_i` finite ([`Error::NonFinite`]); and
/// the diagonal of the `P` they make, oldest term first (the sums of
/// [`Covariance::get`], the test every downdate of the filter passed),
/// finite and positive ([`Error::Diverged`]).
fn check_terms<T: Real>(state: &TermState<T>, nd: usize, terms: &[T]) -> Result<()> {
    let expected = state.terms.saturating_mul(nd + 1);
    check_len("term window terms", expected, terms.len())?;
    for t in terms.chunks_exact(nd + 1) {
        if !(t[0].is_finite() && t[0] > T::ZERO) {
            return Err(Error::InvalidGamma);
        }
        check_finite("term window terms", &t[1..])?;
    }
    let oldest_first = terms.chunks_exact(nd + 1).rev().map(|t| (t[0], &t[1..]));
    let (lo, hi) = diagonal_bounds_of(state.eps0, nd, oldest_first);
    if nd > 0 && !(lo.is_finite() && hi.is_finite() && lo > T::ZERO) {
        return Err(Error::Diverged { what: "covariance" });
    }
    Ok(())
}

/// Calls `f` on each diagonal entry, in index order, of
/// `ε0 I − Σ c_i u_i u_iᵀ` (N = `nd`) over `terms`, in the order given:
/// `ε0 − Σ (c_i u_i[k]) u_i[k]`, the roundings of [`Covariance::get`] (and
/// the packed downdate), `DIAGONAL_CHUNK` entries per pass over the terms.
fn for_diagonal_of<'a, T: Real + 'a>(
    eps0: T,
    nd: usize,
    terms: impl Iterator<Item = (T, &'a [T])> + Clone,
    mut f: impl FnMut(T),
) {
    let mut acc = [T::ZERO; DIAGONAL_CHUNK];
    for start in (0..nd).step_by(DIAGONAL_CHUNK) {
        let end = (start + DIAGONAL_CHUNK).min(nd);
        let acc = &mut acc[..end - start];
        acc.iter_mut().for_each(|d| *d = eps0);
        for (c, u) in terms.clone() {
            for (d, ui) in acc.iter_mut().zip(u.get(start..end).unwrap_or(&[])) {
                let cui = c * *ui;
                *d -= cui * *ui;
            }
        }
        acc.iter().for_each(|d| f(*d));
    }
}

/// The smallest and largest value [`for_diagonal_of`] yields (`(0, 0)` for
/// N = 0; a non-finite entry makes both non-finite, [`fold_bounds`]).
fn diagonal_bounds_of<'a, T: Real + 'a>(
    eps0: T,
    nd: usize,
    terms: impl Iterator<Item = (T, &'a [T])> + Clone,
) -> (T, T) {
    let mut bounds: Option<(T, T)> = None;
    for_diagonal_of(eps0, nd, terms, |d| {
        bounds = Some(bounds.map_or((d, d), |b| fold_bounds(b, d)));
    });
    bounds.unwrap_or((T::ZERO, T::ZERO))
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Covariance<T> for TermWindow<T, S> {
    fn dim(&self) -> usize {
        self.shape.dim
    }

    /// `P v = ε0 v − Σ c_i (u_iᵀ v) u_i` over the kept terms.
    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        self.product(0, v, out);
    }

    /// As [`Covariance::mul_vec`] without the oldest term when the window
    /// is full (the term the next downdate drops).
    fn mul_vec_pending(&self, v: &[T], out: &mut [T]) {
        self.product(usize::from(self.is_full()), v, out);
    }

    /// Pushes `(c, u)` (eq. 4's term), dropping the oldest when r are
    /// held. A `u` shorter than N changes nothing.
    fn downdate(&mut self, c: T, u: &[T]) {
        let (nd, r) = (self.shape.dim, self.shape.memory);
        let Some(u) = u.get(..nd) else {
            return;
        };
        let slot = if self.is_full() {
            let s = self.head;
            self.head = (self.head + 1) % r;
            s
        } else {
            self.len += 1;
            (self.head + self.len - 1) % r
        };
        let (rows, coefs) = self.data.as_mut().split_at_mut(r * nd);
        rows[slot * nd..(slot + 1) * nd].copy_from_slice(u);
        coefs[slot] = c;
    }

    /// `P ← ε0 I`: every term is dropped (eq. 5).
    fn reset(&mut self, eps0: T) {
        self.eps0 = eps0;
        self.head = 0;
        self.len = 0;
    }

    /// [`TermWindow::REGULARIZABLE`].
    fn regularizable(&self) -> Regularizable {
        Self::REGULARIZABLE
    }

    /// `ε ← ε + q`; fails, changing nothing, on a bad q or a non-finite ε.
    fn add_diagonal(&mut self, q: T) -> Result<()> {
        self.eps0 = noisy_base(self.eps0, q)?;
        Ok(())
    }

    /// `ε ← αε`, `c_i ← α c_i`; fails, changing nothing, on a bad α or a
    /// non-finite result.
    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        let finite = |x: T| (x * alpha).is_finite();
        if !(finite(self.eps0) && self.terms().all(|(c, _)| finite(c))) {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.eps0 *= alpha;
        let (nd, r) = (self.shape.dim, self.shape.memory);
        let coefs = &mut self.data.as_mut()[r * nd..];
        for q in 0..self.len {
            coefs[(self.head + q) % r] *= alpha;
        }
        Ok(())
    }

    /// `P[i][j] = ε0 δ_ij − Σ (c_t u_t[a]) u_t[b]`, a = max(i, j),
    /// b = min(i, j), over the kept terms oldest first. O(r).
    fn get(&self, i: usize, j: usize) -> T {
        let (a, b) = if i >= j { (i, j) } else { (j, i) };
        if a >= self.shape.dim {
            return T::ZERO;
        }
        let mut x = if a == b { self.eps0 } else { T::ZERO };
        for (c, u) in self.terms() {
            let cua = c * u[a];
            x -= cua * u[b];
        }
        x
    }

    /// The diagonal that the push of `(c, u)` leaves (the oldest term
    /// dropped if full), by the sums of [`Covariance::get`]; `None` for a
    /// `u` shorter than N (which [`Covariance::downdate`] ignores).
    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        let u = u.get(..self.shape.dim)?;
        Some(self.bounds(usize::from(self.is_full()), Some((c, u))))
    }

    /// The diagonal by the sums of [`Covariance::get`], `DIAGONAL_CHUNK`
    /// entries per pass over the terms.
    fn diagonal_bounds(&self) -> (T, T) {
        self.bounds(0, None)
    }

    fn symmetrize(&mut self) -> Result<T> {
        Ok(T::ZERO)
    }

    fn asymmetry(&self) -> T {
        T::ZERO
    }

    /// `P = ε0 I − V Vᵀ`, `V = U C^{1/2}` (N × n), is positive definite iff
    /// λ_max(V Vᵀ) < ε0, i.e. iff the n × n `ε0 I − Vᵀ V` is (the nonzero
    /// eigenvalues of `V Vᵀ` and `Vᵀ V` agree): its Cholesky in `scratch`
    /// (n(n + 1)/2 elements), O(n² N). If a term has c < 0 (never from the
    /// filter), or a c is not finite, the Cholesky of `P` itself, N(N + 1)/2.
    fn is_positive_definite(&self, scratch: &mut [T]) -> Result<bool> {
        if !self.terms().all(|(c, _)| c.is_finite() && c >= T::ZERO) {
            return self.dense_is_positive_definite(scratch);
        }
        let n = self.len;
        let needed = checked_packed_len(n).unwrap_or(usize::MAX);
        let Some(l) = scratch.get_mut(..needed) else {
            return Err(short_scratch(needed, scratch.len()));
        };
        self.fill_gram_system(l);
        Ok(cholesky_packed(l, n))
    }

    fn term_state(&self) -> Option<TermState<T>> {
        Some(self.state())
    }

    /// [`TermWindow::term`].
    fn window_term(&self, q: usize) -> Option<(T, &[T])> {
        self.term(q)
    }

    /// Checks everything (module docs, "Model files") before it changes
    /// anything: on error the window is as it was. A diagonal entry of the
    /// loaded `P` that is not finite and positive is [`Error::Diverged`].
    fn load_terms(&mut self, state: &TermState<T>, terms: &[T]) -> Result<()> {
        self.load(state, terms)
    }
}
