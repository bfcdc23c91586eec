//! An exact, structured covariance for deep nets:
//! `P = ε0 I − Σ_{i<k} c_i u_i u_iᵀ` over the k downdates so far.
//!
//! The g-EHF only ever multiplies `P` by a vector and downdates it by a
//! rank-one term (see [`hinf::Covariance`]). Keeping the k downdate pairs
//! `(c_i, u_i)` instead of the matrix makes `P v` cost O(k·N) time and the
//! whole `P` O(k·N) memory, instead of the N(N+1)/2 of a packed matrix: at
//! L = 1001 (N_w = 27,466) a dense `P` is 6 GB per trial, while the ~100
//! downdates of a converging H∞ trial need ~22 MB.
//!
//! The representation is exact (no truncation), so the trajectory equals
//! that of [`hinf::PackedCovariance`] and [`hinf::DenseCovariance`] up to
//! floating-point rounding. Beside the factors it keeps the diagonal of `P`
//! (O(N) per downdate, with the packed matrix's roundings), so that the
//! g-EHF's check of every downdate (a positive, finite diagonal, see
//! [`hinf::Covariance::downdate_diagonal_bounds`]) and the diagonal floor
//! of [`hinf::Regularization`] act as they do on the packed `P`: the floor
//! adds a diagonal `D ≥ 0`, `P = (ε0 I + D) − Σ c_i u_i u_iᵀ`.
//!
//! Once k passes a threshold (by default the rank at which the low-rank
//! factors would use more memory than a packed matrix, k ≈ N/2, which is
//! also close to where the packed product gets cheaper, k ≈ 3N/4), the
//! structure is expanded once into a [`hinf::PackedCovariance`] and from
//! then on updated densely.

use core::cmp::Ordering;

use hinf::covariance::fold_bounds;
use hinf::{Covariance, PackedCovariance, Real, Regularizable, packed_len};

/// `P = ε0 I − Σ c_i u_i u_iᵀ`, switching to packed dense storage when the
/// number of downdates passes [`StructuredCovariance::switch_at`].
#[derive(Debug, Clone)]
pub struct StructuredCovariance<T: Real> {
    dim: usize,
    switch_at: usize,
    repr: Repr<T>,
}

#[derive(Debug, Clone)]
enum Repr<T: Real> {
    LowRank {
        eps0: T,
        /// c_i, one per downdate.
        coefs: Vec<T>,
        /// u_i, one row of `dim` per downdate.
        factors: Vec<T>,
        /// The diagonal of `P`, updated as a packed matrix updates its own:
        /// `p_ii − (c u_i) u_i`, `+ q`, `× α`, raised by the floor.
        diagonal: Vec<T>,
        /// `D`, what the diagonal floor added (empty until it first acts).
        raised: Vec<T>,
    },
    Packed {
        p: PackedCovariance<T, Vec<T>>,
        /// Downdates applied in total (structured and dense).
        rank: usize,
    },
}

impl<T: Real> Repr<T> {
    /// `ε0 I` of dimension `dim`, no downdates yet.
    fn low_rank(dim: usize, eps0: T) -> Self {
        Repr::LowRank {
            eps0,
            coefs: Vec::new(),
            factors: Vec::new(),
            diagonal: vec![eps0; dim],
            raised: Vec::new(),
        }
    }
}

/// Width of the inner-product and update kernels (lanes of independent
/// accumulators, so that the compiler can vectorise the reductions).
const LANES: usize = 8;

impl<T: Real> StructuredCovariance<T> {
    /// `ε0 I` of dimension `dim`, switching to packed storage at the
    /// default threshold [`StructuredCovariance::default_switch_at`].
    ///
    /// ε0 must be finite and > 0 (it is checked again, and reset, by
    /// [`hinf::GEhf::new`]).
    pub fn new(dim: usize, eps0: T) -> Self {
        Self::with_switch_at(dim, eps0, Self::default_switch_at(dim))
    }

    /// `ε0 I` of dimension `dim`, switching to packed storage when the
    /// number of downdates would exceed `switch_at` (`usize::MAX`: never;
    /// 0: packed from the first downdate on).
    pub fn with_switch_at(dim: usize, eps0: T, switch_at: usize) -> Self {
        Self {
            dim,
            switch_at,
            repr: Repr::low_rank(dim, eps0),
        }
    }

    /// The default threshold: the largest k for which k factors of length
    /// N take no more memory than the packed matrix, k·N ≤ N(N+1)/2,
    /// i.e. k = (N + 1)/2 (at least 1).
    pub fn default_switch_at(dim: usize) -> usize {
        packed_len(dim)
            .checked_div(dim)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// The number of downdates after which storage turns dense.
    pub fn switch_at(&self) -> usize {
        self.switch_at
    }

    /// Number of downdates applied since the last reset.
    pub fn rank(&self) -> usize {
        match &self.repr {
            Repr::LowRank { coefs, .. } => coefs.len(),
            Repr::Packed { rank, .. } => *rank,
        }
    }

    /// `true` once the structure has been expanded into packed storage.
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed { .. })
    }

    /// Elements of `T` currently held for `P` (k·N + k structured, N(N+1)/2
    /// packed).
    pub fn stored_elements(&self) -> usize {
        match &self.repr {
            Repr::LowRank {
                coefs,
                factors,
                diagonal,
                raised,
                ..
            } => coefs.len() + factors.len() + diagonal.len() + raised.len(),
            Repr::Packed { p, .. } => p.packed().len(),
        }
    }

    /// Expands `ε0 I − Σ c_i u_i u_iᵀ` into a packed matrix, applying the
    /// downdates in order with the arithmetic of
    /// [`hinf::PackedCovariance`]'s own downdate.
    fn expand(&mut self) {
        let Repr::LowRank { eps0, coefs, .. } = &self.repr else {
            return;
        };
        let (eps0, rank) = (*eps0, coefs.len());
        let values = self.expanded_values();
        let Ok(mut p) = PackedCovariance::new(self.dim, eps0, vec![T::ZERO; values.len()]) else {
            return; // ε0 invalid: GEhf::new would have refused it already
        };
        if p.set_packed(&values).is_ok() {
            self.repr = Repr::Packed { p, rank };
        }
    }

    /// The packed lower triangle of the current `P` (any representation).
    fn expanded_values(&self) -> Vec<T> {
        let n = self.dim;
        match &self.repr {
            Repr::Packed { p, .. } => p.packed().to_vec(),
            Repr::LowRank {
                eps0,
                coefs,
                factors,
                raised,
                ..
            } => {
                let mut data = vec![T::ZERO; packed_len(n)];
                let mut start = 0;
                for i in 0..n {
                    data[start + i] = *eps0 + raised.get(i).copied().unwrap_or(T::ZERO);
                    start += i + 1;
                }
                for (c, u) in coefs.iter().zip(factors.chunks_exact(n.max(1))) {
                    let mut start = 0;
                    for i in 0..n {
                        let cui = *c * u[i];
                        for (pij, uj) in data[start..start + i + 1].iter_mut().zip(u) {
                            *pij -= cui * *uj;
                        }
                        start += i + 1;
                    }
                }
                data
            }
        }
    }
}

/// `Σ a_j b_j` with `LANES` independent accumulators (vectorisable).
#[inline]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = T::ZERO;
    for (x, y) in ra.iter().zip(rb) {
        tail += *x * *y;
    }
    let mut s = T::ZERO;
    for a in acc {
        s += a;
    }
    s + tail
}

/// Four inner products `u_rᵀ v` in one pass over `v`.
#[inline]
fn dot4<T: Real>(u: [&[T]; 4], v: &[T]) -> [T; 4] {
    let mut acc = [[T::ZERO; LANES]; 4];
    let n = v.len() - v.len() % LANES;
    let mut j = 0;
    while j < n {
        let vv = &v[j..j + LANES];
        for r in 0..4 {
            let ur = &u[r][j..j + LANES];
            for l in 0..LANES {
                acc[r][l] += ur[l] * vv[l];
            }
        }
        j += LANES;
    }
    let mut out = [T::ZERO; 4];
    for r in 0..4 {
        let mut tail = T::ZERO;
        for (x, y) in u[r][n..].iter().zip(&v[n..]) {
            tail += *x * *y;
        }
        let mut s = T::ZERO;
        for a in acc[r] {
            s += a;
        }
        out[r] = s + tail;
    }
    out
}

impl<T: Real> Covariance<T> for StructuredCovariance<T> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        match &self.repr {
            Repr::Packed { p, .. } => p.mul_vec(v, out),
            Repr::LowRank {
                eps0,
                coefs,
                factors,
                raised,
                ..
            } => {
                let n = self.dim.min(v.len()).min(out.len());
                let (v, out) = (&v[..n], &mut out[..n]);
                if raised.is_empty() {
                    for (o, x) in out.iter_mut().zip(v) {
                        *o = *eps0 * *x;
                    }
                } else {
                    for ((o, x), d) in out.iter_mut().zip(v).zip(raised) {
                        *o = (*eps0 + *d) * *x;
                    }
                }
                if self.dim == 0 || n < self.dim {
                    return;
                }
                let rows: Vec<&[T]> = factors.chunks_exact(self.dim).collect();
                // α_i = c_i (u_iᵀ v)
                let mut alpha = vec![T::ZERO; rows.len()];
                let mut i = 0;
                while i + 4 <= rows.len() {
                    let d = dot4([rows[i], rows[i + 1], rows[i + 2], rows[i + 3]], v);
                    for r in 0..4 {
                        alpha[i + r] = coefs[i + r] * d[r];
                    }
                    i += 4;
                }
                while i < rows.len() {
                    alpha[i] = coefs[i] * dot(rows[i], v);
                    i += 1;
                }
                // out −= Σ α_i u_i, four factors per pass over `out`.
                let mut i = 0;
                while i + 4 <= rows.len() {
                    let (a0, a1, a2, a3) = (alpha[i], alpha[i + 1], alpha[i + 2], alpha[i + 3]);
                    let (u0, u1, u2, u3) = (rows[i], rows[i + 1], rows[i + 2], rows[i + 3]);
                    for ((((o, x0), x1), x2), x3) in out.iter_mut().zip(u0).zip(u1).zip(u2).zip(u3)
                    {
                        *o -= a0 * *x0 + a1 * *x1 + a2 * *x2 + a3 * *x3;
                    }
                    i += 4;
                }
                while i < rows.len() {
                    let (a, u) = (alpha[i], rows[i]);
                    for (o, x) in out.iter_mut().zip(u) {
                        *o -= a * *x;
                    }
                    i += 1;
                }
            }
        }
    }

    fn downdate(&mut self, c: T, u: &[T]) {
        if u.len() < self.dim {
            return; // contract violation: callers pass dim-long slices
        }
        if self.rank() >= self.switch_at && !self.is_packed() {
            self.expand();
        }
        match &mut self.repr {
            Repr::Packed { p, rank } => {
                p.downdate(c, u);
                *rank += 1;
            }
            Repr::LowRank {
                coefs,
                factors,
                diagonal,
                ..
            } => {
                coefs.push(c);
                factors.extend_from_slice(&u[..self.dim]);
                for (d, ui) in diagonal.iter_mut().zip(u) {
                    // The roundings of the packed downdate: p_ii − (c u_i) u_i.
                    let cui = c * *ui;
                    *d -= cui * *ui;
                }
            }
        }
    }

    /// Process noise and forgetting stay exact in the structured form:
    /// `P + qI = (ε0 + q) I − Σ c_i u_i u_iᵀ` and
    /// `αP = (α ε0) I − Σ (α c_i) u_i u_iᵀ` (O(k + N), no expansion), and
    /// the diagonal floor adds to `D` (O(N): the diagonal is kept).
    fn regularizable(&self) -> Regularizable {
        Regularizable::ALL
    }

    fn add_diagonal(&mut self, q: T) -> hinf::Result<()> {
        if !(q.is_finite() && q >= T::ZERO) {
            return Err(hinf::Error::InvalidParameter {
                name: hinf::Param::ProcessNoise,
            });
        }
        match &mut self.repr {
            Repr::Packed { p, .. } => p.add_diagonal(q),
            Repr::LowRank { eps0, diagonal, .. } => {
                let e = *eps0 + q;
                if !(e.is_finite() && diagonal.iter().all(|d| (*d + q).is_finite())) {
                    return Err(hinf::Error::Diverged { what: "covariance" });
                }
                *eps0 = e;
                diagonal.iter_mut().for_each(|d| *d += q);
                Ok(())
            }
        }
    }

    fn scale(&mut self, alpha: T) -> hinf::Result<()> {
        if !(alpha.is_finite() && alpha > T::ZERO) {
            return Err(hinf::Error::InvalidParameter {
                name: hinf::Param::ForgettingFactor,
            });
        }
        match &mut self.repr {
            Repr::Packed { p, .. } => p.scale(alpha),
            Repr::LowRank {
                eps0,
                coefs,
                diagonal,
                raised,
                ..
            } => {
                let finite = |xs: &[T]| xs.iter().all(|x| (*x * alpha).is_finite());
                if !((*eps0 * alpha).is_finite()
                    && finite(coefs)
                    && finite(diagonal)
                    && finite(raised))
                {
                    return Err(hinf::Error::Diverged { what: "covariance" });
                }
                *eps0 *= alpha;
                for xs in [coefs, diagonal, raised] {
                    xs.iter_mut().for_each(|x| *x *= alpha);
                }
                Ok(())
            }
        }
    }

    fn floor_diagonal(&mut self, floor: T) -> hinf::Result<usize> {
        match &mut self.repr {
            Repr::Packed { p, .. } => p.floor_diagonal(floor),
            Repr::LowRank {
                diagonal, raised, ..
            } => {
                if !(floor.is_finite() && floor >= T::ZERO) {
                    return Err(hinf::Error::InvalidParameter {
                        name: hinf::Param::DiagonalFloor,
                    });
                }
                // As the packed floor: raise every entry below f (or NaN)
                // to f, here by adding the difference to D. All checked
                // first, so that a failure changes nothing.
                let low = |d: &T| {
                    !matches!(
                        d.partial_cmp(&floor),
                        Some(Ordering::Equal | Ordering::Greater)
                    )
                };
                let old_raise = |i: usize| raised.get(i).copied().unwrap_or(T::ZERO);
                if diagonal
                    .iter()
                    .enumerate()
                    .any(|(i, d)| low(d) && !(old_raise(i) + (floor - *d)).is_finite())
                {
                    return Err(hinf::Error::Diverged { what: "covariance" });
                }
                let mut count = 0;
                for i in 0..diagonal.len() {
                    if low(&diagonal[i]) {
                        if raised.is_empty() {
                            raised.resize(diagonal.len(), T::ZERO);
                        }
                        raised[i] += floor - diagonal[i];
                        diagonal[i] = floor;
                        count += 1;
                    }
                }
                Ok(count)
            }
        }
    }

    fn reset(&mut self, eps0: T) {
        self.repr = Repr::low_rank(self.dim, eps0);
    }

    /// A saved `P` (packed lower triangle) is taken as it is, in packed
    /// storage from then on (as after the switch); [`Self::rank`] restarts
    /// at 0. Fails, changing nothing, on a wrong length or a non-finite value.
    fn load_packed(&mut self, packed: &[T]) -> hinf::Result<()> {
        let mut p = PackedCovariance::new(self.dim, T::ONE, packed.to_vec())?;
        p.set_packed(packed)?;
        self.repr = Repr::Packed { p, rank: 0 };
        Ok(())
    }

    fn downdate_diagonal_bounds(&self, c: T, u: &[T]) -> Option<(T, T)> {
        match &self.repr {
            Repr::Packed { p, .. } => p.downdate_diagonal_bounds(c, u),
            Repr::LowRank { diagonal, .. } => {
                // The same roundings as `downdate`.
                let mut it = diagonal.iter().zip(u).map(|(d, ui)| {
                    let cui = c * *ui;
                    *d - cui * *ui
                });
                let first = it.next()?;
                Some(it.fold((first, first), fold_bounds))
            }
        }
    }

    fn diagonal_bounds(&self) -> (T, T) {
        match &self.repr {
            Repr::Packed { p, .. } => p.diagonal_bounds(),
            Repr::LowRank { diagonal, .. } => {
                let mut it = diagonal.iter().copied();
                let Some(first) = it.next() else {
                    return (T::ZERO, T::ZERO);
                };
                it.fold((first, first), fold_bounds)
            }
        }
    }

    fn get(&self, i: usize, j: usize) -> T {
        if i >= self.dim || j >= self.dim {
            return T::ZERO;
        }
        match &self.repr {
            Repr::Packed { p, .. } => p.get(i, j),
            Repr::LowRank {
                eps0,
                coefs,
                factors,
                raised,
                ..
            } => {
                let mut x = if i == j {
                    *eps0 + raised.get(i).copied().unwrap_or(T::ZERO)
                } else {
                    T::ZERO
                };
                for (c, u) in coefs.iter().zip(factors.chunks_exact(self.dim)) {
                    x -= *c * u[i] * u[j];
                }
                x
            }
        }
    }
}
