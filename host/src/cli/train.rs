//! `hinf train`: many trials of one method at one depth, summarised.

use std::path::{Path, PathBuf};

use clap::Args;

use super::check::{self, UsageError};
use super::interrupt;
use super::output::{Failure, print_err, print_json, print_out, run_err};
use super::settings::SettingsArgs;
use super::values::MethodArg;
use crate::data::xor_model::{XorMeta, XorModel, read_xor, save_xor};
use crate::learn::MAX_SAVED_P;
use crate::report;
use crate::report::progress::{self, TrialsBar};
use crate::run::{Observer, at_once, run_trial_with_model, run_watched, trial_seed, with_threads};
use crate::settings::{Choice, ExperimentSpec, Method};

/// `hinf train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The learning rule.
    #[arg(long, value_enum)]
    pub method: MethodArg,
    /// Number of layers L = 2n + 3 (5, 7, 9, ...; the paper: 5 to 1001).
    #[arg(long, value_name = "L")]
    pub layers: usize,
    /// Number of independent trials; ≥ 1 [default: 100; 1 with --init].
    #[arg(long, value_name = "T")]
    pub trials: Option<usize>,
    /// Base seed; trial i uses splitmix64(S ^ i).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Print one JSON object (the summary) on stdout (progress, on a
    /// terminal, stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// Also write the summary JSON, trials CSV, curves CSV and the
    /// learning-curve SVG into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Save trial 0's trained learner to this model file: the settings
    /// (input coding, targets, ...) and, in the core's CRC-checked format,
    /// the network and the g-EHF's P or Adam's state so that training can
    /// continue; read it with `hinf eval --model FILE`.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Continue training the learner saved in this model file (`train
    /// --save`): its network, P or Adam's state, and settings (--method
    /// and --layers must be the model's; the stopping rule, order, epoch
    /// cap and storage of P are the flags').
    #[arg(long, value_name = "MODEL")]
    pub init: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub settings: SettingsArgs,
}

impl TrainArgs {
    /// The experiment these flags describe, validated.
    pub fn experiment(&self) -> Result<ExperimentSpec, UsageError> {
        self.settings.check(&[self.method])?;
        let trials = self
            .trials
            .unwrap_or(if self.init.is_some() { 1 } else { 100 });
        check::at_least_one("--trials", trials as u64, "trial")?;
        let trial = self.settings.trial_spec(self.method, self.layers);
        check::spec(&trial, "--layers")?;
        let at_once = at_once(self.settings.threads, trials);
        check::memory(&trial, at_once, check::SHRINK_A_RUN)?;
        Ok(ExperimentSpec {
            trial,
            trials,
            seed: self.seed,
        })
    }
}

/// `hinf train`.
pub fn run(a: &TrainArgs) -> Result<(), Failure> {
    let mut spec = a.experiment()?;
    if let Some(dir) = &a.out {
        check::output_dir("--out", dir)?;
    }
    if let Some(path) = &a.save {
        check::output_file("--save", path)?;
    }
    let init = match &a.init {
        Some(path) => Some(read_xor(path).map_err(UsageError::from)?),
        None => None,
    };
    let before = match &init {
        Some(m) => continue_with(a, m, &mut spec)?,
        None => 0,
    };
    let from = init.as_ref().map(XorModel::model).transpose()?;
    let from = from.as_ref();
    let show = progress::enabled();
    let label = format!("{} L={}", spec.trial.method.name(), spec.trial.layers);
    let pb = TrialsBar::new(spec.trials, spec.trial.max_epochs, label, show);
    let stop = interrupt::stop_flag();
    let result = with_threads(a.settings.threads, || {
        run_watched(&spec, from, &pb, Some(stop))
    })
    .map_err(Failure::Run)?
    .map_err(run_err)?;
    pb.finish();
    let Some(result) = result else {
        return Err(Failure::Interrupted(
            "interrupted before every trial finished: nothing written".into(),
        ));
    };
    if let Some(dir) = &a.out {
        report::write_experiment(dir, Some(dir), true, &result).map_err(run_err)?;
    }
    if let Some(path) = &a.save {
        let trained = Trained {
            before,
            init: init.is_some(),
        };
        save_trial0(a, &spec, path, show, from, trained)?;
    }
    if a.json {
        print_json(&result.summary)?;
    } else {
        print_out(&report::describe(&result.summary));
    }
    Ok(())
}

/// What trial 0 was trained from: the epochs of `--init`'s model before.
#[derive(Debug, Clone, Copy)]
struct Trained {
    before: u32,
    init: bool,
}

/// Trains trial 0 again (same seed, so the same run), keeping its learner,
/// and saves it, with the run's settings, to `path`.
fn save_trial0(
    a: &TrainArgs,
    spec: &ExperimentSpec,
    path: &Path,
    show: bool,
    from: Option<&hinf::model::Model<'_>>,
    trained: Trained,
) -> Result<(), Failure> {
    let seed = trial_seed(spec.seed, 0);
    let pb = TrialsBar::new(1, spec.trial.max_epochs, "trial 0 for --save", show);
    let hook = |epoch| {
        pb.epoch(0, epoch);
        !interrupt::interrupted()
    };
    let (trial, bytes) =
        run_trial_with_model(&spec.trial, seed, 0, from, Some(&hook)).map_err(run_err)?;
    pb.finish();
    if interrupt::interrupted() {
        return Err(Failure::Interrupted(format!(
            "interrupted while training trial 0 again for --save: {} not written",
            path.display()
        )));
    }
    let meta = XorMeta {
        settings: spec.trial,
        seed,
        epochs: trained.before + trial.epochs,
        converged: trial.converged,
    };
    let len = save_xor(path, &meta, &bytes).map_err(run_err)?;
    let nw = spec.trial.net_spec().map(|s| s.n_weights()).unwrap_or(0);
    // What the learner wrote says whether it kept its P.
    let kept_p = hinf::model::Model::parse(&bytes).is_ok_and(|m| m.has_covariance());
    if spec.trial.method == Method::Hinf && !kept_p {
        eprintln!(
            "note: N_w = {nw} > {}: {} holds the network only, without the g-EHF's P \
             and parameters, so training cannot continue from it exactly",
            MAX_SAVED_P,
            path.display()
        );
    }
    if !a.json {
        let in_all = if trained.init {
            format!(", {} in all", meta.epochs)
        } else {
            String::new()
        };
        print_out(&format!(
            "saved trial 0 (seed {seed}, {} after {}{in_all}) to {} ({len} bytes)\n",
            if trial.converged {
                "converged"
            } else {
                "not converged"
            },
            report::plural(trial.epochs, "epoch"),
            path.display(),
        ));
    }
    Ok(())
}

/// Continues the model `init` (`--init`): its settings replace the flags'
/// where they describe the learner (said on stderr); returns the epochs it
/// was trained before.
fn continue_with(
    a: &TrainArgs,
    init: &XorModel,
    spec: &mut ExperimentSpec,
) -> Result<u32, Failure> {
    let path = a.init.as_deref().unwrap_or(Path::new("")).display();
    let c = init
        .continued(&spec.trial)
        .map_err(|e| UsageError(format!("--init {path}: {e}")))?;
    if let Some(note) = &c.note {
        print_err(&format!("note: {path}: {note}"));
    }
    spec.trial = c.settings;
    check::spec(&spec.trial, "--init")?;
    if !a.json {
        let before = match c.epochs_before {
            Some(e) => format!("{} before", report::plural(e, "epoch")),
            None => "a bare core file".into(),
        };
        print_out(&format!(
            "continuing {path} ({} L={}, {before})\n",
            spec.trial.method.name(),
            spec.trial.layers,
        ));
    }
    Ok(c.epochs_before.unwrap_or(0))
}
