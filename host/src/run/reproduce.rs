//! `hinf reproduce`: the paper's section 5 — Table 1 (H∞), Table 2 (Adam),
//! steepest descent at L = 801, Figures 3 and 4 — run and written beside
//! the paper's numbers.
//!
//! Output directory layout:
//!
//! ```text
//! report.md            the tables beside the paper's, settings, timing
//! summary.json         every experiment's Summary, plus run metadata
//! trials.csv           one row per trial of every experiment
//! <m>_L<L>.json        one Summary per experiment
//! <m>_L<L>_trials.csv  its trials
//! figures/<m>_L<L>.svg its learning curves (Figures 3, 4)
//! ```
//!
//! An earlier run's files are removed first (`--resume` keeps the
//! experiments with the same settings); the run-wide files are rewritten
//! after every experiment, so that they always describe exactly the
//! experiment files there (marked incomplete until all are), also when
//! Ctrl-C stops the run.

use serde::Serialize;

use super::experiment::Summary;
use crate::settings::{ExperimentSpec, ExtensionKind, Method, TrialSpec, caps};

/// One row of a paper table: depth, mean and std of epochs to stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaperRow {
    /// L.
    pub layers: usize,
    /// Mean epochs.
    pub mean: f64,
    /// Standard deviation of epochs (`NaN` if not given).
    pub std: f64,
}

const fn row(layers: usize, mean: f64, std: f64) -> PaperRow {
    PaperRow { layers, mean, std }
}

/// Table 1: H∞-learning (γ_f = 1.7), epochs to stop.
pub const TABLE1: [PaperRow; 6] = [
    row(5, 25.92, 2.59),
    row(101, 23.17, 2.36),
    row(201, 22.58, 2.31),
    row(401, 21.74, 1.96),
    row(801, 20.74, 2.39),
    row(1001, 20.57, 2.23),
];

/// Table 2: Adam (α = 0.01, β1 = 0.79, β2 = 0.78, ε = 1e-8), epochs to stop.
pub const TABLE2: [PaperRow; 6] = [
    row(5, 2160.5, 442.5),
    row(101, 1984.9, 447.9),
    row(201, 2078.1, 467.4),
    row(401, 1950.8, 423.6),
    row(801, 1783.7, 346.4),
    row(1001, 1724.6, 366.2),
];

/// Steepest descent at L = 801: mean epochs (no std given).
pub const SD_L801: PaperRow = row(801, 4833.9, f64::NAN);

/// The paper's numbers for `method` at `layers`, if it gives them.
pub fn paper(method: Method, layers: usize) -> Option<PaperRow> {
    let table: &[PaperRow] = match method {
        Method::Hinf => &TABLE1,
        Method::Adam => &TABLE2,
        Method::Sd => std::slice::from_ref(&SD_L801),
    };
    table.iter().copied().find(|r| r.layers == layers)
}

/// The paper's depths, 5 to 1001.
pub const PAPER_DEPTHS: [usize; 6] = [5, 101, 201, 401, 801, 1001];
/// `--quick` depths.
pub const QUICK_DEPTHS: [usize; 3] = [5, 21, 41];
/// `--quick` trials per depth (unless `--trials` is given).
pub const QUICK_TRIALS: usize = 20;

/// What a reproduction runs, besides the settings of every trial. Epoch
/// caps are those of [`crate::settings::caps`] unless given.
#[derive(Debug, Clone, PartialEq)]
pub struct ReproducePlan {
    /// Every trial's settings (method, depth and epoch cap are set per
    /// experiment).
    pub base: TrialSpec,
    /// Depths of Tables 1 and 2.
    pub depths: Vec<usize>,
    /// Depth of the steepest-descent run (`None`: skip it).
    pub sd_layers: Option<usize>,
    /// Add H∞ with the trust-region extension at the same depths.
    pub beyond: bool,
    /// `--max-epochs`: the cap of every experiment, if given.
    pub max_epochs: Option<u32>,
    /// `--hinf-max-epochs`: the cap of Table 1's H∞ trials, if given
    /// (before `max_epochs`).
    pub hinf_max_epochs: Option<u32>,
    /// `--quick`: Adam and steepest descent capped at [`caps::QUICK`]
    /// unless `max_epochs` is given.
    pub quick: bool,
    /// Trials per experiment.
    pub trials: usize,
    /// Base seed.
    pub seed: u64,
}

impl ReproducePlan {
    /// The experiments, in run order: Table 1 (H∞), Table 2 (Adam),
    /// steepest descent, then (with `beyond`) the trust-region extension
    /// unless the base already uses it.
    pub fn experiments(&self) -> Vec<ExperimentSpec> {
        let quick = self.quick.then_some(caps::QUICK);
        let at = |method, layers, given: Option<u32>| {
            let t = TrialSpec {
                method,
                layers,
                ..self.base
            };
            caps::capped(t, given)
        };
        let mut out = Vec::new();
        let hinf_cap = self.hinf_max_epochs.or(self.max_epochs);
        for &l in &self.depths {
            out.push(at(Method::Hinf, l, hinf_cap));
        }
        let other_cap = self.max_epochs.or(quick);
        for &l in &self.depths {
            out.push(at(Method::Adam, l, other_cap));
        }
        if let Some(l) = self.sd_layers {
            out.push(at(Method::Sd, l, other_cap));
        }
        if self.beyond && self.base.variant.extension == ExtensionKind::None {
            for &l in &self.depths {
                let mut t = self.base;
                t.variant.extension = ExtensionKind::TrustRegion;
                t.eps0 = hinf::EXTENSION_EPS0;
                out.push(caps::capped(
                    TrialSpec {
                        method: Method::Hinf,
                        layers: l,
                        ..t
                    },
                    self.max_epochs,
                ));
            }
        }
        out.into_iter()
            .map(|trial| ExperimentSpec {
                trial,
                trials: self.trials,
                seed: self.seed,
            })
            .collect()
    }
}

/// The `summary.json` of a reproduction.
#[derive(Debug, Clone, Serialize)]
pub struct ReproduceSummary {
    /// The command line's mode.
    pub quick: bool,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time of all experiments (those of `resumed` as they took in
    /// the earlier run).
    pub seconds: f64,
    /// Experiments planned; `experiments` holds fewer if the run was
    /// interrupted (or is still running).
    pub planned: usize,
    /// Experiments kept from an earlier run (`--resume`).
    pub resumed: usize,
    /// One summary per experiment, in run order.
    pub experiments: Vec<Summary>,
    /// The paper's Table 1.
    pub paper_table1: Vec<PaperRow>,
    /// The paper's Table 2.
    pub paper_table2: Vec<PaperRow>,
    /// The paper's steepest descent at L = 801.
    pub paper_sd: PaperRow,
}
