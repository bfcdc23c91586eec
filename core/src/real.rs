//! The scalar type: one numeric trait for `f32` and `f64`.
//!
//! Everything in the crate is generic over [`Real`], so the same code runs in
//! `f32` on a Cortex-M4F and in `f64` on a host. Transcendentals come from
//! `libm` (no `std`); with the `micromath` feature, `f32::exp` uses
//! micromath's fast approximation instead; with the `std` feature (hosts),
//! `exp` and `sqrt` come from `std`.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point scalar: `f32` or `f64`.
pub trait Real:
    Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The largest finite value.
    const MAX: Self;
    /// Name of the type, for reports ("f32" or "f64").
    const NAME: &'static str;
    /// Bytes of the IEEE-754 binary format: 4 (binary32) or 8 (binary64).
    /// The precision tag of model files ([`crate::model`]).
    const BYTES: u8;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// e^x.
    fn exp(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `true` unless NaN or ±∞.
    fn is_finite(self) -> bool;
    /// The larger of two values (NaN-propagating is not guaranteed).
    #[inline]
    fn max(self, other: Self) -> Self {
        if other > self { other } else { self }
    }
    /// `self` if `self > x`, else `x` (so a NaN `x` replaces `self`): a
    /// running maximum's step, one `maxpd` in a vectorised loop. A type
    /// of several lanes overrides it to choose lane by lane.
    #[inline(always)]
    fn raise_to(self, x: Self) -> Self {
        if self > x { self } else { x }
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MAX: Self = f64::MAX;
    const NAME: &'static str = "f64";
    const BYTES: u8 = 8;
    #[inline]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn exp(self) -> Self {
        #[cfg(feature = "std")]
        {
            std::primitive::f64::exp(self)
        }
        #[cfg(not(feature = "std"))]
        {
            libm::exp(self)
        }
    }
    #[inline]
    fn sqrt(self) -> Self {
        #[cfg(feature = "std")]
        {
            std::primitive::f64::sqrt(self)
        }
        #[cfg(not(feature = "std"))]
        {
            libm::sqrt(self)
        }
    }
    #[inline]
    fn abs(self) -> Self {
        libm::fabs(self)
    }
    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MAX: Self = f32::MAX;
    const NAME: &'static str = "f32";
    const BYTES: u8 = 4;
    #[inline]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn exp(self) -> Self {
        #[cfg(feature = "micromath")]
        {
            micromath::F32Ext::exp(self)
        }
        #[cfg(all(feature = "std", not(feature = "micromath")))]
        {
            std::primitive::f32::exp(self)
        }
        #[cfg(not(any(feature = "std", feature = "micromath")))]
        {
            libm::expf(self)
        }
    }
    #[inline]
    fn sqrt(self) -> Self {
        #[cfg(feature = "std")]
        {
            std::primitive::f32::sqrt(self)
        }
        #[cfg(not(feature = "std"))]
        {
            libm::sqrtf(self)
        }
    }
    #[inline]
    fn abs(self) -> Self {
        libm::fabsf(self)
    }
    #[inline]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
}

/// `true` if every element of `xs` is finite.
#[inline]
pub(crate) fn all_finite<T: Real>(xs: &[T]) -> bool {
    all_finite_zip(xs, xs, |x, _| x)
}

/// 0 for a finite `v`, NaN for an infinite or NaN one (`v − v`).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn nan_unless_finite<T: Real>(v: T) -> T {
    v - v
}

/// Independent lanes of [`all_finite_zip`]'s sums.
const FINITE_LANES: usize = 4;

/// `true` if `f(a_i, b_i)` is finite for every i (of the shorter slice).
///
/// Branch-free, so that it vectorises: it sums `v − v`, which is 0 for a
/// finite `v` and NaN otherwise, in independent lanes, and tests the sum.
#[inline]
pub(crate) fn all_finite_zip<T: Real>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> bool {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [T::ZERO; FINITE_LANES];
    let (ca, cb) = (a.chunks_exact(FINITE_LANES), b.chunks_exact(FINITE_LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..FINITE_LANES {
            acc[l] += nan_unless_finite(f(x[l], y[l]));
        }
    }
    for (x, y) in ra.iter().zip(rb) {
        acc[0] += nan_unless_finite(f(*x, *y));
    }
    acc.iter().fold(T::ZERO, |s, x| s + *x).is_finite()
}

/// Dot product of two equally long slices.
#[inline]
pub(crate) fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = T::ZERO;
    for (x, y) in a.iter().zip(b) {
        acc += *x * *y;
    }
    acc
}
