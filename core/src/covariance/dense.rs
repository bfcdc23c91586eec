//! `P` stored densely: the reference implementation.

use super::{Covariance, Regularizable, check_alpha, check_floor, check_q, fold_bounds};
use crate::error::{Error, Result, check_finite, check_len};
use crate::real::{Real, dot};
use crate::spec::packed_len;
use core::cmp::Ordering;

/// `P` stored densely, all N² entries, both triangles updated
/// independently. The reference the packed and structured forms are
/// tested against; use [`PackedCovariance`](super::PackedCovariance) otherwise.
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
            *o = dot(row, v);
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

    fn regularizable(&self) -> Regularizable {
        Regularizable::ALL
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
        check_len("packed covariance", packed_len(n), packed.len())?;
        check_finite("packed covariance", packed)?;
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
