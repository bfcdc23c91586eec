//! Why a trial did not converge: its [`FailureClass`].
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
//!   `TrialResult::jacobian_norm` (from [`jacobian_norm`]), the largest ‖H_k‖₂ over the patterns —
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

use hinf::{Real, ResNet, Samples};
use serde::{Deserialize, Serialize};

/// Outputs closer than this to 0 or 1 count as saturated.
pub const SATURATION_MARGIN: f64 = 0.05;
/// Outputs whose spread (max − min) is below this count as constant.
pub const STUCK_SPREAD: f64 = 0.05;

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
}
