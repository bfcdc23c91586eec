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
    /// on this same `P` (eq. 4 for one output).
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
        let needed = packed_len(dim);
        let capacity = storage.as_ref().len();
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
        let p = &self.data.as_ref()[..self.dim * self.dim];
        for (o, row) in out.iter_mut().zip(p.chunks_exact(self.dim)) {
            *o = crate::real::dot(row, v);
        }
    }
    fn downdate(&mut self, c: T, u: &[T]) {
        let n = self.dim;
        let p = &mut self.data.as_mut()[..n * n];
        for (row, ui) in p.chunks_exact_mut(n).zip(u) {
            for (pij, uj) in row.iter_mut().zip(u) {
                *pij -= c * *ui * *uj;
            }
        }
    }
    fn reset(&mut self, eps0: T) {
        let n = self.dim;
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
}
