//! `P = ε0 I` for ever: the steepest-descent variant (PAPER.md section 4).

use super::{Covariance, Regularizable, check_alpha, check_floor, checked_packed_len, noisy_base};
use crate::error::{Error, Result, check_finite, check_len};
use crate::real::Real;
use core::cmp::Ordering;

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
    fn regularizable(&self) -> Regularizable {
        Regularizable::ALL
    }
    fn add_diagonal(&mut self, q: T) -> Result<()> {
        self.eps0 = noisy_base(self.eps0, q)?;
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
        check_len("packed covariance", needed, packed.len())?;
        check_finite("packed covariance", packed)?;
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
