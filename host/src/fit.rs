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
//! Loading checks the magic, the lengths, both checksums and every value
//! before anything is used.

use std::path::Path;
use std::time::Instant;

use hinf::{
    Adam, AdamConfig, GEhf, GEhfConfig, IsotropicCovariance, ResNet, ResNetSpec, SampleOrder,
    StopCriterion, TrainConfig, model, train,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Encoding, Quality, quality};
use crate::experiment::Method;
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

/// Trains a new network on `data` (f64; H∞ with the exact structured `P`).
pub fn fit(data: &Dataset, spec: &FitSpec) -> Result<(ResNet<f64, Vec<f64>>, FitOutcome), String> {
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
    let samples = data.samples().map_err(|e| e.to_string())?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let mut net =
        ResNet::new(net_spec, vec![0.0; net_spec.buffer_len()]).map_err(|e| e.to_string())?;
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
            let p = StructuredCovariance::new(nw, spec.eps0);
            let mut opt = GEhf::new(gcfg, p, vec![0.0; m * nw]).map_err(|e| e.to_string())?;
            train(
                &mut net, &mut opt, &samples, &config, &mut rng, &mut order, on_epoch,
            )
        }
        Method::Sd => {
            let p = IsotropicCovariance::new(nw, spec.eps0).map_err(|e| e.to_string())?;
            let mut opt = GEhf::new(gcfg, p, vec![0.0; m * nw]).map_err(|e| e.to_string())?;
            train(
                &mut net, &mut opt, &samples, &config, &mut rng, &mut order, on_epoch,
            )
        }
        Method::Adam => {
            let acfg = AdamConfig {
                lr: spec.adam_lr,
                ..AdamConfig::default()
            };
            let mut opt = Adam::new(acfg, nw, vec![0.0; 3 * nw]).map_err(|e| e.to_string())?;
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

/// Writes a trained model (see the module's format table).
pub fn save(path: &Path, meta: &ModelMeta, net: &ResNet<f64, Vec<f64>>) -> Result<(), String> {
    let json = serde_json::to_vec(meta).map_err(|e| e.to_string())?;
    let mut core = vec![0u8; model::saved_len::<f64>(net.spec(), false, false)];
    let n = model::save_network(net, &mut core).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(16 + json.len() + n);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&model::crc32(&json).to_le_bytes());
    bytes.extend_from_slice(&core[..n]);
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Reads a model written by [`save`].
pub fn load(path: &Path) -> Result<(ModelMeta, ResNet<f64, Vec<f64>>), String> {
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
    let mut net =
        ResNet::new(spec, vec![0.0; spec.buffer_len()]).map_err(|e| bad(&e.to_string()))?;
    m.load_network(&mut net).map_err(|e| bad(&e.to_string()))?;
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

/// Evaluates a loaded model on `data` (already encoded with its encoding).
pub fn evaluate(
    net: &mut ResNet<f64, Vec<f64>>,
    data: &Dataset,
    enc: &Encoding,
) -> Result<Quality, String> {
    quality(net, data, enc).map_err(|e| e.to_string())
}
