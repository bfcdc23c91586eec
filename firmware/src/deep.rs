//! The deep on-device learner: a sigmoid ResNet of L = [`DEEP_LAYERS`] in
//! `f32` with the g-EHF and the bounded-memory covariance of
//! docs/bounded.md, the information window of eq. (7) over the last
//! [`DEEP_MEMORY`] samples, rows kept by their per-neuron factors
//! ([`hinf::InfoWindow::factored`]).
//!
//! The buffers ([`DeepBuffers`]) live in one static ([`take_buffers`]); a
//! [`DeepLearner`] borrows them, so each phase builds its learner in place
//! (no copy of the buffers through the stack).
//!
//! L = 101 on the STM32F4s, L = 1001 with feature `mps2-an500` (the
//! Cortex-M7 budget). Bytes at L = 101 (N_w = 2716), R = 8, `f32`: network buffer (weights
//! N_w, activations, the Jacobian's φ, scratch; no dense Jacobian:
//! [`hinf::ResNet::factored`]) [`NET_LEN`], window
//! [`WINDOW_LEN`] (9 rows of 994 factors, the 9 × 9 Gram matrix, weights,
//! two packed 8 × 8 factors), filter scratch 2·N_w ([`SCRATCH_LEN`]: `u =
//! P h` and the trust region's saved weights): [`DEEP_BUFFER_BYTES`].

use core::sync::atomic::{AtomicBool, Ordering};
use hinf::{
    Extension, FactoredShape, GEhf, GEhfConfig, InfoWindow, PAPER_INIT_RANGE, PAPER_SLOPE,
    PAPER_WIDTH, ResNet, ResNetSpec, TrustRegion,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::online::OnlineLearner;

/// Residual blocks n of the deep XOR net (L = 2n + 3): L = 101 on the
/// STM32F405 (its calibration run is at that depth), L = 165 on the
/// STM32F411 (the deepest that fits its 128 KiB with 1 KiB of stack to
/// spare), L = 1001 on the Cortex-M7 budget (1 MiB); the
/// environment variable `HINF_DEEP_BLOCKS` at build time overrides it
/// (to measure other depths: the host's reference runs are for the
/// default, so the deep runs then fail their verdicts).
pub const DEEP_BLOCKS: usize = match option_env!("HINF_DEEP_BLOCKS") {
    Some(n) => parse_blocks(n),
    None => DEFAULT_BLOCKS,
};
#[cfg(not(any(feature = "mps2-an500", feature = "stm32f411")))]
const DEFAULT_BLOCKS: usize = 49;
#[cfg(feature = "stm32f411")]
const DEFAULT_BLOCKS: usize = 81;
#[cfg(feature = "mps2-an500")]
const DEFAULT_BLOCKS: usize = 499;

/// `HINF_DEEP_BLOCKS` as a number (a build error unless it is one ≥ 1).
const fn parse_blocks(s: &str) -> usize {
    let b = s.as_bytes();
    assert!(!b.is_empty(), "HINF_DEEP_BLOCKS: not a number");
    let (mut n, mut i) = (0usize, 0);
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "HINF_DEEP_BLOCKS: not a number");
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    assert!(n >= 1, "HINF_DEEP_BLOCKS: at least 1");
    n
}
/// Depth L of the deep nets.
pub const DEEP_LAYERS: usize = 2 * DEEP_BLOCKS + 3;
/// The largest deep net the buffers are sized for: the paper's XOR net at
/// L = [`DEEP_LAYERS`] (N1 = 2, N = 5, N_L = 1). One input fits too.
pub const DEEP_SPEC: ResNetSpec = ResNetSpec::xor_const(DEEP_BLOCKS);
/// R, the samples the window keeps (docs/bounded.md's recommendation).
pub const DEEP_MEMORY: usize = 8;
/// The window's shape for [`DEEP_SPEC`].
pub const DEEP_SHAPE: FactoredShape = FactoredShape::new(&DEEP_SPEC, DEEP_MEMORY);
/// Elements of the network buffer: it keeps the Jacobian only by its
/// factors, which the window takes ([`ResNet::factored`]).
pub const NET_LEN: usize = DEEP_SPEC.factored_buffer_len();
/// Elements of the window's storage.
pub const WINDOW_LEN: usize = DEEP_SHAPE.storage_len();
/// Elements of the filter's scratch: `u = P h` and, for the trust
/// region's a-posteriori test, a copy of the weights.
pub const SCRATCH_LEN: usize = 2 * DEEP_SPEC.n_weights();
// The L = 5 learner's packed `P` fits the window's storage.
const _: () = assert!(WINDOW_LEN >= crate::gehf_learner::P_LEN);

/// RAM of the buffers of one deep learner.
pub const DEEP_BUFFER_BYTES: usize = core::mem::size_of::<DeepBuffers>();

/// How the deep learner steps: ε0 and whether the trust-region extension
/// is on. The two settings the firmware uses are docs/bounded.md's.
#[derive(Clone, Copy, Debug, PartialEq, defmt::Format)]
pub struct Setting {
    /// ε0 of `P_{0|−1} = ε0 I` (eq. 5).
    pub eps0: f64,
    /// The trust-region extension (`TrustRegion::RECOMMENDED`) on or off.
    pub trust_region: bool,
}

impl Setting {
    /// XOR at depth: the trust region with ε0 = 1000 (*Table 1's shape*).
    pub const XOR: Self = Self {
        eps0: hinf::EXTENSION_EPS0,
        trust_region: true,
    };
    /// A long online stream: the printed step with ε0 = 10 (*Online*).
    pub const ONLINE: Self = Self {
        eps0: 10.0,
        trust_region: false,
    };
}

/// The buffers of one deep learner, zeroed.
#[derive(Debug)]
pub struct DeepBuffers {
    net: [f32; NET_LEN],
    window: [f32; WINDOW_LEN],
    scratch: [f32; SCRATCH_LEN],
}

impl DeepBuffers {
    /// All zero.
    const ZERO: Self = Self {
        net: [0.0; NET_LEN],
        window: [0.0; WINDOW_LEN],
        scratch: [0.0; SCRATCH_LEN],
    };

    /// The window's storage, lent while no deep learner is built (the
    /// firmware's L = 5 learner keeps its packed `P` there:
    /// [`crate::gehf_learner::Learner::in_storage`]).
    pub fn spare(&mut self) -> &mut [f32] {
        &mut self.window
    }
}

/// The one set of buffers, zero-initialised in `.bss` by the runtime.
static mut BUFFERS: DeepBuffers = DeepBuffers::ZERO;
/// Whether [`take_buffers`] has handed [`BUFFERS`] out.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The deep learner's buffers, the first time it is called; `None` after.
///
/// Not `cortex_m::singleton!`: that macro builds its value on the stack
/// and then moves it into the static, and 84 KB through the stack of a
/// 128 KiB part overwrote `.bss` (a HardFault at pc = 0 under QEMU
/// netduinoplus2). Here the static is handed out where it lies.
pub fn take_buffers() -> Option<&'static mut DeepBuffers> {
    if TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    // SAFETY: the pointer to a static is non-null and aligned, and
    // `TAKEN` lets this line run once per program, so the reference is the
    // only one to `BUFFERS` there will ever be (nothing else names it).
    unsafe { (&raw mut BUFFERS).as_mut() }
}

/// The network type, on borrowed storage.
pub type DeepNet<'a> = ResNet<f32, &'a mut [f32]>;
/// The filter type: g-EHF with a factored information window.
pub type DeepFilter<'a> = GEhf<f32, InfoWindow<f32, &'a mut [f32]>, &'a mut [f32]>;

/// A deep network and its g-EHF on [`DeepBuffers`], one sample at a time.
#[derive(Debug)]
pub struct DeepLearner<'a> {
    net: DeepNet<'a>,
    filter: DeepFilter<'a>,
}

/// The deep net for `inputs` inputs (≤ 2): width N = 5, one sigmoid output,
/// η0 = 2.5, L = [`DEEP_LAYERS`].
pub fn spec(inputs: usize) -> hinf::Result<ResNetSpec> {
    ResNetSpec::new(inputs, PAPER_WIDTH, 1, DEEP_LAYERS, PAPER_SLOPE)
}

impl<'a> DeepLearner<'a> {
    /// A learner for `spec` (at most [`DEEP_SPEC`]'s sizes) in `buffers`:
    /// weights uniform in the paper's ±0.05 from Xoshiro256++(`seed`),
    /// `P = ε0 I` (an empty window), γ_f = 1.7.
    pub fn new(
        buffers: &'a mut DeepBuffers,
        spec: ResNetSpec,
        setting: Setting,
        seed: u64,
    ) -> hinf::Result<Self> {
        let DeepBuffers {
            net,
            window,
            scratch,
        } = buffers;
        let mut net = ResNet::factored(spec, &mut net[..])?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        net.init_uniform(&mut rng, PAPER_INIT_RANGE)?;
        let shape = FactoredShape::new(&spec, DEEP_MEMORY);
        let window = InfoWindow::factored(shape, setting.eps0 as f32, &mut window[..])?;
        let config = GEhfConfig {
            eps0: setting.eps0,
            ..GEhfConfig::default()
        };
        let mut filter = GEhf::new(config, window, &mut scratch[..])?;
        if setting.trust_region {
            filter =
                filter.with_extension(Extension::OutputTrustRegion(TrustRegion::RECOMMENDED))?;
        }
        Ok(Self { net, filter })
    }

    /// The network.
    pub fn net(&self) -> &DeepNet<'a> {
        &self.net
    }

    /// The filter (its window, parameters and health counters).
    pub fn filter(&self) -> &DeepFilter<'a> {
        &self.filter
    }
}

impl<const N: usize> OnlineLearner<N> for DeepLearner<'_> {
    type Error = hinf::Error;

    fn predict(&mut self, x: &[f32; N]) -> Result<f32, hinf::Error> {
        let out = self.net.forward(x)?;
        Ok(out.first().copied().unwrap_or(f32::NAN))
    }

    fn step(&mut self, x: &[f32; N], y: f32) -> Result<f32, hinf::Error> {
        Ok(self.filter.step(&mut self.net, x, &[y])?.error)
    }
}
