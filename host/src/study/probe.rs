//! One training run watched for section 5: the project's own optimizer
//! ([`crate::learn::build`]) driven by the core's training loop
//! ([`hinf::train`]) inside [`Probed`], which records, per step, the
//! fraction of the weight update in the span of the past Jacobians, and,
//! per epoch, the weights, the outputs, P's gain along chosen directions
//! and, at chosen epochs, the spectra of Σ HᵢᵀHᵢ and of P (eqs. 7–9).
//! It changes nothing the optimizer does.

use hinf::{Optimizer, ResNet, Samples, StepReport, TrainConfig, TrainOutcome};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::span::JacobianSpan;
use crate::learn::{Learner, PeekCovariance, WithOptimizer};

/// What to measure along a run.
#[derive(Debug, Clone, Default)]
pub struct ProbePlan {
    /// The per-step span measurements run through this many epochs.
    pub span_epochs: u32,
    /// Epochs after which the spectra are taken (≤ `span_epochs`).
    pub snapshots: Vec<u32>,
    /// Directions along which P's gain `dᵀPd / (ε0 dᵀd)` is measured
    /// after each epoch through `span_epochs` (e.g. the final solution's
    /// displacement).
    pub directions: Vec<Vec<f64>>,
    /// P's gain along `target − w` after each epoch (the way still to go).
    pub target: Option<Vec<f64>>,
    /// ε0 of eq. (5) (the gain's and eq. (9)'s unit).
    pub eps0: f64,
    /// a = 1 − γ_f⁻² of eq. (7).
    pub a: f64,
    /// P's full spectrum is taken (N_w products and an N_w × N_w
    /// eigenproblem) only for N_w up to this.
    pub full_p_max: usize,
    /// Every epoch's weights are kept through this epoch, then every
    /// `stride`-th.
    pub dense_epochs: u32,
    /// See `dense_epochs`.
    pub stride: u32,
}

/// One sample step inside the span epochs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord {
    /// The epoch it belongs to (1 = the first).
    pub epoch: u32,
    /// Steps before it (k: it is measured against H₀ … H_{k−1}).
    pub step: usize,
    /// ‖Π Δw‖ / ‖Δw‖ against the span of the past Jacobians.
    pub span_fraction: f64,
    /// [`JacobianSpan::eq9_fraction`] of Δw.
    pub eq9_fraction: f64,
    /// The dimension of that span.
    pub rank: usize,
}

/// The spectra after an epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Epochs done.
    pub epoch: u32,
    /// The nonzero eigenvalues of Σ HᵢᵀHᵢ (eq. 8) by the k × k Gram matrix.
    pub hth: Vec<f64>,
    /// P's Ritz values on the span of the Jacobians (empty without a P).
    pub p_span: Vec<f64>,
    /// P's whole spectrum (N_w ≤ [`ProbePlan::full_p_max`] only).
    pub p_full: Vec<f64>,
}

/// What a probed run gave.
#[derive(Debug, Clone, Default)]
pub struct ProbeRecord {
    /// The training loop's outcome (`None` if an update was refused).
    pub outcome: Option<TrainOutcome>,
    /// The stopping measure per epoch, epoch 0 first.
    pub curve: Vec<f64>,
    /// The outputs of the samples after each epoch, epoch 0 first (all
    /// equal at the XOR saddle).
    pub outputs: Vec<Vec<f64>>,
    /// The kept weights: (epoch, w), epoch 0 first, the last epoch last.
    pub trajectory: Vec<(u32, Vec<f64>)>,
    /// Per step inside the span epochs.
    pub steps: Vec<StepRecord>,
    /// The spectra at the chosen epochs.
    pub snapshots: Vec<Snapshot>,
    /// After each epoch through the span epochs (epoch 0 first): P's gain
    /// along each direction of [`ProbePlan::directions`] then along the
    /// way to the target, NaN without a P.
    pub gains: Vec<Vec<f64>>,
}

/// A run of the core's training loop with a [`Probed`] optimizer: the
/// [`WithOptimizer`] handed to [`crate::learn::build`].
pub struct Probe<'a, 'd> {
    /// The network, initialised.
    pub net: &'a mut ResNet<f64, Vec<f64>>,
    /// The training set.
    pub data: Samples<'d, f64>,
    /// The training loop's settings.
    pub config: TrainConfig,
    /// The generator of shuffled orders.
    pub rng: &'a mut Xoshiro256PlusPlus,
    /// What to measure.
    pub plan: &'a ProbePlan,
}

impl WithOptimizer<f64> for Probe<'_, '_> {
    type Output = ProbeRecord;

    fn net(&mut self) -> &mut ResNet<f64, Vec<f64>> {
        self.net
    }

    fn run<O: Learner<f64>>(self, mut opt: O) -> hinf::Result<ProbeRecord> {
        let mut probed = Probed::new(
            &mut opt,
            self.plan,
            self.net.weights().to_vec(),
            self.data.len(),
        );
        probed.measure_epoch(self.net);
        let mut order = vec![0usize; self.data.len()];
        let mut curve = Vec::new();
        let outcome = hinf::train(
            self.net,
            &mut probed,
            &self.data,
            &self.config,
            self.rng,
            &mut order,
            |r| {
                curve.push(r.error);
                true
            },
        );
        probed.finish(self.net);
        let mut record = probed.record;
        record.curve = curve;
        record.outcome = outcome.ok();
        Ok(record)
    }
}

/// An optimizer that measures what [`ProbePlan`] asks around each step of
/// the one it wraps, which it leaves alone.
pub struct Probed<'a, O> {
    inner: &'a mut O,
    plan: &'a ProbePlan,
    span: JacobianSpan,
    epoch: u32,
    samples: usize,
    outputs: Vec<f64>,
    record: ProbeRecord,
}

impl<'a, O: PeekCovariance<f64>> Probed<'a, O> {
    /// Wraps `inner`, about to train from the weights `w0` on `samples`
    /// samples.
    pub fn new(inner: &'a mut O, plan: &'a ProbePlan, w0: Vec<f64>, samples: usize) -> Self {
        let n = w0.len();
        let record = ProbeRecord {
            trajectory: vec![(0, w0)],
            ..ProbeRecord::default()
        };
        Self {
            inner,
            plan,
            span: JacobianSpan::new(n),
            epoch: 0,
            samples,
            outputs: Vec::new(),
            record,
        }
    }

    fn measuring(&self) -> bool {
        self.epoch < self.plan.span_epochs
    }

    /// P's gain `dᵀPd / (ε0 dᵀd)` along `d` (NaN without a P).
    pub fn gain(&self, d: &[f64]) -> f64 {
        let mut pd = vec![0.0; d.len()];
        let dd: f64 = d.iter().map(|x| x * x).sum();
        if !self.inner.peek_mul(d, &mut pd) || dd == 0.0 {
            return f64::NAN;
        }
        let dpd: f64 = d.iter().zip(&pd).map(|(x, y)| x * y).sum();
        dpd / (self.plan.eps0 * dd)
    }

    /// The per-epoch measurements after `self.epoch` epochs.
    fn measure_epoch<S: AsRef<[f64]> + AsMut<[f64]>>(&mut self, net: &ResNet<f64, S>) {
        let e = self.epoch;
        let w = net.weights();
        if e <= self.plan.dense_epochs || e.is_multiple_of(self.plan.stride.max(1)) {
            self.keep_weights(e, w);
        }
        if e > self.plan.span_epochs {
            return;
        }
        let mut gains: Vec<f64> = self.plan.directions.iter().map(|d| self.gain(d)).collect();
        if let Some(t) = &self.plan.target {
            let left: Vec<f64> = t.iter().zip(w).map(|(a, b)| a - b).collect();
            gains.push(self.gain(&left));
        }
        self.record.gains.push(gains);
        if self.plan.snapshots.contains(&e) {
            self.take_snapshot();
        }
    }

    fn keep_weights(&mut self, e: u32, w: &[f64]) {
        let t = &mut self.record.trajectory;
        if t.last().is_some_and(|(last, _)| *last == e) {
            return;
        }
        t.push((e, w.to_vec()));
    }

    /// The spectra of Σ HᵢᵀHᵢ and of P now (eqs. 8–9).
    fn take_snapshot(&mut self) {
        let n = self.span.rows().first().map_or(0, Vec::len);
        let mut p_span = Vec::new();
        let mut p_full = Vec::new();
        let mut out = vec![0.0; n];
        if n > 0 && self.inner.peek_mul(&vec![0.0; n], &mut out) {
            p_span = self.span.ritz_values(|v, o| {
                self.inner.peek_mul(v, o);
            });
            if n <= self.plan.full_p_max {
                p_full = self.full_p_spectrum(n);
            }
        }
        self.record.snapshots.push(Snapshot {
            epoch: self.epoch,
            hth: self.span.spectrum(),
            p_span,
            p_full,
        });
    }

    /// P column by column, then its eigenvalues.
    fn full_p_spectrum(&self, n: usize) -> Vec<f64> {
        let mut p = vec![0.0; n * n];
        let mut e = vec![0.0; n];
        let mut col = vec![0.0; n];
        for j in 0..n {
            e[j] = 1.0;
            self.inner.peek_mul(&e, &mut col);
            e[j] = 0.0;
            for i in 0..n {
                p[i * n + j] = col[i];
            }
        }
        super::eigen::symmetric_eigenvalues(&p, n)
    }

    /// After training: the last weights, and the spectra at the last
    /// measured epoch if no snapshot was due there.
    fn finish<S: AsRef<[f64]> + AsMut<[f64]>>(&mut self, net: &ResNet<f64, S>) {
        self.keep_weights(self.epoch, net.weights());
        let last = self.epoch.min(self.plan.span_epochs);
        let taken = self.record.snapshots.iter().any(|s| s.epoch == last);
        let asked = !self.plan.snapshots.is_empty();
        if asked && !taken && last == self.epoch && last > 0 {
            self.take_snapshot();
        }
    }
}

impl<O: Optimizer<f64> + PeekCovariance<f64>> Optimizer<f64> for Probed<'_, O> {
    fn observe<S: AsRef<[f64]> + AsMut<[f64]>>(
        &mut self,
        net: &mut ResNet<f64, S>,
        x: &[f64],
        y: &[f64],
    ) -> hinf::Result<StepReport<f64>> {
        if !self.measuring() {
            return self.inner.observe(net, x, y);
        }
        let n = net.spec().n_weights();
        let h = net.jacobian(x)?.1[..n].to_vec();
        let before = net.weights().to_vec();
        let report = self.inner.observe(net, x, y)?;
        let dw: Vec<f64> = net
            .weights()
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect();
        self.record.steps.push(StepRecord {
            epoch: self.epoch + 1,
            step: self.span.len(),
            span_fraction: self.span.span_fraction(&dw),
            eq9_fraction: self.span.eq9_fraction(&dw, self.plan.eps0, self.plan.a),
            rank: self.span.rank(),
        });
        self.span.push(&h);
        Ok(report)
    }

    fn end_epoch<S: AsRef<[f64]> + AsMut<[f64]>>(
        &mut self,
        net: &mut ResNet<f64, S>,
    ) -> hinf::Result<()> {
        self.inner.end_epoch(net)?;
        self.epoch += 1;
        self.measure_epoch(net);
        Ok(())
    }

    fn watch_outputs(&mut self, k: usize, outputs: &[f64]) {
        self.inner.watch_outputs(k, outputs);
        if k == 0 {
            self.outputs.clear();
        }
        self.outputs
            .push(outputs.first().copied().unwrap_or(f64::NAN));
        if k + 1 == self.samples {
            self.record.outputs.push(self.outputs.clone());
        }
    }
}
