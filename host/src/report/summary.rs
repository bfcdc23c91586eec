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
        not_converged(s)
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

/// ` (not converged: N; diverged: M)`, or nothing if every trial converged.
fn not_converged(s: &Summary) -> String {
    match (s.not_converged, s.diverged) {
        (0, _) => String::new(),
        (n, 0) => format!(" (not converged: {n})"),
        (n, d) => format!(" (not converged: {n}; diverged: {d})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{ExperimentSpec, TrialSpec};

    #[test]
    fn the_first_line_counts_what_did_not_converge() {
        let spec = ExperimentSpec {
            trial: TrialSpec::default(),
            trials: 5,
            seed: 1,
        };
        let mut s = Summary::new(&spec, &[], 0.0).unwrap();
        s.trials = 5;
        let line = |s: &Summary| describe(s).lines().next().unwrap().to_string();
        (s.converged, s.not_converged, s.diverged) = (5, 0, 0);
        assert!(line(&s).ends_with("converged=5/5"), "{}", line(&s));
        (s.converged, s.not_converged, s.diverged) = (3, 2, 0);
        assert!(line(&s).ends_with("converged=3/5 (not converged: 2)"));
        s.diverged = 1;
        let want = "converged=3/5 (not converged: 2; diverged: 1)";
        assert!(line(&s).ends_with(want), "{}", line(&s));
    }
}
