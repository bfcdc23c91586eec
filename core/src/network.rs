//! The network: forward pass (eqs. 10–13) and the Jacobian `H = ∂h/∂w` by
//! the backward recursion of eqs. (20)–(24).

use crate::data::{ErrorStats, Samples};
use crate::error::{Error, Param, Result, check_finite, check_len};
use crate::real::{Real, dot};
pub use crate::spec::EVALUATION_LANES;
use crate::spec::{PAPER_WIDTH, ResNetSpec};
use rand_core::Rng;

/// A sigmoid ResNet with its weights and working memory in one buffer `S`
/// of capacity [`ResNetSpec::buffer_len`]: a fixed array `[T; CAP]` on a
/// microcontroller, a `Vec<T>` on a host.
///
/// The buffer holds, in order: the weights `w` (eq. 16), the activations
/// `z¹ … zᴸ` of the last forward pass, the N_L × N_w Jacobian of the last
/// [`ResNet::jacobian`] call (not in a network built by
/// [`ResNet::factored`]), its per-neuron factors and back-propagation
/// scratch.
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
    /// The buffer holds the dense N_L × N_w Jacobian ([`ResNet::new`]).
    dense: bool,
}

/// The Jacobian of a [`ResNet::jacobian`] call by its factors (eqs.
/// 21–23): the activations `z¹ … zᴸ` and, per output o, the back-propagated
/// `φ` of layers 2 … L. Entry (j, i) of the block of `∂h_o/∂w` for `Wᵗ`
/// is `φ_j z_i` (and `φ_j` for a threshold), bit for bit the dense row's
/// (up to the sign of a zero).
#[derive(Debug, Clone, Copy)]
pub struct JacobianFactors<'a, T> {
    spec: ResNetSpec,
    activations: &'a [T],
    deltas: &'a [T],
}

impl<'a, T> JacobianFactors<'a, T> {
    /// The network's shape.
    #[inline]
    pub fn spec(&self) -> &ResNetSpec {
        &self.spec
    }

    /// The activations of layer l (1-based; empty outside 1 … L).
    #[inline]
    pub fn activations(&self, l: usize) -> &'a [T] {
        let at = self.spec.activation_offset(l);
        self.activations
            .get(at..at + self.spec.layer_width(l))
            .unwrap_or(&[])
    }

    /// φ of layer l (2 … L) for output o (empty otherwise): the factor
    /// of the rows of `∂h_o/∂Wˡ⁻¹` (eqs. 22–24).
    #[inline]
    pub fn deltas(&self, o: usize, l: usize) -> &'a [T] {
        if l < 2 || o >= self.spec.outputs() {
            return &[];
        }
        // Layer l's φ sits where its activations do, less the N_1 inputs.
        let at = self.spec.activation_offset(l) - self.spec.inputs();
        let start = o * self.spec.n_deltas() + at;
        self.deltas
            .get(start..start + self.spec.layer_width(l))
            .unwrap_or(&[])
    }
}

impl<T: Real> JacobianFactors<'_, T> {
    /// Output o's row block by block (eq. 16): for each `Wᵗ`, its offset
    /// in the row, β (1 with thresholds), the activations z of layer t and
    /// the φ of layer t + 1.
    #[inline]
    fn row_blocks(&self, o: usize) -> impl Iterator<Item = (usize, usize, &[T], &[T])> {
        let mut at = 0;
        (1..self.spec.layers()).map(move |t| {
            let (z, d) = (self.activations(t), self.deltas(o, t + 1));
            let beta = usize::from(self.spec.is_sigmoid_layer(t + 1));
            let offset = at;
            at += d.len() * (z.len() + beta);
            (offset, beta, z, d)
        })
    }

    /// `h_o · v` (`v`: N_w values), summed entry by entry in the order of
    /// the dense row: the bits of the dot product with
    /// [`ResNet::last_jacobian`]'s row o (up to the sign of a zero term).
    // (Out of line: one copy, not one in every filter's step.)
    #[inline(never)]
    pub fn dot(&self, o: usize, v: &[T]) -> T {
        let mut acc = T::ZERO;
        for (at, beta, z, d) in self.row_blocks(o) {
            let block = v.get(at..at + d.len() * (z.len() + beta)).unwrap_or(&[]);
            // (The paper's width with and without thresholds unrolled.)
            acc = match (z.len(), beta) {
                (PAPER_WIDTH, 1) => dot_block::<T, _, 1>(Fixed::<PAPER_WIDTH>, acc, block, d, z),
                (PAPER_WIDTH, 0) => dot_block::<T, _, 0>(Fixed::<PAPER_WIDTH>, acc, block, d, z),
                (n, 1) => dot_block::<T, _, 1>(Runtime(n), acc, block, d, z),
                (n, _) => dot_block::<T, _, 0>(Runtime(n), acc, block, d, z),
            };
        }
        acc
    }

    /// Writes the dense row `h_o` (N_w values) into `out`: `φ_j` and
    /// `φ_j z_i` (eqs. 20–21), the network's own products.
    pub fn expand(&self, o: usize, out: &mut [T]) {
        self.expand_scaled(o, T::ONE, out)
    }

    /// Writes `a h_o` into `out`: `a φ_j` and `a (φ_j z_i)`, bit for bit
    /// `a` times [`JacobianFactors::expand`]'s entries.
    // (Out of line: one copy, not one in every filter's step.)
    #[inline(never)]
    pub fn expand_scaled(&self, o: usize, a: T, out: &mut [T]) {
        for (at, beta, z, d) in self.row_blocks(o) {
            let Some(block) = out.get_mut(at..at + d.len() * (z.len() + beta)) else {
                continue;
            };
            match (z.len(), beta) {
                (PAPER_WIDTH, 1) => expand_block::<T, _, 1>(Fixed::<PAPER_WIDTH>, a, block, d, z),
                (PAPER_WIDTH, 0) => expand_block::<T, _, 0>(Fixed::<PAPER_WIDTH>, a, block, d, z),
                (n, 1) => expand_block::<T, _, 1>(Runtime(n), a, block, d, z),
                (n, _) => expand_block::<T, _, 0>(Runtime(n), a, block, d, z),
            }
        }
    }
}

/// `acc + Σ h_i v_i` over one block of rows `φ_j [β, z]` (β = `BETA`),
/// in row order.
#[inline(always)]
fn dot_block<T: Real, W: HiddenWidth, const BETA: usize>(
    w: W,
    mut acc: T,
    v: &[T],
    d: &[T],
    z: &[T],
) -> T {
    let (n, beta) = (w.get(), BETA);
    let z = &z[..n];
    for (row, dj) in v.chunks_exact(n + beta).zip(d) {
        if beta == 1 {
            acc += *dj * row[0];
        }
        for (vi, zi) in row[beta..].iter().zip(z) {
            acc += (*dj * *zi) * *vi;
        }
    }
    acc
}

/// One block of rows `a φ_j [β, z]` (β = `BETA`) into `h` (eqs. 20–21).
#[inline(always)]
fn expand_block<T: Real, W: HiddenWidth, const BETA: usize>(
    w: W,
    a: T,
    h: &mut [T],
    d: &[T],
    z: &[T],
) {
    let (n, beta) = (w.get(), BETA);
    let z = &z[..n];
    for (row, dj) in h.chunks_exact_mut(n + beta).zip(d) {
        if beta == 1 {
            row[0] = a * *dj;
        }
        for (hi, zi) in row[beta..].iter_mut().zip(z) {
            *hi = a * (*dj * *zi);
        }
    }
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
    pub fn new(spec: ResNetSpec, storage: S) -> Result<Self> {
        Self::with_layout(spec, storage, true)
    }

    /// A network of shape `spec` in `storage` that keeps the Jacobian only
    /// by its per-neuron factors (eqs. 21–23; [`ResNet::jacobian_factors`]):
    /// no N_L × N_w region, so `storage` needs only
    /// [`ResNetSpec::factored_buffer_len`]. [`ResNet::jacobian`] fails with
    /// [`Error::Unsupported`] and [`ResNet::last_jacobian`] is empty; the
    /// g-EHF steps it with a covariance that takes the Jacobian by its
    /// factors ([`crate::Covariance::takes_factors`]: a factored
    /// [`crate::InfoWindow`]), and with nothing else.
    ///
    /// ```
    /// use hinf::{ResNet, ResNetSpec};
    /// const SPEC: ResNetSpec = ResNetSpec::xor_const(1);
    /// let mut net = ResNet::factored(SPEC, [0.0f64; SPEC.factored_buffer_len()])?;
    /// assert!(net.jacobian(&[1.0, -1.0]).is_err());
    /// let jf = net.jacobian_factors(&[1.0, -1.0])?;
    /// assert_eq!(jf.activations(5), &[0.5]);
    /// # Ok::<(), hinf::Error>(())
    /// ```
    pub fn factored(spec: ResNetSpec, storage: S) -> Result<Self> {
        Self::with_layout(spec, storage, false)
    }

    fn with_layout(spec: ResNetSpec, mut storage: S, dense: bool) -> Result<Self> {
        let needed = if dense {
            spec.buffer_len()
        } else {
            spec.factored_buffer_len()
        };
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
            dense,
        })
    }

    /// `true` unless the network was built by [`ResNet::factored`].
    #[inline]
    pub fn has_dense_jacobian(&self) -> bool {
        self.dense
    }

    /// Elements of the dense Jacobian region: N_L N_w, or 0.
    #[inline]
    fn jacobian_len(&self) -> usize {
        if self.dense {
            self.spec.outputs() * self.spec.n_weights()
        } else {
            0
        }
    }

    /// The length of the working memory ([`ResNetSpec::buffer_len`] or
    /// [`ResNetSpec::factored_buffer_len`]).
    #[inline]
    fn working_len(&self) -> usize {
        self.spec.factored_buffer_len() + self.jacobian_len()
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

    /// The weights, mutable, and the first row `∂h_1/∂w` of the last
    /// [`ResNet::jacobian`] (stale if there was none since the weights
    /// changed).
    pub(crate) fn weights_mut_and_jacobian(&mut self) -> (&mut [T], &[T]) {
        let nw = self.spec.n_weights();
        let start = self.spec.n_activations();
        let len = self.jacobian_len().min(nw);
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        (w, &rest[start..start + len])
    }

    /// The weights, mutable, and all N_L rows of the last
    /// [`ResNet::jacobian`] (row o = `∂h_o/∂w`; stale if there was none
    /// since the weights changed).
    pub(crate) fn weights_mut_and_jacobian_rows(&mut self) -> (&mut [T], &[T]) {
        let nw = self.spec.n_weights();
        let start = self.spec.n_activations();
        let rows = self.jacobian_len();
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        (w, &rest[start..start + rows])
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
            return Err(Error::InvalidParameter {
                name: Param::InitRange,
            });
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
    /// row o = `∂h_o/∂w` (empty for a network built by [`ResNet::factored`]).
    #[inline]
    pub fn last_jacobian(&self) -> &[T] {
        let start = self.spec.n_weights() + self.spec.n_activations();
        &self.buf.as_ref()[start..start + self.jacobian_len()]
    }

    /// The Jacobian of the last [`ResNet::jacobian`] call by its per-neuron
    /// factors (eqs. 21–23): the block of `∂h_o/∂w` for `Wᵗ` has row j
    /// `φ_j [β, z]`, z the activations of layer t.
    #[inline]
    pub fn last_jacobian_factors(&self) -> JacobianFactors<'_, T> {
        let spec = &self.spec;
        let at = spec.n_weights() + spec.n_activations() + self.jacobian_len();
        let buf = self.buf.as_ref();
        JacobianFactors {
            spec: *spec,
            activations: self.activations(),
            deltas: &buf[at..at + spec.outputs() * spec.n_deltas()],
        }
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
    ///
    /// Fails with [`Error::Unsupported`] for a network built by
    /// [`ResNet::factored`] (use [`ResNet::jacobian_factors`]).
    pub fn jacobian(&mut self, x: &[T]) -> Result<(&[T], &[T])> {
        if !self.dense {
            return Err(Error::Unsupported {
                what: "the dense Jacobian of a network kept by its factors",
            });
        }
        self.back_propagate(x)?;
        Ok((self.outputs(), self.last_jacobian()))
    }

    /// Forward pass, then the Jacobian by its per-neuron factors (eqs.
    /// 21–23), and the dense rows too unless the network was built by
    /// [`ResNet::factored`] ([`ResNet::last_jacobian`]). The outputs are
    /// the factors' activations of layer L.
    pub fn jacobian_factors(&mut self, x: &[T]) -> Result<JacobianFactors<'_, T>> {
        self.back_propagate(x)?;
        Ok(self.last_jacobian_factors())
    }

    /// Eqs. (10)–(13), then (20)–(24) for every output, into the buffer.
    fn back_propagate(&mut self, x: &[T]) -> Result<()> {
        self.check_input(x)?;
        let spec = self.spec;
        let slope = self.slope;
        let (nw, na, nh) = (spec.n_weights(), spec.n_activations(), self.jacobian_len());
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        let (z, rest) = rest.split_at_mut(na);
        let (h, rest) = rest.split_at_mut(nh);
        let (deltas, rest) = rest.split_at_mut(spec.outputs() * spec.n_deltas());
        let phi = &mut rest[..3 * spec.width()];
        forward_pass(&spec, slope, w, x, z);
        let delta_rows = deltas.chunks_exact_mut(spec.n_deltas().max(1));
        let mut rows = h.chunks_exact_mut(nw.max(1));
        for (o, delta) in delta_rows.take(spec.outputs()).enumerate() {
            let h = rows.next().unwrap_or(&mut []);
            backward_pass(&spec, slope, w, z, o, Backward { h, delta }, phi);
        }
        Ok(())
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
    /// samples, and other error measures: see [`ErrorStats`].
    ///
    /// If the buffer has room for [`ResNetSpec::lanes_buffer_len`], it
    /// runs [`EVALUATION_LANES`] samples at a time in lock-step, which is
    /// faster and gives the same numbers. Either way the activations left
    /// behind are those of the last sample.
    pub fn evaluate(&mut self, data: &Samples<'_, T>) -> Result<ErrorStats> {
        self.evaluate_each(data, |_, _| {})
    }

    /// [`ResNet::evaluate`], also handing every sample's outputs to
    /// `each(k, outputs)`, in sample order.
    pub fn evaluate_each(
        &mut self,
        data: &Samples<'_, T>,
        mut each: impl FnMut(usize, &[T]),
    ) -> Result<ErrorStats> {
        check_len("input width", self.spec.inputs(), data.n_inputs())?;
        check_len("target width", self.spec.outputs(), data.n_outputs())?;
        let mut stats = ErrorStats::default();
        let mut k = 0;
        let lanes = (EVALUATION_LANES - 1) * self.spec.n_activations();
        if self.buf.as_ref().len() >= self.working_len() + lanes {
            while k + EVALUATION_LANES <= data.len() {
                self.forward_group(data, k, &mut stats, &mut each)?;
                k += EVALUATION_LANES;
            }
        }
        for (k, (x, y)) in data.iter().enumerate().skip(k) {
            let out = self.forward(x)?;
            each(k, out);
            for (o, t) in out.iter().zip(y) {
                stats.add((*t - *o).to_f64());
            }
        }
        Ok(stats)
    }

    /// Samples `k .. k + EVALUATION_LANES` in lock-step, the last one in
    /// the network's own activations, the others in the lanes after the
    /// working memory; their errors are added to `stats` in sample order.
    fn forward_group(
        &mut self,
        data: &Samples<'_, T>,
        k: usize,
        stats: &mut ErrorStats,
        each: &mut impl FnMut(usize, &[T]),
    ) -> Result<()> {
        // (The caller passes k + EVALUATION_LANES ≤ len: no sample is missing,
        // and an empty input would fail `check_input`.)
        let mut group = data.iter().skip(k);
        let xs: [&[T]; EVALUATION_LANES] =
            core::array::from_fn(|_| group.next().map_or(&[][..], |(x, _)| x));
        for x in xs {
            self.check_input(x)?;
        }
        let spec = self.spec;
        let (nw, na, nl) = (spec.n_weights(), spec.n_activations(), spec.outputs());
        let working = self.working_len();
        let (w, rest) = self.buf.as_mut().split_at_mut(nw);
        let (z, rest) = rest.split_at_mut(na);
        let lanes = &mut rest[working - nw - na..];
        let (l0, lanes) = lanes.split_at_mut(na);
        let (l1, lanes) = lanes.split_at_mut(na);
        let l2 = &mut lanes[..na];
        let mut zs = [l0, l1, l2, z];
        forward_lanes(&spec, self.slope, w, xs, zs.each_mut().map(|z| &mut **z));
        for (j, (z, (_, y))) in zs.iter().zip(data.iter().skip(k)).enumerate() {
            each(k + j, &z[na - nl..na]);
            for (o, t) in z[na - nl..na].iter().zip(y) {
                stats.add((*t - *o).to_f64());
            }
        }
        Ok(())
    }
}

/// The hidden width N, either known at compile time (the paper's N = 5, so
/// the N-long inner loops unroll) or at run time: one kernel source,
/// monomorphised for both. The arithmetic, and its order, is the same.
trait HiddenWidth: Copy {
    fn get(self) -> usize;
}

#[derive(Clone, Copy)]
struct Fixed<const N: usize>;

impl<const N: usize> HiddenWidth for Fixed<N> {
    #[inline(always)]
    fn get(self) -> usize {
        N
    }
}

#[derive(Clone, Copy)]
struct Runtime(usize);

impl HiddenWidth for Runtime {
    #[inline(always)]
    fn get(self) -> usize {
        self.0
    }
}

/// Offset in `w` of the sigmoid block `W^{2b+2}` of shortcut block b
/// (0-based); its identity block `W^{2b+3}` follows after N(N+1).
#[inline(always)]
fn block_offset(n1: usize, n: usize, b: usize) -> usize {
    n * (n1 + 1) + b * n * (2 * n + 1)
}

/// Eqs. (10)–(13) on borrowed slices: `z` receives `z¹ … zᴸ`.
pub(crate) fn forward_pass<T: Real>(spec: &ResNetSpec, slope: T, w: &[T], x: &[T], z: &mut [T]) {
    forward_lanes(spec, slope, w, [x], [z]);
}

/// [`forward_pass`] for K inputs in lock-step, layer by layer (lane k's
/// activations into `zs[k]`): the K forward passes are independent, so
/// the processor overlaps their latencies. Each lane's arithmetic is
/// exactly that of one [`forward_pass`].
pub(crate) fn forward_lanes<T: Real, const K: usize>(
    spec: &ResNetSpec,
    slope: T,
    w: &[T],
    xs: [&[T]; K],
    zs: [&mut [T]; K],
) {
    if spec.width() == PAPER_WIDTH {
        forward_kernel(Fixed::<PAPER_WIDTH>, spec, slope, w, xs, zs);
    } else {
        forward_kernel(Runtime(spec.width()), spec, slope, w, xs, zs);
    }
}

/// `dst_j = f(row_j[0] + row_j[1..] · src)` for rows of `row_len` in `rows`.
#[inline(always)]
fn sigmoid_rows<T: Real>(slope: T, rows: &[T], row_len: usize, src: &[T], dst: &mut [T]) {
    for (zj, row) in dst.iter_mut().zip(rows.chunks_exact(row_len)) {
        *zj = sigmoid(slope, row[0] + dot(&row[1..], src));
    }
}

#[inline(always)]
fn forward_kernel<T: Real, W: HiddenWidth, const K: usize>(
    width: W,
    spec: &ResNetSpec,
    slope: T,
    w: &[T],
    xs: [&[T]; K],
    mut zs: [&mut [T]; K],
) {
    let n = width.get();
    let (n1, nl) = (spec.inputs(), spec.outputs());
    // z² = f(W¹ z¹ + b²)
    let w1 = &w[..n * (n1 + 1)];
    for (z, x) in zs.iter_mut().zip(xs) {
        z[..n1].copy_from_slice(x);
        let (src, next) = z.split_at_mut(n1);
        sigmoid_rows(slope, w1, n1 + 1, src, &mut next[..n]);
    }
    for b in 0..spec.blocks() {
        // Layers l = 2b+2 (at `a`), 2b+3, 2b+4.
        let a = n1 + 2 * b * n;
        let off = block_offset(n1, n, b);
        let ws = &w[off..off + n * (n + 1)];
        let wi = &w[off + n * (n + 1)..off + n * (2 * n + 1)];
        for z in zs.iter_mut() {
            let (done, next) = z.split_at_mut(a + n);
            let (mid, next) = next.split_at_mut(n);
            let below = &done[a..];
            // z^{2b+3} = f(W^{2b+2} z^{2b+2} + b^{2b+3})
            sigmoid_rows(slope, ws, n + 1, below, mid);
            // z^{2b+4} = W^{2b+3} z^{2b+3} + z^{2b+2}   (identity layer with the shortcut)
            for ((zj, row), sj) in next[..n].iter_mut().zip(wi.chunks_exact(n)).zip(below) {
                *zj = dot(row, mid) + *sj;
            }
        }
    }
    // zᴸ = f(W^{L−1} z^{L−1} + bᴸ)
    let a = n1 + 2 * spec.blocks() * n;
    let off = block_offset(n1, n, spec.blocks());
    let wl = &w[off..off + nl * (n + 1)];
    for z in zs.iter_mut() {
        let (done, next) = z.split_at_mut(a + n);
        sigmoid_rows(slope, wl, n + 1, &done[a..], &mut next[..nl]);
    }
}

/// What [`backward_pass`] writes for output o: `∂h_o/∂w` (N_w; nothing
/// if `h` is empty) and the φ of layers 2 … L ([`ResNetSpec::n_deltas`]),
/// its per-neuron factors.
pub(crate) struct Backward<'a, T> {
    pub(crate) h: &'a mut [T],
    pub(crate) delta: &'a mut [T],
}

/// Eqs. (20)–(24) for output `o`: writes `∂h_o/∂w` and its φ into `out`,
/// using the activations `z` of a forward pass and 3N of scratch `phi`.
pub(crate) fn backward_pass<T: Real>(
    spec: &ResNetSpec,
    slope: T,
    w: &[T],
    z: &[T],
    o: usize,
    out: Backward<'_, T>,
    phi: &mut [T],
) {
    if spec.width() == PAPER_WIDTH {
        backward_kernel(Fixed::<PAPER_WIDTH>, spec, slope, w, z, o, out, phi);
    } else {
        backward_kernel(Runtime(spec.width()), spec, slope, w, z, o, out, phi);
    }
}

/// The gradient of one block (eqs. 20–21): row j gets `φ_j` as its
/// threshold entry (if `beta` = 1) and `φ_j src_i` as its weights.
#[inline(always)]
fn block_gradient<T: Real>(h: &mut [T], row_len: usize, beta: usize, phi: &[T], src: &[T]) {
    for (row, pj) in h.chunks_exact_mut(row_len).zip(phi) {
        if beta == 1 {
            row[0] = *pj;
        }
        for (hi, zi) in row[beta..].iter_mut().zip(src) {
            *hi = *pj * *zi;
        }
    }
}

/// `out_i = Σ_j φ_j W_{j, beta + i}` (the first half of eqs. 22–23).
#[inline(always)]
fn back_propagate<T: Real>(w: &[T], row_len: usize, beta: usize, phi: &[T], out: &mut [T]) {
    out.iter_mut().for_each(|x| *x = T::ZERO);
    for (wrow, pj) in w.chunks_exact(row_len).zip(phi) {
        for (s, wji) in out.iter_mut().zip(&wrow[beta..]) {
            *s += *pj * *wji;
        }
    }
}

/// `out_i *= f'(z_i)` (the second half of eqs. 22–23).
#[inline(always)]
fn times_sigmoid_derivative<T: Real>(slope: T, out: &mut [T], z: &[T]) {
    for (s, zi) in out.iter_mut().zip(z) {
        *s *= sigmoid_derivative(slope, *zi);
    }
}

/// The gradient of the output block `W^{L−1}` for output o (eqs. 20–21):
/// row o gets `φᴸ_o` and `φᴸ_o z^{L−1}_i`, the other rows 0.
#[inline(always)]
fn output_block_gradient<T: Real>(
    block: &mut [T],
    row_len: usize,
    o: usize,
    phi_out: T,
    zin: &[T],
) {
    for (j, row) in block.chunks_exact_mut(row_len).enumerate() {
        if j == o {
            row[0] = phi_out;
            for (hi, zi) in row[1..].iter_mut().zip(zin) {
                *hi = phi_out * *zi;
            }
        } else {
            row.iter_mut().for_each(|x| *x = T::ZERO);
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_kernel<T: Real, W: HiddenWidth>(
    width: W,
    spec: &ResNetSpec,
    slope: T,
    w: &[T],
    z: &[T],
    o: usize,
    Backward { h, delta }: Backward<'_, T>,
    phi: &mut [T],
) {
    let n = width.get();
    let (n1, nl) = (spec.inputs(), spec.outputs());
    let blocks = spec.blocks();
    // Activations of layer l, 2 ≤ l ≤ L − 1.
    let hidden = |l: usize| {
        let a = n1 + (l - 2) * n;
        &z[a..a + n]
    };

    // Output block W^{L−1}: φᴸ = f'(sᴸ) for output o only (eq. 24);
    // ∂h_o/∂bᴸ_o = φᴸ_o, ∂h_o/∂W^{L−1}_{o,i} = φᴸ_o z^{L−1}_i (eqs. 20–21).
    let last = 2 * blocks + 2; // L − 1
    let phi_out = sigmoid_derivative(slope, z[n1 + (last - 1) * n + o]);
    let out_off = block_offset(n1, n, blocks);
    // The dense row's blocks, if it is kept (else `h` is empty).
    let dense = !h.is_empty();
    if dense {
        let block = &mut h[out_off..out_off + nl * (n + 1)];
        output_block_gradient(block, n + 1, o, phi_out, hidden(last));
    }
    // φ of layer l kept at `delta[l − 2 .. ]` in units of N (layer L: one
    // per output, φᴸ_o at o and 0 elsewhere).
    let (hidden_delta, out_delta) = delta.split_at_mut(delta.len() - nl);
    out_delta.iter_mut().for_each(|x| *x = T::ZERO);
    out_delta[o] = phi_out;
    let mut keep = |l: usize, phi: &[T]| {
        hidden_delta[(l - 2) * n..(l - 1) * n].copy_from_slice(phi);
    };

    let (a, rest) = phi.split_at_mut(n);
    let (b, c) = rest.split_at_mut(n);
    // φ^{l+1}, φˡ and the buffer receiving φ^{l−1}; rotated each layer.
    let (mut up, mut cur, mut spare) = (a, b, &mut c[..n]);

    // φ^{L−1} = φᴸ W^{L−1} (layer L−1 is an identity layer, eq. 22).
    let wrow = &w[out_off + o * (n + 1) + 1..out_off + (o + 1) * (n + 1)];
    for (p, wi) in cur.iter_mut().zip(wrow) {
        *p = phi_out * *wi;
    }

    for bk in (0..blocks).rev() {
        let off = block_offset(n1, n, bk);
        let (sig_off, id_off) = (off, off + n * (n + 1));
        let (l_mid, l_low) = (2 * bk + 3, 2 * bk + 2);
        // Layer l = 2b+4 (identity): block W^{2b+3}, then
        // φ^{2b+3} = (φ^{2b+4} W^{2b+3}) ⊙ f'(s^{2b+3})   (eq. 22).
        let id_w = &w[id_off..id_off + n * n];
        keep(l_mid + 1, cur);
        if dense {
            block_gradient(&mut h[id_off..id_off + n * n], n, 0, cur, hidden(l_mid));
        }
        back_propagate(id_w, n, 0, cur, spare);
        times_sigmoid_derivative(slope, spare, hidden(l_mid));
        core::mem::swap(&mut up, &mut cur);
        core::mem::swap(&mut cur, &mut spare);

        // Layer l = 2b+3 (sigmoid): block W^{2b+2}, then
        // φ^{2b+2} = φ^{2b+3} W^{2b+2} + φ^{2b+4}, times f' if layer 2b+2
        // is a sigmoid layer (only layer 2)   (eq. 23).
        let sig_w = &w[sig_off..sig_off + n * (n + 1)];
        keep(l_mid, cur);
        if dense {
            let block = &mut h[sig_off..sig_off + n * (n + 1)];
            block_gradient(block, n + 1, 1, cur, hidden(l_low));
        }
        back_propagate(sig_w, n + 1, 1, cur, spare);
        for (s, p) in spare.iter_mut().zip(up.iter()) {
            *s += *p;
        }
        if bk == 0 {
            times_sigmoid_derivative(slope, spare, hidden(l_low));
        }
        core::mem::swap(&mut up, &mut cur);
        core::mem::swap(&mut cur, &mut spare);
    }

    // Layer 2: block W¹ from the inputs.
    keep(2, cur);
    if dense {
        block_gradient(&mut h[..n * (n1 + 1)], n1 + 1, 1, cur, &z[..n1]);
    }
}
