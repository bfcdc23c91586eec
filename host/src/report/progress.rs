//! Progress on stderr, drawn only when stderr is a terminal (also with
//! `--json`, whose JSON stays alone on stdout): a bar of finished trials
//! with an estimate of the time left, and the epoch each running trial is
//! at, redrawn twice a second so that a long trial does not look stuck.
//! Hidden, it costs nothing per epoch ([`Observer::wants_epochs`]).

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::run::{Observer, TrialResult};

/// Whether progress is drawn: stderr is a terminal.
pub fn enabled() -> bool {
    std::io::stderr().is_terminal()
}

/// Running trials whose epoch is shown, beyond which "+N" says how many more.
const SHOWN_RUNNING: usize = 4;

/// A bar over an experiment's trials: an [`Observer`] of its run.
pub struct TrialsBar {
    bar: ProgressBar,
    /// Per trial: 1 + its epochs while it runs, 0 otherwise.
    epochs: Arc<Vec<AtomicU32>>,
}

impl TrialsBar {
    /// A bar over `trials` trials capped at `cap` epochs, labelled `msg`,
    /// hidden unless `show`.
    pub fn new(trials: usize, cap: u32, msg: impl Into<String>, show: bool) -> Self {
        let epochs: Arc<Vec<AtomicU32>> =
            Arc::new((0..trials).map(|_| AtomicU32::new(0)).collect());
        let bar = if show {
            ProgressBar::with_draw_target(Some(trials as u64), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let seen = Arc::clone(&epochs);
        let template =
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} trials, eta {left}{running}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            let style = style
                .with_key("left", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&time_left(s.pos(), s.eta()));
                })
                .with_key(
                    "running",
                    move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&running(&seen, cap));
                    },
                );
            bar.set_style(style);
        }
        bar.set_message(msg.into());
        if show {
            bar.enable_steady_tick(Duration::from_millis(500));
        }
        Self { bar, epochs }
    }

    /// Counts `n` trials in all (a shard's share of the experiment).
    pub fn set_total(&self, n: usize) {
        self.bar.set_length(n as u64);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for TrialsBar {
    fn trial_done(&self, r: &TrialResult) {
        if let Some(e) = self.epochs.get(r.trial) {
            e.store(0, Ordering::Relaxed);
        }
        self.bar.inc(1);
    }
    fn wants_epochs(&self) -> bool {
        !self.bar.is_hidden()
    }
    fn epoch(&self, trial: usize, epoch: u32) {
        if let Some(e) = self.epochs.get(trial) {
            e.store(epoch.saturating_add(1), Ordering::Relaxed);
        }
    }
}

/// The estimate of the time left: `?` before the first trial finished.
fn time_left(done: u64, eta: Duration) -> String {
    if done == 0 {
        "?".into()
    } else {
        format!("{:#}", HumanDuration(eta))
    }
}

/// ` · running at epoch 57, 55 (cap 100)`, or nothing.
fn running(epochs: &[AtomicU32], cap: u32) -> String {
    let now: Vec<u32> = epochs
        .iter()
        .filter_map(|e| e.load(Ordering::Relaxed).checked_sub(1))
        .collect();
    if now.is_empty() {
        return String::new();
    }
    let mut s = String::from(" · running at epoch ");
    for (k, e) in now.iter().take(SHOWN_RUNNING).enumerate() {
        let _ = write!(s, "{}{e}", if k > 0 { ", " } else { "" });
    }
    if now.len() > SHOWN_RUNNING {
        let _ = write!(s, ", +{}", now.len() - SHOWN_RUNNING);
    }
    let _ = write!(s, " (cap {cap})");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_trials_and_time_left() {
        let e: Vec<AtomicU32> = [0, 58, 0, 56].into_iter().map(AtomicU32::new).collect();
        assert_eq!(running(&e, 100), " · running at epoch 57, 55 (cap 100)");
        let many: Vec<AtomicU32> = (1..=6).map(AtomicU32::new).collect();
        assert_eq!(
            running(&many, 9),
            " · running at epoch 0, 1, 2, 3, +2 (cap 9)"
        );
        assert_eq!(running(&[AtomicU32::new(0)], 9), "");
        assert_eq!(time_left(0, Duration::ZERO), "?");
        assert_eq!(time_left(1, Duration::from_secs(90)), "2m");
    }

    #[test]
    fn a_hidden_bar_wants_no_epochs() {
        let b = TrialsBar::new(3, 10, "x", false);
        assert!(!b.wants_epochs());
        b.epoch(1, 4);
        assert_eq!(running(&b.epochs, 10), " · running at epoch 4 (cap 10)");
        b.finish();
    }
}
