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
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::{Failure, UsageError, check_spec, with_threads};
use crate::experiment::{
    AdamModeArg, CovarianceKind, Criterion, ExperimentResult, ExperimentSpec, GainOrderArg, Inputs,
    Method, Order, Precision, Summary, Timing, TrialSpec, run_experiment,
};
use crate::report::{self, cli_name, opt, opt_u};
use crate::variant::{Eps0Scale, ExtensionArg, FailureClass, Targets, Variant};

/// `hinf sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Learning rules [default: hinf].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub method: Option<Vec<Method>>,
    /// Depths L = 2n + 3 [default: 5].
    #[arg(long, value_delimiter = ',', value_name = "L,...")]
    pub layers: Option<Vec<usize>>,
    /// ε0 values [default: hinf::DEFAULT_EPS0].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "E,...",
        allow_negative_numbers = true
    )]
    pub eps0: Option<Vec<f64>>,
    /// ε0 scalings: none, weights (ε0·76/N_w), blocks (ε0/n) [default: none].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub eps0_scale: Option<Vec<Eps0Scale>>,
    /// γ_f values [default: 1.7].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "G,...",
        allow_negative_numbers = true
    )]
    pub gamma: Option<Vec<f64>>,
    /// Gain orders [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub gain_order: Option<Vec<GainOrderArg>>,
    /// Stopping measures [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub criterion: Option<Vec<Criterion>>,
    /// Stopping tolerances [default: 1e-2].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "TOL,...",
        allow_negative_numbers = true
    )]
    pub tol: Option<Vec<f64>>,
    /// A-posteriori (after-epoch) or a-priori (during-epoch) errors in the
    /// stopping rule [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub timing: Option<Vec<Timing>>,
    /// Sample orders [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub order: Option<Vec<Order>>,
    /// Input codings [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub inputs: Option<Vec<Inputs>>,
    /// Target codings [default: zero-one].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub targets: Option<Vec<Targets>>,
    /// Adam modes [default: the core's].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub adam_mode: Option<Vec<AdamModeArg>>,
    /// Step extensions [default: none].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub extension: Option<Vec<ExtensionArg>>,
    /// Trust region δ values [default: 1].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "D,...",
        allow_negative_numbers = true
    )]
    pub tr_delta: Option<Vec<f64>>,
    /// Trust region τ values [default: 1].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "T,...",
        allow_negative_numbers = true
    )]
    pub tr_tolerance: Option<Vec<f64>>,
    /// Trust region halvings [default: 10].
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub tr_halvings: Option<Vec<u32>>,
    /// Process noise q values on P [default: 0, off].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "Q,...",
        allow_negative_numbers = true
    )]
    pub process_noise: Option<Vec<f64>>,
    /// Forgetting factors λ on P [default: 1, off].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "L,...",
        allow_negative_numbers = true
    )]
    pub forgetting: Option<Vec<f64>>,
    /// Trials per configuration; ≥ 1.
    #[arg(long, default_value_t = 20, value_name = "T")]
    pub trials: usize,
    /// Base seed; trial i uses splitmix64(S ^ i).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Epoch cap of every configuration; ≥ 1.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub max_epochs: u32,
    /// Initial weights uniform in [-A, A].
    #[arg(long, default_value_t = hinf::PAPER_INIT_RANGE, value_name = "A", allow_negative_numbers = true)]
    pub init_range: f64,
    /// Adam's step size α.
    #[arg(long, default_value_t = hinf::AdamConfig::default().lr, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: f64,
    /// Scalar type.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Storage of P for H∞.
    #[arg(long, value_enum, default_value_t = CovarianceKind::Structured)]
    pub covariance: CovarianceKind,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the summaries as one JSON object on stdout; no progress bars.
    #[arg(long)]
    pub json: bool,
    /// Run nothing: redraw `sweep.svg` and rewrite `sweep.md` and
    /// `sweep.csv` of --out from its `sweep.json`.
    #[arg(long)]
    pub replot: bool,
}

fn expand<V: Copy>(
    specs: Vec<TrialSpec>,
    values: &Option<Vec<V>>,
    flag: &str,
    set: impl Fn(&mut TrialSpec, V),
) -> Result<Vec<TrialSpec>, UsageError> {
    let Some(values) = values else {
        return Ok(specs);
    };
    if values.is_empty() {
        return Err(UsageError(format!(
            "invalid value '' for '{flag}': give at least one value"
        )));
    }
    let mut out = Vec::with_capacity(specs.len() * values.len());
    for s in specs {
        for &v in values {
            let mut t = s;
            set(&mut t, v);
            out.push(t);
        }
    }
    Ok(out)
}

/// Resets the settings `spec.method` does not use to their defaults, so
/// that equal runs compare equal.
pub fn normalize(mut s: TrialSpec) -> TrialSpec {
    let d = TrialSpec::default();
    let dv = Variant::default();
    match s.method {
        Method::Adam => {
            s.eps0 = d.eps0;
            s.gamma = d.gamma;
            s.gain_order = d.gain_order;
            s.covariance = d.covariance;
            s.variant = Variant {
                targets: s.variant.targets,
                ..dv
            };
        }
        Method::Sd => {
            s.gamma = d.gamma;
            s.gain_order = d.gain_order;
            s.covariance = d.covariance;
            s.variant.process_noise = dv.process_noise;
            s.variant.forgetting = dv.forgetting;
            s.adam_mode = d.adam_mode;
            s.adam_lr = d.adam_lr;
        }
        Method::Hinf => {
            s.adam_mode = d.adam_mode;
            s.adam_lr = d.adam_lr;
        }
    }
    if s.variant.extension == ExtensionArg::None {
        s.variant.tr_delta = dv.tr_delta;
        s.variant.tr_tolerance = dv.tr_tolerance;
        s.variant.tr_halvings = dv.tr_halvings;
    }
    s
}

/// The grid these flags describe: validated, normalized, without duplicates,
/// in the order of the flags (the last flag varies fastest).
pub fn grid(a: &SweepArgs) -> Result<Vec<TrialSpec>, UsageError> {
    if a.trials == 0 {
        return Err(UsageError(
            "invalid value '0' for '--trials': need at least 1 trial".into(),
        ));
    }
    if a.max_epochs == 0 {
        return Err(UsageError(
            "invalid value '0' for '--max-epochs': need at least 1 epoch".into(),
        ));
    }
    if a.threads == Some(0) {
        return Err(UsageError(
            "invalid value '0' for '--threads': need at least 1 thread".into(),
        ));
    }
    let base = TrialSpec {
        max_epochs: a.max_epochs,
        init_range: a.init_range,
        adam_lr: a.adam_lr,
        precision: a.precision,
        covariance: a.covariance,
        ..TrialSpec::default()
    };
    let mut g = vec![base];
    g = expand(g, &a.method, "--method", |s, v| s.method = v)?;
    g = expand(g, &a.layers, "--layers", |s, v| s.layers = v)?;
    g = expand(g, &a.gamma, "--gamma", |s, v| s.gamma = v)?;
    g = expand(g, &a.gain_order, "--gain-order", |s, v| s.gain_order = v)?;
    g = expand(g, &a.criterion, "--criterion", |s, v| s.criterion = v)?;
    g = expand(g, &a.tol, "--tol", |s, v| s.tol = v)?;
    g = expand(g, &a.timing, "--timing", |s, v| s.timing = v)?;
    g = expand(g, &a.order, "--order", |s, v| s.order = v)?;
    g = expand(g, &a.inputs, "--inputs", |s, v| s.inputs = v)?;
    g = expand(g, &a.targets, "--targets", |s, v| s.variant.targets = v)?;
    g = expand(g, &a.adam_mode, "--adam-mode", |s, v| s.adam_mode = v)?;
    g = expand(g, &a.extension, "--extension", |s, v| {
        s.variant.extension = v
    })?;
    g = expand(g, &a.tr_delta, "--tr-delta", |s, v| s.variant.tr_delta = v)?;
    g = expand(g, &a.tr_tolerance, "--tr-tolerance", |s, v| {
        s.variant.tr_tolerance = v
    })?;
    g = expand(g, &a.tr_halvings, "--tr-halvings", |s, v| {
        s.variant.tr_halvings = v
    })?;
    g = expand(g, &a.process_noise, "--process-noise", |s, v| {
        s.variant.process_noise = v
    })?;
    g = expand(g, &a.forgetting, "--forgetting", |s, v| {
        s.variant.forgetting = v
    })?;
    g = expand(g, &a.eps0_scale, "--eps0-scale", |s, v| {
        s.variant.eps0_scale = v
    })?;
    g = expand(g, &a.eps0, "--eps0", |s, v| s.eps0 = v)?;
    let mut out: Vec<TrialSpec> = Vec::new();
    for s in g {
        check_spec(&s)?;
        crate::cli::check_memory(
            &s,
            crate::cli::at_once(a.threads, a.trials),
            crate::cli::SHRINK_A_RUN,
        )?;
        let s = normalize(s);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
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

    /// Trials that did not converge.
    pub fn failed(&self) -> usize {
        self.summary.trials - self.summary.converged
    }
}

/// The columns of `sweep.csv`.
pub const SWEEP_HEADER: &str = "config,method,layers,n_weights,eps0,eps0_effective,eps0_scale,gamma,gain_order,criterion,tol,timing,order,inputs,targets,adam_mode,extension,tr_delta,tr_tolerance,tr_halvings,process_noise,forgetting,max_epochs,trials,converged,failure_rate,stuck,saturated,diverged,slow,mean_failure_epoch,mean,std,median,min,max,seconds";

fn csv_opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v}"))
}

/// `sweep.csv`.
pub fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut s = String::from(SWEEP_HEADER);
    s.push('\n');
    for r in rows {
        let m = &r.summary;
        let t = &m.settings;
        let v = &t.variant;
        let f = |k: &str| r.failures.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3}",
            r.config,
            m.method.name(),
            m.layers,
            m.n_weights,
            t.eps0,
            r.eps0_effective,
            cli_name(&v.eps0_scale),
            t.gamma,
            cli_name(&t.gain_order),
            cli_name(&t.criterion),
            t.tol,
            cli_name(&t.timing),
            cli_name(&t.order),
            cli_name(&t.inputs),
            cli_name(&v.targets),
            cli_name(&t.adam_mode),
            cli_name(&v.extension),
            v.tr_delta,
            v.tr_tolerance,
            v.tr_halvings,
            v.process_noise,
            v.forgetting,
            t.max_epochs,
            m.trials,
            m.converged,
            r.failed() as f64 / m.trials.max(1) as f64,
            f("stuck"),
            f("saturated"),
            f("diverged"),
            f("slow"),
            csv_opt(r.mean_failure_epoch),
            csv_opt(m.mean_epochs),
            csv_opt(m.std_epochs),
            csv_opt(m.median_epochs),
            m.min_epochs.map_or(String::new(), |x| x.to_string()),
            m.max_epochs.map_or(String::new(), |x| x.to_string()),
            m.seconds
        );
    }
    s
}

/// The columns of `sweep_trials.csv`.
pub const SWEEP_TRIALS_HEADER: &str = "config,method,layers,eps0,trial,seed,epochs,converged,final_error,class,class_epoch,out0,out1,out2,out3,jacobian_norm,seconds,failure";

/// `sweep_trials.csv`.
pub fn sweep_trials_csv<'a>(
    results: impl IntoIterator<Item = (usize, &'a ExperimentResult)>,
) -> String {
    let mut s = String::from(SWEEP_TRIALS_HEADER);
    s.push('\n');
    for (config, r) in results {
        for t in &r.trials {
            let out = |k: usize| {
                t.final_outputs
                    .get(k)
                    .map_or(String::new(), |v| format!("{v:.4}"))
            };
            let failure = crate::report::csv_text(t.failure.as_deref());
            let _ = writeln!(
                s,
                "{config},{},{},{},{},{},{},{},{:e},{},{},{},{},{},{},{:.3e},{:.4},{failure}",
                r.summary.method.name(),
                r.summary.layers,
                r.spec.trial.eps0,
                t.trial,
                t.seed,
                t.epochs,
                t.converged,
                t.final_error,
                t.class.map_or("", |c| c.name()),
                t.class_epoch.map_or(String::new(), |e| e.to_string()),
                out(0),
                out(1),
                out(2),
                out(3),
                t.jacobian_norm,
                t.seconds,
            );
        }
    }
    s
}

/// The settings (CLI names) that vary across `specs`, in a fixed order.
fn varying(specs: &[&TrialSpec]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    let all: Vec<Vec<(&'static str, String)>> = specs.iter().map(|s| settings(s)).collect();
    if let Some(first) = all.first() {
        for (i, (k, _)) in first.iter().enumerate() {
            if all
                .iter()
                .any(|a| a.get(i).map(|x| &x.1) != first.get(i).map(|x| &x.1))
            {
                keys.push(k);
            }
        }
    }
    keys
}

/// Every sweepable setting of `s` as (CLI name, value), fixed order.
pub fn settings(s: &TrialSpec) -> Vec<(&'static str, String)> {
    let v = &s.variant;
    vec![
        ("method", s.method.name().to_string()),
        ("layers", s.layers.to_string()),
        ("eps0", format!("{}", s.eps0)),
        ("eps0-scale", cli_name(&v.eps0_scale)),
        ("gamma", format!("{}", s.gamma)),
        ("gain-order", cli_name(&s.gain_order)),
        ("criterion", cli_name(&s.criterion)),
        ("tol", format!("{}", s.tol)),
        ("timing", cli_name(&s.timing)),
        ("order", cli_name(&s.order)),
        ("inputs", cli_name(&s.inputs)),
        ("targets", cli_name(&v.targets)),
        ("adam-mode", cli_name(&s.adam_mode)),
        ("extension", cli_name(&v.extension)),
        ("tr-delta", format!("{}", v.tr_delta)),
        ("tr-tolerance", format!("{}", v.tr_tolerance)),
        ("tr-halvings", v.tr_halvings.to_string()),
        ("process-noise", format!("{}", v.process_noise)),
        ("forgetting", format!("{}", v.forgetting)),
    ]
}

/// `sweep.md`.
pub fn markdown(rows: &[SweepRow], command: &str, seconds: f64, planned: usize) -> String {
    let specs: Vec<&TrialSpec> = rows.iter().map(|r| &r.summary.settings).collect();
    let mut keys = varying(&specs);
    for k in ["method", "layers", "eps0"] {
        if !keys.contains(&k) {
            keys.insert(0, k);
        }
    }
    let order = [
        "method",
        "layers",
        "eps0",
        "eps0-scale",
        "gamma",
        "gain-order",
        "criterion",
        "tol",
        "timing",
        "order",
        "inputs",
        "targets",
        "adam-mode",
        "extension",
        "tr-delta",
        "tr-tolerance",
        "tr-halvings",
        "process-noise",
        "forgetting",
    ];
    keys.sort_by_key(|k| order.iter().position(|o| o == k));
    let mut s = String::from("# hinf sweep\n\n");
    let _ = writeln!(s, "Command: `{command}`\n");
    let _ = writeln!(
        s,
        "{} of {} configuration(s) done; wall time {:.1} s.\n",
        rows.len(),
        planned,
        seconds
    );
    if let Some(r) = rows.first() {
        let fixed: Vec<String> = settings(&r.summary.settings)
            .into_iter()
            .filter(|(k, _)| !keys.contains(k))
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        let _ = writeln!(
            s,
            "Fixed: {}; trials = {}, max-epochs = {}, seed = {}.\n",
            fixed.join(", "),
            r.summary.trials,
            r.summary.settings.max_epochs,
            r.summary.seed
        );
    }
    s += "Failure classes (see `host/src/variant.rs`): stuck = outputs constant (spread < 0.05) inside (0.05, 0.95); \
          saturated = all outputs within 0.05 of 0 or 1 with a pattern wrong; diverged = rejected non-finite update; \
          slow = none of these at the epoch cap. \"onset\" = mean epoch from which the stuck/saturated state held to the end \
          (diverged: the epoch of the failure). Epoch statistics are over converged trials.\n\n";
    s += "| # |";
    for k in &keys {
        let _ = write!(s, " {k} |");
    }
    s += " converged | stuck | saturated | diverged | slow | onset | mean | std | median | max | s |\n|---|";
    for _ in &keys {
        s += "---|";
    }
    s += "---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        let m = &r.summary;
        let all = settings(&m.settings);
        let _ = write!(s, "| {} |", r.config);
        for k in &keys {
            let v = all
                .iter()
                .find(|(n, _)| n == k)
                .map_or("", |(_, v)| v.as_str());
            let _ = write!(s, " {v} |");
        }
        let f = |k: &str| r.failures.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            " {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            m.converged,
            m.trials,
            f("stuck"),
            f("saturated"),
            f("diverged"),
            f("slow"),
            opt(r.mean_failure_epoch, 1),
            opt(m.mean_epochs, 2),
            opt(m.std_epochs, 2),
            opt(m.median_epochs, 1),
            opt_u(m.max_epochs),
            m.seconds
        );
    }
    s += "\n![mean epochs and failure rate against ε0](sweep.svg)\n";
    s
}

/// `sweep.svg`: mean epochs (left) and failure rate (right) against ε0
/// (log scale), one line per combination of the other settings.
pub fn plot(path: &Path, rows: &[SweepRow]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    // Group by every setting but ε0.
    let mut groups: Vec<(TrialSpec, Vec<&SweepRow>)> = Vec::new();
    for r in rows {
        let key = TrialSpec {
            eps0: 0.0,
            ..r.summary.settings
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let keys: Vec<&TrialSpec> = groups.iter().map(|(k, _)| k).collect();
    let mut label_keys = varying(&keys);
    label_keys.retain(|k| *k != "eps0");
    let label = |k: &TrialSpec| -> String {
        let all = settings(k);
        let mut parts = vec![format!("L={}", k.layers)];
        for (n, v) in all {
            if label_keys.contains(&n) && n != "layers" {
                parts.push(format!("{n}={v}"));
            }
        }
        parts.join(" ")
    };
    let xs: Vec<f64> = rows.iter().map(|r| r.summary.settings.eps0).collect();
    let x_lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x_lo, x_hi) = if x_lo.is_finite() && x_hi.is_finite() && x_lo > 0.0 {
        (x_lo / 1.5, x_hi * 1.5)
    } else {
        (0.1, 10.0)
    };
    let y_hi = rows
        .iter()
        .filter_map(|r| r.summary.mean_epochs)
        .fold(1.0f64, f64::max)
        * 1.15;
    let root = SVGBackend::new(path, (1300, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(650);
    let n = groups.len().max(1);
    let color = |i: usize| HSLColor(i as f64 / n as f64 * 0.85, 0.75, 0.4);
    for (panel, title, y_desc, rate) in [
        (
            &left,
            "mean epochs to stop (converged trials)",
            "epochs",
            false,
        ),
        (
            &right,
            "failure rate (not converged by the cap)",
            "fraction",
            true,
        ),
    ] {
        let y_max = if rate { 1.05 } else { y_hi };
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), 0.0..y_max)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("ε0")
            .y_desc(y_desc)
            .x_labels(6)
            .x_label_formatter(&|v| {
                if *v >= 1.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                }
            })
            .draw()
            .map_err(|e| err(&e))?;
        for (i, (k, rs)) in groups.iter().enumerate() {
            let mut pts: Vec<(f64, f64)> = rs
                .iter()
                .filter_map(|r| {
                    let y = if rate {
                        Some(r.failed() as f64 / r.summary.trials.max(1) as f64)
                    } else {
                        r.summary.mean_epochs
                    };
                    y.map(|y| (r.summary.settings.eps0, y))
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let c = color(i);
            let series = chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(|e| err(&e))?;
            if !rate {
                let l = label(k);
                series.label(l).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            }
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(|e| err(&e))?;
        }
        if !rate {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
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

fn write_all(
    out: &Path,
    rows: &[SweepRow],
    results: &[ExperimentResult],
    meta: &SweepSummary,
) -> Result<(), String> {
    report::create_dir(out)?;
    report::write_text(&out.join("sweep.csv"), &sweep_csv(rows))?;
    report::write_text(
        &out.join("sweep_trials.csv"),
        &sweep_trials_csv(results.iter().enumerate()),
    )?;
    report::write_json(&out.join("sweep.json"), meta)?;
    report::write_text(
        &out.join("sweep.md"),
        &markdown(rows, &meta.command, meta.seconds, meta.planned),
    )?;
    plot(&out.join("sweep.svg"), rows)
}

/// `hinf sweep --replot`: the report files of `out` from its `sweep.json`.
pub fn replot(out: &Path) -> Result<(), Failure> {
    let path = out.join("sweep.json");
    let text = std::fs::read_to_string(&path).map_err(|e| report::io_err(&path, e))?;
    let meta: SweepSummary = serde_json::from_str(&text)
        .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
    report::write_text(&out.join("sweep.csv"), &sweep_csv(&meta.rows))?;
    report::write_text(
        &out.join("sweep.md"),
        &markdown(&meta.rows, &meta.command, meta.seconds, meta.planned),
    )?;
    plot(&out.join("sweep.svg"), &meta.rows)?;
    Ok(())
}

/// `hinf sweep`.
pub fn run_cli(a: &SweepArgs) -> Result<(), Failure> {
    if a.replot {
        return replot(&a.out);
    }
    let specs = grid(a)?;
    let show = crate::progress::enabled(a.json);
    let command = format!(
        "hinf {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let start = Instant::now();
    let planned = specs.len();
    let (rows, threads) = with_threads(a.threads, || -> Result<_, Failure> {
        let mut rows = Vec::new();
        let mut results = Vec::new();
        for (i, trial) in specs.iter().enumerate() {
            let spec = ExperimentSpec {
                trial: *trial,
                trials: a.trials,
                seed: a.seed,
            };
            let pb = crate::progress::bar(
                a.trials as u64,
                format!(
                    "[{}/{}] {} L={} eps0={}",
                    i + 1,
                    planned,
                    trial.method.name(),
                    trial.layers,
                    trial.eps0
                ),
                show,
            );
            let r = match run_experiment(&spec, &|_| pb.inc(1)) {
                Ok(r) => r,
                Err(e) => return Err(Failure::Run(e.to_string())),
            };
            pb.finish_and_clear();
            rows.push(SweepRow::new(i, &r));
            results.push(r);
            let meta = SweepSummary {
                command: command.clone(),
                threads: rayon::current_num_threads(),
                seconds: start.elapsed().as_secs_f64(),
                planned,
                rows: rows.clone(),
            };
            write_all(&a.out, &rows, &results, &meta).map_err(Failure::Run)?;
        }
        Ok((rows, rayon::current_num_threads()))
    })??;
    let seconds = start.elapsed().as_secs_f64();
    let meta = SweepSummary {
        command,
        threads,
        seconds,
        planned,
        rows,
    };
    if a.json {
        crate::cli::print_json(&meta)?;
    } else {
        let mut t = String::new();
        for r in &meta.rows {
            let m = &r.summary;
            let _ = writeln!(
                t,
                "[{}] {} L={} eps0={}: converged {}/{} mean {} std {}  {:.1} s",
                r.config,
                m.method.name(),
                m.layers,
                m.settings.eps0,
                m.converged,
                m.trials,
                opt(m.mean_epochs, 2),
                opt(m.std_epochs, 2),
                m.seconds
            );
        }
        let _ = writeln!(
            t,
            "total {:.1} s on {} thread(s); wrote {}",
            seconds,
            threads,
            a.out.join("sweep.md").display()
        );
        crate::cli::print_out(&t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> SweepArgs {
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            a: SweepArgs,
        }
        let mut v = vec!["x", "--out", "/tmp/none"];
        v.extend_from_slice(extra);
        W::parse_from(v).a
    }

    #[test]
    fn grid_is_the_product_without_duplicates() {
        let g = grid(&args(&[
            "--eps0",
            "5,10",
            "--layers",
            "5,7",
            "--gain-order",
            "paper,covariance-first",
        ]))
        .unwrap();
        assert_eq!(g.len(), 8);
        // Adam ignores ε0 and the gain order.
        let g = grid(&args(&["--method", "adam,hinf", "--eps0", "5,10"])).unwrap();
        assert_eq!(g.len(), 3);
        assert!(grid(&args(&["--eps0", "-1"])).is_err());
        assert!(grid(&args(&["--trials", "0"])).is_err());
    }
}
