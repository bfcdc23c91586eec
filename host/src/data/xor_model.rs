//! XOR models from `hinf train --save`, evaluated on the truth table by
//! `hinf eval --model FILE`.
//!
//! The file is the host wrapper of [`super::model_file`] with the magic
//! `b"HINFXOR1"`: its JSON section is an [`XorMeta`] (every setting of the
//! run, the input coding and targets among them, the trial's seed and the
//! epochs trained), its core section the learner as the core saves it
//! (network, and the g-EHF's `P` or Adam's state; see
//! [`crate::learn::SaveState`]). A bare core model file (what `train
//! --save` wrote before, or `hinf::model::save_*`) still loads, without
//! settings: its input coding is then the caller's (bipolar by default).
//! Every error is about the file.

use std::path::Path;

use hinf::model::Model;
use hinf::{ErrorStats, InputCoding, Real, ResNet, StopCriterion, Xor};
use serde::{Deserialize, Serialize};

use super::error::DataError;
use super::model_file::{ModelKind, kind, not_a_model, unwrap, wrap};
use crate::settings::registry::Group;
use crate::settings::{Choice, Inputs, Method, Precision, SETTINGS, Targets, TrialSpec};

/// The first bytes of a `hinf train --save` model file.
pub use super::model_file::XOR_MAGIC as MAGIC;

/// What `train --save` stores beside the learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XorMeta {
    /// Every setting of the run (method, L, ε0, the input coding, the
    /// targets, ...).
    pub settings: TrialSpec,
    /// The trial's own seed.
    pub seed: u64,
    /// Epochs trained, in all (with `train --init`, the earlier runs' too).
    pub epochs: u32,
    /// The stopping rule held at the end.
    pub converged: bool,
}

/// An XOR model file: its settings (none in a bare core file) and the
/// learner as a core model file, checked by [`Model::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct XorModel {
    /// The settings; `None` for a bare core model file.
    pub meta: Option<XorMeta>,
    /// The core model file.
    pub core: Vec<u8>,
}

impl XorModel {
    /// The parsed core section (checked when the file was read).
    pub fn model(&self) -> Result<Model<'_>, DataError> {
        Model::parse(&self.core).map_err(|e| DataError::Model(format!("model file: {e}")))
    }

    /// The input coding and targets the learner was trained with; for a
    /// bare file, `inputs` (or bipolar) and {0, 1}.
    pub fn coding(&self, inputs: Option<Inputs>) -> (Inputs, Targets) {
        match &self.meta {
            Some(m) => (m.settings.inputs, m.settings.variant.targets),
            None => (
                inputs.unwrap_or(InputCoding::default().into()),
                Targets::default(),
            ),
        }
    }
}

/// Writes `core` (a core model file) with `meta`; returns the file's length.
pub fn save_xor(path: &Path, meta: &XorMeta, core: &[u8]) -> Result<usize, DataError> {
    let json = serde_json::to_vec(meta).map_err(|e| DataError::Model(e.to_string()))?;
    let bytes = wrap(MAGIC, &json, core);
    std::fs::write(path, &bytes).map_err(|e| DataError::file(path, "write", e))?;
    Ok(bytes.len())
}

/// Reads an XOR model file (wrapped or bare) and checks it whole.
pub fn read_xor(path: &Path) -> Result<XorModel, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::file(path, "read", e))?;
    parse_xor(&bytes, path)
}

/// [`read_xor`] from the bytes of `path`.
pub fn parse_xor(bytes: &[u8], path: &Path) -> Result<XorModel, DataError> {
    let bad = |what: &str| {
        DataError::Model(format!(
            "{}: not a usable XOR model: {what}",
            path.display()
        ))
    };
    let (meta, core) = match kind(bytes) {
        ModelKind::Core => (None, bytes),
        ModelKind::Xor => {
            let (json, core) = unwrap(bytes).map_err(bad)?;
            let meta: XorMeta = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
            (Some(meta), core)
        }
        ModelKind::Fit => {
            return Err(DataError::Model(format!(
                "{} is a model from `hinf fit`, not an XOR model from `hinf train --save`",
                path.display()
            )));
        }
        ModelKind::NotAModel => return Err(not_a_model(path, bytes)),
    };
    let m = Model::parse(core).map_err(|e| DataError::Model(format!("model file: {e}")))?;
    let spec = m.spec();
    if spec.inputs() != 2 || spec.outputs() != 1 {
        return Err(DataError::Model(format!(
            "model file: a {}-input, {}-output network is not an XOR model (use --data FILE.csv)",
            spec.inputs(),
            spec.outputs()
        )));
    }
    if let Some(meta) = &meta {
        check_meta(meta, &m).map_err(bad)?;
    }
    Ok(XorModel {
        meta,
        core: core.to_vec(),
    })
}

/// The settings must describe the stored network (depth, precision).
fn check_meta(meta: &XorMeta, m: &Model<'_>) -> Result<(), &'static str> {
    let s = &meta.settings;
    if s.net_spec().ok() != Some(m.spec()) || s.precision != precision_of(m) {
        return Err("the settings do not match the network");
    }
    Ok(())
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
    /// The input coding evaluated with (the model's, if it stores it).
    pub inputs: Inputs,
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
    /// Patterns on the right side of the targets' midpoint.
    pub correct: usize,
}

/// Evaluates an XOR model on the truth table, in the model's coding and
/// targets (for a bare core file: `inputs`, or bipolar, and {0, 1}).
pub fn evaluate_xor(x: &XorModel, inputs: Option<Inputs>) -> Result<XorEvaluation, DataError> {
    let model = x.model()?;
    let coding = x.coding(inputs);
    match model.precision() {
        4 => evaluate_in::<f32>(&model, coding),
        _ => evaluate_in::<f64>(&model, coding),
    }
}

fn evaluate_in<T: Real>(
    model: &Model<'_>,
    (inputs, targets): (Inputs, Targets),
) -> Result<XorEvaluation, DataError> {
    let err = |e: hinf::Error| DataError::Model(format!("model file: {e}"));
    let spec = model.spec();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).map_err(err)?;
    model.load_network(&mut net).map_err(err)?;
    let (low, high) = targets.values();
    let xor = Xor::<T>::with_targets(inputs.into(), low, high);
    let mid = 0.5 * (low + high);
    let mut stats = ErrorStats::default();
    let (mut outputs, mut wanted, mut correct) = (Vec::new(), Vec::new(), 0);
    for (x, y) in xor.samples().iter() {
        let o = net.forward(x).map_err(err)?[0].to_f64();
        let t = y[0].to_f64();
        stats.add(t - o);
        correct += usize::from((o >= mid) == (t >= mid));
        outputs.push(o);
        wanted.push(t);
    }
    Ok(XorEvaluation {
        layers: spec.layers(),
        n_weights: spec.n_weights(),
        precision: T::NAME,
        has_covariance: model.has_covariance(),
        inputs,
        outputs,
        targets: wanted,
        half_sse: stats.measure(StopCriterion::HalfSse),
        mse: stats.measure(StopCriterion::Mse),
        max_abs: stats.measure(StopCriterion::MaxAbs),
        correct,
    })
}

/// The settings of a run that continues an XOR model, and what to say
/// about them.
#[derive(Debug, Clone, PartialEq)]
pub struct Continued {
    /// The settings to run with.
    pub settings: TrialSpec,
    /// Epochs the model was trained before (unknown for a bare core file).
    pub epochs_before: Option<u32>,
    /// One line for stderr: which flags the model's settings replaced, or
    /// that a bare core file brings none.
    pub note: Option<String>,
}

/// The settings that say how a run goes (its stopping rule, order, epoch
/// cap and storage of `P`): these come from the flags when continuing.
const RUN_SETTINGS: [&str; 7] = [
    "criterion",
    "tol",
    "timing",
    "order",
    "max-epochs",
    "covariance",
    "memory",
];

impl XorModel {
    /// The settings to continue this model's learner with, given those of
    /// the flags (`flags`): `--method` and `--layers` must be the model's;
    /// every other setting of the learner and its data (ε0, γ_f, the gain
    /// order, Adam's, the regularization of `P`, the extension, the input
    /// coding and targets, the precision) is the model's, and how the run
    /// goes (criterion, tol, timing, order, max-epochs, covariance, memory) the
    /// flags'. A bare core file has no settings: the flags' are used (the
    /// learner's parameters stored in the core section still win).
    pub fn continued(&self, flags: &TrialSpec) -> Result<Continued, DataError> {
        let model = self.model()?;
        let (method, layers) = match &self.meta {
            Some(m) => (m.settings.method, m.settings.layers),
            None => (flags.method, model.spec().layers()),
        };
        if flags.method != method {
            return Err(DataError::Model(format!(
                "--method {} contradicts the model: it was trained with --method {}",
                flags.method.name(),
                method.name()
            )));
        }
        if flags.layers != layers {
            return Err(DataError::Model(format!(
                "--layers {} contradicts the model: it has L = {layers}",
                flags.layers
            )));
        }
        check_sections(&model, method)?;
        let mut notes = Vec::new();
        if method == Method::Hinf && !model.has_covariance() {
            notes.push("it holds the network only, so P starts again from ε0 I".to_string());
        }
        let (settings, epochs_before) = match &self.meta {
            None => {
                notes.push("a bare core file stores no settings but its learner's: the rest (the input coding among them) are the flags'".into());
                (core_settings(flags, &model), None)
            }
            Some(meta) => {
                let (settings, replaced) = merge(flags, &meta.settings);
                if !replaced.is_empty() {
                    notes.push(format!("the model's settings: {}", replaced.join(", ")));
                }
                (settings, Some(meta.epochs))
            }
        };
        Ok(Continued {
            settings,
            epochs_before,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        })
    }
}

/// `flags` with every learner setting of `model`; the replaced values, as
/// `name model (not flag)`.
fn merge(flags: &TrialSpec, model: &TrialSpec) -> (TrialSpec, Vec<String>) {
    let mut out = *flags;
    let mut replaced = Vec::new();
    for s in SETTINGS {
        if matches!(s.group, Group::Run | Group::Derived) || RUN_SETTINGS.contains(&s.name) {
            continue;
        }
        let (mine, theirs) = ((s.value)(model), (s.value)(flags));
        if (s.used)(model) && mine != theirs {
            replaced.push(format!("{} {mine} (not {theirs})", s.name));
        }
        (s.reset)(&mut out, model);
    }
    (out, replaced)
}

/// `flags` with the precision and the learner's parameters a bare core
/// file stores (the g-EHF's γ_f, ε0 as used, gain order and
/// regularization; or Adam's), as loading it sets them.
fn core_settings(flags: &TrialSpec, model: &Model<'_>) -> TrialSpec {
    let mut s = TrialSpec {
        precision: precision_of(model),
        ..*flags
    };
    if let (Some(g), Some(r)) = (model.gehf_config(), model.regularization()) {
        (s.gamma, s.eps0, s.gain_order) = (g.gamma, g.eps0, g.gain_order.into());
        s.variant.eps0_scale = Default::default();
        (s.variant.process_noise, s.variant.forgetting) = (r.process_noise, r.forgetting);
    }
    if let Some(a) = model.adam_config() {
        (s.adam_lr, s.adam_beta1, s.adam_beta2) = (a.lr, a.beta1, a.beta2);
        (s.adam_eps, s.adam_mode) = (a.eps, a.mode.into());
    }
    s
}

/// The file's sections must fit `method`: a g-EHF's `P` is for H∞ or
/// steepest descent, Adam's state for Adam.
fn check_sections(model: &Model<'_>, method: Method) -> Result<(), DataError> {
    let wrong = match method {
        Method::Adam if model.has_covariance() => Some("a g-EHF's P (--method hinf or sd)"),
        Method::Hinf | Method::Sd if model.adam_config().is_some() => {
            Some("Adam's state (--method adam)")
        }
        _ => None,
    };
    match wrong {
        Some(what) => Err(DataError::Model(format!(
            "the model holds {what}: it cannot continue as --method {}",
            method.name()
        ))),
        None => Ok(()),
    }
}

/// The precision a core model file is in.
fn precision_of(model: &Model<'_>) -> Precision {
    match model.precision() {
        4 => Precision::F32,
        _ => Precision::F64,
    }
}
