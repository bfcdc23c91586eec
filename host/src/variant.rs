//! Variant switches of a trial beyond the printed defaults, and the
//! classification of failed trials.
//!
//! Every switch is off by default ([`Variant::default`] is the paper's
//! method as printed, with targets {0, 1}):
//!
//! | switch | CLI | what |
//! |---|---|---|
//! | [`Variant::extension`] | `--extension none\|trust-region`, `--tr-delta`, `--tr-tolerance`, `--tr-halvings` | the trust-region extension of the g-EHF step ([`hinf::Extension::OutputTrustRegion`], `docs/extension-notes.md`) |
//! | [`Variant::process_noise`] | `--process-noise Q` | `P ← P + qI` after each update ([`hinf::Regularization`]) |
//! | [`Variant::forgetting`] | `--forgetting λ` | `P ← P/λ` after each update |
//! | [`Variant::eps0_scale`] | `--eps0-scale none\|weights\|blocks` | ε0 scaled with the network ([`Eps0Scale`]) |
//! | [`Variant::targets`] | `--targets zero-one\|soft` | XOR targets {0, 1} or {0.1, 0.9} |
//!
//! The gain order (`--gain-order`) and the a-priori/a-posteriori stopping
//! rule (`--timing`) are core settings and live in [`crate::TrialSpec`].
//!
//! # Failure classes
//!
//! A trial that did not meet the stopping rule is put in exactly one
//! [`FailureClass`], decided on the outputs `z_k` of the four patterns
//! with the weights after each epoch (epoch 0 = initial weights):
//!
//! * [`FailureClass::Diverged`]: the run ended with a core error (a
//!   rejected, non-finite update: [`hinf::Error::Diverged`]) or a
//!   non-finite error measure. Its epoch is the epoch during which that
//!   happened (epochs completed + 1).
//! * [`FailureClass::Saturated`]: at the end every output is within
//!   [`SATURATION_MARGIN`] (0.05) of 0 or of 1, and at least one is on the
//!   wrong side of 0.5 for its target. The output sigmoid is then flat
//!   (f' ≤ η0·0.05·0.95 ≈ 0.12 at η0 = 2.5), so the Jacobian — recorded as
//!   [`crate::TrialResult::jacobian_norm`] (from [`jacobian_norm`]), the largest ‖H_k‖₂ over the patterns —
//!   is small and learning crawls.
//! * [`FailureClass::Stuck`]: at the end the four outputs are within
//!   [`STUCK_SPREAD`] (0.05) of each other and all inside (0.05, 0.95):
//!   the net computes a constant, the saddle of XOR (the least-squares
//!   constant is 0.5).
//! * [`FailureClass::Slow`]: none of the above: the run hit the epoch cap
//!   while still moving or on a plateau with a pattern wrong.
//!
//! The epoch of a stuck or saturated trial is the first epoch from which
//! its condition held at every epoch up to the end (the onset of the final
//! state); a slow trial has none.

use clap::{Args, ValueEnum};
use hinf::{
    Extension, Optimizer, Real, Regularization, ResNet, ResNetSpec, Samples, StepReport,
    TrustRegion,
};
use serde::{Deserialize, Serialize};

/// Outputs closer than this to 0 or 1 count as saturated.
pub const SATURATION_MARGIN: f64 = 0.05;
/// Outputs whose spread (max − min) is below this count as constant.
pub const STUCK_SPREAD: f64 = 0.05;

/// The extension switch of the g-EHF step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionArg {
    /// The printed step (eq. 3).
    #[default]
    None,
    /// The output trust region (`hinf::Extension::OutputTrustRegion`; not in
    /// the paper).
    TrustRegion,
}

/// How ε0 is scaled with the network. At L = 5 every choice gives ε0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eps0Scale {
    /// ε0 as given, at every depth.
    #[default]
    None,
    /// ε0 · N_w(L = 5) / N_w(L) = ε0 · 76 / N_w: the trace of `P_{0|−1}`
    /// stays that of L = 5.
    Weights,
    /// ε0 / n with n = (L − 3)/2 the number of shortcut blocks: `s = hPhᵀ`
    /// of the first step, which grows about linearly with n, stays about
    /// that of L = 5.
    Blocks,
}

/// XOR target coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Targets {
    /// {0, 1}.
    #[default]
    ZeroOne,
    /// {0.1, 0.9}.
    Soft,
}

impl Targets {
    /// (low, high).
    pub fn values(self) -> (f64, f64) {
        match self {
            Targets::ZeroOne => (0.0, 1.0),
            Targets::Soft => (0.1, 0.9),
        }
    }
}

/// The off-by-default variant switches of a trial (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Variant {
    /// The step extension.
    pub extension: ExtensionArg,
    /// Trust region δ (with [`ExtensionArg::TrustRegion`]).
    pub tr_delta: f64,
    /// Trust region τ.
    pub tr_tolerance: f64,
    /// Trust region halvings.
    pub tr_halvings: u32,
    /// Process noise q ≥ 0 (0: off).
    pub process_noise: f64,
    /// Forgetting factor λ ∈ (0, 1] (1: off).
    pub forgetting: f64,
    /// Scaling of ε0 with the network.
    pub eps0_scale: Eps0Scale,
    /// Target coding.
    pub targets: Targets,
}

impl Default for Variant {
    fn default() -> Self {
        let tr = TrustRegion::RECOMMENDED;
        Self {
            extension: ExtensionArg::None,
            tr_delta: tr.delta,
            tr_tolerance: tr.tolerance,
            tr_halvings: tr.max_halvings,
            process_noise: 0.0,
            forgetting: 1.0,
            eps0_scale: Eps0Scale::None,
            targets: Targets::ZeroOne,
        }
    }
}

impl Variant {
    /// The core extension.
    pub fn extension(&self) -> Extension {
        match self.extension {
            ExtensionArg::None => Extension::None,
            ExtensionArg::TrustRegion => Extension::OutputTrustRegion(TrustRegion {
                delta: self.tr_delta,
                tolerance: self.tr_tolerance,
                max_halvings: self.tr_halvings,
            }),
        }
    }

    /// Scratch length the g-EHF needs with this variant.
    pub fn scratch_len(&self, n_weights: usize) -> usize {
        match self.extension {
            ExtensionArg::TrustRegion if self.tr_halvings > 0 => 2 * n_weights,
            _ => n_weights,
        }
    }

    /// The core regularization.
    pub fn regularization(&self) -> Regularization {
        Regularization {
            process_noise: self.process_noise,
            forgetting: self.forgetting,
            diagonal_floor: 0.0,
        }
    }

    /// ε0 after [`Variant::eps0_scale`] for the net `spec`.
    pub fn effective_eps0(&self, eps0: f64, spec: &ResNetSpec) -> f64 {
        match self.eps0_scale {
            Eps0Scale::None => eps0,
            Eps0Scale::Weights => {
                let base = ResNetSpec::xor_const(1).n_weights() as f64;
                eps0 * base / spec.n_weights().max(1) as f64
            }
            Eps0Scale::Blocks => eps0 / spec.blocks().max(1) as f64,
        }
    }

    /// Checks the trust-region parameters (even when the extension is off,
    /// so that a bad flag is never silently ignored) and the regularization.
    pub fn validate(&self) -> hinf::Result<()> {
        TrustRegion {
            delta: self.tr_delta,
            tolerance: self.tr_tolerance,
            max_halvings: self.tr_halvings,
        }
        .validate()?;
        self.regularization().validate()
    }

    /// `true` if every switch is off (the printed method, targets {0, 1}).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The switches that differ from the default, as `(CLI name, value)`.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let d = Self::default();
        let mut v = Vec::new();
        if self.extension != d.extension {
            v.push(("extension", crate::report::cli_name(&self.extension)));
            v.push(("tr-delta", format!("{}", self.tr_delta)));
            v.push(("tr-tolerance", format!("{}", self.tr_tolerance)));
            v.push(("tr-halvings", format!("{}", self.tr_halvings)));
        }
        if self.process_noise != d.process_noise {
            v.push(("process-noise", format!("{}", self.process_noise)));
        }
        if self.forgetting != d.forgetting {
            v.push(("forgetting", format!("{}", self.forgetting)));
        }
        if self.eps0_scale != d.eps0_scale {
            v.push(("eps0-scale", crate::report::cli_name(&self.eps0_scale)));
        }
        if self.targets != d.targets {
            v.push(("targets", crate::report::cli_name(&self.targets)));
        }
        v
    }
}

/// The variant flags of `hinf train` and `hinf reproduce`.
#[derive(Debug, Clone, Args)]
pub struct VariantArgs {
    /// Step extension (not in the paper): `trust-region` bounds and checks
    /// each weight step (docs/extension-notes.md); use it with --eps0 1000.
    #[arg(long, value_enum, default_value_t = ExtensionArg::None)]
    pub extension: ExtensionArg,
    /// Trust region δ > 0: largest predicted change of the output
    /// pre-activation per step.
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.delta, value_name = "D", allow_negative_numbers = true)]
    pub tr_delta: f64,
    /// Trust region τ ≥ 0: accepted relative linearisation error.
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.tolerance, value_name = "T", allow_negative_numbers = true)]
    pub tr_tolerance: f64,
    /// Trust region halvings of the step (0: the δ bound only).
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.max_halvings, value_name = "N")]
    pub tr_halvings: u32,
    /// Process noise q ≥ 0 on P (P ← P + qI after each update; 0: off).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "Q",
        allow_negative_numbers = true
    )]
    pub process_noise: f64,
    /// Forgetting factor λ in (0, 1] on P (P ← P/λ after each update; 1: off).
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "L",
        allow_negative_numbers = true
    )]
    pub forgetting: f64,
    /// Scale ε0 with the network: none; weights (ε0·76/N_w); blocks
    /// (ε0/n, n = (L−3)/2). Equal at L = 5.
    #[arg(long, value_enum, default_value_t = Eps0Scale::None)]
    pub eps0_scale: Eps0Scale,
    /// XOR targets: zero-one {0, 1} or soft {0.1, 0.9}.
    #[arg(long, value_enum, default_value_t = Targets::ZeroOne)]
    pub targets: Targets,
}

impl VariantArgs {
    /// The variant these flags describe.
    pub fn variant(&self) -> Variant {
        Variant {
            extension: self.extension,
            tr_delta: self.tr_delta,
            tr_tolerance: self.tr_tolerance,
            tr_halvings: self.tr_halvings,
            process_noise: self.process_noise,
            forgetting: self.forgetting,
            eps0_scale: self.eps0_scale,
            targets: self.targets,
        }
    }
}

/// Why a trial failed (see the module docs for the exact conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// All four outputs equal (spread < 0.05) and inside (0.05, 0.95).
    Stuck,
    /// All outputs within 0.05 of 0 or 1, with a pattern wrong.
    Saturated,
    /// A rejected non-finite update or a non-finite error.
    Diverged,
    /// Hit the epoch cap otherwise.
    Slow,
}

impl FailureClass {
    /// The CSV name.
    pub fn name(self) -> &'static str {
        match self {
            FailureClass::Stuck => "stuck",
            FailureClass::Saturated => "saturated",
            FailureClass::Diverged => "diverged",
            FailureClass::Slow => "slow",
        }
    }
    /// All classes, in report order.
    pub const ALL: [FailureClass; 4] = [
        FailureClass::Stuck,
        FailureClass::Saturated,
        FailureClass::Diverged,
        FailureClass::Slow,
    ];
}

/// Follows the outputs epoch by epoch for the classification.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    epoch: u32,
    stuck_since: Option<u32>,
    saturated_since: Option<u32>,
    last: Vec<f64>,
    targets: Vec<f64>,
}

/// `true` if `outputs` are all within [`STUCK_SPREAD`] of each other and
/// inside (0.05, 0.95).
pub fn is_stuck(outputs: &[f64]) -> bool {
    let lo = outputs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = outputs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    !outputs.is_empty()
        && hi - lo < STUCK_SPREAD
        && lo > SATURATION_MARGIN
        && hi < 1.0 - SATURATION_MARGIN
}

/// `true` if every output is within [`SATURATION_MARGIN`] of 0 or 1 and
/// at least one is on the wrong side of 0.5 for its target.
pub fn is_saturated(outputs: &[f64], targets: &[f64]) -> bool {
    !outputs.is_empty()
        && outputs
            .iter()
            .all(|&z| !(SATURATION_MARGIN..=1.0 - SATURATION_MARGIN).contains(&z))
        && outputs
            .iter()
            .zip(targets)
            .any(|(&z, &y)| (z >= 0.5) != (y >= 0.5))
}

impl Tracker {
    /// A tracker for the patterns' `targets`.
    pub fn new(targets: Vec<f64>) -> Self {
        Self {
            targets,
            ..Self::default()
        }
    }

    /// Records the outputs after epoch `self.epoch` (0 = initial weights)
    /// and moves to the next epoch.
    pub fn record(&mut self, outputs: Vec<f64>) {
        let e = self.epoch;
        self.stuck_since = if is_stuck(&outputs) {
            self.stuck_since.or(Some(e))
        } else {
            None
        };
        self.saturated_since = if is_saturated(&outputs, &self.targets) {
            self.saturated_since.or(Some(e))
        } else {
            None
        };
        self.last = outputs;
        self.epoch += 1;
    }

    /// Forward passes of every pattern of `data`, recorded.
    pub fn record_net<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
        data: &Samples<'_, T>,
    ) {
        let mut outs = Vec::with_capacity(data.len());
        // Invalid patterns end the pass: `outs` then holds those before.
        let _ = net.evaluate_each(data, |_, o| {
            outs.push(o.first().map_or(f64::NAN, |v| v.to_f64()));
        });
        self.record(outs);
    }

    /// The outputs of the last recorded epoch.
    pub fn last_outputs(&self) -> &[f64] {
        &self.last
    }

    /// The class of a trial that did not converge (`None` if it did), and
    /// the epoch of its onset. `diverged` is set if the run ended with an
    /// error or a non-finite measure; `epochs` is the epochs completed.
    pub fn classify(
        &self,
        converged: bool,
        diverged: bool,
        epochs: u32,
    ) -> (Option<FailureClass>, Option<u32>) {
        if converged {
            (None, None)
        } else if diverged {
            (Some(FailureClass::Diverged), Some(epochs + 1))
        } else if let Some(e) = self.saturated_since {
            (Some(FailureClass::Saturated), Some(e))
        } else if let Some(e) = self.stuck_since {
            (Some(FailureClass::Stuck), Some(e))
        } else {
            (Some(FailureClass::Slow), None)
        }
    }
}

/// An optimizer that records the outputs after each epoch into a
/// [`Tracker`]; it changes nothing else (the training trajectory is that of
/// the wrapped optimizer, bit for bit).
///
/// With [`hinf::ErrorTiming::AfterEpoch`] it records the outputs of the
/// training loop's own error evaluation (epoch 0 included), so it costs no
/// forward pass; otherwise it runs its own after each epoch (and the caller
/// records epoch 0 with [`Tracker::record_net`]).
///
/// It also watches for an exact fixed point (see [`Watched::watch_fixed_point`]).
pub struct Watched<'a, 'd, T: Real, O> {
    inner: &'a mut O,
    data: Samples<'d, T>,
    tracker: &'a mut Tracker,
    from_evaluation: bool,
    pending: Vec<f64>,
    fixed: Option<FixedPointWatch<'a>>,
}

/// Epochs between two tests for an exact fixed point.
pub const FIXED_POINT_EVERY: u32 = 64;

/// The state of a learning rule that decides its next step, besides the
/// network's weights, as bits: what [`Watched`] compares to find an exact
/// fixed point.
pub trait ExactState {
    /// Appends the state's bits to `out`; `false` if the rule cannot give
    /// them (then no fixed point is ever declared).
    fn state_bits(&self, out: &mut Vec<u64>) -> bool;
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> ExactState for hinf::Adam<T, S> {
    /// m, v, the accumulator and β1^t, β2^t (the step count enters the
    /// update only through these).
    fn state_bits(&self, out: &mut Vec<u64>) -> bool {
        let (buf, _, b1t, b2t) = self.state();
        out.extend(buf.iter().map(|x| x.to_f64().to_bits()));
        out.extend([b1t.to_bits(), b2t.to_bits()]);
        true
    }
}

impl<T: Real, C: hinf::Covariance<T>, S: AsRef<[T]> + AsMut<[T]>> ExactState
    for hinf::GEhf<T, C, S>
{
    /// With a fixed `P` (steepest descent) the weights are the whole
    /// state; a `P` that learns is not compared (no fixed point).
    fn state_bits(&self, _out: &mut Vec<u64>) -> bool {
        self.covariance().is_fixed()
    }
}

/// Snapshots of the whole state every [`FIXED_POINT_EVERY`] epochs.
struct FixedPointWatch<'a> {
    epoch: u32,
    saved: Option<Vec<u64>>,
    scratch: Vec<u64>,
    found_at: &'a core::cell::Cell<Option<u32>>,
}

impl<'a, 'd, T: Real, O> Watched<'a, 'd, T, O> {
    /// Wraps `inner`, recording into `tracker` the outputs on `data` after
    /// every epoch of a run with stopping-measure timing `timing`.
    pub fn new(
        inner: &'a mut O,
        data: Samples<'d, T>,
        tracker: &'a mut Tracker,
        timing: hinf::ErrorTiming,
    ) -> Self {
        Self {
            inner,
            data,
            tracker,
            from_evaluation: timing == hinf::ErrorTiming::AfterEpoch,
            pending: Vec::with_capacity(data.len()),
            fixed: None,
        }
    }

    /// Also watches for an exact fixed point: every
    /// [`FIXED_POINT_EVERY`] epochs it saves the weights and the rule's
    /// [`ExactState`], and compares them, bit for bit, after the next
    /// epoch. Only for a fixed sample order: then an epoch is a fixed map
    /// of that state, and once one epoch leaves it unchanged every later
    /// one does too, with the same error and outputs, so the rest of the
    /// run is known without running it. `found_at` receives the epoch after
    /// which the state was found unchanged (a training loop's epoch
    /// callback can read it and stop).
    /// This is what a saturated run reaches (a Jacobian of exact zeros,
    /// moments decayed to the smallest subnormal), where every epoch is
    /// also tens of times slower than usual.
    pub fn watch_fixed_point(mut self, found_at: &'a core::cell::Cell<Option<u32>>) -> Self {
        found_at.set(None);
        self.fixed = Some(FixedPointWatch {
            epoch: 0,
            saved: None,
            scratch: Vec::new(),
            found_at,
        });
        self
    }
}

impl<T: Real, O: ExactState> Watched<'_, '_, T, O> {
    /// The fixed-point test at the end of an epoch.
    fn check_fixed_point<S: AsRef<[T]> + AsMut<[T]>>(&mut self, net: &ResNet<T, S>) {
        let Some(f) = self.fixed.as_mut() else {
            return;
        };
        f.epoch += 1;
        if f.found_at.get().is_some() {
            return;
        }
        let snapshot_due = f.epoch % FIXED_POINT_EVERY == 0;
        if f.saved.is_none() && !snapshot_due {
            return;
        }
        f.scratch.clear();
        f.scratch
            .extend(net.weights().iter().map(|x| x.to_f64().to_bits()));
        if !self.inner.state_bits(&mut f.scratch) {
            self.fixed = None;
            return;
        }
        match f.saved.take() {
            Some(saved) if saved == f.scratch => f.found_at.set(Some(f.epoch)),
            Some(saved) if snapshot_due => {
                f.saved = Some(core::mem::replace(&mut f.scratch, saved));
            }
            Some(saved) => f.scratch = saved,
            None => f.saved = Some(core::mem::take(&mut f.scratch)),
        }
    }
}

impl<T: Real, O: Optimizer<T> + ExactState> Optimizer<T> for Watched<'_, '_, T, O> {
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
        self.check_fixed_point(net);
        if !self.from_evaluation {
            self.tracker.record_net(net, &self.data);
        }
        Ok(())
    }

    fn watch_outputs(&mut self, k: usize, outputs: &[T]) {
        self.inner.watch_outputs(k, outputs);
        if !self.from_evaluation {
            return;
        }
        if k == 0 {
            self.pending.clear();
        }
        self.pending
            .push(outputs.first().map_or(f64::NAN, |v| v.to_f64()));
        if k + 1 == self.data.len() {
            let outs = core::mem::take(&mut self.pending);
            self.tracker.record(outs);
        }
    }
}

/// The largest ‖H_k‖₂ over the patterns of `data` at the current weights.
pub fn jacobian_norm<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &mut ResNet<T, S>,
    data: &Samples<'_, T>,
) -> f64 {
    let mut best = 0.0f64;
    for (x, _) in data.iter() {
        if let Ok((_, h)) = net.jacobian(x) {
            let n = h
                .iter()
                .map(|v| {
                    let v = v.to_f64();
                    v * v
                })
                .sum::<f64>()
                .sqrt();
            best = best.max(n);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_hand() {
        let t = vec![0.0, 1.0, 1.0, 0.0];
        assert!(is_stuck(&[0.5, 0.51, 0.49, 0.5]));
        assert!(!is_stuck(&[0.01, 0.02, 0.01, 0.0]));
        assert!(is_saturated(&[0.01, 0.02, 0.01, 0.0], &t));
        assert!(!is_saturated(&[0.01, 0.99, 0.99, 0.0], &t));
        let mut tr = Tracker::new(t);
        tr.record(vec![0.5; 4]);
        tr.record(vec![0.9, 0.1, 0.5, 0.5]);
        tr.record(vec![0.5; 4]);
        tr.record(vec![0.5; 4]);
        assert_eq!(
            tr.classify(false, false, 3),
            (Some(FailureClass::Stuck), Some(2))
        );
        assert_eq!(tr.classify(true, false, 3), (None, None));
        assert_eq!(
            tr.classify(false, true, 3),
            (Some(FailureClass::Diverged), Some(4))
        );
        tr.record(vec![0.0; 4]);
        assert_eq!(
            tr.classify(false, false, 4),
            (Some(FailureClass::Saturated), Some(4))
        );
        tr.record(vec![0.2, 0.8, 0.4, 0.3]);
        assert_eq!(
            tr.classify(false, false, 5),
            (Some(FailureClass::Slow), None)
        );
    }

    #[test]
    fn eps0_scales() {
        let v5 = ResNetSpec::xor(5).unwrap();
        let v101 = ResNetSpec::xor(101).unwrap();
        for s in [Eps0Scale::None, Eps0Scale::Weights, Eps0Scale::Blocks] {
            let v = Variant {
                eps0_scale: s,
                ..Variant::default()
            };
            assert_eq!(v.effective_eps0(10.0, &v5), 10.0);
        }
        let w = Variant {
            eps0_scale: Eps0Scale::Weights,
            ..Variant::default()
        };
        assert!((w.effective_eps0(10.0, &v101) - 10.0 * 76.0 / 2716.0).abs() < 1e-12);
        let b = Variant {
            eps0_scale: Eps0Scale::Blocks,
            ..Variant::default()
        };
        assert_eq!(b.effective_eps0(10.0, &v101), 10.0 / 49.0);
    }
}
