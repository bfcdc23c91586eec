//! Adam (Kingma & Ba), the paper's baseline (Table 2), per sample or full batch.
//!
//! The loss is `½ Σ_o e_o²` with `e = y − h(w)`, so the gradient is
//! `g = −Σ_o e_o ∂h_o/∂w`, from the same Jacobian (eqs. 22–24) the g-EHF uses.

use crate::data::ErrorStats;
use crate::error::{Error, Param, Result, check_finite, check_len};
use crate::network::ResNet;
use crate::optimizer::{Optimizer, StepReport};
use crate::real::Real;

/// Per-sample updates or one update per epoch from the summed gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AdamMode {
    /// One Adam step per sample.
    #[default]
    Sample,
    /// One Adam step per epoch, on the gradient summed over the epoch.
    Batch,
}

/// Adam's hyper-parameters. `Default` is the paper's (Table 2):
/// α = 0.01, β1 = 0.79, β2 = 0.78, ε = 1e-8.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdamConfig {
    /// Step size α > 0.
    pub lr: f64,
    /// First-moment decay β1 ∈ [0, 1).
    pub beta1: f64,
    /// Second-moment decay β2 ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0 in the denominator.
    pub eps: f64,
    /// Per sample or full batch.
    pub mode: AdamMode,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 0.01,
            beta1: 0.79,
            beta2: 0.78,
            eps: 1e-8,
            mode: AdamMode::Sample,
        }
    }
}

impl AdamConfig {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite();
        if !(ok(self.lr) && self.lr > 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::AdamLr,
            });
        }
        if !(ok(self.beta1) && (0.0..1.0).contains(&self.beta1)) {
            return Err(Error::InvalidParameter {
                name: Param::AdamBeta1,
            });
        }
        if !(ok(self.beta2) && (0.0..1.0).contains(&self.beta2)) {
            return Err(Error::InvalidParameter {
                name: Param::AdamBeta2,
            });
        }
        if !(ok(self.eps) && self.eps > 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::AdamEps,
            });
        }
        Ok(())
    }
}

/// Adam's state in a buffer `S` of 3 N_w elements: first moments `m`,
/// second moments `v`, and the gradient accumulator of batch mode.
#[derive(Debug, Clone)]
pub struct Adam<T, S> {
    config: AdamConfig,
    dim: usize,
    t: u32,
    /// β1^t and β2^t, for the bias corrections.
    b1t: f64,
    b2t: f64,
    buf: S,
    /// `max |m_i|` and `max v_i` of the moments in `buf`, kept by every
    /// change of them (only this type changes them), so that the update's
    /// cheap finiteness test needs no pass over `m` and `v`.
    m_max: T,
    v_max: T,
    /// The accumulator `g` in `buf` is all zeros (always, between
    /// per-sample steps), so the fused step neither reads nor clears it.
    g_is_zero: bool,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Adam<T, S> {
    /// Adam for `n_weights` parameters; `storage` needs 3 N_w elements.
    pub fn new(config: AdamConfig, n_weights: usize, mut storage: S) -> Result<Self> {
        config.validate()?;
        let capacity = storage.as_ref().len();
        let needed = n_weights.saturating_mul(3);
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "adam state",
                needed,
                capacity,
            });
        }
        storage.as_mut()[..needed]
            .iter_mut()
            .for_each(|x| *x = T::ZERO);
        Ok(Self {
            config,
            dim: n_weights,
            t: 0,
            b1t: 1.0,
            b2t: 1.0,
            buf: storage,
            m_max: T::ZERO,
            v_max: T::ZERO,
            g_is_zero: true,
        })
    }

    /// The parameters.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// The first and second moment estimates `(m, v)`.
    pub fn moments(&self) -> (&[T], &[T]) {
        let b = self.buf.as_ref();
        (&b[..self.dim], &b[self.dim..2 * self.dim])
    }

    /// Number of Adam steps taken.
    pub fn steps(&self) -> u32 {
        self.t
    }

    /// N_w, the number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The whole state: `(m, v, g)` as one 3 N_w slice (first moments,
    /// second moments, batch-mode gradient accumulator), the step count
    /// and the bias-correction products β1^t, β2^t (as `f64`).
    pub fn state(&self) -> (&[T], u32, f64, f64) {
        (
            &self.buf.as_ref()[..3 * self.dim],
            self.t,
            self.b1t,
            self.b2t,
        )
    }

    /// Restores a state saved with [`Adam::state`], and the parameters.
    /// Fails, changing nothing, on invalid parameters, a wrong length, a
    /// non-finite value, a negative second moment or bias products
    /// outside (0, 1].
    pub fn set_state(
        &mut self,
        config: AdamConfig,
        buf: &[T],
        t: u32,
        b1t: f64,
        b2t: f64,
    ) -> Result<()> {
        config.validate()?;
        check_len("adam state", 3 * self.dim, buf.len())?;
        check_finite("adam state", buf)?;
        if buf[self.dim..2 * self.dim].iter().any(|v| *v < T::ZERO) {
            return Err(Error::InvalidParameter {
                name: Param::AdamSecondMoment,
            });
        }
        for b in [b1t, b2t] {
            if !(b.is_finite() && (0.0..=1.0).contains(&b)) {
                return Err(Error::InvalidParameter {
                    name: Param::AdamBiasProduct,
                });
            }
        }
        self.buf.as_mut()[..3 * self.dim].copy_from_slice(buf);
        self.config = config;
        self.t = t;
        self.b1t = b1t;
        self.b2t = b2t;
        self.recompute_bounds();
        Ok(())
    }

    /// Recomputes the cached `max |m|`, `max v` and whether `g` is zero
    /// from the buffer (after it was written from outside the update).
    fn recompute_bounds(&mut self) {
        let n = self.dim;
        let b = &self.buf.as_ref()[..3 * n];
        let max = |xs: &[T], f: fn(T) -> T| xs.iter().fold(T::ZERO, |a, x| a.max(f(*x)));
        self.m_max = max(&b[..n], |x| x.abs());
        self.v_max = max(&b[n..2 * n], |x| x);
        self.g_is_zero = b[2 * n..].iter().all(|x| *x == T::ZERO);
    }

    /// Restores a state already validated (by a model file's parser):
    /// `fill` writes the 3 N_w values into the buffer.
    pub(crate) fn restore_unchecked(
        &mut self,
        config: AdamConfig,
        t: u32,
        b1t: f64,
        b2t: f64,
        fill: impl FnOnce(&mut [T]),
    ) {
        let n = 3 * self.dim;
        fill(&mut self.buf.as_mut()[..n]);
        self.config = config;
        self.t = t;
        self.b1t = b1t;
        self.b2t = b2t;
        self.recompute_bounds();
    }

    /// Checks sample `(x, y)` and computes the Jacobian at it.
    fn jacobian_at<'n, NS: AsRef<[T]> + AsMut<[T]>>(
        &self,
        net: &'n mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<(&'n [T], &'n [T])> {
        check_len("adam dimension", net.spec().n_weights(), self.dim)?;
        check_len("target", net.spec().outputs(), y.len())?;
        check_finite("target", y)?;
        net.jacobian(x)
    }

    /// Adds `−Σ_o e_o ∂h_o/∂w` for sample `(x, y)` to the accumulator.
    fn accumulate<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        let nw = self.dim;
        let (out, h) = self.jacobian_at(net, x, y)?;
        let g = &mut self.buf.as_mut()[2 * nw..3 * nw];
        let mut report = StepReport {
            error: T::ZERO,
            output: out[0],
            hph: T::ZERO,
            residuals: ErrorStats::default(),
        };
        for (o, (row, (yo, zo))) in h.chunks_exact(nw).zip(y.iter().zip(out)).enumerate() {
            let e = *yo - *zo;
            if o == 0 {
                report.error = e;
            }
            report.residuals.add(e.to_f64());
            for (gi, hi) in g.iter_mut().zip(row) {
                *gi -= e * *hi;
            }
        }
        self.g_is_zero = false;
        Ok(report)
    }

    /// One Adam update from the accumulated gradient `g` (`sample_error`
    /// = `None`), or from `g − e ∂h/∂w` of the last Jacobian (`Some(e)`,
    /// one output: the per-sample step without a pass that stores the
    /// gradient; the same arithmetic as [`Adam::accumulate`] then this).
    /// It clears the accumulator.
    ///
    /// The whole update is computed and checked before any of it is
    /// applied: if the gradient or any new weight or moment would be
    /// non-finite, it returns [`Error::Diverged`] with the weights and
    /// moments unchanged (the accumulator is cleared: it holds the
    /// non-finite gradient, and keeping it would poison every later step).
    fn apply<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        sample_error: Option<T>,
    ) -> Result<()> {
        let nw = self.dim;
        check_len("adam dimension", net.spec().n_weights(), nw)?;
        let (w, h) = net.weights_mut_and_jacobian();
        let (mv, g) = self.buf.as_mut().split_at_mut(2 * nw);
        let (m, v) = mv.split_at_mut(nw);
        let g = &mut g[..nw];
        let step = Step::new(&self.config, self.b1t, self.b2t);
        let bounds = (self.m_max, self.v_max);
        let done = match (sample_error, self.g_is_zero) {
            // g = 0 − e h, formed inside the update: g is neither read nor written.
            (Some(e), true) => step.apply::<true>(w, m, v, &h[..nw], e, bounds),
            (Some(e), false) => {
                // A restored non-zero accumulator: add the sample's part
                // first, as a batch step would.
                for (gi, hi) in g.iter_mut().zip(&h[..nw]) {
                    *gi -= e * *hi;
                }
                step.apply::<false>(w, m, v, g, T::ZERO, bounds)
            }
            (None, _) => step.apply::<false>(w, m, v, g, T::ZERO, bounds),
        };
        if !(self.g_is_zero && sample_error.is_some()) || done.is_err() {
            g.iter_mut().for_each(|x| *x = T::ZERO);
        }
        self.g_is_zero = true;
        (self.m_max, self.v_max) = done?;
        self.t = self.t.saturating_add(1);
        self.b1t *= self.config.beta1;
        self.b2t *= self.config.beta2;
        Ok(())
    }
}

/// The constants of one Adam step t (the paper's Algorithm 1).
struct Step<T> {
    b1: T,
    b2: T,
    /// α_t = α √(1 − β2^t) / (1 − β1^t).
    lr_t: T,
    /// ε̂ = ε √(1 − β2^t).
    eps_t: T,
}

/// Lanes of the bounds pass: independent maxima, so that it vectorises.
const LANES: usize = 4;

/// Raises `acc` to `x` (one `maxpd`, so that the passes vectorise). A NaN
/// is not kept: a later value replaces it. NaNs are caught separately.
#[inline(always)]
fn raise<T: Real>(acc: &mut T, x: T) {
    *acc = acc.raise_to(x);
}

impl<T: Real> Step<T> {
    fn new(c: &AdamConfig, b1t: f64, b2t: f64) -> Self {
        let b1t = b1t * c.beta1;
        let b2t = b2t * c.beta2;
        // The bias correction folded into the step.
        Self {
            b1: T::from_f64(c.beta1),
            b2: T::from_f64(c.beta2),
            lr_t: T::from_f64(c.lr * (1.0 - b2t).sqrt() / (1.0 - b1t)),
            eps_t: T::from_f64(c.eps * (1.0 - b2t).sqrt()),
        }
    }

    /// The gradient from its source: `0 − e·src` if `FUSED` (the
    /// per-sample `−e ∂h/∂w` with `src` the Jacobian row, the same value as
    /// accumulating it into a zero `g`), else `src` (the accumulator).
    #[inline(always)]
    fn grad<const FUSED: bool>(src: T, e: T) -> T {
        if FUSED { T::ZERO - e * src } else { src }
    }

    /// `(m', v', w')` of element i, the same arithmetic for the check and
    /// the update.
    #[inline(always)]
    fn element(&self, w: T, m: T, v: T, g: T) -> (T, T, T) {
        let m1 = self.b1 * m + (T::ONE - self.b1) * g;
        let v1 = self.b2 * v + (T::ONE - self.b2) * g * g;
        (m1, v1, w - self.lr_t * m1 / (v1.sqrt() + self.eps_t))
    }

    /// Checks the whole update, then applies it (all or nothing).
    /// `(m_max, v_max)` are `max |m|` and `max v` of the current moments;
    /// it returns those of the new ones.
    fn apply<const FUSED: bool>(
        &self,
        w: &mut [T],
        m: &mut [T],
        v: &mut [T],
        src: &[T],
        e: T,
        (m_max, v_max): (T, T),
    ) -> Result<(T, T)> {
        let n = w.len();
        let (m, v, src) = (&mut m[..n], &mut v[..n], &src[..n]);
        let full = n - n % LANES;
        // Cheap sufficient test first: one vectorisable pass of maxima of
        // |g| and |w| (those of |m| and v are kept from the last update).
        // With |g|, |m|, v and |w| bounded as below, m', v', the step
        // α_t m'/(√v' + ε̂) ≤ α_t max(|m|, |g|)/ε̂ and w' are finite. A
        // NaN anywhere makes its maximum NaN and the test fail.
        // The lanes' sums of g are NaN or infinite if any g is (or if the
        // sum overflows: then the careful test decides).
        let zero = T::ZERO;
        let mut gmax = [zero; LANES];
        let mut gsum = [zero; LANES];
        let mut wmax = [zero; LANES];
        for (sc, wc) in src.chunks_exact(LANES).zip(w.chunks_exact(LANES)) {
            for j in 0..LANES {
                let g = Self::grad::<FUSED>(sc[j], e);
                raise(&mut gmax[j], g.abs());
                gsum[j] += g;
                raise(&mut wmax[j], wc[j].abs());
            }
        }
        for (si, wi) in src[full..].iter().zip(&w[full..]) {
            let g = Self::grad::<FUSED>(*si, e);
            raise(&mut gmax[0], g.abs());
            gsum[0] += g;
            raise(&mut wmax[0], wi.abs());
        }
        let (gmax, wmax) = (fold_max(gmax), fold_max(wmax));
        let gsum = gsum.iter().fold(zero, |a, x| a + *x);
        let quarter = T::MAX * T::from_f64(0.25);
        let safe = gsum.is_finite()
            && gmax <= quarter.sqrt()
            && v_max <= quarter
            && wmax <= quarter
            && gmax.max(m_max) * (self.lr_t / self.eps_t) <= quarter;
        if !safe {
            // Otherwise check the gradient, then the whole update (the
            // same arithmetic as below).
            if !src.iter().all(|si| Self::grad::<FUSED>(*si, e).is_finite()) {
                return Err(Error::Diverged { what: "gradient" });
            }
            let ok = (0..n).all(|i| {
                let (m1, v1, w1) = self.element(w[i], m[i], v[i], Self::grad::<FUSED>(src[i], e));
                m1.is_finite() && v1.is_finite() && w1.is_finite()
            });
            if !ok {
                return Err(Error::Diverged { what: "weights" });
            }
        }
        // The update: a plain loop, which vectorises (sqrt and division
        // dominate it).
        for i in 0..n {
            let g = Self::grad::<FUSED>(src[i], e);
            (m[i], v[i], w[i]) = self.element(w[i], m[i], v[i], g);
        }
        Ok(moment_maxima(m, v))
    }
}

/// `max |m_i|` and `max v_i`, in lanes, for the next step's cheap test.
#[inline(always)]
fn moment_maxima<T: Real>(m: &[T], v: &[T]) -> (T, T) {
    let full = m.len() - m.len() % LANES;
    let mut mmax = [T::ZERO; LANES];
    let mut vmax = [T::ZERO; LANES];
    for (mc, vc) in m.chunks_exact(LANES).zip(v.chunks_exact(LANES)) {
        for j in 0..LANES {
            raise(&mut mmax[j], mc[j].abs());
            raise(&mut vmax[j], vc[j]);
        }
    }
    for (mi, vi) in m[full..].iter().zip(&v[full..]) {
        raise(&mut mmax[0], mi.abs());
        raise(&mut vmax[0], *vi);
    }
    (fold_max(mmax), fold_max(vmax))
}

/// The largest of the lanes (NaN if one is NaN).
#[inline(always)]
fn fold_max<T: Real>(lanes: [T; LANES]) -> T {
    let mut acc = T::ZERO;
    for x in lanes {
        raise(&mut acc, x);
    }
    acc
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Optimizer<T> for Adam<T, S> {
    fn observe<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        if self.config.mode == AdamMode::Sample && net.spec().outputs() == 1 {
            // One output: the gradient −e ∂h/∂w is formed inside the update.
            let (out, _) = self.jacobian_at(net, x, y)?;
            let (output, error) = (out[0], y[0] - out[0]);
            self.apply(net, Some(error))?;
            return Ok(StepReport {
                error,
                output,
                hph: T::ZERO,
                residuals: ErrorStats::of(&[error]),
            });
        }
        let report = self.accumulate(net, x, y)?;
        if self.config.mode == AdamMode::Sample {
            self.apply(net, None)?;
        }
        Ok(report)
    }

    fn end_epoch<NS: AsRef<[T]> + AsMut<[T]>>(&mut self, net: &mut ResNet<T, NS>) -> Result<()> {
        if self.config.mode == AdamMode::Batch {
            self.apply(net, None)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{AdamConfig, Step};
    use crate::Error;

    /// A NaN gradient anywhere, followed by ordinary values in its lane,
    /// is refused and changes nothing (the lanes' maxima alone lose it).
    #[test]
    fn a_nan_gradient_anywhere_is_refused() {
        for at in [0, 1, 17, 38] {
            let step = Step::<f64>::new(&AdamConfig::default(), 1.0, 1.0);
            let mut g = [0.01f64; 39];
            g[at] = f64::NAN;
            let (mut w, mut m, mut v) = ([0.5f64; 39], [0.0f64; 39], [0.0f64; 39]);
            let r = step.apply::<false>(&mut w, &mut m, &mut v, &g, 0.0, (0.0, 0.0));
            assert_eq!(r, Err(Error::Diverged { what: "gradient" }), "NaN at {at}");
            assert_eq!((w, m, v), ([0.5; 39], [0.0; 39], [0.0; 39]));
        }
    }
}
