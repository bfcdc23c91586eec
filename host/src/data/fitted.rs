//! The model file of `hinf fit --save`: the network with its [`Encoding`]
//! and training settings.
//!
//! The file is the host wrapper of [`super::model_file`] with the magic
//! `b"HINFFIT1"`: its JSON section is a [`ModelMeta`] (the [`Encoding`]:
//! columns, standardization, classes, target ranges; and the training
//! settings), its core section the network alone.
//!
//! The network is stored in the precision it was trained in (`fit
//! --precision f64|f32`); the core section records it, and [`load`]
//! returns a [`FittedNet`] of that precision.
//!
//! Loading checks the magic, the lengths, both checksums and every value
//! before anything is used.

use std::path::Path;

use hinf::{Real, ResNet, ResNetSpec, model};
use serde::{Deserialize, Serialize};

use super::encoding::{Dataset, Encoding, Quality, Task, quality};
use super::error::DataError;
use super::model_file::{ModelKind, kind, not_a_model, unwrap, wrap};
use crate::settings::{FitSpec, Precision};

/// What `fit --save` stores beside the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Columns, standardization, classes, target ranges.
    pub encoding: Encoding,
    /// The training settings.
    pub fit: FitSpec,
    /// The training file.
    pub data: String,
    /// Epochs trained, in all (with `fit --init`, the earlier runs' too).
    #[serde(default)]
    pub epochs: u32,
}

/// A `fit` model as read: its settings, its network, and the network as
/// the core model file it was stored as (for `fit --init`).
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Encoding and training settings.
    pub meta: ModelMeta,
    /// The network, in its precision.
    pub net: FittedNet,
    /// The core model file of the network.
    pub core: Vec<u8>,
}

impl Fitted {
    /// The parsed core model file (checked when the file was read).
    pub fn model(&self) -> Result<model::Model<'_>, DataError> {
        Ok(model::Model::parse(&self.core)?)
    }
}

/// The first bytes of a `hinf fit` model file.
pub use super::model_file::FIT_MAGIC as MAGIC;

/// A trained network in the precision it was trained and saved in.
#[derive(Debug, Clone)]
pub enum FittedNet {
    /// `fit --precision f64` (the default).
    F64(ResNet<f64, Vec<f64>>),
    /// `fit --precision f32`.
    F32(ResNet<f32, Vec<f32>>),
}

impl FittedNet {
    /// The network of a core model file, in the file's precision.
    pub fn of(m: &model::Model<'_>) -> hinf::Result<Self> {
        match m.precision() {
            4 => load_net::<f32>(m).map(FittedNet::F32),
            _ => load_net::<f64>(m).map(FittedNet::F64),
        }
    }
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
    /// The outputs for `inputs` (row-major, N1 per row), N_L per row,
    /// computed in the network's precision.
    pub fn outputs(&mut self, inputs: &[f64]) -> hinf::Result<Vec<f64>> {
        match self {
            FittedNet::F64(n) => outputs_of(n, inputs),
            FittedNet::F32(n) => outputs_of(n, inputs),
        }
    }
    /// [`evaluate`] in the network's own precision.
    pub fn evaluate(&mut self, data: &Dataset, enc: &Encoding) -> Result<Quality, DataError> {
        match self {
            FittedNet::F64(n) => evaluate(n, data, enc),
            FittedNet::F32(n) => evaluate(n, data, enc),
        }
    }
}

/// [`FittedNet::outputs`] in precision `T`.
fn outputs_of<T: Real>(net: &mut ResNet<T, Vec<T>>, inputs: &[f64]) -> hinf::Result<Vec<f64>> {
    let n_in = net.spec().inputs().max(1);
    let mut x = vec![T::ZERO; n_in];
    let mut out = Vec::with_capacity(inputs.len() / n_in * net.spec().outputs());
    for row in inputs.chunks_exact(n_in) {
        for (xi, &v) in x.iter_mut().zip(row) {
            *xi = T::from_f64(v);
        }
        out.extend(net.forward(&x)?.iter().map(|o| o.to_f64()));
    }
    Ok(out)
}

/// Writes a trained model of either precision (see the module's format
/// table; the core section is in `T`).
pub fn save<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    path: &Path,
    meta: &ModelMeta,
    net: &ResNet<T, S>,
) -> Result<(), DataError> {
    let json = serde_json::to_vec(meta).map_err(|e| DataError::Model(e.to_string()))?;
    let mut core = vec![0u8; model::saved_len::<T>(net.spec(), false, false)];
    let n = model::save_network(net, &mut core)?;
    let bytes = wrap(MAGIC, &json, &core[..n]);
    std::fs::write(path, bytes).map_err(|e| DataError::file(path, "write", e))
}

fn load_net<T: Real>(m: &model::Model<'_>) -> hinf::Result<ResNet<T, Vec<T>>> {
    let spec = m.spec();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()])?;
    m.load_network(&mut net)?;
    Ok(net)
}

/// Reads a model written by [`save`], in the precision the file records.
pub fn load(path: &Path) -> Result<(ModelMeta, FittedNet), DataError> {
    read(path).map(|f| (f.meta, f.net))
}

/// [`load`], keeping the core model file too.
pub fn read(path: &Path) -> Result<Fitted, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::file(path, "read", e))?;
    parse(&bytes, path)
}

/// [`read`] from the bytes of `path`.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Fitted, DataError> {
    let bad = |what: &str| {
        DataError::Model(format!(
            "{}: not a usable `hinf fit` model: {what}",
            path.display()
        ))
    };
    match kind(bytes) {
        ModelKind::Fit => {}
        ModelKind::Core | ModelKind::Xor => {
            return Err(DataError::Model(format!(
                "{} is an XOR model from `hinf train --save`, not a `hinf fit` model",
                path.display()
            )));
        }
        ModelKind::NotAModel => return Err(not_a_model(path, bytes)),
    }
    let (json, core) = unwrap(bytes).map_err(bad)?;
    let meta: ModelMeta = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
    let m = model::Model::parse(core).map_err(|e| bad(&e.to_string()))?;
    let spec = m.spec();
    let net = FittedNet::of(&m).map_err(|e| bad(&e.to_string()))?;
    let enc = &meta.encoding;
    if spec.inputs() != enc.features.len()
        || spec.outputs() != enc.n_outputs()
        || enc.mean.len() != enc.features.len()
        || enc.scale.len() != enc.features.len()
        || enc.scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
        || (enc.task != Task::Classification && enc.target_range.len() != enc.targets.len())
    {
        return Err(bad("the encoding does not match the network"));
    }
    let core = core.to_vec();
    Ok(Fitted { meta, net, core })
}

/// Evaluates a trained network (either precision) on `data` (already
/// encoded with its encoding).
pub fn evaluate<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &mut ResNet<T, S>,
    data: &Dataset,
    enc: &Encoding,
) -> Result<Quality, DataError> {
    Ok(quality(net, data, enc)?)
}
