//! `hinf eval`: evaluate a model saved by `fit --save` on a CSV file, or
//! one saved by `train --save` on the XOR truth table.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::check::UsageError;
use super::output::{Failure, print_err, print_json, print_out};
use crate::data::model_file::not_a_model;
use crate::data::xor_model::{XorModel, evaluate_xor, parse_xor};
use crate::data::{ModelKind, Quality, Table, load, model_kind};
use crate::settings::{Choice, Inputs};

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
    /// XOR input coding, for a bare core model file (which does not store
    /// it) [default: bipolar]; a model from `hinf train --save` stores its
    /// own, and a different one is refused.
    #[arg(long, value_enum)]
    pub inputs: Option<Inputs>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One line on a trained network's quality.
pub fn describe_quality(q: &Quality) -> String {
    match (q.accuracy, q.rmse) {
        (Some(a), _) => format!("accuracy {:.2}%, MSE {:.4}", 100.0 * a, q.mse),
        (_, Some(r)) => format!("RMSE {r:.4} (target units), MSE {:.5}", q.mse),
        _ => format!("MSE {:.5}", q.mse),
    }
}

/// `hinf eval`: what the file is decides the evaluation, whatever the
/// other flags.
pub fn run(a: &EvalArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&a.model)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", a.model.display())))?;
    match model_kind(&bytes) {
        ModelKind::NotAModel => Err(UsageError::from(not_a_model(&a.model, &bytes)).into()),
        ModelKind::Core | ModelKind::Xor => eval_xor(a, &bytes),
        ModelKind::Fit => eval_fit(a),
    }
}

/// An XOR model on the truth table, in its own input coding.
fn eval_xor(a: &EvalArgs, bytes: &[u8]) -> Result<(), Failure> {
    if a.data.is_some() {
        return Err(UsageError(format!(
            "{} is an XOR model from `hinf train --save`: drop --data (it is evaluated on the truth table)",
            a.model.display()
        ))
        .into());
    }
    let model = parse_xor(bytes, &a.model).map_err(UsageError::from)?;
    check_inputs(&a.model, a.inputs, &model)?;
    let q = evaluate_xor(&model, a.inputs).map_err(UsageError::from)?;
    if a.json {
        return print_json(&q);
    }
    let outs: Vec<String> = q.outputs.iter().map(|o| format!("{o:.4}")).collect();
    let trained = match &model.meta {
        Some(m) => format!(
            "{} after {} epochs ({}), ",
            m.settings.method.name(),
            m.epochs,
            if m.converged {
                "converged"
            } else {
                "not converged"
            }
        ),
        None => "bare core file, ".to_string(),
    };
    print_out(&format!(
        "{}: XOR model, {trained}L = {}, N_w = {}, {}{}, inputs {}: outputs [{}] for targets {:?}; {}/4 correct, ½SSE {:.3e}, max |e| {:.3e}\n",
        a.model.display(),
        q.layers,
        q.n_weights,
        q.precision,
        if q.has_covariance { ", with P" } else { "" },
        q.inputs.name(),
        outs.join(", "),
        q.targets,
        q.correct,
        q.half_sse,
        q.max_abs
    ));
    Ok(())
}

/// `--inputs` (`inputs`) must agree with the coding the model at `path`
/// stores; a bare core file stores none, so it is used with `--inputs` or
/// bipolar (said on stderr).
pub(super) fn check_inputs(
    path: &Path,
    inputs: Option<Inputs>,
    model: &XorModel,
) -> Result<(), UsageError> {
    match (&model.meta, inputs) {
        (Some(m), Some(i)) if i != m.settings.inputs => Err(UsageError(format!(
            "{} was trained with --inputs {}: drop --inputs {} (the model stores its coding)",
            path.display(),
            m.settings.inputs.name(),
            i.name()
        ))),
        (None, None) => {
            print_err(&format!(
                "note: {} is a bare core model file, which does not store its input coding: used with --inputs bipolar and targets {{0, 1}}",
                path.display()
            ));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A `fit` model on `--data`.
fn eval_fit(a: &EvalArgs) -> Result<(), Failure> {
    if let Some(i) = a.inputs {
        return Err(UsageError(format!(
            "{} is a model from `hinf fit`: drop --inputs {} (it is for XOR models)",
            a.model.display(),
            i.name()
        ))
        .into());
    }
    let Some(data_path) = &a.data else {
        return Err(UsageError(format!(
            "{} is a model from `hinf fit`: --data FILE.csv is required",
            a.model.display()
        ))
        .into());
    };
    let (meta, mut net) = load(&a.model).map_err(UsageError::from)?;
    let table = Table::read(data_path).map_err(UsageError::from)?;
    let data = meta.encoding.encode(&table).map_err(UsageError::from)?;
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
