//! The covariance `P` of the g-EHF (eqs. 4–7) as a trait, so that storage
//! is the caller's choice.
//!
//! The filter needs exactly two things of `P`: the product `u = P h` and the
//! rank-one downdate `P ← P − c u uᵀ` (the one-output form of eq. 4). Any
//! representation that provides them — packed, dense, isotropic, or a
//! structured `ε0 I − Σ cᵢ uᵢ uᵢᵀ` on a host — plugs into [`crate::GEhf`].

use crate::error::{Error, Result};
use crate::real::Real;
use crate::spec::packed_len;
use core::cmp::Ordering;

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

    // ---- numerical health: optional P-side operations --------------------
    //
    // The methods below have default implementations, so an implementation
    // outside this crate keeps compiling. Those that must change storage the
    // trait cannot reach return `Error::Unsupported` by default; every
    // implementation in this crate overrides them.

    /// `true` if [`Covariance::add_diagonal`], [`Covariance::scale`] and
    /// [`Covariance::floor_diagonal`] are implemented. [`crate::GEhf`]
    /// refuses a process-noise, forgetting or floor option on a covariance
    /// without them *before* it changes anything.
    fn supports_regularization(&self) -> bool {
        false
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
    let mut row_i = 0;
    for i in 0..n {
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

fn check_q<T: Real>(q: T) -> Result<()> {
    if q.is_finite() && q >= T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "process noise",
        })
    }
}

fn check_alpha<T: Real>(alpha: T) -> Result<()> {
    if alpha.is_finite() && alpha > T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter { name: "P scale" })
    }
}

fn check_floor<T: Real>(floor: T) -> Result<()> {
    if floor.is_finite() && floor >= T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "diagonal floor",
        })
    }
}

/// `P = ε0 I` for ever: the steepest-descent variant of PAPER.md section 4.
/// Its gain is `K = ε0 h / (ε0 hᵀh + 1)`, a normalised gradient step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsotropicCovariance<T> {
    dim: usize,
    eps0: T,
}

impl<T: Real> IsotropicCovariance<T> {
    /// `ε0 I` of dimension `dim`. Fails unless ε0 is finite and > 0.
    pub fn new(dim: usize, eps0: T) -> Result<Self> {
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        Ok(Self { dim, eps0 })
    }
}

impl<T: Real> Covariance<T> for IsotropicCovariance<T> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        for (o, x) in out.iter_mut().zip(v) {
            *o = self.eps0 * *x;
        }
    }
    fn downdate(&mut self, _c: T, _u: &[T]) {}
    fn reset(&mut self, eps0: T) {
        self.eps0 = eps0;
    }
    fn get(&self, i: usize, j: usize) -> T {
        if i == j && i < self.dim {
            self.eps0
        } else {
            T::ZERO
        }
    }
    fn is_fixed(&self) -> bool {
        true
    }
    fn supports_regularization(&self) -> bool {
        true
    }
    fn add_diagonal(&mut self, q: T) -> Result<()> {
        check_q(q)?;
        let e = self.eps0 + q;
        if !e.is_finite() {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.eps0 = e;
        Ok(())
    }
    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        let e = self.eps0 * alpha;
        if !(e.is_finite() && e > T::ZERO) {
            return Err(Error::Diverged { what: "covariance" });
        }
        self.eps0 = e;
        Ok(())
    }
    fn floor_diagonal(&mut self, floor: T) -> Result<usize> {
        check_floor(floor)?;
        if self.eps0 < floor {
            self.eps0 = floor;
            Ok(self.dim)
        } else {
            Ok(0)
        }
    }
    fn symmetrize(&mut self) -> Result<T> {
        Ok(T::ZERO)
    }
    /// Accepts only a multiple `e I` of the identity with `e > 0`.
    fn load_packed(&mut self, packed: &[T]) -> Result<()> {
        let needed = checked_packed_len(self.dim).unwrap_or(usize::MAX);
        crate::error::check_len("packed covariance", needed, packed.len())?;
        crate::error::check_finite("packed covariance", packed)?;
        let e = packed.last().copied().unwrap_or(self.eps0);
        let mut k = 0;
        for i in 0..self.dim {
            for j in 0..=i {
                let want = if i == j { e } else { T::ZERO };
                if packed.get(k) != Some(&want) {
                    return Err(Error::Unsupported {
                        what: "a non-isotropic P in an isotropic covariance",
                    });
                }
                k += 1;
            }
        }
        if self.dim > 0 && e.partial_cmp(&T::ZERO) != Some(Ordering::Greater) {
            return Err(Error::InvalidEps0);
        }
        if self.dim > 0 {
            self.eps0 = e;
        }
        Ok(())
    }
    fn downdate_diagonal_bounds(&self, _c: T, _u: &[T]) -> Option<(T, T)> {
        Some((self.eps0, self.eps0))
    }
    fn asymmetry(&self) -> T {
        T::ZERO
    }
}

/// `P` stored as its lower triangle, row by row: N(N+1)/2 entries in `S`
/// (`[T; CAP]` or `Vec<T>`). The downdate computes one triangle only; the
/// product reads each stored entry once for both triangles.
///
/// ```
/// use hinf::{Covariance, PackedCovariance, packed_len};
/// let mut p = PackedCovariance::new(3, 2.0, [0.0f32; packed_len(3)])?;
/// let mut u = [0.0; 3];
/// p.mul_vec(&[1.0, 0.0, 0.0], &mut u);
/// assert_eq!(u, [2.0, 0.0, 0.0]);
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PackedCovariance<T, S> {
    dim: usize,
    data: S,
    _t: core::marker::PhantomData<T>,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> PackedCovariance<T, S> {
    /// `ε0 I` of dimension `dim` in `storage`. Fails if ε0 is not finite and
    /// > 0, or `storage` holds fewer than N(N+1)/2 elements.
    pub fn new(dim: usize, eps0: T, storage: S) -> Result<Self> {
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        let capacity = storage.as_ref().len();
        let needed = checked_packed_len(dim).unwrap_or(usize::MAX);
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "packed covariance",
                needed,
                capacity,
            });
        }
        let mut p = Self {
            dim,
            data: storage,
            _t: core::marker::PhantomData,
        };
        p.reset(eps0);
        Ok(p)
    }

    /// The packed lower triangle (row i holds `P[i][0..=i]`).
    pub fn packed(&self) -> &[T] {
        &self.data.as_ref()[..packed_len(self.dim)]
    }

    /// The packed lower triangle, mutable (for loading a model file whose
    /// values were already validated).
    pub(crate) fn packed_mut(&mut self) -> &mut [T] {
        let n = packed_len(self.dim);
        &mut self.data.as_mut()[..n]
    }

    /// Replaces the packed triangle (e.g. loading a saved filter). Fails,
    /// changing nothing, on a wrong length or a non-finite value.
    pub fn set_packed(&mut self, packed: &[T]) -> Result<()> {
        crate::error::check_len("packed covariance", packed_len(self.dim), packed.len())?;
        crate::error::check_finite("packed covariance", packed)?;
        self.data.as_mut()[..packed.len()].copy_from_slice(packed);
        Ok(())
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Covariance<T> for PackedCovariance<T, S> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        let p = self.packed();
        out.iter_mut().for_each(|o| *o = T::ZERO);
        let mut start = 0;
        for i in 0..self.dim.min(v.len()).min(out.len()) {
            let row = &p[start..start + i + 1];
            start += i + 1;
            let vi = v[i];
            let mut acc = T::ZERO;
            for (j, pij) in row[..i].iter().enumerate() {
                acc += *pij * v[j];
                out[j] += *pij * vi; // the mirrored upper triangle
            }
            out[i] += acc + row[i] * vi;
        }
    }

    fn downdate(&mut self, c: T, u: &[T]) {
        let n = self.dim.min(u.len());
        let p = &mut self.data.as_mut()[..packed_len(self.dim)];
        let mut start = 0;
        for i in 0..n {
            let cui = c * u[i];
            for (pij, uj) in p[start..start + i + 1].iter_mut().zip(u) {
                *pij -= cui * *uj;
            }
            start += i + 1;
        }
    }

    fn reset(&mut self, eps0: T) {
        let p = &mut self.data.as_mut()[..packed_len(self.dim)];
        p.iter_mut().for_each(|x| *x = T::ZERO);
        let mut k = 0;
        for i in 0..self.dim {
            k += i;
            p[k] = eps0;
            k += 1;
        }
    }

    fn get(&self, i: usize, j: usize) -> T {
        if i >= self.dim || j >= self.dim {
            return T::ZERO;
        }
        let (i, j) = if j > i { (j, i) } else { (i, j) };
        self.packed()[packed_len(i) + j]
    }

    fn supports_regularization(&self) -> bool {
        true
    }

    fn add_diagonal(&mut self, q: T) -> Result<()> {
        check_q(q)?;
        if !diagonal(self.packed()).all(|d| (d + q).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        let n = self.dim;
        let p = &mut self.data.as_mut()[..packed_len(n)];
        for_diagonal_mut(p, n, |d| *d += q);
        Ok(())
    }

    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        if !self.packed().iter().all(|x| (*x * alpha).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        let n = self.dim;
        self.data.as_mut()[..packed_len(n)]
            .iter_mut()
            .for_each(|x| *x *= alpha);
        Ok(())
    }

    fn floor_diagonal(&mut self, floor: T) -> Result<usize> {
        check_floor(floor)?;
        let n = self.dim;
        let p = &mut self.data.as_mut()[..packed_len(n)];
        let mut raised = 0;
        for_diagonal_mut(p, n, |d| {
            if matches!((*d).partial_cmp(&floor), None | Some(Ordering::Less)) {
                *d = floor;
                raised += 1;
            }
        });
        Ok(raised)
    }

    fn symmetrize(&mut self) -> Result<T> {
        Ok(T::ZERO)
    }

    fn load_packed(&mut self, packed: &[T]) -> Result<()> {
        self.set_packed(packed)
    }

    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        let mut bounds: Option<(T, T)> = None;
        for (d, ui) in diagonal(self.packed()).zip(u) {
            // The same roundings as `downdate`: p_ii − (c u_i) u_i.
            let cui = c * *ui;
            let x = d - cui * *ui;
            bounds = Some(match bounds {
                None => (x, x),
                Some(b) => fold_bounds(b, x),
            });
        }
        Some(bounds.unwrap_or((T::ZERO, T::ZERO)))
    }

    fn diagonal_bounds(&self) -> (T, T) {
        let mut it = diagonal(self.packed());
        let Some(first) = it.next() else {
            return (T::ZERO, T::ZERO);
        };
        it.fold((first, first), fold_bounds)
    }

    fn asymmetry(&self) -> T {
        T::ZERO
    }
}

/// The diagonal of a packed lower triangle.
fn diagonal<T: Real>(p: &[T]) -> impl Iterator<Item = T> + '_ {
    (0..).map_while(move |i: usize| p.get(packed_len(i + 1).wrapping_sub(1)).copied())
}

/// Applies `f` to each diagonal entry of a packed n × n lower triangle.
fn for_diagonal_mut<T: Real>(p: &mut [T], n: usize, mut f: impl FnMut(&mut T)) {
    let mut k = 0;
    for i in 0..n {
        k += i;
        if let Some(d) = p.get_mut(k) {
            f(d);
        }
        k += 1;
    }
}

/// `P` stored densely, all N² entries, both triangles updated
/// independently. The reference the packed and structured forms are
/// tested against; use [`PackedCovariance`] otherwise.
#[derive(Debug, Clone)]
pub struct DenseCovariance<T, S> {
    dim: usize,
    data: S,
    _t: core::marker::PhantomData<T>,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> DenseCovariance<T, S> {
    /// `ε0 I` of dimension `dim` in `storage` (at least N² elements).
    pub fn new(dim: usize, eps0: T, storage: S) -> Result<Self> {
        if !(eps0.is_finite() && eps0 > T::ZERO) {
            return Err(Error::InvalidEps0);
        }
        let needed = dim.saturating_mul(dim);
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "dense covariance",
                needed,
                capacity,
            });
        }
        let mut p = Self {
            dim,
            data: storage,
            _t: core::marker::PhantomData,
        };
        p.reset(eps0);
        Ok(p)
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Covariance<T> for DenseCovariance<T, S> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        if self.dim == 0 {
            return;
        }
        let p = &self.data.as_ref()[..self.dim * self.dim];
        for (o, row) in out.iter_mut().zip(p.chunks_exact(self.dim)) {
            *o = crate::real::dot(row, v);
        }
    }
    fn downdate(&mut self, c: T, u: &[T]) {
        let n = self.dim;
        if n == 0 {
            return;
        }
        let p = &mut self.data.as_mut()[..n * n];
        for (row, ui) in p.chunks_exact_mut(n).zip(u) {
            for (pij, uj) in row.iter_mut().zip(u) {
                *pij -= c * *ui * *uj;
            }
        }
    }
    fn reset(&mut self, eps0: T) {
        let n = self.dim;
        if n == 0 {
            return;
        }
        let p = &mut self.data.as_mut()[..n * n];
        for (i, row) in p.chunks_exact_mut(n).enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = if i == j { eps0 } else { T::ZERO };
            }
        }
    }
    fn get(&self, i: usize, j: usize) -> T {
        if i >= self.dim || j >= self.dim {
            return T::ZERO;
        }
        self.data.as_ref()[i * self.dim + j]
    }

    fn supports_regularization(&self) -> bool {
        true
    }

    fn add_diagonal(&mut self, q: T) -> Result<()> {
        check_q(q)?;
        let n = self.dim;
        let p = &mut self.data.as_mut()[..n * n];
        if !p.iter().step_by(n + 1).all(|d| (*d + q).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        p.iter_mut().step_by(n + 1).for_each(|d| *d += q);
        Ok(())
    }

    fn scale(&mut self, alpha: T) -> Result<()> {
        check_alpha(alpha)?;
        let n = self.dim;
        let p = &mut self.data.as_mut()[..n * n];
        if !p.iter().all(|x| (*x * alpha).is_finite()) {
            return Err(Error::Diverged { what: "covariance" });
        }
        p.iter_mut().for_each(|x| *x *= alpha);
        Ok(())
    }

    fn floor_diagonal(&mut self, floor: T) -> Result<usize> {
        check_floor(floor)?;
        let n = self.dim;
        let p = &mut self.data.as_mut()[..n * n];
        let mut raised = 0;
        for d in p.iter_mut().step_by(n + 1) {
            if matches!((*d).partial_cmp(&floor), None | Some(Ordering::Less)) {
                *d = floor;
                raised += 1;
            }
        }
        Ok(raised)
    }

    fn symmetrize(&mut self) -> Result<T> {
        let n = self.dim;
        let p = &mut self.data.as_mut()[..n * n];
        let half = T::from_f64(0.5);
        let mut worst = T::ZERO;
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (p[i * n + j], p[j * n + i]);
                let d = (a - b).abs();
                if !matches!(
                    d.partial_cmp(&worst),
                    Some(Ordering::Less | Ordering::Equal)
                ) {
                    worst = d;
                }
                let m = half * (a + b);
                p[i * n + j] = m;
                p[j * n + i] = m;
            }
        }
        Ok(worst)
    }

    fn load_packed(&mut self, packed: &[T]) -> Result<()> {
        let n = self.dim;
        crate::error::check_len("packed covariance", packed_len(n), packed.len())?;
        crate::error::check_finite("packed covariance", packed)?;
        let p = &mut self.data.as_mut()[..n * n];
        let mut k = 0;
        for i in 0..n {
            for j in 0..=i {
                let x = packed[k];
                p[i * n + j] = x;
                p[j * n + i] = x;
                k += 1;
            }
        }
        Ok(())
    }

    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        let n = self.dim;
        let p = &self.data.as_ref()[..n * n];
        let mut bounds: Option<(T, T)> = None;
        for (d, ui) in p.iter().step_by(n + 1).zip(u) {
            // The same roundings as `downdate`: p_ii − (c u_i) u_i.
            let x = *d - c * *ui * *ui;
            bounds = Some(match bounds {
                None => (x, x),
                Some(b) => fold_bounds(b, x),
            });
        }
        Some(bounds.unwrap_or((T::ZERO, T::ZERO)))
    }
}
