//! `hinf sweep`: a grid over the settings the paper leaves unstated and the
//! variant switches, at chosen depths and trial counts.
//!
//! Every list flag takes comma-separated values (e.g. `--eps0 5,10,20
//! --layers 5,21 --gain-order paper,covariance-first`); the grid is their
//! Cartesian product, with settings a method does not use dropped before
//! duplicates are removed (Adam ignores ε0, γ_f, the gain order, the
//! extension and the regularization; steepest descent ignores γ_f, the
//! gain order and the regularization). Configurations run one after
//! another, the trials of each in parallel, trial i seeded with
//! [`crate::trial_seed`]`(seed, i)` as in `hinf train`.
//!
//! Output directory (rewritten after every configuration, so an
//! interrupted sweep keeps what it finished):
//!
//! ```text
//! sweep.md          one table row per configuration, settings, run time
//! sweep.csv         the same, every setting as a column
//! sweep_trials.csv  one row per trial: epochs, failure class and its epoch, outputs
//! sweep.json        every configuration's Summary and failure counts
//! sweep.svg         mean epochs and failure rate against ε0, one line per
//!                   depth (and per combination of the other settings)
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::experiment::ExperimentResult;
use super::experiment::Summary;
use crate::learn::FailureClass;
use crate::settings::{TrialSpec, normalize};

/// The grid `specs` with the settings each method does not use reset and
/// duplicates removed, in order.
pub fn dedupe(specs: Vec<TrialSpec>) -> Vec<TrialSpec> {
    let mut out: Vec<TrialSpec> = Vec::new();
    for s in specs {
        let s = normalize(s);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// One configuration's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepRow {
    /// Index in the grid.
    pub config: usize,
    /// Summary (settings included).
    pub summary: Summary,
    /// ε0 after scaling.
    pub eps0_effective: f64,
    /// Failed trials per class, in [`FailureClass::ALL`] order.
    pub failures: BTreeMap<String, usize>,
    /// Mean epoch at which stuck/saturated/diverged trials reached their
    /// state (`None` if there are none).
    pub mean_failure_epoch: Option<f64>,
}

impl SweepRow {
    /// The row of `result`, the `config`-th of the grid.
    pub fn new(config: usize, result: &ExperimentResult) -> Self {
        let mut failures = BTreeMap::new();
        for c in FailureClass::ALL {
            let n = result.trials.iter().filter(|t| t.class == Some(c)).count();
            failures.insert(c.name().to_string(), n);
        }
        let at: Vec<f64> = result
            .trials
            .iter()
            .filter_map(|t| t.class_epoch.map(f64::from))
            .collect();
        Self {
            config,
            summary: result.summary.clone(),
            eps0_effective: result.spec.trial.effective_eps0().unwrap_or(f64::NAN),
            failures,
            mean_failure_epoch: (!at.is_empty()).then(|| at.iter().sum::<f64>() / at.len() as f64),
        }
    }
}

/// The `sweep.json` of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The command line.
    pub command: String,
    /// Worker threads.
    pub threads: usize,
    /// Wall time so far.
    pub seconds: f64,
    /// Configurations planned.
    pub planned: usize,
    /// One row per finished configuration.
    pub rows: Vec<SweepRow>,
}
