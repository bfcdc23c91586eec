//! The network: forward pass (eqs. 10–13) and the Jacobian `H = ∂h/∂w` by
//! the backward recursion of eqs. (20)–(24).

use crate::error::{Error, Result, check_finite, check_len};
use crate::real::{Real, dot};
use crate::spec::ResNetSpec;
use rand_core::Rng;

/// A sigmoid ResNet with its weights and working memory in one buffer `S`
/// of capacity [`ResNetSpec::buffer_len`]: a fixed array `[T; CAP]` on a
/// microcontroller, a `Vec<T>` on a host.
///
/// The buffer holds, in order: the weights `w` (eq. 16), the activations
/// `z¹ … zᴸ` of the last forward pass, the N_L × N_w Jacobian of the last
/// [`ResNet::jacobian`] call and back-propagation scratch.
///
/// ```
/// use hinf::{ResNet, ResNetSpec};
/// const SPEC: ResNetSpec = ResNetSpec::xor_const(1); // L = 5
/// let mut net = ResNet::new(ResNetSpec::xor(5)?, [0.0f64; SPEC.buffer_len()])?;
/// let y = net.forward(&[1.0, -1.0])?;
/// assert_eq!(y, &[0.5]); // all-zero weights: f(0) = 1/2
/// # Ok::<(), hinf::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ResNet<T, S> {
    spec: ResNetSpec,
    slope: T,
    buf: S,
}

/// The logistic sigmoid with slope η0: `f(x) = 1 / (1 + exp(−η0 x))`.
#[inline]
pub fn sigmoid<T: Real>(slope: T, x: T) -> T {
    T::ONE / (T::ONE + (-(slope * x)).exp())
}

/// Its derivative written with its value `z = f(x)`: `f'(x) = η0 z (1 − z)`.
#[inline]
pub fn sigmoid_derivative<T: Real>(slope: T, z: T) -> T {
    slope * z * (T::ONE - z)
}

/// A uniform sample in [0, 1) with 53 (f64) random bits.
#[inline]
pub(crate) fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> ResNet<T, S> {
    /// A network of shape `spec` in `storage`, with all weights zero.
    /// Fails with [`Error::CapacityExceeded`] if `storage` is shorter than
    /// [`ResNetSpec::buffer_len`].
    pub fn new(spec: ResNetSpec, mut storage: S) -> Result<Self> {
        let needed = spec.buffer_len();
        let capacity = storage.as_ref().len();
        if capacity < needed {
            return Err(Error::CapacityExceeded {
                what: "network buffer",
                needed,
                capacity,
            });
        }
        storage.as_mut().iter_mut().for_each(|x| *x = T::ZERO);
        Ok(Self {
            spec,
            slope: T::from_f64(spec.slope()),
            buf: storage,
        })
    }

    /// The network's shape.
    #[inline]
    pub fn spec(&self) -> &ResNetSpec {
        &self.spec
    }

    /// The weight vector `w` (layout of eq. 16, see [`crate::spec`]).
    #[inline]
    pub fn weights(&self) -> &[T] {
        &self.buf.as_ref()[..self.spec.n_weights()]
    }

    #[inline]
    pub(crate) fn weights_mut(&mut self) -> &mut [T] {
        let n = self.spec.n_weights();
        &mut self.buf.as_mut()[..n]
    }

    /// Replaces the weights. Fails, changing nothing, on a wrong length or a
    /// non-finite value.
    pub fn set_weights(&mut self, weights: &[T]) -> Result<()> {
        check_len("weights", self.spec.n_weights(), weights.len())?;
        check_finite("weights", weights)?;
        self.weights_mut().copy_from_slice(weights);
        Ok(())
    }

    /// Draws every weight and threshold uniformly from [−a, a] (the paper:
    /// a = 0.05). Fails, changing nothing, unless a is finite and ≥ 0.
    pub fn init_uniform<R: Rng + ?Sized>(&mut self, rng: &mut R, a: f64) -> Result<()> {
        if !(a.is_finite() && a >= 0.0) {
            return Err(Error::InvalidParameter { name: "init range" });
        }
        for w in self.weights_mut() {
            *w = T::from_f64(a * (2.0 * uniform01(rng) - 1.0));
        }
        Ok(())
    }

    /// The activations `z¹ … zᴸ` of the last forward pass, layer after layer.
    #[inline]
    pub fn activations(&self) -> &[T] {
        let nw = self.spec.n_weights();
        &self.buf.as_ref()[nw..nw + self.spec.n_activations()]
    }

    /// The outputs `zᴸ` of the last forward pass.
    #[inline]
    pub fn outputs(&self) -> &[T] {
        let z = self.activations();
        &z[z.len() - self.spec.outputs()..]
    }

    /// The Jacobian of the last [`ResNet::jacobian`] call: N_L rows of N_w,
    /// row o = `∂h_o/∂w`.
    #[inline]
    pub fn last_jacobian(&self) -> &[T] {
        let nw = self.spec.n_weights();
        let start = nw + self.spec.n_activations();
        &self.buf.as_ref()[start..start + self.spec.outputs() * nw]
    }

    fn check_input(&self, x: &[T]) -> Result<()> {
        check_len("input", self.spec.inputs(), x.len())?;
        check_finite("input", x)
    }

    /// The forward pass (eqs. 10–13): returns the outputs `h(w) = zᴸ`.
    pub fn forward(&mut self, x: &[T]) -> Result<&[T]> {
        self.check_input(x)?;
        let spec = self.spec;
        let slope = self.slope;
        let nw = spec.n_weights();
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        let z = &mut rest[..spec.n_activations()];
        forward_pass(&spec, slope, w, x, z);
        Ok(self.outputs())
    }

    /// Forward pass, then the Jacobian `H = ∂h/∂w` at the current weights
    /// by the backward recursion of eqs. (22)–(24), in one pass. Returns
    /// `(outputs, H)` with H as N_L rows of N_w.
    pub fn jacobian(&mut self, x: &[T]) -> Result<(&[T], &[T])> {
        self.check_input(x)?;
        let spec = self.spec;
        let slope = self.slope;
        let nw = spec.n_weights();
        let na = spec.n_activations();
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        let (z, rest) = rest.split_at_mut(na);
        let (h, rest) = rest.split_at_mut(spec.outputs() * nw);
        let phi = &mut rest[..3 * spec.width()];
        forward_pass(&spec, slope, w, x, z);
        for (o, row) in h.chunks_exact_mut(nw).enumerate() {
            backward_pass(&spec, slope, w, z, o, row, phi);
        }
        let z = &*z;
        Ok((&z[na - spec.outputs()..], &*h))
    }

    /// The pre-activation `sᴸ_o = bᴸ_o + W^{L−1}_o z^{L−1}` of output `o`
    /// from the activations of the last forward pass and the current
    /// weights (0 if `o` is out of range). Used by the trust-region
    /// extension of [`crate::GEhf`] to measure the linearisation error.
    pub(crate) fn output_preactivation(&self, o: usize) -> T {
        let spec = &self.spec;
        let layers = spec.layers();
        let Some(tr) = spec.transition(layers - 1) else {
            return T::ZERO;
        };
        if o >= tr.outputs {
            return T::ZERO;
        }
        let buf = self.buf.as_ref();
        let nw = spec.n_weights();
        let off = nw + spec.activation_offset(layers - 1);
        let zin = &buf[off..off + tr.inputs];
        let row = &buf[tr.offset + o * tr.row_len()..tr.offset + (o + 1) * tr.row_len()];
        row[0] + dot(&row[1..], zin)
    }

    /// The mean squared output error of the current weights over a set of
    /// samples, and other error measures: see [`crate::ErrorStats`].
    pub fn evaluate(&mut self, data: &crate::Samples<'_, T>) -> Result<crate::ErrorStats> {
        check_len("input width", self.spec.inputs(), data.n_inputs())?;
        check_len("target width", self.spec.outputs(), data.n_outputs())?;
        let mut stats = crate::ErrorStats::default();
        for k in 0..data.len() {
            let (x, y) = data.sample(k);
            let out = self.forward(x)?;
            for (o, t) in out.iter().zip(y) {
                stats.add((*t - *o).to_f64());
            }
        }
        Ok(stats)
    }
}

/// Eqs. (10)–(13) on borrowed slices: `z` receives `z¹ … zᴸ`.
pub(crate) fn forward_pass<T: Real>(spec: &ResNetSpec, slope: T, w: &[T], x: &[T], z: &mut [T]) {
    z[..spec.inputs()].copy_from_slice(x);
    for t in 1..spec.layers() {
        let Some(tr) = spec.transition(t) else { break };
        let (done, next) = z.split_at_mut(spec.activation_offset(t + 1));
        let src = &done[spec.activation_offset(t)..spec.activation_offset(t) + tr.inputs];
        let dst = &mut next[..tr.outputs];
        let rows = w[tr.offset..tr.offset + tr.len()].chunks_exact(tr.row_len());
        if tr.sigmoid {
            // sˡ = Wˡ⁻¹ zˡ⁻¹ + bˡ,  zˡ = f(sˡ)
            for (zj, row) in dst.iter_mut().zip(rows) {
                *zj = sigmoid(slope, row[0] + dot(&row[1..], src));
            }
        } else {
            // zˡ = Wˡ⁻¹ zˡ⁻¹ + zˡ⁻²   (identity layer with the shortcut)
            let skip =
                &done[spec.activation_offset(t - 1)..spec.activation_offset(t - 1) + tr.outputs];
            for ((zj, row), sj) in dst.iter_mut().zip(rows).zip(skip) {
                *zj = dot(row, src) + *sj;
            }
        }
    }
}

/// Eqs. (20)–(24) for output `o`: writes `∂h_o/∂w` into `h` (length N_w),
/// using the activations `z` of a forward pass and 3N of scratch `phi`.
pub(crate) fn backward_pass<T: Real>(
    spec: &ResNetSpec,
    slope: T,
    w: &[T],
    z: &[T],
    o: usize,
    h: &mut [T],
    phi: &mut [T],
) {
    let n = spec.width();
    let layers = spec.layers();
    let zl = |l: usize| {
        let off = spec.activation_offset(l);
        &z[off..off + spec.layer_width(l)]
    };

    // Output block W^{L−1}: φᴸ = f'(sᴸ) for output o only (eq. 24);
    // ∂h_o/∂bᴸ_o = φᴸ_o, ∂h_o/∂W^{L−1}_{o,i} = φᴸ_o z^{L−1}_i (eqs. 20–21).
    let Some(out) = spec.transition(layers - 1) else {
        return;
    };
    let phi_out = sigmoid_derivative(slope, zl(layers)[o]);
    let zin = zl(layers - 1);
    let block = &mut h[out.offset..out.offset + out.len()];
    for (j, row) in block.chunks_exact_mut(out.row_len()).enumerate() {
        if j == o {
            row[0] = phi_out;
            for (hi, zi) in row[1..].iter_mut().zip(zin) {
                *hi = phi_out * *zi;
            }
        } else {
            row.iter_mut().for_each(|x| *x = T::ZERO);
        }
    }

    let (a, rest) = phi.split_at_mut(n);
    let (b, c) = rest.split_at_mut(n);
    // φ^{l+1}, φˡ and the buffer receiving φ^{l−1}; rotated each layer.
    let (mut up, mut cur, mut spare) = (a, b, &mut c[..n]);

    // φ^{L−1} = φᴸ W^{L−1} (layer L−1 is an identity layer, eq. 22).
    let wrow = &w[out.offset + o * out.row_len() + 1..out.offset + (o + 1) * out.row_len()];
    for (p, wi) in cur.iter_mut().zip(wrow) {
        *p = phi_out * *wi;
    }

    for l in (2..layers).rev() {
        // Gradient of the block W^{l−1} feeding layer l (eqs. 20–21).
        let Some(tr) = spec.transition(l - 1) else {
            return;
        };
        let src = zl(l - 1);
        let block = &mut h[tr.offset..tr.offset + tr.len()];
        let beta = tr.sigmoid as usize;
        for (row, pj) in block.chunks_exact_mut(tr.row_len()).zip(cur.iter()) {
            if tr.sigmoid {
                row[0] = *pj;
            }
            for (hi, zi) in row[beta..].iter_mut().zip(src) {
                *hi = *pj * *zi;
            }
        }
        if l == 2 {
            break;
        }
        // φ^{l−1} = (φˡ W^{l−1} [+ φ^{l+1}]) ⊙ f'_{l−1}(s^{l−1})   (eqs. 22–23)
        spare.iter_mut().for_each(|x| *x = T::ZERO);
        let wblock = &w[tr.offset..tr.offset + tr.len()];
        for (wrow, pj) in wblock.chunks_exact(tr.row_len()).zip(cur.iter()) {
            for (s, wji) in spare.iter_mut().zip(&wrow[beta..]) {
                *s += *pj * *wji;
            }
        }
        let below = l - 1;
        if below % 2 == 0 {
            // Even layer l−1 also feeds the identity layer l+1 by the shortcut.
            for (s, p) in spare.iter_mut().zip(up.iter()) {
                *s += *p;
            }
        }
        if spec.is_sigmoid_layer(below) {
            for (s, zi) in spare.iter_mut().zip(zl(below)) {
                *s *= sigmoid_derivative(slope, *zi);
            }
        }
        // Rotate: φ^{l+1} ← φˡ, φˡ ← φ^{l−1}, and reuse the old φ^{l+1}.
        core::mem::swap(&mut up, &mut cur);
        core::mem::swap(&mut cur, &mut spare);
    }
}
