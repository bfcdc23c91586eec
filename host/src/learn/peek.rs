//! [`PeekCovariance`]: read-only access to a learner's `P` (eqs. 4–7), for
//! the section-5 measurements (`crate::study`); no effect on training.

use hinf::{Adam, Covariance, GEhf, Real};

/// A learning rule's covariance `P`, if it has one, by its product.
pub trait PeekCovariance<T: Real> {
    /// `out ← P v` and `true`, or `false` (and `out` untouched) for a
    /// rule without a `P` (Adam).
    fn peek_mul(&self, v: &[T], out: &mut [T]) -> bool;
}

impl<T: Real, C: Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> PeekCovariance<T> for GEhf<T, C, S> {
    fn peek_mul(&self, v: &[T], out: &mut [T]) -> bool {
        self.covariance().mul_vec(v, out);
        true
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> PeekCovariance<T> for Adam<T, S> {
    fn peek_mul(&self, _v: &[T], _out: &mut [T]) -> bool {
        false
    }
}
