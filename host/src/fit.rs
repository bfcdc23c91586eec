//! `hinf fit` / `hinf eval`: train H∞-learning, steepest descent or Adam
//! on a [`Dataset`], and save or load the result with its [`Encoding`].
//!
//! # The model file of `fit --save`
//!
//! | bytes       | field                                                          |
//! |-------------|----------------------------------------------------------------|
//! | 8           | magic `b"HINFFIT1"`                                            |
//! | 4           | length J of the JSON section, `u32` little-endian              |
//! | J           | JSON: the [`Encoding`] (columns, standardization, classes, target ranges) and the training settings |
//! | 4           | CRC-32 of the JSON section, `u32` little-endian                 |
//! | rest        | the network as a core model file ([`hinf::model`]: versioned, own CRC-32) |
//!
//! The network is stored in the precision it was trained in (`fit
//! --precision f64|f32`); the core section records it, and [`load`]
//! returns a [`FittedNet`] of that precision.
//!
//! Loading checks the magic, the lengths, both checksums and every value
//! before anything is used.

use std::path::Path;
use std::time::Instant;

use hinf::{
    Adam, AdamConfig, GEhf, GEhfConfig, IsotropicCovariance, Real, ResNet, ResNetSpec, SampleOrder,
    Samples, StopCriterion, TrainConfig, model, train,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Encoding, Quality, quality};
use crate::experiment::{Method, Precision};
use crate::structured::StructuredCovariance;

/// Everything that defines one training run on a data set except the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSpec {
    /// The learning rule.
    pub method: Method,
    /// L = 2n + 3.
    pub layers: usize,
    /// Hidden width N.
    pub width: usize,
    /// Sigmoid slope η0.
    pub slope: f64,
    /// ε0 (H∞, sd).
    pub eps0: f64,
    /// γ_f (H∞).
    pub gamma: f64,
    /// Adam's step size α (β1, β2, ε and per-sample mode: the paper's).
    pub adam_lr: f64,
    /// Stop when the training MSE (over rows × outputs) is below this.
    pub tol: f64,
    /// Epoch cap.
    pub max_epochs: u32,
    /// Initial weights uniform in [−a, a].
    pub init_range: f64,
    /// Seed of the initial weights and the sample order.
    pub seed: u64,
    /// Shuffle the rows every epoch.
    pub shuffle: bool,
}

impl Default for FitSpec {
    fn default() -> Self {
        Self {
            method: Method::Hinf,
            layers: 5,
            width: hinf::PAPER_WIDTH,
            slope: hinf::PAPER_SLOPE,
            eps0: hinf::DEFAULT_EPS0,
            gamma: hinf::PAPER_GAMMA,
            adam_lr: AdamConfig::default().lr,
            tol: 0.01,
            max_epochs: 200,
            init_range: hinf::PAPER_INIT_RANGE,
            seed: 1,
            shuffle: true,
        }
    }
}

impl FitSpec {
    /// An upper bound on the memory a fit of `data` needs, in bytes (see
    /// [`crate::memory`]); `None` for a shape the core refuses (the fit
    /// then fails with that error).
    pub fn memory_bytes(&self, data: &Dataset, precision: Precision) -> Option<u128> {
        use crate::experiment::CovarianceKind;
        use crate::memory::{element_bytes, optimizer_elements};
        let net = ResNetSpec::new(
            data.n_inputs,
            self.width,
            data.n_outputs,
            self.layers,
            self.slope,
        )
        .ok()?;
        let (nw, m) = (net.n_weights(), data.n_outputs as u128);
        // N_L rank-one downdates per row, every epoch.
        let downdates = u128::from(self.max_epochs) * data.len() as u128 * m;
        let elements = net.buffer_len() as u128
            + m * nw as u128
            + optimizer_elements(self.method, CovarianceKind::Structured, nw, downdates);
        Some(elements * element_bytes(precision) + (u128::from(self.max_epochs) + 1) * 8)
    }
}

/// How a fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOutcome {
    /// The training MSE fell below the tolerance.
    pub converged: bool,
    /// Epochs run.
    pub epochs: u32,
    /// Training MSE per epoch (`curve[0]`: the initial weights).
    pub curve: Vec<f64>,
    /// Wall time of the training.
    pub seconds: f64,
    /// Set if an update was refused (e.g. it would diverge); training
    /// stopped there with the last good weights.
    pub failure: Option<String>,
}

/// Trains a new network on `data` in precision `T` (`f64` or `f32`: the
/// network, the optimiser's state and the arithmetic; H∞ with the exact
/// structured `P`). The data are rounded to `T`; the reported errors are
/// f64.
pub fn fit<T: Real>(
    data: &Dataset,
    spec: &FitSpec,
) -> Result<(ResNet<T, Vec<T>>, FitOutcome), String> {
    let net_spec = ResNetSpec::new(
        data.n_inputs,
        spec.width,
        data.n_outputs,
        spec.layers,
        spec.slope,
    )
    .map_err(|e| e.to_string())?;
    let nw = net_spec.n_weights();
    let m = data.n_outputs;
    let (inputs, targets) = data.cast::<T>();
    let samples = Samples::new(&inputs, data.n_inputs, &targets, m).map_err(|e| e.to_string())?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let mut net =
        ResNet::new(net_spec, vec![T::ZERO; net_spec.buffer_len()]).map_err(|e| e.to_string())?;
    net.init_uniform(&mut rng, spec.init_range)
        .map_err(|e| e.to_string())?;
    let config = TrainConfig {
        criterion: StopCriterion::Mse,
        tol: spec.tol,
        order: if spec.shuffle {
            SampleOrder::Shuffled
        } else {
            SampleOrder::Fixed
        },
        max_epochs: spec.max_epochs,
        ..TrainConfig::default()
    };
    config.validate().map_err(|e| e.to_string())?;
    let mut order = vec![0usize; data.len()];
    let mut curve = Vec::new();
    let on_epoch = |r: &hinf::EpochReport| {
        curve.push(r.error);
        true
    };
    let gcfg = GEhfConfig {
        gamma: spec.gamma,
        eps0: spec.eps0,
        ..GEhfConfig::default()
    };
    let start = Instant::now();
    let outcome = match spec.method {
        Method::Hinf => {
            let p = StructuredCovariance::new(nw, T::from_f64(spec.eps0));
            let mut opt = GEhf::new(gcfg, p, vec![T::ZERO; m * nw]).map_err(|e| e.to_string())?;
            train(
                &mut net, &mut opt, &samples, &config, &mut rng, &mut order, on_epoch,
            )
        }
        Method::Sd => {
            let p =
                IsotropicCovariance::new(nw, T::from_f64(spec.eps0)).map_err(|e| e.to_string())?;
            let mut opt = GEhf::new(gcfg, p, vec![T::ZERO; m * nw]).map_err(|e| e.to_string())?;
            train(
                &mut net, &mut opt, &samples, &config, &mut rng, &mut order, on_epoch,
            )
        }
        Method::Adam => {
            let acfg = AdamConfig {
                lr: spec.adam_lr,
                ..AdamConfig::default()
            };
            let mut opt = Adam::new(acfg, nw, vec![T::ZERO; 3 * nw]).map_err(|e| e.to_string())?;
            train(
                &mut net, &mut opt, &samples, &config, &mut rng, &mut order, on_epoch,
            )
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let out = match outcome {
        Ok(o) => FitOutcome {
            converged: o.converged,
            epochs: o.epochs,
            curve,
            seconds,
            failure: None,
        },
        Err(e) => FitOutcome {
            converged: false,
            epochs: curve.len().saturating_sub(1) as u32,
            curve,
            seconds,
            failure: Some(e.to_string()),
        },
    };
    Ok((net, out))
}

/// What `fit --save` stores beside the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Columns, standardization, classes, target ranges.
    pub encoding: Encoding,
    /// The training settings.
    pub fit: FitSpec,
    /// The training file.
    pub data: String,
}

/// The first bytes of a `hinf fit` model file.
pub const MAGIC: &[u8; 8] = b"HINFFIT1";

/// A trained network in the precision it was trained and saved in.
#[derive(Debug, Clone)]
pub enum FittedNet {
    /// `fit --precision f64` (the default).
    F64(ResNet<f64, Vec<f64>>),
    /// `fit --precision f32`.
    F32(ResNet<f32, Vec<f32>>),
}

impl FittedNet {
    /// The scalar type of the network.
    pub fn precision(&self) -> Precision {
        match self {
            FittedNet::F64(_) => Precision::F64,
            FittedNet::F32(_) => Precision::F32,
        }
    }
    /// "f64" or "f32" (as `--precision` spells it).
    pub fn precision_name(&self) -> &'static str {
        match self {
            FittedNet::F64(_) => f64::NAME,
            FittedNet::F32(_) => f32::NAME,
        }
    }
    /// The network's shape.
    pub fn spec(&self) -> ResNetSpec {
        match self {
            FittedNet::F64(n) => *n.spec(),
            FittedNet::F32(n) => *n.spec(),
        }
    }
    /// The weights, widened to f64 (exact).
    pub fn weights_f64(&self) -> Vec<f64> {
        match self {
            FittedNet::F64(n) => n.weights().to_vec(),
            FittedNet::F32(n) => n.weights().iter().map(|w| w.to_f64()).collect(),
        }
    }
    /// [`evaluate`] in the network's own precision.
    pub fn evaluate(&mut self, data: &Dataset, enc: &Encoding) -> Result<Quality, String> {
        match self {
            FittedNet::F64(n) => evaluate(n, data, enc),
            FittedNet::F32(n) => evaluate(n, data, enc),
        }
    }
}

/// Writes a trained model of either precision (see the module's format
/// table; the core section is in `T`).
pub fn save<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    path: &Path,
    meta: &ModelMeta,
    net: &ResNet<T, S>,
) -> Result<(), String> {
    let json = serde_json::to_vec(meta).map_err(|e| e.to_string())?;
    let mut core = vec![0u8; model::saved_len::<T>(net.spec(), false, false)];
    let n = model::save_network(net, &mut core).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(16 + json.len() + n);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&model::crc32(&json).to_le_bytes());
    bytes.extend_from_slice(&core[..n]);
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn load_net<T: Real>(m: &model::Model<'_>) -> hinf::Result<ResNet<T, Vec<T>>> {
    let spec = m.spec();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()])?;
    m.load_network(&mut net)?;
    Ok(net)
}

/// Reads a model written by [`save`], in the precision the file records.
pub fn load(path: &Path) -> Result<(ModelMeta, FittedNet), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let bad = |what: &str| format!("{}: not a usable `hinf fit` model: {what}", path.display());
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(bad("wrong magic (expected HINFFIT1)"));
    }
    let j = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default()) as usize;
    let Some(json) = bytes.get(12..12 + j) else {
        return Err(bad("truncated JSON section"));
    };
    let Some(crc) = bytes.get(12 + j..16 + j) else {
        return Err(bad("truncated"));
    };
    if model::crc32(json).to_le_bytes() != crc {
        return Err(bad("JSON section checksum mismatch"));
    }
    let meta: ModelMeta = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
    let m = model::Model::parse(&bytes[16 + j..]).map_err(|e| bad(&e.to_string()))?;
    let spec = m.spec();
    let net = match m.precision() {
        4 => load_net::<f32>(&m).map(FittedNet::F32),
        _ => load_net::<f64>(&m).map(FittedNet::F64),
    }
    .map_err(|e| bad(&e.to_string()))?;
    let enc = &meta.encoding;
    if spec.inputs() != enc.features.len()
        || spec.outputs() != enc.n_outputs()
        || enc.mean.len() != enc.features.len()
        || enc.scale.len() != enc.features.len()
        || enc.scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
        || (enc.task != crate::data::Task::Classification
            && enc.target_range.len() != enc.targets.len())
    {
        return Err(bad("the encoding does not match the network"));
    }
    Ok((meta, net))
}

/// Evaluates a trained network (either precision) on `data` (already
/// encoded with its encoding).
pub fn evaluate<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &mut ResNet<T, S>,
    data: &Dataset,
    enc: &Encoding,
) -> Result<Quality, String> {
    quality(net, data, enc).map_err(|e| e.to_string())
}
