//! The text summary of one experiment (`hinf train` without `--json`).

use super::files::{opt, opt_u};
use crate::run::Summary;
use crate::settings::{Choice, shown_settings};

/// A human-readable summary of one experiment.
pub fn describe(s: &Summary) -> String {
    let mut t = format!(
        "{} L={} N_w={} trials={} converged={}/{}{}\n",
        s.method.name(),
        s.layers,
        s.n_weights,
        s.trials,
        s.converged,
        s.trials,
        if s.failed > 0 {
            format!(" (diverged: {})", s.failed)
        } else {
            String::new()
        }
    );
    t += &format!(
        "epochs (converged trials): mean {} std {} median {} min {} max {}\n",
        opt(s.mean_epochs, 2),
        opt(s.std_epochs, 2),
        opt(s.median_epochs, 1),
        opt_u(s.min_epochs),
        opt_u(s.max_epochs),
    );
    t += &format!(
        "time: {:.3} s wall, {:.4} s per trial\nsettings: seed={}",
        s.seconds, s.mean_trial_seconds, s.seed
    );
    for (k, v) in shown_settings(&s.settings) {
        t += &format!(" {k}={v}");
    }
    t.push('\n');
    t
}
