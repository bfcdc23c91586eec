//! The `report.md` of `hinf compare`.

use std::fmt::Write as _;
use std::path::Path;

use crate::data::Table;
use crate::data::compare::{Benchmark, Run};
use crate::settings::Learner;

/// What a comparison ran, for its report.
#[derive(Debug, Clone, Copy)]
pub struct CompareRun<'a> {
    /// Where the data files are.
    pub data_dir: &'a Path,
    /// Depths.
    pub layers: &'a [usize],
    /// Seeds per (data set, method, depth).
    pub seeds: usize,
    /// Epoch cap of every run.
    pub max_epochs: u32,
    /// The data sets asked for (`None`: all).
    pub sets: Option<&'a [String]>,
    /// The learners (methods, with their storage of `P`).
    pub learners: &'a [Learner],
    /// Base seed.
    pub seed: u64,
}

fn stats(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, v.sqrt())
}

/// The comparison's Markdown report.
pub fn compare_markdown(
    runs: &[Run],
    sets: &[Benchmark],
    a: &CompareRun<'_>,
    seconds: f64,
) -> String {
    let mut s = heading(a, seconds);
    let _ = writeln!(
        s,
        "| data | rows | tol | L | method | epochs to target | fails | test | time (s) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for b in sets {
        for &layers in a.layers {
            for learner in a.learners {
                let rs: Vec<&Run> = runs
                    .iter()
                    .filter(|r| r.set == b.name && r.layers == layers && r.learner == *learner)
                    .collect();
                if !rs.is_empty() {
                    s += &table_row(b, layers, learner, &rs, a.data_dir);
                }
            }
        }
    }
    let deepest = *a.layers.iter().max().unwrap_or(&5);
    let _ = writeln!(s, "\n## Learning curves at L = {deepest}\n");
    for b in sets {
        for learner in a.learners {
            let (set, m) = (b.name, learner.name());
            let _ = writeln!(s, "![{set} {m}]({set}-{m}-L{deepest}.svg)");
        }
    }
    s
}

/// The command, the settings every run shares, and what the columns mean.
fn heading(a: &CompareRun<'_>, seconds: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# H∞-learning, steepest descent and Adam on real and generated data\n"
    );
    let layers: Vec<String> = a.layers.iter().map(|l| l.to_string()).collect();
    let sets = a
        .sets
        .map(|s| format!(" --sets {}", s.join(",")))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "`hinf compare --layers {}{sets} --seeds {} --max-epochs {} --seed {}` ({seconds:.0} s). Hidden width N = {}, η0 = {}, \
         weights uniform in [−0.05, 0.05], rows shuffled every epoch, f64. H∞: γ_f = {}, ε0 = {} (`hinf`: the exact structured P; \
         `lehf`: P cut to one block per neuron; `hinf-info-window-rR`: eq. (7) over the last R samples). \
         Steepest descent: P = ε0 I. Adam: the paper's α = 0.01, β1 = 0.79, β2 = 0.78, per sample. \
         Classes are one-hot over N_L sigmoid outputs; regression targets are scaled to [0.1, 0.9].\n",
        layers.join(","),
        a.seeds,
        a.max_epochs,
        a.seed,
        hinf::PAPER_WIDTH,
        hinf::PAPER_SLOPE,
        hinf::PAPER_GAMMA,
        hinf::DEFAULT_EPS0,
    );
    let _ = writeln!(
        s,
        "*Target*: training MSE (rows × outputs) below the set's tolerance. *Epochs*: mean ± std over the runs \
         that reached it. *Fails*: runs that did not reach it within the cap (or whose update was refused). \
         *Test*: accuracy (classes) or RMSE in target units (regression) on the held-out rows (the training rows \
         where there is no split), mean over all runs. *Time*: mean wall time per run.\n"
    );
    s
}

/// One (set, depth, method) row over its runs `rs`.
fn table_row(
    b: &Benchmark,
    layers: usize,
    learner: &Learner,
    rs: &[&Run],
    data_dir: &Path,
) -> String {
    let ok: Vec<f64> = rs
        .iter()
        .filter(|r| r.converged)
        .map(|r| r.epochs as f64)
        .collect();
    let ep = if ok.is_empty() {
        "—".to_string()
    } else {
        let (m, sd) = stats(&ok);
        format!("{m:.1} ± {sd:.1}")
    };
    let q: Vec<f64> = rs
        .iter()
        .map(|r| {
            r.quality
                .accuracy
                .map(|x| 100.0 * x)
                .or(r.quality.rmse)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let (qm, qs) = stats(&q);
    let test = if rs[0].quality.accuracy.is_some() {
        format!("{qm:.1} ± {qs:.1} %")
    } else {
        format!("RMSE {qm:.3} ± {qs:.3}")
    };
    let (tm, _) = stats(&rs.iter().map(|r| r.seconds).collect::<Vec<_>>());
    let rows = Table::read(&data_dir.join(b.file))
        .map(|t| t.rows.len().to_string())
        .unwrap_or_else(|_| "?".into());
    format!(
        "| {} | {rows} | {} | {layers} | {} | {ep} | {}/{} | {test} | {tm:.2} |\n",
        b.name,
        b.tol,
        learner.name(),
        rs.len() - ok.len(),
        rs.len()
    )
}
