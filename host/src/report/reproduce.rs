//! The `report.md` of `hinf reproduce`: every table beside the paper's,
//! the settings, timings and figures.

use std::path::{Path, PathBuf};

use super::files::{opt, opt_u, stem, trials_csv, write_experiment};
use super::io::{IoError, create_dir, write_json, write_text};
use crate::run::{ExperimentResult, ReproduceSummary, paper};
use crate::settings::{Choice, ExtensionKind, Method, shown_settings};

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

/// Whether `r` runs the method as printed (not the trust-region extension).
fn printed(r: &ExperimentResult) -> bool {
    r.spec.trial.variant.extension == ExtensionKind::None
}

/// The Markdown report: heading, settings, one section per table, the
/// extension, timings and files.
pub fn markdown(results: &[ExperimentResult], meta: &ReproduceSummary, command: &str) -> String {
    let mut s = heading(meta, command);
    if let Some(first) = results.first() {
        s += &settings_section(first, results);
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
        let rs: Vec<&ExperimentResult> = results
            .iter()
            .filter(|r| r.summary.method == m && printed(r))
            .collect();
        if !rs.is_empty() {
            s += &table_section(m, title, fig, &rs);
        }
    }
    let beyond: Vec<&ExperimentResult> = results.iter().filter(|r| !printed(r)).collect();
    if !beyond.is_empty() {
        s += &beyond_section(&beyond);
    }
    s += &timing_section(results, meta);
    s += FILES_SECTION;
    s
}

fn heading(meta: &ReproduceSummary, command: &str) -> String {
    let mut s =
        String::from("# Reproduction: Nishiyama, *Deep Residual H∞-learning*, section 5\n\n");
    s += &format!("Command: `{command}`");
    if meta.quick {
        s += " — **quick mode**: fewer trials, shallow depths and capped epochs; \
              the paper's numbers are for other depths and 100 trials";
    }
    s += "\n\n";
    let done = meta.experiments.len();
    if done < meta.planned {
        s += &format!(
            "**Incomplete**: {done} of {} experiments finished (the run was interrupted \
             or is still running); `--resume` with the same flags runs the rest.\n\n",
            meta.planned
        );
    }
    if meta.resumed > 0 {
        s += &format!(
            "{} experiment(s) were kept from an earlier run with the same settings (`--resume`).\n\n",
            meta.resumed
        );
    }
    s += "Task: XOR (4 patterns), N1 = 2, N = 5, N_L = 1, sigmoid slope η0 = 2.5, \
          initial weights uniform in [−A, A]; one epoch = one pass over the 4 patterns. \
          Epoch statistics are over the converged trials; std is the sample std (n − 1).\n\n";
    s
}

/// The settings table: those of the first experiment, and the epoch cap
/// of each method.
fn settings_section(first: &ExperimentResult, results: &[ExperimentResult]) -> String {
    let mut s = String::from("## Settings\n\n");
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
    for (k, v) in shown_settings(&first.spec.trial) {
        if k != "max-epochs" {
            s += &format!("| {k} | {v} |\n");
            continue;
        }
        for m in [Method::Hinf, Method::Adam, Method::Sd] {
            if let Some(r) = results.iter().find(|r| r.summary.method == m) {
                let cap = r.spec.trial.max_epochs;
                s += &format!("| max-epochs ({}) | {cap} |\n", m.name());
            }
        }
    }
    s += "\n(γ_f applies to H∞ only; ε0 to H∞ and steepest descent; the `adam-*` settings to Adam.)\n\n";
    s
}

/// One of the paper's tables beside ours, and its figure.
fn table_section(m: Method, title: &str, fig: &str, rs: &[&ExperimentResult]) -> String {
    let mut s = format!("## {title}\n\n");
    s += &table(rs);
    s += "\n";
    let diverged: usize = rs.iter().map(|r| r.summary.diverged).sum();
    if diverged > 0 {
        s += &format!(
            "{diverged} trial(s) diverged (a rejected, non-finite update ended them); \
             see trials.csv.\n\n"
        );
    }
    let label = if fig.is_empty() {
        "Learning curves".to_string()
    } else {
        format!("{fig} (learning curves)")
    };
    s += &format!("{label}, every trial's error per epoch, log scale:\n\n");
    for r in rs {
        let stem = stem(&r.summary);
        let layers = r.summary.layers;
        s += &format!("![{} L = {layers}](figures/{stem}.svg)\n", m.name());
    }
    s += "\n";
    s
}

fn beyond_section(beyond: &[&ExperimentResult]) -> String {
    let mut s = String::from("## Beyond the paper: H∞ with the trust-region extension\n\n");
    s += "**Not the paper's method.** The g-EHF with `--extension trust-region` \
          (δ = 1, τ = 1, 10 halvings: each weight step bounded and checked against the \
          linearisation; P as printed), ε0 = 1000 at every depth, epochs capped at 300; \
          everything else as above. The paper columns are Table 1's. See \
          `docs/extension-notes.md` and `docs/REPRODUCTION.md`.\n\n";
    s += &table(beyond);
    s += "\nLearning curves:\n\n";
    for r in beyond {
        let stem = stem(&r.summary);
        let layers = r.summary.layers;
        s += &format!("![hinf + trust region L = {layers}](figures/{stem}.svg)\n");
    }
    s += "\n";
    s
}

fn timing_section(results: &[ExperimentResult], meta: &ReproduceSummary) -> String {
    let mut s = String::from("## Timing\n\n");
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
        let name = if printed(r) {
            m.method.name()
        } else {
            "hinf + trust region"
        };
        s += &format!(
            "| {name} L = {} | {} | {:.2} | {:.4} | {:.2e} |\n",
            m.layers, m.trials, m.seconds, m.mean_trial_seconds, per_epoch
        );
    }
    s
}

const FILES_SECTION: &str = "\n## Files\n\n\
    - `summary.json`: every experiment's summary and the paper's numbers\n\
    - `trials.csv`: one row per trial (method, layers, seed, epochs, converged, final error, seconds, failure class and its epoch, `fixed_point_epoch`: the epoch from which a trial sat at an exact fixed point and its remaining epochs were filled in)\n\
    - `<method>_L<L>.json`, `<method>_L<L>_trials.csv`: per experiment\n\
    - `figures/<method>_L<L>.svg`: learning curves\n\n\
    Trials do not depend on each other or on the thread count: trial i of base seed S \
    (its generator seeded with the CSV's `seed` = splitmix64(S ^ i)) is rerun as the last \
    trial of `hinf train --method M --layers L --seed S --trials i+1`.\n";

/// Writes every output file of a reproduction into `out`; returns the
/// paths written.
pub fn write_all(
    out: &Path,
    results: &[ExperimentResult],
    meta: &ReproduceSummary,
    command: &str,
) -> Result<Vec<PathBuf>, IoError> {
    create_dir(out)?;
    let figures = out.join("figures");
    let mut written = Vec::new();
    for r in results {
        let f = write_experiment(out, Some(&figures), false, r)?;
        written.push(f.summary);
        written.push(f.trials);
        written.extend(f.figure);
    }
    written.extend(write_report(out, results, meta, command)?);
    Ok(written)
}

/// Writes the run-wide files of `results` (whose own files are written):
/// `trials.csv`, `summary.json` and `report.md` last; returns their paths.
pub fn write_report(
    out: &Path,
    results: &[ExperimentResult],
    meta: &ReproduceSummary,
    command: &str,
) -> Result<Vec<PathBuf>, IoError> {
    let mut written = Vec::new();
    let p = out.join("trials.csv");
    write_text(&p, &trials_csv(results))?;
    written.push(p);
    let p = out.join("summary.json");
    write_json(&p, meta)?;
    written.push(p);
    let p = out.join("report.md");
    write_text(&p, &markdown(results, meta, command))?;
    written.push(p);
    Ok(written)
}
