//! An experiment's files: its JSON summary, per-trial CSV, learning curves
//! and figure, and the formatting helpers of the reports.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::io::{IoError, create_dir, io_err, write_json, write_text};

use crate::run::{ExperimentResult, Summary};
use crate::settings::{Choice, Criterion, ExtensionKind, Method, TrialSpec};

/// The file stem of an experiment: `hinf_L5`, `adam_L1001`, `sd_L801`,
/// `hinf_tr_L5` (the trust-region extension).
pub fn stem(summary: &Summary) -> String {
    stem_of(&summary.settings)
}

/// The file stem of an experiment of `trial`s ([`stem`]).
pub fn stem_of(trial: &TrialSpec) -> String {
    let ext = match trial.variant.extension {
        ExtensionKind::None => "",
        ExtensionKind::TrustRegion => "_tr",
    };
    format!("{}{ext}_L{}", trial.method.name(), trial.layers)
}

/// Whether `s` is a stem [`stem_of`] gives.
pub fn is_stem(s: &str) -> bool {
    Method::ALL.iter().any(|m| {
        let Some(rest) = s.strip_prefix(m.name()) else {
            return false;
        };
        let rest = rest.strip_prefix("_tr").unwrap_or(rest);
        rest.strip_prefix("_L")
            .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The CSV header of [`trials_csv`].
pub const TRIALS_HEADER: &str = "method,layers,n_weights,trial,seed,epochs,converged,final_error,seconds,class,class_epoch,failure,fixed_point_epoch";

/// One CSV row per trial of each experiment (with [`TRIALS_HEADER`]).
pub fn trials_csv<'a>(results: impl IntoIterator<Item = &'a ExperimentResult>) -> String {
    let mut s = String::from(TRIALS_HEADER);
    s.push('\n');
    for r in results {
        let m = &r.summary;
        for t in &r.trials {
            let failure = csv_text(t.failure.as_deref());
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{:e},{:.6},{},{},{},{}",
                m.method.name(),
                m.layers,
                m.n_weights,
                t.trial,
                t.seed,
                t.epochs,
                t.converged,
                t.final_error,
                t.seconds,
                t.class.map_or("", |c| c.name()),
                t.class_epoch.map_or(String::new(), |e| e.to_string()),
                failure,
                t.fixed_point_epoch.map_or(String::new(), |e| e.to_string()),
            );
        }
    }
    s
}

/// Long-form learning curves: `trial,epoch,error`, epoch 0 = initial.
pub fn curves_csv(result: &ExperimentResult, path: &Path) -> Result<(), IoError> {
    let f = fs::File::create(path).map_err(|e| io_err(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    let mut go = || -> std::io::Result<()> {
        writeln!(w, "trial,epoch,error")?;
        for t in &result.trials {
            for (k, e) in t.curve.iter().enumerate() {
                writeln!(w, "{},{},{:e}", t.trial, k, e)?;
            }
        }
        w.flush()
    };
    go().map_err(|e| io_err(path, e))
}

/// The y-axis label for a trial spec's stopping measure.
pub fn measure_label(spec: &TrialSpec) -> String {
    let what = match spec.criterion {
        Criterion::Sse => "Σ e²",
        Criterion::HalfSse => "½ Σ e²",
        Criterion::Mse => "mean e²",
        Criterion::MaxAbs => "max |e|",
    };
    format!("error ({what})")
}

/// Draws the learning curves of `result` into `path` (SVG).
pub fn curves_svg(result: &ExperimentResult, path: &Path) -> Result<(), IoError> {
    let m = &result.summary;
    let title = format!(
        "{} — L = {}, {} trials, {}/{} converged",
        m.method.title(),
        m.layers,
        m.trials,
        m.converged,
        m.trials
    );
    let curves: Vec<&[f64]> = result.trials.iter().map(|t| t.curve.as_slice()).collect();
    super::plot::learning_curves(
        path,
        &title,
        &measure_label(&result.spec.trial),
        &curves,
        result.spec.trial.tol,
    )
}

/// What [`write_experiment`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentFiles {
    /// `<stem>.json`: the summary.
    pub summary: PathBuf,
    /// `<stem>_trials.csv`: one row per trial.
    pub trials: PathBuf,
    /// `<stem>.svg`: the learning curves, if drawn.
    pub figure: Option<PathBuf>,
    /// `<stem>_curves.csv`: every trial's error per epoch, if written.
    pub curves: Option<PathBuf>,
}

/// Writes an experiment's summary JSON and trials CSV into `dir`, its
/// figure into `figure_dir` (if given) and its curves CSV (if `curves`);
/// the summary last, so that it is there only if the rest is.
pub fn write_experiment(
    dir: &Path,
    figure_dir: Option<&Path>,
    curves: bool,
    result: &ExperimentResult,
) -> Result<ExperimentFiles, IoError> {
    create_dir(dir)?;
    let stem = stem(&result.summary);
    let trials = dir.join(format!("{stem}_trials.csv"));
    write_text(&trials, &trials_csv([result]))?;
    let figure = match figure_dir {
        Some(fd) => {
            create_dir(fd)?;
            let p = fd.join(format!("{stem}.svg"));
            curves_svg(result, &p)?;
            Some(p)
        }
        None => None,
    };
    let curves = if curves {
        let p = dir.join(format!("{stem}_curves.csv"));
        curves_csv(result, &p)?;
        Some(p)
    } else {
        None
    };
    let summary = dir.join(format!("{stem}.json"));
    write_json(&summary, &result.summary)?;
    Ok(ExperimentFiles {
        summary,
        trials,
        figure,
        curves,
    })
}

/// `x` with `digits` decimals, or "–" for `None`.
pub fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{v:.digits$}"))
}

/// `n word` or `n words`: "1 epoch", "2 epochs".
pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `x` or "–" for `None`.
pub fn opt_u(x: Option<u32>) -> String {
    x.map_or_else(|| "–".to_string(), |v| v.to_string())
}

/// A free-text CSV field: quoted, inner quotes doubled; empty for `None`.
pub fn csv_text(text: Option<&str>) -> String {
    text.map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .unwrap_or_default()
}
