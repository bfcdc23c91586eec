//! How a [`Table`]'s columns become a network's inputs and targets
//! ([`Encoding`]): numeric features, and either numeric targets
//! (regression) or one class column (classification, one-hot over N_L
//! sigmoid outputs); the train/test split, standardization, and the
//! quality of a trained network.

use hinf::Real;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::error::DataError;
use super::table::Table;
use crate::settings::choice::choices;

choices! {
    /// Regression or classification.
    #[derive(Default)]
    pub enum Task {
        #[default]
        Auto = "auto": "Classification if the (single) target column is not numeric, regression otherwise.",
        Regression = "regression": "Numeric targets, one sigmoid output each, scaled to [0.1, 0.9].",
        Classification = "classification": "One class column, one-hot over one sigmoid output per class.",
    }
}

/// How the columns of a CSV file become a network's inputs and targets,
/// and back: stored with a trained model so that `eval` and prediction
/// apply the same transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// Feature column names, in input order.
    pub features: Vec<String>,
    /// Per feature: subtract this ...
    #[serde(with = "exact")]
    pub mean: Vec<f64>,
    /// ... and divide by this (0 and 1 without standardization).
    #[serde(with = "exact")]
    pub scale: Vec<f64>,
    /// Target column names (one for classification).
    pub targets: Vec<String>,
    /// `Regression` or `Classification` (never `Auto`).
    pub task: Task,
    /// Class labels in output order (classification).
    pub classes: Vec<String>,
    /// Per regression target: its minimum and maximum over the training
    /// rows (mapped to 0.1 and 0.9).
    #[serde(with = "exact_pairs")]
    pub target_range: Vec<(f64, f64)>,
}

/// `f64`s as their shortest round-trip decimal strings, so that a saved
/// encoding is restored bit for bit (JSON number parsing may round).
mod exact {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| format!("{x:?}")))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| t.parse::<f64>().map_err(D::Error::custom))
            .collect()
    }
}

/// [`exact`] for pairs.
mod exact_pairs {
    use serde::{Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[(f64, f64)], s: S) -> Result<S::Ok, S::Error> {
        let flat: Vec<f64> = v.iter().flat_map(|(a, b)| [*a, *b]).collect();
        super::exact::serialize(&flat, s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(f64, f64)>, D::Error> {
        let flat = super::exact::deserialize(d)?;
        Ok(flat.chunks_exact(2).map(|c| (c[0], c[1])).collect())
    }
}

/// Inputs and targets, row-major, ready for [`hinf::Samples`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// N1 values per row.
    pub inputs: Vec<f64>,
    /// N_L values per row.
    pub targets: Vec<f64>,
    /// N1.
    pub n_inputs: usize,
    /// N_L.
    pub n_outputs: usize,
}

impl Dataset {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.inputs.len() / self.n_inputs.max(1)
    }
    /// `true` without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The rows `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Self {
        let (a, b) = (self.n_inputs, self.n_outputs);
        Self {
            inputs: idx
                .iter()
                .flat_map(|&i| self.inputs[i * a..(i + 1) * a].iter().copied())
                .collect(),
            targets: idx
                .iter()
                .flat_map(|&i| self.targets[i * b..(i + 1) * b].iter().copied())
                .collect(),
            n_inputs: a,
            n_outputs: b,
        }
    }
    /// As core [`hinf::Samples`].
    pub fn samples(&self) -> hinf::Result<hinf::Samples<'_, f64>> {
        hinf::Samples::new(&self.inputs, self.n_inputs, &self.targets, self.n_outputs)
    }
    /// The inputs and targets converted to `T` (rounded to nearest for
    /// `f32`), for [`hinf::Samples::new`] in that precision.
    pub fn cast<T: Real>(&self) -> (Vec<T>, Vec<T>) {
        let conv = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect();
        (conv(&self.inputs), conv(&self.targets))
    }
}

/// Splits `0..n` into a shuffled train part of `round(fraction · n)` rows
/// (at least 1) and the rest, from `seed`.
pub fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    hinf::shuffle(&mut idx, &mut rng);
    let k = ((fraction * n as f64).round() as usize).clamp(1, n);
    let test = idx.split_off(k);
    (idx, test)
}

impl Encoding {
    /// Chooses the columns of `table`: `targets` (names), the features
    /// (`features`, or every other column), the task; fits the
    /// standardization (if `standardize`) and the target scaling on the
    /// rows `fit_rows` only.
    pub fn fit(
        table: &Table,
        targets: &[String],
        features: Option<&[String]>,
        task: Task,
        standardize: bool,
        fit_rows: &[usize],
    ) -> Result<Self, DataError> {
        let (tcols, fnames, fcols) = columns(table, targets, features)?;
        let task = match task {
            Task::Auto => auto_task(table, &tcols),
            t => t,
        };
        if task == Task::Classification && tcols.len() != 1 {
            return Err(DataError::Encoding(
                "classification needs exactly one --target (the class column)".into(),
            ));
        }
        let (mean, scale) = standardization(table, &fcols, standardize, fit_rows)?;
        let (classes, target_range) = match task {
            Task::Classification => (classes(table, tcols[0], &targets[0])?, Vec::new()),
            _ => (Vec::new(), target_ranges(table, &tcols, fit_rows)?),
        };
        Ok(Self {
            features: fnames,
            mean,
            scale,
            targets: targets.to_vec(),
            task,
            classes,
            target_range,
        })
    }

    /// `true` if the features are standardized (some mean or scale is not
    /// the identity's 0 and 1).
    pub fn is_standardized(&self) -> bool {
        self.mean.iter().any(|&m| m != 0.0) || self.scale.iter().any(|&s| s != 1.0)
    }

    /// N_L.
    pub fn n_outputs(&self) -> usize {
        match self.task {
            Task::Classification => self.classes.len(),
            _ => self.targets.len(),
        }
    }

    /// Maps a regression target to the sigmoid's range [0.1, 0.9].
    pub fn scale_target(&self, k: usize, y: f64) -> f64 {
        let (lo, hi) = self.target_range[k];
        0.1 + 0.8 * (y - lo) / (hi - lo)
    }

    /// The inverse of [`Encoding::scale_target`].
    pub fn unscale_target(&self, k: usize, z: f64) -> f64 {
        let (lo, hi) = self.target_range[k];
        lo + (z - 0.1) / 0.8 * (hi - lo)
    }

    /// Encodes every row of `table` (which must have the feature and
    /// target columns, by name). An unknown class label is an error naming
    /// its line.
    pub fn encode(&self, table: &Table) -> Result<Dataset, DataError> {
        let inputs = self.encode_features(table)?;
        let tcols = self
            .targets
            .iter()
            .map(|t| table.column(t))
            .collect::<Result<Vec<_>, _>>()?;
        let n = table.rows.len();
        let mut targets = Vec::with_capacity(n * self.n_outputs());
        match self.task {
            Task::Classification => {
                let j = tcols[0];
                for (line, cells) in &table.rows {
                    let label = &cells[j];
                    let Some(c) = self.classes.iter().position(|k| k == label) else {
                        return Err(DataError::Encoding(format!(
                            "{}: line {line}, column '{}' ({}): unknown class '{label}' (known: {})",
                            table.source,
                            self.targets[0],
                            j + 1,
                            self.classes.join(", ")
                        )));
                    };
                    targets.extend((0..self.classes.len()).map(|o| if o == c { 1.0 } else { 0.0 }));
                }
            }
            _ => {
                let cols = tcols
                    .iter()
                    .map(|&j| table.numeric(j))
                    .collect::<Result<Vec<_>, _>>()?;
                for r in 0..n {
                    for (k, col) in cols.iter().enumerate() {
                        targets.push(self.scale_target(k, col[r]));
                    }
                }
            }
        }
        Ok(Dataset {
            inputs,
            targets,
            n_inputs: self.features.len(),
            n_outputs: self.n_outputs(),
        })
    }

    /// The network inputs of every row of `table` (row-major), which needs
    /// the feature columns only (by name; others are ignored).
    pub fn encode_features(&self, table: &Table) -> Result<Vec<f64>, DataError> {
        let feats = self
            .features
            .iter()
            .map(|f| table.column(f).and_then(|j| table.numeric(j)))
            .collect::<Result<Vec<_>, _>>()?;
        let n = table.rows.len();
        let mut inputs = Vec::with_capacity(n * feats.len());
        for r in 0..n {
            for (k, col) in feats.iter().enumerate() {
                inputs.push((col[r] - self.mean[k]) / self.scale[k]);
            }
        }
        Ok(inputs)
    }
}

/// The target columns, the feature names and the feature columns.
type Columns = (Vec<usize>, Vec<String>, Vec<usize>);

/// The [`Columns`] of `table` for `targets` and `features`.
fn columns(
    table: &Table,
    targets: &[String],
    features: Option<&[String]>,
) -> Result<Columns, DataError> {
    if targets.is_empty() {
        return Err(DataError::Encoding("--target: no column given".into()));
    }
    let tcols = targets
        .iter()
        .map(|t| table.column(t))
        .collect::<Result<Vec<_>, _>>()?;
    let fnames: Vec<String> = match features {
        Some(f) => f.to_vec(),
        None => table
            .header
            .iter()
            .enumerate()
            .filter(|(j, _)| !tcols.contains(j))
            .map(|(_, h)| h.clone())
            .collect(),
    };
    if fnames.is_empty() {
        return Err(DataError::Encoding(format!(
            "{}: no feature columns left",
            table.source
        )));
    }
    let fcols = fnames
        .iter()
        .map(|f| table.column(f))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(t) = fcols.iter().find(|j| tcols.contains(j)) {
        return Err(DataError::Encoding(format!(
            "column '{}' is both a feature and a target",
            table.header[*t]
        )));
    }
    Ok((tcols, fnames, fcols))
}

/// Classification if the single target column is not numeric.
fn auto_task(table: &Table, tcols: &[usize]) -> Task {
    let j = tcols[0];
    let numeric = table.rows.iter().all(|(_, c)| c[j].parse::<f64>().is_ok());
    if tcols.len() == 1 && !numeric {
        Task::Classification
    } else {
        Task::Regression
    }
}

/// Per feature: mean and standard deviation over `fit_rows` (0 and 1
/// without standardization); every feature must be numeric.
fn standardization(
    table: &Table,
    fcols: &[usize],
    standardize: bool,
    fit_rows: &[usize],
) -> Result<(Vec<f64>, Vec<f64>), DataError> {
    let mut mean = vec![0.0; fcols.len()];
    let mut scale = vec![1.0; fcols.len()];
    for (k, &j) in fcols.iter().enumerate() {
        let col = table.numeric(j)?;
        if standardize {
            let xs: Vec<f64> = fit_rows.iter().map(|&r| col[r]).collect();
            let m = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len().max(1) as f64;
            mean[k] = m;
            scale[k] = if v > 0.0 { v.sqrt() } else { 1.0 };
        }
    }
    Ok((mean, scale))
}

/// The classes of column `j` (named `name`), numeric ones in numeric order.
fn classes(table: &Table, j: usize, name: &str) -> Result<Vec<String>, DataError> {
    let mut classes: Vec<String> = Vec::new();
    for (_, cells) in &table.rows {
        let c = &cells[j];
        if !classes.contains(c) {
            classes.push(c.clone());
        }
    }
    classes.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    if classes.len() < 2 {
        return Err(DataError::Encoding(format!(
            "{}: column '{name}' has a single class",
            table.source
        )));
    }
    if classes.len() > hinf::MAX_OUTPUTS {
        return Err(DataError::Encoding(format!(
            "{}: column '{name}' has {} classes; the g-EHF handles at most {} outputs",
            table.source,
            classes.len(),
            hinf::MAX_OUTPUTS
        )));
    }
    Ok(classes)
}

/// Per regression target: its range over `fit_rows` (mapped to [0.1, 0.9]).
fn target_ranges(
    table: &Table,
    tcols: &[usize],
    fit_rows: &[usize],
) -> Result<Vec<(f64, f64)>, DataError> {
    let mut ranges = Vec::new();
    for &j in tcols {
        let col = table.numeric(j)?;
        let (lo, hi) = fit_rows
            .iter()
            .map(|&r| col[r])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        ranges.push((lo, if hi > lo { hi } else { lo + 1.0 }));
    }
    if tcols.len() > hinf::MAX_OUTPUTS {
        return Err(DataError::Encoding(format!(
            "{} target columns; the g-EHF handles at most {}",
            tcols.len(),
            hinf::MAX_OUTPUTS
        )));
    }
    Ok(ranges)
}

/// Test-set quality of a trained network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Mean squared error over rows × outputs, in the network's units.
    #[serde(with = "crate::run::floats::one")]
    pub mse: f64,
    /// Classification: the fraction of rows whose largest output is the
    /// true class.
    pub accuracy: Option<f64>,
    /// Regression: root mean squared error in the targets' own units.
    pub rmse: Option<f64>,
}

/// Evaluates `net` (in either precision; the errors are summed in f64) on
/// `data` encoded by `enc`.
pub fn quality<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
    net: &mut hinf::ResNet<T, S>,
    data: &Dataset,
    enc: &Encoding,
) -> hinf::Result<Quality> {
    let m = data.n_outputs;
    let (mut se, mut right, mut se_units) = (0.0, 0usize, 0.0);
    let mut x = vec![T::ZERO; data.n_inputs];
    let mut out64 = vec![0.0f64; m];
    for r in 0..data.len() {
        let row = &data.inputs[r * data.n_inputs..(r + 1) * data.n_inputs];
        for (xi, &v) in x.iter_mut().zip(row) {
            *xi = T::from_f64(v);
        }
        let y = &data.targets[r * m..(r + 1) * m];
        for (o, &v) in out64.iter_mut().zip(net.forward(&x)?) {
            *o = v.to_f64();
        }
        let out = out64.as_slice();
        for (k, (o, t)) in out.iter().zip(y).enumerate() {
            se += (t - o) * (t - o);
            if enc.task != Task::Classification {
                let d = enc.unscale_target(k, *o) - enc.unscale_target(k, *t);
                se_units += d * d;
            }
        }
        let argmax = |v: &[f64]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b]));
        right += (argmax(out) == argmax(y)) as usize;
    }
    let n = data.len().max(1) as f64;
    Ok(match enc.task {
        Task::Classification => Quality {
            mse: se / (n * m as f64),
            accuracy: Some(right as f64 / n),
            rmse: None,
        },
        _ => Quality {
            mse: se / (n * m as f64),
            accuracy: None,
            rmse: Some((se_units / (n * m as f64)).sqrt()),
        },
    })
}
