//! The training loop (PAPER.md section 5): epochs over a sample set, a
//! stopping rule checked after each epoch, an epoch cap.
//!
//! The paper stops at "truncation error 10⁻²" without defining it; the
//! definition is a parameter ([`StopCriterion`], [`ErrorTiming`]), as are
//! the sample order and the XOR input coding ([`InputCoding`]).

use crate::error::{Error, Result, check_finite};
use crate::network::ResNet;
use crate::real::Real;
use rand_core::Rng;

/// What one sample step reports, for logging.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepReport<T> {
    /// The a-priori error `e = y − h(ŵ)` of the (first) output, before the update.
    pub error: T,
    /// The (first) output `h(ŵ)` before the update.
    pub output: T,
    /// `H P Hᵀ` (0 for Adam).
    pub hph: T,
    /// The a-priori errors of every output (N_L residuals), which the
    /// loop's [`ErrorTiming::DuringEpoch`] stopping rule measures.
    pub residuals: ErrorStats,
}

/// A learning rule the training loop can drive.
pub trait Optimizer<T: Real> {
    /// Presents one sample. Per-sample rules update the weights here; batch
    /// rules accumulate. On error nothing is changed.
    fn observe<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>>;

    /// Ends an epoch: batch rules apply their update here.
    fn end_epoch<S: AsRef<[T]> + AsMut<[T]>>(&mut self, _net: &mut ResNet<T, S>) -> Result<()> {
        Ok(())
    }

    /// Sees the outputs of sample `k` in [`train`]'s error evaluation at
    /// the current weights (before the first epoch, and after each one
    /// with [`ErrorTiming::AfterEpoch`]), in sample order. For wrappers
    /// that watch a run without a forward pass of their own; the default
    /// does nothing.
    fn watch_outputs(&mut self, _k: usize, _outputs: &[T]) {}
}

/// A borrowed, validated set of samples: `len` inputs of width N1 and
/// targets of width N_L, row after row.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a, T> {
    inputs: &'a [T],
    targets: &'a [T],
    n_inputs: usize,
    n_outputs: usize,
}

impl<'a, T: Real> Samples<'a, T> {
    /// Checks that both slices hold the same number of rows, at least one,
    /// and are all finite.
    pub fn new(
        inputs: &'a [T],
        n_inputs: usize,
        targets: &'a [T],
        n_outputs: usize,
    ) -> Result<Self> {
        if n_inputs == 0 || n_outputs == 0 {
            return Err(Error::ZeroWidth);
        }
        if inputs.is_empty() {
            return Err(Error::EmptyData);
        }
        if !inputs.len().is_multiple_of(n_inputs) {
            return Err(Error::LengthMismatch {
                what: "inputs (not a whole number of rows)",
                expected: inputs.len() - inputs.len() % n_inputs,
                found: inputs.len(),
            });
        }
        let rows = inputs.len() / n_inputs;
        crate::error::check_len("targets", rows * n_outputs, targets.len())?;
        check_finite("input", inputs)?;
        check_finite("target", targets)?;
        Ok(Self {
            inputs,
            targets,
            n_inputs,
            n_outputs,
        })
    }

    /// Number of samples.
    #[inline]
    pub fn len(&self) -> usize {
        self.inputs.len() / self.n_inputs
    }
    /// Never true (a `Samples` has at least one row).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Input width.
    #[inline]
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }
    /// Target width.
    #[inline]
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }
    /// Sample k: `(x, y)`, or `None` if k ≥ len.
    ///
    /// ```
    /// use hinf::{InputCoding, Xor};
    /// let xor = Xor::<f64>::new(InputCoding::Binary);
    /// let data = xor.samples();
    /// assert_eq!(data.get(1), Some((&[0.0, 1.0][..], &[1.0][..])));
    /// assert_eq!(data.get(4), None);
    /// assert_eq!(data.get(usize::MAX), None);
    /// assert_eq!(data.iter().len(), 4);
    /// ```
    #[inline]
    pub fn get(&self, k: usize) -> Option<(&'a [T], &'a [T])> {
        let x = self.inputs.get(k.checked_mul(self.n_inputs)?..)?;
        let y = self.targets.get(k.checked_mul(self.n_outputs)?..)?;
        Some((x.get(..self.n_inputs)?, y.get(..self.n_outputs)?))
    }

    /// The samples `(x, y)` in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a [T], &'a [T])> + use<'a, T> {
        let (inputs, targets) = (self.inputs, self.targets);
        // The widths are ≥ 1 (checked by `new`; 2 and 1 for `Xor`).
        inputs
            .chunks_exact(self.n_inputs.max(1))
            .zip(targets.chunks_exact(self.n_outputs.max(1)))
    }
}

/// The error measure compared with the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StopCriterion {
    /// Σ e² over all patterns and outputs.
    Sse,
    /// ½ Σ e².
    #[default]
    HalfSse,
    /// Σ e² / (patterns × outputs).
    Mse,
    /// max |e|.
    MaxAbs,
}

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

/// Running error statistics over a set of residuals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ErrorStats {
    /// Σ e².
    pub sse: f64,
    /// max |e|.
    pub max_abs: f64,
    /// Number of residuals.
    pub count: usize,
}

impl ErrorStats {
    /// Adds one residual.
    #[inline]
    pub fn add(&mut self, e: f64) {
        self.sse += e * e;
        let a = if e < 0.0 { -e } else { e };
        // NaN poisons max_abs on purpose.
        if a > self.max_abs || a.is_nan() {
            self.max_abs = a;
        }
        self.count += 1;
    }

    /// The statistics of `errors`, one residual each.
    pub fn of<T: Real>(errors: &[T]) -> Self {
        let mut s = Self::default();
        errors.iter().for_each(|e| s.add(e.to_f64()));
        s
    }

    /// Adds the residuals of `other` (the same as adding them one by one,
    /// bit for bit, when `other` holds one).
    #[inline]
    pub fn merge(&mut self, other: &ErrorStats) {
        self.sse += other.sse;
        if other.max_abs > self.max_abs || other.max_abs.is_nan() {
            self.max_abs = other.max_abs;
        }
        self.count += other.count;
    }

    /// The measure `criterion` of these residuals.
    pub fn measure(&self, criterion: StopCriterion) -> f64 {
        match criterion {
            StopCriterion::Sse => self.sse,
            StopCriterion::HalfSse => 0.5 * self.sse,
            StopCriterion::Mse => self.sse / self.count.max(1) as f64,
            StopCriterion::MaxAbs => self.max_abs,
        }
    }
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
            return Err(Error::InvalidParameter { name: "tolerance" });
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
    config.validate()?;
    let n = data.len();
    if data.n_inputs() != net.spec().inputs() {
        return Err(Error::LengthMismatch {
            what: "input width",
            expected: net.spec().inputs(),
            found: data.n_inputs(),
        });
    }
    if data.n_outputs() != net.spec().outputs() {
        return Err(Error::LengthMismatch {
            what: "target width",
            expected: net.spec().outputs(),
            found: data.n_outputs(),
        });
    }
    if config.order == SampleOrder::Shuffled && order.len() < n {
        return Err(Error::CapacityExceeded {
            what: "sample order buffer",
            needed: n,
            capacity: order.len(),
        });
    }
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
        let mut apriori = ErrorStats::default();
        for k in 0..n {
            // (`order` may be empty for the fixed order.)
            let idx = match config.order {
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

/// Fisher–Yates shuffle driven by `rng`.
pub fn shuffle<R: Rng + ?Sized>(items: &mut [usize], rng: &mut R) {
    for i in (1..items.len()).rev() {
        // Multiply-shift: uniform in 0..=i up to a bias below 2⁻³².
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        items.swap(i, j);
    }
}

/// How XOR's two inputs are coded. The paper does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InputCoding {
    /// Inputs in {0, 1}.
    Binary,
    /// Inputs in {−1, +1}.
    #[default]
    Bipolar,
}

/// The XOR truth table (PAPER.md section 5): 4 patterns, 2 inputs, 1 output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Xor<T> {
    /// The four input pairs, row after row.
    pub inputs: [T; 8],
    /// The four targets.
    pub targets: [T; 4],
}

impl<T: Real> Xor<T> {
    /// XOR with the given input coding and targets {0, 1}.
    pub fn new(coding: InputCoding) -> Self {
        Self::with_targets(coding, 0.0, 1.0)
    }

    /// XOR with the given input coding and targets {`low`, `high`}.
    pub fn with_targets(coding: InputCoding, low: f64, high: f64) -> Self {
        let (a, b) = match coding {
            InputCoding::Binary => (0.0, 1.0),
            InputCoding::Bipolar => (-1.0, 1.0),
        };
        let f = T::from_f64;
        Self {
            inputs: [f(a), f(a), f(a), f(b), f(b), f(a), f(b), f(b)],
            targets: [f(low), f(high), f(high), f(low)],
        }
    }

    /// The table as [`Samples`].
    pub fn samples(&self) -> Samples<'_, T> {
        Samples {
            inputs: &self.inputs,
            targets: &self.targets,
            n_inputs: 2,
            n_outputs: 1,
        }
    }
}
