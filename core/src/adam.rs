//! Adam (Kingma & Ba), the paper's baseline (Table 2), per sample or full batch.
//!
//! The loss is `½ Σ_o e_o²` with `e = y − h(w)`, so the gradient is
//! `g = −Σ_o e_o ∂h_o/∂w`, from the same Jacobian (eqs. 22–24) the g-EHF uses.

use crate::error::{Error, Result, check_finite, check_len};
use crate::network::ResNet;
use crate::real::Real;
use crate::train::{Optimizer, StepReport};

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
            return Err(Error::InvalidParameter { name: "adam lr" });
        }
        if !(ok(self.beta1) && (0.0..1.0).contains(&self.beta1)) {
            return Err(Error::InvalidParameter { name: "adam beta1" });
        }
        if !(ok(self.beta2) && (0.0..1.0).contains(&self.beta2)) {
            return Err(Error::InvalidParameter { name: "adam beta2" });
        }
        if !(ok(self.eps) && self.eps > 0.0) {
            return Err(Error::InvalidParameter { name: "adam eps" });
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
    _t: core::marker::PhantomData<T>,
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
            _t: core::marker::PhantomData,
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
                name: "adam second moment",
            });
        }
        for b in [b1t, b2t] {
            if !(b.is_finite() && (0.0..=1.0).contains(&b)) {
                return Err(Error::InvalidParameter {
                    name: "adam bias product",
                });
            }
        }
        self.buf.as_mut()[..3 * self.dim].copy_from_slice(buf);
        self.config = config;
        self.t = t;
        self.b1t = b1t;
        self.b2t = b2t;
        Ok(())
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
    }

    /// Adds `−Σ_o e_o ∂h_o/∂w` for sample `(x, y)` to the accumulator.
    fn accumulate<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        let spec = *net.spec();
        let nw = spec.n_weights();
        check_len("adam dimension", nw, self.dim)?;
        check_len("target", spec.outputs(), y.len())?;
        check_finite("target", y)?;
        let (out, h) = net.jacobian(x)?;
        let g = &mut self.buf.as_mut()[2 * nw..3 * nw];
        let mut report = StepReport {
            error: T::ZERO,
            output: out[0],
            hph: T::ZERO,
        };
        for (o, (row, (yo, zo))) in h.chunks_exact(nw).zip(y.iter().zip(out)).enumerate() {
            let e = *yo - *zo;
            if o == 0 {
                report.error = e;
            }
            for (gi, hi) in g.iter_mut().zip(row) {
                *gi -= e * *hi;
            }
        }
        Ok(report)
    }

    /// One Adam update from the accumulated gradient, which it then clears.
    ///
    /// The whole update is computed and checked before any of it is
    /// applied: if the gradient or any new weight or moment would be
    /// non-finite, it returns [`Error::Diverged`] with the weights and
    /// moments unchanged (the accumulator is cleared: it holds the
    /// non-finite gradient, and keeping it would poison every later step).
    fn apply<NS: AsRef<[T]> + AsMut<[T]>>(&mut self, net: &mut ResNet<T, NS>) -> Result<()> {
        let nw = self.dim;
        check_len("adam dimension", net.spec().n_weights(), nw)?;
        let c = self.config;
        let (b1, b2) = (T::from_f64(c.beta1), T::from_f64(c.beta2));
        let b1t = self.b1t * c.beta1;
        let b2t = self.b2t * c.beta2;
        // α_t = α √(1 − β2^t) / (1 − β1^t), ε̂ = ε √(1 − β2^t): the paper's
        // Algorithm 1 bias correction, folded into the step.
        let lr_t = T::from_f64(c.lr * (1.0 - b2t).sqrt() / (1.0 - b1t));
        let eps_t = T::from_f64(c.eps * (1.0 - b2t).sqrt());
        let (mv, g) = self.buf.as_mut().split_at_mut(2 * nw);
        let (m, v) = mv.split_at_mut(nw);
        let g = &mut g[..nw];
        if !g.iter().all(|x| x.is_finite()) {
            g.iter_mut().for_each(|x| *x = T::ZERO);
            return Err(Error::Diverged { what: "gradient" });
        }
        // The update must stay finite, and is checked before anything
        // changes. Cheap sufficient test first (one vectorisable pass of
        // maxima): with |g|, |m|, v and |w| bounded as below, m', v', the
        // step α_t m'/(√v' + ε̂) ≤ α_t max(|m|, |g|)/ε̂ and w' are finite.
        let zero = T::ZERO;
        let (mut gmax, mut mmax, mut vmax, mut wmax) = (zero, zero, zero, zero);
        for (((wi, mi), vi), gi) in net
            .weights()
            .iter()
            .zip(m.iter())
            .zip(v.iter())
            .zip(g.iter())
        {
            gmax = gmax.max(gi.abs());
            mmax = mmax.max(mi.abs());
            vmax = vmax.max(*vi);
            wmax = wmax.max(wi.abs());
        }
        let quarter = T::MAX * T::from_f64(0.25);
        let safe = gmax <= quarter.sqrt()
            && vmax <= quarter
            && wmax <= quarter
            && gmax.max(mmax) * (lr_t / eps_t) <= quarter;
        // Otherwise check the whole update (same arithmetic as below).
        let ok = safe
            || net
                .weights()
                .iter()
                .zip(m.iter())
                .zip(v.iter())
                .zip(g.iter())
                .all(|(((wi, mi), vi), gi)| {
                    let m1 = b1 * *mi + (T::ONE - b1) * *gi;
                    let v1 = b2 * *vi + (T::ONE - b2) * *gi * *gi;
                    let w1 = *wi - lr_t * m1 / (v1.sqrt() + eps_t);
                    m1.is_finite() && v1.is_finite() && w1.is_finite()
                });
        if !ok {
            g.iter_mut().for_each(|x| *x = T::ZERO);
            return Err(Error::Diverged { what: "weights" });
        }
        let w = net.weights_mut();
        for (((wi, mi), vi), gi) in w
            .iter_mut()
            .zip(m.iter_mut())
            .zip(v.iter_mut())
            .zip(g.iter_mut())
        {
            *mi = b1 * *mi + (T::ONE - b1) * *gi;
            *vi = b2 * *vi + (T::ONE - b2) * *gi * *gi;
            *wi -= lr_t * *mi / (vi.sqrt() + eps_t);
            *gi = T::ZERO;
        }
        self.t = self.t.saturating_add(1);
        self.b1t = b1t;
        self.b2t = b2t;
        Ok(())
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Optimizer<T> for Adam<T, S> {
    fn observe<NS: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, NS>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>> {
        let report = self.accumulate(net, x, y)?;
        if self.config.mode == AdamMode::Sample {
            self.apply(net)?;
        }
        Ok(report)
    }

    fn end_epoch<NS: AsRef<[T]> + AsMut<[T]>>(&mut self, net: &mut ResNet<T, NS>) -> Result<()> {
        if self.config.mode == AdamMode::Batch {
            self.apply(net)?;
        }
        Ok(())
    }
}
