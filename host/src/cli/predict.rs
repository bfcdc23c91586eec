//! `hinf predict`: a saved model's predictions for the rows of a CSV file
//! (see [`crate::data::predict`] for the columns).

use std::path::PathBuf;

use clap::Args;

use super::check::UsageError;
use super::eval::check_inputs;
use super::output::{Failure, print_out};
use crate::data::fitted;
use crate::data::model_file::not_a_model;
use crate::data::predict::{predict_fitted, predict_xor};
use crate::data::xor_model::parse_xor;
use crate::data::{ModelKind, Table, model_kind};
use crate::settings::Inputs;

/// `hinf predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A model written by `hinf fit --save` or `hinf train --save`.
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// CSV file: a `fit` model's feature columns (the target may be
    /// absent, and is ignored); for an XOR model, columns x1 and x2 (or
    /// exactly two columns) of truth values 0 and 1.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Write the predictions here (CSV) instead of on stdout.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// XOR input coding, for a bare core model file (which does not store
    /// it) [default: bipolar]; a model from `hinf train --save` stores its
    /// own, and a different one is refused.
    #[arg(long, value_enum)]
    pub inputs: Option<Inputs>,
}

/// `hinf predict`: every check and every prediction before anything is
/// written.
pub fn run(a: &PredictArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&a.model)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", a.model.display())))?;
    let table = || Table::read(&a.data).map_err(UsageError::from);
    let preds = match model_kind(&bytes) {
        ModelKind::NotAModel => return Err(UsageError::from(not_a_model(&a.model, &bytes)).into()),
        ModelKind::Fit => {
            if a.inputs.is_some() {
                return Err(UsageError(format!(
                    "{} is a model from `hinf fit`: drop --inputs (it is for XOR models)",
                    a.model.display()
                ))
                .into());
            }
            let mut f = fitted::parse(&bytes, &a.model).map_err(UsageError::from)?;
            predict_fitted(&mut f, &table()?).map_err(UsageError::from)?
        }
        ModelKind::Xor | ModelKind::Core => {
            let x = parse_xor(&bytes, &a.model).map_err(UsageError::from)?;
            check_inputs(&a.model, a.inputs, &x)?;
            predict_xor(&x, a.inputs, &table()?).map_err(UsageError::from)?
        }
    };
    let csv = preds.csv();
    match &a.out {
        None => print_out(&csv),
        Some(path) => {
            std::fs::write(path, &csv)
                .map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))?;
            print_out(&format!(
                "{}: {} predictions of {} written to {}\n",
                a.data.display(),
                preds.rows.len(),
                a.model.display(),
                path.display()
            ));
        }
    }
    Ok(())
}
