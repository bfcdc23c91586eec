//! Fixed-point printing of `f32` for the plain-text summary lines, without
//! `core::fmt`'s float formatting (which costs ~20 KB of flash).

use core::fmt;

/// Prints an `f32` with a fixed number of decimals (at most 9), e.g.
/// `Fixed(0.009_3, 5)` as `0.00930`. Non-finite values print as `nan`/`inf`.
#[derive(Clone, Copy, Debug)]
pub struct Fixed(pub f32, pub u32);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(x, decimals) = *self;
        let decimals = decimals.min(9);
        if x.is_nan() {
            return f.write_str("nan");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        let scale = 10u64.pow(decimals);
        let mag = libm::round(f64::from(x).abs() * scale as f64);
        if mag >= u64::MAX as f64 {
            return f.write_str(if x > 0.0 { "big" } else { "-big" });
        }
        let mag = mag as u64;
        let sign = if x < 0.0 && mag != 0 { "-" } else { "" };
        if decimals == 0 {
            write!(f, "{sign}{mag}")
        } else {
            let width = decimals as usize;
            write!(f, "{sign}{}.{:0width$}", mag / scale, mag % scale)
        }
    }
}
