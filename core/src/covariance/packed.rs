//! `P` as its packed lower triangle: the representation the filter and
//! model files use.

use super::{
    Covariance, Regularizable, check_alpha, check_floor, check_q, checked_packed_len, fold_bounds,
};
use crate::error::{Error, Result, check_finite, check_len};
use crate::real::Real;
use crate::spec::packed_len;
use core::cmp::Ordering;

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
        check_len("packed covariance", packed_len(self.dim), packed.len())?;
        check_finite("packed covariance", packed)?;
        self.data.as_mut()[..packed.len()].copy_from_slice(packed);
        Ok(())
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Covariance<T> for PackedCovariance<T, S> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn mul_vec(&self, v: &[T], out: &mut [T]) {
        packed_mul_vec(self.packed(), self.dim, v, out);
    }

    fn downdate(&mut self, c: T, u: &[T]) {
        let n = self.dim;
        packed_downdate(&mut self.data.as_mut()[..packed_len(n)], n, c, u);
    }

    fn reset(&mut self, eps0: T) {
        let n = self.dim;
        packed_identity(&mut self.data.as_mut()[..packed_len(n)], n, eps0);
    }

    fn get(&self, i: usize, j: usize) -> T {
        if i >= self.dim || j >= self.dim {
            return T::ZERO;
        }
        let (i, j) = if j > i { (j, i) } else { (i, j) };
        self.packed()[packed_len(i) + j]
    }

    fn regularizable(&self) -> Regularizable {
        Regularizable::ALL
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

/// `out ← P v` for the packed n × n lower triangle `p` (`packed_len(n)`
/// entries): each stored entry is read once, for both triangles. Shared by
/// [`PackedCovariance`] and each block of a block-diagonal `P`
/// (`blocks.rs`), so that one block is the packed `P` bit for bit.
pub(super) fn packed_mul_vec<T: Real>(p: &[T], n: usize, v: &[T], out: &mut [T]) {
    out.iter_mut().for_each(|o| *o = T::ZERO);
    let mut start = 0;
    for i in 0..n.min(v.len()).min(out.len()) {
        let Some(row) = p.get(start..start + i + 1) else {
            return;
        };
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

/// `P ← P − c u uᵀ` on the packed n × n lower triangle `p` (eq. 4,
/// rank-one form): row i is `p_ij −= (c u_i) u_j`, j ≤ i.
pub(super) fn packed_downdate<T: Real>(p: &mut [T], n: usize, c: T, u: &[T]) {
    let mut start = 0;
    for i in 0..n.min(u.len()) {
        let cui = c * u[i];
        let Some(row) = p.get_mut(start..start + i + 1) else {
            return;
        };
        for (pij, uj) in row.iter_mut().zip(u) {
            *pij -= cui * *uj;
        }
        start += i + 1;
    }
}

/// `P ← ε0 I` on the packed n × n lower triangle `p` (eq. 5).
pub(super) fn packed_identity<T: Real>(p: &mut [T], n: usize, eps0: T) {
    p.iter_mut().for_each(|x| *x = T::ZERO);
    for_diagonal_mut(p, n, |d| *d = eps0);
}

/// The diagonal of a packed lower triangle.
pub(super) fn diagonal<T: Real>(p: &[T]) -> impl Iterator<Item = T> + '_ {
    (0..).map_while(move |i: usize| p.get(packed_len(i + 1).wrapping_sub(1)).copied())
}

/// Applies `f` to each diagonal entry of a packed n × n lower triangle.
pub(super) fn for_diagonal_mut<T: Real>(p: &mut [T], n: usize, mut f: impl FnMut(&mut T)) {
    let mut k = 0;
    for i in 0..n {
        k += i;
        if let Some(d) = p.get_mut(k) {
            f(d);
        }
        k += 1;
    }
}
