//! Early stopping on held-out rows, `fit`'s default for regression: a
//! fifth of the training rows is held out, the MSE on them measured after
//! every epoch, and training stops once its best is [`DEFAULT_PATIENCE`]
//! epochs old; the best epoch's weights are kept.
//!
//! The paper is silent (its XOR task has no held-out data). The rule and
//! its patience were chosen by `host/examples/regression_stop.rs` (three
//! regression sets, three methods, L = 5 and 21, 10 seeds, 200 epochs; see
//! docs/own-data.md): it gave a test RMSE within 7 % of the best epoch's
//! for H∞ on every set, where the training-MSE tolerance 0.01 stopped the
//! sine after 1 or 2 epochs at 2.6–2.7 times it, and a training-MSE
//! plateau ran on Wine's alcohol into overfitting (1.3–1.4 times); a
//! patience of 20 did as well as 5 or 10 for H∞ and best for steepest
//! descent and Adam.

use std::cell::Cell;

use hinf::{Optimizer, Real, ResNet, Samples, StepReport, StopCriterion};

use serde::{Deserialize, Serialize};

use super::encoding::split_indices;

/// The fraction of the training rows held out for validation.
pub const HOLDOUT: f64 = 0.2;

/// Epochs without a better validation MSE before a regression fit stops.
pub const DEFAULT_PATIENCE: u32 = 20;

/// Fewest training rows to hold some out (else all are trained on).
const MIN_ROWS: usize = 5;

/// Splits the training rows `train` into rows to train on and [`HOLDOUT`]
/// of them to validate on (shuffled with `seed`); with fewer than 5 rows,
/// none is held out.
pub fn validation_split(train: &[usize], seed: u64) -> (Vec<usize>, Vec<usize>) {
    if train.len() < MIN_ROWS {
        return (train.to_vec(), Vec::new());
    }
    let (a, b) = split_indices(train.len(), 1.0 - HOLDOUT, seed ^ 0x7a11_da7a);
    let pick = |idx: Vec<usize>| idx.into_iter().map(|i| train[i]).collect();
    (pick(a), pick(b))
}

/// The best epoch on the held-out rows: its number and MSE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// The epoch (1 = after the first).
    pub epoch: u32,
    /// Its MSE on the held-out rows (over rows × outputs, scaled targets).
    pub mse: f64,
}

/// An optimizer that, after each epoch, measures the MSE on held-out rows,
/// keeps the best epoch's weights, and raises `stop` once that best is
/// `patience` epochs old. It changes nothing of the training itself.
pub struct Validated<'a, 'd, T: Real, O> {
    /// The optimizer.
    pub inner: O,
    data: Samples<'d, T>,
    patience: u32,
    epoch: u32,
    best: Option<Best>,
    weights: Vec<T>,
    stop: &'a Cell<bool>,
}

impl<'a, 'd, T: Real, O> Validated<'a, 'd, T, O> {
    /// Wraps `inner`, validating on `data`.
    pub fn new(inner: O, data: Samples<'d, T>, patience: u32, stop: &'a Cell<bool>) -> Self {
        Self {
            inner,
            data,
            patience,
            epoch: 0,
            best: None,
            weights: Vec::new(),
            stop,
        }
    }

    /// Puts the best epoch's weights into `net` and returns that epoch.
    pub fn restore(&self, net: &mut ResNet<T, Vec<T>>) -> Option<Best> {
        // The saved weights are a copy of this net's: the same length, finite.
        if self.best.is_some() && net.set_weights(&self.weights).is_err() {
            return None;
        }
        self.best
    }
}

impl<T: Real, O: Optimizer<T>> Optimizer<T> for Validated<'_, '_, T, O> {
    fn observe<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
        x: &[T],
        y: &[T],
    ) -> hinf::Result<StepReport<T>> {
        self.inner.observe(net, x, y)
    }

    fn end_epoch<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
    ) -> hinf::Result<()> {
        self.inner.end_epoch(net)?;
        self.epoch += 1;
        let mse = net.evaluate(&self.data)?.measure(StopCriterion::Mse);
        if self.best.is_none_or(|b| mse < b.mse) {
            self.best = Some(Best {
                epoch: self.epoch,
                mse,
            });
            self.weights.clear();
            self.weights.extend_from_slice(net.weights());
        }
        let age = self.best.map_or(0, |b| self.epoch - b.epoch);
        self.stop.set(age >= self.patience);
        Ok(())
    }

    fn watch_outputs(&mut self, k: usize, outputs: &[T]) {
        self.inner.watch_outputs(k, outputs);
    }
}
