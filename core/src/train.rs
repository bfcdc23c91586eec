//! The training loop (PAPER.md section 5): epochs over a sample set, a
//! stopping rule checked after each epoch, an epoch cap.
//!
//! The paper stops at "truncation error 10⁻²" without defining it; the
//! definition is a parameter ([`StopCriterion`], [`ErrorTiming`]), as are
//! the sample order and the XOR input coding ([`InputCoding`]).

use crate::error::{Error, Param, Result};
use crate::network::ResNet;
use crate::real::Real;
use crate::spec::ResNetSpec;
use rand_core::Rng;

// Re-exported where they were defined before `data` and `optimizer` existed.
pub use crate::data::{ErrorStats, InputCoding, Samples, StopCriterion, Xor};
pub use crate::optimizer::{Optimizer, StepReport};

/// Which errors the stopping rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorTiming {
    /// After each epoch, all patterns with the current weights (a posteriori).
    #[default]
    AfterEpoch,
    /// The a-priori errors met during the epoch, each before its update.
    DuringEpoch,
}

/// Order in which an epoch presents the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SampleOrder {
    /// 0, 1, …, n−1 every epoch.
    #[default]
    Fixed,
    /// A fresh uniform permutation every epoch (Fisher–Yates).
    Shuffled,
}

/// The stopping rule, order and epoch cap. `Default` is the project's
/// default reading of the paper (see `docs/REPRODUCTION.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TrainConfig {
    /// The error measure.
    pub criterion: StopCriterion,
    /// Stop when the measure is below this (paper: 1e-2).
    pub tol: f64,
    /// A-posteriori or a-priori errors.
    pub timing: ErrorTiming,
    /// Sample order.
    pub order: SampleOrder,
    /// Give up after this many epochs.
    pub max_epochs: u32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            criterion: StopCriterion::HalfSse,
            tol: 1e-2,
            timing: ErrorTiming::AfterEpoch,
            order: SampleOrder::Fixed,
            max_epochs: 10_000,
        }
    }
}

impl TrainConfig {
    /// Checks the tolerance (finite, > 0).
    pub fn validate(&self) -> Result<()> {
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidParameter {
                name: Param::Tolerance,
            });
        }
        Ok(())
    }
}

/// What the loop reports after each epoch (and once before the first, as epoch 0).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EpochReport {
    /// Epochs completed.
    pub epoch: u32,
    /// The stopping measure.
    pub error: f64,
    /// The residuals it was computed from.
    pub stats: ErrorStats,
}

/// How a training run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TrainOutcome {
    /// The stopping rule held.
    pub converged: bool,
    /// Epochs run (the epoch at which the rule held, if it did).
    pub epochs: u32,
    /// The stopping measure at the end.
    pub final_error: f64,
}

/// Trains `net` with `opt` on `data` until the stopping rule of `config`
/// holds or `config.max_epochs` epochs have run.
///
/// `rng` draws the permutations of [`SampleOrder::Shuffled`]; `order` is
/// scratch for them, at least `data.len()` long (unused for
/// [`SampleOrder::Fixed`]). `on_epoch` sees every epoch's error, epoch 0
/// (the initial weights) included, and may stop the run by returning `false`.
///
/// An error from the optimizer (e.g. a diverging update) ends the run and
/// is returned; the weights are those before the failed step.
pub fn train<T, S, O, R>(
    net: &mut ResNet<T, S>,
    opt: &mut O,
    data: &Samples<'_, T>,
    config: &TrainConfig,
    rng: &mut R,
    order: &mut [usize],
    mut on_epoch: impl FnMut(&EpochReport) -> bool,
) -> Result<TrainOutcome>
where
    T: Real,
    S: AsRef<[T]> + AsMut<[T]>,
    O: Optimizer<T>,
    R: Rng + ?Sized,
{
    check_run(net.spec(), data, config, order)?;
    let n = data.len();
    for (k, slot) in order.iter_mut().take(n).enumerate() {
        *slot = k;
    }

    let mut stats = net.evaluate_each(data, |k, o| opt.watch_outputs(k, o))?;
    let mut error = stats.measure(config.criterion);
    let mut report = EpochReport {
        epoch: 0,
        error,
        stats,
    };
    let mut keep_going = on_epoch(&report);
    let mut epoch = 0;
    while error >= config.tol && epoch < config.max_epochs && keep_going {
        if config.order == SampleOrder::Shuffled {
            shuffle(&mut order[..n], rng);
        }
        let apriori = run_epoch(net, opt, data, config.order, order)?;
        epoch += 1;
        stats = match config.timing {
            ErrorTiming::AfterEpoch => net.evaluate_each(data, |k, o| opt.watch_outputs(k, o))?,
            ErrorTiming::DuringEpoch => apriori,
        };
        error = stats.measure(config.criterion);
        report = EpochReport {
            epoch,
            error,
            stats,
        };
        keep_going = on_epoch(&report);
        if !error.is_finite() {
            break;
        }
    }
    Ok(TrainOutcome {
        converged: error < config.tol,
        epochs: epoch,
        final_error: error,
    })
}

/// [`train`]'s checks: the configuration, the data's widths against the
/// network's and the order buffer's length.
fn check_run(
    spec: &ResNetSpec,
    data: &Samples<'_, impl Real>,
    config: &TrainConfig,
    order: &[usize],
) -> Result<()> {
    config.validate()?;
    if data.n_inputs() != spec.inputs() {
        return Err(Error::LengthMismatch {
            what: "input width",
            expected: spec.inputs(),
            found: data.n_inputs(),
        });
    }
    if data.n_outputs() != spec.outputs() {
        return Err(Error::LengthMismatch {
            what: "target width",
            expected: spec.outputs(),
            found: data.n_outputs(),
        });
    }
    if config.order == SampleOrder::Shuffled && order.len() < data.len() {
        return Err(Error::CapacityExceeded {
            what: "sample order buffer",
            needed: data.len(),
            capacity: order.len(),
        });
    }
    Ok(())
}

/// One epoch: every sample once, in `order` if shuffled, then the
/// optimizer's end of epoch. Returns the a-priori errors met.
fn run_epoch<T, S, O>(
    net: &mut ResNet<T, S>,
    opt: &mut O,
    data: &Samples<'_, T>,
    sample_order: SampleOrder,
    order: &[usize],
) -> Result<ErrorStats>
where
    T: Real,
    S: AsRef<[T]> + AsMut<[T]>,
    O: Optimizer<T>,
{
    let n = data.len();
    let mut apriori = ErrorStats::default();
    for k in 0..n {
        // (`order` may be empty for the fixed order.)
        let idx = match sample_order {
            SampleOrder::Shuffled => order.get(k).copied().unwrap_or(k),
            SampleOrder::Fixed => k,
        };
        let Some((x, y)) = data.get(idx) else {
            // `order` holds a permutation of 0..n: never out of range.
            return Err(Error::LengthMismatch {
                what: "sample order (index past the data)",
                expected: n,
                found: idx,
            });
        };
        let step = opt.observe(net, x, y)?;
        apriori.merge(&step.residuals);
    }
    opt.end_epoch(net)?;
    Ok(apriori)
}

/// Fisher–Yates shuffle driven by `rng`.
pub fn shuffle<R: Rng + ?Sized>(items: &mut [usize], rng: &mut R) {
    for i in (1..items.len()).rev() {
        // Multiply-shift: uniform in 0..=i up to a bias below 2⁻³².
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        items.swap(i, j);
    }
}
