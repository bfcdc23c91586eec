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

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::cli::{Failure, ReproduceArgs, UsageError, check_spec, with_threads};
use crate::experiment::{ExperimentResult, ExperimentSpec, Method, Summary, run_experiment};
use crate::report::{self, opt, opt_u};
use crate::variant::ExtensionArg;

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

/// The experiments of a reproduction, in run order.
pub fn plan(a: &ReproduceArgs) -> Result<Vec<ExperimentSpec>, UsageError> {
    let trials = a.trials.unwrap_or(if a.quick { QUICK_TRIALS } else { 100 });
    if trials == 0 {
        return Err(UsageError(
            "invalid value '0' for '--trials': need at least 1 trial".into(),
        ));
    }
    if a.settings.threads == Some(0) {
        return Err(UsageError(
            "invalid value '0' for '--threads': need at least 1 thread".into(),
        ));
    }
    if a.settings.max_epochs == Some(0) {
        return Err(UsageError(
            "invalid value '0' for '--max-epochs': need at least 1 epoch".into(),
        ));
    }
    let depths = match &a.depths {
        Some(d) if d.is_empty() => {
            return Err(UsageError(
                "invalid value '' for '--depths': give at least one depth".into(),
            ));
        }
        Some(d) => d.clone(),
        None if a.quick => QUICK_DEPTHS.to_vec(),
        None => PAPER_DEPTHS.to_vec(),
    };
    let sd_layers = a.sd_layers.unwrap_or(if a.quick { 41 } else { 801 });
    let cap = if a.quick {
        QUICK_MAX_EPOCHS
    } else {
        hinf::TrainConfig::default().max_epochs
    };
    if a.hinf_max_epochs == 0 {
        return Err(UsageError(
            "invalid value '0' for '--hinf-max-epochs': need at least 1 epoch".into(),
        ));
    }
    let mut out = Vec::new();
    for &l in &depths {
        let mut t = a.settings.trial_spec(Method::Hinf, l, cap);
        t.max_epochs = a.hinf_max_epochs;
        out.push(t);
    }
    for &l in &depths {
        out.push(a.settings.trial_spec(Method::Adam, l, cap));
    }
    if !a.no_sd {
        out.push(a.settings.trial_spec(Method::Sd, sd_layers, cap));
    }
    if a.beyond && a.settings.variant.extension == ExtensionArg::None {
        for &l in &depths {
            let mut t = a.settings.trial_spec(Method::Hinf, l, cap);
            t.variant.extension = ExtensionArg::TrustRegion;
            t.eps0 = hinf::EXTENSION_EPS0;
            t.max_epochs = BEYOND_MAX_EPOCHS;
            out.push(t);
        }
    }
    for t in &out {
        check_spec(t).map_err(|u| {
            if t.method == Method::Sd && u.0.contains("--layers") {
                UsageError(u.0.replace("--layers", "--sd-layers"))
            } else if u.0.contains("--layers") {
                UsageError(u.0.replace("--layers", "--depths"))
            } else {
                u
            }
        })?;
        crate::cli::check_memory(
            t,
            crate::cli::at_once(a.settings.threads, trials),
            "use smaller --depths, fewer --threads or a lower epoch cap",
        )?;
    }
    Ok(out
        .into_iter()
        .map(|trial| ExperimentSpec {
            trial,
            trials,
            seed: a.seed,
        })
        .collect())
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

/// Runs `specs` one after another (trials in parallel inside each),
/// with a progress bar per experiment if `show`. `done` sees each
/// experiment as it finishes (e.g. to write its files at once, so that an
/// interrupted run keeps what it finished).
pub fn run_all(
    specs: &[ExperimentSpec],
    show: bool,
    done: &mut dyn FnMut(&ExperimentResult) -> Result<(), String>,
) -> Result<Vec<ExperimentResult>, Failure> {
    let mut results = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let pb = crate::progress::bar(
            spec.trials as u64,
            format!(
                "[{}/{}] {} L={}",
                i + 1,
                specs.len(),
                spec.trial.method.name(),
                spec.trial.layers
            ),
            show,
        );
        let r = run_experiment(spec, &|_| pb.inc(1)).map_err(|e| Failure::Run(e.to_string()))?;
        pb.finish_and_clear();
        done(&r)?;
        results.push(r);
    }
    Ok(results)
}

/// Writes every output file of a reproduction into `out`; returns the
/// paths written.
pub fn write_all(
    out: &Path,
    results: &[ExperimentResult],
    meta: &ReproduceSummary,
    command: &str,
) -> Result<Vec<PathBuf>, String> {
    report::create_dir(out)?;
    let figures = out.join("figures");
    let mut written = Vec::new();
    for r in results {
        let f = report::write_experiment(out, Some(&figures), false, r)?;
        written.push(f.summary);
        written.push(f.trials);
        written.extend(f.figure);
    }
    let p = out.join("trials.csv");
    report::write_text(&p, &report::trials_csv(results))?;
    written.push(p);
    let p = out.join("summary.json");
    report::write_json(&p, meta)?;
    written.push(p);
    let p = out.join("report.md");
    report::write_text(&p, &markdown(results, meta, command))?;
    written.push(p);
    Ok(written)
}

fn delta(ours: Option<f64>, paper: f64) -> String {
    match ours {
        Some(m) if paper.is_finite() => format!("{:+.2}", m - paper),
        _ => "–".into(),
    }
}

fn table(results: &[&ExperimentResult]) -> String {
    let mut s = String::from(
        "| L | N_w | converged | mean | std | median | min | max | paper mean | paper std | mean − paper | s/trial |\n\
         |---|-----|-----------|------|-----|--------|-----|-----|------------|-----------|--------------|---------|\n",
    );
    for r in results {
        let m = &r.summary;
        let p = paper(m.method, m.layers);
        s += &format!(
            "| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} |\n",
            m.layers,
            m.n_weights,
            m.converged,
            m.trials,
            opt(m.mean_epochs, 2),
            opt(m.std_epochs, 2),
            opt(m.median_epochs, 1),
            opt_u(m.min_epochs),
            opt_u(m.max_epochs),
            p.map_or("–".into(), |p| format!("{:.2}", p.mean)),
            p.map_or("–".into(), |p| if p.std.is_finite() {
                format!("{:.2}", p.std)
            } else {
                "–".into()
            }),
            p.map_or("–".into(), |p| delta(m.mean_epochs, p.mean)),
            m.mean_trial_seconds,
        );
    }
    s
}

/// The Markdown report.
pub fn markdown(results: &[ExperimentResult], meta: &ReproduceSummary, command: &str) -> String {
    let printed = |r: &&ExperimentResult| r.spec.trial.variant.extension == ExtensionArg::None;
    let of = |m: Method| -> Vec<&ExperimentResult> {
        results
            .iter()
            .filter(|r| r.summary.method == m)
            .filter(printed)
            .collect()
    };
    let beyond: Vec<&ExperimentResult> = results.iter().filter(|r| !printed(r)).collect();
    let mut s = String::new();
    s += "# Reproduction: Nishiyama, *Deep Residual H∞-learning*, section 5\n\n";
    s += &format!("Command: `{command}`");
    if meta.quick {
        s += " — **quick mode**: fewer trials, shallow depths and capped epochs; \
              the paper's numbers are for other depths and 100 trials";
    }
    s += "\n\n";
    s += "Task: XOR (4 patterns), N1 = 2, N = 5, N_L = 1, sigmoid slope η0 = 2.5, \
          initial weights uniform in [−A, A]; one epoch = one pass over the 4 patterns. \
          Epoch statistics are over the converged trials; std is the sample std (n − 1).\n\n";

    if let Some(first) = results.first() {
        let st = &first.spec.trial;
        s += "## Settings\n\n";
        s += "The paper does not state ε0, the exact stopping measure (\"truncation error 10⁻²\"), \
              the input coding or the sample order. The values below are the core's provisional \
              defaults (`hinf::DEFAULT_EPS0`, `TrainConfig::default()`, `InputCoding::default()`, \
              `GEhfConfig::default()`) unless overridden on the command line.\n\n";
        s += "| setting | value |\n|---|---|\n";
        s += &format!("| trials per experiment | {} |\n", first.spec.trials);
        s += &format!(
            "| base seed (trial i uses splitmix64(seed ^ i)) | {} |\n",
            first.spec.seed
        );
        for (k, v) in report::settings_list(st) {
            if k == "max-epochs" {
                for m in [Method::Hinf, Method::Adam, Method::Sd] {
                    if let Some(r) = results.iter().find(|r| r.summary.method == m) {
                        s += &format!(
                            "| max-epochs ({}) | {} |\n",
                            m.name(),
                            r.spec.trial.max_epochs
                        );
                    }
                }
            } else {
                s += &format!("| {k} | {v} |\n");
            }
        }
        s += "\n(γ_f applies to H∞ only; ε0 to H∞ and steepest descent; the `adam-*` settings to Adam.)\n\n";
    }

    for (m, title, fig) in [
        (
            Method::Hinf,
            "Table 1: H∞-learning (g-EHF), epochs to stop",
            "Figure 3",
        ),
        (Method::Adam, "Table 2: Adam, epochs to stop", "Figure 4"),
        (
            Method::Sd,
            "Steepest descent (P = ε0 I), epochs to stop",
            "",
        ),
    ] {
        let rs = of(m);
        if rs.is_empty() {
            continue;
        }
        s += &format!("## {title}\n\n");
        s += &table(&rs);
        s += "\n";
        let failed: usize = rs.iter().map(|r| r.summary.failed).sum();
        if failed > 0 {
            s += &format!(
                "{failed} trial(s) ended with a rejected (diverging) update; see trials.csv.\n\n"
            );
        }
        let label = if fig.is_empty() {
            "Learning curves".to_string()
        } else {
            format!("{fig} (learning curves)")
        };
        s += &format!("{label}, every trial's error per epoch, log scale:\n\n");
        for r in &rs {
            let stem = report::stem(&r.summary);
            s += &format!(
                "![{} L = {}](figures/{stem}.svg)\n",
                m.name(),
                r.summary.layers
            );
        }
        s += "\n";
    }

    if !beyond.is_empty() {
        s += "## Beyond the paper: H∞ with the trust-region extension\n\n";
        s += "**Not the paper's method.** The g-EHF with `--extension trust-region` \
              (δ = 1, τ = 1, 10 halvings: each weight step bounded and checked against the \
              linearisation; P as printed), ε0 = 1000 at every depth, epochs capped at 300; \
              everything else as above. The paper columns are Table 1's. See \
              `docs/extension-notes.md` and `docs/REPRODUCTION.md`.\n\n";
        s += &table(&beyond);
        s += "\nLearning curves:\n\n";
        for r in &beyond {
            let stem = report::stem(&r.summary);
            s += &format!(
                "![hinf + trust region L = {}](figures/{stem}.svg)\n",
                r.summary.layers
            );
        }
        s += "\n";
    }

    s += "## Timing\n\n";
    s += &format!(
        "Total wall time {:.1} s on {} worker thread(s).\n\n",
        meta.seconds, meta.threads
    );
    s += "| experiment | trials | wall s | mean s/trial | mean s/epoch |\n|---|---|---|---|---|\n";
    for r in results {
        let m = &r.summary;
        let epochs: u64 = r.trials.iter().map(|t| u64::from(t.epochs)).sum();
        let per_epoch = if epochs > 0 {
            r.trials.iter().map(|t| t.seconds).sum::<f64>() / epochs as f64
        } else {
            0.0
        };
        s += &format!(
            "| {} L = {} | {} | {:.2} | {:.4} | {:.2e} |\n",
            if printed(&r) {
                m.method.name()
            } else {
                "hinf + trust region"
            },
            m.layers,
            m.trials,
            m.seconds,
            m.mean_trial_seconds,
            per_epoch
        );
    }
    s += "\n## Files\n\n\
          - `summary.json`: every experiment's summary and the paper's numbers\n\
          - `trials.csv`: one row per trial (method, layers, seed, epochs, converged, final error, seconds, failure class and its epoch, `fixed_point_epoch`: the epoch from which a trial sat at an exact fixed point and its remaining epochs were filled in)\n\
          - `<method>_L<L>.json`, `<method>_L<L>_trials.csv`: per experiment\n\
          - `figures/<method>_L<L>.svg`: learning curves\n\n\
          Trials do not depend on each other or on the thread count: trial i of base seed S \
          (its generator seeded with the CSV's `seed` = splitmix64(S ^ i)) is rerun as the last \
          trial of `hinf train --method M --layers L --seed S --trials i+1`.\n";
    s
}

/// The command line that `a` stands for, for the report.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("hinf {}", args.join(" "))
}

/// `hinf reproduce`.
pub fn run_cli(a: &ReproduceArgs) -> Result<(), Failure> {
    let specs = plan(a)?;
    let show = crate::progress::enabled(a.json);
    let start = Instant::now();
    let log = !a.json && !show;
    let out = a.out.clone();
    let figures = out.join("figures");
    let (results, threads) = with_threads(a.settings.threads, || {
        let mut done = |r: &ExperimentResult| -> Result<(), String> {
            report::write_experiment(&out, Some(&figures), false, r)?;
            if log {
                let m = &r.summary;
                eprintln!(
                    "done {} L={}: {}/{} converged, mean {} epochs, {:.1} s",
                    m.method.name(),
                    m.layers,
                    m.converged,
                    m.trials,
                    opt(m.mean_epochs, 2),
                    m.seconds
                );
            }
            Ok(())
        };
        (
            run_all(&specs, show, &mut done),
            rayon::current_num_threads(),
        )
    })?;
    let results = results?;
    let meta = ReproduceSummary {
        quick: a.quick,
        threads,
        seconds: start.elapsed().as_secs_f64(),
        experiments: results.iter().map(|r| r.summary.clone()).collect(),
        paper_table1: TABLE1.to_vec(),
        paper_table2: TABLE2.to_vec(),
        paper_sd: SD_L801,
    };
    write_all(&a.out, &results, &meta, &command_line())?;
    if a.json {
        crate::cli::print_json(&meta)?;
    } else {
        let mut t = String::new();
        for r in &results {
            let m = &r.summary;
            let p = paper(m.method, m.layers);
            t += &format!(
                "{:>4} L={:<5} converged {:>3}/{:<3} mean {:>8} std {:>7}  (paper {:>7} ± {:>6})  {:.2} s\n",
                m.method.name(),
                m.layers,
                m.converged,
                m.trials,
                opt(m.mean_epochs, 2),
                opt(m.std_epochs, 2),
                p.map_or("–".into(), |p| format!("{:.2}", p.mean)),
                p.map_or("–".into(), |p| if p.std.is_finite() {
                    format!("{:.2}", p.std)
                } else {
                    "–".into()
                }),
                m.seconds
            );
        }
        t += &format!(
            "total {:.1} s on {} thread(s); wrote {}\n",
            meta.seconds,
            threads,
            a.out.join("report.md").display()
        );
        crate::cli::print_out(&t);
    }
    Ok(())
}
