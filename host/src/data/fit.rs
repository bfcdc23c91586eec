//! `hinf fit`: trains H∞-learning, steepest descent or Adam on a
//! [`Dataset`] with the one optimizer factory ([`crate::learn::build`]),
//! stopping on a training-MSE tolerance and/or, with held-out rows, early
//! ([`super::early_stop`]).

use std::cell::Cell;
use std::time::Instant;

use hinf::model::Model;
use hinf::{
    AdamConfig, EpochReport, Extension, GEhfConfig, Real, Regularization, ResNet, ResNetSpec,
    SampleOrder, Samples, StopCriterion, TrainConfig, TrainOutcome, train,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::early_stop::{Best, Validated};
use super::encoding::Dataset;
use super::error::DataError;
use crate::learn::{Learner, LearnerSpec, WithOptimizer, build, zeros};
use crate::settings::{DEFAULT_MEMORY, FitSpec};

/// Why a fit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// The training MSE fell below the tolerance.
    Tolerance,
    /// The best validation MSE was `patience` epochs old.
    Validation,
    /// The epoch cap.
    MaxEpochs,
    /// An update was refused.
    Failure,
}

/// How a fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOutcome {
    /// A stopping rule held (the tolerance, or the validation patience).
    pub converged: bool,
    /// Why it stopped.
    pub stop: Stop,
    /// Epochs run.
    pub epochs: u32,
    /// With held-out rows: the epoch whose weights were kept (the best on
    /// them) and its validation MSE.
    pub kept: Option<Best>,
    /// Training MSE per epoch (`curve[0]`: the initial weights).
    pub curve: Vec<f64>,
    /// Wall time of the training.
    pub seconds: f64,
    /// Set if an update was refused (e.g. it would diverge); training
    /// stopped there with the last good weights.
    pub failure: Option<String>,
}

/// The optimizer of a fit: H∞ with its `P` as `spec.covariance`, steepest
/// descent, or Adam with the paper's settings but α; no extension.
pub fn learner_spec(spec: &FitSpec, n_weights: usize, n_outputs: usize) -> LearnerSpec {
    LearnerSpec {
        method: spec.method,
        covariance: spec.covariance,
        memory: spec.memory().unwrap_or(DEFAULT_MEMORY),
        gehf: GEhfConfig {
            gamma: spec.gamma,
            eps0: spec.eps0,
            ..GEhfConfig::default()
        },
        adam: AdamConfig {
            lr: spec.adam_lr,
            ..AdamConfig::default()
        },
        extension: Extension::None,
        regularization: Regularization::NONE,
        scratch: n_outputs * n_weights,
    }
}

/// The training loop's settings of a fit: training MSE below the
/// tolerance (without one, below the smallest positive number: never),
/// rows shuffled every epoch unless not.
fn train_config(spec: &FitSpec) -> TrainConfig {
    TrainConfig {
        criterion: StopCriterion::Mse,
        tol: spec.tol.unwrap_or(f64::MIN_POSITIVE),
        order: if spec.shuffle {
            SampleOrder::Shuffled
        } else {
            SampleOrder::Fixed
        },
        max_epochs: spec.max_epochs,
        ..TrainConfig::default()
    }
}

/// Trains a new network on `data` in precision `T` (`f64` or `f32`: the
/// network, the optimiser's state and the arithmetic; H∞ with the exact
/// structured `P`). The data are rounded to `T`; the reported errors are
/// f64.
pub fn fit<T: Real>(
    data: &Dataset,
    spec: &FitSpec,
) -> Result<(ResNet<T, Vec<T>>, FitOutcome), DataError> {
    fit_from(data, None, spec, None)
}

/// [`fit`], validating on `held_out` rows with `spec.patience` (if both
/// are given and there are rows: see [`super::early_stop`]), from a saved
/// network (`from`, a core model file of precision `T` and the shape
/// `spec` and `data` give) instead of fresh weights if given; the
/// optimizer starts afresh unless the file holds its state.
pub fn fit_from<T: Real>(
    data: &Dataset,
    held_out: Option<&Dataset>,
    spec: &FitSpec,
    from: Option<&Model<'_>>,
) -> Result<(ResNet<T, Vec<T>>, FitOutcome), DataError> {
    let m = data.n_outputs;
    let net_spec = ResNetSpec::new(data.n_inputs, spec.width, m, spec.layers, spec.slope)?;
    let (inputs, targets) = data.cast::<T>();
    let samples = Samples::new(&inputs, data.n_inputs, &targets, m)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let buffer = zeros(net_spec.buffer_len(), "memory for the network")?;
    let mut net = ResNet::new(net_spec, buffer)?;
    net.init_uniform(&mut rng, spec.init_range)?;
    let config = train_config(spec);
    config.validate()?;
    let learner = learner_spec(spec, net_spec.n_weights(), m);
    let held = held_out.filter(|h| !h.is_empty()).map(Dataset::cast::<T>);
    let validation = match (&held, spec.patience) {
        (Some((x, y)), Some(p)) => Some((Samples::new(x, data.n_inputs, y, m)?, p)),
        _ => None,
    };
    let start = Instant::now();
    let run = FitRun {
        net: &mut net,
        data: samples,
        validation,
        config,
        rng: &mut rng,
    };
    let (outcome, curve, kept) = build(&learner, &net_spec, from, run)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((net, outcome_of(outcome, curve, kept, seconds, spec)))
}

/// The [`FitOutcome`] of a training loop's outcome.
fn outcome_of(
    outcome: hinf::Result<TrainOutcome>,
    curve: Vec<f64>,
    kept: Option<Best>,
    seconds: f64,
    spec: &FitSpec,
) -> FitOutcome {
    let (stop, epochs, failure) = match outcome {
        Ok(o) if o.converged => (Stop::Tolerance, o.epochs, None),
        Ok(o) if o.epochs < spec.max_epochs && kept.is_some() => (Stop::Validation, o.epochs, None),
        Ok(o) => (Stop::MaxEpochs, o.epochs, None),
        Err(e) => (
            Stop::Failure,
            curve.len().saturating_sub(1) as u32,
            Some(e.to_string()),
        ),
    };
    FitOutcome {
        converged: matches!(stop, Stop::Tolerance | Stop::Validation),
        stop,
        epochs,
        kept,
        curve,
        seconds,
        failure,
    }
}

/// One fit's training loop, for whatever optimizer [`build`] made, with
/// the held-out rows and patience if it validates.
struct FitRun<'a, 'd, T: Real> {
    net: &'a mut ResNet<T, Vec<T>>,
    data: Samples<'d, T>,
    validation: Option<(Samples<'d, T>, u32)>,
    config: TrainConfig,
    rng: &'a mut Xoshiro256PlusPlus,
}

impl<T: Real> WithOptimizer<T> for FitRun<'_, '_, T> {
    /// The loop's outcome, the training MSE per epoch, the kept epoch.
    type Output = (hinf::Result<TrainOutcome>, Vec<f64>, Option<Best>);

    fn net(&mut self) -> &mut ResNet<T, Vec<T>> {
        self.net
    }

    fn run<O: Learner<T>>(self, opt: O) -> hinf::Result<Self::Output> {
        let mut order = vec![0usize; self.data.len()];
        let mut curve = Vec::new();
        let stop = Cell::new(false);
        let on_epoch = |r: &EpochReport| {
            curve.push(r.error);
            !stop.get()
        };
        let Some((held, patience)) = self.validation else {
            let mut opt = opt;
            let (net, data, config) = (self.net, &self.data, &self.config);
            let outcome = train(net, &mut opt, data, config, self.rng, &mut order, on_epoch);
            return Ok((outcome, curve, None));
        };
        let mut v = Validated::new(opt, held, patience, &stop);
        let (net, data, config) = (&mut *self.net, &self.data, &self.config);
        let outcome = train(net, &mut v, data, config, self.rng, &mut order, on_epoch);
        let kept = v.restore(self.net);
        Ok((outcome, curve, kept))
    }
}
