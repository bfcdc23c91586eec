//! One trial: a [`TrialSpec`] trained from one seed gives a [`TrialResult`].

use std::time::Instant;

use hinf::model::Model;
use hinf::{Real, ResNet, TrainOutcome, Xor};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::learn::{
    Driven, Driver, EpochHook, FailureClass, LearnerSpec, RunMode, Tracker, build, jacobian_norm,
    zeros,
};
use crate::settings::{DEFAULT_MEMORY, Method, Precision, TrialSpec};

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
    #[serde(with = "super::floats::one")]
    pub final_error: f64,
    /// The stopping measure per epoch; `curve[0]` is the initial weights'.
    #[serde(with = "super::floats::many")]
    pub curve: Vec<f64>,
    /// Wall time of the trial.
    pub seconds: f64,
    /// Set if the run ended with an error (e.g. a diverging update).
    pub failure: Option<String>,
    /// Why the trial did not converge (`None` if it did); see
    /// [`crate::learn::classify`] for the exact conditions.
    #[serde(default)]
    pub class: Option<FailureClass>,
    /// The epoch at which the condition of [`TrialResult::class`] first
    /// held (for good, up to the end); `None` for converged and slow trials.
    #[serde(default)]
    pub class_epoch: Option<u32>,
    /// The outputs of the four patterns at the end.
    #[serde(default, with = "super::floats::many")]
    pub final_outputs: Vec<f64>,
    /// The largest ‖H_k‖₂ over the patterns at the end (computed for failed
    /// trials only; 0 otherwise).
    #[serde(default, with = "super::floats::one")]
    pub jacobian_norm: f64,
    /// The epoch after which the run was found at an exact fixed point and
    /// its remaining epochs filled in (see [`run_trial_in`]); `None` if it
    /// ran every epoch.
    #[serde(default)]
    pub fixed_point_epoch: Option<u32>,
}

/// Runs one trial from `seed` (the generator is
/// `Xoshiro256PlusPlus::seed_from_u64(seed)`; it draws the initial weights,
/// then the permutations of a shuffled order). Fails only on an invalid
/// spec; a run that diverges is a non-converged [`TrialResult`] with
/// [`TrialResult::failure`] set.
pub fn run_trial(spec: &TrialSpec, seed: u64, index: usize) -> hinf::Result<TrialResult> {
    run_trial_watched(spec, seed, index, None, None)
}

/// [`run_trial`] from a saved learner (`from`: its network, and its `P` or
/// Adam's state where the file holds them) instead of fresh weights; the
/// seed then draws only the shuffled orders.
pub fn run_trial_from(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    from: Option<&Model<'_>>,
) -> hinf::Result<TrialResult> {
    run_trial_watched(spec, seed, index, from, None)
}

/// [`run_trial_from`], with `on_epoch` seeing every epoch and able to stop
/// the trial (which then ends early, not converged).
pub fn run_trial_watched(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    from: Option<&Model<'_>>,
    on_epoch: Option<EpochHook<'_>>,
) -> hinf::Result<TrialResult> {
    in_precision(spec, seed, index, RunMode::Shortcut, from, on_epoch).map(|(r, _)| r)
}

/// [`run_trial`] in a chosen scalar type.
///
/// With a fixed sample order, a run whose whole state (weights, and the
/// learning rule's state where it has one it can compare: Adam's moments,
/// or nothing more for steepest descent) comes back bit for bit unchanged
/// after an epoch is at an exact fixed point: it is stopped there and its
/// remaining epochs are filled in with the same error and outputs, which
/// is what running them gives ([`crate::learn::Watched::watch_fixed_point`];
/// [`run_trial_every_epoch`] runs them all). Only the wall time differs.
pub fn run_trial_in<T: Real>(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<TrialResult> {
    run_in::<T>(spec, seed, index, RunMode::Shortcut, None, None).map(|(r, _)| r)
}

/// [`run_trial`] running every epoch, even past an exact fixed point (to
/// check the shortcut of [`run_trial_in`]).
pub fn run_trial_every_epoch(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<TrialResult> {
    in_precision(spec, seed, index, RunMode::EveryEpoch, None, None).map(|(r, _)| r)
}

/// [`run_trial`], and the trained learner as a model file (`hinf::model`
/// format): the network and, for H∞ with N_w ≤ [`crate::learn::MAX_SAVED_P`]
/// or a window covariance at any N_w, the filter's parameters and `P`
/// ([`crate::learn::SaveState`]), for Adam its whole state. It runs
/// every epoch (the saved state includes Adam's step count); `from` and
/// `on_epoch` as in [`run_trial_watched`].
pub fn run_trial_with_model(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    from: Option<&Model<'_>>,
    on_epoch: Option<EpochHook<'_>>,
) -> hinf::Result<(TrialResult, Vec<u8>)> {
    let (r, model) = in_precision(spec, seed, index, RunMode::KeepModel, from, on_epoch)?;
    Ok((r, model.unwrap_or_default()))
}

fn in_precision(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    mode: RunMode,
    from: Option<&Model<'_>>,
    on_epoch: Option<EpochHook<'_>>,
) -> hinf::Result<(TrialResult, Option<Vec<u8>>)> {
    match spec.precision {
        Precision::F64 => run_in::<f64>(spec, seed, index, mode, from, on_epoch),
        Precision::F32 => run_in::<f32>(spec, seed, index, mode, from, on_epoch),
    }
}

/// The optimizer a trial spec names: steepest descent at the paper's γ_f
/// and without regularization, ε0 after its scaling.
pub fn learner_spec(spec: &TrialSpec) -> hinf::Result<LearnerSpec> {
    let eps0 = spec.effective_eps0()?;
    let gamma = match spec.method {
        Method::Sd => hinf::PAPER_GAMMA,
        _ => spec.gamma,
    };
    Ok(LearnerSpec {
        method: spec.method,
        covariance: spec.covariance,
        memory: spec.memory().unwrap_or(DEFAULT_MEMORY),
        gehf: hinf::GEhfConfig {
            gamma,
            eps0,
            ..spec.gehf_config()
        },
        adam: spec.adam_config(),
        extension: spec.variant.extension(),
        regularization: spec.variant.regularization(),
        scratch: spec.variant.scratch_len(spec.net_spec()?.n_weights()),
    })
}

fn run_in<T: Real>(
    spec: &TrialSpec,
    seed: u64,
    index: usize,
    mode: RunMode,
    from: Option<&Model<'_>>,
    on_epoch: Option<EpochHook<'_>>,
) -> hinf::Result<(TrialResult, Option<Vec<u8>>)> {
    spec.validate()?;
    let start = Instant::now();
    let net_spec = spec.net_spec()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let buffer = zeros(net_spec.lanes_buffer_len(), "memory for the network")?;
    let mut net = ResNet::new(net_spec, buffer)?;
    net.init_uniform(&mut rng, spec.init_range)?;
    let (low, high) = spec.variant.targets.values();
    let xor = Xor::<T>::with_targets(spec.inputs.into(), low, high);
    let data = xor.samples();
    let config = spec.train_config();
    let mut tracker = Tracker::new(xor.targets.iter().map(|t| t.to_f64()).collect());
    let driver = Driver {
        net: &mut net,
        data,
        config,
        rng: &mut rng,
        tracker: &mut tracker,
        mode,
        on_epoch,
    };
    let driven = build(&learner_spec(spec)?, &net_spec, from, driver)?;
    let seconds = start.elapsed().as_secs_f64();
    let Driven {
        outcome,
        curve,
        fixed_point_epoch,
        model,
    } = driven;
    let mut result = TrialResult::new(index, seed, outcome, curve, seconds);
    let diverged = result.failure.is_some() || !result.final_error.is_finite();
    (result.class, result.class_epoch) =
        tracker.classify(result.converged, diverged, result.epochs);
    result.fixed_point_epoch = fixed_point_epoch;
    result.final_outputs = tracker.last_outputs().to_vec();
    if !result.converged {
        result.jacobian_norm = jacobian_norm(&mut net, &data);
    }
    Ok((result, model))
}

impl TrialResult {
    /// A result from the training loop's outcome, before classification.
    fn new(
        trial: usize,
        seed: u64,
        outcome: hinf::Result<TrainOutcome>,
        curve: Vec<f64>,
        seconds: f64,
    ) -> Self {
        let (epochs, converged, final_error, failure) = match outcome {
            Ok(o) => (o.epochs, o.converged, o.final_error, None),
            Err(e) => (
                curve.len().saturating_sub(1) as u32,
                false,
                curve.last().copied().unwrap_or(f64::NAN),
                Some(e.to_string()),
            ),
        };
        Self {
            trial,
            seed,
            epochs,
            converged,
            final_error,
            curve,
            seconds,
            failure,
            class: None,
            class_epoch: None,
            final_outputs: Vec::new(),
            jacobian_norm: 0.0,
            fixed_point_epoch: None,
        }
    }
}
