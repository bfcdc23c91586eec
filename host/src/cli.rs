//! The `hinf` command line: `hinf train` and `hinf reproduce`; on one's
//! own data `hinf fit`, `eval`, `gen` and `compare` ([`crate::own_data`]).
//!
//! Exit status: 0 on success, 2 on a usage error (unknown flag, bad
//! value — always one line on stderr), 1 on a run-time failure (e.g. an
//! output directory that cannot be written).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hinf::{AdamConfig, DEFAULT_EPS0, Error, GEhfConfig, InputCoding, TrainConfig};

use crate::experiment::{
    AdamModeArg, CovarianceKind, Criterion, ExperimentSpec, GainOrderArg, Inputs, Method, Order,
    Precision, Timing, TrialSpec, run_experiment,
};
use crate::report;

/// Exit status of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status of a run-time failure.
pub const EXIT_FAILURE: i32 = 1;

/// H∞-learning for deep sigmoid residual networks (Nishiyama): train the
/// paper's XOR nets at any depth and reproduce its section 5.
#[derive(Debug, Parser)]
#[command(name = "hinf", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train many trials of one method at one depth and summarise them.
    Train(TrainArgs),
    /// Run the paper's Tables 1 and 2, steepest descent at L = 801 and
    /// Figures 3 and 4, and write a report beside the paper's numbers.
    Reproduce(ReproduceArgs),
    /// Train on a CSV file (numeric features; numeric targets or a class
    /// column) and optionally save the model.
    Fit(crate::own_data::FitArgs),
    /// Evaluate a model saved by `fit --save` on a CSV file.
    Eval(crate::own_data::EvalArgs),
    /// Write the generated data sets (two spirals, 4-bit parity, noisy sine).
    Gen(crate::own_data::GenArgs),
    /// Run a grid of settings (comma-separated lists) at chosen depths and
    /// write Markdown, CSV and a picture (epochs and failures against ε0).
    Sweep(Box<crate::sweep::SweepArgs>),
    /// Compare H∞, steepest descent and Adam on the shipped data sets
    /// across depths and seeds; write a Markdown report with figures.
    Compare(crate::own_data::CompareArgs),
}

/// The settings shared by `train` and `reproduce`. Defaults for what the
/// paper leaves unstated are the core's provisional ones.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// ε0 of P_{0|-1} = ε0 I (H∞ and sd); > 0. Not stated in the paper.
    #[arg(long, default_value_t = DEFAULT_EPS0, value_name = "E", allow_negative_numbers = true)]
    pub eps0: f64,
    /// γ_f of the H∞ filter; > 1 (paper: 1.7).
    #[arg(long, default_value_t = GEhfConfig::default().gamma, value_name = "G", allow_negative_numbers = true)]
    pub gamma: f64,
    /// Where the current Jacobian enters P relative to the gain.
    #[arg(long, value_enum, default_value_t = GEhfConfig::default().gain_order.into())]
    pub gain_order: GainOrderArg,
    /// The stopping measure ("truncation error"; not defined in the paper).
    #[arg(long, value_enum, default_value_t = TrainConfig::default().criterion.into())]
    pub criterion: Criterion,
    /// Stop when the measure is below this; > 0 (paper: 1e-2).
    #[arg(long, default_value_t = TrainConfig::default().tol, value_name = "TOL", allow_negative_numbers = true)]
    pub tol: f64,
    /// Whether the stopping rule uses the errors after the epoch or those
    /// met during it.
    #[arg(long, value_enum, default_value_t = TrainConfig::default().timing.into())]
    pub timing: Timing,
    /// Sample order within an epoch.
    #[arg(long, value_enum, default_value_t = TrainConfig::default().order.into())]
    pub order: Order,
    /// XOR input coding.
    #[arg(long, value_enum, default_value_t = InputCoding::default().into())]
    pub inputs: Inputs,
    /// Epoch cap; ≥ 1 [default: the core's, 10000; `reproduce --quick`: 3000;
    /// `reproduce` caps H∞ with --hinf-max-epochs].
    #[arg(long, value_name = "N")]
    pub max_epochs: Option<u32>,
    /// Initial weights uniform in [-A, A]; ≥ 0 (paper: 0.05).
    #[arg(long, default_value_t = hinf::PAPER_INIT_RANGE, value_name = "A", allow_negative_numbers = true)]
    pub init_range: f64,
    /// Adam per sample or on the epoch's summed gradient.
    #[arg(long, value_enum, default_value_t = AdamConfig::default().mode.into())]
    pub adam_mode: AdamModeArg,
    /// Adam's step size α; > 0 (paper: 0.01).
    #[arg(long, default_value_t = AdamConfig::default().lr, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: f64,
    /// Adam's β1 in [0, 1) (paper: 0.79).
    #[arg(long, default_value_t = AdamConfig::default().beta1, value_name = "B1", allow_negative_numbers = true)]
    pub adam_beta1: f64,
    /// Adam's β2 in [0, 1) (paper: 0.78).
    #[arg(long, default_value_t = AdamConfig::default().beta2, value_name = "B2", allow_negative_numbers = true)]
    pub adam_beta2: f64,
    /// Adam's ε; > 0 (paper: 1e-8).
    #[arg(long, default_value_t = AdamConfig::default().eps, value_name = "E", allow_negative_numbers = true)]
    pub adam_eps: f64,
    /// Scalar type of the computation.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Storage of P for H∞: exact structured low-rank (turns packed when
    /// cheaper), packed, or dense (N_w² — small nets only).
    #[arg(long, value_enum, default_value_t = CovarianceKind::Structured)]
    pub covariance: CovarianceKind,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub variant: crate::variant::VariantArgs,
}

/// `hinf train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The learning rule.
    #[arg(long, value_enum)]
    pub method: Method,
    /// Number of layers L = 2n + 3 (5, 7, 9, ...; the paper: 5 to 1001).
    #[arg(long, value_name = "L")]
    pub layers: usize,
    /// Number of independent trials; ≥ 1.
    #[arg(long, default_value_t = 100, value_name = "T")]
    pub trials: usize,
    /// Base seed; trial i uses splitmix64(S ^ i).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Print one JSON object (the summary) on stdout; no progress bar.
    #[arg(long)]
    pub json: bool,
    /// Also write the summary JSON, trials CSV, curves CSV and the
    /// learning-curve SVG into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Save trial 0's trained learner to this model file (the core's
    /// CRC-checked format: network, and the g-EHF's P or Adam's state so
    /// that training can continue; read it with `hinf eval --model FILE`).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub settings: SettingsArgs,
}

/// `hinf reproduce`.
#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// Trials per depth; ≥ 1 [default: 100; with --quick: 20].
    #[arg(long, value_name = "T")]
    pub trials: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub out: PathBuf,
    /// A small version (depths 5, 21, 41; 20 trials; epochs capped at 3000)
    /// that finishes in about a minute.
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
    /// extension (`--extension trust-region`, ε0 = 1000, epochs capped at
    /// 300) at the same depths. Not in the paper; reported separately.
    #[arg(long)]
    pub beyond: bool,
    /// Epoch cap for the H∞ trials; ≥ 1. The paper's H∞ trials stop after
    /// ~20–26 epochs; one still running at the cap counts as not converged.
    /// (An H∞ epoch costs O(k·N_w) with k the updates so far, so a trial
    /// that never converges at L = 1001 would otherwise run for hours.)
    /// `--max-epochs` caps Adam and sd.
    #[arg(long, default_value_t = crate::reproduce::HINF_MAX_EPOCHS, value_name = "N")]
    pub hinf_max_epochs: u32,
    /// Print the summaries as one JSON object on stdout; no progress bars.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub settings: SettingsArgs,
}

/// A usage error: one line, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The flag a core validation error is about.
fn flag_of(e: &Error) -> &'static str {
    use hinf::Param;
    match e {
        Error::InvalidDepth { .. } => "--layers",
        Error::InvalidGamma => "--gamma",
        Error::InvalidEps0 => "--eps0",
        Error::InvalidParameter { name } => match *name {
            Param::AdamLr => "--adam-lr",
            Param::AdamBeta1 => "--adam-beta1",
            Param::AdamBeta2 => "--adam-beta2",
            Param::AdamEps => "--adam-eps",
            Param::Tolerance => "--tol",
            Param::InitRange => "--init-range",
            Param::TrustRegionDelta => "--tr-delta",
            Param::TrustRegionTolerance => "--tr-tolerance",
            Param::ProcessNoise => "--process-noise",
            Param::ForgettingFactor => "--forgetting",
            Param::AdamSecondMoment
            | Param::AdamBiasProduct
            | Param::DiagonalFloor
            | Param::CovarianceScale => "a parameter",
            // `Param` is `#[non_exhaustive]`: a variant added later.
            _ => "a parameter",
        },
        _ => "a parameter",
    }
}

/// The value given for the flag of `e`, for the message.
fn value_of(e: &Error, s: &TrialSpec) -> String {
    match flag_of(e) {
        "--layers" => s.layers.to_string(),
        "--gamma" => s.gamma.to_string(),
        "--eps0" => s.eps0.to_string(),
        "--adam-lr" => s.adam_lr.to_string(),
        "--adam-beta1" => s.adam_beta1.to_string(),
        "--adam-beta2" => s.adam_beta2.to_string(),
        "--adam-eps" => s.adam_eps.to_string(),
        "--tol" => s.tol.to_string(),
        "--init-range" => s.init_range.to_string(),
        "--tr-delta" => s.variant.tr_delta.to_string(),
        "--tr-tolerance" => s.variant.tr_tolerance.to_string(),
        "--process-noise" => s.variant.process_noise.to_string(),
        "--forgetting" => s.variant.forgetting.to_string(),
        _ => String::new(),
    }
}

fn allowed_of(flag: &str) -> &'static str {
    match flag {
        "--layers" => "",
        "--gamma" | "--eps0" => "",
        "--adam-lr" | "--adam-eps" | "--tol" => " (allowed: a finite number > 0)",
        "--adam-beta1" | "--adam-beta2" => " (allowed: a number in [0, 1))",
        "--init-range" | "--tr-tolerance" | "--process-noise" => " (allowed: a finite number >= 0)",
        "--tr-delta" => " (allowed: a finite number > 0)",
        "--forgetting" => " (allowed: a number in (0, 1])",
        _ => "",
    }
}

/// Validates a trial spec, naming the offending flag in the message.
pub fn check_spec(s: &TrialSpec) -> Result<(), UsageError> {
    s.validate().map_err(|e| {
        if let Error::CapacityExceeded {
            what: "network size",
            ..
        } = e
        {
            return UsageError(format!(
                "invalid value '{}' for '--layers': the network's sizes (N_w and N_w²) overflow this machine's address space",
                s.layers
            ));
        }
        let flag = flag_of(&e);
        UsageError(format!(
            "invalid value '{}' for '{flag}': {e}{}",
            value_of(&e, s),
            allowed_of(flag)
        ))
    })
}

/// Refuses a run whose trials, `at_once` of them at the same time, would
/// need more memory than the machine has available ([`crate::memory`]);
/// `advice` names the flags that shrink it.
pub fn check_memory(s: &TrialSpec, at_once: usize, advice: &str) -> Result<(), UsageError> {
    let bytes = s.memory_bytes().map_err(|e| UsageError(e.to_string()))?;
    let mut advice = advice.to_string();
    if s.method == Method::Hinf && s.covariance != CovarianceKind::Structured {
        advice += ", or --covariance structured";
    }
    let what = crate::memory::describe(s.method, s.layers, None, s.max_epochs);
    crate::memory::check_available(bytes, at_once, &what, &advice).map_err(UsageError)
}

/// The advice of [`check_memory`] for `train` and `sweep`.
pub const SHRINK_A_RUN: &str = "use a smaller --layers, fewer --threads or a lower --max-epochs";

/// How many of `runs` go at once on `threads` (the default: one per core).
pub fn at_once(threads: Option<usize>, runs: usize) -> usize {
    threads
        .unwrap_or_else(rayon::current_num_threads)
        .min(runs)
        .max(1)
}

fn check_threads(t: Option<usize>) -> Result<(), UsageError> {
    match t {
        Some(0) => Err(UsageError(
            "invalid value '0' for '--threads': need at least 1 thread".into(),
        )),
        _ => Ok(()),
    }
}

fn check_trials(t: usize) -> Result<(), UsageError> {
    if t == 0 {
        Err(UsageError(
            "invalid value '0' for '--trials': need at least 1 trial".into(),
        ))
    } else {
        Ok(())
    }
}

impl SettingsArgs {
    /// The trial spec for `method` at `layers`, with `max_epochs` used when
    /// `--max-epochs` is not given.
    pub fn trial_spec(&self, method: Method, layers: usize, max_epochs: u32) -> TrialSpec {
        TrialSpec {
            method,
            layers,
            eps0: self.eps0,
            gamma: self.gamma,
            gain_order: self.gain_order,
            criterion: self.criterion,
            tol: self.tol,
            timing: self.timing,
            order: self.order,
            inputs: self.inputs,
            max_epochs: self.max_epochs.unwrap_or(max_epochs),
            adam_lr: self.adam_lr,
            adam_beta1: self.adam_beta1,
            adam_beta2: self.adam_beta2,
            adam_eps: self.adam_eps,
            adam_mode: self.adam_mode,
            precision: self.precision,
            init_range: self.init_range,
            covariance: self.covariance,
            variant: self.variant.variant(),
        }
    }

    fn check(&self) -> Result<(), UsageError> {
        check_threads(self.threads)?;
        if self.max_epochs == Some(0) {
            return Err(UsageError(
                "invalid value '0' for '--max-epochs': need at least 1 epoch".into(),
            ));
        }
        Ok(())
    }
}

impl TrainArgs {
    /// The experiment these flags describe, validated.
    pub fn experiment(&self) -> Result<ExperimentSpec, UsageError> {
        self.settings.check()?;
        check_trials(self.trials)?;
        let trial =
            self.settings
                .trial_spec(self.method, self.layers, TrainConfig::default().max_epochs);
        check_spec(&trial)?;
        check_memory(
            &trial,
            at_once(self.settings.threads, self.trials),
            SHRINK_A_RUN,
        )?;
        Ok(ExperimentSpec {
            trial,
            trials: self.trials,
            seed: self.seed,
        })
    }
}

/// Turns a clap error into one line (kind, offending value, allowed
/// values, tip), without the usage block.
pub fn one_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let parts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.starts_with("For more information"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut line = parts.join("; ");
    if !line.starts_with("error:") {
        line = format!("error: {line}");
    }
    format!("{line} (see 'hinf --help')")
}

fn print_err(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

/// Runs `f` on a pool of `threads` workers (the global pool if `None`).
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, String> {
    match threads {
        None => Ok(f()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| format!("cannot start {n} threads: {e}")),
    }
}

/// Parses `args` (program name first) and runs the command; returns the
/// exit status.
pub fn run<I, A>(args: I) -> i32
where
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    0
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    print_err(
                        "error: a subcommand is required: 'train' or 'reproduce' (see 'hinf --help')",
                    );
                    EXIT_USAGE
                }
                _ => {
                    print_err(&one_line(&e));
                    EXIT_USAGE
                }
            };
        }
    };
    let result = match &cli.command {
        Command::Train(a) => train(a),
        Command::Reproduce(a) => crate::reproduce::run_cli(a),
        Command::Fit(a) => crate::own_data::run_fit(a),
        Command::Eval(a) => crate::own_data::run_eval(a),
        Command::Gen(a) => crate::own_data::run_gen(a),
        Command::Compare(a) => crate::own_data::run_compare(a),
        Command::Sweep(a) => crate::sweep::run_cli(a),
    };
    match result {
        Ok(()) => 0,
        Err(Failure::Usage(u)) => {
            print_err(&format!("error: {u}"));
            EXIT_USAGE
        }
        Err(Failure::Run(m)) => {
            print_err(&format!("error: {m}"));
            EXIT_FAILURE
        }
    }
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A bad flag value (exit 2).
    Usage(UsageError),
    /// A run-time failure (exit 1).
    Run(String),
}

impl From<UsageError> for Failure {
    fn from(u: UsageError) -> Self {
        Failure::Usage(u)
    }
}
impl From<String> for Failure {
    fn from(m: String) -> Self {
        Failure::Run(m)
    }
}

/// Prints `text` on stdout, ignoring a closed pipe.
pub fn print_out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json<V: serde::Serialize + ?Sized>(value: &V) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(|e| Failure::Run(e.to_string()))?;
    print_out(&(text + "\n"));
    Ok(())
}

/// A human-readable summary of one experiment.
pub fn describe(s: &crate::Summary) -> String {
    let mut t = format!(
        "{} L={} N_w={} trials={} converged={}/{}{}\n",
        s.method.name(),
        s.layers,
        s.n_weights,
        s.trials,
        s.converged,
        s.trials,
        if s.failed > 0 {
            format!(" (diverged: {})", s.failed)
        } else {
            String::new()
        }
    );
    t += &format!(
        "epochs (converged trials): mean {} std {} median {} min {} max {}\n",
        report::opt(s.mean_epochs, 2),
        report::opt(s.std_epochs, 2),
        report::opt(s.median_epochs, 1),
        report::opt_u(s.min_epochs),
        report::opt_u(s.max_epochs),
    );
    t += &format!(
        "time: {:.3} s wall, {:.4} s per trial\nsettings: seed={}",
        s.seconds, s.mean_trial_seconds, s.seed
    );
    for (k, v) in report::settings_list(&s.settings) {
        t += &format!(" {k}={v}");
    }
    t.push('\n');
    t
}

fn train(a: &TrainArgs) -> Result<(), Failure> {
    let spec = a.experiment()?;
    let show = crate::progress::enabled(a.json);
    let pb = crate::progress::bar(
        spec.trials as u64,
        format!("{} L={}", spec.trial.method.name(), spec.trial.layers),
        show,
    );
    let result = with_threads(a.settings.threads, || run_experiment(&spec, &|_| pb.inc(1)))?
        .map_err(|e| Failure::Run(e.to_string()))?;
    pb.finish_and_clear();
    if let Some(dir) = &a.out {
        report::write_experiment(dir, Some(dir), true, &result)?;
    }
    if let Some(path) = &a.save {
        // Trial 0 again (same seed, so the same run), keeping its learner.
        let seed = crate::experiment::trial_seed(spec.seed, 0);
        let (trial, bytes) = crate::experiment::run_trial_with_model(&spec.trial, seed, 0)
            .map_err(|e| Failure::Run(e.to_string()))?;
        std::fs::write(path, &bytes)
            .map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))?;
        let nw = spec.trial.net_spec().map(|s| s.n_weights()).unwrap_or(0);
        if spec.trial.method != Method::Adam && nw > crate::model_file::MAX_SAVED_P {
            eprintln!(
                "note: N_w = {nw} > {}: {} holds the network only, without the g-EHF's P \
                 and parameters, so training cannot continue from it exactly",
                crate::model_file::MAX_SAVED_P,
                path.display()
            );
        }
        if !a.json {
            print_out(&format!(
                "saved trial 0 (seed {seed}, {} after {} epochs) to {} ({} bytes)\n",
                if trial.converged {
                    "converged"
                } else {
                    "not converged"
                },
                trial.epochs,
                path.display(),
                bytes.len()
            ));
        }
    }
    if a.json {
        print_json(&result.summary)?;
    } else {
        print_out(&describe(&result.summary));
    }
    Ok(())
}
