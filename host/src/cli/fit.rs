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
use crate::data::{
    Dataset, Encoding, FitOutcome, ModelMeta, Quality, Table, Task, evaluate, fit, save,
    split_indices,
};
use crate::report::plural;
use crate::run::memory;
use crate::settings::{Choice, FitSpec, Method, Precision};

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
    let (mut net, out) = fit::<T>(train_set, spec)?;
    let train = evaluate(&mut net, train_set, enc)?;
    let test = match test_set {
        Some(t) => Some(evaluate(&mut net, t, enc)?),
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
    let bad = |flag: &str, value: String, why: String| Err(check::invalid(flag, value, why));
    if !(a.split > 0.0 && a.split <= 1.0) {
        return bad("--split", a.split.to_string(), "must be in (0, 1]".into());
    }
    check::network_shape(a.width, a.layers, a.slope)?;
    if !(a.tol.is_finite() && a.tol > 0.0) {
        return bad(
            "--tol",
            a.tol.to_string(),
            "need a finite number > 0".into(),
        );
    }
    check::at_least_one("--max-epochs", a.max_epochs.into(), "epoch")?;
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

/// The data of a fit: the table, its encoding, the training and test rows.
struct FitData {
    table: Table,
    enc: Encoding,
    train: Dataset,
    test: Dataset,
}

impl FitArgs {
    /// The settings of the fit.
    fn spec(&self) -> FitSpec {
        FitSpec {
            method: self.method,
            layers: self.layers,
            width: self.width,
            slope: self.slope,
            eps0: self.eps0,
            gamma: self.gamma,
            adam_lr: self.adam_lr,
            tol: self.tol,
            max_epochs: self.max_epochs,
            seed: self.seed,
            ..FitSpec::default()
        }
    }

    /// Reads, splits and encodes `--data`; a malformed file or a column
    /// that is not there is bad input (exit 2).
    fn data(&self) -> Result<FitData, UsageError> {
        let table = Table::read(&self.data).map_err(UsageError::from)?;
        let (tr, te) = split_indices(table.rows.len(), self.split, self.seed);
        let features = self.features.as_deref();
        let enc = Encoding::fit(
            &table,
            &self.target,
            features,
            self.task,
            self.standardize,
            &tr,
        )
        .map_err(UsageError::from)?;
        let all = enc.encode(&table).map_err(UsageError::from)?;
        let (train, test) = (all.subset(&tr), all.subset(&te));
        Ok(FitData {
            table,
            enc,
            train,
            test,
        })
    }
}

/// `hinf fit`.
pub fn run(a: &FitArgs) -> Result<(), Failure> {
    check_fit_flags(a)?;
    if let Some(path) = &a.save {
        check::output_file("--save", path)?;
    }
    let d = a.data()?;
    let spec = a.spec();
    let (rows, n_in, n_out) = (d.train.len(), d.train.n_inputs, d.train.n_outputs);
    if let Some(bytes) = memory::fit_bytes(&spec, n_in, n_out, rows, a.precision) {
        let what = memory::describe(a.method, a.layers, None, a.max_epochs);
        let advice = "use a smaller --layers or a lower --max-epochs";
        memory::check_available(bytes, 1, &what, advice).map_err(UsageError::from)?;
    }
    let test_set = (!d.test.is_empty()).then_some(&d.test);
    let report = match a.precision {
        Precision::F64 => fit_eval_save::<f64>(a, &spec, &d.enc, &d.train, test_set)?,
        Precision::F32 => fit_eval_save::<f32>(a, &spec, &d.enc, &d.train, test_set)?,
    };
    if a.json {
        print_json(&json(a, &d, &report))
    } else {
        print_out(&text(a, &d, &report));
        Ok(())
    }
}

/// The JSON object of `fit --json`.
#[derive(Serialize)]
struct FitJson<'a> {
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

fn json<'a>(a: &'a FitArgs, d: &FitData, r: &'a FitReport) -> FitJson<'a> {
    FitJson {
        method: a.method.name(),
        precision: r.precision,
        layers: a.layers,
        n_weights: r.n_weights,
        outputs: d.enc.n_outputs(),
        train_rows: d.train.len(),
        test_rows: d.test.len(),
        converged: r.out.converged,
        epochs: r.out.epochs,
        seconds: r.out.seconds,
        failure: &r.out.failure,
        train: r.train,
        test: r.test,
    }
}

/// The text `fit` prints: the data, the run, the quality, the file.
fn text(a: &FitArgs, d: &FitData, r: &FitReport) -> String {
    let (enc, out) = (&d.enc, &r.out);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} ({} train, {} test), {} -> {} ({})",
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
    let _ = writeln!(
        s,
        "{} at L = {}, N = {} (N_w = {}, {}): {} after {} in {:.2} s (training MSE {:.5}, tol {})",
        a.method.title(),
        a.layers,
        a.width,
        r.n_weights,
        r.precision,
        if out.converged {
            "converged"
        } else {
            "stopped"
        },
        plural(out.epochs, "epoch"),
        out.seconds,
        out.curve.last().copied().unwrap_or(f64::NAN),
        a.tol
    );
    if let Some(f) = &out.failure {
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
