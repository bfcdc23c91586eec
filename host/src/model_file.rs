//! Model files of XOR learners: `hinf train --save FILE` and
//! `hinf eval --model FILE` (without `--data`).
//!
//! The file is the core's versioned, CRC-checked format (`hinf::model`):
//! the network's spec and weights, and the learner's state so that training
//! can continue (on the host, or on the firmware, which embeds such a file).

use crate::cli::{Failure, UsageError};
use hinf::model::{Model, saved_len};
use hinf::{
    Adam, Covariance, ErrorStats, GEhf, InputCoding, Real, ResNet, StopCriterion, Xor,
    model::{save_adam, save_gehf, save_network},
};
use serde::Serialize;

/// The largest N_w for which `--save` stores the g-EHF's `P` (N_w² / 2
/// numbers: 8.4 M, 67 MB in f64, at the limit) with the filter's
/// parameters; for deeper nets the file holds the network only (and
/// `hinf train --save` says so on stderr).
pub const MAX_SAVED_P: usize = 4096;

/// A learner that can write itself, with its network, as a model file.
pub trait SaveState<T: Real> {
    /// The model file's bytes.
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>>;
}

fn save_with(
    len: usize,
    write: impl FnOnce(&mut [u8]) -> hinf::Result<usize>,
) -> hinf::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let n = write(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

impl<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>> SaveState<T> for GEhf<T, C, U> {
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>> {
        let spec = net.spec();
        if spec.n_weights() <= MAX_SAVED_P {
            save_with(saved_len::<T>(spec, true, false), |out| {
                save_gehf(net, self, out)
            })
        } else {
            save_with(saved_len::<T>(spec, false, false), |out| {
                save_network(net, out)
            })
        }
    }
}

impl<T: Real, A: AsRef<[T]> + AsMut<[T]>> SaveState<T> for Adam<T, A> {
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>> {
        save_with(saved_len::<T>(net.spec(), false, true), |out| {
            save_adam(net, self, out)
        })
    }
}

/// `true` if `bytes` start like a bare core model file (magic `HINF`, and
/// not the `HINFFIT1` of a `hinf fit` model).
pub fn is_core_model(bytes: &[u8]) -> bool {
    bytes.starts_with(&hinf::model::MAGIC) && !bytes.starts_with(crate::fit::MAGIC)
}

/// What `hinf eval --model FILE` reports for an XOR model.
#[derive(Debug, Clone, Serialize)]
pub struct XorEvaluation {
    /// L.
    pub layers: usize,
    /// N_w.
    pub n_weights: usize,
    /// "f32" or "f64".
    pub precision: &'static str,
    /// Whether the file holds the g-EHF's `P` (training can continue).
    pub has_covariance: bool,
    /// The four outputs, in truth-table order.
    pub outputs: Vec<f64>,
    /// The four targets.
    pub targets: Vec<f64>,
    /// ½ Σ e².
    pub half_sse: f64,
    /// Σ e² / 4.
    pub mse: f64,
    /// max |e|.
    pub max_abs: f64,
    /// Patterns on the right side of 0.5.
    pub correct: usize,
}

/// Evaluates a core model file on the XOR truth table.
pub fn evaluate_xor(bytes: &[u8], coding: InputCoding) -> Result<XorEvaluation, Failure> {
    // A corrupt or truncated file is bad input (exit 2).
    let model = Model::parse(bytes).map_err(|e| UsageError(format!("model file: {e}")))?;
    match model.precision() {
        4 => evaluate_in::<f32>(&model, coding),
        _ => evaluate_in::<f64>(&model, coding),
    }
}

fn evaluate_in<T: Real>(model: &Model<'_>, coding: InputCoding) -> Result<XorEvaluation, Failure> {
    let err = |e: hinf::Error| Failure::from(UsageError(format!("model file: {e}")));
    let spec = model.spec();
    if spec.inputs() != 2 || spec.outputs() != 1 {
        return Err(Failure::from(UsageError(format!(
            "model file: a {}-input, {}-output network is not an XOR model (use --data FILE.csv)",
            spec.inputs(),
            spec.outputs()
        ))));
    }
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).map_err(err)?;
    model.load_network(&mut net).map_err(err)?;
    let xor = Xor::<T>::new(coding);
    let data = xor.samples();
    let mut stats = ErrorStats::default();
    let (mut outputs, mut targets, mut correct) = (Vec::new(), Vec::new(), 0);
    for (x, y) in data.iter() {
        let o = net.forward(x).map_err(err)?[0].to_f64();
        let t = y[0].to_f64();
        stats.add(t - o);
        correct += usize::from((o >= 0.5) == (t >= 0.5));
        outputs.push(o);
        targets.push(t);
    }
    Ok(XorEvaluation {
        layers: spec.layers(),
        n_weights: spec.n_weights(),
        precision: T::NAME,
        has_covariance: model.has_covariance(),
        outputs,
        targets,
        half_sse: stats.measure(StopCriterion::HalfSse),
        mse: stats.measure(StopCriterion::Mse),
        max_abs: stats.measure(StopCriterion::MaxAbs),
        correct,
    })
}
