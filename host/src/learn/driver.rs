//! The one trial driver: trains a net with whatever optimizer
//! [`super::build`] made (fresh, or from a saved learner), recording the
//! curve and the outputs for the failure classes (epoch 0 included), with
//! the exact fixed-point shortcut, and keeping the trained learner as a
//! model file if asked.

use std::cell::Cell;

use hinf::{
    EpochReport, ErrorTiming, Real, ResNet, SampleOrder, Samples, TrainConfig, TrainOutcome, train,
};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::classify::Tracker;
use super::optimizer::{Learner, WithOptimizer};
use super::watch::Watched;

/// How a trial runs its epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Stops at an exact fixed point and fills in the remaining epochs
    /// ([`Watched::watch_fixed_point`]); the default.
    Shortcut,
    /// Runs every epoch.
    EveryEpoch,
    /// Runs every epoch and keeps the trained learner as a model file.
    KeepModel,
}

/// One training run of a net on a data set: everything but the optimizer.
pub struct Driver<'a, 'd, T: Real> {
    /// The network, initialised.
    pub net: &'a mut ResNet<T, Vec<T>>,
    /// The training set.
    pub data: Samples<'d, T>,
    /// The core's training loop settings.
    pub config: TrainConfig,
    /// The generator of shuffled orders.
    pub rng: &'a mut Xoshiro256PlusPlus,
    /// Records the outputs after each epoch.
    pub tracker: &'a mut Tracker,
    /// Shortcut, every epoch, or keep the model.
    pub mode: RunMode,
    /// Sees the epochs done after each epoch and says whether to go on
    /// (`None`: no cost per epoch).
    pub on_epoch: Option<EpochHook<'a>>,
}

/// A per-epoch check of a running trial: gets the epochs done (0: the
/// initial weights), returns whether to go on.
pub type EpochHook<'a> = &'a (dyn Fn(u32) -> bool + Sync);

/// What a [`Driver`] gives.
#[derive(Debug)]
pub struct Driven {
    /// The training loop's outcome (an error if an update was refused).
    pub outcome: hinf::Result<TrainOutcome>,
    /// The stopping measure per epoch; `curve[0]` is the initial weights'.
    pub curve: Vec<f64>,
    /// The epoch after which the run sat at an exact fixed point.
    pub fixed_point_epoch: Option<u32>,
    /// The trained learner as a model file ([`RunMode::KeepModel`]).
    pub model: Option<Vec<u8>>,
}

impl<T: Real> WithOptimizer<T> for Driver<'_, '_, T> {
    type Output = Driven;

    fn net(&mut self) -> &mut ResNet<T, Vec<T>> {
        self.net
    }

    fn run<O: Learner<T>>(self, mut opt: O) -> hinf::Result<Driven> {
        if self.config.timing != ErrorTiming::AfterEpoch {
            // (With after-epoch timing, `Watched` records epoch 0 from the loop.)
            self.tracker.record_net(self.net, &self.data);
        }
        let fixed_at = Cell::new(None);
        let mut curve = Vec::new();
        let mut order = vec![0usize; self.data.len()];
        let outcome = {
            let mut watched = Watched::new(&mut opt, self.data, self.tracker, self.config.timing);
            if self.mode == RunMode::Shortcut && self.config.order == SampleOrder::Fixed {
                watched = watched.watch_fixed_point(&fixed_at);
            }
            let hook = self.on_epoch;
            let on_epoch = |r: &EpochReport| {
                curve.push(r.error);
                let go = hook.is_none_or(|f| f(r.epoch));
                go && fixed_at.get().is_none()
            };
            let (net, data, config) = (&mut *self.net, &self.data, &self.config);
            train(
                net,
                &mut watched,
                data,
                config,
                self.rng,
                &mut order,
                on_epoch,
            )
        };
        let outcome = fill_in_fixed_point(
            outcome,
            fixed_at.get(),
            &self.config,
            &mut curve,
            self.tracker,
        );
        let model = match self.mode {
            RunMode::KeepModel => Some(opt.model_bytes(self.net)?),
            _ => None,
        };
        Ok(Driven {
            outcome,
            curve,
            fixed_point_epoch: fixed_at.get(),
            model,
        })
    }
}

/// At an exact fixed point every remaining epoch repeats the last: fills
/// them in (curve and outputs) up to the epoch cap.
fn fill_in_fixed_point(
    outcome: hinf::Result<TrainOutcome>,
    fixed_at: Option<u32>,
    config: &TrainConfig,
    curve: &mut Vec<f64>,
    tracker: &mut Tracker,
) -> hinf::Result<TrainOutcome> {
    match (outcome, fixed_at) {
        (Ok(o), Some(_)) if !o.converged && o.epochs < config.max_epochs => {
            let rest = (config.max_epochs - o.epochs) as usize;
            curve.extend(std::iter::repeat_n(o.final_error, rest));
            let last = tracker.last_outputs().to_vec();
            for _ in 0..rest {
                tracker.record(last.clone());
            }
            Ok(TrainOutcome {
                epochs: config.max_epochs,
                ..o
            })
        }
        (other, _) => other,
    }
}
