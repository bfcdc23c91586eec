//! `hinf sweep`: a grid over the settings the paper leaves unstated and the
//! variant switches, at chosen depths and trial counts. Every list flag
//! takes comma-separated values; the grid is their Cartesian product, the
//! last flag varying fastest (ε0, the x-axis of `sweep.svg`, last), with
//! the settings a method does not use reset before duplicates are removed
//! ([`crate::settings::normalize`]). Files: [`crate::report::sweep`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::check::{self, UsageError};
use super::interrupt;
use super::output::{Failure, print_json, print_out, run_err};
use super::shard;
use super::values::MethodArg;
use crate::report::opt;
use crate::report::progress::{self, TrialsBar};
use crate::report::shard::{ShardFile, merge_experiments};
use crate::report::sweep::{clear_earlier, replot, write_all};
use crate::run::{Shard, SweepRow, SweepSummary, at_once, dedupe, run_watched, with_threads};
use crate::settings::{
    AdamMode, CovarianceKind, Criterion, Eps0Scale, ExperimentSpec, ExtensionKind, GainOrder,
    Inputs, Learner, Method, Order, Precision, Targets, Timing, TrialSpec, caps,
};

/// `hinf sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Learning rules [default: hinf].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub method: Option<Vec<MethodArg>>,
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
    pub gain_order: Option<Vec<GainOrder>>,
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
    pub adam_mode: Option<Vec<AdamMode>>,
    /// Step extensions [default: none].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub extension: Option<Vec<ExtensionKind>>,
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
    /// Epoch cap of every configuration; ≥ 1 [default: per method, see
    /// `settings::caps`].
    #[arg(long, value_name = "N", help = caps::help())]
    pub max_epochs: Option<u32>,
    /// Initial weights uniform in [-A, A].
    #[arg(long, default_value_t = hinf::PAPER_INIT_RANGE, value_name = "A", allow_negative_numbers = true)]
    pub init_range: f64,
    /// Adam's step size α.
    #[arg(long, default_value_t = hinf::AdamConfig::default().lr, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: f64,
    /// Scalar type.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Storages of P for H∞ [default: structured].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub covariance: Option<Vec<CovarianceKind>>,
    /// Samples R ≥ 1 a window covariance keeps [default: 8].
    #[arg(long, value_delimiter = ',', value_name = "R,...")]
    pub memory: Option<Vec<usize>>,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the summaries as one JSON object on stdout (progress, on a
    /// terminal, stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// Run nothing: redraw `sweep.svg` and rewrite `sweep.md` and
    /// `sweep.csv` of --out from its `sweep.json`.
    #[arg(long)]
    pub replot: bool,
    /// Run only shard K of N (1 ≤ K ≤ N) of the (configuration, trial)
    /// grid and write its `shard.json` into --out; `hinf merge` combines
    /// the N shards into this sweep's files. Trial g of the grid, counted
    /// over the configurations in order, is shard (g mod N) + 1's.
    #[arg(long, value_name = "K/N", value_parser = shard::parse_shard)]
    pub shard: Option<Shard>,
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
        return Err(check::invalid(flag, "", "give at least one value"));
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

/// The grid these flags describe: validated, normalized, without duplicates,
/// in the order of the flags (the last flag varies fastest).
pub fn grid(a: &SweepArgs) -> Result<Vec<TrialSpec>, UsageError> {
    check::at_least_one("--trials", a.trials as u64, "trial")?;
    check::at_least_one("--max-epochs", a.max_epochs.map_or(1, u64::from), "epoch")?;
    check::threads(a.threads)?;
    let methods = a
        .method
        .clone()
        .unwrap_or(vec![MethodArg::Rule(Method::Hinf)]);
    check::storage(&methods, a.covariance.as_deref(), a.memory.as_deref())?;
    let base = TrialSpec {
        init_range: a.init_range,
        adam_lr: a.adam_lr,
        precision: a.precision,
        ..TrialSpec::default()
    };
    let mut g = vec![base];
    g = expand(g, &a.covariance, "--covariance", |s, v| s.covariance = v)?;
    g = expand(g, &a.memory, "--memory", |s, v| s.memory = Some(v))?;
    g = expand(g, &a.method, "--method", |s, v| {
        s.method = v.method();
        s.covariance = v.covariance().unwrap_or(s.covariance);
    })?;
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
    let g: Vec<TrialSpec> = g
        .into_iter()
        .map(|s| caps::capped(s, a.max_epochs).with_memory_resolved())
        .collect();
    for s in &g {
        check::spec(s, "--layers")?;
        check::memory(s, at_once(a.threads, a.trials), check::SHRINK_A_RUN)?;
    }
    Ok(dedupe(g))
}

/// `hinf sweep`.
pub fn run(a: &SweepArgs) -> Result<(), Failure> {
    if a.replot {
        return Ok(replot(&a.out)?);
    }
    let specs = grid(a)?;
    if let Some(shard) = a.shard {
        return run_shard(a, &specs, shard);
    }
    check::output_dir("--out", &a.out)?;
    clear_earlier(&a.out)?;
    let command = format!(
        "hinf {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let start = Instant::now();
    let (rows, threads) = with_threads(a.threads, || run_grid(a, &specs, &command, start))
        .map_err(Failure::Run)??;
    if rows.len() < specs.len() {
        let out = a.out.display();
        return Err(Failure::Interrupted(match rows.len() {
            0 => format!(
                "interrupted before the first configuration finished: nothing kept in {out}"
            ),
            n => format!(
                "interrupted: kept the {n} of {} configurations that finished in {out} \
                 (sweep.md describes them)",
                specs.len()
            ),
        }));
    }
    let meta = SweepSummary {
        command,
        threads,
        seconds: start.elapsed().as_secs_f64(),
        planned: specs.len(),
        rows,
    };
    if a.json {
        return print_json(&meta);
    }
    let mut t: String = meta.rows.iter().map(row_line).collect();
    let _ = writeln!(
        t,
        "total {:.1} s on {} thread(s); wrote {}",
        meta.seconds,
        threads,
        a.out.join("sweep.md").display()
    );
    print_out(&t);
    Ok(())
}

/// The experiment of configuration `trial`.
fn experiment(a: &SweepArgs, trial: &TrialSpec) -> ExperimentSpec {
    ExperimentSpec {
        trial: *trial,
        trials: a.trials,
        seed: a.seed,
    }
}

/// The progress label of configuration `i` of `planned`.
fn label(i: usize, planned: usize, trial: &TrialSpec) -> String {
    format!(
        "[{}/{}] {} L={} eps0={}",
        i + 1,
        planned,
        learner_name(trial),
        trial.layers,
        trial.eps0
    )
}

/// The settings all shards of a sweep share: the flags but `--shard`,
/// `--out`, `--json` and `--threads`.
fn shared_settings(a: &SweepArgs) -> String {
    let mut s = a.clone();
    (s.shard, s.out, s.json, s.threads) = (None, PathBuf::new(), false, None);
    format!("{s:?}")
}

/// `hinf sweep --shard K/N`: this shard's trials of every configuration,
/// into `--out/shard.json`.
fn run_shard(a: &SweepArgs, specs: &[TrialSpec], shard: Shard) -> Result<(), Failure> {
    if a.replot {
        let why = "cannot be combined with --replot";
        return Err(check::invalid("--shard", shard, why).into());
    }
    check::output_dir("--out", &a.out)?;
    let start = Instant::now();
    let experiments: Vec<ExperimentSpec> = specs.iter().map(|t| experiment(a, t)).collect();
    let n = specs.len();
    let (parts, threads) = with_threads(a.threads, || {
        let parts = shard::run_experiments(&experiments, shard, |i, s| label(i, n, &s.trial));
        (parts, rayon::current_num_threads())
    })?;
    let Some(parts) = parts? else {
        return Err(shard::interrupted(shard, &a.out));
    };
    let mut file = shard::shard_file("sweep", shared_settings(a), shard, threads);
    file.experiments = parts;
    shard::finish(file, &a.out, start)
}

/// `hinf merge` of the shards of a sweep, checked to be one run's:
/// writes into `out` exactly the files the unsharded sweep writes (its
/// wall time the shards' summed, its threads the most a shard had);
/// returns what to print.
pub fn merge(shards: &[ShardFile], out: &Path) -> Result<String, Failure> {
    let results = merge_experiments(shards).map_err(UsageError)?;
    let rows: Vec<SweepRow> = results
        .iter()
        .enumerate()
        .map(|(i, r)| SweepRow::new(i, r))
        .collect();
    let meta = SweepSummary {
        command: shards
            .first()
            .map_or_else(String::new, |s| s.unsharded_command(out)),
        threads: shards.iter().map(|s| s.threads).max().unwrap_or(1),
        seconds: shards.iter().map(|s| s.seconds).sum(),
        planned: rows.len(),
        rows,
    };
    clear_earlier(out)?;
    write_all(out, &meta.rows, &results, &meta)?;
    let mut t: String = meta.rows.iter().map(row_line).collect();
    let _ = writeln!(
        t,
        "merged {} shards; wrote {}",
        shards.len(),
        out.join("sweep.md").display()
    );
    Ok(t)
}

/// Runs every configuration in turn (its trials in parallel), rewriting
/// the files after each so that an interrupted sweep keeps what it did,
/// until done or Ctrl-C stops one.
fn run_grid(
    a: &SweepArgs,
    specs: &[TrialSpec],
    command: &str,
    start: Instant,
) -> Result<(Vec<SweepRow>, usize), Failure> {
    let show = progress::enabled();
    let planned = specs.len();
    let mut rows = Vec::new();
    let mut results = Vec::new();
    for (i, trial) in specs.iter().enumerate() {
        let spec = experiment(a, trial);
        let pb = TrialsBar::new(a.trials, trial.max_epochs, label(i, planned, trial), show);
        let r = run_watched(&spec, None, &pb, Some(interrupt::stop_flag())).map_err(run_err)?;
        pb.finish();
        let Some(r) = r else { break };
        rows.push(SweepRow::new(i, &r));
        results.push(r);
        let meta = SweepSummary {
            command: command.to_string(),
            threads: rayon::current_num_threads(),
            seconds: start.elapsed().as_secs_f64(),
            planned,
            rows: rows.clone(),
        };
        write_all(&a.out, &rows, &results, &meta)?;
    }
    Ok((rows, rayon::current_num_threads()))
}

/// The learner's name (`hinf`, `lehf`, `hinf-info-window-r8`, ...).
fn learner_name(t: &TrialSpec) -> String {
    Learner::new(t.method, t.covariance, t.memory).name()
}

/// The line a finished configuration prints.
fn row_line(r: &SweepRow) -> String {
    let m = &r.summary;
    format!(
        "[{}] {} L={} eps0={}: converged {}/{} mean {} std {}  {:.1} s\n",
        r.config,
        learner_name(&m.settings),
        m.layers,
        m.settings.eps0,
        m.converged,
        m.trials,
        opt(m.mean_epochs, 2),
        opt(m.std_epochs, 2),
        m.seconds
    )
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
