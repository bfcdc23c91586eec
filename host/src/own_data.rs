//! The command-line side of training on one's own data: `hinf fit`,
//! `hinf eval`, `hinf gen` and `hinf compare` (arguments and handlers;
//! [`crate::cli`] dispatches to them).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use hinf::Real;
use rayon::prelude::*;
use serde::Serialize;

use crate::cli::{Failure, UsageError, print_json, print_out};
use crate::data::{Dataset, Encoding, Quality, Table, Task, generated, split_indices};
use crate::experiment::{Method, Precision, trial_seed};
use crate::fit::{FitOutcome, FitSpec, ModelMeta, fit, load, save};
use crate::report;

/// `hinf fit`.
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    /// CSV file: a header row, then one sample per line.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Target column(s), comma-separated: numeric columns (regression) or
    /// one class column (classification, one sigmoid output per class).
    #[arg(long, value_name = "COLS", value_delimiter = ',', required = true)]
    pub target: Vec<String>,
    /// Feature columns, comma-separated [default: every other column].
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Regression or classification [default: classification when the
    /// single target column is not numeric].
    #[arg(long, value_enum, default_value_t = Task::Auto)]
    pub task: Task,
    /// The learning rule.
    #[arg(long, value_enum, default_value_t = Method::Hinf)]
    pub method: Method,
    /// Number of layers L = 2n + 3 (5, 7, 9, ...).
    #[arg(long, default_value_t = 5, value_name = "L")]
    pub layers: usize,
    /// Hidden width N.
    #[arg(long, default_value_t = hinf::PAPER_WIDTH, value_name = "N")]
    pub width: usize,
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
    /// Stop when the training MSE (rows × outputs) is below this.
    #[arg(
        long,
        default_value_t = 0.01,
        value_name = "TOL",
        allow_negative_numbers = true
    )]
    pub tol: f64,
    /// Epoch cap.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_epochs: u32,
    /// ε0 of P = ε0 I (H∞, sd).
    #[arg(long, default_value_t = hinf::DEFAULT_EPS0, value_name = "E", allow_negative_numbers = true)]
    pub eps0: f64,
    /// γ_f (H∞).
    #[arg(long, default_value_t = hinf::PAPER_GAMMA, value_name = "G", allow_negative_numbers = true)]
    pub gamma: f64,
    /// Adam's step size α.
    #[arg(long, default_value_t = hinf::AdamConfig::default().lr, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: f64,
    /// Sigmoid slope η0.
    #[arg(long, default_value_t = hinf::PAPER_SLOPE, value_name = "S", allow_negative_numbers = true)]
    pub slope: f64,
    /// Seed of the split, the initial weights and the sample order.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Scalar type of the network, the optimiser and the saved model
    /// (`hinf eval` reads either).
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Write the trained model (network + encoding) here.
    #[arg(long, value_name = "MODEL")]
    pub save: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `hinf eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A model written by `hinf fit --save`, or by `hinf train --save`
    /// (an XOR learner, evaluated on the truth table).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// CSV file with the model's feature and target columns (required for
    /// `fit` models; not used for XOR models).
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
    /// XOR input coding, for models from `hinf train --save`.
    #[arg(long, value_enum, default_value = "bipolar")]
    pub inputs: crate::experiment::Inputs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `hinf gen`.
#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// Directory to write spirals.csv, parity4.csv and sine.csv into.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub out: PathBuf,
}

/// `hinf compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Directory with the shipped data sets (`hinf gen` writes the
    /// generated ones).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory for report.md, results.json and the figures.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Depths, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [5usize, 21, 101])]
    pub layers: Vec<usize>,
    /// Seeds per (data set, method, depth).
    #[arg(long, default_value_t = 20)]
    pub seeds: usize,
    /// Epoch cap of every run.
    #[arg(long, default_value_t = 100)]
    pub max_epochs: u32,
    /// Data sets, comma-separated: iris, wine, spirals, parity4, sine
    /// (the list of `benchmarks()`) [default: all].
    #[arg(long, value_delimiter = ',')]
    pub sets: Option<Vec<String>>,
    /// Methods, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Method::Hinf, Method::Sd, Method::Adam])]
    pub methods: Vec<Method>,
    /// Base seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn load_set(
    path: &std::path::Path,
    target: &[String],
    task: Task,
    standardize: bool,
    split: f64,
    seed: u64,
) -> Result<(Encoding, Dataset, Option<Dataset>), String> {
    let table = Table::read(path)?;
    let (tr, te) = split_indices(table.rows.len(), split, seed);
    let enc = Encoding::fit(&table, target, None, task, standardize, &tr)?;
    let all = enc.encode(&table)?;
    let test = (!te.is_empty()).then(|| all.subset(&te));
    Ok((enc, all.subset(&tr), test))
}

fn describe_quality(q: &Quality) -> String {
    match (q.accuracy, q.rmse) {
        (Some(a), _) => format!("accuracy {:.2}%, MSE {:.4}", 100.0 * a, q.mse),
        (_, Some(r)) => format!("RMSE {r:.4} (target units), MSE {:.5}", q.mse),
        _ => format!("MSE {:.5}", q.mse),
    }
}

/// What `hinf fit` reports of a fit, whatever its precision.
struct FitReport {
    precision: &'static str,
    n_weights: usize,
    out: FitOutcome,
    train: Quality,
    test: Option<Quality>,
}

/// Trains in precision `T`, evaluates on both sets and saves if asked.
fn fit_eval_save<T: Real>(
    a: &FitArgs,
    spec: &FitSpec,
    enc: &Encoding,
    train_set: &Dataset,
    test_set: Option<&Dataset>,
) -> Result<FitReport, Failure> {
    let (mut net, out) = fit::<T>(train_set, spec).map_err(Failure::Run)?;
    let train = crate::fit::evaluate(&mut net, train_set, enc)?;
    let test = match test_set {
        Some(t) => Some(crate::fit::evaluate(&mut net, t, enc)?),
        None => None,
    };
    if let Some(path) = &a.save {
        let meta = ModelMeta {
            encoding: enc.clone(),
            fit: *spec,
            data: a.data.display().to_string(),
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

/// Checks `fit`'s flags before any file is read: one line naming the flag.
fn check_fit_flags(a: &FitArgs) -> Result<(), UsageError> {
    let bad = |flag: &str, value: String, why: String| {
        Err(UsageError(format!(
            "invalid value '{value}' for '{flag}': {why}"
        )))
    };
    if !(a.split > 0.0 && a.split <= 1.0) {
        return bad("--split", a.split.to_string(), "must be in (0, 1]".into());
    }
    if let Err(e) = hinf::ResNetSpec::new(1, a.width, 1, a.layers, a.slope) {
        let (flag, value) = match e {
            hinf::Error::ZeroWidth => ("--width", a.width.to_string()),
            hinf::Error::InvalidSlope => ("--slope", a.slope.to_string()),
            _ => ("--layers", a.layers.to_string()),
        };
        return bad(flag, value, e.to_string());
    }
    if !(a.tol.is_finite() && a.tol > 0.0) {
        return bad(
            "--tol",
            a.tol.to_string(),
            "need a finite number > 0".into(),
        );
    }
    if a.max_epochs == 0 {
        return bad("--max-epochs", "0".into(), "need at least 1 epoch".into());
    }
    let g = hinf::GEhfConfig {
        gamma: a.gamma,
        eps0: a.eps0,
        ..hinf::GEhfConfig::default()
    };
    match g.validate() {
        Err(e @ hinf::Error::InvalidGamma) => {
            return bad("--gamma", a.gamma.to_string(), e.to_string());
        }
        Err(e) => return bad("--eps0", a.eps0.to_string(), e.to_string()),
        Ok(()) => {}
    }
    let adam = hinf::AdamConfig {
        lr: a.adam_lr,
        ..hinf::AdamConfig::default()
    };
    if let Err(e) = adam.validate() {
        return bad("--adam-lr", a.adam_lr.to_string(), e.to_string());
    }
    Ok(())
}

/// `hinf fit`.
pub fn run_fit(a: &FitArgs) -> Result<(), Failure> {
    check_fit_flags(a)?;
    // A malformed file or a column that is not there is bad input (exit 2).
    let table = Table::read(&a.data).map_err(UsageError)?;
    let (tr, te) = split_indices(table.rows.len(), a.split, a.seed);
    let enc = Encoding::fit(
        &table,
        &a.target,
        a.features.as_deref(),
        a.task,
        a.standardize,
        &tr,
    )
    .map_err(UsageError)?;
    let all = enc.encode(&table).map_err(UsageError)?;
    let (train_set, test_set) = (all.subset(&tr), all.subset(&te));
    let spec = FitSpec {
        method: a.method,
        layers: a.layers,
        width: a.width,
        slope: a.slope,
        eps0: a.eps0,
        gamma: a.gamma,
        adam_lr: a.adam_lr,
        tol: a.tol,
        max_epochs: a.max_epochs,
        seed: a.seed,
        ..FitSpec::default()
    };
    if let Some(bytes) = spec.memory_bytes(&train_set, a.precision) {
        let what = crate::memory::describe(a.method, a.layers, None, a.max_epochs);
        crate::memory::check_available(
            bytes,
            1,
            &what,
            "use a smaller --layers or a lower --max-epochs",
        )
        .map_err(UsageError)?;
    }
    let test_set = (!te.is_empty()).then_some(&test_set);
    let FitReport {
        precision,
        n_weights,
        out,
        train: train_q,
        test: test_q,
    } = match a.precision {
        Precision::F64 => fit_eval_save::<f64>(a, &spec, &enc, &train_set, test_set)?,
        Precision::F32 => fit_eval_save::<f32>(a, &spec, &enc, &train_set, test_set)?,
    };
    if a.json {
        #[derive(Serialize)]
        struct Out<'a> {
            method: &'a str,
            precision: &'a str,
            layers: usize,
            n_weights: usize,
            outputs: usize,
            train_rows: usize,
            test_rows: usize,
            converged: bool,
            epochs: u32,
            seconds: f64,
            failure: &'a Option<String>,
            train: Quality,
            test: Option<Quality>,
        }
        let o = Out {
            method: a.method.name(),
            precision,
            layers: a.layers,
            n_weights,
            outputs: enc.n_outputs(),
            train_rows: tr.len(),
            test_rows: te.len(),
            converged: out.converged,
            epochs: out.epochs,
            seconds: out.seconds,
            failure: &out.failure,
            train: train_q,
            test: test_q,
        };
        print_json(&o)?;
        return Ok(());
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} rows ({} train, {} test), {} features -> {} outputs ({})",
        a.data.display(),
        table.rows.len(),
        tr.len(),
        te.len(),
        enc.features.len(),
        enc.n_outputs(),
        match enc.task {
            Task::Classification => format!("classes {}", enc.classes.join(", ")),
            _ => "regression".to_string(),
        }
    );
    let _ = writeln!(
        s,
        "{} at L = {}, N = {} (N_w = {}, {}): {} after {} epochs in {:.2} s (training MSE {:.5}, tol {})",
        a.method.title(),
        a.layers,
        a.width,
        n_weights,
        precision,
        if out.converged {
            "converged"
        } else {
            "stopped"
        },
        out.epochs,
        out.seconds,
        out.curve.last().copied().unwrap_or(f64::NAN),
        a.tol
    );
    if let Some(f) = &out.failure {
        let _ = writeln!(s, "stopped early: {f}");
    }
    let _ = writeln!(s, "train: {}", describe_quality(&train_q));
    if let Some(q) = &test_q {
        let _ = writeln!(s, "test:  {}", describe_quality(q));
    }
    if let Some(p) = &a.save {
        let _ = writeln!(s, "saved {}", p.display());
    }
    print_out(&s);
    Ok(())
}

/// `hinf eval`.
pub fn run_eval(a: &EvalArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&a.model)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", a.model.display())))?;
    if crate::model_file::is_core_model(&bytes) {
        if a.data.is_some() {
            return Err(UsageError(format!(
                "{} is an XOR model from `hinf train --save`: drop --data (it is evaluated on the truth table)",
                a.model.display()
            ))
            .into());
        }
        let q = crate::model_file::evaluate_xor(&bytes, a.inputs.into())?;
        if a.json {
            print_json(&q)?;
        } else {
            let outs: Vec<String> = q.outputs.iter().map(|o| format!("{o:.4}")).collect();
            print_out(&format!(
                "{}: XOR model, L = {}, N_w = {}, {}{}: outputs [{}] for targets {:?}; {}/4 correct, ½SSE {:.3e}, max |e| {:.3e}\n",
                a.model.display(),
                q.layers,
                q.n_weights,
                q.precision,
                if q.has_covariance { ", with P" } else { "" },
                outs.join(", "),
                q.targets,
                q.correct,
                q.half_sse,
                q.max_abs
            ));
        }
        return Ok(());
    }
    let Some(data_path) = &a.data else {
        return Err(UsageError(format!(
            "{} is a model from `hinf fit`: --data FILE.csv is required",
            a.model.display()
        ))
        .into());
    };
    let (meta, mut net) = load(&a.model).map_err(UsageError)?;
    let table = Table::read(data_path).map_err(UsageError)?;
    let data = meta.encoding.encode(&table).map_err(UsageError)?;
    let q = net.evaluate(&data, &meta.encoding)?;
    if a.json {
        #[derive(Serialize)]
        struct Out {
            #[serde(flatten)]
            quality: Quality,
            precision: &'static str,
        }
        print_json(&Out {
            quality: q,
            precision: net.precision_name(),
        })?;
    } else {
        print_out(&format!(
            "{} ({}) on {} ({} rows): {}\n",
            a.model.display(),
            net.precision_name(),
            data_path.display(),
            data.len(),
            describe_quality(&q)
        ));
    }
    Ok(())
}

/// `hinf gen`.
pub fn run_gen(a: &GenArgs) -> Result<(), Failure> {
    report::create_dir(&a.out)?;
    for (name, text) in generated() {
        let p = a.out.join(name);
        report::write_text(&p, &text)?;
        print_out(&format!("wrote {}\n", p.display()));
    }
    Ok(())
}

/// One benchmark of `hinf compare`.
#[derive(Debug, Clone, Copy)]
pub struct Benchmark {
    /// Short name.
    pub name: &'static str,
    /// File in the data directory.
    pub file: &'static str,
    /// Target column.
    pub target: &'static str,
    /// Standardize the features.
    pub standardize: bool,
    /// Training fraction.
    pub split: f64,
    /// Training-MSE target.
    pub tol: f64,
}

/// The data sets of `hinf compare` and their settings.
pub fn benchmarks() -> Vec<Benchmark> {
    let b = |name, file, target, standardize, split, tol| Benchmark {
        name,
        file,
        target,
        standardize,
        split,
        tol,
    };
    vec![
        b("iris", "iris.csv", "species", true, 0.8, 0.01),
        b("wine", "wine.csv", "cultivar", true, 0.8, 0.005),
        b("spirals", "spirals.csv", "spiral", true, 1.0, 0.05),
        b("parity4", "parity4.csv", "parity", false, 1.0, 0.01),
        b("sine", "sine.csv", "y", false, 0.8, 0.002),
    ]
}

/// One run of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Data set.
    pub set: String,
    /// Method.
    pub method: Method,
    /// Depth.
    pub layers: usize,
    /// Seed.
    pub seed: u64,
    /// Reached the training-MSE target.
    pub converged: bool,
    /// Epochs run.
    pub epochs: u32,
    /// Wall time.
    pub seconds: f64,
    /// Test (or, without a test split, training) quality.
    pub quality: Quality,
    /// An update was refused.
    pub failure: Option<String>,
    /// Training MSE per epoch (drawn in the figures, not written to
    /// results.json).
    #[serde(skip_serializing)]
    pub curve: Vec<f64>,
}

/// `hinf compare`.
pub fn run_compare(a: &CompareArgs) -> Result<(), Failure> {
    let sets: Vec<Benchmark> = benchmarks()
        .into_iter()
        .filter(|b| {
            a.sets
                .as_ref()
                .is_none_or(|s| s.iter().any(|n| n == b.name))
        })
        .collect();
    if sets.is_empty() {
        return Err(UsageError("--sets: no known data set".into()).into());
    }
    if a.seeds == 0 {
        return Err(
            UsageError("invalid value '0' for '--seeds': need at least 1 seed".into()).into(),
        );
    }
    if a.max_epochs == 0 {
        return Err(UsageError(
            "invalid value '0' for '--max-epochs': need at least 1 epoch".into(),
        )
        .into());
    }
    for &layers in &a.layers {
        hinf::ResNetSpec::xor(layers)
            .map_err(|e| UsageError(format!("invalid value '{layers}' for '--layers': {e}")))?;
    }
    // The deepest runs of each set and method must fit in memory, as many
    // at once as there are threads.
    let deepest = a.layers.iter().copied().max().unwrap_or(5);
    let at_once = crate::cli::at_once(None, a.seeds);
    for b in &sets {
        let Ok((_, train, _)) = load_set(
            &a.data_dir.join(b.file),
            &[b.target.to_string()],
            Task::Auto,
            b.standardize,
            b.split,
            a.seed,
        ) else {
            continue; // (reported by the run itself)
        };
        for &method in &a.methods {
            let spec = FitSpec {
                method,
                layers: deepest,
                max_epochs: a.max_epochs,
                ..FitSpec::default()
            };
            if let Some(bytes) = spec.memory_bytes(&train, Precision::F64) {
                let what = crate::memory::describe(method, deepest, Some(b.name), a.max_epochs);
                crate::memory::check_available(
                    bytes,
                    at_once,
                    &what,
                    "use smaller --layers or a lower --max-epochs",
                )
                .map_err(UsageError)?;
            }
        }
    }
    report::create_dir(&a.out)?;
    let start = Instant::now();
    let mut runs = Vec::new();
    for b in &sets {
        for &layers in &a.layers {
            for &method in &a.methods {
                let t0 = Instant::now();
                let r: Vec<Result<Run, String>> = (0..a.seeds)
                    .into_par_iter()
                    .map(|i| {
                        let seed = trial_seed(a.seed, i);
                        let (enc, train, test) = load_set(
                            &a.data_dir.join(b.file),
                            &[b.target.to_string()],
                            Task::Auto,
                            b.standardize,
                            b.split,
                            seed,
                        )?;
                        let spec = FitSpec {
                            method,
                            layers,
                            tol: b.tol,
                            max_epochs: a.max_epochs,
                            seed,
                            ..FitSpec::default()
                        };
                        let (mut net, out) = fit::<f64>(&train, &spec)?;
                        let q =
                            crate::fit::evaluate(&mut net, test.as_ref().unwrap_or(&train), &enc)?;
                        Ok(Run {
                            set: b.name.to_string(),
                            method,
                            layers,
                            seed,
                            converged: out.converged,
                            epochs: out.epochs,
                            seconds: out.seconds,
                            quality: q,
                            failure: out.failure,
                            curve: out.curve,
                        })
                    })
                    .collect();
                let r = r.into_iter().collect::<Result<Vec<_>, _>>()?;
                eprintln!(
                    "{} L = {layers} {}: {}/{} reached the target ({:.1} s)",
                    b.name,
                    method.name(),
                    r.iter().filter(|x| x.converged).count(),
                    r.len(),
                    t0.elapsed().as_secs_f64()
                );
                runs.extend(r);
            }
        }
    }
    let md = compare_markdown(&runs, &sets, a, start.elapsed().as_secs_f64());
    for b in &sets {
        let deepest = *a.layers.iter().max().unwrap_or(&5);
        for &method in &a.methods {
            let curves: Vec<&[f64]> = runs
                .iter()
                .filter(|r| r.set == b.name && r.method == method && r.layers == deepest)
                .map(|r| r.curve.as_slice())
                .collect();
            let p = a
                .out
                .join(format!("{}-{}-L{deepest}.svg", b.name, method.name()));
            crate::plot::learning_curves(
                &p,
                &format!(
                    "{}: {} at L = {deepest}, {} seeds",
                    b.name,
                    method.title(),
                    curves.len()
                ),
                "training MSE",
                &curves,
                b.tol,
            )?;
        }
    }
    report::write_text(&a.out.join("report.md"), &md)?;
    report::write_json(&a.out.join("results.json"), &runs)?;
    print_out(&md);
    Ok(())
}

fn stats(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, v.sqrt())
}

/// The comparison's Markdown report.
pub fn compare_markdown(runs: &[Run], sets: &[Benchmark], a: &CompareArgs, seconds: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# H∞-learning, steepest descent and Adam on real and generated data\n"
    );
    let _ = writeln!(
        s,
        "`hinf compare --layers {}{} --seeds {} --max-epochs {} --seed {}` ({:.0} s). Hidden width N = {}, η0 = {}, \
         weights uniform in [−0.05, 0.05], rows shuffled every epoch, f64. H∞: γ_f = {}, ε0 = {} (exact structured P). \
         Steepest descent: P = ε0 I. Adam: the paper's α = 0.01, β1 = 0.79, β2 = 0.78, per sample. \
         Classes are one-hot over N_L sigmoid outputs; regression targets are scaled to [0.1, 0.9].\n",
        a.layers
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(","),
        a.sets
            .as_ref()
            .map(|s| format!(" --sets {}", s.join(",")))
            .unwrap_or_default(),
        a.seeds,
        a.max_epochs,
        a.seed,
        seconds,
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
    let _ = writeln!(
        s,
        "| data | rows | tol | L | method | epochs to target | fails | test | time (s) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for b in sets {
        for &layers in &a.layers {
            for &method in &a.methods {
                let rs: Vec<&Run> = runs
                    .iter()
                    .filter(|r| r.set == b.name && r.layers == layers && r.method == method)
                    .collect();
                if rs.is_empty() {
                    continue;
                }
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
                let rows = Table::read(&a.data_dir.join(b.file))
                    .map(|t| t.rows.len().to_string())
                    .unwrap_or_else(|_| "?".into());
                let _ = writeln!(
                    s,
                    "| {} | {rows} | {} | {layers} | {} | {ep} | {}/{} | {test} | {tm:.2} |",
                    b.name,
                    b.tol,
                    method.name(),
                    rs.len() - ok.len(),
                    rs.len()
                );
            }
        }
    }
    let deepest = *a.layers.iter().max().unwrap_or(&5);
    let _ = writeln!(s, "\n## Learning curves at L = {deepest}\n");
    for b in sets {
        for &method in &a.methods {
            let _ = writeln!(
                s,
                "![{} {}]({}-{}-L{deepest}.svg)",
                b.name,
                method.name(),
                b.name,
                method.name()
            );
        }
    }
    s
}
