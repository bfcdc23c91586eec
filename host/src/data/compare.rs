//! `hinf compare`: H∞-learning, steepest descent and Adam on the shipped
//! data sets ([`benchmarks`]), across depths and seeds.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::encoding::{Dataset, Encoding, Quality, Task, split_indices};
use super::error::DataError;
use super::fit::fit;
use super::fitted::evaluate;
use super::table::Table;
use crate::run::trial_seed;
use crate::settings::{FitSpec, Learner};

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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    /// Data set.
    pub set: String,
    /// The method and its storage of `P`.
    #[serde(flatten)]
    pub learner: Learner,
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
    #[serde(skip_serializing, default)]
    pub curve: Vec<f64>,
}

/// Reads a data set, splits it with `seed` (a fraction `split` to train
/// on) and fits its encoding on the training rows.
pub fn load_set(
    path: &std::path::Path,
    target: &[String],
    task: Task,
    standardize: bool,
    split: f64,
    seed: u64,
) -> Result<(Encoding, Dataset, Option<Dataset>), DataError> {
    let table = Table::read(path)?;
    let (tr, te) = split_indices(table.rows.len(), split, seed);
    let enc = Encoding::fit(&table, target, None, task, standardize, &tr)?;
    let all = enc.encode(&table)?;
    let test = (!te.is_empty()).then(|| all.subset(&te));
    Ok((enc, all.subset(&tr), test))
}

/// What one batch of [`run_seeds`] runs: a set, a depth, a method.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The data set.
    pub set: &'a Benchmark,
    /// Where the data files are.
    pub data_dir: &'a Path,
    /// L.
    pub layers: usize,
    /// The learning rule and its storage of `P`.
    pub learner: Learner,
    /// Seeds to run.
    pub seeds: usize,
    /// Base seed: run i uses `trial_seed(seed, i)` for its split and weights.
    pub seed: u64,
    /// Epoch cap of every run.
    pub max_epochs: u32,
}

/// Runs every seed of `batch` in parallel.
pub fn run_seeds(batch: &Batch<'_>) -> Result<Vec<Run>, DataError> {
    let all: Vec<usize> = (0..batch.seeds).collect();
    run_some_seeds(batch, &all)
}

/// Runs the seeds `indices` of `batch` (a shard's share, or all) in
/// parallel, in the order of `indices`.
pub fn run_some_seeds(batch: &Batch<'_>, indices: &[usize]) -> Result<Vec<Run>, DataError> {
    let b = batch.set;
    let r: Vec<Result<Run, DataError>> = indices
        .par_iter()
        .map(|&i| {
            let seed = trial_seed(batch.seed, i);
            let (enc, train, test) = load_set(
                &batch.data_dir.join(b.file),
                &[b.target.to_string()],
                Task::Auto,
                b.standardize,
                b.split,
                seed,
            )?;
            let spec = FitSpec {
                method: batch.learner.method,
                covariance: batch.learner.covariance,
                memory: batch.learner.memory,
                layers: batch.layers,
                tol: Some(b.tol),
                max_epochs: batch.max_epochs,
                seed,
                ..FitSpec::default()
            };
            let (mut net, out) = fit::<f64>(&train, &spec)?;
            let q = evaluate(&mut net, test.as_ref().unwrap_or(&train), &enc)?;
            Ok(Run {
                set: b.name.to_string(),
                learner: batch.learner,
                layers: batch.layers,
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
    r.into_iter().collect()
}
