//! `hinf fit`: trains H∞-learning, steepest descent or Adam on a
//! [`Dataset`] with the one optimizer factory ([`crate::learn::build`]).

use std::time::Instant;

use hinf::model::Model;
use hinf::{
    AdamConfig, EpochReport, Extension, GEhfConfig, Real, Regularization, ResNet, ResNetSpec,
    SampleOrder, Samples, StopCriterion, TrainConfig, TrainOutcome, train,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::encoding::Dataset;
use super::error::DataError;
use crate::learn::{Learner, LearnerSpec, WithOptimizer, build, zeros};
use crate::settings::{CovarianceKind, FitSpec};

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

/// The optimizer of a fit: H∞ with the exact structured `P`, steepest
/// descent, or Adam with the paper's settings but α; no extension.
pub fn learner_spec(spec: &FitSpec, n_weights: usize, n_outputs: usize) -> LearnerSpec {
    LearnerSpec {
        method: spec.method,
        covariance: CovarianceKind::Structured,
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
/// tolerance, rows shuffled every epoch unless not.
fn train_config(spec: &FitSpec) -> TrainConfig {
    TrainConfig {
        criterion: StopCriterion::Mse,
        tol: spec.tol,
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
    fit_from(data, spec, None)
}

/// [`fit`] from a saved network (`from`, a core model file of precision
/// `T` and the shape `spec` and `data` give) instead of fresh weights; the
/// optimizer starts afresh unless the file holds its state.
pub fn fit_from<T: Real>(
    data: &Dataset,
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
    let start = Instant::now();
    let run = FitRun {
        net: &mut net,
        data: samples,
        config,
        rng: &mut rng,
    };
    let (outcome, curve) = build(&learner, net_spec.n_weights(), from, run)?;
    let seconds = start.elapsed().as_secs_f64();
    let (converged, epochs, failure) = match outcome {
        Ok(o) => (o.converged, o.epochs, None),
        Err(e) => (
            false,
            curve.len().saturating_sub(1) as u32,
            Some(e.to_string()),
        ),
    };
    let out = FitOutcome {
        converged,
        epochs,
        curve,
        seconds,
        failure,
    };
    Ok((net, out))
}

/// One fit's training loop, for whatever optimizer [`build`] made.
struct FitRun<'a, 'd, T: Real> {
    net: &'a mut ResNet<T, Vec<T>>,
    data: Samples<'d, T>,
    config: TrainConfig,
    rng: &'a mut Xoshiro256PlusPlus,
}

impl<T: Real> WithOptimizer<T> for FitRun<'_, '_, T> {
    type Output = (hinf::Result<TrainOutcome>, Vec<f64>);

    fn net(&mut self) -> &mut ResNet<T, Vec<T>> {
        self.net
    }

    fn run<O: Learner<T>>(self, mut opt: O) -> hinf::Result<Self::Output> {
        let mut order = vec![0usize; self.data.len()];
        let mut curve = Vec::new();
        let on_epoch = |r: &EpochReport| {
            curve.push(r.error);
            true
        };
        let outcome = train(
            self.net,
            &mut opt,
            &self.data,
            &self.config,
            self.rng,
            &mut order,
            on_epoch,
        );
        Ok((outcome, curve))
    }
}
