//! `hinf fit`: train on a CSV file (numeric features; numeric targets or a
//! class column) and optionally save the model.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use hinf::Real;
use serde::Serialize;

use super::check::{self, UsageError};
use super::eval::describe_quality;
use super::output::{Failure, print_json, print_out};
use super::values::MethodArg;
use crate::data::early_stop::{DEFAULT_PATIENCE, validation_split};
use crate::data::fitted::read;
use crate::data::{
    Dataset, Encoding, FitOutcome, Fitted, ModelMeta, Quality, Stop, Table, Task, evaluate,
    fit_from, save, split_indices,
};
use crate::report::plural;
use crate::run::memory;
use crate::settings::{
    Choice, CovarianceKind, DEFAULT_MEMORY, FitSpec, Learner, Method, Precision,
};

/// `hinf fit`.
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    /// CSV file: a header row, then one sample per line.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Target column(s), comma-separated: numeric columns (regression) or
    /// one class column (classification, one sigmoid output per class)
    /// [with --init: the model's].
    #[arg(
        long,
        value_name = "COLS",
        value_delimiter = ',',
        required_unless_present = "init"
    )]
    pub target: Vec<String>,
    /// Feature columns, comma-separated [default: every other column].
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Regression or classification [default: classification when the
    /// single target column is not numeric].
    #[arg(long, value_enum, default_value_t = Task::Auto)]
    pub task: Task,
    /// The learning rule [default: hinf; with --init: the model's].
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Storage of P for H∞ [default: structured; with --init: the
    /// model's]: see `hinf train --help`.
    #[arg(long, value_enum)]
    pub covariance: Option<CovarianceKind>,
    /// R ≥ 1, the samples a window covariance keeps [default: 8].
    #[arg(long, value_name = "R")]
    pub memory: Option<usize>,
    /// Number of layers L = 2n + 3 (5, 7, 9, ...) [default: 5; with
    /// --init: the model's, and another is refused].
    #[arg(long, value_name = "L")]
    pub layers: Option<usize>,
    /// Hidden width N [default: 5; with --init: the model's].
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Fraction of the rows (shuffled with --seed) to train on; the rest is
    /// the test set. 1 trains on everything.
    #[arg(
        long,
        default_value_t = 0.8,
        value_name = "F",
        allow_negative_numbers = true
    )]
    pub split: f64,
    /// Standardize every feature (mean 0, standard deviation 1 over the
    /// training rows; stored in the model).
    #[arg(long)]
    pub standardize: bool,
    /// Stop when the training MSE (rows × outputs, targets scaled to
    /// [0.1, 0.9] or one-hot) is below this [default: 0.01 for
    /// classification; none for regression, which stops on --patience].
    #[arg(long, value_name = "TOL", allow_negative_numbers = true)]
    pub tol: Option<f64>,
    /// Regression: hold out a fifth of the training rows and stop once the
    /// best MSE on them is this many epochs old, keeping that epoch's
    /// weights [default: 20; 0: no rows held out, no early stop].
    #[arg(long, value_name = "K")]
    pub patience: Option<u32>,
    /// Epoch cap.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_epochs: u32,
    /// ε0 of P = ε0 I (H∞, sd) [default: 10; with --init: the model's].
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub eps0: Option<f64>,
    /// γ_f (H∞) [default: 1.7; with --init: the model's].
    #[arg(long, value_name = "G", allow_negative_numbers = true)]
    pub gamma: Option<f64>,
    /// Adam's step size α [default: 0.01; with --init: the model's].
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: Option<f64>,
    /// Sigmoid slope η0 [default: 2.5; with --init: the model's].
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub slope: Option<f64>,
    /// Seed of the split, the initial weights and the sample order.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Scalar type of the network, the optimiser and the saved model
    /// (`hinf eval` reads either) [default: f64; with --init: the model's].
    #[arg(long, value_enum)]
    pub precision: Option<Precision>,
    /// Write the trained model (network + encoding) here.
    #[arg(long, value_name = "MODEL")]
    pub save: Option<PathBuf>,
    /// Continue training the network of this `fit --save` model, with its
    /// encoding (the data need its columns; --target, --features, --task,
    /// --standardize, --layers, --width, --slope and --precision may only
    /// repeat it). The optimizer starts afresh (P = ε0 I, Adam's moments 0).
    #[arg(long, value_name = "MODEL")]
    pub init: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `hinf fit` reports of a fit, whatever its precision.
struct FitReport {
    precision: &'static str,
    n_weights: usize,
    out: FitOutcome,
    train: Quality,
    test: Option<Quality>,
}

/// Trains in precision `T` (from `init`'s network, if given), evaluates on
/// both sets and saves if asked.
fn fit_eval_save<T: Real>(
    a: &FitArgs,
    spec: &FitSpec,
    d: &FitData,
    init: Option<&Fitted>,
) -> Result<FitReport, Failure> {
    let from = init.map(Fitted::model).transpose()?;
    let (mut net, out) = fit_from::<T>(&d.train, Some(&d.held), spec, from.as_ref())?;
    let train = evaluate(&mut net, &d.train, &d.enc)?;
    let test = if d.test.is_empty() {
        None
    } else {
        Some(evaluate(&mut net, &d.test, &d.enc)?)
    };
    if let Some(path) = &a.save {
        let meta = ModelMeta {
            encoding: d.enc.clone(),
            fit: *spec,
            data: a.data.display().to_string(),
            epochs: init.map_or(0, |m| m.meta.epochs) + out.epochs,
        };
        save(path, &meta, &net)?;
    }
    Ok(FitReport {
        precision: T::NAME,
        n_weights: net.spec().n_weights(),
        out,
        train,
        test,
    })
}

/// Checks `fit`'s flags and the settings `spec` they give before any data
/// file is read: one line naming the flag.
fn check_fit_flags(a: &FitArgs, spec: &FitSpec) -> Result<(), UsageError> {
    let bad = |flag: &str, value: String, why: String| Err(check::invalid(flag, value, why));
    if !(a.split > 0.0 && a.split <= 1.0) {
        return bad("--split", a.split.to_string(), "must be in (0, 1]".into());
    }
    check::network_shape(spec.width, spec.layers, spec.slope)?;
    let method = a.method.unwrap_or(MethodArg::Rule(spec.method));
    let covariance = a.covariance.as_ref().map(core::slice::from_ref);
    check::storage(
        &[method],
        covariance,
        a.memory.as_ref().map(core::slice::from_ref),
    )?;
    // The outputs are known once the data are read: one at least.
    check::window_memory(spec.covariance, spec.memory(), 1)?;
    if let Some(tol) = a.tol.filter(|t| !(t.is_finite() && *t > 0.0)) {
        return bad("--tol", tol.to_string(), "need a finite number > 0".into());
    }
    check::at_least_one("--max-epochs", a.max_epochs.into(), "epoch")?;
    let g = hinf::GEhfConfig {
        gamma: spec.gamma,
        eps0: spec.eps0,
        ..hinf::GEhfConfig::default()
    };
    match g.validate() {
        Err(e @ hinf::Error::InvalidGamma) => {
            return bad("--gamma", spec.gamma.to_string(), e.to_string());
        }
        Err(e) => return bad("--eps0", spec.eps0.to_string(), e.to_string()),
        Ok(()) => {}
    }
    let adam = hinf::AdamConfig {
        lr: spec.adam_lr,
        ..hinf::AdamConfig::default()
    };
    if let Err(e) = adam.validate() {
        return bad("--adam-lr", spec.adam_lr.to_string(), e.to_string());
    }
    Ok(())
}

/// The data of a fit: the table, its encoding, the rows to train on, those
/// held out of the training rows (regression), and the test rows.
struct FitData {
    table: Table,
    enc: Encoding,
    train: Dataset,
    held: Dataset,
    test: Dataset,
}

impl FitArgs {
    /// The settings of the fit: the flags, else the model's (`--init`),
    /// else the defaults; and its precision.
    fn spec(&self, init: Option<&Fitted>) -> (FitSpec, Precision) {
        let base = init.map_or_else(FitSpec::default, |m| m.meta.fit);
        let covariance = (self.method.and_then(MethodArg::covariance))
            .or(self.covariance)
            .unwrap_or(base.covariance);
        let memory = self.memory.or(base.memory).unwrap_or(DEFAULT_MEMORY);
        let spec = FitSpec {
            method: self.method.map_or(base.method, MethodArg::method),
            covariance,
            memory: covariance.has_memory().then_some(memory),
            layers: self.layers.unwrap_or(base.layers),
            width: self.width.unwrap_or(base.width),
            slope: self.slope.unwrap_or(base.slope),
            eps0: self.eps0.unwrap_or(base.eps0),
            gamma: self.gamma.unwrap_or(base.gamma),
            adam_lr: self.adam_lr.unwrap_or(base.adam_lr),
            tol: self.tol,
            max_epochs: self.max_epochs,
            seed: self.seed,
            ..FitSpec::default()
        };
        let precision = match init {
            Some(m) => m.net.precision(),
            None => self.precision.unwrap_or_default(),
        };
        (spec, precision)
    }

    /// Reads, splits and encodes `--data` (with `enc`, the model's
    /// encoding, if given; else one fitted on the training rows); a
    /// malformed file or a column that is not there is bad input (exit 2).
    fn data(&self, enc: Option<&Encoding>) -> Result<FitData, UsageError> {
        let table = Table::read(&self.data).map_err(UsageError::from)?;
        let (tr, te) = split_indices(table.rows.len(), self.split, self.seed);
        let enc = match enc {
            Some(e) => e.clone(),
            None => Encoding::fit(
                &table,
                &self.target,
                self.features.as_deref(),
                self.task,
                self.standardize,
                &tr,
            )
            .map_err(UsageError::from)?,
        };
        let all = enc.encode(&table).map_err(UsageError::from)?;
        let hold_out = enc.task == Task::Regression && self.patience != Some(0);
        let (tr, held) = match hold_out {
            true => validation_split(&tr, self.seed),
            false => (tr, Vec::new()),
        };
        let (train, held, test) = (all.subset(&tr), all.subset(&held), all.subset(&te));
        Ok(FitData {
            table,
            enc,
            train,
            held,
            test,
        })
    }

    /// The stopping rules for the task of `enc`: classification, the
    /// tolerance (0.01 unless given; `--patience` is refused); regression,
    /// the tolerance only if given, and the patience (20 unless given; 0:
    /// none).
    fn stopping(&self, spec: FitSpec, enc: &Encoding) -> Result<FitSpec, UsageError> {
        if enc.task == Task::Classification {
            if let Some(k) = self.patience {
                return Err(check::invalid(
                    "--patience",
                    k,
                    "early stopping on held-out rows is for regression; classification stops on --tol",
                ));
            }
            let tol = self.tol.or(FitSpec::default().tol);
            return Ok(FitSpec { tol, ..spec });
        }
        let patience = match self.patience.unwrap_or(DEFAULT_PATIENCE) {
            0 => None,
            k => Some(k),
        };
        Ok(FitSpec {
            tol: self.tol,
            patience,
            ..spec
        })
    }
}

/// With `--init`: the flags that fix the network or its encoding may only
/// repeat the model's.
fn check_init(a: &FitArgs, m: &Fitted) -> Result<(), UsageError> {
    let (fit, enc) = (&m.meta.fit, &m.meta.encoding);
    let path = a.init.as_deref().unwrap_or(std::path::Path::new(""));
    let differs = |given: Option<usize>, model: usize| given.filter(|&g| g != model);
    let clash = if let Some(l) = differs(a.layers, fit.layers) {
        Some(format!("--layers {l}: the model has L = {}", fit.layers))
    } else if let Some(w) = differs(a.width, fit.width) {
        Some(format!("--width {w}: the model has N = {}", fit.width))
    } else if let Some(e) = a.slope.filter(|&e| e != fit.slope) {
        Some(format!("--slope {e}: the model has η0 = {}", fit.slope))
    } else if let Some(p) = a.precision.filter(|&p| p != m.net.precision()) {
        Some(format!(
            "--precision {}: the model is {}",
            p.name(),
            m.net.precision_name()
        ))
    } else if !a.target.is_empty() && a.target != enc.targets {
        Some(format!(
            "--target {}: the model's is {}",
            a.target.join(","),
            enc.targets.join(",")
        ))
    } else if let Some(f) = a.features.as_ref().filter(|f| **f != enc.features) {
        Some(format!(
            "--features {}: the model's are {}",
            f.join(","),
            enc.features.join(",")
        ))
    } else if a.task != Task::Auto && a.task != enc.task {
        Some(format!(
            "--task {}: the model's is {}",
            a.task.name(),
            enc.task.name()
        ))
    } else if a.standardize && !enc.is_standardized() {
        Some("--standardize: the model's features are not standardized".to_string())
    } else {
        None
    };
    match clash {
        Some(c) => Err(UsageError(format!(
            "--init {}: {c} (these flags may only repeat the model's)",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// `hinf fit`.
pub fn run(a: &FitArgs) -> Result<(), Failure> {
    let init = match &a.init {
        Some(path) => Some(read(path).map_err(UsageError::from)?),
        None => None,
    };
    if let Some(m) = &init {
        check_init(a, m)?;
    }
    let (spec, precision) = a.spec(init.as_ref());
    check_fit_flags(a, &spec)?;
    if let Some(path) = &a.save {
        check::output_file("--save", path)?;
    }
    let d = a.data(init.as_ref().map(|m| &m.meta.encoding))?;
    let spec = a.stopping(spec, &d.enc)?;
    let (rows, n_in, n_out) = (d.train.len(), d.train.n_inputs, d.train.n_outputs);
    if let Some(bytes) = memory::fit_bytes(&spec, n_in, n_out, rows, precision) {
        let what = memory::describe(spec.method, spec.layers, None, a.max_epochs);
        let advice = "use a smaller --layers or a lower --max-epochs";
        memory::check_available(bytes, 1, &what, advice).map_err(UsageError::from)?;
    }
    let report = match precision {
        Precision::F64 => fit_eval_save::<f64>(a, &spec, &d, init.as_ref())?,
        Precision::F32 => fit_eval_save::<f32>(a, &spec, &d, init.as_ref())?,
    };
    let before = init.as_ref().map(|m| m.meta.epochs);
    if a.json {
        print_json(&json(&spec, &d, &report))
    } else {
        print_out(&text(a, &spec, &d, &report, before));
        Ok(())
    }
}

/// The JSON object of `fit --json`.
#[derive(Serialize)]
struct FitJson<'a> {
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    covariance: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<usize>,
    precision: &'a str,
    layers: usize,
    n_weights: usize,
    outputs: usize,
    train_rows: usize,
    held_out_rows: usize,
    test_rows: usize,
    converged: bool,
    stop: Stop,
    epochs: u32,
    kept_epoch: Option<u32>,
    validation_mse: Option<f64>,
    seconds: f64,
    failure: &'a Option<String>,
    train: Quality,
    test: Option<Quality>,
}

fn json<'a>(spec: &FitSpec, d: &FitData, r: &'a FitReport) -> FitJson<'a> {
    FitJson {
        method: spec.method.name(),
        covariance: (spec.method == Method::Hinf).then(|| spec.covariance.name()),
        memory: spec.memory(),
        precision: r.precision,
        layers: spec.layers,
        n_weights: r.n_weights,
        outputs: d.enc.n_outputs(),
        train_rows: d.train.len(),
        held_out_rows: d.held.len(),
        test_rows: d.test.len(),
        converged: r.out.converged,
        stop: r.out.stop,
        epochs: r.out.epochs,
        kept_epoch: r.out.kept.map(|b| b.epoch),
        validation_mse: r.out.kept.map(|b| b.mse),
        seconds: r.out.seconds,
        failure: &r.out.failure,
        train: r.train,
        test: r.test,
    }
}

/// The text `fit` prints: the data, the model continued (trained `before`
/// epochs), the run, the quality, the file.
fn text(a: &FitArgs, spec: &FitSpec, d: &FitData, r: &FitReport, before: Option<u32>) -> String {
    let enc = &d.enc;
    let mut s = String::new();
    let held = match d.held.len() {
        0 => String::new(),
        n => format!(" + {n} held out"),
    };
    let _ = writeln!(
        s,
        "{}: {} ({} train{held}, {} test), {} -> {} ({})",
        a.data.display(),
        plural(d.table.rows.len() as u64, "row"),
        d.train.len(),
        d.test.len(),
        plural(enc.features.len() as u64, "feature"),
        plural(enc.n_outputs() as u64, "output"),
        match enc.task {
            Task::Classification => format!("classes {}", enc.classes.join(", ")),
            _ => "regression".to_string(),
        }
    );
    if let (Some(p), Some(e)) = (&a.init, before) {
        let e = plural(e, "epoch");
        let _ = writeln!(s, "continuing {} (trained {e} before)", p.display());
    }
    let _ = writeln!(
        s,
        "{} at L = {}, N = {} (N_w = {}, {}): {}",
        Learner::new(spec.method, spec.covariance, spec.memory).title(),
        spec.layers,
        spec.width,
        r.n_weights,
        r.precision,
        how_it_stopped(spec, r)
    );
    if let Some(f) = &r.out.failure {
        let _ = writeln!(s, "stopped early: {f}");
    }
    let _ = writeln!(s, "train: {}", describe_quality(&r.train));
    if let Some(q) = &r.test {
        let _ = writeln!(s, "test:  {}", describe_quality(q));
    }
    if let Some(p) = &a.save {
        let _ = writeln!(s, "saved {}", p.display());
    }
    s
}

/// How the run ended, with the training error of the weights kept (and
/// its RMSE in the targets' units for regression) and the rule.
fn how_it_stopped(spec: &FitSpec, r: &FitReport) -> String {
    let out = &r.out;
    let (e, t) = (out.epochs, out.seconds);
    let at = out.kept.map_or(e, |b| b.epoch) as usize;
    let mse = out.curve.get(at).or(out.curve.last()).copied();
    let mut error = format!("training MSE {:.5}", mse.unwrap_or(f64::NAN));
    if let Some(rmse) = r.train.rmse {
        let _ = write!(error, ", RMSE {rmse:.4} in target units");
    }
    let tol = spec
        .tol
        .map_or("no tol".to_string(), |t| format!("tol {t}"));
    let n = plural(e, "epoch");
    let head = match out.stop {
        Stop::Tolerance => format!("converged after {n} in {t:.2} s"),
        Stop::Validation => format!("stopped early after {n} in {t:.2} s"),
        _ => format!("stopped after {n} in {t:.2} s"),
    };
    let Some(b) = out.kept else {
        return format!("{head} ({error}, {tol})");
    };
    let why = match out.stop {
        Stop::Tolerance => tol,
        Stop::Validation => format!("no better held-out MSE in {}", plural(e - b.epoch, "epoch")),
        Stop::MaxEpochs => "the epoch cap".into(),
        Stop::Failure => "a refused update".into(),
    };
    format!(
        "{head} ({why}): kept epoch {} (held-out MSE {:.5}, {error})",
        b.epoch, b.mse
    )
}
