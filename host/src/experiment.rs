//! Trials and experiments: one [`TrialSpec`] trained from one seed gives a
//! [`TrialResult`]; an [`ExperimentSpec`] runs many trials in parallel
//! (rayon), each seeded from the base seed and its index alone, and
//! summarises them ([`Summary`]).
//!
//! Everything here is independent of the CLI so that `train`,
//! `reproduce` and a later `sweep` share it.

use std::time::Instant;

use clap::ValueEnum;
use hinf::{
    Adam, AdamConfig, AdamMode, DenseCovariance, ErrorTiming, GEhf, GEhfConfig, GainOrder,
    InputCoding, IsotropicCovariance, PackedCovariance, Real, ResNet, ResNetSpec, SampleOrder,
    StopCriterion, TrainConfig, Xor, train,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::structured::StructuredCovariance;
use crate::variant::{FailureClass, Tracker, Variant, Watched, jacobian_norm};

/// The learning rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// H∞-learning: the g-EHF with the full covariance `P` (Table 1).
    Hinf,
    /// Steepest descent: the g-EHF with `P = ε0 I` fixed.
    Sd,
    /// Adam (Table 2).
    Adam,
}

impl Method {
    /// The CLI name ("hinf", "sd", "adam").
    pub fn name(self) -> &'static str {
        match self {
            Method::Hinf => "hinf",
            Method::Sd => "sd",
            Method::Adam => "adam",
        }
    }
    /// A human-readable name for reports.
    pub fn title(self) -> &'static str {
        match self {
            Method::Hinf => "H∞-learning (g-EHF)",
            Method::Sd => "steepest descent (P = ε0 I)",
            Method::Adam => "Adam",
        }
    }
}

/// The floating-point type trials run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// `f64`.
    #[default]
    F64,
    /// `f32`.
    F32,
}

/// How the g-EHF stores `P`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CovarianceKind {
    /// `ε0 I − Σ c_i u_i u_iᵀ` (`StructuredCovariance`), turning packed
    /// when that is cheaper. Exact; the default.
    #[default]
    Structured,
    /// The packed lower triangle (`hinf::PackedCovariance`) from the start
    /// (N_w(N_w+1)/2 elements).
    Packed,
    /// The full matrix (`hinf::DenseCovariance`, N_w² elements): the reference.
    Dense,
}

/// The error measure of the stopping rule (core [`StopCriterion`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// Σ e².
    Sse,
    /// ½ Σ e².
    HalfSse,
    /// Σ e² / (patterns × outputs).
    Mse,
    /// max |e|.
    MaxAbs,
}

impl From<StopCriterion> for Criterion {
    fn from(c: StopCriterion) -> Self {
        match c {
            StopCriterion::Sse => Criterion::Sse,
            StopCriterion::HalfSse => Criterion::HalfSse,
            StopCriterion::Mse => Criterion::Mse,
            StopCriterion::MaxAbs => Criterion::MaxAbs,
        }
    }
}
impl From<Criterion> for StopCriterion {
    fn from(c: Criterion) -> Self {
        match c {
            Criterion::Sse => StopCriterion::Sse,
            Criterion::HalfSse => StopCriterion::HalfSse,
            Criterion::Mse => StopCriterion::Mse,
            Criterion::MaxAbs => StopCriterion::MaxAbs,
        }
    }
}

/// Sample order of an epoch (core [`SampleOrder`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// 0, 1, 2, 3 every epoch.
    Fixed,
    /// A fresh permutation every epoch.
    Shuffled,
}

impl From<SampleOrder> for Order {
    fn from(o: SampleOrder) -> Self {
        match o {
            SampleOrder::Fixed => Order::Fixed,
            SampleOrder::Shuffled => Order::Shuffled,
        }
    }
}
impl From<Order> for SampleOrder {
    fn from(o: Order) -> Self {
        match o {
            Order::Fixed => SampleOrder::Fixed,
            Order::Shuffled => SampleOrder::Shuffled,
        }
    }
}

/// XOR input coding (core [`InputCoding`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inputs {
    /// {0, 1}.
    Binary,
    /// {−1, +1}.
    Bipolar,
}

impl From<InputCoding> for Inputs {
    fn from(c: InputCoding) -> Self {
        match c {
            InputCoding::Binary => Inputs::Binary,
            InputCoding::Bipolar => Inputs::Bipolar,
        }
    }
}
impl From<Inputs> for InputCoding {
    fn from(c: Inputs) -> Self {
        match c {
            Inputs::Binary => InputCoding::Binary,
            Inputs::Bipolar => InputCoding::Bipolar,
        }
    }
}

/// Adam per sample or per epoch (core [`AdamMode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdamModeArg {
    /// One step per sample.
    Sample,
    /// One step per epoch on the summed gradient.
    Batch,
}

impl From<AdamMode> for AdamModeArg {
    fn from(m: AdamMode) -> Self {
        match m {
            AdamMode::Sample => AdamModeArg::Sample,
            AdamMode::Batch => AdamModeArg::Batch,
        }
    }
}
impl From<AdamModeArg> for AdamMode {
    fn from(m: AdamModeArg) -> Self {
        match m {
            AdamModeArg::Sample => AdamMode::Sample,
            AdamModeArg::Batch => AdamMode::Batch,
        }
    }
}

/// Where the current Jacobian enters `P` (core [`GainOrder`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GainOrderArg {
    /// As printed: gain first, then the downdate.
    Paper,
    /// Downdate first, then the gain.
    CovarianceFirst,
}

impl From<GainOrder> for GainOrderArg {
    fn from(g: GainOrder) -> Self {
        match g {
            GainOrder::Paper => GainOrderArg::Paper,
            GainOrder::CovarianceFirst => GainOrderArg::CovarianceFirst,
        }
    }
}
impl From<GainOrderArg> for GainOrder {
    fn from(g: GainOrderArg) -> Self {
        match g {
            GainOrderArg::Paper => GainOrder::Paper,
            GainOrderArg::CovarianceFirst => GainOrder::CovarianceFirst,
        }
    }
}

/// Which errors the stopping rule measures (core [`ErrorTiming`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// All patterns with the weights after the epoch.
    AfterEpoch,
    /// The a-priori errors met during the epoch.
    DuringEpoch,
}

impl From<ErrorTiming> for Timing {
    fn from(t: ErrorTiming) -> Self {
        match t {
            ErrorTiming::AfterEpoch => Timing::AfterEpoch,
            ErrorTiming::DuringEpoch => Timing::DuringEpoch,
        }
    }
}
impl From<Timing> for ErrorTiming {
    fn from(t: Timing) -> Self {
        match t {
            Timing::AfterEpoch => ErrorTiming::AfterEpoch,
            Timing::DuringEpoch => ErrorTiming::DuringEpoch,
        }
    }
}

/// Everything that defines one training run except its seed.
///
/// `Default` is the paper's H∞ experiment at L = 5 with the core's
/// provisional defaults for what the paper leaves unstated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// The learning rule.
    pub method: Method,
    /// L = 2n + 3.
    pub layers: usize,
    /// ε0 of `P_{0|−1} = ε0 I` (H∞ and steepest descent).
    pub eps0: f64,
    /// γ_f (H∞).
    pub gamma: f64,
    /// Where the Jacobian enters `P` (H∞).
    pub gain_order: GainOrderArg,
    /// The stopping measure.
    pub criterion: Criterion,
    /// Stop when the measure is below this.
    pub tol: f64,
    /// A-posteriori or a-priori errors for the stopping rule.
    pub timing: Timing,
    /// Sample order.
    pub order: Order,
    /// XOR input coding.
    pub inputs: Inputs,
    /// Epoch cap.
    pub max_epochs: u32,
    /// Adam's step size α.
    pub adam_lr: f64,
    /// Adam's β1.
    pub adam_beta1: f64,
    /// Adam's β2.
    pub adam_beta2: f64,
    /// Adam's ε.
    pub adam_eps: f64,
    /// Adam per sample or per batch.
    pub adam_mode: AdamModeArg,
    /// Scalar type.
    pub precision: Precision,
    /// Initial weights uniform in [−init_range, init_range].
    pub init_range: f64,
    /// Storage of `P` for H∞.
    pub covariance: CovarianceKind,
    /// Off-by-default switches beyond the printed method
    /// ([`crate::variant`]).
    #[serde(default)]
    pub variant: Variant,
}

impl Default for TrialSpec {
    fn default() -> Self {
        let g = GEhfConfig::default();
        let t = TrainConfig::default();
        let a = AdamConfig::default();
        Self {
            method: Method::Hinf,
            layers: 5,
            eps0: g.eps0,
            gamma: g.gamma,
            gain_order: g.gain_order.into(),
            criterion: t.criterion.into(),
            tol: t.tol,
            timing: t.timing.into(),
            order: t.order.into(),
            inputs: InputCoding::default().into(),
            max_epochs: t.max_epochs,
            adam_lr: a.lr,
            adam_beta1: a.beta1,
            adam_beta2: a.beta2,
            adam_eps: a.eps,
            adam_mode: a.mode.into(),
            precision: Precision::F64,
            init_range: hinf::PAPER_INIT_RANGE,
            covariance: CovarianceKind::Structured,
            variant: Variant::default(),
        }
    }
}

impl TrialSpec {
    /// The network shape (fails on an invalid depth).
    pub fn net_spec(&self) -> hinf::Result<ResNetSpec> {
        ResNetSpec::xor(self.layers)
    }
    /// The core's g-EHF parameters.
    pub fn gehf_config(&self) -> GEhfConfig {
        GEhfConfig {
            gamma: self.gamma,
            eps0: self.eps0,
            gain_order: self.gain_order.into(),
        }
    }
    /// ε0 after [`Variant::eps0_scale`] (fails on an invalid depth).
    pub fn effective_eps0(&self) -> hinf::Result<f64> {
        Ok(self.variant.effective_eps0(self.eps0, &self.net_spec()?))
    }
    /// An upper bound on the memory one trial needs, in bytes (see
    /// [`crate::memory`]): the network's working memory, the optimizer's
    /// state (`P` at its largest over 4 downdates per epoch), the scratch,
    /// and the per-epoch error and outputs.
    pub fn memory_bytes(&self) -> hinf::Result<u128> {
        use crate::memory::{element_bytes, optimizer_elements};
        let spec = self.net_spec()?;
        let nw = spec.n_weights();
        let downdates = 4 * u128::from(self.max_epochs);
        let elements = spec.lanes_buffer_len() as u128
            + self.variant.scratch_len(nw) as u128
            + optimizer_elements(self.method, self.covariance, nw, downdates);
        let records = (u128::from(self.max_epochs) + 1) * 8 * 5;
        Ok(elements * element_bytes(self.precision) + records)
    }
    /// The core's Adam parameters.
    pub fn adam_config(&self) -> AdamConfig {
        AdamConfig {
            lr: self.adam_lr,
            beta1: self.adam_beta1,
            beta2: self.adam_beta2,
            eps: self.adam_eps,
            mode: self.adam_mode.into(),
        }
    }
    /// The core's training-loop parameters.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            criterion: self.criterion.into(),
            tol: self.tol,
            timing: self.timing.into(),
            order: self.order.into(),
            max_epochs: self.max_epochs,
        }
    }

    /// Checks every parameter, also those the chosen method does not use,
    /// with the core's checks and messages.
    pub fn validate(&self) -> hinf::Result<()> {
        self.net_spec()?;
        self.train_config().validate()?;
        // Every parameter is checked, also those the method does not use
        // (γ_f for steepest descent and Adam, Adam's for the g-EHF): a bad
        // value is an error, not silently ignored.
        self.gehf_config().validate()?;
        self.adam_config().validate()?;
        self.variant.validate()?;
        if self.method != Method::Adam {
            // ε0 after scaling must still be a valid ε0.
            GEhfConfig {
                gamma: hinf::PAPER_GAMMA,
                eps0: self.effective_eps0()?,
                ..self.gehf_config()
            }
            .validate()?;
        }
        if !(self.init_range.is_finite() && self.init_range >= 0.0) {
            return Err(hinf::Error::InvalidParameter {
                name: hinf::Param::InitRange,
            });
        }
        Ok(())
    }
}

/// `n` zeros, or [`hinf::Error::CapacityExceeded`] (capacity 0) if the
/// allocator refuses them: a clear error instead of an abort.
fn zeros<T: Real>(n: usize, what: &'static str) -> hinf::Result<Vec<T>> {
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

/// A whole experiment: `trials` runs of one [`TrialSpec`], trial i seeded
/// with [`trial_seed`]`(seed, i)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSpec {
    /// What each trial trains.
    pub trial: TrialSpec,
    /// Number of trials.
    pub trials: usize,
    /// Base seed.
    pub seed: u64,
}

/// What one trial gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Index of the trial in its experiment.
    pub trial: usize,
    /// The trial's own seed (rerun it alone with this).
    pub seed: u64,
    /// Epochs run.
    pub epochs: u32,
    /// The stopping rule held.
    pub converged: bool,
    /// The stopping measure at the end.
    pub final_error: f64,
    /// The stopping measure per epoch; `curve[0]` is the initial weights'.
    pub curve: Vec<f64>,
    /// Wall time of the trial.
    pub seconds: f64,
    /// Set if the run ended with an error (e.g. a diverging update).
    pub failure: Option<String>,
    /// Why the trial did not converge (`None` if it did); see
    /// [`crate::variant`] for the exact conditions.
    #[serde(default)]
    pub class: Option<FailureClass>,
    /// The epoch at which the condition of [`TrialResult::class`] first
    /// held (for good, up to the end); `None` for converged and slow trials.
    #[serde(default)]
    pub class_epoch: Option<u32>,
    /// The outputs of the four patterns at the end.
    #[serde(default)]
    pub final_outputs: Vec<f64>,
    /// The largest ‖H_k‖₂ over the patterns at the end (computed for failed
    /// trials only; 0 otherwise).
    #[serde(default)]
    pub jacobian_norm: f64,
    /// The epoch after which the run was found at an exact fixed point and
    /// its remaining epochs filled in (see [`run_trial_in`]); `None` if it
    /// ran every epoch.
    #[serde(default)]
    pub fixed_point_epoch: Option<u32>,
}

/// SplitMix64 (Steele, Lea & Flood): one step of the generator from `x`.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of trial `index` under base seed `base`:
/// `splitmix64(base ^ index)`. It depends on nothing else, so results do
/// not depend on the number of threads.
pub fn trial_seed(base: u64, index: usize) -> u64 {
    splitmix64(base ^ index as u64)
}

/// Runs one trial from `seed` (the generator is
/// `Xoshiro256PlusPlus::seed_from_u64(seed)`; it draws the initial weights,
/// then the permutations of a shuffled order). Fails only on an invalid
/// spec; a run that diverges is a non-converged [`TrialResult`] with
/// [`TrialResult::failure`] set.
pub fn run_trial(spec: &TrialSpec, seed: u64, index: usize) -> hinf::Result<TrialResult> {
    match spec.precision {
        Precision::F64 => run_trial_in::<f64>(spec, seed, index),
        Precision::F32 => run_trial_in::<f32>(spec, seed, index),
    }
}

/// [`run_trial`] in a chosen scalar type.
///
/// With a fixed sample order, a run whose whole state (weights, and the
/// learning rule's state where it has one it can compare: Adam's moments,
/// or nothing more for steepest descent) comes back bit for bit unchanged
/// after an epoch is at an exact fixed point: it is stopped there and its
/// remaining epochs are filled in with the same error and outputs, which
/// is what running them gives ([`crate::variant::Watched::watch_fixed_point`];
/// [`run_trial_every_epoch`] runs them all). Only the wall time differs.
pub fn run_trial_in<T: Real>(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<TrialResult> {
    run_trial_inner::<T>(spec, seed, index, false, true).map(|(r, _)| r)
}

/// [`run_trial`] running every epoch, even past an exact fixed point (to
/// check the shortcut of [`run_trial_in`]).
pub fn run_trial_every_epoch(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<TrialResult> {
    let r = match spec.precision {
        Precision::F64 => run_trial_inner::<f64>(spec, seed, index, false, false)?,
        Precision::F32 => run_trial_inner::<f32>(spec, seed, index, false, false)?,
    };
    Ok(r.0)
}

/// [`run_trial`], and the trained learner as a model file (`hinf::model`
/// format): the network and, for H∞ with N_w ≤ [`crate::model_file::MAX_SAVED_P`],
/// the filter's parameters and `P`, for Adam its whole state. It runs
/// every epoch (the saved state includes Adam's step count).
pub fn run_trial_with_model(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<(TrialResult, Vec<u8>)> {
    let (r, model) = match spec.precision {
        Precision::F64 => run_trial_inner::<f64>(spec, seed, index, true, false)?,
        Precision::F32 => run_trial_inner::<f32>(spec, seed, index, true, false)?,
    };
    Ok((r, model.unwrap_or_default()))
}

fn run_trial_inner<T: Real>(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    save: bool,
    shortcut: bool,
) -> hinf::Result<(TrialResult, Option<Vec<u8>>)> {
    spec.validate()?;
    let start = Instant::now();
    let net_spec = spec.net_spec()?;
    let nw = net_spec.n_weights();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(
        net_spec,
        zeros(net_spec.lanes_buffer_len(), "memory for the network")?,
    )?;
    net.init_uniform(&mut rng, spec.init_range)?;
    let (low, high) = spec.variant.targets.values();
    let xor = Xor::<T>::with_targets(spec.inputs.into(), low, high);
    let data = xor.samples();
    let config = spec.train_config();
    let mut order = [0usize; 4];
    let mut curve = Vec::new();
    let mut tracker = Tracker::new(xor.targets.iter().map(|t| t.to_f64()).collect());
    let fixed_at = std::cell::Cell::new(None);
    if config.timing != hinf::ErrorTiming::AfterEpoch {
        // (With after-epoch timing, `Watched` records epoch 0 from the loop.)
        tracker.record_net(&mut net, &data);
    }
    let var = &spec.variant;
    let scratch = var.scratch_len(nw);
    macro_rules! go {
        ($opt:expr) => {{
            let mut opt = $opt;
            let mut watched = Watched::new(&mut opt, data, &mut tracker, config.timing);
            if shortcut && config.order == hinf::SampleOrder::Fixed {
                watched = watched.watch_fixed_point(&fixed_at);
            }
            let outcome = train(
                &mut net,
                &mut watched,
                &data,
                &config,
                &mut rng,
                &mut order,
                |r: &hinf::EpochReport| {
                    curve.push(r.error);
                    fixed_at.get().is_none()
                },
            );
            // An exact fixed point: every remaining epoch repeats the last.
            let outcome = match (outcome, fixed_at.get()) {
                (Ok(o), Some(_)) if !o.converged && o.epochs < config.max_epochs => {
                    let rest = (config.max_epochs - o.epochs) as usize;
                    curve.extend(std::iter::repeat_n(o.final_error, rest));
                    let last = tracker.last_outputs().to_vec();
                    for _ in 0..rest {
                        tracker.record(last.clone());
                    }
                    Ok(hinf::TrainOutcome {
                        epochs: config.max_epochs,
                        ..o
                    })
                }
                (other, _) => other,
            };
            let model = if save {
                Some(crate::model_file::SaveState::model_bytes(&opt, &net)?)
            } else {
                None
            };
            (outcome, model)
        }};
    }
    let eps0_f = spec.effective_eps0()?;
    let (outcome, model) = match spec.method {
        Method::Adam => go!(Adam::new(
            spec.adam_config(),
            nw,
            zeros(3 * nw, "memory for the adam state")?
        )?),
        Method::Sd => {
            let cfg = GEhfConfig {
                gamma: hinf::PAPER_GAMMA,
                eps0: eps0_f,
                ..spec.gehf_config()
            };
            let p = IsotropicCovariance::new(nw, T::from_f64(eps0_f))?;
            go!(
                GEhf::new(cfg, p, zeros(scratch, "memory for the g-EHF scratch")?)?
                    .with_extension(var.extension())?
            )
        }
        Method::Hinf => {
            let cfg = GEhfConfig {
                eps0: eps0_f,
                ..spec.gehf_config()
            };
            let eps0 = T::from_f64(eps0_f);
            let (ext, reg) = (var.extension(), var.regularization());
            match spec.covariance {
                CovarianceKind::Structured => {
                    let p = StructuredCovariance::new(nw, eps0);
                    go!(
                        GEhf::new(cfg, p, zeros(scratch, "memory for the g-EHF scratch")?)?
                            .with_extension(ext)?
                            .with_regularization(reg)?
                    )
                }
                CovarianceKind::Packed => {
                    let p = PackedCovariance::new(
                        nw,
                        eps0,
                        zeros(net_spec.n_packed(), "memory for the packed covariance")?,
                    )?;
                    go!(
                        GEhf::new(cfg, p, zeros(scratch, "memory for the g-EHF scratch")?)?
                            .with_extension(ext)?
                            .with_regularization(reg)?
                    )
                }
                CovarianceKind::Dense => {
                    let p = DenseCovariance::new(
                        nw,
                        eps0,
                        zeros(nw * nw, "memory for the dense covariance")?,
                    )?;
                    go!(
                        GEhf::new(cfg, p, zeros(scratch, "memory for the g-EHF scratch")?)?
                            .with_extension(ext)?
                            .with_regularization(reg)?
                    )
                }
            }
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut result = match outcome {
        Ok(o) => TrialResult {
            trial: index,
            seed,
            epochs: o.epochs,
            converged: o.converged,
            final_error: o.final_error,
            curve,
            seconds,
            failure: None,
            class: None,
            class_epoch: None,
            final_outputs: Vec::new(),
            jacobian_norm: 0.0,
            fixed_point_epoch: None,
        },
        Err(e) => TrialResult {
            trial: index,
            seed,
            epochs: curve.len().saturating_sub(1) as u32,
            converged: false,
            final_error: curve.last().copied().unwrap_or(f64::NAN),
            curve,
            seconds,
            failure: Some(e.to_string()),
            class: None,
            class_epoch: None,
            final_outputs: Vec::new(),
            jacobian_norm: 0.0,
            fixed_point_epoch: None,
        },
    };
    let diverged = result.failure.is_some() || !result.final_error.is_finite();
    let (class, at) = tracker.classify(result.converged, diverged, result.epochs);
    result.class = class;
    result.class_epoch = at;
    result.fixed_point_epoch = fixed_at.get();
    result.final_outputs = tracker.last_outputs().to_vec();
    if !result.converged {
        result.jacobian_norm = jacobian_norm(&mut net, &data);
    }
    Ok((result, model))
}

/// The trials of an experiment, its summary and wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResult {
    /// What was run.
    pub spec: ExperimentSpec,
    /// Every trial, in index order.
    pub trials: Vec<TrialResult>,
    /// Statistics over the trials.
    pub summary: Summary,
}

/// Runs every trial of `spec` in parallel on the current rayon pool.
/// `on_trial` is called (from worker threads) as each trial finishes.
pub fn run_experiment(
    spec: &ExperimentSpec,
    on_trial: &(dyn Fn(&TrialResult) + Sync),
) -> hinf::Result<ExperimentResult> {
    spec.trial.validate()?;
    let start = Instant::now();
    let trials = (0..spec.trials)
        .into_par_iter()
        .map(|i| {
            let r = run_trial(&spec.trial, trial_seed(spec.seed, i), i);
            if let Ok(r) = &r {
                on_trial(r);
            }
            r
        })
        .collect::<hinf::Result<Vec<_>>>()?;
    let seconds = start.elapsed().as_secs_f64();
    let summary = Summary::new(spec, &trials, seconds)?;
    Ok(ExperimentResult {
        spec: *spec,
        trials,
        summary,
    })
}

/// Statistics of an experiment. Epoch statistics are over the converged
/// trials only (`None` if there are none; `std_epochs` needs two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The learning rule.
    pub method: Method,
    /// L.
    pub layers: usize,
    /// N_w.
    pub n_weights: usize,
    /// Trials run.
    pub trials: usize,
    /// Trials whose stopping rule held.
    pub converged: usize,
    /// Trials that ended with an error (diverged).
    pub failed: usize,
    /// Mean epochs to stop.
    pub mean_epochs: Option<f64>,
    /// Sample standard deviation (n − 1) of the epochs to stop.
    pub std_epochs: Option<f64>,
    /// Median epochs to stop.
    pub median_epochs: Option<f64>,
    /// Fewest epochs to stop.
    pub min_epochs: Option<u32>,
    /// Most epochs to stop.
    pub max_epochs: Option<u32>,
    /// Wall time of the whole experiment.
    pub seconds: f64,
    /// Mean wall time of one trial (single-threaded).
    pub mean_trial_seconds: f64,
    /// Base seed.
    pub seed: u64,
    /// Every setting used.
    pub settings: TrialSpec,
}

impl Summary {
    /// Summarises `trials` of `spec`, which took `seconds` in all.
    pub fn new(spec: &ExperimentSpec, trials: &[TrialResult], seconds: f64) -> hinf::Result<Self> {
        let epochs: Vec<u32> = trials
            .iter()
            .filter(|t| t.converged)
            .map(|t| t.epochs)
            .collect();
        let stats = EpochStats::of(&epochs);
        Ok(Self {
            method: spec.trial.method,
            layers: spec.trial.layers,
            n_weights: spec.trial.net_spec()?.n_weights(),
            trials: trials.len(),
            converged: epochs.len(),
            failed: trials.iter().filter(|t| t.failure.is_some()).count(),
            mean_epochs: stats.mean,
            std_epochs: stats.std,
            median_epochs: stats.median,
            min_epochs: stats.min,
            max_epochs: stats.max,
            seconds,
            mean_trial_seconds: if trials.is_empty() {
                0.0
            } else {
                trials.iter().map(|t| t.seconds).sum::<f64>() / trials.len() as f64
            },
            seed: spec.seed,
            settings: spec.trial,
        })
    }
}

/// Mean, sample std, median, min and max of a list of epoch counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochStats {
    /// Mean (`None` if empty).
    pub mean: Option<f64>,
    /// Sample standard deviation (`None` below two values).
    pub std: Option<f64>,
    /// Median (`None` if empty).
    pub median: Option<f64>,
    /// Minimum.
    pub min: Option<u32>,
    /// Maximum.
    pub max: Option<u32>,
}

impl EpochStats {
    /// The statistics of `epochs`.
    pub fn of(epochs: &[u32]) -> Self {
        if epochs.is_empty() {
            return Self::default();
        }
        let n = epochs.len() as f64;
        let mean = epochs.iter().map(|&e| f64::from(e)).sum::<f64>() / n;
        let std = (epochs.len() > 1).then(|| {
            let ss: f64 = epochs.iter().map(|&e| (f64::from(e) - mean).powi(2)).sum();
            (ss / (n - 1.0)).sqrt()
        });
        let mut sorted = epochs.to_vec();
        sorted.sort_unstable();
        let m = sorted.len();
        let median = if m % 2 == 1 {
            f64::from(sorted[m / 2])
        } else {
            0.5 * (f64::from(sorted[m / 2 - 1]) + f64::from(sorted[m / 2]))
        };
        Self {
            mean: Some(mean),
            std,
            median: Some(median),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_by_hand() {
        let s = EpochStats::of(&[1, 2, 3, 4]);
        assert_eq!(s.mean, Some(2.5));
        assert_eq!(s.median, Some(2.5));
        assert!((s.std.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!((s.min, s.max), (Some(1), Some(4)));
        let one = EpochStats::of(&[7]);
        assert_eq!(
            (one.mean, one.std, one.median),
            (Some(7.0), None, Some(7.0))
        );
        assert_eq!(EpochStats::of(&[]), EpochStats::default());
    }

    #[test]
    fn seeds_are_distinct_and_stable() {
        let a: Vec<u64> = (0..100).map(|i| trial_seed(1, i)).collect();
        let mut b = a.clone();
        b.sort_unstable();
        b.dedup();
        assert_eq!(b.len(), 100);
        // SplitMix64's published first output for state 0 (after one increment).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn defaults_come_from_the_core() {
        let s = TrialSpec::default();
        assert_eq!(s.eps0, hinf::DEFAULT_EPS0);
        assert_eq!(s.train_config(), TrainConfig::default());
        assert_eq!(s.adam_config(), AdamConfig::default());
        assert_eq!(s.gehf_config(), GEhfConfig::default());
    }
}
