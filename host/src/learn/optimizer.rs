//! The one optimizer factory: method × storage of `P` → a core optimizer,
//! fresh or started from a saved learner, handed to a [`WithOptimizer`]
//! (whatever its concrete type).

use hinf::model::Model;
use hinf::{
    Adam, AdamConfig, BlockCovariance, BlockLayout, Blocking, DenseCovariance, Extension,
    FactoredShape, GEhf, GEhfConfig, InfoWindow, IsotropicCovariance, Optimizer, PackedCovariance,
    Real, Regularization, ResNet, ResNetSpec, TermWindow, TermWindowShape, packed_len,
};

use super::information::InformationCovariance;
use super::peek::PeekCovariance;
use super::save::{LoadState, SaveState};
use super::structured::StructuredCovariance;
use super::watch::ExactState;
use crate::settings::{CovarianceKind, Method};

/// What the trial driver needs of an optimizer: the core's step, its exact
/// state (for the fixed-point shortcut), saving and loading, and a look
/// at its `P` (for `hinf saddle`).
pub trait Learner<T: Real>:
    Optimizer<T> + ExactState + SaveState<T> + LoadState<T> + PeekCovariance<T>
{
}
impl<T: Real, O> Learner<T> for O where
    O: Optimizer<T> + ExactState + SaveState<T> + LoadState<T> + PeekCovariance<T>
{
}

/// Something to do with a freshly built optimizer.
pub trait WithOptimizer<T: Real> {
    /// What it gives.
    type Output;
    /// The network `opt` will train ([`build`] loads a saved learner's
    /// network into it before [`WithOptimizer::run`]).
    fn net(&mut self) -> &mut ResNet<T, Vec<T>>;
    /// Does it with `opt`.
    fn run<O: Learner<T>>(self, opt: O) -> hinf::Result<Self::Output>;
}

/// Everything [`build`] needs to make an optimizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnerSpec {
    /// The learning rule.
    pub method: Method,
    /// Storage of `P` (H∞ only).
    pub covariance: CovarianceKind,
    /// R, the samples a window covariance keeps (others ignore it).
    pub memory: usize,
    /// The g-EHF's parameters (H∞ and steepest descent; ε0 as used).
    pub gehf: GEhfConfig,
    /// Adam's parameters.
    pub adam: AdamConfig,
    /// The g-EHF step's extension (H∞ and steepest descent).
    pub extension: Extension,
    /// The regularization of `P` (H∞ only).
    pub regularization: Regularization,
    /// Length of the g-EHF's scratch.
    pub scratch: usize,
}

/// `n` zeros, or [`hinf::Error::CapacityExceeded`] (capacity 0) if the
/// allocator refuses them: a clear error instead of an abort.
pub fn zeros<T: Real>(n: usize, what: &'static str) -> hinf::Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| hinf::Error::CapacityExceeded {
            what,
            needed: n,
            capacity: 0,
        })?;
    v.resize(n, T::ZERO);
    Ok(v)
}

/// Builds the optimizer `spec` names for the net `net` and runs `with`
/// on it; with `from`, both start from that saved learner first (its
/// network, and its `P` or Adam's state where the file holds them: see
/// [`LoadState`]).
pub fn build<T: Real, W: WithOptimizer<T>>(
    spec: &LearnerSpec,
    net: &ResNetSpec,
    from: Option<&Model<'_>>,
    with: W,
) -> hinf::Result<W::Output> {
    let n = net.n_weights();
    let eps0 = T::from_f64(spec.gehf.eps0);
    match (spec.method, spec.covariance) {
        (Method::Adam, _) => {
            let state = zeros(3 * n, "memory for the adam state")?;
            start(with, from, Adam::new(spec.adam, n, state)?)
        }
        (Method::Sd, _) => {
            let p = IsotropicCovariance::new(n, eps0)?;
            start(with, from, gehf(spec, p)?.with_extension(spec.extension)?)
        }
        (Method::Hinf, CovarianceKind::Structured) => {
            let p = StructuredCovariance::new(n, eps0);
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::Info) => {
            let p = InformationCovariance::new(net, eps0)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::Packed) => {
            let packed = zeros(packed_len(n), "memory for the packed covariance")?;
            let p = PackedCovariance::new(n, eps0, packed)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::Dense) => {
            let dense = zeros(n * n, "memory for the dense covariance")?;
            let p = DenseCovariance::new(n, eps0, dense)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::NeuronBlocks) => {
            let p = blocks(Blocking::PerNeuron, net, eps0)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::LayerBlocks) => {
            let p = blocks(Blocking::PerLayer, net, eps0)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::InfoWindow) => {
            // Rows by their per-neuron factors (eqs. 21–23).
            let shape = FactoredShape::new(net, spec.memory);
            shape.validate()?;
            let storage = zeros(shape.storage_len(), "memory for the information window")?;
            let p = InfoWindow::factored(shape, eps0, storage)?;
            start(with, from, hinf_filter(spec, p)?)
        }
        (Method::Hinf, CovarianceKind::Window) => {
            let shape = TermWindowShape::new(n, spec.memory);
            let storage = zeros(shape.storage_len(), "memory for the structured window")?;
            let p = TermWindow::new(shape, eps0, storage)?;
            start(with, from, hinf_filter(spec, p)?)
        }
    }
}

/// `P = ε0 I` cut into the standard blocks `blocking` of `net`.
fn blocks<T: Real>(
    blocking: Blocking,
    net: &ResNetSpec,
    eps0: T,
) -> hinf::Result<BlockCovariance<T, Vec<usize>, Vec<T>>> {
    let layout = BlockLayout::standard(blocking, net, vec![0; blocking.layout_len(net)])?;
    let storage = zeros(blocking.packed_len(net), "memory for the block covariance")?;
    BlockCovariance::new(layout, eps0, storage)
}

/// Loads `from` (if any) into `with`'s network and `opt`, then runs.
fn start<T: Real, W: WithOptimizer<T>, O: Learner<T>>(
    mut with: W,
    from: Option<&Model<'_>>,
    mut opt: O,
) -> hinf::Result<W::Output> {
    if let Some(m) = from {
        opt.load_state(m, with.net())?;
    }
    with.run(opt)
}

fn gehf<T: Real, C: hinf::Covariance<T>>(
    spec: &LearnerSpec,
    p: C,
) -> hinf::Result<GEhf<T, C, Vec<T>>> {
    GEhf::new(
        spec.gehf,
        p,
        zeros(spec.scratch, "memory for the g-EHF scratch")?,
    )
}

/// The g-EHF with a learning `P`: with the extension and regularization.
fn hinf_filter<T: Real, C: hinf::Covariance<T>>(
    spec: &LearnerSpec,
    p: C,
) -> hinf::Result<GEhf<T, C, Vec<T>>> {
    gehf(spec, p)?
        .with_extension(spec.extension)?
        .with_regularization(spec.regularization)
}
