//! The network's shape (PAPER.md section 2, eqs. 10–13) and the weight
//! layout of eq. (16).
//!
//! An L-layer ResNet with n shortcut connections has L = 2n + 3 layers:
//!
//! | layer l              | kind                                   | width |
//! |----------------------|----------------------------------------|-------|
//! | 1                    | input `z¹ = x`                         | N1    |
//! | 2                    | sigmoid, `z² = f(W¹z¹ + b²)`            | N     |
//! | 3, 5, …, L−2 (odd)   | sigmoid, `zˡ = f(Wˡ⁻¹zˡ⁻¹ + bˡ)`         | N     |
//! | 4, 6, …, L−1 (even)  | identity + shortcut, `zˡ = Wˡ⁻¹zˡ⁻¹ + zˡ⁻²` | N |
//! | L (odd)              | sigmoid output, `zᴸ = f(Wᴸ⁻¹zᴸ⁻¹ + bᴸ)` | N_L   |
//!
//! with `f(x) = 1 / (1 + exp(−η0 x))`.
//!
//! # Weight layout (eq. 16)
//!
//! The weight vector `w` holds the L − 1 matrices `Wᵗ` (layer t → t + 1,
//! t = 1 … L−1) in order. Inside `Wᵗ`, neuron by neuron of layer t + 1: its
//! threshold first (sigmoid layers only), then its incoming weights. With
//! `offset(t)` the start of `Wᵗ`, `Nₜ` the width of layer t and `β = 1` if
//! layer t + 1 has thresholds (else 0):
//!
//! ```text
//! threshold b^{t+1}_j  (paper w^t_{j,0}) : offset(t) + j·(Nₜ + β)
//! weight    W^t_{j,i}  (paper w^t_{j,i}) : offset(t) + j·(Nₜ + β) + β + i
//! ```
//!
//! (j, i 0-based here; the paper counts from 1.) For N1 = 2, N = 5,
//! N_L = 1 the count is N_w = 15 + 55n + 6 = 21 + 55n: 76 at L = 5,
//! 2716 at L = 101, 27466 at L = 1001. [`ResNetSpec::transition`] gives
//! every block's offset.

use crate::error::{Error, Result};

/// The shape of a sigmoid ResNet: input width N1, hidden width N, output
/// width N_L, n shortcut connections (L = 2n + 3 layers) and sigmoid slope η0.
///
/// A `ResNetSpec` is always valid: the constructors check it.
///
/// ```
/// use hinf::ResNetSpec;
/// let spec = ResNetSpec::xor(5).unwrap(); // the paper's XOR net, L = 5
/// assert_eq!(spec.layers(), 5);
/// assert_eq!(spec.n_weights(), 76);
/// assert_eq!(ResNetSpec::xor(1001).unwrap().n_weights(), 27_466);
/// assert!(ResNetSpec::xor(6).is_err()); // not 2n + 3
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResNetSpec {
    inputs: usize,
    width: usize,
    outputs: usize,
    blocks: usize,
    slope: f64,
}

/// The paper's sigmoid slope η0 (section 5).
pub const PAPER_SLOPE: f64 = 2.5;
/// The paper's hidden width N (section 5).
pub const PAPER_WIDTH: usize = 5;

/// Samples that [`crate::ResNet::evaluate`] runs in lock-step when the
/// network's buffer has room ([`ResNetSpec::lanes_buffer_len`]).
pub const EVALUATION_LANES: usize = 4;

/// One weight matrix `Wᵗ` (layer t → t + 1) and where it lives in `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transition {
    /// t, the index of the source layer (1-based, as in the paper).
    pub from_layer: usize,
    /// Width of layer t (columns of `Wᵗ`).
    pub inputs: usize,
    /// Width of layer t + 1 (rows of `Wᵗ`).
    pub outputs: usize,
    /// Whether layer t + 1 is a sigmoid layer with thresholds (`false`:
    /// an identity layer with the shortcut from layer t − 1).
    pub sigmoid: bool,
    /// Index of the first element of this block in `w`.
    pub offset: usize,
}

impl Transition {
    /// Elements per row (neuron): the threshold, if any, then the weights.
    #[inline]
    pub const fn row_len(&self) -> usize {
        self.inputs + self.sigmoid as usize
    }
    /// Number of parameters in this block.
    #[inline]
    pub const fn len(&self) -> usize {
        self.outputs * self.row_len()
    }
    /// `true` if the block has no parameters (never, for a valid spec).
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Index in `w` of neuron j's threshold (`None` for identity layers).
    #[inline]
    pub const fn threshold_index(&self, j: usize) -> Option<usize> {
        if self.sigmoid {
            Some(self.offset + j * self.row_len())
        } else {
            None
        }
    }
    /// Index in `w` of the weight from neuron i of layer t to neuron j of layer t + 1.
    #[inline]
    pub const fn weight_index(&self, j: usize, i: usize) -> usize {
        self.offset + j * self.row_len() + self.sigmoid as usize + i
    }
}

impl ResNetSpec {
    /// A network with `layers` = L = 2n + 3 layers, input width N1 =
    /// `inputs`, hidden width N = `width`, `outputs` = N_L and slope η0.
    pub fn new(
        inputs: usize,
        width: usize,
        outputs: usize,
        layers: usize,
        slope: f64,
    ) -> Result<Self> {
        if layers < 5 || layers.is_multiple_of(2) {
            return Err(Error::InvalidDepth { layers });
        }
        Self::with_blocks(inputs, width, outputs, (layers - 3) / 2, slope)
    }

    /// A network with n = `blocks` shortcut connections (L = 2n + 3).
    pub fn with_blocks(
        inputs: usize,
        width: usize,
        outputs: usize,
        blocks: usize,
        slope: f64,
    ) -> Result<Self> {
        if blocks == 0 {
            return Err(Error::InvalidDepth { layers: 3 });
        }
        if inputs == 0 || width == 0 || outputs == 0 {
            return Err(Error::ZeroWidth);
        }
        if !(slope.is_finite() && slope > 0.0) {
            return Err(Error::InvalidSlope);
        }
        // Guard against overflow in the size arithmetic below.
        let spec = Self {
            inputs,
            width,
            outputs,
            blocks,
            slope,
        };
        if spec.checked_n_weights().is_none() {
            return Err(Error::CapacityExceeded {
                what: "network size",
                needed: usize::MAX,
                capacity: usize::MAX,
            });
        }
        Ok(spec)
    }

    /// The paper's XOR network (N1 = 2, N = 5, N_L = 1, η0 = 2.5) with L layers.
    pub fn xor(layers: usize) -> Result<Self> {
        Self::new(2, PAPER_WIDTH, 1, layers, PAPER_SLOPE)
    }

    /// The paper's XOR network as a constant, for sizing static storage.
    /// `blocks` = n ≥ 1 (L = 2n + 3); `blocks = 0` gives a spec whose
    /// sizes are those of n = 1 (use [`ResNetSpec::xor`] to validate).
    pub const fn xor_const(blocks: usize) -> Self {
        Self {
            inputs: 2,
            width: PAPER_WIDTH,
            outputs: 1,
            blocks: if blocks == 0 { 1 } else { blocks },
            slope: PAPER_SLOPE,
        }
    }

    /// Input width N1.
    #[inline]
    pub const fn inputs(&self) -> usize {
        self.inputs
    }
    /// Hidden width N.
    #[inline]
    pub const fn width(&self) -> usize {
        self.width
    }
    /// Output width N_L.
    #[inline]
    pub const fn outputs(&self) -> usize {
        self.outputs
    }
    /// n, the number of shortcut connections.
    #[inline]
    pub const fn blocks(&self) -> usize {
        self.blocks
    }
    /// L = 2n + 3, the number of layers (input layer included).
    #[inline]
    pub const fn layers(&self) -> usize {
        2 * self.blocks + 3
    }
    /// Sigmoid slope η0.
    #[inline]
    pub const fn slope(&self) -> f64 {
        self.slope
    }

    fn checked_n_weights(&self) -> Option<usize> {
        let first = self.width.checked_mul(self.inputs.checked_add(1)?)?;
        let block = self.width.checked_mul(2 * self.width + 1)?;
        let last = self.outputs.checked_mul(self.width + 1)?;
        let total = first
            .checked_add(block.checked_mul(self.blocks)?)?
            .checked_add(last)?;
        // Room for the Jacobian (N_L × N_w) and packed P as well.
        total.checked_mul(self.outputs.max(total))?;
        Some(total)
    }

    /// N_w, the number of weights and thresholds (the length of `w`, eq. 16).
    #[inline]
    pub const fn n_weights(&self) -> usize {
        self.width * (self.inputs + 1)
            + self.blocks * self.width * (2 * self.width + 1)
            + self.outputs * (self.width + 1)
    }

    /// Length of a packed symmetric N_w × N_w matrix, N_w(N_w + 1)/2.
    #[inline]
    pub const fn n_packed(&self) -> usize {
        packed_len(self.n_weights())
    }

    /// Number of activations `z¹ … zᴸ` stored by a forward pass.
    #[inline]
    pub const fn n_activations(&self) -> usize {
        self.inputs + (self.layers() - 2) * self.width + self.outputs
    }

    /// Width of layer l (1-based). Returns 0 outside 1..=L.
    #[inline]
    pub const fn layer_width(&self, l: usize) -> usize {
        if l == 1 {
            self.inputs
        } else if l == self.layers() {
            self.outputs
        } else if l >= 2 && l < self.layers() {
            self.width
        } else {
            0
        }
    }

    /// Offset of layer l's activations in the activation buffer.
    #[inline]
    pub const fn activation_offset(&self, l: usize) -> usize {
        if l <= 1 {
            0
        } else {
            self.inputs + (l - 2) * self.width
        }
    }

    /// Whether layer l (2 ≤ l ≤ L) is a sigmoid layer (l = 2 or odd); even
    /// l ≥ 4 are identity layers with a shortcut from layer l − 2.
    #[inline]
    pub const fn is_sigmoid_layer(&self, l: usize) -> bool {
        l == 2 || l % 2 == 1
    }

    /// The weight block `Wᵗ` joining layer t to t + 1 (t = 1 … L−1), with
    /// its offset in `w` (eq. 16). `None` outside that range.
    pub const fn transition(&self, t: usize) -> Option<Transition> {
        if t == 0 || t >= self.layers() {
            return None;
        }
        // Offsets: W¹ first, then pairs (sigmoid, identity) of block size
        // N(N+1) + N·N, then the output block.
        let first = self.width * (self.inputs + 1);
        let offset = if t == 1 {
            0
        } else {
            // t ≥ 2: number of complete transitions before t among 2..t-1.
            let k = t - 2; // transitions 2..t-1
            let pairs = k / 2;
            let mut off = first + pairs * self.width * (2 * self.width + 1);
            if k % 2 == 1 {
                off += self.width * (self.width + 1);
            }
            off
        };
        Some(Transition {
            from_layer: t,
            inputs: self.layer_width(t),
            outputs: self.layer_width(t + 1),
            sigmoid: self.is_sigmoid_layer(t + 1),
            offset,
        })
    }

    /// Length of the buffer a [`crate::ResNet`] needs: weights, activations,
    /// the N_L × N_w Jacobian, its back-propagated φ (eqs. 22–24: N_L ×
    /// [`ResNetSpec::n_deltas`]) and 3N of back-propagation scratch.
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        self.n_weights()
            + self.n_activations()
            + self.outputs * (self.n_weights() + self.n_deltas())
            + 3 * self.width
    }

    /// Length of the buffer of a network that keeps its Jacobian only by
    /// its factors ([`crate::ResNet::factored`]): [`ResNetSpec::buffer_len`]
    /// without the N_L × N_w Jacobian.
    #[inline]
    pub const fn factored_buffer_len(&self) -> usize {
        self.buffer_len() - self.outputs * self.n_weights()
    }

    /// The φ of layers 2 … L for one output (eqs. 22–24): one per neuron
    /// with incoming weights, `N_2 + … + N_L` numbers.
    #[inline]
    pub const fn n_deltas(&self) -> usize {
        self.n_activations() - self.inputs
    }

    /// A buffer length that also gives [`crate::ResNet::evaluate`] room
    /// to run [`EVALUATION_LANES`] samples in lock-step (faster,
    /// same numbers): [`ResNetSpec::buffer_len`] plus
    /// `EVALUATION_LANES − 1` more activation vectors.
    #[inline]
    pub const fn lanes_buffer_len(&self) -> usize {
        self.buffer_len() + (EVALUATION_LANES - 1) * self.n_activations()
    }
}

/// N(N + 1)/2: the number of entries of one triangle of a symmetric N × N
/// matrix, as stored by [`crate::PackedCovariance`].
#[inline]
pub const fn packed_len(n: usize) -> usize {
    n * (n + 1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_counts_match_the_paper() {
        for (l, nw) in [(5, 76), (101, 2716), (201, 5466), (1001, 27466)] {
            assert_eq!(ResNetSpec::xor(l).unwrap().n_weights(), nw, "L = {l}");
        }
    }

    #[test]
    fn invalid_specs_are_rejected() {
        for l in [0, 1, 2, 3, 4, 6, 100] {
            assert_eq!(ResNetSpec::xor(l), Err(Error::InvalidDepth { layers: l }));
        }
        assert_eq!(ResNetSpec::new(0, 5, 1, 5, 2.5), Err(Error::ZeroWidth));
        assert_eq!(ResNetSpec::new(2, 0, 1, 5, 2.5), Err(Error::ZeroWidth));
        assert_eq!(ResNetSpec::new(2, 5, 0, 5, 2.5), Err(Error::ZeroWidth));
        for slope in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(ResNetSpec::new(2, 5, 1, 5, slope), Err(Error::InvalidSlope));
        }
        assert!(ResNetSpec::new(usize::MAX / 2, usize::MAX / 2, 1, 5, 1.0).is_err());
    }

    /// The index map of eq. (16) at L = 5, written out by hand:
    /// W¹ (2→5, thresholds): 5 rows of [b, w1, w2]    → 0..15
    /// W² (5→5, thresholds): 5 rows of [b, w1..w5]    → 15..45
    /// W³ (5→5, identity):   5 rows of [w1..w5]       → 45..70
    /// W⁴ (5→1, threshold):  1 row of [b, w1..w5]     → 70..76
    #[test]
    fn layout_at_l5_by_hand() {
        let s = ResNetSpec::xor(5).unwrap();
        let t1 = s.transition(1).unwrap();
        assert_eq!(
            (t1.offset, t1.inputs, t1.outputs, t1.sigmoid),
            (0, 2, 5, true)
        );
        assert_eq!(t1.threshold_index(0), Some(0));
        assert_eq!(t1.weight_index(0, 0), 1);
        assert_eq!(t1.weight_index(0, 1), 2);
        assert_eq!(t1.threshold_index(1), Some(3));
        assert_eq!(t1.weight_index(4, 1), 14);
        let t2 = s.transition(2).unwrap();
        assert_eq!(
            (t2.offset, t2.inputs, t2.outputs, t2.sigmoid),
            (15, 5, 5, true)
        );
        assert_eq!(t2.threshold_index(0), Some(15));
        assert_eq!(t2.weight_index(0, 0), 16);
        assert_eq!(t2.threshold_index(1), Some(21));
        assert_eq!(t2.weight_index(4, 4), 44);
        let t3 = s.transition(3).unwrap();
        assert_eq!(
            (t3.offset, t3.inputs, t3.outputs, t3.sigmoid),
            (45, 5, 5, false)
        );
        assert_eq!(t3.threshold_index(0), None);
        assert_eq!(t3.weight_index(0, 0), 45);
        assert_eq!(t3.weight_index(1, 0), 50);
        assert_eq!(t3.weight_index(4, 4), 69);
        let t4 = s.transition(4).unwrap();
        assert_eq!(
            (t4.offset, t4.inputs, t4.outputs, t4.sigmoid),
            (70, 5, 1, true)
        );
        assert_eq!(t4.threshold_index(0), Some(70));
        assert_eq!(t4.weight_index(0, 4), 75);
        assert_eq!(s.transition(0), None);
        assert_eq!(s.transition(5), None);
    }

    #[test]
    fn transitions_tile_the_weight_vector() {
        for l in [5, 7, 9, 21] {
            let s = ResNetSpec::new(3, 4, 2, l, 1.0).unwrap();
            let mut next = 0;
            for t in 1..l {
                let tr = s.transition(t).unwrap();
                assert_eq!(tr.offset, next, "L = {l}, t = {t}");
                next += tr.len();
            }
            assert_eq!(next, s.n_weights());
        }
    }
}
