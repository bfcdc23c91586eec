//! XOR models from `hinf train --save` (a bare core model file),
//! evaluated on the truth table by `hinf eval --model FILE`. Every error
//! is about the file (a corrupt or truncated one included).

use hinf::model::Model;
use hinf::{ErrorStats, InputCoding, Real, ResNet, StopCriterion, Xor};
use serde::Serialize;

use super::error::DataError;

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
pub fn evaluate_xor(bytes: &[u8], coding: InputCoding) -> Result<XorEvaluation, DataError> {
    let model = Model::parse(bytes).map_err(|e| DataError::Model(format!("model file: {e}")))?;
    match model.precision() {
        4 => evaluate_in::<f32>(&model, coding),
        _ => evaluate_in::<f64>(&model, coding),
    }
}

fn evaluate_in<T: Real>(
    model: &Model<'_>,
    coding: InputCoding,
) -> Result<XorEvaluation, DataError> {
    let err = |e: hinf::Error| DataError::Model(format!("model file: {e}"));
    let spec = model.spec();
    if spec.inputs() != 2 || spec.outputs() != 1 {
        return Err(DataError::Model(format!(
            "model file: a {}-input, {}-output network is not an XOR model (use --data FILE.csv)",
            spec.inputs(),
            spec.outputs()
        )));
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
