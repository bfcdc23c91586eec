//! `hinf reproduce`: the paper's section 5 — Table 1 (H∞), Table 2 (Adam),
//! steepest descent at L = 801, Figures 3 and 4 — run and written beside
//! the paper's numbers (see [`crate::report::reproduce`] for the files).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::check::{self, UsageError};
use super::output::{Failure, print_json, print_out, run_err};
use super::settings::SettingsArgs;
use crate::report::progress::{self, TrialsBar};
use crate::report::reproduce::write_all;
use crate::report::{self, opt};
use crate::run::reproduce::{PAPER_DEPTHS, QUICK_DEPTHS, QUICK_TRIALS, SD_L801, TABLE1, TABLE2};
use crate::run::{
    ExperimentResult, ReproducePlan, ReproduceSummary, at_once, paper, run_watched, with_threads,
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
    /// 3000 epochs) that finishes in about a minute.
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
    /// Print the summaries as one JSON object on stdout (progress, on a
    /// terminal, stays on stderr).
    #[arg(long)]
    pub json: bool,
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
        self.settings.check()?;
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
            base: self.settings.trial_spec(Method::Hinf, 5),
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

/// Runs `specs` one after another (trials in parallel inside each), with a
/// progress bar per experiment if `show`; `done` sees each experiment as
/// it finishes (to write its files at once, so that an interrupted run
/// keeps what it finished).
fn run_all(
    specs: &[ExperimentSpec],
    show: bool,
    done: &mut dyn FnMut(&ExperimentResult) -> Result<(), Failure>,
) -> Result<Vec<ExperimentResult>, Failure> {
    let mut results = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let label = format!(
            "[{}/{}] {} L={}",
            i + 1,
            specs.len(),
            spec.trial.method.name(),
            spec.trial.layers
        );
        let pb = TrialsBar::new(spec.trials, spec.trial.max_epochs, label, show);
        let r = run_watched(spec, &pb, None)
            .map_err(run_err)?
            .ok_or_else(|| Failure::Run("stopped".into()))?;
        pb.finish();
        done(&r)?;
        results.push(r);
    }
    Ok(results)
}

/// The command line, for the report.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("hinf {}", args.join(" "))
}

/// `hinf reproduce`.
pub fn run(a: &ReproduceArgs) -> Result<(), Failure> {
    let specs = a.plan()?;
    check::output_dir("--out", &a.out)?;
    let show = progress::enabled();
    let start = Instant::now();
    let log = !a.json && !show;
    let figures = a.out.join("figures");
    let (results, threads) = with_threads(a.settings.threads, || {
        let mut done = |r: &ExperimentResult| -> Result<(), Failure> {
            report::write_experiment(&a.out, Some(&figures), false, r)?;
            if log {
                eprintln!("{}", done_line(r));
            }
            Ok(())
        };
        let results = run_all(&specs, show, &mut done);
        (results, rayon::current_num_threads())
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
        return print_json(&meta);
    }
    let mut t: String = results.iter().map(closing_line).collect();
    t += &format!(
        "total {:.1} s on {} thread(s); wrote {}\n",
        meta.seconds,
        threads,
        a.out.join("report.md").display()
    );
    print_out(&t);
    Ok(())
}

/// The line on stderr as an experiment finishes.
fn done_line(r: &ExperimentResult) -> String {
    let m = &r.summary;
    format!(
        "done {} L={}: {}/{} converged, mean {} epochs, {:.1} s",
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
