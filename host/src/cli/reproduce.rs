//! `hinf reproduce`: the paper's section 5 — Table 1 (H∞), Table 2 (Adam),
//! steepest descent at L = 801, Figures 3 and 4 — run and written beside
//! the paper's numbers (see [`crate::report::reproduce`] for the files).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::check::{self, UsageError};
use super::interrupt;
use super::output::{Failure, print_json, print_out, run_err};
use super::settings::SettingsArgs;
use super::shard;
use super::values::MethodArg;
use crate::report::progress::{self, TrialsBar};
use crate::report::reproduce::{write_all, write_report};
use crate::report::resume::{clear_earlier, finished};
use crate::report::shard::{ShardFile, merge_experiments};
use crate::report::{self, opt, stem};
use crate::run::reproduce::{PAPER_DEPTHS, QUICK_DEPTHS, QUICK_TRIALS, SD_L801, TABLE1, TABLE2};
use crate::run::{
    ExperimentResult, ReproducePlan, ReproduceSummary, Shard, at_once, paper, run_watched,
    with_threads,
};
use crate::settings::{Choice, ExperimentSpec, Method};

/// `hinf reproduce`.
#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// Trials per depth; ≥ 1 [default: 100; with --quick: 20].
    #[arg(long, value_name = "T")]
    pub trials: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub out: PathBuf,
    /// A small version (depths 5, 21, 41; 20 trials; Adam and sd capped at
    /// 3000 epochs) that takes a few seconds.
    #[arg(long)]
    pub quick: bool,
    /// Base seed; trial i of every experiment uses splitmix64(S ^ i), so
    /// all methods start from the same weights at a given depth.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Depths for Tables 1 and 2, comma-separated
    /// [default: 5,101,201,401,801,1001; with --quick: 5,21,41].
    #[arg(long, value_delimiter = ',', value_name = "L,L,...")]
    pub depths: Option<Vec<usize>>,
    /// Depth of the steepest-descent run [default: 801; with --quick: 41].
    #[arg(long, value_name = "L")]
    pub sd_layers: Option<usize>,
    /// Skip the steepest-descent run.
    #[arg(long)]
    pub no_sd: bool,
    /// Add the "beyond the paper" table: H∞ with the trust-region
    /// extension (`--extension trust-region`, ε0 = 1000, its default cap
    /// of 300 epochs) at the same depths. Not in the paper; reported
    /// separately.
    #[arg(long)]
    pub beyond: bool,
    /// Epoch cap of Table 1's H∞ trials; ≥ 1 [default: --max-epochs, else
    /// 100]. The paper's H∞ trials stop after ~20–26 epochs; one still
    /// running at the cap counts as not converged. (An H∞ epoch costs
    /// O(k·N_w) with k the updates so far, so a trial that never converges
    /// at L = 1001 would otherwise run for hours.)
    #[arg(long, value_name = "N")]
    pub hinf_max_epochs: Option<u32>,
    /// Keep the experiments an earlier run finished in --out with the same
    /// settings, trials and seed (its `<stem>.json`, trials CSV and
    /// figure), and run only the rest. Without it, --out's files of an
    /// earlier run are removed first.
    #[arg(long)]
    pub resume: bool,
    /// Print the summaries as one JSON object on stdout (progress, on a
    /// terminal, stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// Run only shard K of N (1 ≤ K ≤ N) of the (experiment, trial) grid
    /// and write its `shard.json` into --out; `hinf merge` combines the N
    /// shards into this run's files. Trial g of the grid, counted over
    /// the experiments in run order, is shard (g mod N) + 1's.
    #[arg(long, value_name = "K/N", value_parser = shard::parse_shard)]
    pub shard: Option<Shard>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub settings: SettingsArgs,
}

impl ReproduceArgs {
    /// The experiments these flags describe, validated, in run order.
    pub fn plan(&self) -> Result<Vec<ExperimentSpec>, UsageError> {
        let trials = self
            .trials
            .unwrap_or(if self.quick { QUICK_TRIALS } else { 100 });
        check::at_least_one("--trials", trials as u64, "trial")?;
        self.settings.check(&[MethodArg::Rule(Method::Hinf)])?;
        let depths = match &self.depths {
            Some(d) if d.is_empty() => {
                return Err(check::invalid("--depths", "", "give at least one depth"));
            }
            Some(d) => d.clone(),
            None if self.quick => QUICK_DEPTHS.to_vec(),
            None => PAPER_DEPTHS.to_vec(),
        };
        check::at_least_one(
            "--hinf-max-epochs",
            self.hinf_max_epochs.map_or(1, u64::from),
            "epoch",
        )?;
        let sd_layers = self.sd_layers.unwrap_or(if self.quick { 41 } else { 801 });
        let plan = ReproducePlan {
            base: self.settings.trial_spec(MethodArg::Rule(Method::Hinf), 5),
            depths,
            sd_layers: (!self.no_sd).then_some(sd_layers),
            beyond: self.beyond,
            max_epochs: self.settings.max_epochs,
            hinf_max_epochs: self.hinf_max_epochs,
            quick: self.quick,
            trials,
            seed: self.seed,
        };
        let experiments = plan.experiments();
        let at_once = at_once(self.settings.threads, trials);
        for e in &experiments {
            let t = &e.trial;
            let layers_flag = match t.method {
                Method::Sd => "--sd-layers",
                _ => "--depths",
            };
            check::spec(t, layers_flag)?;
            let advice = "use smaller --depths, fewer --threads or a lower epoch cap";
            check::memory(t, at_once, advice)?;
        }
        Ok(experiments)
    }
}

/// A reproduction under way: where it writes and what it has done.
struct Run<'a> {
    a: &'a ReproduceArgs,
    command: String,
    start: Instant,
    planned: usize,
    resumed: usize,
    /// Wall time of the kept experiments in their earlier run.
    earlier: f64,
    results: Vec<ExperimentResult>,
}

impl Run<'_> {
    /// The `summary.json` of the experiments so far.
    fn meta(&self, threads: usize) -> ReproduceSummary {
        let seconds = self.start.elapsed().as_secs_f64() + self.earlier;
        let mut m = summary_of(self.a.quick, &self.results, threads, seconds);
        (m.planned, m.resumed) = (self.planned, self.resumed);
        m
    }

    /// Adds `r` (run now, or kept if `kept`) and rewrites the report, so
    /// that it always describes exactly the experiments finished.
    fn add(&mut self, r: ExperimentResult, kept: bool) -> Result<(), Failure> {
        let a = self.a;
        if kept {
            self.earlier += r.summary.seconds;
        } else {
            report::write_experiment(&a.out, Some(&a.out.join("figures")), false, &r)?;
        }
        if !a.json && !progress::enabled() {
            eprintln!("{}", done_line(&r, kept));
        }
        self.results.push(r);
        let meta = self.meta(rayon::current_num_threads());
        write_report(&a.out, &self.results, &meta, &self.command)?;
        Ok(())
    }
}

/// The `summary.json` of `results`, all planned and none resumed, run in
/// `seconds` on `threads` workers.
fn summary_of(
    quick: bool,
    results: &[ExperimentResult],
    threads: usize,
    seconds: f64,
) -> ReproduceSummary {
    ReproduceSummary {
        quick,
        threads,
        seconds,
        planned: results.len(),
        resumed: 0,
        experiments: results.iter().map(|r| r.summary.clone()).collect(),
        paper_table1: TABLE1.to_vec(),
        paper_table2: TABLE2.to_vec(),
        paper_sd: SD_L801,
    }
}

/// Runs the experiments of `specs` not in `kept` one after another
/// (trials in parallel inside each), with a progress bar per experiment
/// on a terminal, until done or Ctrl-C stops one.
fn run_all(
    run: &mut Run,
    specs: &[ExperimentSpec],
    kept: Vec<Option<ExperimentResult>>,
) -> Result<(), Failure> {
    let stop = interrupt::stop_flag();
    for (i, (spec, kept)) in specs.iter().zip(kept).enumerate() {
        if let Some(r) = kept {
            run.add(r, true)?;
            continue;
        }
        let label = format!(
            "[{}/{}] {} L={}",
            i + 1,
            specs.len(),
            spec.trial.method.name(),
            spec.trial.layers
        );
        let pb = TrialsBar::new(
            spec.trials,
            spec.trial.max_epochs,
            label,
            progress::enabled(),
        );
        let r = run_watched(spec, None, &pb, Some(stop)).map_err(run_err)?;
        pb.finish();
        match r {
            Some(r) => run.add(r, false)?,
            None => break,
        }
    }
    Ok(())
}

/// The command line, for the report.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("hinf {}", args.join(" "))
}

/// The experiments of `specs` that `--resume` keeps from `out`, and the
/// earlier run's other files removed (saying so on stderr).
fn start_folder(
    a: &ReproduceArgs,
    specs: &[ExperimentSpec],
) -> Result<Vec<Option<ExperimentResult>>, Failure> {
    let kept: Vec<Option<ExperimentResult>> = specs
        .iter()
        .map(|s| if a.resume { finished(&a.out, s) } else { None })
        .collect();
    let stems: Vec<String> = kept.iter().flatten().map(|r| stem(&r.summary)).collect();
    let removed = clear_earlier(&a.out, &stems)?;
    let out = a.out.display();
    if removed > 0 {
        eprintln!("note: moved {removed} file(s) of an earlier run from {out} to {out}/previous");
    }
    if a.resume {
        eprintln!(
            "resuming: {} of {} experiments already in {out} with the same settings",
            stems.len(),
            specs.len()
        );
    }
    Ok(kept)
}

/// `hinf reproduce`.
pub fn run(a: &ReproduceArgs) -> Result<(), Failure> {
    let specs = a.plan()?;
    if let Some(shard) = a.shard {
        return run_shard(a, &specs, shard);
    }
    check::output_dir("--out", &a.out)?;
    let kept = start_folder(a, &specs)?;
    let mut run = Run {
        a,
        command: command_line(),
        start: Instant::now(),
        planned: specs.len(),
        resumed: kept.iter().flatten().count(),
        earlier: 0.0,
        results: Vec::new(),
    };
    let threads = with_threads(a.settings.threads, || {
        run_all(&mut run, &specs, kept).map(|()| rayon::current_num_threads())
    })??;
    if run.results.len() < specs.len() {
        return Err(interrupted(run.results.len(), specs.len(), &a.out));
    }
    let meta = run.meta(threads);
    if a.json {
        return print_json(&meta);
    }
    let mut t: String = run.results.iter().map(closing_line).collect();
    t += &format!(
        "total {:.1} s on {} thread(s); wrote {}\n",
        meta.seconds,
        threads,
        a.out.join("report.md").display()
    );
    print_out(&t);
    Ok(())
}

/// The settings all shards of a run share: the flags but `--shard`,
/// `--out`, `--json`, `--resume` and `--threads`.
fn shared_settings(a: &ReproduceArgs) -> String {
    let mut s = a.clone();
    (s.shard, s.out, s.json, s.resume) = (None, PathBuf::new(), false, false);
    s.settings.threads = None;
    format!("{s:?}")
}

/// `hinf reproduce --shard K/N`: this shard's trials of every experiment,
/// into `--out/shard.json`.
fn run_shard(a: &ReproduceArgs, specs: &[ExperimentSpec], shard: Shard) -> Result<(), Failure> {
    if a.resume {
        let why = "cannot be combined with --resume (rerun the whole shard)";
        return Err(check::invalid("--shard", shard, why).into());
    }
    check::output_dir("--out", &a.out)?;
    let start = Instant::now();
    let n = specs.len();
    let label = |i: usize, s: &ExperimentSpec| {
        let t = &s.trial;
        format!("[{}/{n}] {} L={}", i + 1, t.method.name(), t.layers)
    };
    let (parts, threads) = with_threads(a.settings.threads, || {
        let parts = shard::run_experiments(specs, shard, label);
        (parts, rayon::current_num_threads())
    })?;
    let Some(parts) = parts? else {
        return Err(shard::interrupted(shard, &a.out));
    };
    let mut file = shard::shard_file("reproduce", shared_settings(a), shard, threads);
    file.experiments = parts;
    shard::finish(file, &a.out, start)
}

/// `hinf merge` of the shards of `hinf reproduce` `a`, checked to be one
/// run's: writes into `out` exactly the files the unsharded run writes
/// (its wall time the shards' summed, its threads the most a shard had);
/// returns what to print.
pub fn merge(a: &ReproduceArgs, shards: &[ShardFile], out: &Path) -> Result<String, Failure> {
    let results = merge_experiments(shards).map_err(UsageError)?;
    let threads = shards.iter().map(|s| s.threads).max().unwrap_or(1);
    let seconds = shards.iter().map(|s| s.seconds).sum();
    let meta = summary_of(a.quick, &results, threads, seconds);
    let command = shards
        .first()
        .map_or_else(String::new, |s| s.unsharded_command(out));
    clear_earlier(out, &[])?;
    write_all(out, &results, &meta, &command)?;
    let mut t: String = results.iter().map(closing_line).collect();
    t += &format!(
        "merged {} shards; wrote {}\n",
        shards.len(),
        out.join("report.md").display()
    );
    Ok(t)
}

/// What an interrupted reproduction kept: `done` of `planned` experiments.
fn interrupted(done: usize, planned: usize, out: &std::path::Path) -> Failure {
    let out = out.display();
    Failure::Interrupted(if done == 0 {
        format!("interrupted before the first experiment finished: nothing kept in {out}")
    } else {
        format!(
            "interrupted: kept the {done} of {planned} experiments that finished in {out} \
             (report.md describes them); rerun with --resume to run the rest"
        )
    })
}

/// The line on stderr as an experiment finishes (or is kept).
fn done_line(r: &ExperimentResult, kept: bool) -> String {
    let m = &r.summary;
    format!(
        "{} {} L={}: {}/{} converged, mean {} epochs, {:.1} s",
        if kept { "kept" } else { "done" },
        m.method.name(),
        m.layers,
        m.converged,
        m.trials,
        opt(m.mean_epochs, 2),
        m.seconds
    )
}

/// One line of the closing table, beside the paper's numbers.
fn closing_line(r: &ExperimentResult) -> String {
    let m = &r.summary;
    let p = paper(m.method, m.layers);
    let paper_std = |p: crate::run::PaperRow| {
        if p.std.is_finite() {
            format!("{:.2}", p.std)
        } else {
            "–".into()
        }
    };
    format!(
        "{:>4} L={:<5} converged {:>3}/{:<3} mean {:>8} std {:>7}  (paper {:>7} ± {:>6})  {:.2} s\n",
        m.method.name(),
        m.layers,
        m.converged,
        m.trials,
        opt(m.mean_epochs, 2),
        opt(m.std_epochs, 2),
        p.map_or("–".into(), |p| format!("{:.2}", p.mean)),
        p.map_or("–".into(), paper_std),
        m.seconds
    )
}
