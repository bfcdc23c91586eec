//! The on-device learner: an L = 5 sigmoid ResNet in `f32` with the g-EHF
//! of the `hinf` core and a static, packed covariance `P`, all in fixed
//! arrays (no heap).
//!
//! Sizes at L = 5, N = 5, N1 ≤ 2, N_L = 1 (N_w = 76): network buffer
//! (weights, activations, Jacobian, scratch) 185 `f32`, packed `P`
//! N_w(N_w+1)/2 = 2926 `f32`, filter scratch 76 `f32`: about 12.8 KB in all
//! ([`LEARNER_BYTES`]).
//!
//! `P`'s storage is a type parameter: an array of its own by default, or
//! a borrowed slice ([`Learner::in_storage`]); the firmware lends the L = 5
//! learner part of the deep learner's buffers, which are free while the
//! L = 5 phases run, so that its RAM is not spent twice and no 12 KB
//! temporaries pass through the stack.

use hinf::{
    GEhf, GEhfConfig, Model, PAPER_INIT_RANGE, PAPER_SLOPE, PAPER_WIDTH, PackedCovariance, ResNet,
    ResNetSpec,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::online::OnlineLearner;

/// The largest network the storage is sized for: the paper's XOR net at
/// L = 5 (N1 = 2, N = 5, N_L = 1). Smaller input widths fit too.
pub const MAX_SPEC: ResNetSpec = ResNetSpec::xor_const(1);
/// Elements of the network buffer.
pub const NET_LEN: usize = MAX_SPEC.buffer_len();
/// Elements of the packed covariance.
pub const P_LEN: usize = MAX_SPEC.n_packed();
/// Elements of the filter's scratch vector (`u = P h`).
pub const SCRATCH_LEN: usize = MAX_SPEC.n_weights();

/// The network type: `f32` in a fixed array.
pub type Net = ResNet<f32, [f32; NET_LEN]>;
/// The filter type: g-EHF with a packed `P` in `S` (by default a fixed
/// array).
pub type Filter<S = [f32; P_LEN]> = GEhf<f32, PackedCovariance<f32, S>, [f32; SCRATCH_LEN]>;

/// Bytes of a model file of a [`MAX_SPEC`] learner with its `P` (`f32`):
/// 12 093 at L = 5.
pub const MODEL_LEN: usize = hinf::model::saved_len::<f32>(&MAX_SPEC, true, false);

/// RAM taken by one [`Learner`] with its own `P` array (network, `P`,
/// scratch, parameters).
pub const LEARNER_BYTES: usize = core::mem::size_of::<Learner>();

/// What [`Learner::load_model`] loaded.
#[derive(Clone, Copy, Debug, PartialEq, defmt::Format)]
pub struct LoadedModel {
    /// The file's length in bytes.
    pub len: usize,
    /// Its CRC-32 (checked against the contents by the parser).
    pub crc: u32,
    /// The g-EHF parameters it held (now the filter's).
    pub config: GEhfConfig,
}

/// A network and its g-EHF, learning one sample at a time; `P` in `S`.
#[derive(Debug, Clone)]
pub struct Learner<S = [f32; P_LEN]> {
    net: Net,
    filter: Filter<S>,
}

/// The L = 5 net for `inputs` inputs, hidden width N = 5, one sigmoid
/// output, the paper's slope η0 = 2.5.
pub fn spec(inputs: usize) -> hinf::Result<ResNetSpec> {
    ResNetSpec::new(inputs, PAPER_WIDTH, 1, 5, PAPER_SLOPE)
}

impl Learner {
    /// A learner for `spec` (at most [`MAX_SPEC`]'s sizes) with weights
    /// drawn uniformly from the paper's ±0.05 by Xoshiro256++ seeded with
    /// `seed`, and `P = ε0 I` with the core's defaults (γ_f = 1.7, ε0 from
    /// [`hinf::DEFAULT_EPS0`]) unless `config` says otherwise.
    pub fn new(spec: ResNetSpec, config: GEhfConfig, seed: u64) -> hinf::Result<Self> {
        Self::in_storage([0.0f32; P_LEN], spec, config, seed)
    }

    /// A learner around an existing network, with `P = ε0 I`.
    pub fn with_net(net: Net, config: GEhfConfig) -> hinf::Result<Self> {
        Self::with_net_in(net, config, [0.0f32; P_LEN])
    }
}

impl<S: AsRef<[f32]> + AsMut<[f32]>> Learner<S> {
    /// [`Learner::new`] with `P` in `storage` (at least [`P_LEN`] elements
    /// for a [`MAX_SPEC`] learner).
    pub fn in_storage(
        storage: S,
        spec: ResNetSpec,
        config: GEhfConfig,
        seed: u64,
    ) -> hinf::Result<Self> {
        let mut net = ResNet::new(spec, [0.0f32; NET_LEN])?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        net.init_uniform(&mut rng, PAPER_INIT_RANGE)?;
        Self::with_net_in(net, config, storage)
    }

    /// A learner around an existing network, with `P = ε0 I` in `storage`.
    pub fn with_net_in(net: Net, config: GEhfConfig, storage: S) -> hinf::Result<Self> {
        let nw = net.spec().n_weights();
        let p = PackedCovariance::new(nw, config.eps0 as f32, storage)?;
        let filter = GEhf::new(config, p, [0.0f32; SCRATCH_LEN])?;
        Ok(Self { net, filter })
    }

    /// The network.
    pub fn net(&self) -> &Net {
        &self.net
    }

    /// The network, mutable (e.g. for the on-target tests).
    pub fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    /// The filter (its covariance `P`, its parameters).
    pub fn filter(&self) -> &Filter<S> {
        &self.filter
    }

    /// Loads a model file (the core's format, e.g. written on the host by
    /// [`hinf::model::save_gehf`]): weights, `P`, the g-EHF parameters and
    /// regularization. The file is validated first by [`Model::parse`]
    /// (magic, version, length, CRC-32, spec, finite values, positive
    /// diagonal of `P`), then its spec must equal this learner's network
    /// spec ([`hinf::ModelError::SpecMismatch`]) and its precision `f32`.
    /// On any error the learner is unchanged.
    pub fn load_model(&mut self, bytes: &[u8]) -> hinf::Result<LoadedModel> {
        let model = Model::parse(bytes)?;
        model.load_gehf(&mut self.net, &mut self.filter)?;
        let crc = bytes
            .len()
            .checked_sub(4)
            .and_then(|at| bytes.get(at..))
            .and_then(|t| t.try_into().ok())
            .map_or(0, u32::from_le_bytes);
        Ok(LoadedModel {
            len: bytes.len(),
            crc,
            config: *self.filter.config(),
        })
    }

    /// Saves the network and the filter (parameters and `P`) into `out`
    /// (at least [`MODEL_LEN`] bytes for a [`MAX_SPEC`] learner) in the
    /// core's model format; returns the bytes written. Fails, writing
    /// nothing, if `out` is too short.
    pub fn save_model(&self, out: &mut [u8]) -> hinf::Result<usize> {
        hinf::model::save_gehf(&self.net, &self.filter, out)
    }

    /// One g-EHF step on (x, y), as the core reports it.
    pub fn step_report(&mut self, x: &[f32], y: f32) -> hinf::Result<hinf::StepReport<f32>> {
        self.filter.step(&mut self.net, x, &[y])
    }
}

impl<const N: usize, S: AsRef<[f32]> + AsMut<[f32]>> OnlineLearner<N> for Learner<S> {
    type Error = hinf::Error;

    fn predict(&mut self, x: &[f32; N]) -> Result<f32, hinf::Error> {
        let out = self.net.forward(x)?;
        Ok(out.first().copied().unwrap_or(f32::NAN))
    }

    fn step(&mut self, x: &[f32; N], y: f32) -> Result<f32, hinf::Error> {
        Ok(self.step_report(x, y)?.error)
    }
}
