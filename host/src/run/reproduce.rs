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

use serde::Serialize;

use super::experiment::Summary;
use crate::settings::{ExperimentSpec, ExtensionKind, Method, TrialSpec};

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
/// `--quick` epoch cap (unless `--max-epochs` is given).
pub const QUICK_MAX_EPOCHS: u32 = 3000;
/// Default epoch cap of the H∞ trials in `reproduce` (`--hinf-max-epochs`).
pub const HINF_MAX_EPOCHS: u32 = 100;
/// Epoch cap of the "beyond the paper" (trust-region) trials.
pub const BEYOND_MAX_EPOCHS: u32 = 300;
/// `--quick` trials per depth (unless `--trials` is given).
pub const QUICK_TRIALS: usize = 20;

/// What a reproduction runs, besides the settings of every trial.
#[derive(Debug, Clone, PartialEq)]
pub struct ReproducePlan {
    /// Every trial's settings (method and depth are set per experiment;
    /// `max_epochs` caps Adam and steepest descent).
    pub base: TrialSpec,
    /// Depths of Tables 1 and 2.
    pub depths: Vec<usize>,
    /// Depth of the steepest-descent run (`None`: skip it).
    pub sd_layers: Option<usize>,
    /// Add H∞ with the trust-region extension at the same depths.
    pub beyond: bool,
    /// Epoch cap of the H∞ trials.
    pub hinf_max_epochs: u32,
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
        let at = |method, layers| TrialSpec {
            method,
            layers,
            ..self.base
        };
        let mut out = Vec::new();
        for &l in &self.depths {
            out.push(TrialSpec {
                max_epochs: self.hinf_max_epochs,
                ..at(Method::Hinf, l)
            });
        }
        for &l in &self.depths {
            out.push(at(Method::Adam, l));
        }
        if let Some(l) = self.sd_layers {
            out.push(at(Method::Sd, l));
        }
        if self.beyond && self.base.variant.extension == ExtensionKind::None {
            for &l in &self.depths {
                let mut t = at(Method::Hinf, l);
                t.variant.extension = ExtensionKind::TrustRegion;
                t.eps0 = hinf::EXTENSION_EPS0;
                t.max_epochs = BEYOND_MAX_EPOCHS;
                out.push(t);
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
    /// Wall time of all experiments.
    pub seconds: f64,
    /// One summary per experiment, in run order.
    pub experiments: Vec<Summary>,
    /// The paper's Table 1.
    pub paper_table1: Vec<PaperRow>,
    /// The paper's Table 2.
    pub paper_table2: Vec<PaperRow>,
    /// The paper's steepest descent at L = 801.
    pub paper_sd: PaperRow,
}
