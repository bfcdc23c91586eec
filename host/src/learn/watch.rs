//! [`Watched`]: an optimizer wrapper that records the outputs after each
//! epoch for the failure classes, and finds an exact fixed point.

use hinf::{Optimizer, Real, ResNet, Samples, StepReport};

use super::classify::Tracker;

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
